"""The child's own mode (issue 18), in real Chromium: the child types, picks picture words and draws with pointer
events; the worker reads it back with them and takes the tablet back with the PIN; the words arrive verbatim and
marked as the child's, the drawing as an encrypted attachment only the worker and their manager can open. Every
way out of the mode the page can see ends back in it or at the PIN prompt."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import Role, User
from fieldapp.records.store import read_body
from sync.tables import record_attachments, records
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.shell_fixtures import (
    PIN,
    enrol,
    fill_visit,
    panel,
    show_record,
    start_visit,
    unlock,
    visible,
)
from tests.browser.test_shell_contracts import axe_violations
from tests.browser.test_sync_client import fresh, wait_synced
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
WORRIES = "When they shout at night.  I hide under my duvet\nand wait"
GOOD = "Playing football with Sam (MARKER-GOOD)"
FOR_WORKER = "I want to stay at my nan's on Fridays — MARKER-FOR-WORKER"
SIZES = {"tablet portrait": (768, 1024), "tablet landscape": (1024, 768), "phone": (390, 844)}
SCREENS_JS = "[...document.querySelectorAll('.screen')].filter((s) => !s.hidden).map((s) => s.id)"


def enter_child_mode(page):
    page.click("#child-mode-start")
    visible(page, "#screen-child")
    page.wait_for_selector("#child-text-worries")


def where(page) -> tuple[str, list[str]]:
    return page.evaluate("location.pathname"), page.evaluate(SCREENS_JS)


def assert_still_held(page, how: str):
    """In child mode, or at the PIN prompt of a page that is still sealed in it: never anywhere else."""
    page.wait_for_timeout(300)
    # A navigation out of the document (e.g. history.go past our entries) boots the app again: wait for it.
    for _ in range(50):
        screens = page.evaluate(f"() => {SCREENS_JS}") if page.evaluate("location.pathname") == "/app" else []
        if len(screens) == 1 and screens != ["screen-loading"]:
            break
        page.wait_for_timeout(200)
    path, screens = where(page)
    assert path == "/app" and screens in (["screen-child"], ["screen-unlock"]), f"after {how}: {path} {screens}"
    assert page.evaluate("document.body.classList.contains('child-mode')"), f"after {how}: not sealed"


def step(page, name: str):
    page.click(f"#child-steps button:has-text('{name}')")


def draw(page):
    """Two strokes with the mouse, as a finger would make them (pointerdown, moves, pointerup)."""
    step(page, "Draw")
    canvas = page.locator("#child-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for y in (0.3, 0.6):
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * y)
        page.mouse.down()
        for i in range(1, 11):
            page.mouse.move(box["x"] + box["width"] * (0.2 + i * 0.06), box["y"] + box["height"] * (y + i * 0.01))
        page.mouse.up()


def server_rows(server, child_id: str) -> dict:
    from fieldapp.models import Child

    with server.app.app_context():
        child = db.session.scalar(select(Child).where(Child.public_id == child_id))
        rows = db.session.execute(select(records).where(records.c.child_id == child.id)).all()
        found = {row.record_type: (row.id, read_body(row)) for row in rows}
        attachments = db.session.execute(select(record_attachments)).all()
        kept = [(a.id, a.record_id, a.mime, a.size, bytes(a.data)) for a in attachments]
        return {"records": found, "attachments": kept}


def people(server) -> tuple[str, str]:
    """A manager of the worker's team and a worker in the same team who is not allocated the child."""
    with server.app.app_context():
        worker = db.session.scalar(select(User).where(User.username == "shell.worker"))
        for name, role in (("shell.manager", Role.MANAGER), ("shell.other", Role.WORKER)):
            user = User(username=name, display_name=f"Fictional {name}", role=role, team=worker.team)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    return "shell.manager", "shell.other"


def test_the_childs_drawing_and_words_arrive_as_their_own_and_only_their_people_can_see_them(
    shell_server, browser, page
):
    server = shell_server
    enrol(page, server)
    start_visit(page)
    fill_visit(page, "Their home", "Observed play.")
    show_record(page, "Seen alone")
    page.check("#rf-seen_alone-seen_alone")
    page.fill("#rf-seen_alone-where_seen", "Their bedroom")
    enter_child_mode(page)

    page.click("#child-text-worries")
    page.keyboard.type(WORRIES, delay=5)
    page.get_by_role("button", name="Feeling scared").click()
    page.get_by_role("button", name="Next: Good things").click()
    page.fill("#child-text-good_things", GOOD)
    step(page, "For my worker")
    page.click("#child-text-for_worker")
    page.keyboard.type(FOR_WORKER, delay=5)
    draw(page)
    step(page, "Read it together")
    assert page.inner_text("#child-page .child-words >> nth=0") == f"{WORRIES}, feeling scared"
    page.get_by_role("img", name="The drawing you made").wait_for()
    page.click("#child-read-together")
    page.click("#child-give-back")

    page.fill("#child-pin", "000000")  # a wrong PIN does not leave
    page.click("#child-leave-submit")
    page.wait_for_selector("#child-leave-error:not([hidden])")
    assert "not right" in page.inner_text("#child-leave-error")
    assert_still_held(page, "a wrong PIN")
    page.fill("#child-pin", PIN)
    page.click("#child-leave-submit")
    visible(page, "#screen-record")
    assert not page.evaluate("document.body.classList.contains('child-mode')")

    show_record(page, "Three Houses")
    expect(page.locator("#rf-three_houses-worries")).to_have_value(f"{WORRIES}, feeling scared")
    show_record(page, "Seen alone")
    panel(page).locator(".form-section:not([hidden]) .section-nav button:not(.secondary)").click()
    expect(page.locator("#rf-seen_alone-wishes_and_feelings")).to_have_value(FOR_WORKER)
    fresh(page)
    page.click("#record-finalize")
    visible(page, "#screen-home")
    page.wait_for_selector("#sent-list li >> nth=2")
    wait_synced(page)

    stored = server_rows(server, server.seeded.child_public_id)
    houses_id, houses = stored["records"]["three_houses"]
    assert houses["worries"] == f"{WORRIES}, feeling scared" and houses["good_things"] == GOOD
    assert houses["written_by"] == "child" and houses["read_back"] is True
    assert "dreams" not in houses
    _, alone = stored["records"]["seen_alone"]
    assert alone["wishes_and_feelings"] == FOR_WORKER and alone["how_captured"] == ["child_wrote"]
    [(attachment_id, record_id, mime, size, blob)] = stored["attachments"]
    assert (attachment_id, record_id, mime) == (houses["drawing"]["attachment_id"], houses_id, "image/png")
    assert size == houses["drawing"]["size"] and not blob.startswith(b"\x89PNG")  # encrypted at rest

    url = f"{server.url}/records/{houses_id}/attachments/{attachment_id}"
    mine = page.request.get(url)
    assert mine.status == 200 and mine.headers["content-type"] == "image/png"
    png = mine.body()
    assert png.startswith(b"\x89PNG") and len(png) == size
    manager_name, other_name = people(server)
    for name, allowed in ((manager_name, True), (other_name, False)):
        context = browser.new_context()
        try:
            other_page = context.new_page()
            sign_in(other_page, server.url, name)
            answer = other_page.request.get(url)
            assert (answer.status == 200 and answer.body() == png) if allowed else answer.status in (403, 404), name
        finally:
            context.close()


def test_no_way_out_of_child_mode_but_the_workers_pin(shell_server, page):
    server = shell_server
    enrol(page, server)
    start_visit(page)
    enter_child_mode(page)
    page.fill("#child-text-worries", "MARKER-KEPT-ACROSS-RELOAD")

    for key in ("Escape", "Alt+ArrowLeft", "Alt+ArrowRight", "Alt+Home", "F5", "Control+r", "Control+l"):
        page.keyboard.press(key)
        assert_still_held(page, key)
    # Every link still in the page, clicked from script (hidden or not): none navigates.
    hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'))")
    assert hrefs, "the shell keeps links in its DOM (top bar, sign-in); each must be dead in child mode"
    for index, href in enumerate(hrefs):
        page.evaluate("(i) => document.querySelectorAll('a[href]')[i].click()", index)
        assert_still_held(page, f"clicking {href}")
        assert page.evaluate(SCREENS_JS) == ["screen-child"]
    assert page.evaluate("document.getElementById('safety-link').closest('[inert]') !== null")
    for _ in range(3):
        page.go_back()
        assert_still_held(page, "history back")
        assert page.evaluate(SCREENS_JS) == ["screen-child"]
    # Further back than the app's own entries is another document: it boots sealed, at the PIN prompt.
    page.evaluate("history.go(-2)")
    assert_still_held(page, "history.go(-2)")
    unlock(page)
    visible(page, "#screen-child")

    page.reload()
    assert_still_held(page, "reload")
    visible(page, "#screen-unlock")
    page.go_back()
    assert_still_held(page, "back at the PIN prompt")
    unlock(page)
    visible(page, "#screen-child")
    expect(page.locator("#child-text-worries")).to_have_value("MARKER-KEPT-ACROSS-RELOAD")
    assert page.evaluate(SCREENS_JS) == ["screen-child"]


def test_idle_lock_waits_in_child_mode_and_applies_again_once_left(shell_server, page):
    server = shell_server
    enrol(page, server)
    # A short idle time for this device (the vault keeps it with the wrapped key).
    page.evaluate("""async () => {
      const idb = await import('/static/js/idb.js');
      const vault = await idb.get('meta', 'vault');
      await idb.put('meta', {...vault, idleSeconds: 3});
    }""")
    page.click("#lock-button")
    unlock(page)
    visible(page, "#screen-home")
    start_visit(page)
    enter_child_mode(page)
    page.wait_for_timeout(5000)
    assert page.evaluate(SCREENS_JS) == ["screen-child"]
    page.click("#child-leave")
    page.fill("#child-pin", PIN)
    page.click("#child-leave-submit")
    visible(page, "#screen-record")
    visible(page, "#screen-unlock", timeout=9000)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_child_mode_is_accessible_with_large_targets_at_every_size(shell_server, page, size):
    server = shell_server
    enrol(page, server)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    start_visit(page)
    enter_child_mode(page)
    for name in ("Worries", "Draw", "Read it together"):
        step(page, name)
        assert_accessible(page, f"child mode, {name}, {size}")
        assert axe_violations(page) == [], f"child mode, {name}, {size}"  # as strict as the shell's own screens
        small = page.evaluate("""() => [...document.querySelectorAll(`#screen-child button, #screen-child textarea,
            #screen-child input, #screen-child canvas`)].filter((e) => e.offsetParent !== null).map((e) => {
              const r = e.getBoundingClientRect();
              return [e.id || e.textContent.trim(), Math.round(r.width), Math.round(r.height)];
            }).filter(([, w, h]) => w < 44 || h < 44)""")
        assert not small, f"targets under 44 px at {size}: {small}"
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not wide, f"child mode scrolls sideways at {size}"
    page.click("#child-leave")
    assert_accessible(page, f"child mode, worker's PIN, {size}")


def test_the_childs_words_follow_the_workers_and_the_record_says_both_wrote(shell_server, page):
    server = shell_server
    enrol(page, server)
    start_visit(page)
    page.click("#record-add button:has-text('Add Three Houses')")
    page.wait_for_selector(".record-panel:not([hidden])[aria-label='Three Houses']")
    page.fill("#rf-three_houses-worries", "Worker noted: MARKER-WORKER")
    enter_child_mode(page)
    page.fill("#child-text-worries", "MARKER-CHILD-OWN")
    page.click("#child-leave")
    page.fill("#child-pin", PIN)
    page.click("#child-leave-submit")
    visible(page, "#screen-record")
    show_record(page, "Three Houses")
    expect(page.locator("#rf-three_houses-worries")).to_have_value("Worker noted: MARKER-WORKER\n\nMARKER-CHILD-OWN")
    panel(page).locator(".section-nav button:not(.secondary)").first.click()
    assert panel(page).get_by_label("The child and I together").is_checked()
    # Not read back together in child mode: the worker still answers that question.
    read_back = page.locator("[id^='rf-three_houses-read_back']:checked")
    assert page.locator("[id^='rf-three_houses-read_back']").count() and read_back.count() == 0
