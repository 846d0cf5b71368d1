"""Editing records that are already on the server, in real Chromium (issue 11, part B):
return → amend → resend → sign-off through the UI alone, a correction after sign-off awaiting sign-off again, and
two devices editing the same synced record offline — a soft conflict merges, a hard one reaches reconciliation,
and the resolution reaches both devices."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import Role, Team, User
from fieldapp.records.store import get_record_row, read_body
from sync.tables import conflicts, record_revisions, records
from tests.browser.conftest import assert_accessible, wait_until
from tests.browser.shell_fixtures import (  # noqa: F401  (fixture)
    PANEL,
    enrol,
    fill_seen_alone,
    fill_visit,
    next_section,
    shell_server,
    sign_in_form,
    start_visit,
    visible,
)
from tests.browser.test_sync_client import fresh, recent_visit, seal, wait_synced
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def add_colleague(server, username: str, role: Role) -> None:
    with server.app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == "Shell team"))
        user = User(username=username, display_name=f"Fictional {role.value.title()}", role=role, team=team)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()


def sync_now(page):
    fresh(page)
    page.click("#sync-now")
    wait_synced(page)


def kinds(server, record_id: str) -> list[str]:
    with server.app.app_context():
        return list(
            db.session.scalars(
                select(record_revisions.c.kind)
                .where(record_revisions.c.record_id == record_id)
                .order_by(record_revisions.c.revision)
            )
        )


def row(server, record_id: str):
    with server.app.app_context():
        found = get_record_row(record_id)
        return found, read_body(found)


def show_records(page):
    """Expand the (first) child's records on this device, freshly read from the vault."""
    toggle = page.locator("#caseload-list button[aria-controls^='child-records-']").first
    if toggle.get_attribute("aria-expanded") == "true":
        toggle.click()
    toggle.click()
    page.wait_for_selector(".child-records:not([hidden]) li")


def open_from_records(page, verb: str):
    """The child's records on this device, then the first record's Correct/Amend button."""
    show_records(page)
    page.locator(f".child-records button:text-is('{verb}')").first.click()
    visible(page, "#screen-record")
    page.wait_for_selector(f"{PANEL} #rf-visit-form")


def visit_section(page, field: str):
    """Move the visit form to the section holding `field` (1: where, 3: what was observed)."""
    for _ in range({"location": 0, "observations": 2}[field]):
        next_section(page)


def edit_and_finalize(page, field: str, text: str):
    visit_section(page, field)
    page.fill(f"#rf-visit-{field}", text)
    fresh(page)  # the next "Up to date" is the sync this sends
    page.click("#record-finalize")
    visible(page, "#screen-home")


def manager_decides(manager_page, server, record_id: str, button: str, comment: str):
    manager_page.goto(f"{server.url}/records/{record_id}")
    manager_page.get_by_label("Management comment").fill(comment)
    manager_page.get_by_role("button", name=button).click()
    manager_page.wait_for_url("**/review/awaiting")


def test_return_amend_resend_sign_off_then_correct_after_sign_off(shell_server, browser, page):  # noqa: F811
    server = shell_server
    add_colleague(server, "shell.manager", Role.MANAGER)
    enrol(page, server)
    start_visit(page)
    fill_visit(page, "Front room (fictional)", "First words (fictional).")
    fill_seen_alone(page)
    fresh(page)  # the next "Up to date" is the sync this sends
    page.click("#record-finalize")
    visible(page, "#screen-home")
    wait_synced(page)
    with server.app.app_context():
        visit_id = db.session.scalar(select(records.c.id).where(records.c.record_type == "visit"))

    manager = browser.new_context()
    manager_page = manager.new_page()
    sign_in_form(manager_page, server.url, username="shell.manager")
    manager_decides(manager_page, server, visit_id, "Return to worker", "Add what the child said (fictional).")

    sync_now(page)
    notice = page.locator("#sync-notices li", has_text="returned")
    amend = notice.locator("button[data-amend]")
    amend.wait_for()
    wait_until(
        page,
        "() => /Amend Visit of .+ for Zephyrine-MARKER-CHILD/.test("
        "document.querySelector('#sync-notices button[data-amend]').textContent)",
    )
    assert_accessible(page, "home with a returned notice")
    amend.click()  # one tap from the notice
    visible(page, "#screen-record")
    page.wait_for_selector(f"{PANEL} #rf-visit-form")
    visit_section(page, "observations")
    expect(page.locator("#rf-visit-observations")).to_have_value("First words (fictional).")
    page.fill("#rf-visit-observations", "First words, and what the child said (fictional).")
    fresh(page)  # the next "Up to date" is the sync this sends
    page.click("#record-finalize")
    visible(page, "#screen-home")
    wait_synced(page)
    found, body = row(server, visit_id)
    assert (found.revision, found.review_state) == (2, "submitted")
    assert body["observations"] == "First words, and what the child said (fictional)."
    assert kinds(server, visit_id) == ["device", "amendment"]

    manager_decides(manager_page, server, visit_id, "Sign off", "Thorough now (fictional).")
    assert row(server, visit_id)[0].review_state == "signed_off"

    # After sign-off, a correction is a new amendment that goes back for sign-off.
    sync_now(page)
    open_from_records(page, "Amend")
    edit_and_finalize(page, "location", "Kitchen, corrected (fictional)")
    wait_synced(page)
    found, body = row(server, visit_id)
    assert (found.revision, found.review_state, body["location"]) == (3, "submitted", "Kitchen, corrected (fictional)")
    assert kinds(server, visit_id) == ["device", "amendment", "amendment"]
    manager_page.goto(f"{server.url}/review/awaiting")
    assert visit_id in manager_page.inner_html("main").split("Returned")[0]
    sync_now(page)
    show_records(page)
    assert "Version 3 · Awaiting sign-off" in page.text_content(".child-records")
    assert_accessible(page, "the child's records on the device")
    boxes = page.locator(".child-records button, #caseload-list button").evaluate_all(
        "(nodes) => nodes.map((n) => n.getBoundingClientRect()).map((r) => [r.width, r.height])"
    )
    assert all(w >= 44 and h >= 44 for w, h in boxes), boxes
    manager.close()


def two_devices(server, browser, page):
    """Device A (`page`) with one synced visit; device B, the same worker's second tablet, has pulled it."""
    enrol(page, server)
    wait_synced(page)
    body = recent_visit(server.seeded.child_public_id)
    fresh(page)
    seal(page, [body])
    wait_synced(page)
    other = browser.new_context(viewport={"width": 768, "height": 1024})
    page_b = other.new_page()
    page_b.set_default_timeout(15000)
    enrol(page_b, server, device_name="Second tablet")
    wait_synced(page_b)
    return body["id"], other, page_b


def both_offline_edit(devices, edits, verb="Correct"):
    for (context, page), (field, text) in zip(devices, edits, strict=True):
        context.set_offline(True)
        page.wait_for_selector("#status-network[data-state=offline]")
        open_from_records(page, verb)
        edit_and_finalize(page, field, text)
        # The pill is refreshed just after the home screen shows: wait for it, never read it once.
        expect(page.locator("#status-unsynced")).to_have_text("1 unsynced")


def back_online(context, page):
    fresh(page)
    context.set_offline(False)
    wait_synced(page)


def test_two_devices_soft_merge_hard_conflict_and_resolution_reaches_both(shell_server, browser, context, page):  # noqa: F811
    server = shell_server
    add_colleague(server, "shell.support", Role.SUPPORT)
    record_id, context_b, page_b = two_devices(server, browser, page)
    a, b = (context, page), (context_b, page_b)

    # Different fields on the two tablets: merged, flagged soft.
    both_offline_edit(
        [a, b],
        [("location", "Garden (device A, fictional)"), ("observations", "Calm and playful (device B, fictional).")],
    )
    back_online(*a)
    back_online(*b)
    found, body = row(server, record_id)
    assert (found.revision, found.conflict_state) == (3, "soft")
    assert body["location"] == "Garden (device A, fictional)"
    assert body["observations"] == "Calm and playful (device B, fictional)."
    expect(page_b.locator("#outbox-list li")).to_have_count(0)

    # The same field on both: the second one to arrive is held whole for support staff.
    sync_now(page)
    sync_now(page_b)
    both_offline_edit(
        [a, b],
        [
            ("observations", "Tearful at first (device A, fictional)."),
            ("observations", "Quiet all visit (device B, fictional)."),
        ],
    )
    back_online(*a)
    back_online(*b)
    page_b.wait_for_selector("#outbox-list li[data-state=conflict]")
    found, body = row(server, record_id)
    assert (found.revision, found.conflict_state) == (4, "hard")
    with server.app.app_context():
        held = db.session.execute(
            select(conflicts).where(conflicts.c.record_id == record_id, conflicts.c.kind == "hard")
        ).one()
    assert held.state == "open"

    support = browser.new_context()
    support_page = support.new_page()
    sign_in_form(support_page, server.url, username="shell.support")
    support_page.goto(f"{server.url}/reconcile/")
    support_page.locator(f"a[href$='/reconcile/{held.id}']").click()  # the queue holds the soft merge too
    observations = support_page.get_by_role("group", name=re.compile("Observations"))
    observations.get_by_label("Take the tablet's value").check()
    support_page.get_by_label("Why these choices?").fill("Both tablets' words checked with the worker (fictional).")
    support_page.get_by_role("button", name=re.compile("Resolve")).click()
    support_page.get_by_text("Conflict resolved").wait_for()
    support.close()
    found, body = row(server, record_id)
    assert (found.revision, found.conflict_state) == (5, "soft")  # the earlier merge still waits to be confirmed
    with server.app.app_context():
        assert db.session.scalar(select(conflicts.c.state).where(conflicts.c.id == held.id)) == "resolved"
    assert body["observations"] == "Quiet all visit (device B, fictional)."

    for device_page in (page, page_b):  # the resolution reaches both tablets by pull
        sync_now(device_page)
        pulled = device_page.evaluate("async (id) => (await import('/static/js/store.js')).loadRecord(id)", record_id)
        assert (pulled["revision"], pulled["body"]["observations"]) == (5, "Quiet all visit (device B, fictional).")
        show_records(device_page)
        assert "Version 5" in device_page.text_content(".child-records")
    context_b.close()
