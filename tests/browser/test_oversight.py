"""A real Chromium: a manager allocates an unallocated child from the dashboard; axe on both oversight pages."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.models import Child
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.conftest import push_record as store
from tests.record_cases import not_seen_alone, sos_map, statutory_visit

pytestmark = pytest.mark.browser


@pytest.fixture
def with_records(live_server, seeded):
    """Pip seen three weeks ago but not alone, and an old Signs of Safety map: every section has rows."""
    visit_id, alone_id = str(uuid.uuid4()), str(uuid.uuid4())
    day = (date.today() - timedelta(days=21)).isoformat()
    store(
        live_server.app,
        seeded.child,
        seeded.worker,
        {
            **statutory_visit(),
            "visit_type": "child_protection_plan",
            "visit_date": day,
            "planned_date": day,
            "seen_alone_record_id": alone_id,
        },
        visit_id,
    )
    store(live_server.app, seeded.child, seeded.worker, {**not_seen_alone(), "visit_id": visit_id}, alone_id)
    store(live_server.app, seeded.child, seeded.worker, {**sos_map(), "mapped_on": "2024-01-10"}, str(uuid.uuid4()))
    return seeded


def caseload_cell(page, worker_name: str) -> str:
    return page.locator("#caseloads tbody tr").filter(has_text=worker_name).locator("td").nth(1).inner_text()


def test_manager_allocates_an_unallocated_child_and_the_caseload_grows(browser, page, live_server, with_records):
    seeded = with_records
    sign_in(page, live_server.url, seeded.manager)
    page.get_by_role("link", name="Oversight").click()
    page.wait_for_url("**/oversight/")
    assert page.get_by_role("heading", name="Team oversight", exact=False).is_visible()
    worker_name = "Browser Worker (fictional)"
    assert caseload_cell(page, worker_name) == "1"
    unallocated = page.locator("#unallocated")
    assert unallocated.get_by_role("link", name="Nell Sample").is_visible()

    choice = unallocated.get_by_label("Allocate Nell Sample to")
    assert choice.locator("option").first.inner_text() == f"{worker_name} — 1 of 22"
    choice.select_option(label=f"{worker_name} — 1 of 22")
    unallocated.get_by_role("button", name="Allocate Nell Sample").click()

    page.wait_for_url("**/oversight/#unallocated")
    assert page.get_by_role("status").filter(has_text="BRW-0002 is now allocated to").is_visible()
    assert caseload_cell(page, worker_name) == "2"
    expect(unallocated.get_by_role("link", name="Nell Sample")).to_have_count(0)
    with live_server.app.app_context():
        nell = db.session.query(Child).filter_by(public_id=seeded.other_child).one()
        assert nell.current_allocation.worker.username == seeded.worker

    # The worker's own caseload now lists the child (and their device scope follows the allocation table).
    worker_context = browser.new_context(viewport={"width": 768, "height": 1024})
    try:
        worker_page = worker_context.new_page()
        sign_in(worker_page, live_server.url, seeded.worker)
        worker_page.goto(f"{live_server.url}/caseload")
        assert worker_page.get_by_role("link", name="Nell Sample").is_visible()
    finally:
        worker_context.close()


def test_oversight_pages_are_accessible_and_charts_have_text(page, live_server, with_records):
    seeded = with_records
    sign_in(page, live_server.url, seeded.manager)
    page.goto(f"{live_server.url}/oversight/")
    chart = page.get_by_role("img", name="Caseload per worker against their limit")
    assert chart.is_visible()
    assert "workers are over their caseload limit" in chart.locator("desc").text_content()
    assert page.get_by_role("img", name="Statutory visits overdue and due within 7 days, per worker").is_visible()
    assert page.locator("#seen-alone").get_by_text("0%").first.is_visible()
    assert page.locator("#maps").get_by_role("link", name="Pip Example").is_visible()
    assert_accessible(page, "team oversight")
    page.get_by_label("Legal status").select_option("looked_after")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**status=looked_after**")
    assert_accessible(page, "team oversight, filtered")

    page.goto(f"{live_server.url}/oversight/?last=0")
    assert "Number of last visits must be a whole number" in page.content()

    page.context.clear_cookies()
    sign_in(page, live_server.url, seeded.admin)
    page.get_by_role("link", name="Service oversight").click()
    page.wait_for_url("**/oversight/service")
    assert (
        page.get_by_role("cell", name="Browser Team (fictional)").is_visible()
        or page.get_by_role("rowheader", name="Browser Team (fictional)").is_visible()
    )
    assert_accessible(page, "service oversight")
