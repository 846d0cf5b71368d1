"""Chaos: many devices push through a proxy that cuts connections before and after the server commits.

Every record must be stored exactly once — 0 lost, 0 duplicated. Default size is scaled down for the test
run (FIELDAPP_CHAOS_RECORDS, default 1,000 over 20 devices); bench/bench_chaos.py runs 10,000.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from fieldapp.cases.services import allocate
from fieldapp.crypto.sealing import generate_key
from fieldapp.extensions import db
from fieldapp.models import Child, LegalStatus, Role, Team, User
from sync.tables import record_revisions, records, sync_ops
from tests.conftest import PASSWORD, make_app
from tests.sync.chaos import DeviceRun, run_devices
from tests.sync.faulty_proxy import FaultyProxy

DEVICES = 20


def chaos_world(app, devices: int):
    """One worker and one allocated child per device; returns [(username, child public id)]."""
    with app.app_context():
        generate_key(app.config["SEALING_KEYS_DIR"])
        team = Team(name="Chaos team (fictional)")
        pairs = []
        for number in range(devices):
            worker = User(
                username=f"chaos.{number}", display_name=f"Chaos Worker {number}", role=Role.WORKER, team=team
            )
            worker.set_password(PASSWORD)
            child = Child(
                case_number=f"CHAOS-{number:03d}",
                first_name="Chaos",
                last_name=f"Example{number}",
                date_of_birth=date(2015, 1, 1),
                legal_status=LegalStatus.CHILD_IN_NEED,
                team=team,
            )
            db.session.add_all([worker, child])
            db.session.flush()
            allocate(child, worker, by=None)
            pairs.append((worker.username, child.public_id))
        db.session.commit()
    return pairs


@pytest.mark.parametrize("backend", ["postgresql"])
def test_cut_connections_lose_and_duplicate_nothing(backend, tmp_path, request):
    total = int(os.environ.get("FIELDAPP_CHAOS_RECORDS", "1000"))
    app = make_app(backend, tmp_path, request, LOGIN_RATE_LIMIT="10000 per minute")
    pairs = chaos_world(app, DEVICES)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with FaultyProxy(server.server_port, cut_before=0.12, cut_after=0.12) as proxy:
            per_device = total // DEVICES
            runs = [
                DeviceRun(username, child, per_device, batch=25, base_url=f"http://127.0.0.1:{proxy.port}")
                for username, child in pairs
            ]
            started = time.monotonic()
            errors = run_devices(runs)
            elapsed = time.monotonic() - started
            assert errors == []
            cut = proxy.counts["before"] + proxy.counts["after"]
            connections = sum(proxy.counts.values())
            assert cut / connections >= 0.2 and proxy.counts["after"] > 0
        expected = per_device * DEVICES
        with app.app_context():
            stored = db.session.scalar(select(func.count()).select_from(records))
            distinct = db.session.scalar(select(func.count(func.distinct(records.c.id))))
            revisions = db.session.scalar(select(func.count()).select_from(record_revisions))
            ops = db.session.scalar(select(func.count()).select_from(sync_ops))
            assert (stored, distinct, revisions, ops) == (expected, expected, expected, expected)
            assert db.session.scalar(select(func.max(records.c.revision))) == 1
            db.session.remove()
        assert sum(len(run.stored) for run in runs) == expected
        attempts, failures = sum(r.attempts for r in runs), sum(r.failures for r in runs)
        print(
            f"\nchaos: {expected} records from {DEVICES} devices in {elapsed:.1f} s ({expected / elapsed:.0f}/s); "
            f"{connections} connections, cut before {proxy.counts['before']}, after {proxy.counts['after']} "
            f"({cut / connections:.0%}); {failures} failed calls of {attempts} retried; stored {stored}, "
            f"distinct {distinct}, duplicates {stored - distinct}, lost {expected - distinct}"
        )
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
