"""The admin screen for a team's escalation policy and duty number: saved, used by the ladder, audited, validated."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, EscalationPolicy, Role
from fieldapp.safety import stages
from tests.conftest import login

GOOD = {"duty_phone": "+44 20 7946 0000", "reminder_minutes": "5, 15", "grace_minutes": "3", "ack_minutes": "4"}


def test_admin_sets_a_teams_policy_and_duty_number(client, make_team, make_user):
    team, duty = make_team("Fostering (fictional)"), make_team("Out of hours (fictional)")
    login(client, make_user(Role.ADMIN))
    page = client.get(f"/admin/teams/{team.id}/safety").get_data(as_text=True)
    assert 'value="5"' in page and "Managers of Out of hours (fictional)" in page  # the defaults, shown
    answer = client.post(f"/admin/teams/{team.id}/safety", data={**GOOD, "duty_team_id": duty.id})
    assert answer.status_code == 302
    policy = stages.policy_for(team.id)
    assert (policy.grace_minutes, policy.ack_minutes, policy.reminders, policy.duty_team_id) == (3, 4, [15, 5], duty.id)
    db.session.refresh(team)
    assert team.duty_phone == "+44 20 7946 0000"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "admin_safety_policy_saved"))
    assert "before: grace=5" in event.detail and "after: grace=3" in event.detail
    assert f"teams/{team.id}/safety" in client.get("/admin/teams").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("grace_minutes", "-1", "between 0 and 60"),
        ("ack_minutes", "soon", "Not a valid integer"),
        ("reminder_minutes", "10, x", "whole minutes"),
        ("duty_phone", "call me", "digits"),
        ("duty_team_id", "99999", "Not a valid choice"),
    ],
)
def test_bad_policy_input_is_refused_with_a_message(client, make_team, make_user, field, value, message):
    team = make_team()
    login(client, make_user(Role.ADMIN))
    answer = client.post(f"/admin/teams/{team.id}/safety", data={**GOOD, "duty_team_id": "0", field: value})
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    assert db.session.scalars(select(EscalationPolicy)).all() == []


def test_only_admins_edit_policies(client, make_team, make_user):
    team = make_team()
    login(client, make_user(Role.MANAGER, team))
    assert client.post(f"/admin/teams/{team.id}/safety", data=GOOD).status_code == 403
    assert db.session.scalars(select(EscalationPolicy)).all() == []


def test_worker_phone_is_saved_from_the_user_form(client, make_team, make_user):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    login(client, make_user(Role.ADMIN))
    answer = client.post(
        f"/admin/users/{worker.id}",
        data={
            "username": worker.username,
            "display_name": worker.display_name,
            "role": "worker",
            "team_id": team.id,
            "active": "y",
            "phone": "07700 900999",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    db.session.refresh(worker)
    assert worker.phone == "07700 900999"
