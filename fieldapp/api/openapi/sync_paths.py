"""Sync: push sealed ops, pull changes (first-pull tokens), fetch older history."""

from __future__ import annotations

from .parts import (
    ENVELOPE,
    FIRST_PULL_TOKEN,
    OP_RESULT,
    PULL_WINDOW,
    PULLED_RECORD,
    UUID,
    operation,
    query,
)


def paths() -> dict:
    return {
        "/api/sync/push": {
            "post": operation(
                "Deliver sealed ops; one result per op, in order",
                {
                    "type": "object",
                    "required": ["results"],
                    "properties": {"results": {"type": "array", "items": OP_RESULT}},
                },
                body={
                    "type": "object",
                    "required": ["ops"],
                    "properties": {
                        "ops": {
                            "type": "array",
                            "maxItems": 200,
                            "items": {
                                "type": "object",
                                "required": ["op_id", "envelope"],
                                "properties": {
                                    "op_id": {"type": "string", "minLength": 1, "maxLength": 64},
                                    "envelope": ENVELOPE,
                                },
                            },
                        }
                    },
                },
            )
        },
        "/api/sync/pull": {
            "get": operation(
                "Records in the caller's scope changed after a cursor",
                {
                    "type": "object",
                    "required": ["records", "cursor", "more", "scope", "window"],
                    "properties": {
                        "records": {"type": "array", "items": PULLED_RECORD},
                        # A change-log seq, or between the pages of a first pull a position token.
                        "cursor": {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": FIRST_PULL_TOKEN}]},
                        "more": {"type": "boolean"},
                        "scope": {
                            "type": "object",
                            "required": ["child_ids", "hash"],
                            "properties": {
                                "child_ids": {"type": "array", "items": {"type": "string"}},
                                "hash": {"type": "string"},
                            },
                        },
                        "window": PULL_WINDOW,
                    },
                },
                params=[
                    query(
                        "after",
                        {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": FIRST_PULL_TOKEN}]},
                    ),
                    query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                ],
            )
        },
        "/api/sync/history": {
            "get": operation(
                "Older records of one child, left out of the pull window, newest first (the app's 'Older records')",
                {
                    "type": "object",
                    "required": ["records", "more", "next_offset", "window"],
                    "properties": {
                        "records": {"type": "array", "items": PULLED_RECORD},
                        "more": {"type": "boolean"},
                        "next_offset": {"type": "integer"},
                        "window": PULL_WINDOW,
                    },
                },
                params=[
                    query("child_id", UUID, required=True),
                    query("offset", {"type": "integer", "minimum": 0, "maximum": 1000000}),
                    query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
                ],
            )
        },
    }
