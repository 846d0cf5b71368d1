"""One definition per record type, loaded from fieldapp/schemas/*.json, with the council's own labels applied.

The same JSON files are served to the device, so the forms it renders and the validation it runs are built
from exactly what the server validates with. Councils rename trademarked methods ("Signs of Safety",
"Three Houses") and reword labels through an override file: FIELDAPP_LABELS_FILE, else instance/labels.json.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

from flask import current_app, has_app_context

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
RECORD_TYPES = ("visit", "seen_alone", "sos_map", "safety_rating", "three_houses")
# Parts of a definition's "ui" a council may override per type; each maps a key to replacement text.
OVERRIDABLE_UI_PARTS = ("labels", "hints", "errors", "items")


class UnknownRecordType(LookupError):
    """No definition exists for this record type."""


class LabelsFileError(ValueError):
    """The council's labels override file is not in the expected shape."""


@cache
def base_definition(record_type: str) -> dict:
    """The definition exactly as shipped (do not mutate: it is cached)."""
    if record_type not in RECORD_TYPES:
        raise UnknownRecordType(record_type)
    definition = json.loads((SCHEMAS_DIR / f"{record_type}.json").read_text(encoding="utf-8"))
    if (
        definition["type"] != record_type
        or definition["schema"]["properties"]["schema_version"].get("const") != definition["schema_version"]
    ):
        raise ValueError(f"{record_type}.json: type or schema_version does not match its file")
    return definition


def drawing_max_bytes() -> int:
    """Size limit of a Three Houses drawing photo; the schema is its one source."""
    return base_definition("three_houses")["schema"]["properties"]["drawing"]["properties"]["size"]["maximum"]


def labels_file_path() -> Path | None:
    """The council's override file: FIELDAPP_LABELS_FILE (config LABELS_FILE), else instance/labels.json."""
    configured = current_app.config.get("LABELS_FILE")
    if configured:
        return Path(configured)
    default = Path(current_app.instance_path) / "labels.json"
    return default if default.exists() else None


def _read_overrides(path: Path | None) -> dict:
    if path is None:
        return {}
    # Cached by modification time so an edited file takes effect without a restart.
    return _parse_overrides(str(path), path.stat().st_mtime_ns)


@cache
def _parse_overrides(path: str, _mtime_ns: int) -> dict:
    try:
        overrides = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise LabelsFileError(f"labels file {path} could not be read: {error}") from error
    if not isinstance(overrides, dict) or set(overrides) - {"terms", "types"}:
        raise LabelsFileError(f"labels file {path}: expected an object with 'terms' and/or 'types'")
    unknown = set(overrides.get("types", {})) - set(RECORD_TYPES)
    if unknown:
        raise LabelsFileError(f"labels file {path}: unknown record types {sorted(unknown)}")
    return overrides


def _replace_terms(value, terms: dict[str, str]):
    """Rename trademarked terms in every piece of text (dict values, never keys)."""
    if isinstance(value, str):
        for term, replacement in terms.items():
            value = value.replace(term, replacement)
        return value
    if isinstance(value, dict):
        return {key: _replace_terms(item, terms) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_terms(item, terms) for item in value]
    return value


def apply_labels(definition: dict, overrides: dict) -> dict:
    """A copy of `definition` with council terms and per-type wording applied (the schema itself is untouched)."""
    labelled = copy.deepcopy(definition)
    terms = overrides.get("terms", {})
    labelled["title"] = _replace_terms(labelled["title"], terms)
    labelled["ui"] = _replace_terms(labelled["ui"], terms)
    mine = overrides.get("types", {}).get(definition["type"], {})
    if "title" in mine:
        labelled["title"] = mine["title"]
    for part in OVERRIDABLE_UI_PARTS:
        labelled["ui"].setdefault(part, {}).update(mine.get(part, {}))
    for field, options in mine.get("options", {}).items():
        labelled["ui"].setdefault("options", {}).setdefault(field, {}).update(options)
    section_titles = mine.get("sections", {})
    for section in labelled["ui"]["sections"]:
        section["title"] = section_titles.get(section["id"], section["title"])
    return labelled


def definition(record_type: str) -> dict:
    """The definition the device should use: with this council's labels when inside the app."""
    shipped = base_definition(record_type)
    if not has_app_context():
        return copy.deepcopy(shipped)
    return apply_labels(shipped, _read_overrides(labels_file_path()))


def all_definitions() -> list[dict]:
    return [definition(record_type) for record_type in RECORD_TYPES]
