"""The soak's simulated people (locust users): workers' devices and managers watching the safety board.

A device behaves like the app: it signs in, registers, keeps its caseload and pull cursor, seals records into an
outbox that is emptied only by the server's `applied` answer (so a killed worker or a dropped connection means
"send again with the same op ids"), and runs safety sessions — most checked out in time, some left to go overdue,
some ended by a panic. Every outcome goes into LEDGER for the final checks.
"""

from __future__ import annotations

import itertools
import json
import random
import time
import uuid
from dataclasses import dataclass, field

from locust import HttpUser, between, task

from fieldapp.crypto.sealing import b64url_decode, seal
from tests.record_cases import sos_map

DEVICE_HEADER = "X-Fieldapp-Device"
PASSWORD = "soak-password-for-fictional-users"  # noqa: S105  (fictional users of a throwaway schema)
BATCH = 25


@dataclass
class Ledger:
    sealed: dict = field(default_factory=dict)  # op id -> record id, every op any device sealed
    applied: set = field(default_factory=set)  # op ids the server answered `applied` for
    outboxes: list = field(default_factory=list)  # each device's outbox (what is still waiting)
    sessions: dict = field(default_factory=dict)  # session public id -> "checked_out" | "overdue" | "panic"
    session_minutes: int = 1
    repeat_sessions: bool = True  # after a check-out, start another visit
    workers: list = field(default_factory=list)  # (username) in order
    managers: list = field(default_factory=list)
    devices: list = field(default_factory=list)  # every Device user, for the final flush


LEDGER = Ledger()
_device_numbers = itertools.count()
_manager_numbers = itertools.count()


class SignedIn(HttpUser):
    abstract = True

    def sign_in(self, username: str) -> None:
        while True:  # a killed worker or a dropped connection: try again, as the app does
            with self.client.get("/api/session", name="/api/session", catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"status {response.status_code}")
                    time.sleep(1)
                    continue
                self.client.headers["X-CSRFToken"] = response.json()["csrf_token"]
            with self.client.post(
                "/api/session",
                json={"username": username, "password": PASSWORD},
                name="/api/session [sign in]",
                catch_response=True,
            ) as response:
                if response.status_code == 200:
                    self.client.headers["X-CSRFToken"] = response.json()["csrf_token"]
                    return
                response.failure(f"status {response.status_code}")
            time.sleep(1)

    def call(self, method: str, path: str, name: str, **kwargs):
        """One request; anything but a 2xx is a failure in the statistics and None to the caller."""
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if 200 <= response.status_code < 300:
                return response
            response.failure(f"status {response.status_code}: {response.text[:80]}")
            return None


class Device(SignedIn):
    wait_time = between(3, 8)

    def on_start(self):
        number = self.number = next(_device_numbers)
        LEDGER.devices.append(self)
        self.username = LEDGER.workers[number % len(LEDGER.workers)]
        self.device_id = str(uuid.uuid4())
        self.client.headers[DEVICE_HEADER] = self.device_id
        self.outbox: list[dict] = []
        LEDGER.outboxes.append(self.outbox)
        self.seq, self.cursor, self.children, self.key = itertools.count(1), 0, [], None
        self.session, self.fate, self.check_out_at, self.safety_done = None, None, 0.0, False
        self.sign_in(self.username)
        while not self.call("POST", "/api/devices", "/api/devices", json={"id": self.device_id, "name": "soak"}):
            time.sleep(1)
        while self.key is None:
            response = self.call("GET", "/api/keys/sealing", "/api/keys/sealing")
            self.key = response.json() if response else None
        self.caseload()
        self.safety()  # a visit starts at once: even a short run has sessions old enough to go overdue

    @task(1)
    def caseload(self):
        response = self.call("GET", "/api/caseload", "/api/caseload")
        if response:
            self.children = [child["public_id"] for child in response.json()["children"]]

    @task(3)
    def pull(self):
        response = self.call("GET", f"/api/sync/pull?after={self.cursor}&limit=200", "/api/sync/pull")
        if response:
            self.cursor = response.json()["cursor"]

    @task(4)
    def record(self):
        if self.children:
            for _ in range(random.randint(1, 3)):
                self.seal(random.choice(self.children))
        self.flush()

    def seal(self, child_id: str) -> None:
        record_id = str(uuid.uuid4())
        op = {
            "op_id": str(uuid.uuid4()),
            "record_id": record_id,
            "record_type": "sos_map",
            "schema_version": 1,
            "device_id": self.device_id,
            "device_seq": next(self.seq),
            "base_revision": 0,
            "child_id": child_id,
            "body": {**sos_map(), "id": record_id, "child_id": child_id},
        }
        envelope = seal(json.dumps(op).encode(), b64url_decode(self.key["public_key"]), self.key["kid"])
        LEDGER.sealed[op["op_id"]] = record_id
        self.outbox.append({"op_id": op["op_id"], "envelope": envelope})

    def flush(self) -> bool:
        """Send the outbox; an item leaves it only when the server says it is stored. True when empty."""
        while self.outbox:
            response = self.call("POST", "/api/sync/push", "/api/sync/push", json={"ops": self.outbox[:BATCH]})
            if response is None:
                return False
            for result in response.json()["results"]:
                if result["status"] in ("applied", "merged"):
                    LEDGER.applied.add(result["op_id"])
                    self.outbox[:] = [item for item in self.outbox if item["op_id"] != result["op_id"]]
        return True

    def open_session(self) -> str | None:
        """What the server says is open (an answer lost to a fault may have hidden a start or a check-out)."""
        response = self.call("GET", "/api/safety/me", "/api/safety/me")
        session = response.json()["session"] if response else None
        return session["id"] if session else None

    @task(2)
    def safety(self):
        now = time.monotonic()
        if self.session is None and not self.safety_done and self.children:
            minutes = LEDGER.session_minutes
            response = self.call(
                "POST",
                "/api/safety/sessions",
                "/api/safety/sessions",
                json={"minutes": minutes, "child_id": random.choice(self.children)},
            )
            self.session = response.json()["session"]["id"] if response else self.open_session()
            if self.session:
                # 2 in 10 devices leave their session to go overdue, 1 in 10 presses panic (fixed, so even a
                # short run has some of each).
                self.fate = {0: "overdue", 1: "overdue", 2: "panic"}.get(self.number % 10, "checked_out")
                self.check_out_at = now + random.uniform(0.2, 0.8) * minutes * 60
                LEDGER.sessions[self.session] = "open"
        elif self.session is not None and now >= self.check_out_at:
            if self.fate == "checked_out":
                done = self.call(
                    "POST",
                    f"/api/safety/sessions/{self.session}/check-out",
                    "/api/safety/sessions/<id>/check-out",
                    json={},
                )
                if done or self.open_session() is None:
                    LEDGER.sessions[self.session], self.session = "checked_out", None
                    self.safety_done = not LEDGER.repeat_sessions
            elif self.fate == "panic":
                if self.call("POST", "/api/safety/panic", "/api/safety/panic", json={}):
                    LEDGER.sessions[self.session], self.session, self.safety_done = "panic", None, True
            else:  # left to go overdue: the worker never checks out, the escalators must alert
                LEDGER.sessions[self.session], self.session, self.safety_done = "overdue", None, True


class Manager(SignedIn):
    wait_time = between(3, 6)

    def on_start(self):
        self.sign_in(LEDGER.managers[next(_manager_numbers) % len(LEDGER.managers)])

    @task
    def board(self):
        self.call("GET", "/api/safety/board", "/api/safety/board")
