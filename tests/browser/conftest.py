"""Real-browser harness: Playwright driving Debian's Chromium against a live threaded server."""

from __future__ import annotations

import itertools
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from bench.chromium import CHROMIUM, CHROMIUM_ARGS  # one list of flags for the browser tests and benchmarks
from fieldapp.extensions import db
from tests.conftest import make_app, require

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    require(shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": f"{home}/.config", "XDG_CACHE_HOME": f"{home}/.cache"}
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


_device_seq = itertools.count(1)


def push_record(app, child_public_id, username, body, record_id=None, base_revision=0, device_id="tablet-a"):
    """One record pushed through the real sync engine by `username`, as their tablet would; returns its result."""
    from fieldapp.models import User
    from fieldapp.records.store import push_context
    from sync import PushOp, apply_push

    with app.app_context():
        author = db.session.query(User).filter_by(username=username).one()
        record_id = record_id or str(uuid.uuid4())
        body = {**body, "id": record_id, "child_id": child_public_id}
        op = PushOp(
            op_id=str(uuid.uuid4()),
            record_id=record_id,
            record_type=body["record_type"],
            schema_version=1,
            device_id=device_id,
            device_seq=next(_device_seq),
            base_revision=base_revision,
            child_id=child_public_id,
            body=body,
        )
        [result] = apply_push(db.session, [op], push_context(author.id, device_id, datetime.now(UTC)))
        db.session.commit()
        assert result.status.value != "rejected", result
        return result


def wait_until(page, expression: str, arg=None, timeout: float = 15_000) -> None:
    """page.wait_for_function, made safe from the app's CSP.

    Playwright's in-page polling may evaluate a string predicate again later, where the app's CSP (no
    'unsafe-eval') refuses it: CI once failed with "EvalError ... 'unsafe-eval' is not an allowed source" on
    "navigator.serviceWorker.controller !== null" (microsoft/playwright#7395). Then this polls from here instead,
    one page.evaluate() at a time (not subject to the page's CSP), until the deadline; a navigation part-way (its
    context destroyed) is polled again.
    """
    deadline = time.monotonic() + timeout / 1000
    try:
        page.wait_for_function(expression, arg=arg, timeout=timeout)
        return
    except PlaywrightError as error:
        if "unsafe-eval" not in str(error):
            raise
    while True:
        try:
            if page.evaluate(expression, arg):
                return
        except PlaywrightError as error:
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout / 1000:.0f} s: {expression}")
        page.wait_for_timeout(50)


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


@dataclass
class SeededPeople:
    worker: object
    manager: object
    support: object
    admin: object
    child: object
    other_child: object


@pytest.fixture
def seeded(live_server):
    """A team with one person of every role, an allocated child with risk notes and an unallocated one."""
    from datetime import date

    from fieldapp.cases.services import allocate
    from fieldapp.models import Child, LegalStatus, Role, Team, User
    from tests.conftest import PASSWORD

    with live_server.app.app_context():
        team = Team(name="Browser Team (fictional)")
        people = {}
        for role in Role:
            user = User(
                username=f"b.{role.value}",
                display_name=f"Browser {role.value.title()} (fictional)",
                role=role,
                team=None if role == Role.ADMIN else team,
            )
            user.set_password(PASSWORD)
            db.session.add(user)
            people[role.value] = user
        child = Child(
            case_number="BRW-0001",
            first_name="Pip",
            last_name="Example",
            date_of_birth=date(2017, 2, 3),
            legal_status=LegalStatus.CHILD_PROTECTION,
            address="9 Example Street, Demo Town, ZZ99 9ZZ",
            address_risk_notes="Large dog; visit in pairs after dark (fictional)",
            team=team,
            cp_visit_interval_working_days=10,
        )
        other = Child(
            case_number="BRW-0002",
            first_name="Nell",
            last_name="Sample",
            date_of_birth=date(2012, 8, 9),
            legal_status=LegalStatus.LOOKED_AFTER,
            team=team,
        )
        db.session.add_all([child, other])
        db.session.flush()
        allocate(child, people["worker"], by=people["admin"])
        db.session.commit()
        seeded = SeededPeople(
            child=child.public_id, other_child=other.public_id, **{role: user.username for role, user in people.items()}
        )
    return seeded


def sign_in(page, base_url: str, username: str) -> None:
    """Sign in through the real form (CSRF token and all)."""
    from tests.conftest import PASSWORD

    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def assert_accessible(page, label: str = "") -> None:
    """axe-core in the page: no serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in bad
    )
    assert not bad, f"axe violations on {label or page.url}:\n{details}"


from tests.browser.shell_fixtures import shell_server  # noqa: E402,F401  (the app-shell tests' server)
