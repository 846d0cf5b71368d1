"""What the device keeps of the worker's caseload (encrypted there) — one entry per allocated child."""

from __future__ import annotations

from datetime import date

from ..cases.queries import caseload_for
from ..models import Child, User


def child_entry(child: Child, today: date) -> dict:
    """One child as the app shows it offline; extend here (e.g. visit due dates) as the app needs more."""
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
    }


def caseload_payload(user: User, today: date) -> dict:
    return {"as_of": today.isoformat(), "children": [child_entry(child, today) for child, _ in caseload_for(user)]}
