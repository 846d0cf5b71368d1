"""What the device keeps of the worker's caseload (encrypted there) — one entry per allocated child.

Visit facts come from the synced `records` table in two grouped queries for the whole caseload (never one
per child): the last statutory-countable visit where the child was seen, and the latest Signs of Safety map.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select

from sync.tables import records

from ..cases.queries import caseload_for
from ..extensions import db
from ..models import Child, User
from ..records.visit_due import next_visit_due


def child_entry(child: Child, today: date, last_seen: date | None = None, latest_map: dict | None = None) -> dict:
    """One child as the app shows it offline, with when they were last seen and when the next visit is due."""
    due = next_visit_due(child, [last_seen] if last_seen else [], today)
    return {
        "public_id": child.public_id,
        "name": child.full_name,
        "first_name": child.first_name,
        "last_name": child.last_name,
        "case_number": child.case_number,
        "date_of_birth": child.date_of_birth.isoformat(),
        "age": child.age_on(today),
        "legal_status": child.legal_status.value,
        "legal_status_label": child.legal_status.label,
        "address": child.address,
        "address_risk_notes": child.address_risk_notes,
        "last_seen_visit": last_seen.isoformat() if last_seen else None,
        # None with overdue true: no seen visit (or placement start) to count from — visit now.
        "next_visit_due": due.due_date.isoformat() if due.due_date else None,
        "visit_overdue": due.overdue,
        "visit_rule": due.rule_id,
        "latest_sos_map": latest_map,  # {record_id, revision, mapped_on} to continue from, or None
    }


def _last_seen_visits(child_ids: list[int], today: date) -> dict[int, date]:
    """Per child: the latest visit on or before today where the child was seen (only those count)."""
    if not child_ids:
        return {}
    query = (
        select(records.c.child_id, func.max(records.c.occurred_on))
        .where(
            records.c.record_type == "visit",
            records.c.child_seen == 1,
            records.c.occurred_on <= today.isoformat(),
            records.c.child_id.in_(child_ids),
        )
        .group_by(records.c.child_id)
    )
    return {child_id: date.fromisoformat(day) for child_id, day in db.session.execute(query) if day}


def _latest_maps(child_ids: list[int]) -> dict[int, dict]:
    """Per child: the most recent Signs of Safety map (by date mapped, then last change)."""
    if not child_ids:
        return {}
    maps = and_(records.c.record_type == "sos_map", records.c.child_id.in_(child_ids))
    ranked = (
        select(
            records.c.child_id,
            records.c.id,
            records.c.revision,
            records.c.occurred_on,
            func.row_number()
            .over(
                partition_by=records.c.child_id,
                order_by=(records.c.occurred_on.desc(), records.c.updated_at.desc(), records.c.id.desc()),
            )
            .label("rank"),
        )
        .where(maps)
        .subquery()
    )
    query = select(ranked.c.child_id, ranked.c.id, ranked.c.revision, ranked.c.occurred_on).where(ranked.c.rank == 1)
    return {
        row.child_id: {"record_id": row.id, "revision": row.revision, "mapped_on": row.occurred_on}
        for row in db.session.execute(query)
    }


def caseload_payload(user: User, today: date) -> dict:
    children = [child for child, _ in caseload_for(user)]
    ids = [child.id for child in children]
    seen, maps = _last_seen_visits(ids, today), _latest_maps(ids)
    return {
        "as_of": today.isoformat(),
        "children": [child_entry(child, today, seen.get(child.id), maps.get(child.id)) for child in children],
    }
