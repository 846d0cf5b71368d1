"""With FIELDAPP_REDIS_URL set, every web worker process counts sign-in attempts in the same place (Redis)."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import redis

from tests.conftest import make_app, require

REDIS_URL = "redis://127.0.0.1:6379/0"
# Another worker process: a fresh app with the same settings makes three wrong sign-ins.
OTHER_WORKER = """
import os, sys
from fieldapp import create_app
app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "x", "LOGIN_RATE_LIMIT": "3 per minute",
                  "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1]})
client = app.test_client()
print([client.post("/login", data={"username": "nobody.here", "password": "wrong"}).status_code for _ in range(3)])
"""


@pytest.fixture
def redis_prefix():
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        require(False, f"Redis not reachable at {REDIS_URL}: {error.__class__.__name__}")
    prefix = f"fieldapp-test-{uuid.uuid4().hex[:10]}"  # parallel runs share this Redis
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def other_worker_signs_in_wrongly(tmp_path, env: dict) -> str:
    from fieldapp.extensions import db

    app = make_app("sqlite", tmp_path / "other", None)  # the schema the other process will use
    with app.app_context():
        db.engine.dispose()
    database = tmp_path / "other" / "store.sqlite3"
    env = {**env, "FIELDAPP_INSTANCE_PATH": str(tmp_path / "other-instance")}
    return subprocess.run(
        [sys.executable, "-c", OTHER_WORKER, str(database)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
def test_sign_in_attempts_count_across_worker_processes_only_through_redis(
    shared, tmp_path, request, monkeypatch, redis_prefix
):
    import os

    monkeypatch.setenv("FIELDAPP_REDIS_PREFIX", redis_prefix)
    if shared:
        monkeypatch.setenv("FIELDAPP_REDIS_URL", REDIS_URL)
    else:
        monkeypatch.delenv("FIELDAPP_REDIS_URL", raising=False)
    monkeypatch.delenv("FIELDAPP_RATELIMIT_STORAGE_URI", raising=False)
    assert other_worker_signs_in_wrongly(tmp_path, dict(os.environ)) == "[400, 400, 400]"
    app = make_app("sqlite", tmp_path, request, LOGIN_RATE_LIMIT="3 per minute")
    assert app.config["RATELIMIT_STORAGE_URI"] == (REDIS_URL if shared else "memory://")
    fourth = app.test_client().post("/login", data={"username": "nobody.here", "password": "wrong"}).status_code
    assert fourth == (429 if shared else 400)
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{redis_prefix}*"))
    assert bool(keys) == shared
