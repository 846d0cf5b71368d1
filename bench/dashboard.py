"""Benchmark the managers' oversight dashboard: server time at 200, 2,000 and 20,000 children.

Run from the repository root:  .venv/bin/python bench/dashboard.py [--backend sqlite|postgresql] [--sizes 200,2000]

Each size gets a fresh store: one team holding every child (the worst case for a team dashboard), one worker
per 50 children (40 workers at 2,000), a tenth of children unallocated, four statutory visits per visited child
with their seen-alone records, a Signs of Safety map per child protection case. Rows are bulk-inserted with the
clear columns the dashboard reads (bodies are placeholder bytes: the dashboard never decrypts one). Times are
whole requests through the Flask test client (queries + visit-due rules + template), median of --repeat runs,
with the number of SQL statements. Baselines measured in the same run: the existing /caseload page for the same
manager and the same data, and the smallest size.
"""

from __future__ import annotations

import argparse
import os
import statistics
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
from fieldapp.records import visit_facts  # noqa: E402
from sync.tables import records  # noqa: E402

PASSWORD = "bench-password-not-secret"  # noqa: S105  (fictional bench users on a throwaway store)
STATUSES = list(LegalStatus)


def make_app(backend: str, workdir: str):
    return bench_app(backend, workdir)


def seed(children: int, visits: int = 4) -> None:
    """Bulk rows: children, allocations, visits + seen-alone records, maps (see module docstring)."""
    today, now = date.today(), datetime.now(UTC)
    team = Team(name="Bench team (fictional)")
    manager = User(username="manager", display_name="Bench Manager", role=Role.MANAGER, team=team)
    manager.set_password(PASSWORD)
    workers = [
        User(
            username=f"w{i}",
            display_name=f"Bench Worker {i:03d}",
            role=Role.WORKER,
            team=team,
            part_time=i % 5 == 0,
            password_hash="x",
        )
        for i in range(max(1, children // 50))
    ]
    db.session.add_all([team, manager, *workers])
    db.session.flush()
    child_rows = [
        dict(
            public_id=str(uuid.uuid4()),
            case_number=f"B{i:06d}",
            first_name="Benchchild",
            last_name=f"Example{i}",
            date_of_birth=date(2015, 1, 1),
            legal_status=STATUSES[i % 4].value,
            placement_start=date(2024, 1, 1),
            permanent_placement=i % 8 == 0,
            cp_visit_interval_working_days=10,
            team_id=team.id,
            created_at=now - timedelta(days=i % 90),
            address="",
            address_risk_notes="",
        )
        for i in range(children)
    ]
    db.session.execute(sa.insert(Child.__table__), child_rows)
    ids = db.session.scalars(sa.select(Child.id).order_by(Child.id)).all()
    db.session.execute(
        sa.insert(Allocation.__table__),
        [
            dict(child_id=cid, worker_id=workers[i % len(workers)].id, started_at=now)
            for i, cid in enumerate(ids)
            if i % 10
        ],
    )
    rows = []
    for i, cid in enumerate(ids):
        author = workers[i % len(workers)].id
        for v in range(visits if i % 7 else 0):
            visit_id = str(uuid.uuid4())
            day = (today - timedelta(days=3 + (i % 40) + 14 * v)).isoformat()
            base = dict(
                child_id=cid,
                schema_version=1,
                revision=1,
                author_id=author,
                created_at=now,
                updated_at=now,
                conflict_state="none",
                review_state="submitted" if v == 0 else "signed_off",
                body_key_id="bench",
                body=b"placeholder",
                occurred_on=day,
            )
            rows.append(
                {**base, "id": visit_id, "record_type": "visit", "child_seen": 1, "seen_alone": None, "visit_id": None}
            )
            rows.append(
                {
                    **base,
                    "id": str(uuid.uuid4()),
                    "record_type": "seen_alone",
                    "child_seen": None,
                    "seen_alone": int((i + v) % 3 != 0),
                    "visit_id": visit_id,
                    "occurred_on": None,
                }
            )
        if i % 4 == 1:
            rows.append(
                dict(
                    id=str(uuid.uuid4()),
                    child_id=cid,
                    record_type="sos_map",
                    schema_version=1,
                    revision=1,
                    author_id=author,
                    created_at=now,
                    updated_at=now,
                    conflict_state="none",
                    review_state="signed_off",
                    body_key_id="bench",
                    body=b"placeholder",
                    occurred_on=(today - timedelta(days=30 * (i % 12))).isoformat(),
                    child_seen=None,
                    seen_alone=None,
                    visit_id=None,
                )
            )
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(records), rows[start : start + 5000])
    # Bulk rows bypass the push, so keep the facts as the push would (and as migration 0020 + first read do).
    visit_facts.refresh(db.session, ids)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE"))


def timed(client, url: str, repeat: int) -> tuple[float, int]:
    statements = []

    def count(*_args):
        statements.append(1)

    times = []
    for _ in range(repeat):
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        sa.event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    return statistics.median(times), len(statements)


def run(backend: str, children: int, repeat: int, visits: int = 4) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        app, schema = make_app(backend, workdir)
        try:
            with app.app_context():
                started = time.perf_counter()
                seed(children, visits)
                seeded = time.perf_counter() - started
                client = app.test_client()
                assert client.post("/login", data={"username": "manager", "password": PASSWORD}).status_code == 302
                client.get("/oversight/")  # warm caches (templates, rules, bank holidays)
                dash, dash_queries = timed(client, "/oversight/", repeat)
                csv_time, _ = timed(client, "/oversight/visits-due.csv", repeat)
                caseload, caseload_queries = timed(client, "/caseload", repeat)
                record_count = db.session.scalar(sa.select(sa.func.count()).select_from(records))
                db.session.remove()
                db.engine.dispose()
        finally:
            drop_schema(schema)
    return {
        "visits": visits,
        "children": children,
        "records": record_count,
        "seed_s": seeded,
        "dashboard_s": dash,
        "queries": dash_queries,
        "visits_due_csv_s": csv_time,
        "caseload_s": caseload,
        "caseload_queries": caseload_queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sizes", default="200,2000,20000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--visits",
        default="4",
        help="seen visits per visited child; several (1,20) show whether the cost grows with history",
    )
    args = parser.parse_args()
    results = [
        run(args.backend, int(size), args.repeat, int(visits))
        for visits in args.visits.split(",")
        for size in args.sizes.split(",")
    ]
    base = results[0]
    print(f"backend: {args.backend}; median of {args.repeat} requests each; times in milliseconds")
    print(
        f"{'visits':>6} {'children':>9} {'records':>8} {'dashboard':>10} {'queries':>8} {'vs smallest':>12} "
        f"{'/caseload':>10} {'dash÷caseload':>14} {'visits-due.csv':>15}"
    )
    for r in results:
        print(
            f"{r['visits']:>6} {r['children']:>9,} {r['records']:>8,} "
            f"{r['dashboard_s'] * 1000:>10.0f} {r['queries']:>8} "
            f"{r['dashboard_s'] / base['dashboard_s']:>11.1f}x {r['caseload_s'] * 1000:>10.0f} "
            f"{r['dashboard_s'] / r['caseload_s']:>13.2f}x {r['visits_due_csv_s'] * 1000:>15.0f}"
        )


if __name__ == "__main__":
    main()
