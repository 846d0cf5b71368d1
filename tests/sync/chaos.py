"""Simulated devices pushing sealed records over HTTP through a connection-cutting proxy.

Used by the chaos test (scaled down) and bench/bench_chaos.py (full size: 10,000 records, 20 devices).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from fieldapp.crypto.sealing import b64url_decode, seal
from tests.conftest import PASSWORD
from tests.record_cases import sos_map

HEADER = "X-Fieldapp-Device"
DEADLINE_SECONDS = 900


@dataclass
class DeviceRun:
    username: str
    child_id: str
    records: int
    batch: int
    base_url: str
    device_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempts: int = 0
    failures: int = 0
    stored: dict = field(default_factory=dict)  # op id -> result

    def _call(self, session, method, path, **kwargs):
        """Retry until the server answers (the proxy cuts connections at random); bounded by a deadline."""
        started = time.monotonic()
        while time.monotonic() - started < DEADLINE_SECONDS:
            self.attempts += 1
            try:
                response = session.request(
                    method,
                    self.base_url + path,
                    timeout=30,
                    headers={
                        HEADER: self.device_id,
                        "Connection": "close",
                        "X-CSRFToken": session.headers.get("X-CSRFToken", ""),
                    },
                    **kwargs,
                )
            except requests.RequestException:
                self.failures += 1
                continue
            if response.status_code >= 500:
                self.failures += 1
                continue
            return response
        raise TimeoutError(f"{self.username}: no answer for {path} within {DEADLINE_SECONDS}s")

    def run(self) -> None:
        with requests.Session() as session:
            self._run(session)

    def _run(self, session) -> None:
        token = self._call(session, "GET", "/api/session").json()["csrf_token"]
        session.headers["X-CSRFToken"] = token
        signed_in = self._call(session, "POST", "/api/session", json={"username": self.username, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        session.headers["X-CSRFToken"] = signed_in.json()["csrf_token"]
        registered = self._call(session, "POST", "/api/devices", json={"id": self.device_id, "name": "Chaos tablet"})
        assert registered.status_code in (200, 201), registered.text
        key = self._call(session, "GET", "/api/keys/sealing").json()
        public = b64url_decode(key["public_key"])
        outbox = []
        for seq in range(1, self.records + 1):
            record_id = str(uuid.uuid4())
            op = {
                "op_id": str(uuid.uuid4()),
                "record_id": record_id,
                "record_type": "sos_map",
                "schema_version": 1,
                "device_id": self.device_id,
                "device_seq": seq,
                "base_revision": 0,
                "child_id": self.child_id,
                "body": {**sos_map(), "id": record_id, "child_id": self.child_id},
            }
            outbox.append({"op_id": op["op_id"], "envelope": seal(json.dumps(op).encode(), public, key["kid"])})
        while outbox:  # like the app: an item leaves the outbox only once the server has answered for it
            batch = outbox[: self.batch]
            response = self._call(session, "POST", "/api/sync/push", json={"ops": batch})
            assert response.status_code == 200, response.text
            for result in response.json()["results"]:
                assert result["status"] == "applied", result
                self.stored[result["op_id"]] = result
            outbox = outbox[len(batch) :]


def run_devices(runs: list[DeviceRun]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(run):
        try:
            run.run()
        except BaseException as error:  # reported to the test, never swallowed
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS + 60)
    return errors
