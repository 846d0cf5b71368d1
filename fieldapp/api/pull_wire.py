"""Pulled records as JSON, with each body's bytes passed through as stored.

A body is canonical JSON the server itself encrypted (sync.protocol.encode_body) and AES-GCM authenticated on
the way out, so it is put into the response as it is: parsing and re-encoding every body of a 500-child
first pull cost more than reading it.
"""

from __future__ import annotations

import json

from flask import current_app

from sync import PulledRecord

# One encoder for every record: json.dumps with separators builds a new encoder on each call.
_encode = json.JSONEncoder(separators=(",", ":")).encode


def record_json(record: PulledRecord) -> bytes:
    envelope = _encode(record.envelope())
    return envelope[:-1].encode() + b',"body":' + record.encoded_body + b"}"


def records_response(records: list[PulledRecord], **fields):
    """{"records": [...], **fields} as a response; `fields` are plain JSON values."""
    rest = _encode(fields)[1:]  # '"cursor":…}' ('}' when there are none)
    body = b'{"records":[' + b",".join(record_json(record) for record in records) + b"]"
    body += (b"," if fields else b"") + rest.encode()
    return current_app.response_class(body, mimetype="application/json")
