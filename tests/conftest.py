"""Shared fixtures: an app on SQLite *and* PostgreSQL, factories, and a signed-in client helper.

The store fixture is parametrized: every test that takes `app` runs once per backend. On CI
(CI=true) an unreachable PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from fieldapp import create_app
from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import Child, LegalStatus, Role, Team, User

PG_URL = os.environ.get("FIELDAPP_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct-horse-battery-staple"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a real dependency is missing; fail on CI, where it must be there."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI requires this: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_schema():
    """A private schema in the test database for this run, dropped afterwards."""
    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        engine.dispose()
        require(False, f"PostgreSQL not reachable at {PG_URL}: {error.__class__.__name__}")
    schema = f"fieldapp_test_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield schema
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def postgres_config(schema: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": PG_URL,
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True},
    }


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    The `app` fixture keeps one app context pushed for factories and assertions; without this, every
    request would share its `g` (Flask-Login's cached user) and its database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


BASE_TEST_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "LOGIN_RATE_LIMIT": "1000 per minute",
    "LOGIN_ADDRESS_RATE_LIMIT": "1000 per minute",
    "LOGIN_USERNAME_RATE_LIMIT": "1000 per minute",
    # The SMTP doubles speak plain SMTP on loopback; tests/test_smtp_tls.py covers the TLS default.
    "SMTP_SECURITY": "none",
    "SECRET_KEY": "test-secret-key",
    # No escalator runs beside most tests: no banner, outage email or backstop sweep unless a test asks.
    "SAFETY_LIVENESS_CHECK": False,
    # Most tests sign managers and admins in with a password alone. The default (managers and admins need a
    # second factor) is proved by tests/test_second_factor.py, which turns it back on.
    "SECOND_FACTOR_REQUIRED_ROLES": [],
}

_pg_tables_created: set[str] = set()


def make_app(backend: str, tmp_path, request, **overrides):
    """Build an app on `backend` with an empty store and isolated instance folder."""
    config = {**BASE_TEST_CONFIG, **overrides}
    if backend == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        schema = request.getfixturevalue("postgres_schema")
        config.update(postgres_config(schema))
    os.environ["FIELDAPP_INSTANCE_PATH"] = str(tmp_path / "instance")
    try:
        app = create_app(config)
        app.test_client_class = FreshContextClient
    finally:
        os.environ.pop("FIELDAPP_INSTANCE_PATH", None)
    with app.app_context():
        if backend == "postgresql" and config["SQLALCHEMY_DATABASE_URI"] in _pg_tables_created:
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            db.create_all()
            if backend == "postgresql":
                _pg_tables_created.add(config["SQLALCHEMY_DATABASE_URI"])
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def app(backend, tmp_path, request):
    app = make_app(backend, tmp_path, request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def migrated_app(backend, tmp_path):
    """An app whose schema was built by the migrations alone (no create_all)."""
    schema = None
    if backend == "sqlite":
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.sqlite3'}"}
    else:
        engine = sa.create_engine(PG_URL)
        try:
            with engine.begin() as connection:
                schema = f"fieldapp_mig_{uuid.uuid4().hex[:10]}"
                connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        except sa.exc.OperationalError:
            require(False, "PostgreSQL not reachable")
        config = postgres_config(schema)
    os.environ["FIELDAPP_INSTANCE_PATH"] = str(tmp_path / "instance")
    try:
        app = create_app({**BASE_TEST_CONFIG, **config})
    finally:
        os.environ.pop("FIELDAPP_INSTANCE_PATH", None)
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()
    if schema:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


@pytest.fixture
def make_team(app):
    def factory(name: str | None = None, **values) -> Team:
        team = Team(name=name or f"Team {next(_counter)}", **values)
        db.session.add(team)
        db.session.commit()
        return team

    return factory


@pytest.fixture
def make_user(app):
    def factory(
        role: Role | str = Role.WORKER, team: Team | None = None, username: str | None = None, **values
    ) -> User:
        role = Role(role)
        user = User(
            username=username or f"{role.value}{next(_counter)}",
            display_name=values.pop("display_name", f"Test {role.value.title()} {next(_counter)}"),
            role=role,
            team=team,
            **values,
        )
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_child(app):
    def factory(team: Team | None = None, worker: User | None = None, **values) -> Child:
        number = next(_counter)
        child = Child(
            case_number=values.pop("case_number", f"TEST-{number:05d}"),
            first_name=values.pop("first_name", "Testchild"),
            last_name=values.pop("last_name", f"Example{number}"),
            date_of_birth=values.pop("date_of_birth", date(2016, 5, 4)),
            legal_status=values.pop("legal_status", LegalStatus.CHILD_IN_NEED),
            team=team,
            **values,
        )
        db.session.add(child)
        db.session.flush()
        if worker is not None:
            allocate(child, worker, by=None)
        db.session.commit()
        return child

    return factory


def login(client, user: User, password: str = PASSWORD):
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(client):
    def do(user: User):
        client.post("/logout")
        return login(client, user)

    return do


@pytest.fixture
def make_record(app):
    """Store a record through the real sync path (schema validation, at-rest encryption, revisions).

    `body` is a complete record body (see tests/record_cases.py for valid examples); its id, child_id
    and record_type are filled in. Returns the OpResult; a rejected record fails the test.
    """
    from datetime import UTC, datetime

    from fieldapp.records.store import push_context
    from sync import OpStatus, PushOp, apply_push

    def factory(
        child,
        author,
        body: dict,
        record_id: str | None = None,
        base_revision: int = 0,
        device_id: str = "test-device",
        with_seen_alone: bool = True,
    ):
        record_id = record_id or str(uuid.uuid4())
        body = {**body, "id": record_id, "child_id": child.public_id}
        if with_seen_alone and base_revision == 0 and body.get("seen_alone_record_id"):
            # As the app does: a statutory visit's seen-alone note is its own record, sent with it and linked
            # both ways (a manager cannot sign off the visit without it).
            from tests.record_cases import seen_alone

            note = factory(child, author, {**seen_alone(), "visit_id": record_id}, device_id=device_id)
            body["seen_alone_record_id"] = note.record_id
        op = PushOp(
            op_id=str(uuid.uuid4()),
            record_id=record_id,
            record_type=body["record_type"],
            schema_version=body["schema_version"],
            device_id=device_id,
            device_seq=next(_counter),
            base_revision=base_revision,
            child_id=child.public_id,
            body=body,
        )
        [result] = apply_push(db.session, [op], push_context(author.id, device_id, datetime.now(UTC)))
        db.session.commit()
        assert result.status != OpStatus.REJECTED, result
        return result

    return factory


def register_device(client, name: str = "Test tablet (fictional)") -> str:
    """Register a new device for the signed-in worker; its id (sent by the caller where a call needs it)."""
    device_id = str(uuid.uuid4())
    response = client.post(
        "/api/devices", json={"id": device_id, "name": name}, headers={"X-Fieldapp-Device": device_id}
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    return device_id


def use_registered_device(client) -> str:
    """Register a device for the signed-in worker and send its id on every later request of `client`,
    as the app does (workers' data calls need a live registered device)."""
    device_id = register_device(client)
    client.environ_base["HTTP_X_FIELDAPP_DEVICE"] = device_id
    return device_id
