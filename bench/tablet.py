"""A tablet as the HTTP benchmarks see it: sign in, register, seal ops exactly as outbox.js does, push.

The op is built as `addToOutbox()` builds it ({...item, op_id, device_id, device_seq}), serialised as
`JSON.stringify` does (no spaces) and sealed with the same scheme (fieldapp.crypto.sealing.seal is the
device side, mirrored by outbox.js). Plain http.client with one kept-alive connection, as a browser has.
"""

from __future__ import annotations

import http.client
import json
import uuid

from fieldapp.crypto.sealing import b64url_decode, seal

DEVICE_HEADER = "X-Fieldapp-Device"


def visit_item(child_id: str, n: int, target_bytes: int = 2100) -> dict:
    """A finalized visit draft of about `target_bytes` of JSON once it is an op (fictional content)."""
    record_id = str(uuid.uuid4())
    body = {
        "record_type": "visit",
        "schema_version": 1,
        "id": record_id,
        "child_id": child_id,
        "visit_type": "child_in_need",
        "planned_date": "2026-11-02",
        "visit_date": "2026-11-02",
        "start_time": "10:00",
        "end_time": "11:00",
        "location": "Family home (fictional)",
        "others_present": [{"name": "Parent (fictional)", "relationship": "Mother"}],
        "child_seen": True,
        "seen_alone_record_id": str(uuid.uuid4()),
        "bedroom_seen": True,
        "observations": "",
        "childs_words": "I like football and my cat (fictional).",
        "actions": [{"text": "Follow up with school", "owner": "Social worker", "due": "2026-11-20"}],
    }
    item = {
        "record_id": record_id,
        "record_type": "visit",
        "schema_version": 1,
        "base_revision": 0,
        "child_id": child_id,
        "body": body,
    }
    filler = f"Visit {n}: fictional observations of a fictional family, their home and the child's day. "
    room = target_bytes - len(json.dumps(item, separators=(",", ":"))) - 150  # op_id, device_id, device_seq
    body["observations"] = (filler * (room // len(filler) + 1))[: max(room, 0)]
    return item


class Tablet:
    def __init__(self, host: str, port: int):
        self.connection = http.client.HTTPConnection(host, port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.device_id = str(uuid.uuid4())
        self.seq = 0
        self.key: dict | None = None

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        headers = {
            "Content-Type": "application/json",
            DEVICE_HEADER: self.device_id,
            "X-CSRFToken": self.csrf,
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        self.connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = self.connection.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        data = response.read()
        return response.status, (json.loads(data) if data else {})

    def sign_in(self, username: str, password: str) -> None:
        _, session = self.call("GET", "/api/session")
        self.csrf = session["csrf_token"]
        status, me = self.call("POST", "/api/session", {"username": username, "password": password})
        assert status == 200, (status, me)
        self.csrf = me["csrf_token"]
        status, device = self.call("POST", "/api/devices", {"id": self.device_id, "name": "Bench tablet (fictional)"})
        assert status in (200, 201), (status, device)
        status, self.key = self.call("GET", "/api/keys/sealing")
        assert status == 200, (status, self.key)

    def seal(self, item: dict) -> dict:
        """What addToOutbox() stores: {op_id, envelope} ready for /api/sync/push."""
        self.seq += 1
        op = {**item, "op_id": str(uuid.uuid4()), "device_id": self.device_id, "device_seq": self.seq}
        envelope = seal(
            json.dumps(op, separators=(",", ":")).encode(), b64url_decode(self.key["public_key"]), self.key["kid"]
        )
        return {"op_id": op["op_id"], "envelope": envelope}

    def push(self, sealed: list[dict]) -> list[dict]:
        status, payload = self.call("POST", "/api/sync/push", {"ops": sealed})
        assert status == 200, (status, payload)
        return payload["results"]
