"""The safety board lists which child each worker is visiting: every child shown there is a view of that child,
audited once per look (the board polls every few seconds; it must not flood the trail)."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import g
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, PushSubscription, Role
from tests.conftest import login, use_registered_device


def _board_views() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "safety_board_view")))


def test_each_child_on_the_board_is_audited_once_per_look(app, client, make_team, make_user, make_child):
    team = make_team()
    worker, manager = make_user(Role.WORKER, team), make_user(Role.MANAGER, team)
    visited, other = make_child(team, worker), make_child(team, worker)
    login(client, worker)
    started = client.post(
        "/api/safety/sessions", json={"minutes": 60, "child_id": visited.public_id, "address": "1 Example Road"}
    )
    assert started.status_code == 201, started.get_data(as_text=True)
    client.post("/logout")
    g.pop("_login_user", None)
    login(client, manager)
    for _ in range(3):  # the board polling
        board = client.get("/api/safety/board")
        assert board.status_code == 200 and len(board.json["sessions"]) == 1
    [event] = _board_views()
    assert (event.child_public_id, event.actor_id) == (visited.public_id, manager.id)
    assert other.public_id not in {e.child_public_id for e in _board_views()}


def test_a_push_subscription_keeps_only_a_registered_device_id(app, client, make_team, make_user):
    worker = make_user(Role.WORKER, make_team())
    login(client, worker)
    # A subscription as a browser makes it (a real P-256 key, a 16-byte secret, a push service's URL).
    point = (
        ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    keys = {
        "p256dh": base64.urlsafe_b64encode(point).decode().rstrip("="),
        "auth": base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="),
    }
    # A local "push service" origin the configuration allows (the closed network resolves no real one).
    app.config["PUSH_TEST_ORIGINS"] = ["http://127.0.0.1:9"]
    first, second = "http://127.0.0.1:9/push/sec-api-a", "http://127.0.0.1:9/push/sec-api-b"
    assert (
        client.post(
            "/api/safety/push-subscriptions",
            json={"endpoint": first, "keys": keys},
            headers={"X-Fieldapp-Device": "=cmd|x"},
        ).status_code
        == 201
    )
    device_id = use_registered_device(client)
    assert client.post("/api/safety/push-subscriptions", json={"endpoint": second, "keys": keys}).status_code == 201
    db.session.expire_all()
    stored = dict(db.session.execute(select(PushSubscription.endpoint, PushSubscription.device_id)).all())
    assert stored == {first: None, second: device_id}
