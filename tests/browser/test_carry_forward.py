"""Carry forward (issue 18) in real Chromium: a new map continues the latest map pulled to the device, every
danger statement still paired with its safety goal and every carried answer marked until the worker confirms,
edits or removes it (and a record with an unconfirmed one cannot be finalized); a visit copies the previous
visit's location and people present in one tap; ratings start with the same people, earlier scores shown only."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.records.store import get_record_row, read_body
from sync.tables import records
from tests.browser.conftest import assert_accessible
from tests.browser.shell_fixtures import (  # noqa: F401  (fixture)
    PANEL,
    enrol,
    fill_seen_alone,
    next_section,
    panel,
    shell_server,
    show_record,
    start_visit,
    visible,
)
from tests.browser.test_sync_client import body_for, fresh, seal, wait_synced
from tests.record_cases import rating, safety_rating, sos_map, statutory_visit

pytestmark = pytest.mark.browser

# Two months back, always inside the pull window (12 months by default): a fixed date would fall out of it.
_EARLIER_DAY = date.today() - timedelta(days=60)
EARLIER = _EARLIER_DAY.isoformat()
EARLIER_TEXT = f"{_EARLIER_DAY.day} {_EARLIER_DAY:%B %Y}"  # as the app writes a date: "1 October 2026"
PAIRS = [
    ("School (fictional)", "Shouting at night", "Adults keep arguments away from the child"),
    ("Nan (fictional)", "Missed school runs", "Someone from the network takes the child to school every day"),
]
PEOPLE = [
    {"name": "Nan Example (fictional)", "relationship": "Grandmother"},
    {"name": "Uncle Example (fictional)", "relationship": "Uncle"},
]


def earlier_records(child_id: str) -> list[dict]:
    dangers = [
        {
            "who_is_worried": who,
            "worried_about": about,
            "what_could_happen": "The child gets hurt",
            "disputed": False,
            "safety_goal": goal,
        }
        for who, about, goal in PAIRS
    ]
    return [
        body_for(
            child_id,
            statutory_visit,
            visit_type="child_protection_plan",
            visit_date=EARLIER,
            planned_date=EARLIER,
            location="Nan's flat (fictional)",
            others_present=PEOPLE,
        ),
        body_for(child_id, sos_map, mapped_on=EARLIER, danger_statements=dangers),
        body_for(
            child_id,
            safety_rating,
            rated_on=EARLIER,
            ratings=[
                rating("worker", "Shell Worker", 4),
                rating("parent", "Parent Example", 7, "Mother"),
                rating("child", "The child", 9),
            ],
        ),
    ]


@pytest.fixture
def with_history(shell_server, page):  # noqa: F811
    """Enrolled, with an earlier visit, map and ratings for the child sent and pulled back to the device."""
    enrol(page, shell_server)
    wait_synced(page)
    fresh(page)
    seal(page, earlier_records(shell_server.seeded.child_public_id))
    send_all(page)
    return shell_server


def send_all(page):
    """Sync until the outbox is empty (sealing the first item already starts a sync), then once more to pull."""
    wait_synced(page)
    for _ in range(5):
        fresh(page)
        page.click("#sync-now")
        wait_synced(page)
        if "Waiting to send" not in page.text_content("#outbox-list"):
            return
    raise AssertionError("the outbox did not empty")


def marks(page) -> list[str]:
    return panel(page).locator(".form-section:not([hidden]) .carried-mark").all_text_contents()


def assert_targets(page, selector: str):
    boxes = page.locator(selector).evaluate_all(
        "(nodes) => nodes.filter((n) => n.offsetParent).map((n) => n.getBoundingClientRect())"
        ".map((r) => [r.width, r.height])"
    )
    assert boxes and all(w >= 44 and h >= 44 for w, h in boxes), boxes


def server_body(server, record_type: str, on: str) -> dict:
    with server.app.app_context():
        for record_id in db.session.scalars(select(records.c.id).where(records.c.record_type == record_type)):
            body = read_body(get_record_row(record_id))
            if on in json.dumps(body):
                return body
    raise AssertionError(f"no {record_type} mentioning {on} on the server")


def finish_visit(page):
    show_record(page, "Visit")
    page.fill("#rf-visit-start_time", "10:00")
    page.fill("#rf-visit-end_time", "11:00")
    if not page.input_value("#rf-visit-location"):
        page.fill("#rf-visit-location", "Kitchen (fictional)")
    next_section(page)
    page.check("#rf-visit-child_seen")
    next_section(page)
    page.fill("#rf-visit-observations", "Calm and chatty today (fictional).")
    fill_seen_alone(page)


def test_map_continues_latest_with_every_pair_marked_until_confirmed_edited_or_removed(with_history, page):
    server = with_history
    start_visit(page)
    expect(page.locator("#record-map-note")).to_contain_text(f"continues the map of {EARLIER_TEXT}")
    page.click("#record-add button:has-text('Add Signs of Safety map')")
    show_record(page, "Signs of Safety map")
    assert page.input_value("#rf-sos_map-harm_statements-0-statement").startswith("Police called twice")
    assert marks(page) == [
        f"Carried from {EARLIER_TEXT}. Confirm it if it is still right, edit it, or remove it."
        "Confirm harm statement 1 as still right"
    ]
    next_section(page)
    for i, (who, about, goal) in enumerate(PAIRS):  # each danger statement with its own safety goal, in order
        expect(page.locator(f"#rf-sos_map-danger_statements-{i}-who_is_worried")).to_have_value(who)
        expect(page.locator(f"#rf-sos_map-danger_statements-{i}-worried_about")).to_have_value(about)
        expect(page.locator(f"#rf-sos_map-danger_statements-{i}-safety_goal")).to_have_value(goal)
    assert len(marks(page)) == 2
    assert_accessible(page, "a map continued from the latest one")
    assert_targets(page, f"{PANEL} .carried-confirm")

    # Nothing carried becomes the worker's statement unseen: finalize refuses while any mark remains.
    finish_visit(page)
    page.click("#record-finalize")
    visible(page, f"{PANEL}[aria-label='Signs of Safety map'] .error-summary")
    summary = panel(page).locator(".error-summary").text_content()
    assert f"Danger statement 2 is carried from {EARLIER_TEXT}: confirm, edit or remove it" in summary
    assert f"Complicating factors is carried from {EARLIER_TEXT}" in summary
    assert server_body_count(server, "sos_map") == 1

    # Confirm one pair, edit the other (its mark goes as the worker types), remove a carried next step.
    panel(page).locator(".error-summary a", has_text="Danger statement 1 is carried").click()
    assert page.evaluate("document.activeElement.id") == "rf-sos_map-danger_statements-0"
    page.click("#rf-sos_map-danger_statements-0")
    assert page.evaluate("document.activeElement.id") == "rf-sos_map-danger_statements-0-title"
    page.fill("#rf-sos_map-danger_statements-1-who_is_worried", "Nan and school (fictional)")
    assert marks(page) == []
    show_section(page, 0)
    page.click("#rf-sos_map-harm_statements-0")
    show_section(page, 2)
    page.click("#rf-sos_map-complicating_factors-confirm")
    show_section(page, 3)
    page.fill("#rf-sos_map-existing_strengths", "Nan visits daily now (fictional).")
    page.fill("#rf-sos_map-existing_safety", "")
    show_section(page, 4)
    page.click("#rf-sos_map-next_steps-0-remove")
    expect(panel(page).locator(".carried-mark")).to_have_count(0)

    fresh(page)
    page.click("#record-finalize")
    visible(page, "#screen-home")
    send_all(page)
    body = server_body(server, "sos_map", "Nan and school (fictional)")
    assert "_carried" not in json.dumps(body)
    assert [(d["who_is_worried"], d["safety_goal"]) for d in body["danger_statements"]] == [
        (PAIRS[0][0], PAIRS[0][2]),
        ("Nan and school (fictional)", PAIRS[1][2]),
    ]
    assert body["mapped_on"] != EARLIER and "existing_safety" not in body and "next_steps" not in body
    assert body["existing_strengths"] == "Nan visits daily now (fictional)."
    assert body["complicating_factors"] == "Parent works nights."


def server_body_count(server, record_type: str) -> int:
    with server.app.app_context():
        return len(list(db.session.scalars(select(records.c.id).where(records.c.record_type == record_type))))


def show_section(page, index: int):
    """Walk the map form to section `index` with its Previous/Next buttons, as a worker would."""
    for _ in range(10):
        current = int(panel(page).locator(".form-section:not([hidden])").get_attribute("data-section"))
        if current == index:
            return
        nav = "button:not(.secondary)" if index > current else "button.secondary"
        panel(page).locator(f".form-section:not([hidden]) .section-nav {nav}").click()
    raise AssertionError(f"could not reach section {index}")


def test_carried_marks_survive_reopening_the_visit(with_history, page):
    start_visit(page)
    page.click("#record-add button:has-text('Add Signs of Safety map')")
    show_record(page, "Signs of Safety map")
    next_section(page)
    page.click("#rf-sos_map-danger_statements-0")
    page.click("#record-back")
    visible(page, "#screen-home")
    page.click("#drafts-list button:has-text('Continue')")
    visible(page, "#screen-record")
    show_record(page, "Signs of Safety map")
    next_section(page)
    assert len(marks(page)) == 1  # statement 2 still carried, statement 1 confirmed
    expect(panel(page).locator("[data-carried-for='/danger_statements/1']")).to_have_count(1)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    assert_accessible(page, "a carried danger statement on a phone")
    assert_targets(page, f"{PANEL} .carried-confirm")


def test_visit_copies_last_visit_in_one_tap_and_ratings_start_with_same_people(with_history, page):
    server = with_history
    start_visit(page)
    form = panel(page)
    assert form.get_by_label("Child protection plan").is_checked()  # from the child's legal status
    offer = form.locator(".carry-offer")
    assert f"Last visit ({EARLIER_TEXT}): Nan's flat (fictional), with Nan Example (fictional)" in offer.text_content()
    assert_accessible(page, "a visit offering the last visit's details")
    assert_targets(page, "#rf-visit-same-as-last")
    page.click("#rf-visit-same-as-last")  # one tap
    expect(page.locator("#rf-visit-location")).to_have_value("Nan's flat (fictional)")
    expect(page.locator("#rf-visit-others_present-0-name")).to_have_value(PEOPLE[0]["name"])
    expect(page.locator("#rf-visit-others_present-1-relationship")).to_have_value(PEOPLE[1]["relationship"])
    page.click("#rf-visit-same-as-last")  # again: nothing is doubled
    expect(form.locator("#rf-visit-others_present-2-name")).to_have_count(0)

    page.click("#record-add button:has-text('Add Safety-scale ratings')")
    show_record(page, "Safety-scale ratings")
    next_section(page)
    names = [page.input_value(f"#rf-safety_rating-ratings-{i}-name") for i in range(3)]
    assert names == ["Shell Worker", "Parent Example", "The child"]
    expect(page.locator("#rf-safety_rating-ratings-1-relationship")).to_have_value("Mother")
    notes = panel(page).locator(".previous-score").all_text_contents()
    assert [n.split(":")[1].split(".")[0].strip() for n in notes] == ["4 out of 10", "7 out of 10", "9 out of 10"]
    assert all(f"Last time ({EARLIER_TEXT})" in n for n in notes)
    # Shown for comparison, never pre-filled as today's score.
    expect(panel(page).locator("input[name^='rf-safety_rating-ratings-']:checked")).to_have_count(0)
    assert_accessible(page, "ratings with earlier scores")
    for i, score in enumerate((5, 8, 9)):
        page.check(f"#rf-safety_rating-ratings-{i}-score-{score}")
        page.fill(f"#rf-safety_rating-ratings-{i}-why", f"Reason {i} (fictional).")

    finish_visit(page)
    fresh(page)
    page.click("#record-finalize")
    visible(page, "#screen-home")
    send_all(page)
    visit = server_body(server, "visit", "Calm and chatty today")
    assert visit["location"] == "Nan's flat (fictional)" and visit["others_present"] == PEOPLE
    ratings = server_body(server, "safety_rating", "Reason 0 (fictional)")
    assert "_previous" not in json.dumps(ratings)
    assert [(r["name"], r["score"]) for r in ratings["ratings"]] == [
        ("Shell Worker", 5),
        ("Parent Example", 8),
        ("The child", 9),
    ]
