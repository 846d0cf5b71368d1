"""In a real Chromium: a worker changes their password (the form is accessible, the other browser is signed out),
and a second admin confirms a pending manager grant from an accessible page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "heron-marble-quartz-62"


def test_worker_changes_password_and_the_other_browser_is_signed_out(browser, page, live_server, seeded):
    other = browser.new_context().new_page()
    sign_in(other, live_server.url, seeded.manager)
    sign_in(page, live_server.url, seeded.manager)
    page.get_by_role("link", name="Password").click()
    assert page.get_by_role("heading", name="Change your password").is_visible()
    assert_accessible(page, "change password")
    page.get_by_label("Current password").fill("correct-horse-battery-staple")
    page.get_by_label("New password", exact=True).fill("password1234")
    page.get_by_label("New password again").fill("password1234")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("alert").filter(has_text="too common").is_visible()
    assert_accessible(page, "change password with error")
    page.get_by_label("Current password").fill("correct-horse-battery-staple")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("status").filter(has_text="Your password is changed").is_visible()
    other.goto(f"{live_server.url}/caseload")
    assert "/login" in other.url  # the other browser's session has ended
    other.context.close()


def test_second_admin_confirms_a_manager_grant(browser, live_server, seeded):
    from fieldapp.extensions import db
    from fieldapp.models import Role, User
    from tests.conftest import PASSWORD

    with live_server.app.app_context():
        second = User(username="b.admin2", display_name="Second Admin (fictional)", role=Role.ADMIN)
        second.set_password(PASSWORD)
        db.session.add(second)
        db.session.commit()

    first = browser.new_context().new_page()
    sign_in(first, live_server.url, seeded.admin)
    first.goto(f"{live_server.url}/admin/users/new")
    first.get_by_label("Username").fill("b.newmanager")
    first.get_by_label("Full name").fill("New Manager (fictional)")
    first.get_by_label("Role", exact=True).select_option("manager")
    first.get_by_label("Team", exact=True).select_option(label="Browser Team (fictional)")
    first.get_by_label("New password (blank: unchanged)").fill(NEW_PASSWORD)
    first.get_by_role("button", name="Save user").click()
    assert first.get_by_role("status").filter(has_text="waits for another admin").is_visible()
    first.context.close()

    page = browser.new_context().new_page()
    sign_in(page, live_server.url, "b.admin2")
    page.goto(f"{live_server.url}/admin/users")
    assert page.locator(".role-grant-alert").filter(has_text="b.newmanager").is_visible()
    assert_accessible(page, "users with a pending grant")
    page.get_by_role("link", name="Review role grants").click()
    assert_accessible(page, "role grants")
    page.get_by_role("button", name="Confirm").click()
    assert page.get_by_role("status").filter(has_text="Confirmed: manager role").is_visible()
    page.context.close()
