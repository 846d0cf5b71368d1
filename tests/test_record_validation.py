"""The server accepts exactly the records the schema accepts, with a message against each failing field."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from fieldapp.records.definitions import RECORD_TYPES, base_definition, drawing_max_bytes
from fieldapp.records.validation import validate_record
from tests.record_cases import CASES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validator_reports_exactly_the_expected_fields(case):
    errors = validate_record(case.record_type, case.body)
    assert {error.path for error in errors} == case.error_paths
    assert all(error.message.strip() for error in errors)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validator_agrees_with_plain_jsonschema(case):
    schema = base_definition(case.record_type)["schema"]
    plain = Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(case.body)
    assert plain == (validate_record(case.record_type, case.body) == [])


def test_every_type_has_valid_and_invalid_cases():
    for record_type in RECORD_TYPES:
        kinds = {bool(c.error_paths) for c in CASES if c.record_type == record_type}
        assert kinds == {True, False}, record_type


def test_not_seen_alone_without_reason_names_the_reason_field():
    case = next(c for c in CASES if c.name == "not seen alone without reason")
    [error] = validate_record("seen_alone", case.body)
    assert error.message == "Select why the child was not seen alone"


def test_messages_use_labels_not_property_names():
    case = next(c for c in CASES if c.name == "rating above 10")
    [error] = validate_record("safety_rating", case.body)
    assert error.message == "Rating must be 10 or less"


def test_drawing_limit_comes_from_the_schema():
    assert drawing_max_bytes() == 10 * 1024 * 1024
