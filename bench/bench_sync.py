"""Benchmark: sync push throughput and cost per record on PostgreSQL against a bare executemany insert of
the same rows, measured in the same run; and pull time for a 500-child caseload.

    .venv/bin/python bench/bench_sync.py [--records 5000] [--batch 100]   (FIELDAPP_TEST_DATABASE_URL: the server)

The push path is the real one: schema validation, AES-GCM at rest (record + revision rows), op
idempotency rows, change log. The baseline inserts the same number of rows with plaintext bodies.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import PG_URL, bench_app, drop_schema  # noqa: E402

from fieldapp.extensions import db  # noqa: E402
from fieldapp.models import Allocation, Child, LegalStatus, Role, Team, User  # noqa: E402
from fieldapp.records.facts import record_facts  # noqa: E402
from fieldapp.records.store import validate_for_push  # noqa: E402
from sync import BodyCipher, PushContext, PushOp, apply_push, pull, worker_scope, writable_children  # noqa: E402


def visit_body(record_id: str, child_id: str, n: int) -> dict:
    return {
        "record_type": "visit",
        "schema_version": 1,
        "id": record_id,
        "child_id": child_id,
        "visit_type": "child_in_need",
        "visit_date": "2026-11-02",
        "start_time": "10:00",
        "end_time": "11:00",
        "location": "Family home (fictional)",
        "child_seen": True,
        "seen_alone_record_id": str(uuid.uuid4()),
        "observations": f"Benchmark visit {n}: fictional observations of a fictional family. " * 4,
        "childs_words": "I like football and my cat (fictional).",
        "actions": [{"text": "Follow up with school", "owner": "Social worker", "due": "2026-11-20"}],
    }


def setup(schema_dir: str, children: int):
    app, schema = bench_app("postgresql", schema_dir)
    with app.app_context():
        team = Team(name="Bench team (fictional)")
        worker = User(
            username="bench.worker", display_name="Bench Worker", role=Role.WORKER, team=team, password_hash="!"
        )  # cannot sign in
        db.session.add_all([team, worker])
        db.session.flush()
        now = datetime.now(UTC)
        for n in range(children):
            child = Child(
                case_number=f"BENCH-{n:05d}",
                first_name="Bench",
                last_name=f"Child{n}",
                date_of_birth=date(2015, 1, 1),
                legal_status=LegalStatus.CHILD_IN_NEED,
                team=team,
            )
            db.session.add(child)
            db.session.flush()
            db.session.add(Allocation(child_id=child.id, worker_id=worker.id, started_at=now))
        db.session.commit()
    return sa.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}), app, schema


def bench_bare_insert(engine, schema: str, tables: list[str]) -> float:
    """Copy the rows the push wrote into constraint-free twins with one executemany per table."""
    with engine.begin() as connection:
        batches = []
        for name in tables:
            connection.execute(sa.text(f"CREATE TABLE {schema}.bare_{name} (LIKE {schema}.{name})"))
            rows = [dict(row._mapping) for row in connection.execute(sa.text(f"SELECT * FROM {schema}.{name}"))]
            columns = list(rows[0])
            statement = sa.text(
                f"INSERT INTO {schema}.bare_{name} ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            )
            if "result" in columns:  # JSON read back as dict; send it as text again
                statement = statement.bindparams(sa.bindparam("result", type_=sa.JSON))
            batches.append((statement, rows))
    started = time.perf_counter()
    with engine.begin() as connection:
        for statement, rows in batches:
            connection.execute(statement, rows)
    return time.perf_counter() - started


def bench_push(app, ops: list[PushOp], batch: int, cipher: BodyCipher, worker_id: int) -> list[float]:
    batch_seconds = []
    with app.app_context():
        allowed = writable_children(db.session, worker_id)
        for start in range(0, len(ops), batch):
            began = time.perf_counter()
            ctx = PushContext(
                author_id=worker_id,
                device_id="bench-device",
                allowed_children=allowed,
                validate=validate_for_push,
                cipher=cipher,
                now=datetime.now(UTC),
                facts=record_facts,
            )
            results = apply_push(db.session, ops[start : start + batch], ctx)
            db.session.commit()
            batch_seconds.append(time.perf_counter() - began)
            bad = [r for r in results if r.status.value != "applied"]
            assert not bad, bad[:2]
    return batch_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--children", type=int, default=500)
    args = parser.parse_args()
    engine, app, schema = setup(tempfile.mkdtemp(prefix="fieldapp-bench-"), args.children)
    try:
        with app.app_context():
            worker_id = db.session.scalar(sa.select(User.id).where(User.username == "bench.worker"))
            child_ids = list(worker_scope(db.session, worker_id))
        cipher = BodyCipher({"bench": os.urandom(32)}, "bench")
        ops = []
        for n in range(args.records):
            record_id, child = str(uuid.uuid4()), child_ids[n % len(child_ids)]
            ops.append(
                PushOp(
                    op_id=str(uuid.uuid4()),
                    record_id=record_id,
                    record_type="visit",
                    schema_version=1,
                    device_id="bench-device",
                    device_seq=n + 1,
                    base_revision=0,
                    child_id=child,
                    body=visit_body(record_id, child, n),
                )
            )
        batches = bench_push(app, ops, args.batch, cipher, worker_id)
        push_total = sum(batches)
        bare_records = bench_bare_insert(engine, schema, ["records"])
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP TABLE {schema}.bare_records"))
        bare_all = bench_bare_insert(engine, schema, ["records", "record_revisions", "sync_ops", "change_log"])

        with app.app_context():
            scope = worker_scope(db.session, worker_id)
            began, cursor, pages, pulled = time.perf_counter(), 0, 0, 0
            while True:
                page = pull(db.session, scope, cursor, cipher)
                pulled, cursor, pages = pulled + len(page.records), page.cursor, pages + 1
                if not page.more:
                    break
            pull_seconds = time.perf_counter() - began

        print(f"PostgreSQL, {args.records} visit records, batches of {args.batch}")
        for label, bare in (("records rows only", bare_records), ("every row push writes", bare_all)):
            print(f"  bare executemany, {label:22}: {bare:7.3f} s  {bare / args.records * 1e6:6.0f} µs/record")
        print(
            f"  sync push (apply_push)                  : {push_total:7.3f} s  "
            f"{push_total / args.records * 1e6:6.0f} µs/record  {args.records / push_total:6.0f} records/s "
            f"(goal ≥ 1000)"
        )
        print(f"  ratio push / bare records insert        : {push_total / bare_records:6.2f}x  (goal ≤ 3x)")
        print(f"  ratio push / bare insert of all its rows: {push_total / bare_all:6.2f}x")
        print(
            f"  per-batch latency       : median {statistics.median(batches) * 1000:.1f} ms, "
            f"max {max(batches) * 1000:.1f} ms"
        )
        print(f"  pull, {len(scope)}-child caseload: {pulled} records in {pages} pages, {pull_seconds:.3f} s")
    finally:
        engine.dispose()
        with app.app_context():
            db.engine.dispose()
        drop_schema(schema)


if __name__ == "__main__":
    main()
