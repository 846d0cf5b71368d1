"""Real-browser harness: Playwright driving Debian's Chromium against a live threaded server."""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from fieldapp.extensions import db
from tests.conftest import make_app, require

CHROMIUM = os.environ.get("FIELDAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-default-apps", "--disable-extensions",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    require(shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": f"{home}/.config",
           "XDG_CACHE_HOME": f"{home}/.cache"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
        yield browser
        browser.close()


@dataclass
class LiveServer:
    url: str
    app: object
    server: object

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def live_server(tmp_path, request):
    """The app on a fresh SQLite store, served on a random loopback port in a daemon thread."""
    app = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, server=server)
    yield live
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page


from tests.browser.shell_fixtures import shell_server  # noqa: E402,F401  (the app-shell tests' server)
