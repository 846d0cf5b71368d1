"""What every benchmark needs: an app on a throwaway store (SQLite file or a private PostgreSQL schema)."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldapp import create_app  # noqa: E402
from fieldapp.extensions import db  # noqa: E402

PG_URL = os.environ.get("FIELDAPP_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BASE_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "SECRET_KEY": "bench",
    "LOGIN_RATE_LIMIT": "100000 per minute",
}


def bench_app(backend: str, workdir: str, **config):
    """(app, schema): tables created, nothing else. `schema` is None on SQLite; pass it to drop_schema()."""
    config = {**BASE_CONFIG, **config}
    schema = None
    if backend == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{workdir}/bench.sqlite3"
    else:
        schema = f"fieldapp_bench_{uuid.uuid4().hex[:8]}"
        with sa.create_engine(PG_URL).begin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        config["SQLALCHEMY_DATABASE_URI"] = PG_URL
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": f"-csearch_path={schema}"}}
    os.environ["FIELDAPP_INSTANCE_PATH"] = f"{workdir}/instance"
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app, schema


def drop_schema(schema: str | None) -> None:
    if schema:
        engine = sa.create_engine(PG_URL)
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()
