"""Caseload per worker against their safe limit, and the children nobody holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, type_coerce

from ..extensions import db
from ..models import Allocation, Child, Role, Team, User
from ..models.types import UTCDateTime
from .scope import CHILD_REF_COLUMNS, ChildRef, Scope, child_ref, total_rows


@dataclass(frozen=True)
class WorkerLoad:
    worker_id: int
    name: str
    team_id: int | None
    team_name: str
    part_time: bool
    active: bool
    count: int
    limit: int
    limit_source: str  # "worker" | "team" | "service default"

    @property
    def over_limit(self) -> bool:
        return self.count > self.limit

    @property
    def free(self) -> int:
        return self.limit - self.count


def caseload_limit(worker: User, team: Team | None) -> tuple[int, str]:
    """The worker's own limit, else their team's (full- or part-time), else the service default (22 / 15)."""
    if worker.caseload_limit is not None:
        return worker.caseload_limit, "worker"
    team_limit = None
    if team is not None:
        team_limit = team.caseload_limit_part_time if worker.part_time else team.caseload_limit_full_time
    if team_limit is not None:
        return team_limit, "team"
    key = "DEFAULT_CASELOAD_LIMIT_PART_TIME" if worker.part_time else "DEFAULT_CASELOAD_LIMIT_FULL_TIME"
    return current_app.config[key], "service default"


def worker_loads(scope: Scope) -> list[WorkerLoad]:
    """Every worker of the team (inactive ones only while they still hold children), heaviest load first.

    A caseload is every open allocation the worker holds, whatever the legal status filter: the limit
    is about the whole load.
    """
    open_counts = (
        select(Allocation.worker_id, func.count().label("n"))
        .where(Allocation.ended_at.is_(None))
        .group_by(Allocation.worker_id)
        .subquery()
    )
    count = func.coalesce(open_counts.c.n, 0)
    query = (
        select(User, Team, count)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(open_counts, open_counts.c.worker_id == User.id)
        .where(User.role == Role.WORKER, or_(User.active.is_(True), count > 0))
        .order_by(count.desc(), User.display_name)
    )
    if scope.team_id is not None:
        query = query.where(User.team_id == scope.team_id)
    if scope.filters.worker_id is not None:
        query = query.where(User.id == scope.filters.worker_id)
    loads = []
    for worker, team, n in db.session.execute(query):
        limit, source = caseload_limit(worker, team)
        loads.append(
            WorkerLoad(
                worker.id,
                worker.display_name,
                worker.team_id,
                team.name if team else "",
                worker.part_time,
                worker.active,
                n,
                limit,
                source,
            )
        )
    return loads


@dataclass(frozen=True)
class UnallocatedChild:
    child: ChildRef
    since: datetime  # when the last allocation ended, or when the child was added

    def days_waiting(self, today: date) -> int:
        return (today - self.since.date()).days


def unallocated(scope: Scope, limit: int | None) -> tuple[int, list[UnallocatedChild]]:
    """(how many, the longest-waiting first). Not filtered by worker: these children have none."""
    held = exists().where(and_(Allocation.child_id == Child.id, Allocation.ended_at.is_(None)))
    # Per unallocated child only (an index probe each), not a GROUP BY over every allocation ever made.
    last_ended = select(func.max(Allocation.ended_at)).where(Allocation.child_id == Child.id).scalar_subquery()
    since = type_coerce(func.coalesce(last_ended, Child.created_at), UTCDateTime)
    rows = db.session.execute(
        select(*CHILD_REF_COLUMNS, since.label("since"), func.count().over().label("total_rows"))
        .where(scope.children_in_scope(), ~held)
        .order_by(since, Child.id)
        .limit(limit)
    ).all()
    return total_rows(rows), [UnallocatedChild(child_ref(row), row.since) for row in rows]
