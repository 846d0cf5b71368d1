"""Shared set-up for the review and reconciliation tests: a team, its people, a child, records in conflict."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import Role
from sync.tables import conflicts
from tests.record_cases import statutory_visit


@dataclass
class Team:
    team: object
    worker: object
    manager: object
    support: object
    child: object


def team_with_child(make_team, make_user, make_child) -> Team:
    team = make_team()
    worker = make_user(Role.WORKER, team)
    return Team(team, worker, make_user(Role.MANAGER, team), make_user(Role.SUPPORT, team), make_child(team, worker))


def hard_conflict(
    make_record,
    child,
    worker,
    field="observations",
    server_value="Server words.",
    device_value="Device words.",
    **device_extra,
):
    """v1, then two edits of `field` from v1 on two tablets: the second is held as a hard conflict."""
    first = make_record(child, worker, statutory_visit())
    make_record(
        child,
        worker,
        {**statutory_visit(), field: server_value},
        record_id=first.record_id,
        base_revision=1,
        device_id="tablet-a",
    )
    held = make_record(
        child,
        worker,
        {**statutory_visit(), field: device_value, **device_extra},
        record_id=first.record_id,
        base_revision=1,
        device_id="tablet-b",
    )
    assert held.status.value == "conflict", held
    return held


def open_conflict_row(conflict_id: int):
    return db.session.execute(select(conflicts).where(conflicts.c.id == conflict_id)).one()
