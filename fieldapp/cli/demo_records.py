"""A long-open case for the demo (issue 17): two years of visits, Signs of Safety maps and ratings for one child.

The tablet is sent the last 12 months of it plus the latest map and rating (the pull window); the rest waits behind
the child's "Older records" button. Dates are relative to today; every name and word is fictional.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import click

from sync import OpStatus, PushOp, apply_push

from ..extensions import db
from ..models import Child, User
from ..records.store import push_context

DEMO_DEVICE = "demo-loader"
# Days ago: visits over a year old wait on the server, the rest travel (whatever day of the month the demo loads).
OLD_VISITS = (700, 560, 430)
RECENT_VISITS = (300, 180, 90, 40, 8)
OLD_MAP, LATEST_MAP = 610, 420  # the latest map and its rating travel although they are over a year old
PARENT = {"name": "Parent Example (fictional)", "relationship": "Mother"}


def _day(days_ago: int) -> str:
    return (date.today() - timedelta(days=days_ago)).isoformat()


def _visit_and_note(days_ago: int) -> list[dict]:
    """A child protection visit, the child seen alone: the seen-alone note first (it is its own record)."""
    visit_id, note_id, day = str(uuid.uuid4()), str(uuid.uuid4()), _day(days_ago)
    note = {
        "record_type": "seen_alone",
        "id": note_id,
        "visit_id": visit_id,
        "seen_alone": True,
        "where_seen": "Their bedroom",
        "wishes_and_feelings": f"Talked about school and their dog (fictional, visit of {day}).",
        "how_captured": ["conversation", "drawing_or_play"],
    }
    visit = {
        "record_type": "visit",
        "id": visit_id,
        "visit_type": "child_protection_plan",
        "planned_date": day,
        "visit_date": day,
        "start_time": "16:00",
        "end_time": "17:00",
        "location": "Family home (fictional)",
        "others_present": [PARENT],
        "child_seen": True,
        "seen_alone_record_id": note_id,
        "bedroom_seen": True,
        "observations": f"Home warm and tidy; the child was playful (fictional, {days_ago} days ago).",
    }
    return [note, visit]


def _danger(goal: str) -> dict:
    return {
        "who_is_worried": "Social worker",
        "worried_about": "Arguments at night (fictional)",
        "what_could_happen": "The child gets hurt",
        "disputed": False,
        "safety_goal": goal,
    }


def _map_and_rating(days_ago: int, score: int) -> list[dict]:
    map_id, day = str(uuid.uuid4()), _day(days_ago)
    return [
        {
            "record_type": "sos_map",
            "id": map_id,
            "mapped_on": day,
            "harm_statements": [{"statement": "Police called after shouting at home (fictional).", "disputed": False}],
            "danger_statements": [_danger("Adults keep arguments away from the child (fictional)")],
            "existing_strengths": "Grandparent nearby (fictional).",
            "next_steps": [{"what": "Network meeting (fictional)", "who": "Social worker", "by_when": day}],
        },
        {
            "record_type": "safety_rating",
            "id": str(uuid.uuid4()),
            "sos_map_id": map_id,
            "rated_on": day,
            "ratings": [
                {
                    "rated_by": "worker",
                    "name": "Wren Example (demo)",
                    "score": score,
                    "anchor_zero": "So dangerous the child likely cannot live at home",
                    "anchor_ten": "Safe enough for the case to close",
                    "why": "Progress since the last network meeting (fictional).",
                }
            ],
        },
    ]


def load_long_case(child: Child, worker: User) -> int:
    """Store the case through the sync engine (validated, encrypted at rest, visit facts kept); returns how many."""
    bodies = [body for days in OLD_VISITS + RECENT_VISITS for body in _visit_and_note(days)]
    bodies += _map_and_rating(OLD_MAP, 3) + _map_and_rating(LATEST_MAP, 5)
    ops = [
        PushOp(
            op_id=str(uuid.uuid4()),
            record_id=body["id"],
            record_type=body["record_type"],
            schema_version=1,
            device_id=DEMO_DEVICE,
            device_seq=seq,
            base_revision=0,
            child_id=child.public_id,
            body={**body, "schema_version": 1, "child_id": child.public_id},
        )
        for seq, body in enumerate(bodies, start=1)
    ]
    results = apply_push(db.session, ops, push_context(worker.id, DEMO_DEVICE, datetime.now(UTC)))
    refused = [result for result in results if result.status != OpStatus.APPLIED]
    if refused:
        raise click.ClickException(f"demo records refused: {refused[0].code} {refused[0].errors}")
    return len(results)
