"""The clear seen-alone facts: filled on every write path, and re-derived for rows stored before migration 0007."""

from __future__ import annotations

from sqlalchemy import select, update

from fieldapp.cli import main as fieldapp_cli
from fieldapp.extensions import db
from fieldapp.models import Role
from fieldapp.records.facts import record_facts
from sync.tables import records
from tests.record_cases import not_seen_alone, seen_alone, statutory_visit


def test_facts_of_each_record_type():
    alone = record_facts("seen_alone", {**seen_alone(), "visit_id": "v"})
    assert (alone["seen_alone"], alone["visit_id"], alone["child_seen"]) == (1, "v", None)
    assert record_facts("seen_alone", not_seen_alone())["seen_alone"] == 0
    visit = record_facts("visit", statutory_visit())
    assert (visit["child_seen"], visit["seen_alone"], visit["visit_id"]) == (1, None, None)


def facts_of(record_id):
    return db.session.execute(select(records.c.seen_alone, records.c.visit_id).where(records.c.id == record_id)).one()


def test_an_edit_that_changes_the_answer_changes_the_clear_column(app, make_team, make_user, make_child, make_record):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker)
    first = make_record(child, worker, {**seen_alone(), "visit_id": "5f0c2b1e-7d3a-4c9b-8e6f-2a1b0c9d8e7f"})
    assert tuple(facts_of(first.record_id)) == (1, "5f0c2b1e-7d3a-4c9b-8e6f-2a1b0c9d8e7f")
    make_record(child, worker, not_seen_alone(), record_id=first.record_id, base_revision=1)
    assert facts_of(first.record_id).seen_alone == 0


def test_refresh_facts_fills_rows_stored_before_the_columns_existed(app, make_team, make_user, make_child, make_record):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker)
    stored = make_record(child, worker, not_seen_alone())
    db.session.execute(update(records).values(seen_alone=None, visit_id=None))
    db.session.commit()
    outcome = app.test_cli_runner().invoke(fieldapp_cli, ["records", "refresh-facts"])
    assert outcome.exit_code == 0 and "refreshed 1 seen-alone record" in outcome.output
    db.session.expire_all()
    assert tuple(facts_of(stored.record_id)) == (0, not_seen_alone()["visit_id"])
