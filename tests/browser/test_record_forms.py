"""The schema-driven forms in a real Chromium: filling, repeating groups, conditional fields, errors, photos."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.models import Role, Team, User
from fieldapp.records.validation import validate_record
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

CONTROLLER = "(await (await import('/static/js/form-preview.js')).ready)"


@pytest.fixture
def worker_page(live_server, page):
    """A signed-in worker's page, failing the test on any console error (CSP violations show up there)."""
    with live_server.app.app_context():
        team = Team(name="Browser team")
        user = User(username="browserworker", display_name="Browser Worker", role=Role.WORKER, team=team)
        user.set_password(PASSWORD)
        db.session.add_all([team, user])
        db.session.commit()
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "browserworker")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    # Listen only after sign-in: the browser's own favicon request 404s on the first page.
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    assert console_errors == []


def open_form(page, url, record_type):
    page.goto(f"{url}/records/form-preview/{record_type}")
    page.wait_for_selector("#record-form[data-ready=true]")


def value(page):
    return page.evaluate(f"async () => {CONTROLLER}.getValue()")


def validate(page):
    return page.evaluate(f"async () => {CONTROLLER}.validate()")


def next_section(page):
    page.locator(".form-section:not([hidden]) .section-nav button:not(.secondary)").click()


def test_statutory_visit_with_conditional_fields(worker_page, live_server):
    page = worker_page
    open_form(page, live_server.url, "visit")
    assert page.locator(".form-section:not([hidden]) .progress").inner_text() == "Section 1 of 4"
    page.get_by_label("Looked-after child (regulation 28)").check()
    page.fill("#rf-visit-planned_date", "2025-03-27")
    page.fill("#rf-visit-visit_date", "2025-03-27")
    page.fill("#rf-visit-start_time", "10:00")
    page.fill("#rf-visit-end_time", "11:15")
    page.get_by_label("Where the visit took place").fill("Foster placement")
    page.get_by_role("button", name="Add person present").click()
    page.fill("#rf-visit-others_present-0-name", "Foster carer")
    next_section(page)
    assert page.locator(".form-section:not([hidden]) .progress").inner_text() == "Section 2 of 4"
    reason = page.locator(".field[data-path='/child_not_seen_reason']")
    assert reason.is_hidden()
    page.check("#rf-visit-child_seen-1")  # "No"
    assert reason.is_visible()
    page.fill("#rf-visit-child_not_seen_reason", "Marker: at hospital")
    page.check("#rf-visit-child_seen")  # "Yes": the reason hides but what was typed is kept in the draft
    assert reason.is_hidden()
    assert value(page)["child_not_seen_reason"] == "Marker: at hospital"
    assert "child_not_seen_reason" not in page.evaluate(f"async () => {CONTROLLER}.getRecord()")
    page.check("#rf-visit-bedroom_seen")
    next_section(page)
    page.get_by_label("Observations").fill("Warm, tidy home.")
    page.get_by_label("The child's words (optional)").fill("I like the dog.")
    next_section(page)
    page.get_by_role("button", name="Add action").click()
    page.fill("#rf-visit-actions-0-text", "Book dentist")
    page.fill("#rf-visit-actions-0-owner", "Foster carer")
    assert validate(page) == []
    record = page.evaluate(f"async () => {CONTROLLER}.getRecord()")
    assert record["visit_type"] == "looked_after_reg28" and record["child_seen"] is True
    assert record["others_present"] == [{"name": "Foster carer"}]
    with live_server.app.app_context():
        assert validate_record("visit", record) == []
    assert '"Book dentist"' in page.locator("#record-value").text_content()  # onChange fired on each edit


def test_seen_alone_reason_required_and_summary_links_focus_fields(worker_page, live_server):
    page = worker_page
    open_form(page, live_server.url, "seen_alone")
    page.check("#rf-seen_alone-seen_alone-1")  # not seen alone
    page.get_by_role("button", name="Next: The child's wishes and feelings").click()
    errors = validate(page)
    assert {e["path"] for e in errors} == {"/reason_not_seen_alone", "/reason_detail"}
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    link = summary.get_by_role("link", name="Select why the child was not seen alone")
    link.click()
    assert page.evaluate("document.activeElement.id") == "rf-seen_alone-reason_not_seen_alone"
    assert page.locator(".form-section[data-section='0']").is_visible()
    inline = page.locator(".field[data-path='/reason_not_seen_alone'] .error-message")
    assert "Select why the child was not seen alone" in inline.inner_text()
    page.get_by_label("The child refused and is of sufficient age and understanding").check()
    page.get_by_label("Explain what happened").fill("Wanted to play football instead.")
    assert validate(page) == []
    assert not summary.is_visible()


def test_signs_of_safety_map_groups_add_reorder_remove_and_undo(worker_page, live_server):
    page = worker_page
    open_form(page, live_server.url, "sos_map")
    page.fill("#rf-sos_map-mapped_on", "2025-03-27")
    page.get_by_role("button", name="Add harm statement").click()
    page.fill("#rf-sos_map-harm_statements-0-statement", "Police called twice in March.")
    page.check("#rf-sos_map-harm_statements-0-disputed")  # disputed → who disputes it appears
    page.fill("#rf-sos_map-harm_statements-0-disputed_by", "Parent")
    page.fill("#rf-sos_map-harm_statements-0-dispute_detail", "Says it was once.")
    next_section(page)
    for index, who in enumerate(["Social worker", "School"]):
        page.get_by_role("button", name="Add another danger statement" if index else "Add danger statement").click()
        assert page.evaluate("document.activeElement.id") == f"rf-sos_map-danger_statements-{index}-title"
        prefix = f"#rf-sos_map-danger_statements-{index}"
        page.fill(f"{prefix}-who_is_worried", who)
        page.fill(f"{prefix}-worried_about", f"Marker {who} worry")
        page.fill(f"{prefix}-what_could_happen", "Child gets hurt")
        page.check(f"{prefix}-disputed-1")
        page.fill(f"{prefix}-safety_goal", f"Goal for {who}")
    whos = lambda: [d["who_is_worried"] for d in value(page)["danger_statements"]]  # noqa: E731
    page.get_by_role("button", name="Move down danger statement 1").click()
    assert whos() == ["School", "Social worker"]
    announcer = page.locator(".visually-hidden[role=status]")
    expect(announcer).to_have_text("Danger statement moved down to position 2 of 2.")
    page.get_by_role("button", name="Move up danger statement 2").click()
    assert whos() == ["Social worker", "School"]
    page.get_by_role("button", name="Remove danger statement 2").click()
    assert whos() == ["Social worker"]
    page.get_by_role("button", name="Undo remove danger statement").click()
    assert whos() == ["Social worker", "School"]
    assert value(page)["danger_statements"][1]["safety_goal"] == "Goal for School"  # nothing lost
    next_section(page)
    next_section(page)
    page.get_by_label("Existing strengths (optional)").fill("Grandparent nearby.")
    next_section(page)
    page.get_by_role("button", name="Add next step").click()
    page.fill("#rf-sos_map-next_steps-0-what", "Network meeting")
    page.fill("#rf-sos_map-next_steps-0-who", "Social worker")
    page.fill("#rf-sos_map-next_steps-0-by_when", "2025-04-03")
    assert validate(page) == []
    with live_server.app.app_context():
        assert validate_record("sos_map", page.evaluate(f"async () => {CONTROLLER}.getRecord()")) == []


def test_ratings_from_three_people(worker_page, live_server):
    page = worker_page
    open_form(page, live_server.url, "safety_rating")
    page.fill("#rf-safety_rating-rated_on", "2025-03-27")
    next_section(page)
    raters = [
        ("worker", "Test Worker", None, 4),
        ("parent", "Test Parent", "Mother", 7),
        ("child", "Testchild", None, 9),
    ]
    for index, (rated_by, name, relationship, score) in enumerate(raters):
        page.get_by_role("button", name="Add another rating" if index else "Add rating").click()
        prefix = f"#rf-safety_rating-ratings-{index}"
        page.select_option(f"{prefix}-rated_by", rated_by)
        page.fill(f"{prefix}-name", name)
        if relationship:
            page.fill(f"{prefix}-relationship", relationship)
        page.check(f"{prefix}-score-{score}")
        page.fill(f"{prefix}-why", f"Why {name}")
    ratings = value(page)["ratings"]
    assert [(r["rated_by"], r["score"]) for r in ratings] == [("worker", 4), ("parent", 7), ("child", 9)]
    assert ratings[0]["anchor_ten"] == "Safe enough for the case to close"  # anchors offered from the schema
    assert validate(page) == []


def test_three_houses_photo_limit_and_attachment(worker_page, live_server):
    page = worker_page
    open_form(page, live_server.url, "three_houses")
    page.fill("#rf-three_houses-completed_on", "2025-03-27")
    page.get_by_label("House of dreams (optional)").fill("Going to the seaside.")
    next_section(page)
    page.get_by_label("The child", exact=True).check()
    page.check("#rf-three_houses-read_back")
    photo = page.locator("#rf-three_houses-drawing")
    photo.set_input_files({"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (10 * 1024 * 1024 + 1)})
    problem = page.locator("#rf-three_houses-drawing-problem")
    assert "Choose a photo of 10 MB or less" in problem.inner_text()
    assert photo.get_attribute("aria-invalid") == "true"
    assert "drawing" not in value(page)
    photo.set_input_files({"name": "drawing.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"0" * 2000})
    assert problem.is_hidden()
    drawing = value(page)["drawing"]
    assert drawing["mime"] == "image/png" and drawing["size"] == 2004
    kept = page.evaluate(
        "async (id) => (await import('/static/js/form-preview.js')).files.get(id).size", drawing["attachment_id"]
    )
    assert kept == 2004  # the File itself went to the caller, to store in the vault
    assert validate(page) == []


def test_server_errors_shown_against_fields(worker_page, live_server):
    page = worker_page
    open_form(page, live_server.url, "safety_rating")
    page.evaluate(f"""async () => {{ const form = {CONTROLLER};
        form.setValue({{ratings: [{{rated_by: 'worker', name: 'A', score: 3}}]}}); }}""")
    server_errors = [{"path": "/ratings/0/score", "message": "Rating must be 10 or less"}]
    page.evaluate(f"async (errors) => {CONTROLLER}.showServerErrors(errors)", server_errors)
    page.get_by_role("link", name="Rating must be 10 or less").click()
    assert page.evaluate("document.activeElement.id") == "rf-safety_rating-ratings-0-score"
    assert page.locator(".field[data-path='/ratings/0/score'] .error-message").is_visible()


def test_client_validate_agrees_with_server_on_every_case(worker_page, live_server):
    from tests.record_cases import CASES

    page = worker_page
    page.goto(f"{live_server.url}/records/form-preview")
    with live_server.app.app_context():
        expected = {c.name: [e.as_dict() for e in validate_record(c.record_type, c.body)] for c in CASES}
    got = page.evaluate(
        """async (cases) => {
        const { validateRecord } = await import('/static/js/schema-validate.js');
        const definitions = {};
        const result = {};
        for (const c of cases) {
            definitions[c.type] ??= await (await fetch(`/api/record-types/${c.type}`)).json();
            result[c.name] = validateRecord(definitions[c.type], c.body);
        }
        return result;
    }""",
        [{"name": c.name, "type": c.record_type, "body": c.body} for c in CASES],
    )
    disagreements = {name: (got[name], expected[name]) for name in expected if got[name] != expected[name]}
    assert disagreements == {}
