"""Benchmark: /api/sync/push end to end over HTTP, as tablets use it, against a bare insert in the same run.

    .venv/bin/python bench/bench_push_http.py [--records 10000] [--batch 100] [--workers 2]
        [--stored 0,100000,1000000 [--no-analyze]] [--pouchdb] [--app-root OTHER_CHECKOUT]

gunicorn (--workers) serves the app on a private PostgreSQL schema (FIELDAPP_TEST_DATABASE_URL: the
server). A client signs in, registers a device and seals every ~2.1 KB visit op exactly as outbox.js does
BEFORE timing; then it pushes them in batches of --batch, one request after another, as one tablet does.
The baseline, in the same run: a bare `executemany` of the `records` rows the push wrote into a
constraint-free twin table. --stored: before each level, bulk-load stored records (generate_series; they
belong to 10,000 other children of another worker, ~100 each at 1,000,000) up to
that many and time a few batches at each level (per-batch latency flat = the cost does not grow with the
store); --no-analyze leaves table statistics stale, as a server without autovacuum would.
--pouchdb: the same docs into pouchdb-server (`_bulk_docs`, and PouchDB replication), via bench/pouchdb_peer.mjs.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import PG_URL, bench_app, drop_schema  # noqa: E402
from tablet import Tablet, visit_item  # noqa: E402

from fieldapp.crypto.sealing import generate_key  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.models import Allocation, Child, LegalStatus, Role, Team, User  # noqa: E402

HISTORY_CHILDREN = 10_000  # --stored: whose records fill the store
PASSWORD = "bench-password-not-secret"  # noqa: S105  (fictional bench user on a throwaway schema)


def seed(app, children: int, username: str = "bench.worker") -> list[str]:
    """One worker with `children` allocated children; returns their public ids."""
    with app.app_context():
        team = Team(name=f"Bench team of {username} (fictional)")
        worker = User(username=username, display_name="Bench Worker", role=Role.WORKER, team=team)
        worker.set_password(PASSWORD)
        db.session.add_all([team, worker])
        db.session.flush()
        now = datetime.now(UTC)
        kids = [
            Child(
                case_number=f"BENCH-{username}-{n:05d}",
                first_name="Bench",
                last_name=f"Child{n}",
                date_of_birth=date(2015, 1, 1),
                legal_status=LegalStatus.CHILD_IN_NEED,
                team=team,
            )
            for n in range(children)
        ]
        db.session.add_all(kids)
        db.session.flush()
        db.session.add_all([Allocation(child_id=kid.id, worker_id=worker.id, started_at=now) for kid in kids])
        db.session.commit()
        return [kid.public_id for kid in kids]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(schema: str, workdir: str, workers: int, app_root: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "FIELDAPP_DATABASE_URL": f"{PG_URL}?options=-csearch_path%3D{schema}",
        "FIELDAPP_INSTANCE_PATH": f"{workdir}/instance",
        "FIELDAPP_SECRET_KEY": "bench-secret-not-secret",
        "FIELDAPP_LOGIN_RATE_LIMIT": "10000 per minute",
        "PYTHONPATH": str(app_root),
        "FIELDAPP_RECORD_KEYS": "b1:" + base64.b64encode(os.urandom(32)).decode(),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=app_root,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def server_cpu(master_pid: int) -> float:
    """CPU seconds used so far by the gunicorn workers (children of the master), from /proc."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # ppid
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total


def push_all(tablet: Tablet, sealed: list[dict], batch: int) -> list[float]:
    seconds = []
    for start in range(0, len(sealed), batch):
        began = time.perf_counter()
        results = tablet.push(sealed[start : start + batch])
        seconds.append(time.perf_counter() - began)
        bad = [r for r in results if r["status"] != "applied"]
        assert not bad, bad[:2]
    return seconds


def bare_insert(engine, schema: str) -> float:
    """executemany of the `records` rows the push wrote, into a twin without constraints or indexes."""
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE TABLE {schema}.bare_records (LIKE {schema}.records)"))
        rows = [dict(row._mapping) for row in connection.execute(sa.text(f"SELECT * FROM {schema}.records"))]
    columns = list(rows[0])
    statement = sa.text(
        f"INSERT INTO {schema}.bare_records ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
    )
    began = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(statement, rows)
    took = time.perf_counter() - began
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE {schema}.bare_records"))
    return took


def bulk_load(engine, schema: str, upto: int, analyze: bool) -> int:
    """Fill records / record_revisions / sync_ops / change_log with placeholder rows up to `upto` records."""
    with engine.begin() as connection:
        have = connection.execute(sa.text(f"SELECT count(*) FROM {schema}.records")).scalar_one()
        more = upto - have
        if more > 0:
            params = {"n": more, "tag": f"{time.time_ns():x}"[-8:]}
            # The stored history belongs to other children (another worker's caseload, ~100 records each): a
            # large store is many children, and what must stay flat is a batch's cost beside everyone else's history.
            rows = connection.execute(
                sa.text(
                    f"SELECT a.child_id, a.worker_id FROM {schema}.allocations a JOIN {schema}.users u "
                    "ON u.id = a.worker_id WHERE u.username = 'bench.history'"
                )
            ).all()
            params["kids"], author = [row.child_id for row in rows], rows[0].worker_id
            params["k"] = len(rows)
            child = "(CAST(:kids AS integer[]))[1 + g % :k]"
            seq = connection.execute(sa.text(f"SELECT coalesce(max(seq), 0) FROM {schema}.change_log")).scalar_one()
            ident = "md5(:tag || g::text)::uuid::text"
            connection.execute(
                sa.text(
                    f"INSERT INTO {schema}.records (id, child_id, record_type, schema_version, revision, author_id, "
                    "created_at, updated_at, occurred_on, child_seen, conflict_state, review_state, body_key_id, body) "
                    f"SELECT {ident}, {child}, 'visit', 1, 1, {author}, now(), now(), '2024-01-01', 1, 'none', "
                    "'submitted', 'b1', convert_to(repeat('x', 2000), 'UTF8') FROM generate_series(1, :n) g"
                ),
                params,
            )
            connection.execute(
                sa.text(
                    f"INSERT INTO {schema}.record_revisions (record_id, revision, kind, author_id, device_id, op_id, "
                    f"created_at, body_key_id, body) SELECT {ident}, 1, 'device', {author}, 'bulk', 'bulk-' || :tag "
                    "|| g::text, now(), 'b1', convert_to(repeat('x', 2000), 'UTF8') FROM generate_series(1, :n) g"
                ),
                params,
            )
            connection.execute(
                sa.text(
                    f"INSERT INTO {schema}.sync_ops (op_id, device_id, device_seq, record_id, author_id, content_hash, "
                    f"status, result, received_at) SELECT 'bulk-' || :tag || g::text, 'bulk', g, {ident}, {author}, "
                    "md5(g::text), 'applied', '{}', now() FROM generate_series(1, :n) g"
                ),
                params,
            )
            connection.execute(
                sa.text(
                    f"INSERT INTO {schema}.change_log (seq, record_id, child_id, revision) "
                    f"SELECT {seq} + g, {ident}, {child}, 1 FROM generate_series(1, :n) g"
                ),
                params,
            )
            connection.execute(
                sa.text(
                    f"INSERT INTO {schema}.sync_counter (name, value) VALUES ('changes', {seq} + :n) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                ),
                params,
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in ("records", "record_revisions", "sync_ops", "change_log", "audit_events"):
            if analyze:
                connection.execute(sa.text(f"ANALYZE {schema}.{name}"))
            else:  # stale means stale: autovacuum would analyze the freshly loaded tables within a minute
                connection.execute(sa.text(f"ALTER TABLE {schema}.{name} SET (autovacuum_enabled = false)"))
        # The load's gigabytes of dirty pages are written out now, not while the batches after it are timed.
        connection.execute(sa.text("CHECKPOINT"))
    return max(more, 0)


def run_pouchdb(items: list[dict], batch: int, workdir: str) -> dict | None:
    docs = Path(workdir) / "docs.json"
    docs.write_text(json.dumps([{"_id": item["record_id"], **item} for item in items]))
    harness = subprocess.run(
        ["node", str(ROOT / "bench" / "pouchdb_peer.mjs"), str(docs), str(batch)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if harness.returncode != 0:
        print(f"  pouchdb harness failed: {harness.stderr.strip()[-800:]}")
        return None
    return json.loads(harness.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--children", type=int, default=50)
    parser.add_argument("--stored", default="", help="comma-separated stored-record levels, e.g. 0,100000")
    parser.add_argument("--no-analyze", action="store_true")
    parser.add_argument("--pouchdb", action="store_true")
    parser.add_argument("--app-root", default=str(ROOT), help="serve another checkout (e.g. the code before a change)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="fieldapp-bench-http-")
    app, schema = bench_app("postgresql", workdir)
    engine = sa.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    server = None
    try:
        children = seed(app, args.children)
        with app.app_context():
            db.engine.dispose()
        generate_key(f"{workdir}/instance/sealing-keys")
        server, port = start_gunicorn(schema, workdir, args.workers, Path(args.app_root))
        print(f"gunicorn pid {server.pid} on 127.0.0.1:{port}, {args.workers} workers, schema {schema}", flush=True)
        tablet = Tablet("127.0.0.1", port)
        tablet.sign_in("bench.worker", PASSWORD)
        if args.stored:
            seed(app, HISTORY_CHILDREN, "bench.history")
            levels(tablet, engine, schema, children, args)
            return
        items = [visit_item(children[n % len(children)], n) for n in range(args.records)]
        sealed = [tablet.seal(item) for item in items]  # on the device, before timing
        sizes = [len(json.dumps(s["envelope"])) for s in sealed]
        push_all(tablet, [tablet.seal(visit_item(children[0], -1)) for _ in range(args.batch)], args.batch)  # warm
        print("pushing", flush=True)
        cpu_before = server_cpu(server.pid)
        batches = push_all(tablet, sealed, args.batch)
        push, cpu = sum(batches), server_cpu(server.pid) - cpu_before
        bare = bare_insert(engine, schema)
        print(
            f"PostgreSQL, {args.records} sealed visit ops (envelope ~{statistics.mean(sizes) / 1024:.1f} KB), "
            f"batches of {args.batch}, one client"
        )
        print(f"  bare executemany, records rows : {args.records / bare:8.0f} docs/s  ({bare:.2f} s)")
        print(
            f"  fieldapp /api/sync/push (HTTP) : {args.records / push:8.0f} docs/s  ({push:.2f} s)  "
            f"per batch median {statistics.median(batches) * 1000:.0f} ms"
        )
        print(f"  ratio push / bare insert       : {push / bare:8.2f}x  (goal ≤ 5x)")
        print(
            f"  server CPU (gunicorn workers)  : {cpu / args.records * 1e6:8.0f} µs/doc (less sensitive to a busy "
            "machine than wall time)"
        )
        if args.pouchdb:
            peer = run_pouchdb(items, args.batch, workdir)
            if peer:
                for label, key in (
                    ("pouchdb-server _bulk_docs", "bulk_docs_seconds"),
                    ("PouchDB replicate → server", "replicate_seconds"),
                ):
                    rate = peer["docs"] / peer[key]
                    print(
                        f"  {label:31}: {rate:8.0f} docs/s  ({peer[key]:.2f} s)  "
                        f"fieldapp is {(args.records / push) / rate:.2f}x its rate"
                    )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        engine.dispose()
        drop_schema(schema)


def levels(tablet: Tablet, engine, schema: str, children: list[str], args) -> None:
    """Per-batch latency at each stored-record level (ten batches each, after a warm-up batch)."""
    print(f"per-batch latency, batches of {args.batch}, statistics {'stale' if args.no_analyze else 'fresh'}")
    first = None
    for level in (int(x) for x in args.stored.split(",")):
        began = time.perf_counter()
        bulk_load(engine, schema, level, analyze=not args.no_analyze)
        loaded = time.perf_counter() - began
        sealed = [tablet.seal(visit_item(children[n % len(children)], n)) for n in range(args.batch * 11)]
        batches = push_all(tablet, sealed, args.batch)[1:]
        median = statistics.median(batches)
        first = first or median
        print(
            f"  {level:>9,} stored: median {median * 1000:6.1f} ms ({median / first:4.2f}x the first level), "
            f"max {max(batches) * 1000:6.1f} ms  (load {loaded:.0f} s, machine load {os.getloadavg()[0]:.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
