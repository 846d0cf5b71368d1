"""The shell's accessibility, and the service worker's push contract that the safety alerts rely on."""

from __future__ import annotations

import json

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.shell_fixtures import enrol, save_note, seal_visit, sign_in_form, unlock, visible

pytestmark = pytest.mark.browser


def axe_violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


@pytest.mark.parametrize(
    "viewport",
    [{"width": 768, "height": 1024}, {"width": 1024, "height": 768}, {"width": 375, "height": 740}],
    ids=["portrait", "landscape", "phone"],
)
def test_every_shell_screen_is_axe_clean(shell_server, browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(shell_server.url + "/app")
    visible(page, "#screen-signin")
    assert axe_violations(page) == []
    sign_in_form(page, shell_server.url)
    visible(page, "#screen-setpin")
    page.click("#setpin-form button[type=submit]")  # with errors showing
    visible(page, "#setpin-error")
    assert axe_violations(page) == []
    page.fill("#new-pin", "482915")
    page.fill("#confirm-pin", "482915")
    page.click("#setpin-form button[type=submit]")
    visible(page, "#screen-home")
    page.wait_for_selector("#caseload-list li")
    seal_visit(page, "A draft", "body")
    save_note(page, "Another draft", "body")
    assert axe_violations(page) == []
    page.click("#lock-button")
    unlock(page, "000000")
    visible(page, "#unlock-error")
    assert axe_violations(page) == []
    context.close()


def test_touch_targets_are_at_least_44px(shell_server, page):
    enrol(page, shell_server)
    save_note(page, "A draft", "body")
    page.click("#drafts-list button:has-text('Continue')")  # the visit editor too
    visible(page, "#screen-record")
    small = page.evaluate("""() => [...document.querySelectorAll('button, a, input, textarea')]
        .filter((node) => node.offsetParent !== null && node.getBoundingClientRect().right > 0)  // not the skip link
        // a radio or checkbox is tapped through its whole row (input and label, .choice in forms.css)
        .map((node) => ({ id: node.id || node.textContent.trim(),
                          box: (node.closest('.choice') || node).getBoundingClientRect() }))
        .filter(({ box }) => box.height < 44 || box.width < 44).map(({ id }) => id)""")
    assert small == []


def _registration_id(context, page, url) -> tuple[object, str]:
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    ids = {r["registrationId"] for r in registrations if r["scopeURL"] == url + "/" and not r.get("isDeleted")}
    assert len(ids) == 1, registrations
    return cdp, ids.pop()


def _notifications(page) -> list[dict]:
    return page.evaluate("""() => navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((list) =>
        list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data,
                           requireInteraction: n.requireInteraction })))""")


def test_every_push_shows_a_notification(shell_server, context, page):
    context.grant_permissions(["notifications"], origin=shell_server.url)
    enrol(page, shell_server)
    cdp, registration_id = _registration_id(context, page, shell_server.url)
    alert = {
        "title": "Amber alert: check on Wren",
        "body": "Overdue by 5 min",
        "url": "/app#alert",
        "tag": "safety-1",
        "kind": "amber",
    }
    for data in (json.dumps(alert), json.dumps({"body": "due soon", "kind": "reminder", "tag": "r1"}), "not json"):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": shell_server.url, "registrationId": registration_id, "data": data},
        )
    page.wait_for_timeout(500)
    for _ in range(20):
        shown = _notifications(page)
        if len(shown) == 3:
            break
        page.wait_for_timeout(250)
    by_tag = {n["tag"]: n for n in shown}
    assert by_tag["safety-1"] == {
        "title": alert["title"],
        "body": alert["body"],
        "tag": "safety-1",
        "data": {"url": "/app#alert"},
        "requireInteraction": True,
    }
    assert by_tag["r1"]["title"] == "fieldapp alert" and by_tag["r1"]["requireInteraction"] is False
    assert by_tag[""]["title"] == "fieldapp alert" and by_tag[""]["body"] == "not json"
