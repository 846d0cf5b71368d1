"""Migrations upgrade cleanly on SQLite and PostgreSQL, match the models, and downgrade again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from fieldapp.extensions import db


def test_migrations_match_the_models(migrated_app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_database_refuses_to_rewrite_the_audit_trail(migrated_app):
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO audit_events (at, action, detail) VALUES (CURRENT_TIMESTAMP, 'view_child', 'x')")
        )
    for statement in ("UPDATE audit_events SET detail = 'rewritten'", "DELETE FROM audit_events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as connection:
            connection.execute(sa.text(statement))
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT detail FROM audit_events")).scalar_one() == "x"


def test_database_allows_one_open_allocation_per_child(migrated_app):
    with db.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO teams (id, name, created_at) VALUES (1, 'T', CURRENT_TIMESTAMP)"))
        connection.execute(
            sa.text(
                "INSERT INTO users (id, username, display_name, password_hash, role, part_time, active, created_at) "
                "VALUES (1, 'w', 'W', 'x', 'worker', false, true, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO children (id, public_id, case_number, first_name, last_name, date_of_birth, legal_status,"
                " permanent_placement, address, address_risk_notes, created_at) VALUES (1, 'p', 'C1', 'A', 'B',"
                " '2015-01-01', 'child_in_need', false, '', '', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sa.text("INSERT INTO allocations (child_id, worker_id, started_at) VALUES (1, 1, CURRENT_TIMESTAMP)")
        )
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO allocations (child_id, worker_id, started_at) VALUES (1, 1, CURRENT_TIMESTAMP)")
        )


def test_migrations_downgrade_to_empty_and_upgrade_again(migrated_app):
    downgrade(revision="base")
    assert "children" not in sa.inspect(db.engine).get_table_names()
    upgrade()
    assert "children" in sa.inspect(db.engine).get_table_names()
