"""Bounded input: request size limits, per-envelope and per-op caps, and JSON too deep to parse — every one a
4xx with a message, never a 500, and an oversized body is refused before anyone reads it."""

from __future__ import annotations

import io
import json

import pytest

from fieldapp.models import Role
from tests.conftest import login
from tests.sync.device import Device, ensure_sealing_key

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000


class EndlessZeros(io.RawIOBase):
    """A request body of `size` bytes that is never materialised; counts how much of it the server read."""

    def __init__(self, size: int):
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self):
        return True

    def seekable(self):  # the test client measures the body by seeking to its end
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        self.position = self.size if whence == io.SEEK_END else offset
        return self.position

    def tell(self):
        return self.position

    def readinto(self, buffer):
        size = min(len(buffer), 1 << 16, self.size - self.position)
        buffer[:size] = b"0" * size
        self.position += size
        self.read_bytes += size
        return size


@pytest.fixture
def backend():
    """Body limits and JSON parsing happen before any store query: one backend is enough (and halves the time)."""
    return "sqlite"


@pytest.fixture
def worker_on_device(app, client, make_team, make_user, make_child):
    ensure_sealing_key(app)
    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker)
    login(client, worker)
    return child, Device(client).register()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api/session", "application/json"),
        ("/api/sync/push", "application/json"),
        ("/login", "application/x-www-form-urlencoded"),
    ],
)
def test_a_150_mb_body_is_refused_unread(client, worker_on_device, path, kind):
    body = EndlessZeros(150 * 1024 * 1024)
    response = client.post(
        path, input_stream=body, content_type=kind, headers={"X-Fieldapp-Device": worker_on_device[1].id}
    )
    assert response.status_code == 413
    assert body.read_bytes == 0


def test_a_60_mb_envelope_is_refused(worker_on_device):
    child, device = worker_on_device
    envelope = {"v": 1, "kid": "k", "epk": "A", "iv": "A", "ct": "A" * (60 * 1024 * 1024)}
    response = device.client.post(
        "/api/sync/push", json={"ops": [{"op_id": "x", "envelope": envelope}]}, headers={"X-Fieldapp-Device": device.id}
    )
    assert response.status_code == 413
    assert response.json["error"] == "too_large" and "MiB" in response.json["message"]


def test_an_envelope_over_its_cap_is_refused_alone(worker_on_device):
    from fieldapp.api.push_pipeline import MAX_ENVELOPE_CHARS
    from tests.record_cases import sos_map

    child, device = worker_on_device
    good = device.op(child.public_id, sos_map())
    big = {"v": 1, "kid": "k", "epk": "A", "iv": "A", "ct": "A" * (MAX_ENVELOPE_CHARS + 1)}
    response = device.client.post(
        "/api/sync/push",
        headers={"X-Fieldapp-Device": device.id},
        json={"ops": [{"op_id": good["op_id"], "envelope": device.envelope(good)}, {"op_id": "big", "envelope": big}]},
    )
    assert response.status_code == 200
    first, second = response.json["results"]
    assert first["status"] == "applied"
    assert (second["status"], second["code"]) == ("rejected", "too_large")


def test_a_record_over_the_per_op_cap_is_refused_alone(worker_on_device):
    from fieldapp.api.push_pipeline import MAX_RECORD_BODY_CHARS
    from tests.record_cases import sos_map

    child, device = worker_on_device
    op = device.op(child.public_id, {**sos_map(), "padding": "x" * MAX_RECORD_BODY_CHARS})
    [result] = device.push(op).json["results"]
    assert (result["status"], result["code"]) == ("rejected", "too_large") and "body" not in result


@pytest.mark.parametrize(
    "path", ["/api/sync/push", "/api/devices", "/api/notifications/read", "/api/safety/sessions", "/api/safety/panic"]
)
@pytest.mark.parametrize("deep", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_json_nested_100000_deep_is_a_400_with_a_message(worker_on_device, path, deep):
    _, device = worker_on_device
    response = device.client.post(
        path, data=deep, content_type="application/json", headers={"X-Fieldapp-Device": device.id}
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["error"] == "malformed_json" and "deep" in response.json["message"]


def test_deep_json_to_sign_in_is_a_4xx_not_a_500(client):
    response = client.post("/api/session", data=DEEP, content_type="application/json")
    assert 400 <= response.status_code < 500


def test_deep_json_inside_a_sealed_item_is_refused_alone(worker_on_device):
    from fieldapp.crypto.sealing import b64url_decode, seal

    _, device = worker_on_device
    key = device.sealing_key()
    envelope = seal(DEEP.encode(), b64url_decode(key["public_key"]), key["kid"])
    response = device.client.post(
        "/api/sync/push",
        json={"ops": [{"op_id": "deep", "envelope": envelope}]},
        headers={"X-Fieldapp-Device": device.id},
    )
    assert response.status_code == 200
    [result] = response.json["results"]
    assert (result["status"], result["code"]) == ("rejected", "malformed_op")


def test_an_oversized_photo_is_refused_before_it_is_decoded(worker_on_device):
    from fieldapp.records.definitions import drawing_max_bytes
    from tests.sync.test_sync_api import _three_houses_with_photo

    child, device = worker_on_device
    body, attachments = _three_houses_with_photo(b"x", size=1)
    attachments[0]["data"] = "A" * (drawing_max_bytes() // 3 * 4 + 8)
    op = {**device.op(child.public_id, body), "attachments": attachments}
    [result] = device.push(op).json["results"]
    assert result["status"] == "rejected" and "larger" in result["errors"][0]["message"]


def test_ordinary_calls_still_fit(worker_on_device):
    _, device = worker_on_device
    response = device.client.post(
        "/api/notifications/read",
        data=json.dumps({"ids": [1]}),
        content_type="application/json",
        headers={"X-Fieldapp-Device": device.id},
    )
    assert response.status_code == 200
