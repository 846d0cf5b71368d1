"""Migration 0002 creates the devices table the model describes, and removes it again."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from fieldapp import create_app
from tests.conftest import BASE_TEST_CONFIG, PG_URL, postgres_config


@pytest.fixture
def empty_store(backend, tmp_path, request):
    """An app on an empty database (no create_all): only migrations build it."""
    config = dict(BASE_TEST_CONFIG)
    schema = None
    if backend == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    else:
        request.getfixturevalue("postgres_schema")  # skips (or fails on CI) without PostgreSQL
        schema = f"fieldapp_mig_{uuid.uuid4().hex[:10]}"
        engine = sa.create_engine(PG_URL)
        with engine.begin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        config.update(postgres_config(schema))
    os.environ["FIELDAPP_INSTANCE_PATH"] = str(tmp_path / "instance")
    try:
        app = create_app(config)
    finally:
        os.environ.pop("FIELDAPP_INSTANCE_PATH", None)
    with app.app_context():
        yield app
        from fieldapp.extensions import db

        db.engine.dispose()
    if schema:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


ADDED_AFTER_0002 = {"reported_drafts", "reported_outbox", "reported_at"}


def test_0002_creates_and_drops_the_devices_table(empty_store):
    from fieldapp.extensions import db

    upgrade(revision="0002")
    inspector = sa.inspect(db.engine)
    columns = {c["name"]: c for c in inspector.get_columns("devices")}
    # The model as 0002 made it: later migrations add columns (0013: the device's last sync report).
    model_columns = [c for c in db.metadata.tables["devices"].columns if c.name not in ADDED_AFTER_0002]
    assert set(columns) == {c.name for c in model_columns}
    assert {name for name, column in columns.items() if not column["nullable"]} == {
        c.name for c in model_columns if not c.nullable
    }
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("devices")} == {"users"}
    assert "ix_devices_user_id" in {ix["name"] for ix in inspector.get_indexes("devices")}
    downgrade(revision="0001")
    assert "devices" not in sa.inspect(db.engine).get_table_names()
