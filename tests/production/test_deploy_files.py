"""deploy/: the systemd units pass `systemd-analyze verify`, the nginx site passes `nginx -t` (each skipped
locally when the tool is absent, failed on CI), and the README's Production section refers to every file."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ["fieldapp-web.service", "fieldapp-escalator@.service"]


def test_readme_production_section_refers_to_every_deploy_file():
    readme = (ROOT / "README.md").read_text()
    production = readme[readme.index("## Production") :]
    for path in DEPLOY.iterdir():
        assert f"deploy/{path.name}" in production, path.name
    assert "fieldapp backup" in production and "fieldapp restore" in production


def test_systemd_units_verify(tmp_path):
    tool = shutil.which("systemd-analyze")
    require(tool is not None, "systemd-analyze is not installed")
    # The units name /opt/fieldapp/.venv; point that at this checkout's interpreter so the binaries exist.
    root = tmp_path / "opt"
    (root / ".venv").mkdir(parents=True)
    (root / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    for unit in UNITS:
        text = (DEPLOY / unit).read_text().replace("/opt/fieldapp", str(root))
        name = unit.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
        result = subprocess.run(
            [tool, "verify", "--man=no", str(tmp_path / name)], capture_output=True, text=True, timeout=60
        )
        problems = [line for line in (result.stdout + result.stderr).splitlines() if name in line or "fieldapp" in line]
        assert result.returncode == 0 and problems == [], result.stdout + result.stderr


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fieldapp.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_nginx_site_passes_nginx_t(tmp_path):
    nginx = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx")
    require(bool(nginx), "nginx is not installed")
    cert, key = self_signed(tmp_path)
    site = (DEPLOY / "nginx-fieldapp.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/fieldapp.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/fieldapp.example.org/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
