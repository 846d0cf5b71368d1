"""The safety pages in a real Chromium: duress looks like a normal check-out, managers see and take alerts."""

from __future__ import annotations

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import check_password_hash

from fieldapp.extensions import db
from fieldapp.models import Role, SafetyAlert, SafetyProfile, Team, User
from fieldapp.safety import sessions
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def make_people(app):
    with app.app_context():
        team = Team(name="Browser Team (fictional)")
        db.session.add(team)
        people = {}
        for username, role in (("b.worker", Role.WORKER), ("b.manager", Role.MANAGER)):
            user = User(username=username, display_name=f"{username} (test)", role=role, team=team)
            user.set_password(PASSWORD)
            db.session.add(user)
            people[username] = user
        db.session.flush()
        sessions.set_pins(people["b.worker"], "2468", "1357")
        db.session.commit()
        return {name: user.id for name, user in people.items()}


def sign_in(page, live_server, username, then):
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server.url}{then}")


def no_serious_violations(page):
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)[:3000]


def start_and_check_out(page, pin: str):
    page.wait_for_selector("#start:not([hidden])")
    page.fill("#address", "9 Example Street, ZZ99 9ZZ")
    page.fill("#minutes", "45")
    page.click("#start-button")
    page.wait_for_selector("#running:not([hidden])")
    page.fill("#checkout-pin", pin)
    page.click("#checkout-button")
    page.wait_for_selector("#done:not([hidden])")
    expect(page.locator("#net-status-text")).to_contain_text("no safety session")
    return page.inner_text("main"), page.locator("main").screenshot()


def test_duress_checkout_looks_exactly_like_normal_while_managers_are_alerted(live_server, context, page):
    make_people(live_server.app)
    sign_in(page, live_server, "b.worker", "/safety")
    no_serious_violations(page)
    normal_text, normal_shot = start_and_check_out(page, "2468")
    page.click("#start-again")
    duress_text, duress_shot = start_and_check_out(page, "1357")
    assert duress_text == normal_text
    assert duress_shot == normal_shot
    assert "You have checked out" in duress_text
    with live_server.app.app_context():
        kinds = db.session.scalars(select(SafetyAlert.kind)).all()
    assert [k.value for k in kinds] == ["duress"]

    manager = context.browser.new_context(viewport={"width": 768, "height": 1024}).new_page()
    try:
        sign_in(manager, live_server, "b.manager", "/safety/board")
        manager.locator(".board-card.level-alert").wait_for()
        card = manager.locator("#" + manager.locator(".board-card.level-alert").get_attribute("id"))
        assert "DURESS" in card.inner_text()
        assert "9 Example Street" in card.inner_text()
        no_serious_violations(manager)
        card.locator(".ack-button").click()
        expect(card.locator(".f-ack")).to_contain_text("b.manager")
        assert card.locator(".ack-button").is_hidden()
    finally:
        manager.context.close()


def test_board_shows_a_new_alert_without_reload(live_server, context, page):
    ids = make_people(live_server.app)
    sign_in(page, live_server, "b.manager", "/safety/board")
    page.wait_for_selector("#board-empty:not([hidden])")
    with live_server.app.app_context():
        worker = db.session.get(User, ids["b.worker"])
        from fieldapp.models import utcnow

        sessions.panic(worker, utcnow(), address="10 Example Street")
        db.session.commit()
    page.wait_for_selector(".board-card.level-alert", timeout=6000)  # polled every 2 s: well within 6
    expect(page.locator(".board-card").first).to_contain_text("PANIC")
    assert page.is_visible("#alarm-banner")
    page.click("#sound-on")
    assert page.get_attribute("#sound-on", "aria-pressed") == "true"


def test_panic_needs_a_three_second_hold_and_can_be_cancelled(live_server, context, page):
    make_people(live_server.app)
    sign_in(page, live_server, "b.worker", "/safety")
    page.wait_for_selector("#start:not([hidden])")
    page.fill("#address", "11 Example Street")
    page.click("#start-button")
    page.wait_for_selector("#running:not([hidden])")
    button = page.locator("#panic-button")
    box = button.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + 10)
    page.mouse.down()
    expect(page.locator("#panic-status")).to_contain_text("Keep holding")
    page.mouse.up()
    expect(page.locator("#panic-status")).to_have_text("Panic cancelled.")
    with live_server.app.app_context():
        assert db.session.scalars(select(SafetyAlert)).all() == []
    page.mouse.down()
    expect(page.locator("#panic-status")).to_contain_text("Panic alert sent", timeout=8000)
    page.mouse.up()
    with live_server.app.app_context():
        # One panic, and the news to the worker that it reached the managers (safety/news.py).
        assert sorted(a.kind.value for a in db.session.scalars(select(SafetyAlert))) == ["panic", "worker_update"]


def test_a_worker_changes_pins_already_set_from_the_page_with_their_password(live_server, context, page):
    """Changing PINs needs the account password (so whoever holds an unlocked tablet cannot learn a new duress
    PIN); the page must ask for it, or a worker can never change their PINs at all."""
    ids = make_people(live_server.app)  # the worker's PINs are already set: 2468 / 1357
    sign_in(page, live_server, "b.worker", "/safety")
    page.wait_for_selector("#start:not([hidden])")
    page.locator("details", has=page.locator("#pins-form")).locator("summary").click()
    expect(page.locator("#pins-password")).to_be_visible()
    page.fill("#pin-checkout", "1122")
    page.fill("#pin-duress", "3344")
    page.fill("#pins-password", "not the password")
    page.click("#pins-form [type=submit]")
    expect(page.locator("#pins-status")).to_contain_text("password")
    page.fill("#pins-password", PASSWORD)
    page.click("#pins-form [type=submit]")
    expect(page.locator("#pins-status")).to_contain_text("saved")
    expect(page.locator("#pins-password")).to_have_value("")  # not left on the page
    no_serious_violations(page)
    with live_server.app.app_context():
        profile = db.session.get(SafetyProfile, ids["b.worker"])
        assert check_password_hash(profile.checkout_pin_hash, "1122")
        assert check_password_hash(profile.duress_pin_hash, "3344")
