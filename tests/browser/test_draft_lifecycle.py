"""Draft lifecycle in the visit editor and on home: discard a visit, remove a record added by mistake — each after
a confirmation saying what will be lost, with an undo while the data stays in the vault — and drafts waiting too
long listed for attention, never deleted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, wait_until
from tests.browser.shell_fixtures import (
    PANEL,
    back_home,
    enrol,
    fill_seen_alone,
    fill_visit,
    idb_rows,
    start_visit,
    unlock,
    visible,
)

pytestmark = pytest.mark.browser
DRAFT_STATE_JS = """async () => {
  const store = await import('/static/js/store.js');
  return (await store.listDrafts()).filter((e) => e.ok).map((e) => ({ type: e.draft.recordType || e.draft.kind,
    removed: Boolean(e.draft.removedAt), updatedAt: e.draft.updatedAt, location: e.draft.body?.location || null }));
}"""


def drafts(page):
    return page.evaluate(DRAFT_STATE_JS)


def assert_touch_targets(page, selector):
    for box in [element.bounding_box() for element in page.locator(selector).all()]:
        assert box and box["height"] >= 44 and box["width"] >= 44, f"{selector} is smaller than 44 px: {box}"


def add_record(page, label):
    page.click(f"#record-add button:has-text('Add {label}')")
    page.wait_for_selector(f"{PANEL}[aria-label='{label}']")


def test_discard_asks_says_what_is_lost_and_can_be_undone(shell_server, page):
    enrol(page, shell_server)
    start_visit(page)
    fill_visit(page, "Discard me", "Some words that would be lost")
    back_home(page)
    page.wait_for_selector("#drafts-list li:has-text('Discard me')")
    assert_touch_targets(page, "#drafts-list button")
    assert_touch_targets(page, "#caseload-search")
    page.click("#drafts-list button:has-text('Discard')")
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    text = dialog.inner_text()
    assert "Discard the visit to" in text and "Visit:" in text and "Seen alone:" in text
    assert "characters written" in text and "undo for 10 seconds" in text
    assert_accessible(page, "discard confirmation")
    assert_touch_targets(page, "#confirm-dialog button")
    page.click("#confirm-no")  # keep it: nothing changes
    assert not any(d["removed"] for d in drafts(page))
    page.click("#drafts-list button:has-text('Discard')")
    page.click("#confirm-yes")
    page.wait_for_selector("#undo-bar:not([hidden])")
    assert "Discard me" not in page.text_content("#drafts-list")
    assert_accessible(page, "undo bar")
    assert page.locator("#undo-button").bounding_box()["height"] >= 44
    # Until the undo expires the data is still in the vault, only flagged.
    state = drafts(page)
    assert len(state) == 2 and all(d["removed"] for d in state)
    page.click("#undo-button")
    page.wait_for_selector("#drafts-list li:has-text('Discard me')")
    assert not any(d["removed"] for d in drafts(page))

    page.click("#drafts-list button:has-text('Discard')")
    page.click("#confirm-yes")
    page.wait_for_selector("#undo-bar:not([hidden])")
    page.wait_for_selector("#undo-bar", state="hidden", timeout=13000)  # the undo expired: now deleted
    wait_until(page, "async () => (await (await import('/static/js/store.js')).listDrafts()).length === 0")
    assert idb_rows(page, "drafts") == []


def test_discard_survives_a_reload_within_the_undo_time(shell_server, page):
    enrol(page, shell_server)
    start_visit(page)
    fill_visit(page, "Reloaded discard", "words")
    back_home(page)
    page.click("#drafts-list button:has-text('Discard')")
    page.click("#confirm-yes")
    page.wait_for_selector("#undo-bar:not([hidden])")
    page.reload()
    unlock(page)
    visible(page, "#screen-home")
    page.wait_for_selector("#undo-bar:not([hidden])")  # still undoable for the time left
    page.click("#undo-button")
    page.wait_for_selector("#drafts-list li:has-text('Reloaded discard')")


def test_removed_record_is_not_demanded_at_finalize_and_can_be_undone(shell_server, page):
    enrol(page, shell_server)
    page.route("**/api/sync/push", lambda route: route.abort("internetdisconnected"))
    start_visit(page)
    fill_visit(page, "Remove a record", "Observed")
    fill_seen_alone(page)
    add_record(page, "Three Houses")  # added by mistake, left empty
    assert_touch_targets(page, "#record-tabs button")
    assert_accessible(page, "editor with remove buttons")
    page.click("#record-tabs button[aria-label='Remove Three Houses from this visit']")
    text = page.locator("#confirm-dialog").inner_text()
    assert "Remove Three Houses from this visit?" in text and "Three Houses:" in text
    page.click("#confirm-yes")
    page.wait_for_selector("#undo-bar:not([hidden])")
    expect(page.locator("#record-tabs button:has-text('Three Houses')")).to_have_count(0)
    assert [d for d in drafts(page) if d["type"] == "three_houses"][0]["removed"]
    page.click("#undo-button")
    page.wait_for_selector("#record-tabs button:has-text('Three Houses')")
    page.click("#record-tabs button[aria-label='Remove Three Houses from this visit']")
    page.click("#confirm-yes")
    page.wait_for_selector("#record-tabs button:has-text('Three Houses')", state="detached")
    page.click("#record-finalize")  # the removed record's empty fields are not demanded
    visible(page, "#screen-home")
    page.wait_for_selector("#outbox-list li >> nth=1")
    expect(page.locator("#outbox-list li")).to_have_count(2)


def test_seen_alone_removed_unlinks_the_visit_and_visit_type_follows_legal_status(shell_server, page):
    enrol(page, shell_server)
    start_visit(page)
    assert page.locator(PANEL).get_by_label("Child protection plan").is_checked()  # from the legal status
    page.click("#record-tabs button[aria-label='Remove Seen alone from this visit']")
    page.click("#confirm-yes")
    page.wait_for_selector("#record-tabs button:has-text('Seen alone')", state="detached")
    page.wait_for_selector("#record-saved:has-text('All changes saved')")
    visit = page.evaluate("""async () => (await (await import('/static/js/store.js')).listDrafts())
        .map((e) => e.draft).find((d) => d.recordType === 'visit').body""")
    assert "seen_alone_record_id" not in visit and visit["visit_type"] == "child_protection_plan"


def test_drafts_older_than_the_configured_age_are_listed_never_deleted(shell_server, page):
    shell_server.app.config["STALE_DRAFT_DAYS"] = 3
    enrol(page, shell_server)
    start_visit(page)
    fill_visit(page, "Old visit", "Old words")
    back_home(page)
    # Make the draft look four days old: re-encrypt it with an earlier updatedAt, as if last touched then.
    page.evaluate("""async () => {
      const { listDrafts } = await import('/static/js/store.js');
      const { encryptJSON } = await import('/static/js/vault.js');
      const { put } = await import('/static/js/idb.js');
      const old = new Date(Date.now() - 4 * 86400000).toISOString();
      for (const { draft } of await listDrafts()) {
        const value = { ...draft, updatedAt: old, createdAt: old };
        const { iv, ct } = await encryptJSON(value, `fieldapp/drafts/${draft.id}`);
        await put('drafts', { id: draft.id, v: 1, iv, ct });
      }
    }""")
    start_visit(page)
    fill_visit(page, "New visit", "New words")
    back_home(page)
    page.wait_for_selector("#stale-list li")
    expect(page.locator("#stale-list li")).to_have_count(1)
    expect(page.locator("#stale-hint")).to_contain_text("more than 3 days")
    assert_accessible(page, "stale drafts")
    page.reload()
    unlock(page)
    visible(page, "#screen-home")
    page.wait_for_selector("#stale-list li")
    assert {d["location"] for d in drafts(page) if d["type"] == "visit"} == {"Old visit", "New visit"}
