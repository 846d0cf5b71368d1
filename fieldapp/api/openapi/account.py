"""The signed-in user, their device, caseload, record types, notices and handed-over drafts."""

from __future__ import annotations

from .parts import (
    OBJECT,
    UUID,
    operation,
    path_param,
    query,
)


def paths() -> dict:
    return {
        "/api/me": {"get": operation("Who is signed in, CSRF token, device and vault settings", OBJECT)},
        "/api/session": {
            "get": operation(
                "Signed in or not, and a CSRF token",
                {
                    "type": "object",
                    "required": ["authenticated", "csrf_token"],
                    "properties": {"authenticated": {"type": "boolean"}, "csrf_token": {"type": "string"}},
                },
            ),
            "post": operation(
                "Sign in again without leaving the app",
                OBJECT,
                body={
                    "type": "object",
                    "properties": {
                        "username": {"type": "string"},
                        "password": {"type": "string"},
                        # Needed when the user has a second factor (401 second_factor_required).
                        "code": {"type": "string", "maxLength": 40},
                    },
                },
            ),
        },
        "/api/devices": {
            "post": operation(
                "Register this device",
                OBJECT,
                "201",
                body={"type": "object", "properties": {"id": UUID, "name": {"type": "string", "maxLength": 80}}},
            )
        },
        "/api/caseload": {
            "get": operation(
                "The worker's allocated children, for the device",
                {
                    "type": "object",
                    "required": ["children"],
                    "properties": {"as_of": {"type": "string"}, "children": {"type": "array", "items": OBJECT}},
                },
            )
        },
        "/api/keys/sealing": {
            "get": operation(
                "The server's current sealing public key",
                {
                    "type": "object",
                    "required": ["kid", "alg", "public_key"],
                    "properties": {
                        "kid": {"type": "string"},
                        "alg": {"type": "string"},
                        "public_key": {"type": "string"},
                    },
                },
                errors=("401", "403", "410", "503"),
            )
        },
        "/api/record-types": {
            "get": operation(
                "Every record definition, with council labels",
                {
                    "type": "object",
                    "required": ["record_types"],
                    "properties": {"record_types": {"type": "array", "items": OBJECT}},
                },
            )
        },
        "/api/record-types/{record_type}": {
            "get": operation("One record definition", OBJECT, params=[path_param("record_type")])
        },
        "/api/notifications": {
            "get": operation(
                "The signed-in user's notices after an id",
                OBJECT,
                params=[query("after", {"type": "integer", "minimum": 0})],
            )
        },
        "/api/notifications/read": {"post": operation("Mark notices read", OBJECT, body=OBJECT)},
        "/api/devices/report": {
            "post": operation(
                "This device's counts of unfinished drafts and undelivered items (no content)",
                OBJECT,
                body={
                    "type": "object",
                    "required": ["drafts", "outbox"],
                    "properties": {
                        "drafts": {"type": "integer", "minimum": 0},
                        "outbox": {"type": "integer", "minimum": 0},
                    },
                },
            )
        },
        "/api/drafts/unfinished": {
            "get": operation(
                "Unfinished drafts a revoked device handed over, waiting for a device to continue them (no content)",
                {
                    "type": "object",
                    "required": ["drafts"],
                    "properties": {"drafts": {"type": "array", "items": OBJECT}},
                },
            )
        },
        "/api/drafts/unfinished/take": {
            "post": operation(
                "Take unfinished drafts onto this device, with their content",
                {
                    "type": "object",
                    "required": ["drafts"],
                    "properties": {"drafts": {"type": "array", "items": OBJECT}},
                },
                body={
                    "type": "object",
                    "required": ["ids"],
                    "properties": {"ids": {"type": "array", "maxItems": 500, "items": {"type": "string"}}},
                },
            )
        },
    }
