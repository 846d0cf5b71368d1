"""The service worker shows a notification for a delivered safety push (CDP ServiceWorker.deliverPushMessage)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.browser


def test_service_worker_shows_a_notification_for_a_safety_push(live_server, context, page):
    try:
        urllib.request.urlopen(f"{live_server.url}/sw.js", timeout=5).close()  # noqa: S310 (loopback)
    except urllib.error.HTTPError as error:
        # sw.js (with the push handlers, per the agreed contract) is built by the offline-shell issue.
        pytest.skip(f"/sw.js not served yet ({error.code}): enable once the offline shell is merged")
    context.grant_permissions(["notifications"], origin=live_server.url)
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.goto(f"{live_server.url}/login")
    page.evaluate("navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready)")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert registrations, "no service worker registration reported"
    payload = {
        "title": "PANIC: Test Worker pressed the panic button",
        "body": "Address: 1 Example Street",
        "url": "/safety/board#session-test",
        "tag": "safety-test-panic-1",
        "kind": "panic",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server.url, "registrationId": registrations[-1]["registrationId"], "data": json.dumps(payload)},
    )
    notifications = []
    deadline = time.monotonic() + 10
    while not notifications and time.monotonic() < deadline:
        notifications = page.evaluate("""navigator.serviceWorker.ready.then(r => r.getNotifications()).then(
            list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data,
                                    requireInteraction: n.requireInteraction})))""")
        page.wait_for_timeout(100)
    assert notifications == [
        {
            "title": payload["title"],
            "body": payload["body"],
            "tag": payload["tag"],
            "data": {"url": payload["url"]},
            "requireInteraction": True,
        }
    ]
