"""Real Chromium: a worker signs in through the council's provider, works offline, and when the session has
ended re-authenticates through the provider in a popup without losing anything typed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fieldapp.auth.sessions import end_sessions
from fieldapp.extensions import db
from fieldapp.models import User
from tests.browser.conftest import assert_accessible, wait_until
from tests.browser.shell_fixtures import PIN, back_home, start_visit, visible
from tests.oidc.provider import start_provider

pytestmark = pytest.mark.browser
SUBJECT = "sub-shell-0005"  # the provider's account for shell.worker


@pytest.fixture
def oidc_server(shell_server):
    provider = start_provider([f"{shell_server.url}/login/oidc/callback"])
    # Single sign-on only for workers: the device's dialog must not offer a password.
    shell_server.app.config.update(provider.app_config(LOCAL_PASSWORDS="admins"))
    yield shell_server
    provider.stop()


def through_provider(page, subject=SUBJECT):
    """The provider's own sign-in page (fictional council): give the account and continue."""
    page.wait_for_selector("#account")
    page.fill("#account", subject)
    page.click("button[type=submit]")


def test_worker_signs_in_through_the_provider_and_reauthenticates_in_a_popup_losing_nothing(oidc_server, context, page):
    page.goto(f"{oidc_server.url}/login?next=/app")
    assert_accessible(page, "login with single sign-on")
    assert "break-glass" in page.text_content("main")
    page.click("#oidc-sign-in")
    through_provider(page)
    page.wait_for_url("**/app")
    visible(page, "#screen-setpin")
    page.fill("#new-pin", PIN)
    page.fill("#confirm-pin", PIN)
    page.fill("#device-name", "SSO tablet")
    page.click("#setpin-form button[type=submit]")
    visible(page, "#screen-home")
    page.wait_for_selector("#caseload-list li")
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, "navigator.serviceWorker.controller !== null")

    start_visit(page)
    page.fill("#rf-visit-location", "Typed online")
    context.set_offline(True)
    page.locator("#rf-visit-location").press_sequentially(", then offline", delay=20)

    with oidc_server.app.app_context():  # meanwhile the session ends on the server (as after re-validation)
        end_sessions(db.session.scalar(db.select(User).filter_by(username="shell.worker")), "test: ended")
        db.session.commit()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#reauth-dialog[open]")
    page.wait_for_selector("#reauth-oidc:not([hidden])")
    assert page.text_content("#reauth-oidc") == "Sign in with Test Council"
    assert page.locator("#reauth-password-fields").is_hidden()
    assert_accessible(page, "re-authentication dialog")

    # The provider's own session would sign the worker straight back in (tested too, below); forget it, so the
    # worker signs in at the provider in the popup, as after a day away. Cookies ignore ports: only its names.
    context.clear_cookies(name=re.compile(r"^_(session|interaction)"))
    with context.expect_page() as popup_info:
        page.click("#reauth-oidc")
    popup = popup_info.value
    through_provider(popup)
    page.wait_for_selector("#reauth-dialog:not([open])", state="attached", timeout=20000)
    expect(page.locator("#rf-visit-location")).to_have_value("Typed online, then offline")
    assert page.evaluate("fetch('/api/me', {headers: {Accept: 'application/json'}}).then((r) => r.status)") == 200
    back_home(page)
    page.wait_for_selector("#drafts-list li:has-text('Typed online, then offline')")


def test_the_popup_pages_are_accessible(oidc_server, page):
    page.goto(f"{oidc_server.url}/login/oidc?popup=1")
    through_provider(page)
    page.wait_for_selector("#oidc-done")
    assert_accessible(page, "signed in (popup)")
    page.goto(f"{oidc_server.url}/login/oidc/callback?state=replayed&code=nothing")
    page.wait_for_selector("#oidc-refused")
    assert_accessible(page, "sign-in refused")


def test_a_live_provider_session_signs_the_worker_back_in_without_a_form(oidc_server, context, page):
    page.goto(f"{oidc_server.url}/login?next=/app")
    page.click("#oidc-sign-in")
    through_provider(page)
    page.wait_for_url("**/app")
    with oidc_server.app.app_context():
        end_sessions(db.session.scalar(db.select(User).filter_by(username="shell.worker")), "test: ended")
        db.session.commit()
    page.goto(f"{oidc_server.url}/login/oidc?popup=1")  # what the dialog's popup opens
    page.wait_for_selector("#oidc-done")
    assert page.evaluate("fetch('/api/session').then((r) => r.json()).then((s) => s.authenticated)")
