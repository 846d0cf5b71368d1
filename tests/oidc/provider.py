"""A real OpenID Connect provider for tests: panva's oidc-provider (npm) run by the machine's Node.js.

The package is installed once into a folder OUTSIDE the repository ($TMPDIR/fieldapp-oidc-provider-<version>, or
FIELDAPP_OIDC_PROVIDER_DIR) and reused by later runs; tests/oidc/provider.mjs starts it on a loopback port.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.conftest import require

# 9.x runs on Node 20 (it warns that it prefers 22, and works); 9.13.3 is the version these tests were built on.
VERSION = "9.13.3"
SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID = "fieldapp-test"
CLIENT_SECRET = "test-only-client-secret-not-real"

# Fictional people at a fictional council.
ACCOUNTS = {
    "sub-ava-0001": {
        "preferred_username": "ava.oidc",
        "email": "ava.oidc@council.example",
        "email_verified": True,
        "name": "Ava Oidc (fictional)",
    },
    "sub-unknown-0002": {"preferred_username": "nobody.here", "name": "Nobody Here (fictional)"},
    "sub-imposter-0003": {"preferred_username": "ava.oidc", "name": "Ava Oidc (fictional)"},
    "sub-noname-0004": {"name": "Ava Oidc (fictional)"},
    "sub-shell-0005": {"preferred_username": "shell.worker", "name": "Shell Worker (fictional)"},
}


def provider_home() -> Path:
    """oidc-provider installed (once) outside the repository; skips locally / fails on CI without Node.js."""
    require(
        shutil.which("node") is not None and shutil.which("npm") is not None,
        "node and npm are needed to run the test OpenID Connect provider",
    )
    major = int(subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip("v\n").split(".")[0])
    require(major >= 20, f"oidc-provider {VERSION} needs Node.js 20 or later")
    home = Path(
        os.environ.get("FIELDAPP_OIDC_PROVIDER_DIR")
        or Path(tempfile.gettempdir()) / f"fieldapp-oidc-provider-{VERSION}"
    )
    home.mkdir(parents=True, exist_ok=True)
    with open(home.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one installs, the others wait and reuse it
        if not (home / "node_modules" / "oidc-provider" / "package.json").exists():
            subprocess.run(["npm", "init", "-y"], cwd=home, check=True, capture_output=True)
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", f"oidc-provider@{VERSION}"],
                cwd=home,
                check=True,
                capture_output=True,
                timeout=300,
            )
    return home


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen

    def control(self, action: str, **params) -> None:
        requests.post(f"{self.issuer}/test/{action}", params=params, timeout=5).raise_for_status()

    def app_config(self, **overrides) -> dict:
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ALLOW_HTTP_LOOPBACK": True,
            "OIDC_DISPLAY_NAME": "Sign in with Test Council",
            **overrides,
        }

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a loaded machine: do not leave it running
            self.process.kill()
            self.process.wait(timeout=10)
        self.process.stdout.close()


def start_provider(redirect_uris: list[str]) -> Provider:
    home = provider_home()
    port = _free_port()
    config = {
        "accounts": ACCOUNTS,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
            }
        ],
    }
    process = subprocess.Popen(
        ["node", str(SCRIPT), str(home), str(port), json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    if not line.startswith("ready "):
        process.kill()
        raise RuntimeError(f"the test OpenID Connect provider did not start: {line!r}")
    return Provider(issuer=line.split()[1], process=process)


def sign_in_at_provider(authorize_url: str, subject: str, stop_at: str) -> str:
    """What the user's browser does at the provider: follow redirects, fill the sign-in form with `subject`,
    until the provider sends the browser back to a URL under `stop_at`; returns that URL."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(12):
        if url.startswith(stop_at):
            return url
        response = browser.get(url, allow_redirects=False, timeout=5)
        if response.status_code == 200 and "<form" in response.text:
            action = re.search(r'action="([^"]+)"', response.text).group(1)
            response = browser.post(urljoin(url, action), data={"account": subject}, allow_redirects=False, timeout=5)
        assert response.is_redirect, (response.status_code, response.text[:500])
        url = urljoin(url, response.headers["Location"])
    raise AssertionError(f"the provider never sent the browser back to {stop_at}")
