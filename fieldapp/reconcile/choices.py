"""The side-by-side view of a conflict, built from the record type's definition, and the choices posted back."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sync.resolve import DEVICE, SERVER, ConflictVersions

from ..review.display import RecordDisplay, Shown

EDIT = "edit"
_ABSENT = object()


@dataclass
class FieldRow:
    key: str
    label: str
    base: Shown | None
    device: Shown | None
    server: Shown | None
    device_changed: bool  # the device's value is not the base's
    server_changed: bool  # the server's value is not the base's
    differs: bool  # device and server disagree: a choice is needed
    both_changed: bool  # the hard part: both sides changed this field differently
    default: str | None  # the choice that loses nothing when only one side changed
    editable: bool
    edit_text: str
    widget: str  # "textarea" for free text and structured values, "input" for short values


def field_rows(versions: ConflictVersions, display: RecordDisplay) -> list[FieldRow]:
    """One row per field any side has, in the form's order."""
    sides = (versions.base, versions.device, versions.server)
    keys = [
        key
        for key in display.field_order({**versions.base, **versions.device, **versions.server})
        if any(key in side for side in sides)
    ]
    rows = []
    for key in keys:
        base, device, server = (side.get(key, _ABSENT) for side in sides)
        device_changed, server_changed = device != base, server != base
        differs = key in versions.differing
        default = None
        if differs and device_changed and not server_changed:
            default = DEVICE
        elif differs and server_changed and not device_changed:
            default = SERVER
        schema = display.schema_of(key)
        kind = schema.get("type")
        rows.append(
            FieldRow(
                key=key,
                label=display.label(key),
                base=_shown(display, key, base),
                device=_shown(display, key, device),
                server=_shown(display, key, server),
                device_changed=device_changed,
                server_changed=server_changed,
                differs=differs,
                both_changed=key in versions.conflict.fields,
                default=default,
                editable=differs and kind != "boolean" and "enum" not in schema and "const" not in schema,
                edit_text=_as_text(server if server is not _ABSENT else device, schema),
                widget="input" if kind in ("integer", "number") or schema.get("maxLength", 1000) <= 200 else "textarea",
            )
        )
    return rows


def _shown(display: RecordDisplay, key: str, value) -> Shown | None:
    return None if value is _ABSENT else display.value(key, value)


def _is_people(schema: dict) -> bool:
    """A list of people present: each entry a name and an optional relationship (edited one person a line)."""
    fields = set(schema.get("items", {}).get("properties", {}))
    return schema.get("type") == "array" and fields == {"name", "relationship"}


def _as_text(value, schema) -> str:
    kind = schema.get("type")
    if value is _ABSENT or value is None:
        return ""
    if _is_people(schema):
        return "\n".join(f"{p['name']} ({p['relationship']})" if p.get("relationship") else p["name"] for p in value)
    if kind in ("array", "object"):
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value)


def parse_choices(form, rows: list[FieldRow], display: RecordDisplay) -> tuple[dict, dict[str, str]]:
    """Per-field choices from the posted form, and messages for fields whose choice is missing or malformed."""
    choices, errors = {}, {}
    for row in rows:
        if not row.differs:
            continue
        choice = form.get(f"choice-{row.key}", "")
        if choice in (SERVER, DEVICE):
            choices[row.key] = choice
        elif choice == EDIT and row.editable:
            try:
                choices[row.key] = {
                    "value": _parse_value(form.get(f"edited-{row.key}", ""), display.schema_of(row.key))
                }
            except ValueError as error:
                errors[row.key] = str(error)
        else:
            errors[row.key] = f"Choose which value of “{row.label}” to keep"
    return choices, errors


PERSON_LINE = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<relationship>[^()]*)\))?$")


def _parse_people(text: str) -> list[dict]:
    """'Mum (mother)' a line → [{"name": "Mum", "relationship": "mother"}]; blank lines are skipped."""
    people = []
    for line in filter(None, (line.strip() for line in text.split("\n"))):
        match = PERSON_LINE.match(line)
        person = {"name": match["name"] or line}
        if match["relationship"] and match["relationship"].strip():
            person["relationship"] = match["relationship"].strip()
        people.append(person)
    return people


def _parse_value(text: str, schema: dict):
    kind = schema.get("type")
    text = text.replace("\r\n", "\n")
    if not text.strip():
        return None  # an emptied field is left out of the record
    if _is_people(schema):
        return _parse_people(text)
    if kind == "integer":
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError("Enter a whole number") from None
    if kind == "number":
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError("Enter a number") from None
    if kind in ("array", "object"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"This structured value is not valid JSON (line {error.lineno}): {error.msg}") from None
    return text
