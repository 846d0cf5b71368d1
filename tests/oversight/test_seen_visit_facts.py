"""Each seen statutory visit is kept with its seen-alone answer on write (seen_visit_facts), and migration 0021
fills the table from the records already stored. Runs on SQLite and PostgreSQL. 2 Feb 2026 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import Child, LegalStatus, Role, Team, User
from fieldapp.models.visit_facts import seen_visit_facts
from fieldapp.records import visit_facts
from sync.tables import records
from tests.record_cases import seen_alone
from tests.test_migration_devices import empty_store  # noqa: F401  (fixture: an app on an empty database)


def kept_visits() -> set[tuple]:
    rows = db.session.execute(
        select(
            seen_visit_facts.c.visit_id,
            seen_visit_facts.c.author_id,
            seen_visit_facts.c.occurred_on,
            seen_visit_facts.c.alone,
        )
    )
    return set(rows)


def test_seen_visits_are_kept_with_their_answer_and_follow_late_answers(
    make_team, make_user, make_child, make_record, make_visit
):
    team = make_team()
    manager, ann, bea = make_user(Role.MANAGER, team), make_user(Role.WORKER, team), make_user(Role.WORKER, team)
    child = make_child(team, ann, legal_status=LegalStatus.CHILD_IN_NEED)
    alone = make_visit(child, ann, "2026-02-02", alone=True)
    unanswered = make_visit(child, ann, "2026-02-16", alone=None)
    make_visit(child, ann, "2026-02-23", seen=False)  # not seen: no seen visit to keep
    allocate(child, bea, by=manager)
    db.session.commit()
    not_alone = make_visit(child, bea, "2026-02-09", alone=False)  # credited to whoever visited
    assert kept_visits() == {
        (alone, ann.id, "2026-02-02", 1),
        (not_alone, bea.id, "2026-02-09", 0),
        (unanswered, ann.id, "2026-02-16", None),
    }
    make_record(child, ann, {**seen_alone(), "visit_id": unanswered})  # the answer syncs a day later
    assert (unanswered, ann.id, "2026-02-16", 1) in kept_visits()


@pytest.fixture
def store_at_0020(empty_store):  # noqa: F811
    """The empty store migrated to 0020; its session is handed back at the end (the engine alone is disposed)."""
    upgrade(revision="0020")
    yield empty_store
    db.session.remove()


def test_migration_0021_fills_seen_visits_from_stored_records(store_at_0020):
    now = datetime(2026, 2, 20, tzinfo=UTC)
    # Core inserts: the ORM's write hooks would already keep the table this migration creates.
    team = db.session.execute(sa.insert(Team.__table__).values(name="Backfill team").returning(Team.id)).scalar()
    worker = db.session.execute(
        sa.insert(User.__table__)
        .values(username="w", display_name="Wyn Example", password_hash="x", role=Role.WORKER, team_id=team)
        .returning(User.id)
    ).scalar()
    child = db.session.execute(
        sa.insert(Child.__table__)
        .values(
            public_id="00000000-0000-4000-8000-000000000021",
            case_number="BF1",
            first_name="Bay",
            last_name="Example",
            date_of_birth=date(2016, 1, 1),
            legal_status=LegalStatus.CHILD_IN_NEED,
            team_id=team,
        )
        .returning(Child.id)
    ).scalar()
    base = dict(
        occurred_on=None,
        child_seen=None,
        seen_alone=None,
        visit_id=None,
        child_id=child,
        schema_version=1,
        revision=1,
        author_id=worker,
        created_at=now,
        updated_at=now,
        conflict_state="none",
        review_state="submitted",
        body_key_id="k",
        body=b"x",
    )
    db.session.execute(
        sa.insert(records),
        [
            {**base, "id": "v1", "record_type": "visit", "occurred_on": "2026-02-02", "child_seen": 1},
            {**base, "id": "a1", "record_type": "seen_alone", "seen_alone": 0, "visit_id": "v1"},
            {**base, "id": "a1b", "record_type": "seen_alone", "seen_alone": 1, "visit_id": "v1"},  # alone if any
            {**base, "id": "v2", "record_type": "visit", "occurred_on": "2026-02-09", "child_seen": 1},  # no answer
            {**base, "id": "v3", "record_type": "visit", "occurred_on": "2026-02-16", "child_seen": 0},  # not seen
        ],
    )
    db.session.commit()
    upgrade(revision="0021")
    backfilled = kept_visits()
    assert backfilled == {("v1", worker, "2026-02-02", 1), ("v2", worker, "2026-02-09", None)}
    visit_facts.refresh(db.session, [child])  # what the write path keeps is what the migration filled
    db.session.commit()
    assert kept_visits() == backfilled
