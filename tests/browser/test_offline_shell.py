"""The offline app shell in a real Chromium: offline reloads, PIN unlock, wipes, auto-lock, updates."""

from __future__ import annotations

import pytest

from tests.browser.shell_fixtures import (  # noqa: F401  (fixtures)
    CHILD_MARKER, PIN, enrol, save_note, shell_server, unlock, visible,
)

pytestmark = pytest.mark.browser


def test_app_reloads_offline_and_with_the_server_stopped(shell_server, context, page):
    enrol(page, shell_server)
    save_note(page, "Offline note", "written before the signal went")

    context.set_offline(True)
    page.reload()
    unlock(page)
    visible(page, "#screen-home")
    assert page.text_content("#status-network") == "Offline"
    assert CHILD_MARKER in page.text_content("#caseload-list")
    assert "Offline note" in page.text_content("#drafts-list")

    context.set_offline(False)
    shell_server.server.shutdown()
    shell_server.server.server_close()
    page.goto(shell_server.url + "/app")
    unlock(page)
    visible(page, "#screen-home")
    assert "Offline note" in page.text_content("#drafts-list")
    # A server page visited with the server gone falls back to the shell, never to a cached server page.
    page.goto(shell_server.url + "/caseload")
    visible(page, "#screen-unlock")
    assert page.url.endswith("/app")
