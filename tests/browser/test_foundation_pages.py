"""A real Chromium signs in, opens the caseload and a child page; axe checks every foundation page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_worker_signs_in_opens_caseload_and_child_page(page, live_server, seeded):
    sign_in(page, live_server.url, seeded.worker)
    page.goto(f"{live_server.url}/caseload")
    assert page.get_by_role("heading", name="My caseload").is_visible()
    assert_accessible(page, "caseload")
    page.get_by_role("link", name="Pip Example").click()
    page.wait_for_url(f"**/children/{seeded.child}")
    assert page.get_by_role("heading", name="Pip Example").is_visible()
    assert "Large dog" in page.locator(".risk").inner_text()
    assert page.get_by_role("cell", name="current").is_visible()
    assert_accessible(page, "child page")
    # The unallocated child is not on a worker's list.
    page.goto(f"{live_server.url}/caseload")
    expect(page.get_by_text("Nell Sample")).to_have_count(0)


def test_login_page_is_accessible_and_shows_errors_accessibly(page, live_server, seeded):
    page.goto(f"{live_server.url}/login")
    assert_accessible(page, "login")
    page.get_by_label("Username").fill(seeded.worker)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").filter(has_text="There is a problem").is_visible()
    assert_accessible(page, "login with error")


def test_manager_team_caseload_and_audit_pages(page, live_server, seeded):
    sign_in(page, live_server.url, seeded.manager)
    page.goto(f"{live_server.url}/caseload")
    assert page.get_by_role("heading", name="Team caseload").is_visible()
    assert page.get_by_text("Nell Sample").is_visible()
    assert_accessible(page, "team caseload")
    page.goto(f"{live_server.url}/children/{seeded.child}/audit")
    assert page.get_by_role("heading", name="Audit trail: Pip Example").is_visible()
    assert_accessible(page, "audit trail")


@pytest.mark.parametrize(
    "path", ["/admin/users", "/admin/users/new", "/admin/teams", "/admin/teams/new", "/admin/allocations"]
)
def test_admin_pages_are_accessible(page, live_server, seeded, path):
    sign_in(page, live_server.url, seeded.admin)
    page.goto(f"{live_server.url}{path}")
    assert page.locator("h1").is_visible()
    assert_accessible(page, path)


def test_admin_allocates_a_child_and_the_worker_sees_it(browser, live_server, seeded):
    admin = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    sign_in(admin, live_server.url, seeded.admin)
    admin.goto(f"{live_server.url}/admin/allocations/{seeded.other_child}")
    assert_accessible(admin, "allocate")
    admin.get_by_label("Allocate to").select_option(label="Browser Worker (fictional)")
    admin.get_by_role("button", name="Allocate").click()
    assert admin.get_by_role("status").filter(has_text="BRW-0002 is now allocated").is_visible()
    admin.context.close()

    worker = browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # a phone
    sign_in(worker, live_server.url, seeded.worker)
    worker.goto(f"{live_server.url}/caseload")
    assert worker.get_by_role("link", name="Nell Sample").is_visible()
    assert_accessible(worker, "caseload on a phone")
    worker.context.close()


def test_touch_targets_are_at_least_44px(page, live_server, seeded):
    sign_in(page, live_server.url, seeded.worker)
    page.goto(f"{live_server.url}/caseload")
    sizes = page.eval_on_selector_all(
        "a, button, input, select",
        "els => els.filter(e => e.offsetParent !== null).map(e => [e.outerHTML.slice(0, 60),"
        " e.getBoundingClientRect().width, e.getBoundingClientRect().height])",
    )
    small = [s for s in sizes if s[1] < 44 or s[2] < 44]
    # Inline text links inside sentences are exempt under WCAG 2.5.8; everything else must be big enough.
    assert not small, small
