"""Benchmark: a worker's first pull of a 500-child caseload with years of history, windowed and not, same run.

    .venv/bin/python bench/pull_caseload.py [--children 500] [--months 36] [--backend postgresql|sqlite]

Each child has a visit and its seen-alone record every month for --months months and a Signs of Safety map
every six months (real encrypted bodies, bulk-inserted with their change-log rows, then ANALYZE). Times are
whole requests through the Flask test client: GET /api/caseload, then GET /api/sync/pull pages (limit 500)
until `more` is false — once with the default window (PULL_WINDOW_MONTHS, 12 months, and the latest map and
rating) and once with the window off (every record ever written), which is the baseline.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402
from common import bench_app, drop_schema  # noqa: E402

from fieldapp.extensions import db  # noqa: E402
from fieldapp.models import Allocation, Child, LegalStatus, Role, Team, User  # noqa: E402
from fieldapp.records.store import record_cipher  # noqa: E402
from sync.tables import change_log, records, sync_counter  # noqa: E402

PASSWORD = "bench-password-not-secret"  # noqa: S105  (fictional bench user on a throwaway store)


def seed(children: int, months: int) -> int:
    today, now = date.today(), datetime.now(UTC)
    team = Team(name="Bench team (fictional)")
    worker = User(username="bench.worker", display_name="Bench Worker", role=Role.WORKER, team=team)
    worker.set_password(PASSWORD)
    db.session.add_all([team, worker])
    db.session.flush()
    kids = [
        dict(
            public_id=str(uuid.uuid4()),
            case_number=f"P{i:06d}",
            first_name="Benchchild",
            last_name=f"Example{i}",
            date_of_birth=date(2015, 1, 1),
            legal_status=LegalStatus.CHILD_IN_NEED.value,
            team_id=team.id,
            created_at=now,
            address="",
            address_risk_notes="",
        )
        for i in range(children)
    ]
    db.session.execute(sa.insert(Child.__table__), kids)
    ids = db.session.scalars(sa.select(Child.id).order_by(Child.id)).all()
    db.session.execute(
        sa.insert(Allocation.__table__), [dict(child_id=c, worker_id=worker.id, started_at=now) for c in ids]
    )
    cipher, rows = record_cipher(), []
    text = "Fictional observations of a fictional family. " * 30
    for child_id in ids:
        for month in range(months):
            when = (today - timedelta(days=30 * month + 3)).isoformat()
            visit_id, alone_id = str(uuid.uuid4()), str(uuid.uuid4())
            rows.append((visit_id, child_id, "visit", when, None, {"visit_date": when, "observations": text}))
            rows.append((alone_id, child_id, "seen_alone", None, visit_id, {"visit_id": visit_id, "seen_alone": True}))
            if month % 6 == 0:
                rows.append((str(uuid.uuid4()), child_id, "sos_map", when, None, {"mapped_on": when, "notes": text}))
    record_rows, log_rows = [], []
    for seq, (record_id, child_id, record_type, when, visit_id, body) in enumerate(rows, start=1):
        key_id, blob = cipher.encrypt(body, f"{record_id}:1")
        record_rows.append(
            dict(
                id=record_id,
                child_id=child_id,
                record_type=record_type,
                schema_version=1,
                revision=1,
                author_id=worker.id,
                created_at=now,
                updated_at=now,
                occurred_on=when,
                child_seen=1 if record_type == "visit" else None,
                visit_id=visit_id,
                seen_alone=1 if record_type == "seen_alone" else None,
                conflict_state="none",
                review_state="submitted",
                body_key_id=key_id,
                body=blob,
            )
        )
        log_rows.append(dict(seq=seq, record_id=record_id, child_id=child_id, revision=1))
    for start in range(0, len(record_rows), 5000):
        db.session.execute(sa.insert(records), record_rows[start : start + 5000])
        db.session.execute(sa.insert(change_log), log_rows[start : start + 5000])
    db.session.execute(sa.insert(sync_counter).values(name="changes", value=len(rows)))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in ("records", "change_log", "children", "allocations"):
                connection.execute(sa.text(f"ANALYZE {name}"))
    return len(rows)


def first_pull(client, device: str) -> tuple[float, float, int, int]:
    """(caseload seconds, pull seconds, records, pages) for a device with nothing yet."""
    headers = {"X-Fieldapp-Device": device}
    began = time.perf_counter()
    caseload = client.get("/api/caseload", headers=headers)
    assert caseload.status_code == 200, caseload.get_data(as_text=True)[:300]
    caseload_seconds = time.perf_counter() - began
    began, cursor, pages, pulled = time.perf_counter(), 0, 0, 0
    while True:
        page = client.get(f"/api/sync/pull?after={cursor}&limit=500", headers=headers)
        assert page.status_code == 200, page.get_data(as_text=True)[:300]
        data = page.json
        pulled, cursor, pages = pulled + len(data["records"]), data["cursor"], pages + 1
        if not data["more"]:
            return caseload_seconds, time.perf_counter() - began, pulled, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=500)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--backend", default="postgresql", choices=["postgresql", "sqlite"])
    args = parser.parse_args()
    app, schema = bench_app(args.backend, tempfile.mkdtemp(prefix="fieldapp-bench-pull-"))
    try:
        with app.app_context():
            stored = seed(args.children, args.months)
        client = app.test_client()
        response = client.post("/api/session", json={"username": "bench.worker", "password": PASSWORD})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        device = str(uuid.uuid4())
        client.post(
            "/api/devices",
            json={"id": device, "name": "Bench tablet (fictional)"},
            headers={"X-Fieldapp-Device": device},
        )
        print(f"{args.backend}, {args.children} children, {stored} stored records ({args.months} months of history)")
        default = app.config["PULL_WINDOW_MONTHS"]  # as configured: 12 unless FIELDAPP_PULL_WINDOW_MONTHS says
        for label, months in (("window off (every record)", 0), (f"window {default} months + latest", default)):
            app.config["PULL_WINDOW_MONTHS"] = months
            caseload, pull, pulled, pages = first_pull(client, device)
            print(
                f"  {label:30}: /api/caseload {caseload:.3f} s; pull {pulled} records in {pages} pages "
                f"{pull:.3f} s; total {caseload + pull:.3f} s (goal ≤ 0.5 s)"
            )
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_schema(schema)


if __name__ == "__main__":
    main()
