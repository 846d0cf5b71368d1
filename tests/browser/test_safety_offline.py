"""Panic with no signal, in a real Chromium: /safety opens offline with the panic button and 999/SMS links; a press
made offline is kept on the device and reaches the manager (push and board) once the connection returns, carrying
the time it was pressed."""

from __future__ import annotations

import json
import time
from datetime import date
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import Child, LegalStatus, PushSubscription, Role, SafetyAlert, SafetySession, Team, User
from fieldapp.safety.channels import generate_vapid_key
from tests.browser.conftest import assert_accessible, wait_until
from tests.conftest import PASSWORD
from tests.safety.doubles import PushService

pytestmark = pytest.mark.browser

ADDRESS = "12 MARKER-Offline Road, Demo Town"
CASE = "OFF-0042"
DUTY = "+44 7700 900123"


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


def seed(app, push_service):
    generate_vapid_key(app.instance_path)
    app.config["PUSH_TEST_ORIGINS"] = [push_service.base_url]  # the local push service; defaults refuse loopback
    with app.app_context():
        team = Team(name="Offline Team (fictional)", duty_phone=DUTY)
        worker = User(
            username="o.worker", display_name="Olive Worker (test)", role=Role.WORKER, team=team, phone="07700 900456"
        )
        manager = User(username="o.manager", display_name="Owen Manager (test)", role=Role.MANAGER, team=team)
        admin = User(username="o.admin", display_name="Admin (test)", role=Role.ADMIN)
        for user in (worker, manager, admin):
            user.set_password(PASSWORD)
        child = Child(
            case_number=CASE,
            first_name="Ivy",
            last_name="Example",
            date_of_birth=date(2016, 1, 2),
            legal_status=LegalStatus.CHILD_IN_NEED,
            address=ADDRESS,
            team=team,
        )
        db.session.add_all([team, worker, manager, admin, child])
        db.session.flush()
        allocate(child, worker, by=admin)
        phone = push_service.new_browser()
        info = phone.subscription(push_service.base_url)
        db.session.add(
            PushSubscription(
                user_id=manager.id, endpoint=info["endpoint"], p256dh=info["keys"]["p256dh"], auth=info["keys"]["auth"]
            )
        )
        db.session.commit()
        return child.public_id, phone


def sign_in(page, url, username):
    page.goto(f"{url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)


def hold_panic(page):
    box = page.locator("#panic-button").bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + 10)
    page.mouse.down()
    status = page.locator("#panic-status")
    expect(status).to_contain_text("Keep holding")
    expect(status).not_to_contain_text("Keep holding", timeout=8000)
    page.mouse.up()


DUMP_SAFETY_DB = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("fieldapp-safety");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result, out = {};
    const tx = db.transaction([...db.objectStoreNames], "readonly");
    for (const name of db.objectStoreNames) {
      tx.objectStore(name).getAll().onsuccess = (e) => { out[name] = e.target.result.map((row) => JSON.stringify(
        row, (k, v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v)
          ? new TextDecoder("latin1").decode(v) : v)); };
    }
    tx.oncomplete = () => resolve(out);
  };
})"""


def test_offline_panic_reaches_the_manager_with_its_pressed_time(live_server, context, page, push_service):
    child_id, manager_phone = seed(live_server.app, push_service)
    context.grant_permissions(["notifications"], origin=live_server.url)
    sign_in(page, live_server.url, "o.worker")
    page.goto(f"{live_server.url}/safety")
    page.wait_for_selector("#start:not([hidden])")
    page.select_option("#child", child_id)
    page.click("#start-button")
    page.wait_for_selector("#running:not([hidden])")
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, "navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.reload()
    # The cached page, not the device set-up screen: panic button, 999 and the duty desk SMS, filled in.
    expect(page.locator("#panic-button")).to_be_visible()
    expect(page.locator("#offline-help")).to_be_visible()
    expect(page.locator("#screen-signin")).to_have_count(0)
    assert page.get_attribute("#call-999", "href") == "tel:999"
    sms = page.get_attribute("#sms-duty", "href")
    assert sms.startswith("sms:+447700900123?body=")
    text = unquote(sms.split("body=", 1)[1])
    assert ADDRESS in text and CASE in text and "Olive Worker" in text
    expect(page.locator("#server-timer")).to_contain_text("alerts your managers at")
    assert_accessible(page, "/safety offline")
    for target in ("#call-999", "#sms-duty", "#panic-button"):
        box = page.locator(target).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, target

    hold_panic(page)
    expect(page.locator("#panic-status")).to_contain_text("NOT sent yet")
    stored = page.evaluate(DUMP_SAFETY_DB)
    assert len(stored["panics"]) == 1
    dump = json.dumps(stored)
    assert "MARKER-Offline" not in dump and CASE not in dump, "visit details must be kept encrypted"
    with live_server.app.app_context():
        assert db.session.scalars(select(SafetyAlert)).all() == []

    time.sleep(2)  # the press waits on the device; the manager must learn when it was pressed, not when it arrived
    context.set_offline(False)
    expect(page.locator("#panic-status")).to_contain_text("Panic alert sent", timeout=15000)
    assert page.evaluate(DUMP_SAFETY_DB)["panics"] == []

    received = push_service.wait_for(1, timeout=10)
    message = received[0].payload
    assert message["title"].startswith("PANIC") and "Olive Worker" in message["title"]
    assert "Panic pressed at" in message["body"] and "received" in message["body"]
    assert "07700 900456" in message["body"]
    with live_server.app.app_context():
        session = db.session.scalar(select(SafetySession))
        lag = (session.panic_at - session.panic_pressed_at).total_seconds()
        assert 2 <= lag < 30, lag
        # One panic alert however often the device sent the press, and the news to the worker that it arrived.
        assert [a.kind.value for a in db.session.scalars(select(SafetyAlert))] == ["panic", "worker_update"]

    manager = context.browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        sign_in(manager, live_server.url, "o.manager")
        manager.goto(f"{live_server.url}/safety/board")
        card = manager.locator(".board-card.level-alert").first
        expect(card).to_contain_text("PANIC")
        expect(card.locator(".f-panic")).to_contain_text("pressed")
        expect(card.locator(".f-panic")).to_contain_text("received")
    finally:
        manager.context.close()
