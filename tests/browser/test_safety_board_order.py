"""The managers' board at 1280×800 and the team safety policy screen, in a real Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.models import Role, Team, User, utcnow
from fieldapp.safety import sessions
from tests.browser.conftest import assert_accessible
from tests.browser.test_safety_offline import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def people(app, count):
    with app.app_context():
        team = Team(name="Board Team (fictional)")
        users = [
            User(username=f"w{n}", display_name=f"Worker {n} (test)", role=Role.WORKER, team=team) for n in range(count)
        ]
        users += [
            User(username="m", display_name="Manager (test)", role=Role.MANAGER, team=team),
            User(username="a", display_name="Admin (test)", role=Role.ADMIN),
        ]
        for user in users:
            user.set_password(PASSWORD)
        db.session.add_all([team, *users])
        db.session.commit()
        return team.id, [u.id for u in users[:count]]


def test_a_new_panic_shows_above_the_fold_with_closed_sessions_present(live_server, browser):
    _, workers = people(live_server.app, 9)
    now = utcnow()
    with live_server.app.app_context():
        for n, worker_id in enumerate(workers[:6]):  # six visits closed today, one after an alert
            session = sessions.start(
                db.session.get(User, worker_id), now - timedelta(hours=3), 30, address=f"{n} Closed Street"
            )
            if n == 0:
                session.alert_raised_at = now - timedelta(hours=2)
            sessions.check_out(session, now - timedelta(minutes=50 + n))
        for worker_id in workers[6:8]:
            sessions.start(db.session.get(User, worker_id), now, 90, address="Running Road")
        db.session.commit()
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        sign_in(page, live_server.url, "m")
        page.goto(f"{live_server.url}/safety/board")
        expect(page.locator("#closed-summary")).to_have_text("Closed in the last 12 hours (6)")
        expect(page.locator("#checked-out-notices li")).to_contain_text("Worker 0 (test) checked out at")
        with live_server.app.app_context():
            sessions.panic(db.session.get(User, workers[8]), utcnow(), address="Panic Place")
            db.session.commit()
        card = page.locator(".board-card.level-alert")
        expect(card).to_contain_text("PANIC", timeout=8000)
        box = card.bounding_box()
        assert box["y"] + 120 <= 800, f"the panic starts at {box['y']}px: below the fold"
        assert page.locator("#sessions .board-card").first.get_attribute("id") == card.get_attribute("id")
        assert page.get_attribute("#closed", "open") is None  # collapsed
        closed_text = page.locator("#closed-sessions").text_content()
        assert "overdue" not in closed_text and "closed at" in closed_text
        assert_accessible(page, "safety board")
    finally:
        page.context.close()


def test_admin_edits_a_teams_safety_policy(live_server, page):
    team_id, _ = people(live_server.app, 1)
    sign_in(page, live_server.url, "a")
    page.goto(f"{live_server.url}/admin/teams")
    page.click("text=Safety policy")
    expect(page.locator("h1")).to_have_text("Safety policy: Board Team (fictional)")
    assert_accessible(page, "team safety policy")
    page.get_by_label("Duty desk phone number").fill("not a number")
    page.click("text=Save safety policy")
    expect(page.locator(".error-message")).to_contain_text("digits")
    assert_accessible(page, "team safety policy with an error")
    page.get_by_label("Duty desk phone number").fill("+44 20 7946 0000")
    page.get_by_label("Grace after the visit").fill("7")
    page.click("text=Save safety policy")
    expect(page.locator(".notice-success")).to_contain_text("Saved the safety policy")
    with live_server.app.app_context():
        assert db.session.get(Team, team_id).duty_phone == "+44 20 7946 0000"
