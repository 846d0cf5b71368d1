"""The app shell's server side: a page with no personal data, a versioned service worker, a real manifest."""

from __future__ import annotations

import re
import shutil
import struct

import pytest

from fieldapp.models import Role
from fieldapp.shell.assets import shell_static_files, shell_version
from tests.conftest import login


def test_shell_page_carries_no_personal_data(client, make_team, make_user, make_child):
    team = make_team()
    worker = make_user(Role.WORKER, team, display_name="Personal Name Marker")
    make_child(team, worker, first_name="ChildMarker")
    login(client, worker)
    page = client.get("/app").get_data(as_text=True)
    assert "Personal Name Marker" not in page and worker.username not in page and "ChildMarker" not in page
    assert "csrf" not in page.lower()
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert '<script type="module" src="/static/js/app.js"></script>' in page
    assert client.get("/app").get_data(as_text=True) == page  # the same page for everyone, signed in or not
    client.post("/logout")
    assert client.get("/app").get_data(as_text=True) == page


def test_server_pages_stay_no_store(client, make_user):
    worker = make_user(Role.WORKER)
    login(client, worker)
    for path in ("/caseload", "/app", "/api/me"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_service_worker_is_served_from_the_root_with_its_version(app, client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    version = shell_version(app)
    assert f'const VERSION = "{version}";' in script
    assert version.startswith("0.1.0-")
    assert 'const CACHE_PREFIX = "fieldapp-static-";' in script
    assert "skipWaiting()" in script and 'event.data.type === "SKIP_WAITING"' in script
    assert 'url.pathname.startsWith("/api/")' in script


def test_everything_precached_exists(app, client):
    script = client.get("/sw.js").get_data(as_text=True)
    precache = eval(re.search(r"const PRECACHE = (\[.*?\]);", script).group(1))  # noqa: S307  (a JSON list)
    assert {
        "/app",
        "/manifest.webmanifest",
        "/static/js/app.js",
        "/static/js/vault.js",
        "/static/js/store.js",
        "/static/js/outbox.js",
        "/static/css/app.css",
        "/static/icons/icon-512.png",
    } <= set(precache)
    for url in precache:
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_changing_any_shell_file_changes_the_version(app, tmp_path):
    before = shell_version(app)
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    original = app.static_folder
    try:
        app.static_folder = str(static)
        assert shell_version(app) == before
        (static / "css" / "shell.css").write_text((static / "css" / "shell.css").read_text() + "\n/* changed */")
        assert shell_version(app) != before
    finally:
        app.static_folder = original
    assert set(shell_static_files(app)) >= {"js/app.js", "css/shell.css", "icons/icon-192.png"}


def test_configured_version_overrides_the_hash(app, client):
    app.config["SHELL_VERSION"] = "test-version"
    assert 'const VERSION = "test-version";' in client.get("/sw.js").get_data(as_text=True)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.json
    assert manifest["name"] == "fieldapp" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/app" and manifest["scope"] == "/"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as response:
            width, height = _png_size(response.data)
        assert f"{width}x{height}" == icon["sizes"]


@pytest.mark.parametrize("path", ["/app", "/sw.js", "/manifest.webmanifest"])
def test_shell_routes_need_no_session(client, path):
    assert client.get(path).status_code == 200
