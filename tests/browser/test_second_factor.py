"""Two-step sign-in in real Chromium: a manager enrols (the "scan" is reading the typed key), signs out and back
in with a code; an admin resets it; a worker's expired session in the offline app asks for the code too and
loses nothing typed. axe on every new page."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldapp.auth.second_factor import enrol_without_code
from fieldapp.extensions import db
from fieldapp.models import Role, Team, User
from tests.browser.conftest import assert_accessible
from tests.browser.shell_fixtures import back_home, enrol, sign_in_form, start_visit, visible
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def people(live_server):
    """The production default (managers and admins need a second factor), a manager and an enrolled admin."""
    app = live_server.app
    app.config["SECOND_FACTOR_REQUIRED_ROLES"] = ["manager", "admin"]
    with app.app_context():
        team = Team(name="Second factor team")
        manager = User(username="sf.manager", display_name="Sam Placeholder", role=Role.MANAGER, team=team)
        admin = User(username="sf.admin", display_name="Ada Example", role=Role.ADMIN)
        for user in (manager, admin):
            user.set_password(PASSWORD)
        db.session.add_all([team, manager, admin])
        db.session.flush()
        admin_secret = enrol_without_code(admin)
        db.session.commit()
        return {"manager_id": manager.id, "admin_secret": admin_secret}


def sign_out(page):
    page.click("form.signout button")
    page.wait_for_url("**/login")


def test_manager_enrols_signs_out_and_signs_in_with_a_code(live_server, people, browser):
    page = browser.new_page()
    sign_in_form(page, live_server.url, username="sf.manager")
    page.wait_for_url("**/account/second-factor")  # sent to enrolment, not to the caseload
    page.goto(live_server.url + "/caseload")
    page.wait_for_url("**/account/second-factor")
    assert page.locator("img.qr").evaluate("(img) => img.complete && img.naturalWidth > 0")  # allowed by the CSP
    assert_accessible(page, "enrolment")
    totp = pyotp.TOTP(page.text_content("#totp-secret").replace(" ", ""))
    page.fill("#code", "000000" if totp.now() != "000000" else "111111")
    page.click("#submit")
    page.wait_for_selector(".error-summary")
    assert_accessible(page, "enrolment with an error")
    enrolment_code = totp.now()
    page.fill("#code", enrolment_code)
    page.click("#submit")
    page.wait_for_selector("#recovery-codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(page, "recovery codes")
    page.click("text=I have kept my recovery codes")
    page.wait_for_url("**/caseload")

    sign_out(page)
    sign_in_form(page, live_server.url, username="sf.manager")
    page.wait_for_url("**/login/second-factor")
    assert_accessible(page, "second step")
    page.fill("#code", enrolment_code)  # spent on enrolment (or too old by now): refused
    page.click("#submit")
    page.wait_for_selector(".error-summary")
    assert_accessible(page, "second step with an error")
    page.fill("#code", totp.at(time.time() + 30))
    page.click("#submit")
    page.wait_for_url("**/caseload")
    page.goto(live_server.url + "/account/second-factor")
    page.wait_for_selector("text=10 unused recovery codes")
    assert_accessible(page, "second factor status")

    admin = browser.new_page()
    sign_in_form(admin, live_server.url, username="sf.admin")
    admin.wait_for_url("**/login/second-factor")
    admin.fill("#code", pyotp.TOTP(people["admin_secret"]).now())
    admin.click("#submit")
    admin.wait_for_url("**/admin/users")
    admin.goto(f"{live_server.url}/admin/users/{people['manager_id']}")
    admin.click("text=Two-step sign-in for Sam Placeholder")
    assert_accessible(admin, "admin reset")
    admin.click("input[value='Reset two-step sign-in']")
    admin.wait_for_selector("text=Two-step sign-in reset for Sam Placeholder")

    page.goto(live_server.url + "/caseload")  # the reset signed the manager out
    page.wait_for_url("**/login**")
    page.close(), admin.close()


def test_the_app_asks_for_the_code_when_the_session_expired_and_keeps_the_typing(shell_server, context, page):
    enrol(page, shell_server)
    with shell_server.app.app_context():
        worker = db.session.scalar(select(User).where(User.username == "shell.worker"))
        secret = enrol_without_code(worker)
        db.session.commit()
    start_visit(page)
    page.fill("#rf-visit-location", "Typed before expiry")
    context.clear_cookies()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#reauth-dialog[open]")
    assert page.is_hidden("#reauth-code-field")
    page.fill("#reauth-password", PASSWORD)
    page.click("#reauth-submit")
    visible(page, "#reauth-code-field")
    page.wait_for_selector("#reauth-error:has-text('authenticator app')")
    expect(page.locator("#reauth-password")).to_have_value(PASSWORD)  # nothing to type twice
    assert_accessible(page, "re-authentication with a code")
    page.fill("#reauth-code", "12345x")
    page.click("#reauth-submit")
    page.wait_for_selector("#reauth-error:has-text('not right')")
    page.fill("#reauth-code", pyotp.TOTP(secret).now())
    page.click("#reauth-submit")
    page.wait_for_selector("#reauth-dialog:not([open])", state="attached")
    expect(page.locator("#rf-visit-location")).to_have_value("Typed before expiry")
    assert page.evaluate("fetch('/api/me').then((r) => r.status)") == 200
    back_home(page)
    page.wait_for_selector("#drafts-list li:has-text('Typed before expiry')")
