"""A device as the sync API sees it, driven from Python: register, seal ops to the server key, push, pull.

It uses the server's published sealing key and the same envelope as outbox.js (fieldapp/crypto/sealing.seal),
so these tests exercise the real unseal → validate → store path.
"""

from __future__ import annotations

import itertools
import json
import uuid

from fieldapp.crypto.sealing import b64url_decode, generate_key, seal

HEADER = "X-Fieldapp-Device"


class Device:
    def __init__(self, client, device_id: str | None = None):
        self.client = client
        self.id = device_id or str(uuid.uuid4())
        self.seq = itertools.count(1)
        self._key = None

    def register(self):
        response = self.client.post(
            "/api/devices", json={"id": self.id, "name": "Test tablet (fictional)"}, headers={HEADER: self.id}
        )
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        return self

    def sealing_key(self) -> dict:
        if self._key is None:
            self._key = self.client.get("/api/keys/sealing", headers={HEADER: self.id}).json
        return self._key

    def op(self, child_id: str, body: dict, record_id: str | None = None, base_revision: int = 0) -> dict:
        record_id = record_id or str(uuid.uuid4())
        body = {**body, "id": record_id, "child_id": child_id}
        return {
            "op_id": str(uuid.uuid4()),
            "record_id": record_id,
            "record_type": body["record_type"],
            "schema_version": body["schema_version"],
            "device_id": self.id,
            "device_seq": next(self.seq),
            "base_revision": base_revision,
            "child_id": child_id,
            "body": body,
        }

    def envelope(self, op: dict) -> dict:
        key = self.sealing_key()
        return seal(json.dumps(op).encode(), b64url_decode(key["public_key"]), key["kid"])

    def push(self, *ops: dict, envelopes: list[dict] | None = None):
        items = [
            {"op_id": op["op_id"], "envelope": env}
            for op, env in zip(ops, envelopes or [self.envelope(op) for op in ops], strict=True)
        ]
        return self.client.post("/api/sync/push", json={"ops": items}, headers={HEADER: self.id})

    def pull_all(self, after: int = 0) -> tuple[list[dict], dict, int]:
        records, cursor = [], after
        while True:
            page = self.client.get(f"/api/sync/pull?after={cursor}&limit=2", headers={HEADER: self.id}).json
            records += page["records"]
            cursor = page["cursor"]
            if not page["more"]:
                return records, page["scope"], cursor


def ensure_sealing_key(app):
    from fieldapp.crypto.sealing import NoSealingKey, current_keyring

    try:
        current_keyring().current  # noqa: B018
    except NoSealingKey:
        generate_key(app.config["SEALING_KEYS_DIR"])
