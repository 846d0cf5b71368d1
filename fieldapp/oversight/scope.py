"""What a dashboard covers: a team (or the whole service) and the children in it, as SQL to build on."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased

from ..access import children_visible_to
from ..models import Allocation, Child, Role, User
from .filters import Filters

LIST_LIMIT = 50  # rows shown per list on the page; the CSV export carries every row


@dataclass(frozen=True)
class Scope:
    team_id: int | None  # None: the whole service (admins' aggregate view)
    filters: Filters
    child_ids: Select  # SELECT of Child.id the figures may count

    def children_in_scope(self):
        return Child.id.in_(self.child_ids)


def scope_for(user: User, filters: Filters) -> Scope:
    """A manager's own team through the access query; an admin's chosen team or the whole service."""
    if user.role == Role.MANAGER:
        child_ids = children_visible_to(user).with_only_columns(Child.id)
        team_id = user.team_id
    elif user.role == Role.ADMIN:
        # Admins see aggregates only (no child is named on the service view), so no allocation gate here.
        child_ids = select(Child.id)
        if filters.team_id is not None:
            child_ids = child_ids.where(Child.team_id == filters.team_id)
        team_id = filters.team_id
    else:
        raise PermissionError(f"{user.role} has no oversight view")
    if filters.legal_status is not None:
        child_ids = child_ids.where(Child.legal_status == filters.legal_status)
    return Scope(team_id=team_id, filters=filters, child_ids=child_ids)


def with_current_worker(query: Select, scope: Scope) -> Select:
    """Add the child's current worker (id, name; None when unallocated), honouring the worker filter."""
    current, worker = aliased(Allocation), aliased(User)
    query = (
        query.outerjoin(current, and_(current.child_id == Child.id, current.ended_at.is_(None)))
        .outerjoin(worker, worker.id == current.worker_id)
        .add_columns(worker.id.label("worker_id"), worker.display_name.label("worker_name"))
    )
    if scope.filters.worker_id is not None:
        query = query.where(current.worker_id == scope.filters.worker_id)
    return query
