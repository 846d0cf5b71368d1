"""Pulled records as JSON, with each body's bytes passed through as stored.

A body is canonical JSON the server itself encrypted (sync.protocol.encode_body) and AES-GCM authenticated on
the way out, so it is put into the response as it is: parsing and re-encoding every body of a 500-child
first pull cost more than reading it. The rest of the page is encoded in one call of the C encoder, each
body standing in as a placeholder that is then replaced by the body's bytes.
"""

from __future__ import annotations

import json

from flask import current_app

from sync import PulledRecord

_encode = json.JSONEncoder(separators=(",", ":")).encode
# json escapes the NUL character, and every quote inside a string, so the placeholder as encoded — quotes
# unescaped — can only be one we put there.
_PLACEHOLDER = "\x00"
_ENCODED_PLACEHOLDER = b'"body":"\\u0000"'


def records_json(records: list[PulledRecord], **fields) -> bytes:
    """{"records": [...], **fields} as JSON bytes; `fields` are plain JSON values."""
    envelopes = [{**record.envelope(), "body": _PLACEHOLDER} for record in records]
    pieces = _encode({"records": envelopes, **fields}).encode().split(_ENCODED_PLACEHOLDER)
    if len(pieces) != len(records) + 1:
        raise ValueError("a pulled page's fields held the body placeholder")
    out = [pieces[0]]
    for record, piece in zip(records, pieces[1:], strict=True):
        out += (b'"body":', record.encoded_body, piece)
    return b"".join(out)


def records_response(records: list[PulledRecord], **fields):
    return current_app.response_class(records_json(records, **fields), mimetype="application/json")
