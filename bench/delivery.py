"""Benchmark delivery into the council's case record: sign-off time with and without delivery configured, and
exports per second to a local HTTPS receiver (HMAC checked) and to a folder drop with archival PDFs.

Run from the repository root:  .venv/bin/python bench/delivery.py [--backend postgresql|sqlite] [--records 200]
Baselines are measured in the same run: sign-off without any destination, and bare signed POSTs of the same
documents to the same receiver (the transport floor a delivery cannot beat).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402
from common import bench_app, drop_schema  # noqa: E402

from fieldapp.cases.services import allocate  # noqa: E402
from fieldapp.delivery.destinations import sign  # noqa: E402
from fieldapp.delivery.worker import deliver_due  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.models import Child, LegalStatus, Role, Team, User  # noqa: E402
from fieldapp.records.store import push_context  # noqa: E402
from sync import PushOp, apply_push  # noqa: E402
from tests.delivery.receiver import Receiver  # noqa: E402
from tests.record_cases import seen_alone, statutory_visit  # noqa: E402

PASSWORD = "bench-password-not-secret"  # noqa: S105  (fictional bench users on a throwaway schema)
SECRET = "bench-webhook-secret-0123456789"  # noqa: S105


def seed(count: int):
    team = Team(name="Bench team")
    worker = User(username="bench-worker", display_name="Bench Worker", role=Role.WORKER, team=team)
    manager = User(username="bench-manager", display_name="Bench Manager", role=Role.MANAGER, team=team)
    for user in (worker, manager):
        user.set_password(PASSWORD)
    child = Child(
        case_number="BENCH-1",
        first_name="Benchy",
        last_name="Example",
        team=team,
        date_of_birth=datetime(2016, 1, 1).date(),
        legal_status=LegalStatus.CHILD_IN_NEED,
    )
    db.session.add_all([team, worker, manager, child])
    db.session.flush()
    allocate(child, worker, by=None)
    ops = []
    for _ in range(count):
        record_id, note_id = str(uuid.uuid4()), str(uuid.uuid4())
        # A statutory visit is signed off with its seen-alone record, sent beside it as the app does.
        body = {**statutory_visit(), "id": record_id, "child_id": child.public_id, "seen_alone_record_id": note_id}
        note = {**seen_alone(), "id": note_id, "child_id": child.public_id, "visit_id": record_id}
        for kind, item in (("visit", body), ("seen_alone", note)):
            ops.append(
                PushOp(
                    op_id=str(uuid.uuid4()),
                    record_id=item["id"],
                    record_type=kind,
                    schema_version=1,
                    device_id="bench",
                    device_seq=len(ops),
                    base_revision=0,
                    child_id=child.public_id,
                    body=item,
                )
            )
    apply_push(db.session, ops, push_context(worker.id, "bench", datetime.now(UTC)))
    db.session.commit()
    return manager.username, [op.record_id for op in ops if op.record_type == "visit"]


def time_sign_offs(client, record_ids) -> list[float]:
    took = []
    for record_id in record_ids:
        started = time.perf_counter()
        response = client.post(
            f"/records/{record_id}/review",
            data={"revision": "1", "comment": "Signed off in the benchmark.", "sign_off": "y"},
        )
        took.append(time.perf_counter() - started)
        assert response.status_code == 302, response.status_code
    return took


def describe(took: list[float]) -> str:
    ordered = sorted(took)
    return (
        f"median {statistics.median(ordered) * 1000:6.1f} ms, "
        f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:6.1f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args()
    half = args.records // 2
    with tempfile.TemporaryDirectory() as workdir:
        app, schema = bench_app(args.backend, workdir)
        try:
            with Receiver(SECRET, Path(workdir)) as receiver, app.app_context():
                manager, record_ids = seed(args.records)
                client = app.test_client()
                client.post("/login", data={"username": manager, "password": PASSWORD})
                without = time_sign_offs(client, record_ids[:half])
                app.config.update(
                    DELIVERY_WEBHOOK_URL=receiver.url,
                    DELIVERY_WEBHOOK_SECRET=SECRET,
                    DELIVERY_ALLOWED_HOSTS=[receiver.host],
                    DELIVERY_CA_BUNDLE=str(receiver.ca_path),
                )
                with_delivery = time_sign_offs(client, record_ids[half:])

                started = time.perf_counter()
                delivered = deliver_due(limit=50, passes=1000)
                webhook_seconds = time.perf_counter() - started
                documents = list(receiver.deliveries.values())

                # Baseline: bare signed POSTs of the same documents to the same receiver, one connection each.
                started = time.perf_counter()
                for document in documents:
                    body = json.dumps(document, separators=(",", ":")).encode()
                    stamp = str(int(time.time()))
                    requests.post(
                        receiver.url,
                        data=body,
                        verify=str(receiver.ca_path),
                        timeout=10,
                        headers={
                            "X-Fieldapp-Timestamp": stamp,
                            "X-Fieldapp-Signature": "sha256=" + sign(SECRET, stamp, body),
                            "X-Fieldapp-Delivery": document["delivery_id"],
                            "Content-Type": "application/json",
                        },
                    )
                bare_seconds = time.perf_counter() - started

                drop = Path(workdir) / "drop"
                drop.mkdir()
                app.config.update(DELIVERY_WEBHOOK_URL=None, DELIVERY_FOLDER=str(drop))
                folder_ids = record_ids[: min(half, 40)]
                from fieldapp.delivery.queue import enqueue_signed_off

                for record_id in folder_ids:
                    enqueue_signed_off(record_id, 1)
                db.session.commit()
                started = time.perf_counter()
                pdfs = deliver_due(limit=50, passes=1000)
                folder_seconds = time.perf_counter() - started
        finally:
            drop_schema(schema)
    print(f"delivery benchmark on {args.backend}, {args.records} visit records, signed off over the real view")
    print(f"  sign-off, no destination (baseline)  {describe(without)}")
    print(
        f"  sign-off, webhook configured         {describe(with_delivery)}  "
        f"ratio {statistics.median(with_delivery) / statistics.median(without):.2f}x"
    )
    print(f"  webhook exports  {delivered} in {webhook_seconds:.2f} s = {delivered / webhook_seconds:7.1f}/s")
    print(
        f"  bare signed POST {len(documents)} in {bare_seconds:.2f} s = {len(documents) / bare_seconds:7.1f}/s "
        f"(exports run at {bare_seconds / webhook_seconds:.2f}x the transport floor)"
    )
    print(f"  folder drop with archival PDF  {pdfs} in {folder_seconds:.2f} s = {pdfs / folder_seconds:6.1f}/s")


if __name__ == "__main__":
    main()
