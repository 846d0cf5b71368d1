"""Field recording in the offline app shell: a whole statutory visit recorded with no signal, autosaved
encrypted, surviving a reload, finalized into one sealed outbox item per record."""

from __future__ import annotations

import base64
import json

import pytest
from playwright.sync_api import expect

from fieldapp.crypto.sealing import SealingKeyring, unseal
from fieldapp.records.validation import validate_record
from tests.browser.conftest import assert_accessible
from tests.browser.shell_fixtures import (
    CHILD_MARKER,
    PANEL,
    dump_device_storage,
    enrol,
    fill_seen_alone,
    fill_visit,
    idb_rows,
    next_section,
    panel,
    save_note,
    show_record,
    start_visit,
    unlock,
    visible,
)

pytestmark = pytest.mark.browser
VIEWPORTS = {"tablet": {"width": 768, "height": 1024}, "phone": {"width": 390, "height": 844}}
PHOTO = b"\x89PNG\r\n\x1a\n" + b"MARKER-PHOTO-BYTES" + b"0" * 3000
MARKERS = [
    "MARKER-LOCATION",
    "MARKER-OBSERVED",
    "MARKER-WISHES",
    "MARKER-HARM",
    "MARKER-DANGER-SW",
    "MARKER-DANGER-SCHOOL",
    "MARKER-RATER-PARENT",
    "MARKER-DREAMS",
    "MARKER-PHOTO-BYTES",
    CHILD_MARKER,
]


def add_record(page, label: str):
    page.click(f"#record-add button:has-text('Add {label}')")
    page.wait_for_selector(f"{PANEL}[aria-label='{label}']")


def saved(page):
    page.wait_for_selector("#record-saved:has-text('All changes saved')")


def fill_map(page):
    page.get_by_role("button", name="Add harm statement").click()
    page.fill("#rf-sos_map-harm_statements-0-statement", "MARKER-HARM police called twice.")
    next_section(page)
    for index, who in enumerate(["SW", "SCHOOL"]):
        add = "Add another danger statement" if index else "Add danger statement"
        panel(page).get_by_role("button", name=add).click()
        prefix = f"#rf-sos_map-danger_statements-{index}"
        page.fill(f"{prefix}-who_is_worried", "Social worker" if index == 0 else "School")
        page.fill(f"{prefix}-worried_about", f"MARKER-DANGER-{who} arguments at night")
        page.fill(f"{prefix}-what_could_happen", "Child gets hurt")
        page.check(f"{prefix}-disputed-1")
        page.fill(f"{prefix}-safety_goal", f"Goal for {who}")


def fill_ratings(page):
    next_section(page)
    raters = [
        ("worker", "Shell Worker", None, 4),
        ("parent", "MARKER-RATER-PARENT", "Mother", 7),
        ("child", "The child", None, 9),
    ]
    for index, (rated_by, name, relationship, score) in enumerate(raters):
        panel(page).get_by_role("button", name="Add another rating" if index else "Add rating").click()
        prefix = f"#rf-safety_rating-ratings-{index}"
        page.select_option(f"{prefix}-rated_by", rated_by)
        page.fill(f"{prefix}-name", name)
        if relationship:
            page.fill(f"{prefix}-relationship", relationship)
        page.check(f"{prefix}-score-{score}")
        page.fill(f"{prefix}-why", f"Why {rated_by}")


def fill_houses(page):
    page.fill("#rf-three_houses-worries", "When they shout.")
    page.fill("#rf-three_houses-dreams", "MARKER-DREAMS going to the seaside.")
    next_section(page)
    panel(page).get_by_label("The child", exact=True).check()
    page.check("#rf-three_houses-read_back")
    photo = page.locator("#rf-three_houses-drawing")
    photo.set_input_files({"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (10 * 1024 * 1024 + 1)})
    assert "Choose a photo of 10 MB or less" in page.inner_text("#rf-three_houses-drawing-problem")
    photo.set_input_files({"name": "drawing.png", "mimeType": "image/png", "buffer": PHOTO})
    page.wait_for_selector("#live:has-text('Photo saved')")


def test_offline_statutory_visit_survives_reload_and_seals_one_item_per_record(shell_server, context, page):
    page.set_viewport_size(VIEWPORTS["tablet"])
    enrol(page, shell_server)
    expect(page.locator("#caseload-list")).to_contain_text("Statutory visit overdue: no seen visit on record")
    context.set_offline(True)
    start_visit(page)
    assert_accessible(page, "visit form")
    fill_visit(page, "MARKER-LOCATION foster home", "MARKER-OBSERVED warm tidy home")
    fill_seen_alone(page, "MARKER-WISHES to see nan")
    assert_accessible(page, "seen-alone form")
    add_record(page, "Signs of Safety map")
    fill_map(page)
    assert_accessible(page, "map form")
    saved(page)

    page.reload()  # mid-way: the vault locks; unlock again with no signal
    unlock(page)
    visible(page, "#screen-record")  # straight back into the visit
    page.click("#record-back")
    visible(page, "#screen-home")
    expect(page.locator("#drafts-list")).to_contain_text("MARKER-LOCATION")
    page.click("#drafts-list button:has-text('Continue')")
    visible(page, "#screen-record")
    show_record(page, "Signs of Safety map")
    worry = page.input_value("#rf-sos_map-danger_statements-1-worried_about")
    assert worry == "MARKER-DANGER-SCHOOL arguments at night"
    show_record(page, "Visit")
    expect(page.locator("#rf-visit-location")).to_have_value("MARKER-LOCATION foster home")

    add_record(page, "Safety-scale ratings")
    fill_ratings(page)
    assert_accessible(page, "ratings form")
    add_record(page, "Three Houses")
    fill_houses(page)
    assert_accessible(page, "Three Houses form")
    assert len(idb_rows(page, "drafts")) == 6  # five records and the photo, all encrypted

    page.click("#record-finalize")
    visible(page, "#screen-home")
    page.wait_for_selector("#outbox-list li >> nth=4")
    expect(page.locator("#status-unsynced")).to_have_text("5 unsynced")
    assert idb_rows(page, "drafts") == []
    expect(page.locator("#drafts-list")).to_contain_text("No drafts")

    keyring = SealingKeyring.load(shell_server.app.config["SEALING_KEYS_DIR"])
    ops = [json.loads(unseal(row["envelope"], keyring)) for row in idb_rows(page, "outbox")]
    by_type = {op["record_type"]: op for op in ops}
    assert sorted(by_type) == ["safety_rating", "seen_alone", "sos_map", "three_houses", "visit"] and len(ops) == 5
    assert sorted(op["device_seq"] for op in ops) == [1, 2, 3, 4, 5]
    assert len({op["op_id"] for op in ops}) == 5
    child = shell_server.seeded.child_public_id
    for op in ops:
        assert op["child_id"] == child and op["body"]["child_id"] == child and op["base_revision"] == 0
        assert op["record_id"] == op["body"]["id"] and op["device_id"]
        with shell_server.app.app_context():
            assert validate_record(op["record_type"], op["body"]) == [], op["record_type"]
    visit, alone = by_type["visit"]["body"], by_type["seen_alone"]["body"]
    assert visit["seen_alone_record_id"] == alone["id"] and alone["visit_id"] == visit["id"]
    assert [d["safety_goal"] for d in by_type["sos_map"]["body"]["danger_statements"]] == [
        "Goal for SW",
        "Goal for SCHOOL",
    ]
    assert len(by_type["safety_rating"]["body"]["ratings"]) == 3
    assert by_type["safety_rating"]["body"]["sos_map_id"] == by_type["sos_map"]["record_id"]
    [photo] = by_type["three_houses"]["attachments"]
    assert photo["attachment_id"] == by_type["three_houses"]["body"]["drawing"]["attachment_id"]
    assert base64.b64decode(photo["data"]) == PHOTO and photo["size"] == len(PHOTO)

    dump = dump_device_storage(page)
    everything = "\n".join(f"{name} {value}" for entries in dump.values() for name, value in entries.items())
    for marker in MARKERS:
        assert marker not in everything, f"{marker} is readable in device storage"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_record_form_is_accessible_and_fits(shell_server, context, page, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    enrol(page, shell_server)
    context.set_offline(True)
    start_visit(page)
    for label in ["Signs of Safety map", "Safety-scale ratings", "Three Houses"]:
        add_record(page, label)
    page.click("#record-finalize")  # nothing filled in: every record shows its problems
    page.wait_for_selector("#record-error:has-text('Visit has')")
    expect(page.locator("#record-error")).to_contain_text("Seen alone has")
    for label in ["Visit", "Seen alone", "Signs of Safety map", "Safety-scale ratings", "Three Houses"]:
        show_record(page, label)
        for button in panel(page).locator(".group-add").all():
            page.evaluate("(id) => document.getElementById(id).click()", button.get_attribute("id"))
        assert panel(page).locator(".error-summary").is_visible()
        assert_accessible(page, f"{label} ({viewport})")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{label} scrolls sideways at {viewport}"
    assert len(idb_rows(page, "outbox")) == 0  # nothing sealed while anything is invalid


def test_rejected_draft_is_listed_first_with_its_errors_shown_against_the_field(shell_server, page):
    enrol(page, shell_server)
    save_note(page, "Rejected visit", "body")
    # What the sync client does with a `rejected` result: the draft comes back with the server's field errors.
    page.evaluate("""async () => {
      const store = await import('/static/js/store.js');
      const visit = (await store.listDrafts()).map((e) => e.draft).find((d) => d.recordType === 'visit');
      await store.saveDraft({ ...visit, rejectedCode: 'invalid',
        errors: [{ path: '/location', message: 'Say where the visit took place (server check)' }] });
    }""")
    save_note(page, "Newer visit", "body")  # saved later, still listed after the rejected one
    page.reload()
    unlock(page)
    visible(page, "#screen-home")
    first = page.locator("#drafts-list > li").first
    assert "item-error" in first.get_attribute("class")
    assert "Rejected visit" in first.text_content() and "server check" in first.text_content()
    first.get_by_role("button", name="Continue").click()
    visible(page, "#screen-record")
    inline = page.locator(".field[data-path='/location'] .error-message")
    assert "Say where the visit took place (server check)" in inline.inner_text()
    assert page.get_attribute("#rf-visit-location", "aria-invalid") == "true"
