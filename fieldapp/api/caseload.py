"""What the device keeps of the worker's caseload (encrypted there) — one entry per allocated child.

Visit facts come from the synced `records` table in two queries for the whole caseload (never one request
per child): the last statutory-countable visit where the child was seen, and the latest Signs of Safety map.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

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
    """Per child: the latest visit on or before today where the child was seen (only those count).

    A look-up per child that walks its visits newest first (ix_records_child_type) and stops at the first
    seen one, in one statement: grouping read every visit of the caseload (a sixth of a first sync)."""
    if not child_ids:
        return {}
    latest = (
        select(records.c.occurred_on)
        .where(
            records.c.child_id == Child.id,
            records.c.record_type == "visit",
            records.c.occurred_on <= today.isoformat(),
            records.c.child_seen == 1,
        )
        .order_by(records.c.occurred_on.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(Child.id, latest).where(Child.id.in_(child_ids))
    return {child_id: date.fromisoformat(day) for child_id, day in db.session.execute(query) if day}


def _latest_maps(child_ids: list[int]) -> dict[int, dict]:
    """Per child: the most recent Signs of Safety map (by date mapped, then last change), a look-up per child."""
    if not child_ids:
        return {}
    maps = records.alias("maps")
    latest_id = (
        select(maps.c.id)
        .where(maps.c.child_id == Child.id, maps.c.record_type == "sos_map")
        .order_by(maps.c.occurred_on.desc(), maps.c.updated_at.desc(), maps.c.id.desc())
        .limit(1)
        .correlate(Child)
        .scalar_subquery()
    )
    query = (
        select(records.c.child_id, records.c.id, records.c.revision, records.c.occurred_on)
        .join(Child, records.c.id == latest_id)
        .where(Child.id.in_(child_ids))
    )
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
