"""Safety fixtures: the app wired to a local push service and SMTP server, and a team with its escalation ladder."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fieldapp.extensions import db
from fieldapp.models import EscalationPolicy, PushSubscription, Role, Team, User
from fieldapp.safety.channels import generate_vapid_key
from tests.conftest import make_app
from tests.safety.doubles import FakeBrowser, PushService, SmtpServer


@pytest.fixture(scope="session")
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.close()


def safety_config(smtp_port: int, *push_origins: str) -> dict:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
        "VAPID_SUBJECT": "mailto:safety-tests@example.invalid",
        # The local push service is http on loopback: admitted by name, as only configuration can.
        "PUSH_TEST_ORIGINS": list(push_origins),
        # Tests drive delivery with an explicit clock through sweep(); no background sends.
        "SAFETY_DELIVER_ON_REQUEST": False,
    }


@pytest.fixture
def app(backend, tmp_path, request, smtp, push_service):
    app = make_app(backend, tmp_path, request, **safety_config(smtp.port, push_service.base_url))
    generate_vapid_key(app.instance_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@dataclass
class Person:
    user: User
    browser: FakeBrowser


@dataclass
class Ladder:
    team: Team
    duty_team: Team
    worker: Person
    line_managers: list[Person]
    duty: Person
    outsider: Person  # a manager in an unrelated team: must never hear a thing


def subscribe(user: User, push_service: PushService) -> FakeBrowser:
    browser = push_service.new_browser()
    info = browser.subscription(push_service.base_url)
    db.session.add(
        PushSubscription(
            user_id=user.id, endpoint=info["endpoint"], p256dh=info["keys"]["p256dh"], auth=info["keys"]["auth"]
        )
    )
    db.session.commit()
    return browser


@pytest.fixture
def ladder(app, make_team, make_user, push_service) -> Ladder:
    team, duty_team, other = make_team(), make_team(), make_team()
    db.session.add(
        EscalationPolicy(
            team_id=team.id, grace_minutes=5, ack_minutes=5, reminder_minutes="10,5", duty_team_id=duty_team.id
        )
    )
    db.session.commit()

    def person(role, in_team, name):
        user = make_user(role, in_team, email=f"{name}@example.invalid", display_name=f"{name} (test)")
        return Person(user, subscribe(user, push_service))

    return Ladder(
        team,
        duty_team,
        person(Role.WORKER, team, "worker"),
        [person(Role.MANAGER, team, "line1"), person(Role.MANAGER, team, "line2")],
        person(Role.MANAGER, duty_team, "duty"),
        person(Role.MANAGER, other, "outsider"),
    )
