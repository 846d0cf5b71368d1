"""What the server leaves on disk (folder and file modes) and what it hands to spreadsheets (formula cells)."""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from fieldapp import create_app
from fieldapp.extensions import db
from fieldapp.models import Role
from tests.conftest import BASE_TEST_CONFIG, PASSWORD


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_instance_folder_and_sqlite_file_are_private_when_created(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    os.umask(0o022)  # the usual umask, which gave 0755 and 0644 before
    config = {key: value for key, value in BASE_TEST_CONFIG.items() if key != "SECRET_KEY"}
    app = create_app(config)
    instance = Path(app.instance_path)
    assert _mode(instance) == 0o700
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE scratch (x INTEGER)"))
            connection.execute(text("INSERT INTO scratch VALUES (1)"))
        files = sorted(path.name for path in instance.iterdir())
        assert "fieldapp.sqlite3" in files
        for name in files:  # the database, its WAL and shared-memory files, the generated secret key
            assert _mode(instance / name) & 0o077 == 0, (name, oct(_mode(instance / name)))
        db.engine.dispose()


def test_one_helper_writes_every_secret_file_private(tmp_path):
    from fieldapp.secret_files import write_secret_file

    os.umask(0)
    path = tmp_path / "a" / "key.pem"
    assert write_secret_file(path, b"secret", exclusive=True)
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert not write_secret_file(path, b"other", exclusive=True)  # exclusive: the first writer wins
    assert path.read_bytes() == b"secret"
    write_secret_file(path, "replaced")
    assert path.read_text() == "replaced" and _mode(path) == 0o600
    os.umask(0o022)


def test_no_module_writes_a_secret_file_by_hand():
    package = Path(__file__).resolve().parents[1] / "fieldapp"
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "0o600" in path.read_text() and path.name != "secret_files.py"
    ]
    assert offenders == []


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("start", [s for s in FORMULA_STARTS if s != "\r"])  # no HTTP header carries a CR
def test_audit_csv_escapes_formula_cells(client, make_user, start):
    admin = make_user(Role.ADMIN)
    payload = f'{start}HYPERLINK("http://evil.example","x")'
    headers = {"User-Agent": payload, "X-Fieldapp-Device": payload}
    client.post("/login", data={"username": admin.username, "password": "wrong-password"}, headers=headers)
    client.post("/login", data={"username": admin.username, "password": PASSWORD}, headers=headers)
    body = client.get("/admin/audit.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    cells = [cell for row in rows[1:] for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    for cell in cells:
        assert cell[:1] not in FORMULA_STARTS, repr(cell)


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_the_csv_helper_escapes_every_formula_start(start):
    from fieldapp.csv_cells import csv_text, safe_cell

    assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell("plain") == "plain" and safe_cell(7) == 7 and safe_cell(None) == ""
    rows = list(csv.reader(io.StringIO(csv_text(["a"], [[f"{start}cmd"]]))))
    assert rows == [["a"], [f"'{start}cmd"]]


def test_every_csv_is_written_through_the_one_helper():
    package = Path(__file__).resolve().parents[1] / "fieldapp"
    writers = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"csv\.writer\(|_csv_safe", path.read_text()) and path.name != "csv_cells.py"
    ]
    assert writers == []
