"""The server accepts exactly the records the schema accepts, with a message against each failing field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from fieldapp.records.definitions import RECORD_TYPES, base_definition, drawing_max_bytes
from fieldapp.records.validation import seen_alone_link_errors, validate_record
from tests.record_cases import CASES, SEEN_ALONE, seen_alone, statutory_visit


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


def test_seen_alone_record_must_exist_and_point_back_to_its_visit():
    visit, alone = statutory_visit(), seen_alone()
    assert seen_alone_link_errors(visit, alone) == []
    assert [e.path for e in seen_alone_link_errors(visit, None)] == ["/seen_alone_record_id"]
    assert seen_alone_link_errors(visit, {**alone, "visit_id": SEEN_ALONE})[0].message.endswith("visit or child")
    assert seen_alone_link_errors({k: v for k, v in visit.items() if k != "seen_alone_record_id"}, None) == []


def test_definitions_use_only_keywords_the_browser_validator_understands():
    source = (Path(__file__).parent.parent / "fieldapp/static/js/schema-validate.js").read_text()
    listed = re.search(r"SUPPORTED_KEYWORDS = \[(.*?)\];", source, re.S).group(1)
    supported = set(re.findall(r"""["']([^"']+)["']""", listed))
    used = set()

    def walk(schema):
        if isinstance(schema, dict):
            used.update(schema)
            for key, sub in schema.items():
                if key in ("properties", "$defs"):
                    for child in sub.values():
                        walk(child)
                elif key not in ("enum", "const", "default", "required"):
                    walk(sub)
        elif isinstance(schema, list):
            for child in schema:
                walk(child)

    for record_type in RECORD_TYPES:
        walk(base_definition(record_type)["schema"])
    assert used <= supported, used - supported


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fast_validity_check_agrees_with_the_full_validator(case):
    from fieldapp.records.validation import _fast_validator, _schema_validator

    full = _schema_validator(case.record_type).is_valid(case.body)
    assert _fast_validator(case.record_type)(case.body) == full


MUTANT_VALUES = [
    None,
    "",
    "x" * 6000,
    0,
    -1,
    11,
    3.5,
    True,
    [],
    {},
    "2025-02-30",
    "2025-2-3",
    "10:61",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
]


@pytest.mark.parametrize("case", [c for c in CASES if not c.error_paths], ids=lambda c: c.name)
def test_fast_and_full_validators_agree_on_mutants_of_valid_records(case):
    """Every field of every valid record, set to each awkward value or removed: the verdicts stay identical."""
    import copy

    from fieldapp.records.validation import _fast_validator, _schema_validator

    full, fast = _schema_validator(case.record_type), _fast_validator(case.record_type)
    for key in list(case.body):
        for value in [*MUTANT_VALUES, "<removed>"]:
            body = copy.deepcopy(case.body)
            if value == "<removed>":
                del body[key]
            else:
                body[key] = value
            assert fast(body) == full.is_valid(body), (key, value)
