"""The queue of open conflicts. Support staff see the records in conflict, and nothing else of the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased

from sync.tables import conflicts, records

from ..extensions import db
from ..models import Child, Role, Team, User, utcnow
from ..records.definitions import RECORD_TYPES

AGES = {"": None, "1": 1, "7": 7, "30": 30}  # "older than N days"


@dataclass
class QueueFilters:
    team_id: int | None = None
    worker_id: int | None = None
    record_type: str | None = None
    older_than_days: int | None = None

    @classmethod
    def from_args(cls, args) -> tuple[QueueFilters, list[str]]:
        """Filters from the query string; anything malformed is ignored and reported, never an error page."""
        problems: list[str] = []

        def whole(name):
            raw = args.get(name, "")
            if raw and not (raw.isdigit() and len(raw) < 10):
                problems.append(f"Ignored {name}: not a valid choice")
                return None
            return int(raw) if raw else None

        record_type = args.get("type", "") or None
        if record_type is not None and record_type not in RECORD_TYPES:
            problems.append("Ignored type: not a record type")
            record_type = None
        age = args.get("age", "")
        if age not in AGES:
            problems.append("Ignored age: not a valid choice")
            age = ""
        return cls(whole("team"), whole("worker"), record_type, AGES[age]), problems


def open_conflicts(filters: QueueFilters) -> list:
    """Open conflicts, the oldest first, with what the queue shows: type, kind, team, worker, case number."""
    author, team = aliased(User), aliased(Team)
    query = (
        select(
            conflicts.c.id,
            conflicts.c.kind,
            conflicts.c.created_at,
            conflicts.c.fields,
            records.c.record_type,
            records.c.occurred_on,
            Child.case_number,
            team.name.label("team_name"),
            author.display_name.label("author_name"),
        )
        .join(records, records.c.id == conflicts.c.record_id)
        .join(Child, Child.id == records.c.child_id)
        .outerjoin(team, team.id == Child.team_id)
        .join(author, author.id == conflicts.c.author_id)
        .where(conflicts.c.state == "open")
        .order_by(conflicts.c.created_at, conflicts.c.id)
    )
    if filters.team_id is not None:
        query = query.where(Child.team_id == filters.team_id)
    if filters.worker_id is not None:
        query = query.where(conflicts.c.author_id == filters.worker_id)
    if filters.record_type is not None:
        query = query.where(records.c.record_type == filters.record_type)
    if filters.older_than_days is not None:
        query = query.where(conflicts.c.created_at <= utcnow() - timedelta(days=filters.older_than_days))
    return db.session.execute(query).all()


def filter_choices() -> dict:
    return {
        "teams": db.session.execute(select(Team.id, Team.name).order_by(Team.name)).all(),
        "workers": db.session.execute(
            select(User.id, User.display_name).where(User.role == Role.WORKER).order_by(User.display_name)
        ).all(),
    }


def conflict_case(conflict_id: int):
    """What support needs to know about whose record it is: case number, team, author. Not the child's file."""
    return db.session.execute(
        select(
            conflicts.c.id,
            Child.public_id,
            Child.case_number,
            Team.name.label("team_name"),
            User.display_name.label("author_name"),
        )
        .join(records, records.c.id == conflicts.c.record_id)
        .join(Child, Child.id == records.c.child_id)
        .outerjoin(Team, Team.id == Child.team_id)
        .join(User, User.id == conflicts.c.author_id)
        .where(conflicts.c.id == conflict_id, conflicts.c.state == "open")
    ).first()
