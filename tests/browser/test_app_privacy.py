"""A locked app holds no personal data in its DOM, whatever the worker did before locking; the worker's app has
visible ways to the safety check-in and to sign out."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible
from tests.browser.shell_fixtures import (
    ADDRESS_MARKER,
    CHILD_MARKER,
    RISK_MARKER,
    back_home,
    enrol,
    next_section,
    start_visit,
    unlock,
    visible,
)

pytestmark = pytest.mark.browser
TYPED = "MARKER-TYPED-OBSERVATION"
MARKERS = [CHILD_MARKER, ADDRESS_MARKER, RISK_MARKER, TYPED]


def locked_html(page):
    page.click("#lock-button")
    visible(page, "#screen-unlock")
    return page.evaluate("document.documentElement.outerHTML")


def assert_no_markers(html, when):
    for marker in MARKERS:
        assert marker not in html, f"{marker} is in the locked page's DOM ({when})"


def test_locked_dom_holds_no_personal_data(shell_server, page):
    enrol(page, shell_server)
    page.fill("#caseload-search", CHILD_MARKER[:9])
    start_visit(page)
    assert CHILD_MARKER in page.text_content("#record-title")  # the header really shows the child
    next_section(page)
    next_section(page)
    page.fill("#rf-visit-observations", TYPED)
    assert_no_markers(locked_html(page), "locked in the editor")
    unlock(page)
    visible(page, "#screen-record")
    back_home(page)  # the editor is closed: its hidden header used to keep name, address and risk note
    page.wait_for_selector(f"#drafts-list li:has-text('{CHILD_MARKER}')")
    assert_no_markers(locked_html(page), "locked on the home screen after closing the editor")


def test_safety_check_in_and_sign_out_are_visible(shell_server, page):
    enrol(page, shell_server)
    safety = page.get_by_role("link", name="Safety check-in")
    assert safety.is_visible() and safety.get_attribute("href") == "/safety"
    sign_out = page.get_by_role("button", name="Sign out")
    assert sign_out.is_visible()
    for target in (safety, sign_out):
        box = target.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    assert_accessible(page, "home with safety and sign-out")
    sign_out.click()
    page.wait_for_url("**/login**")
    page.goto(f"{shell_server.url}/api/me")
    assert "session_expired" in page.content() or "401" in page.content() or "error" in page.content()
