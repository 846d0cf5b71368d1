"""The soak benchmark, short: the production topology (gunicorn, two escalators, PostgreSQL, Redis) under load while
a worker and an escalator are SIGKILLed and every database connection is terminated. Nothing lost or duplicated,
overdue sessions alerted exactly once per stage, every fault injected and survived."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import redis
import sqlalchemy as sa

from tests.conftest import PG_URL, require

ROOT = Path(__file__).resolve().parents[2]


def test_short_soak_with_faults_loses_nothing_and_alerts_once(tmp_path):
    engine = sa.create_engine(PG_URL)
    try:
        engine.connect().close()
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except (sa.exc.OperationalError, redis.RedisError) as error:
        require(False, f"the soak needs PostgreSQL and Redis: {error.__class__.__name__}")
    finally:
        engine.dispose()
    out = tmp_path / "soak.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--short", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert result.returncode == 0, json.dumps(report, indent=1)[:4000]
    assert report["records"]["sealed"] > 0
    assert (report["records"]["lost"], report["records"]["duplicated"]) == (0, 0)
    assert report["records"]["stored"] == report["records"]["sealed"]
    assert report["alerts"]["ok"] and report["alerts"]["overdue_sessions_checked"] > 0
    assert report["alerts"]["emails_received"] >= report["alerts"]["email_deliveries"].get("sent", 0) > 0
    faults = {fault["fault"]: fault for fault in report["faults"]}
    assert all("error" not in fault for fault in faults.values()), faults
    assert faults["terminate every database connection"]["result"] > 0
    assert report["supervisor_restarts"] == 1  # the killed escalator was started again
    for endpoint in (
        "POST /api/sync/push",
        "GET /api/sync/pull",
        "GET /api/caseload",
        "POST /api/safety/sessions",
        "GET /api/safety/board",
    ):
        assert report["endpoints"][endpoint]["requests"] > 0, endpoint
    # After the faults the service answers again: the last minutes' failures are only the fault windows' own.
    assert report["failures"] < report["requests"] * 0.25
