"""Lone-worker safety: sessions, check-ins, panic, PINs, push subscriptions, the board."""

from __future__ import annotations

from .parts import (
    OBJECT,
    OK,
    UUID,
    WITH_409,
    operation,
    path_param,
    query,
)

SESSION_ID = [path_param("public_id")]


def paths() -> dict:
    return {
        "/api/safety/me": {"get": operation("The worker's open safety session, if any", OBJECT)},
        "/api/safety/sessions": {
            "post": operation(
                "Start a safety session (online only)",
                OBJECT,
                "201",
                body={
                    "type": "object",
                    "properties": {
                        "minutes": {"type": "integer"},
                        "child_id": UUID,
                        "address": {"type": "string"},
                        "notes": {"type": "string"},
                    },
                },
                errors=WITH_409,
            )
        },
        "/api/safety/sessions/{public_id}/extend": {
            "post": operation(
                "Extend the session",
                OBJECT,
                body={"type": "object", "properties": {"minutes": {"type": "integer"}}},
                params=SESSION_ID,
                errors=WITH_409,
            )
        },
        "/api/safety/sessions/{public_id}/location": {
            "post": operation(
                "Share the last known location",
                OK,
                body={
                    "type": "object",
                    "properties": {
                        "lat": {"type": "number"},
                        "lon": {"type": "number"},
                        "accuracy": {"type": "number"},
                    },
                },
                params=SESSION_ID,
                errors=WITH_409,
            )
        },
        "/api/safety/sessions/{public_id}/check-out": {
            "post": operation(
                "Check out (a duress PIN looks the same and raises a silent alert)",
                OBJECT,
                body={"type": "object", "properties": {"pin": {"type": "string"}}},
                params=SESSION_ID,
                errors=WITH_409,
            )
        },
        "/api/safety/panic": {
            "post": operation(
                "Panic: alert every level at once. A press sent late keeps its pressed-at time (sent_at - pressed_at, "
                "on the device's clock, back from receipt; at most 24 h old, else 422); a resent client_id raises "
                "nothing",
                OBJECT,
                body={
                    "type": "object",
                    "properties": {
                        "address": {"type": "string"},
                        "client_id": UUID,
                        "pressed_at": {"type": "string", "format": "date-time"},
                        "sent_at": {"type": "string", "format": "date-time"},
                    },
                },
                errors=(*WITH_409, "422"),
            )
        },
        "/api/safety/pins": {
            "post": operation(
                "Set the check-out PIN and duress PIN",
                OK,
                body={
                    "type": "object",
                    "properties": {"checkout_pin": {"type": "string"}, "duress_pin": {"type": "string"}},
                },
            )
        },
        "/api/safety/push-key": {
            "get": operation(
                "The VAPID public key for push subscriptions",
                {"type": "object", "properties": {"public_key": {"type": "string"}}},
                errors=("401", "403", "410", "503"),
            )
        },
        "/api/safety/push-subscriptions": {
            "post": operation(
                "Store this device's push subscription",
                OK,
                "201",
                body={
                    "type": "object",
                    "properties": {
                        "endpoint": {"type": "string"},
                        "keys": {
                            "type": "object",
                            "properties": {"p256dh": {"type": "string"}, "auth": {"type": "string"}},
                        },
                    },
                },
            ),
            "delete": operation(
                "Remove this device's push subscription",
                OK,
                body={"type": "object", "properties": {"endpoint": {"type": "string"}}},
            ),
        },
        "/api/safety/board": {"get": operation("Live safety board for the manager's team", OBJECT)},
        "/api/safety/sessions/{public_id}/acknowledge": {
            "post": operation(
                "Acknowledge an alert (others see who took it)", OBJECT, params=SESSION_ID, errors=WITH_409
            )
        },
        "/api/safety/sessions/{public_id}/resolve": {
            "post": operation(
                "Resolve with an outcome and notes",
                OBJECT,
                body={"type": "object", "properties": {"outcome": {"type": "string"}, "notes": {"type": "string"}}},
                params=SESSION_ID,
                errors=WITH_409,
            )
        },
        "/api/safety/test-alert": {
            "post": operation("Send a labelled test alert to my devices", OBJECT, body=OBJECT, errors=WITH_409)
        },
        "/api/safety/report": {
            "get": operation("Monthly safety figures for the team", OBJECT, params=[query("month", {"type": "string"})])
        },
    }
