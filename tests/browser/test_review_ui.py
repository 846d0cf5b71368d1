"""Real Chromium: support resolves a hard conflict field by field, a manager signs off, the record prints whole."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import Child
from fieldapp.records.definitions import definition
from fieldapp.records.store import get_record_row, read_body
from sync.tables import conflicts
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.conftest import push_record as store
from tests.record_cases import safety_rating, seen_alone, sos_map, statutory_visit

pytestmark = pytest.mark.browser


def test_support_resolves_a_hard_conflict_field_by_field(live_server, seeded, page):
    first = store(live_server.app, seeded.child, seeded.worker, statutory_visit())
    store(
        live_server.app,
        seeded.child,
        seeded.worker,
        {**statutory_visit(), "observations": "Server obs (fictional).", "location": "Server place"},
        record_id=first.record_id,
        base_revision=1,
        device_id="tablet-a",
    )
    held = store(
        live_server.app,
        seeded.child,
        seeded.worker,
        {**statutory_visit(), "observations": "Device obs (fictional).", "location": "Device place"},
        record_id=first.record_id,
        base_revision=1,
        device_id="tablet-b",
    )
    assert held.status.value == "conflict"

    sign_in(page, live_server.url, seeded.support)
    page.get_by_role("link", name="Conflicts to reconcile").click()
    assert_accessible(page, "reconciliation queue")
    page.get_by_role("link", name=re.compile("Visit")).click()
    page.get_by_role("heading", name=re.compile("Reconcile: Visit")).wait_for()
    assert_accessible(page, "conflict view")

    observations = page.get_by_role("group", name=re.compile("Observations"))
    observations.get_by_label("Take the tablet's value").check()
    location = page.get_by_role("group", name=re.compile("Where the visit took place"))
    location.get_by_label("Write a merged value").check()
    location.get_by_label(re.compile("Merged value of")).fill("Merged place (fictional)")
    page.get_by_role("button", name=re.compile("Resolve")).click()
    # Submitting without a reason is refused, and says so where the reason goes.
    page.get_by_role("alert").wait_for()
    assert "Give a reason" in page.get_by_role("alert").inner_text()
    assert_accessible(page, "conflict view with errors")
    assert page.get_by_label("Merged value of “Where the visit took place”").input_value() == "Merged place (fictional)"
    page.get_by_label("Why these choices?").fill("Worker confirmed by phone (fictional).")
    page.get_by_role("button", name=re.compile("Resolve")).click()
    page.get_by_text("Conflict resolved").wait_for()

    with live_server.app.app_context():
        row = get_record_row(first.record_id)
        body = read_body(row)
        assert (row.revision, row.conflict_state) == (3, "none")
        assert body["observations"] == "Device obs (fictional)." and body["location"] == "Merged place (fictional)"
        assert db.session.scalar(select(conflicts.c.state).where(conflicts.c.id == held.conflict_id)) == "resolved"


def test_manager_signs_off_a_record(live_server, seeded, page):
    visit, note = statutory_visit(), seen_alone()  # a statutory visit is signed off with its seen-alone record
    stored = store(live_server.app, seeded.child, seeded.worker, visit, record_id=visit["id"])
    store(live_server.app, seeded.child, seeded.worker, note, record_id=note["id"])
    store(live_server.app, seeded.child, seeded.worker, safety_rating())
    store(live_server.app, seeded.child, seeded.worker, {**safety_rating(), "rated_on": "2025-05-01"})

    sign_in(page, live_server.url, seeded.manager)
    page.goto(f"{live_server.url}/children/{seeded.child}/records")
    page.get_by_role("img", name=re.compile("Safety scale ratings")).wait_for()
    assert_accessible(page, "timeline")
    page.get_by_role("link", name="Awaiting sign-off").click()
    assert_accessible(page, "awaiting sign-off")
    page.get_by_role("link", name=re.compile(r"Visit · 27 March 2025")).click()
    assert_accessible(page, "record with sign-off form")
    page.get_by_label("Management comment").fill("Good direct work; book the dentist (fictional).")
    page.get_by_role("button", name="Sign off").click()
    page.get_by_text("Record signed off.").wait_for()
    with live_server.app.app_context():
        assert get_record_row(stored.record_id).review_state == "signed_off"
    page.goto(f"{live_server.url}/records/{stored.record_id}")
    assert "book the dentist (fictional)" in page.get_by_role("region", name="Management oversight").inner_text()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server.url, seeded.worker)  # workers land in the app shell; notices are on the web pages too
    page.goto(f"{live_server.url}/caseload")
    page.get_by_role("link", name=re.compile("Notices")).click()
    assert "signed off" in page.locator("main").inner_text()
    assert_accessible(page, "notices")


def _expected_texts(record_type: str, body: dict, key: str = "") -> list[str]:
    """Every leaf value as a reader would see it printed (option wording, Yes/No, long dates)."""
    ui = definition(record_type)["ui"]
    if isinstance(body, dict):
        return [
            text
            for name, value in body.items()
            if not (key == "" and name in ("record_type", "schema_version", "child_id"))
            for text in _expected_texts(record_type, value, f"{key}.{name}" if key else name)
        ]
    if isinstance(body, list):
        return [text for item in body for text in _expected_texts(record_type, item, key)]
    if isinstance(body, bool):
        return ["Yes" if body else "No"]
    if isinstance(body, str) and body in ui.get("options", {}).get(key, {}):
        return [ui["options"][key][body]]
    if isinstance(body, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", body):
        return [date.fromisoformat(body).strftime("%-d %B %Y")]
    return [str(body)]


@pytest.mark.parametrize("builder", [statutory_visit, sos_map])
def test_printed_record_contains_every_field(live_server, seeded, page, builder):
    from pypdf import PdfReader

    stored = store(live_server.app, seeded.child, seeded.worker, builder())
    sign_in(page, live_server.url, seeded.manager)
    page.goto(f"{live_server.url}/records/{stored.record_id}/print")
    assert_accessible(page, "printable record")
    pdf = page.pdf(format="A4")
    text = " ".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf)).pages)
    # pypdf splits some words at kerning gaps ("Car er"), so compare with all whitespace removed.
    flat = re.sub(r"\s+", "", text)
    with live_server.app.app_context():
        body = read_body(get_record_row(stored.record_id))
        child = db.session.scalar(select(Child).where(Child.public_id == seeded.child))
        expected = _expected_texts(body["record_type"], body) + [child.full_name, child.case_number]
    missing = [value for value in expected if re.sub(r"\s+", "", value) not in flat]
    assert not missing, f"not in the printed record: {missing}\n{flat}"
    assert "Signout" not in flat and "Printablecopy" not in flat  # a clean paper record
