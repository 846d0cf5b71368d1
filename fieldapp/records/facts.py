"""The few facts about a record the central store keeps in clear columns (the body itself is encrypted).

Only what queries need: the date the record is about (timelines, due dates), whether the child was
seen on a visit (only seen visits count towards statutory visit frequency), and for a seen-alone record its
yes/no answer and the visit it belongs to (managers' seen-alone rates).
"""

from __future__ import annotations

from sync.protocol import FieldError

DATE_FIELD = {
    "visit": "visit_date",
    "sos_map": "mapped_on",
    "safety_rating": "rated_on",
    "three_houses": "completed_on",
}
STATUTORY_VISIT_TYPES = {"looked_after_reg28", "child_protection_plan", "child_in_need", "private_fostering"}


def record_facts(record_type: str, body: dict) -> dict:
    seen = seen_alone = visit_id = None
    if record_type == "visit":
        seen = 1 if body.get("child_seen") is True and body.get("visit_type") in STATUTORY_VISIT_TYPES else 0
    if record_type == "seen_alone":
        seen_alone, visit_id = (1 if body.get("seen_alone") is True else 0), body.get("visit_id")
    return {
        "occurred_on": body.get(DATE_FIELD.get(record_type, "")),
        "child_seen": seen,
        "seen_alone": seen_alone,
        "visit_id": visit_id,
    }


def envelope_errors(record_type: str, record_id: str, child_id: str, body: dict) -> list[FieldError]:
    """The body must describe the record the op says it is (type, id, child)."""
    errors = []
    for field, expected in (("record_type", record_type), ("id", record_id), ("child_id", child_id)):
        if body.get(field) != expected:
            errors.append(FieldError(f"/{field}", f"does not match the op ({field} should be {expected})"))
    return errors
