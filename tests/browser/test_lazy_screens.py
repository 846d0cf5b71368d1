"""Screens loaded when first opened (issue 17, a lighter shell), in real Chromium. First load of /app fetches only
the modules app.js imports statically (the same set tests/test_shell_size.py measures); the unlocked app, the
record editor with its forms, the child's own mode and amend load on first open, from the service worker's
precache, so they open offline the first time after a fresh start; one that cannot be loaded says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fieldapp.shell.first_load import first_load
from tests.browser.shell_fixtures import PIN, enrol, fill_visit, start_visit, unlock, visible

pytestmark = pytest.mark.browser
JS = "/static/js/"


def watch_modules(page) -> list[str]:
    """Paths of every module the page requests (through the service worker or not), in order."""
    seen: list[str] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request.url.split("://", 1)[1].split("/", 1)[1])
            if request.url.endswith(".js") and "/static/js/" in request.url
            else None
        ),
    )
    return seen


def fresh_offline_page(context, server):
    """A new page while the device has no connection: nothing of the app is in memory, all comes from the cache."""
    context.set_offline(True)
    page = context.new_page()
    page.set_default_timeout(15000)
    modules = watch_modules(page)
    page.goto(f"{server.url}/app")
    visible(page, "#screen-unlock")
    return page, modules


def test_first_load_fetches_only_the_static_graph_and_every_screen_opens_offline_the_first_time(
    shell_server, context, page
):
    server = shell_server
    expected = first_load(server.app.test_client())
    enrol(page, server)
    page.close()

    page, modules = fresh_offline_page(context, server)
    page.wait_for_timeout(500)  # boot has settled at the PIN prompt
    first = {f"/{path}" for path in modules}
    assert first == {url for url in expected["files"] if url.startswith(JS)}, "first load differs from the measure"
    assert f"{JS}record-editor.js" not in first and f"{JS}home.js" not in first

    unlock(page, PIN)  # the unlocked app (home.js) loads now, offline
    visible(page, "#screen-home")
    page.wait_for_selector("#caseload-list li")
    assert "static/js/home.js" in modules and "static/js/record-editor.js" not in modules

    # Amend: the child's records on this device (none pulled yet), opened offline.
    page.click("#caseload-list button:has-text('Records on this device')")
    page.wait_for_selector(".child-records li:has-text('No records from the server')")

    start_visit(page)  # the record editor, forms, validation, carry forward and autosave, offline
    for name in ("record-editor", "forms", "schema-validate", "carried", "carry-forward", "autosave", "child-mode"):
        assert f"static/js/{name}.js" in modules, name
    fill_visit(page, "MARKER-LAZY-LOCATION", "Typed offline in an editor loaded offline.")
    expect(page.locator("#record-saved")).to_contain_text("All changes saved")

    page.click("#child-mode-start")  # the child's own mode, loaded with the editor
    visible(page, "#screen-child")
    page.fill("#child-text-worries", "MARKER-LAZY-CHILD")
    page.wait_for_timeout(300)

    # A reload in child mode, still offline: boot loads child mode again and stays sealed at the PIN prompt.
    page.reload()
    visible(page, "#screen-unlock")
    assert page.evaluate("document.body.classList.contains('child-mode')")
    unlock(page, PIN)
    visible(page, "#screen-child")
    expect(page.locator("#child-text-worries")).to_have_value("MARKER-LAZY-CHILD")
    page.click("#child-leave")
    page.fill("#child-pin", PIN)
    page.click("#child-leave-submit")
    visible(page, "#screen-record")
    expect(page.locator("#rf-visit-location")).to_have_value("MARKER-LAZY-LOCATION")
    assert not page.evaluate("document.getElementById('notices').textContent.includes('could not be opened')")


def test_a_screen_that_cannot_load_offline_says_so_and_opens_once_back_online(shell_server, context, page):
    server = shell_server
    enrol(page, server)
    # As if the cache had lost the editor (an older worker, storage trimmed): it is not on this device.
    assert page.evaluate("""async () => {
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        if (await cache.delete('/static/js/record-editor.js')) return true;
      }
      return false;
    }""")
    page.close()

    page, _ = fresh_offline_page(context, server)
    unlock(page, PIN)
    visible(page, "#screen-home")
    page.wait_for_selector("#caseload-list li")
    page.click("#caseload-list button:has-text('Start a visit')")
    page.wait_for_selector("#notices :text('record editor could not be opened')")
    notice = page.text_content("#notices")
    assert "offline" in notice and "Your saved work is safe" in notice
    visible(page, "#screen-home")  # still on a screen with content, never a blank one

    context.set_offline(False)
    page.click("#caseload-list button:has-text('Start a visit')")  # loads now, from the network
    visible(page, "#screen-record")
    assert "could not be opened" not in page.text_content("#notices")
