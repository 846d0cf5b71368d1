"""Fixtures and helpers for driving the offline app shell: a seeded worker, enrolment, storage dumps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest

from fieldapp.cases.services import allocate
from fieldapp.crypto.sealing import generate_key
from fieldapp.extensions import db
from fieldapp.models import Child, LegalStatus, Role, Team, User
from tests.browser.conftest import wait_until
from tests.conftest import PASSWORD

PIN = "482915"
CHILD_MARKER = "Zephyrine-MARKER-CHILD"
ADDRESS_MARKER = "MARKER-ADDRESS-Lane"
RISK_MARKER = "MARKER-RISK-large-dog"


@dataclass
class Seeded:
    worker: User
    admin: User
    child_public_id: str


@pytest.fixture
def shell_server(live_server):
    """The live server with a sealing key and a worker allocated one child (marker strings in its details)."""
    app = live_server.app
    with app.app_context():
        generate_key(app.config["SEALING_KEYS_DIR"])
        team = Team(name="Shell team")
        worker = User(username="shell.worker", display_name="Shell Worker", role=Role.WORKER, team=team)
        admin = User(username="shell.admin", display_name="Shell Admin", role=Role.ADMIN)
        for user in (worker, admin):
            user.set_password(PASSWORD)
        child = Child(
            case_number="SHELL-1",
            first_name=CHILD_MARKER,
            last_name="Example",
            date_of_birth=date(2015, 3, 9),
            legal_status=LegalStatus.CHILD_PROTECTION,
            team=team,
            address=f"7 {ADDRESS_MARKER}, Demo Town",
            address_risk_notes=RISK_MARKER,
        )
        db.session.add_all([team, worker, admin, child])
        db.session.flush()
        allocate(child, worker, by=admin)
        db.session.commit()
        live_server.seeded = Seeded(worker, admin, child.public_id)
    return live_server


def visible(page, selector: str, timeout: float = 15000):
    try:
        page.wait_for_selector(f"{selector}:not([hidden])", timeout=timeout)
    except Exception as error:
        # Say what the app was showing instead: a bare timeout hides the reason.
        state = page.evaluate("""() => ({
          url: location.href,
          screens: [...document.querySelectorAll('.screen')].filter((s) => !s.hidden).map((s) => s.id),
          notices: document.getElementById('notices')?.textContent,
          errors: [...document.querySelectorAll('.error-message')].map((e) => e.textContent).filter(Boolean),
        })""")
        raise AssertionError(f"{selector} did not show; the app showed {state}") from error


def sign_in_form(page, url: str, username: str = "shell.worker", password: str = PASSWORD):
    page.goto(f"{url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")


def enrol(page, server, pin: str = PIN, device_name: str = "Test tablet"):
    """First run: sign in with the password online, set the PIN, register; wait for the worker to control."""
    sign_in_form(page, server.url)
    page.wait_for_url("**/app")
    visible(page, "#screen-setpin")
    page.fill("#new-pin", pin)
    page.fill("#confirm-pin", pin)
    page.fill("#device-name", device_name)
    page.click("#setpin-form button[type=submit]")
    visible(page, "#screen-home")
    page.wait_for_selector("#caseload-list li")
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, "navigator.serviceWorker.controller !== null")


def unlock(page, pin: str = PIN):
    visible(page, "#screen-unlock")
    page.fill("#unlock-pin", pin)
    page.click("#unlock-button")


PANEL = ".record-panel:not([hidden])"


def panel(page):
    """The record form on show in the visit editor."""
    return page.locator(PANEL)


def next_section(page):
    panel(page).locator(".form-section:not([hidden]) .section-nav button:not(.secondary)").click()


def start_visit(page):
    """Start a visit to the (first) child from home: the visit and its seen-alone draft open in the editor."""
    page.click("#caseload-list button:has-text('Start a visit')")
    visible(page, "#screen-record")
    page.wait_for_selector(f"{PANEL} #rf-visit-form")


def show_record(page, label: str):
    page.click(f"#record-tabs button:has-text('{label}')")
    page.wait_for_selector(f"{PANEL}[aria-label='{label}']")


def back_home(page):
    page.click("#record-back")
    visible(page, "#screen-home")


def fill_visit(page, location: str, observations: str, seen: bool = True):
    """The visit's required fields (a child protection visit); `location` shows in the drafts list."""
    show_record(page, "Visit")
    form = panel(page)
    form.get_by_label("Child protection plan").check()
    page.fill("#rf-visit-start_time", "10:00")
    page.fill("#rf-visit-end_time", "11:15")
    page.fill("#rf-visit-location", location)
    next_section(page)
    page.check("#rf-visit-child_seen" if seen else "#rf-visit-child_seen-1")
    next_section(page)
    page.fill("#rf-visit-observations", observations)


def fill_seen_alone(page, wishes: str = "Wants more time with their nan."):
    show_record(page, "Seen alone")
    page.check("#rf-seen_alone-seen_alone")
    page.fill("#rf-seen_alone-where_seen", "Their bedroom")
    next_section(page)
    page.fill("#rf-seen_alone-wishes_and_feelings", wishes)
    panel(page).get_by_label("Talking with the child").check()


def save_note(page, title: str, body: str):
    """A record draft with two typed strings (the old shell-note helper's contract): a visit started from the
    caseload, `title` as its location (shown in the drafts list), `body` as its observations."""
    start_visit(page)
    show_record(page, "Visit")
    page.fill("#rf-visit-location", title)
    next_section(page)
    next_section(page)
    page.fill("#rf-visit-observations", body)
    back_home(page)
    page.wait_for_selector(f"#drafts-list li:has-text('{title}')")


def hold_outbox(page):
    """Make the push endpoint unreachable for this page, as in a home with no signal for sending.

    The app syncs as soon as something is sealed; tests about what the device keeps in its outbox need the
    items to stay there. Everything else (unlock, caseload, revocation checks) still reaches the server.
    """
    page.route("**/api/sync/push", lambda route: route.abort("internetdisconnected"))


def seal_visit(page, location: str, observations: str):
    """A complete statutory visit with its seen-alone record, finalized: two sealed items held in the outbox."""
    hold_outbox(page)
    before = page.locator("#outbox-list li").count()
    start_visit(page)
    fill_visit(page, location, observations)
    fill_seen_alone(page)
    page.click("#record-finalize")
    visible(page, "#screen-home")
    page.wait_for_selector(f"#outbox-list li >> nth={before + 1}")


def device_id(page) -> str | None:
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open("fieldapp");
        open.onsuccess = () => {
          const get = open.result.transaction("meta").objectStore("meta").get("device");
          get.onsuccess = () => { resolve(get.result ? get.result.value.id : null); open.result.close(); };
          get.onerror = () => reject(get.error);
        };
        open.onerror = () => reject(open.error);
    })""")


def idb_rows(page, store: str) -> list:
    """All rows of one store, binary fields as lists of byte values."""
    return json.loads(
        page.evaluate(
            """(store) => new Promise((resolve, reject) => {
        const open = indexedDB.open("fieldapp");
        open.onsuccess = () => {
          const all = open.result.transaction(store).objectStore(store).getAll();
          all.onsuccess = () => {
            open.result.close();
            resolve(JSON.stringify(all.result, (k, v) =>
              (v instanceof Uint8Array || v instanceof ArrayBuffer) ? Array.from(new Uint8Array(v)) : v));
          };
          all.onerror = () => reject(all.error);
        };
        open.onerror = () => reject(open.error);
    })""",
            store,
        )
    )


DUMP_JS = """async () => {
  const bytes = (v) => Array.from(new Uint8Array(v)).map((b) => String.fromCharCode(b)).join("");
  const replacer = (k, v) => (v instanceof Uint8Array || v instanceof ArrayBuffer) ? {raw: bytes(v)} : v;
  const out = {indexeddb: {}, caches: {}, localStorage: {}, sessionStorage: {}};
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open(info.name);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    for (const store of db.objectStoreNames) {
      const read = (method) => new Promise((resolve, reject) => {
        const request = db.transaction(store).objectStore(store)[method]();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const content = {keys: await read("getAllKeys"), rows: await read("getAll")};
      out.indexeddb[`${info.name}/${store}`] = JSON.stringify(content, replacer);
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      out.caches[`${name} ${request.url}`] = bytes(await response.arrayBuffer());
    }
  }
  for (const [target, storage] of [["localStorage", localStorage], ["sessionStorage", sessionStorage]]) {
    for (let i = 0; i < storage.length; i += 1) out[target][storage.key(i)] = storage.getItem(storage.key(i));
  }
  return out;
}"""


def dump_device_storage(page) -> dict:
    """Every IndexedDB store (keys and rows, binary as raw bytes), every Cache Storage entry, local/session storage."""
    return page.evaluate(DUMP_JS)
