"""What a dashboard covers: a team (or the whole service) and the children in it, as SQL to build on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, true
from sqlalchemy.orm import aliased

from ..access import visible_children
from ..models import Allocation, Child, LegalStatus, Role, User
from .filters import Filters

LIST_LIMIT = 50  # rows shown per list on the page; the CSV export carries every row


@dataclass(frozen=True)
class Scope:
    team_id: int | None  # None: the whole service (admins' aggregate view)
    filters: Filters
    children: ColumnElement[bool]  # WHERE clause on Child: the children the figures may count

    def children_in_scope(self) -> ColumnElement[bool]:
        return self.children

    @property
    def child_ids(self) -> Select:
        """SELECT of Child.id the figures may count (for queries over records rather than children)."""
        return select(Child.id).where(self.children)


def scope_for(user: User, filters: Filters) -> Scope:
    """A manager's own team through the access rule; an admin's chosen team or the whole service."""
    if user.role == Role.MANAGER:
        children = visible_children(user)
        team_id = user.team_id
    elif user.role == Role.ADMIN:
        # Admins see aggregates only (no child is named on the service view), so no allocation gate here.
        children = true() if filters.team_id is None else Child.team_id == filters.team_id
        team_id = filters.team_id
    else:
        raise PermissionError(f"{user.role} has no oversight view")
    if filters.legal_status is not None:
        children = and_(children, Child.legal_status == filters.legal_status)
    return Scope(team_id=team_id, filters=filters, children=children)


def held_by_chosen_worker(scope: Scope) -> ColumnElement[bool]:
    """The worker filter as a WHERE clause on Child: currently allocated to them (true when no worker is chosen)."""
    if scope.filters.worker_id is None:
        return true()
    return exists().where(
        Allocation.child_id == Child.id, Allocation.ended_at.is_(None), Allocation.worker_id == scope.filters.worker_id
    )


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


@dataclass(frozen=True)
class ChildRef:
    """What a list shows of a child: read as plain columns, not the ORM entity with its case details."""

    id: int
    public_id: str
    case_number: str
    first_name: str
    last_name: str
    legal_status: LegalStatus

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


CHILD_REF_COLUMNS = (
    Child.id,
    Child.public_id,
    Child.case_number,
    Child.first_name,
    Child.last_name,
    Child.legal_status,
)


def total_rows(rows: list) -> int:
    """The count page_with_current_worker() carries on each row (no row: none)."""
    return rows[0].total_rows if rows else 0


def child_ref(row) -> ChildRef:
    return ChildRef(row.id, row.public_id, row.case_number, row.first_name, row.last_name, row.legal_status)


def page_with_current_worker(query: Select, scope: Scope, order: Sequence[ColumnElement], limit: int | None) -> Select:
    """`query` (which selects Child.id as `id`) cut to `limit` rows in `order`, then joined to each child's worker.

    The worker filter applies before the cut; the join to allocations and users runs for the page's rows only,
    not for every child of the team. Rows come back in `order`, each with `total_rows`: how many there are before
    the cut (one statement for the list and its count).
    """
    keys = [key.label(f"order_{i}") for i, key in enumerate(order)]
    page = (
        query.where(held_by_chosen_worker(scope))
        .add_columns(func.count().over().label("total_rows"), *keys)
        .order_by(*keys)
        .limit(limit)
        .subquery()
    )
    current, worker = aliased(Allocation), aliased(User)
    return (
        select(page, worker.id.label("worker_id"), worker.display_name.label("worker_name"))
        .outerjoin(current, and_(current.child_id == page.c.id, current.ended_at.is_(None)))
        .outerjoin(worker, worker.id == current.worker_id)
        .order_by(*(page.c[key.name] for key in keys))
    )
