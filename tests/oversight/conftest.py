"""Helpers for oversight tests: visits with (or without) their seen-alone record, stored through the sync path."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from fieldapp.models import LegalStatus
from tests.record_cases import not_seen_alone, seen_alone, sos_map, statutory_visit

VISIT_TYPE = {
    LegalStatus.LOOKED_AFTER: "looked_after_reg28",
    LegalStatus.CHILD_PROTECTION: "child_protection_plan",
    LegalStatus.CHILD_IN_NEED: "child_in_need",
    LegalStatus.PRIVATE_FOSTERING: "private_fostering",
}


@pytest.fixture
def make_visit(make_record):
    """make_visit(child, author, "2026-02-02", alone=True|False|None, seen=True); alone=None: no seen-alone record."""

    def factory(child, author, day: str, alone: bool | None = None, seen: bool = True) -> str:
        visit_id, record_id = str(uuid.uuid4()), str(uuid.uuid4())
        body = {
            **statutory_visit(),
            "visit_type": VISIT_TYPE[child.legal_status],
            "visit_date": day,
            "planned_date": day,
        }
        if seen:
            body["seen_alone_record_id"] = record_id
        else:
            body.update(child_seen=False, child_not_seen_reason="Child was at a hospital appointment")
            body.pop("seen_alone_record_id")
        make_record(child, author, body, record_id=visit_id, with_seen_alone=False)  # its own, below (or none)
        if seen and alone is not None:
            answer = seen_alone() if alone else not_seen_alone()
            make_record(child, author, {**answer, "visit_id": visit_id}, record_id=record_id)
        return visit_id

    return factory


@pytest.fixture
def make_map(make_record):
    def factory(child, author, day: date | str) -> str:
        return make_record(child, author, {**sos_map(), "mapped_on": str(day)}).record_id

    return factory
