"""Saving a team from the admin form: names are unique, and every save is audited. Flushes; the request commits."""

from __future__ import annotations

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Team


class TeamNameTaken(ValueError):
    pass


def save_team(team: Team | None, name: str, **values) -> Team:
    """Create or rename/update a team; TeamNameTaken if another team already has `name`."""
    clash = db.session.scalar(select(Team).where(Team.name == name))
    if clash is not None and clash is not team:
        raise TeamNameTaken("A team with that name exists.")
    team = team or Team()
    team.name = name
    for field, value in values.items():
        setattr(team, field, value)
    db.session.add(team)
    db.session.flush()
    audit.record("admin_team_saved", detail=f"team={team.name}")
    return team
