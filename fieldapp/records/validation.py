"""Server validation of a record body against its definition, with messages a worker can act on.

Errors are keyed by JSON pointer (e.g. "/danger_statements/1/safety_goal") so the device can show each one
against its field. static/js/schema-validate.js implements the same messages and the same one-error-per-field
choice; tests run one shared table of records through both and require identical answers.
"""

from __future__ import annotations

import copy
from datetime import date
from functools import cache

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from sync.protocol import FieldError  # one error shape from the validator through the sync protocol

from .definitions import base_definition
from .definitions import definition as definition_for

# When a field breaks several rules, the worker sees the most useful one: fill it in before fixing its format.
PRIORITY = {
    "missing": 0,
    "type": 1,
    "enum": 2,
    "const": 2,
    "maxLength": 3,
    "minLength": 3,
    "maxItems": 3,
    "uniqueItems": 3,
    "pattern": 4,
    "format": 4,
    "minimum": 5,
    "maximum": 5,
    "additionalProperties": 6,
    "anyOf": 7,
}
TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "yes or no",
    "array": "a list",
    "object": "a group of answers",
    "null": "empty",
}


def pointer(parts) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def field_key(path: str) -> str:
    """The ui key of a pointer: array positions dropped, dotted ("/actions/0/owner" → "actions.owner")."""
    parts = [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]
    return ".".join(part for part in parts if not part.isdigit())


class Messages:
    """Human messages for one definition, driven by its ui labels, item titles and error overrides."""

    def __init__(self, definition: dict):
        self.schema = definition["schema"]
        self.ui = definition["ui"]

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = {
                **self.schema["$defs"][schema["$ref"].split("/")[-1]],
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
        return schema

    def label(self, key: str) -> str:
        fallback = key.split(".")[-1].replace("_", " ").capitalize() if key else "This record"
        return self.ui.get("labels", {}).get(key, fallback)

    def schema_at(self, path: str) -> dict:
        """The (resolved) schema of the field at a JSON pointer, found by walking properties and items."""
        schema = self.schema
        for part in path.split("/")[1:]:
            schema = self.resolve(schema)
            schema = schema.get("items", {}) if part.isdigit() else schema.get("properties", {}).get(part, {})
        return self.resolve(schema)

    def missing_at(self, path: str) -> str:
        return self.missing(field_key(path), self.schema_at(path))

    def missing(self, key: str, schema: dict) -> str:
        if key in self.ui.get("errors", {}):
            return self.ui["errors"][key]
        schema, label = self.resolve(schema), self.label(key)
        if label.endswith("?"):
            return f"Answer the question: {label}"
        lowered = lower_first(label)
        if schema.get("type") == "array" and "enum" not in self.resolve(schema.get("items", {})):
            item = self.ui.get("items", {}).get(key, label)
            return f"Add at least one {lower_first(item)}"
        if schema.get("type") in ("boolean", "array") or "enum" in schema:
            return f"Select {lowered}"
        if schema.get("type") == "object":
            return f"Add {lowered}"
        return f"Enter {lowered}"

    def describe(self, error: ValidationError) -> list[FieldError]:
        """One or more FieldErrors for a jsonschema error (a `required` error names each missing field)."""
        path, kind = pointer(error.absolute_path), error.validator
        label, limit = self.label(field_key(path)), error.validator_value
        if kind == "required":
            missing = [name for name in limit if name not in error.instance]
            return [FieldError(f"{path}/{name}", self.missing_at(f"{path}/{name}")) for name in missing]
        if kind == "additionalProperties":
            extras = [name for name in error.instance if name not in error.schema.get("properties", {})]
            return [FieldError(f"{path}/{name}", f"{name} is not a field of this record") for name in extras]
        if kind == "anyOf" and all(set(branch) == {"required"} for branch in limit):
            names = [branch["required"][0] for branch in limit]
            listed = join_or([self.label(field_key(f"{path}/{name}")) for name in names])
            return [FieldError(f"{path}/{names[0]}", f"Enter at least one of: {listed}")]
        return [FieldError(path, self.message(kind, path, label, limit, error.instance))]

    def message(self, kind: str, path: str, label: str, limit, instance) -> str:
        empty = instance == "" or instance == []
        if (kind == "minLength" or kind == "minItems") and empty:
            return self.missing_at(path)
        if kind == "type":
            return f"{label}: the answer must be {TYPE_WORDS[limit if isinstance(limit, str) else limit[0]]}"
        texts = {
            "enum": f"{label}: select one of the listed options",
            "const": f"{label} is not valid for this record",
            "maxLength": f"{label} must be {limit} characters or fewer",
            "minLength": f"{label} must be at least {limit} characters",
            "minItems": f"{label}: add at least {limit}",
            "maxItems": f"{label}: you can add up to {limit}",
            "uniqueItems": f"{label}: each answer can be chosen only once",
            "format": f"Enter {lower_first(label)} as a real date, like 2025-03-27",
            "pattern": f"Enter {lower_first(label)} in the right format",
            "minimum": f"{label} must be {limit} or more",
            "maximum": f"{label} must be {limit} or less",
        }
        return texts.get(kind, f"Check {lower_first(label)}")


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym or a name-like capitalised term."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def join_or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def kind_of(error: ValidationError) -> str:
    if error.validator in ("required",) or (
        error.validator in ("minLength", "minItems") and error.instance in ("", [])
    ):
        return "missing"
    return error.validator


def validate_record(record_type: str, body: object) -> list[FieldError]:
    """Field errors for `body` against its record type's schema (empty list: valid).

    Raises UnknownRecordType for a type with no definition.
    """
    if _fast_validator(record_type)(body):  # the common case stays cheap (sync pushes thousands)
        return []
    messages = Messages(definition_for(record_type))
    best: dict[str, tuple[int, FieldError]] = {}
    for error in _schema_validator(record_type).iter_errors(body):
        rank = PRIORITY.get(kind_of(error), 8)
        for field_error in messages.describe(error):
            if field_error.path not in best or rank < best[field_error.path][0]:
                best[field_error.path] = (rank, field_error)
    return [best[path][1] for path in sorted(best)]


@cache
def _schema_validator(record_type: str) -> Draft202012Validator:
    # Council labels never touch the schema, so one compiled validator per type serves every council.
    schema = base_definition(record_type)["schema"]
    return Draft202012Validator(schema, format_checker=FormatChecker(["date"]))


@cache
def _fast_validator(record_type: str):
    """A compiled yes/no check with the same verdicts as the full validator, ~15x faster.

    Sync pushes thousands of records; messages are only built (by jsonschema) for the rare invalid one.
    fastjsonschema speaks draft-07, which covers every keyword our schemas use; `date` is checked as a real
    calendar date, as jsonschema's FormatChecker does. Tests hold the two validators to the same verdicts.
    """
    schema = copy.deepcopy(base_definition(record_type)["schema"])
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    check = fastjsonschema.compile(schema, formats={"date": _is_calendar_date})

    def is_valid(body) -> bool:
        try:
            check(body)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return is_valid


def _is_calendar_date(value) -> bool:
    if not isinstance(value, str):
        return True  # format applies to strings only; "type" judges the rest
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def seen_alone_link_errors(visit: dict, seen_alone: dict | None) -> list[FieldError]:
    """Checks the schema cannot make across two records: a statutory visit's seen-alone record exists and matches.

    The seen-alone record is its own record (its own revision history and sealed outbox item); the visit points
    at it by id and it points back at the visit, both for the same child.
    """
    wanted = visit.get("seen_alone_record_id")
    if wanted is None:
        return []
    if seen_alone is None or seen_alone.get("id") != wanted:
        return [FieldError("/seen_alone_record_id", "The seen-alone record for this visit has not been sent")]
    if seen_alone.get("visit_id") != visit.get("id") or seen_alone.get("child_id") != visit.get("child_id"):
        return [FieldError("/seen_alone_record_id", "The seen-alone record belongs to a different visit or child")]
    return []
