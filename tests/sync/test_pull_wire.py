"""A pulled page's JSON: bodies go out byte for byte as stored, and nothing else can pass for a body."""

from __future__ import annotations

import json

from fieldapp.api.pull_wire import records_json
from sync import PulledRecord
from sync.protocol import encode_body


def _record(n: int, body: dict, **overrides) -> PulledRecord:
    fields = dict(
        record_id=f"r{n}",
        child_id="c1",
        record_type="visit",
        schema_version=1,
        revision=1,
        review_state="submitted",
        conflict_state="none",
        author_id=7,
        occurred_on="2026-01-02",
    )
    return PulledRecord(**{**fields, **overrides}, encoded_body=encode_body(body))


def test_bodies_are_passed_through_and_the_page_parses():
    tricky = '","body":"\x00"} \u00e9 \x00'  # what a placeholder looks like, inside a string value
    records = [
        _record(1, {"observations": "Fictional", "score": 1.0, "nested": {"b": [1, 2], "a": None}}),
        _record(2, {"observations": tricky}, occurred_on=None, record_type=tricky),
    ]
    encoded = records_json(records, cursor="first.3.1", more=True, window=None, scope={"hash": tricky})
    assert all(record.encoded_body in encoded for record in records)
    page = json.loads(encoded)
    assert [r["body"] for r in page["records"]] == [r.body for r in records]
    assert page["records"][1]["record_type"] == tricky and page["records"][1]["occurred_on"] is None
    assert (page["cursor"], page["more"], page["window"], page["scope"]) == ("first.3.1", True, None, {"hash": tricky})


def test_an_empty_page_parses():
    assert json.loads(records_json([], more=False)) == {"records": [], "more": False}
