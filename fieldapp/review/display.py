"""A record body shown as a person reads it: the council's labels, option wording and dates, in section order.

Built from the record type's definition only, so the record page, its printed copy and the reconciliation
view all say the same thing about the same value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..records.definitions import definition
from ..records.validation import Messages

ENVELOPE = ("record_type", "schema_version", "id", "child_id")
# Fields holding the id of another record of the same child: shown as a link to it, not as a raw UUID.
LINKED_RECORD_FIELDS = frozenset({"seen_alone_record_id", "visit_id", "sos_map_id"})
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class Shown:
    """One value ready to render: plain text, a group of labelled values, or a list of such groups."""

    text: str | None = None
    pairs: list[tuple[str, Shown]] = field(default_factory=list)  # an object's labelled parts
    items: list[list[tuple[str, Shown]]] = field(default_factory=list)  # a repeating group's entries
    item_label: str = ""
    linked_record: str | None = None  # the id of a linked record: rendered as a link to it


@dataclass
class ShownSection:
    title: str
    fields: list[tuple[str, str, Shown]]  # (field key, label, value)


class RecordDisplay:
    """Formats values of one record type."""

    def __init__(self, record_type: str):
        self.definition = definition(record_type)
        self.ui = self.definition["ui"]
        self.messages = Messages(self.definition)

    @property
    def title(self) -> str:
        return self.definition["title"]

    def label(self, key: str) -> str:
        return self.messages.label(key)

    def field_order(self, body: dict) -> list[str]:
        """Every field the definition places in a section, then any other field the body carries."""
        placed = [key for section in self.ui["sections"] for key in section["fields"]]
        rest = [key for key in self.definition["schema"]["properties"] if key not in placed and key not in ENVELOPE]
        return placed + rest + sorted(key for key in body if key not in placed + rest and key not in ENVELOPE)

    def sections(self, body: dict) -> list[ShownSection]:
        """The body's fields grouped as the form groups them; fields outside every section come last."""
        shown, placed = [], set()
        for section in self.ui["sections"]:
            fields = [(key, self.label(key), self.value(key, body[key])) for key in section["fields"] if key in body]
            placed.update(section["fields"])
            if fields:
                shown.append(ShownSection(section["title"], fields))
        others = [
            (key, self.label(key), self.value(key, body[key]))
            for key in self.field_order(body)
            if key in body and key not in placed
        ]
        if others:
            shown.append(ShownSection("Other details", others))
        return shown

    def value(self, key: str, value) -> Shown:
        """How the value of field `key` (dotted for parts of groups, e.g. "actions.owner") reads."""
        if isinstance(value, dict):
            return Shown(pairs=self._pairs(key, value))
        if isinstance(value, list):
            if all(isinstance(item, dict) for item in value) and value:
                return Shown(
                    items=[self._pairs(key, item) for item in value],
                    item_label=self.ui.get("items", {}).get(key, self.label(key)),
                )
            return Shown(text=", ".join(self.scalar(key, item) for item in value) or "None")
        if key.rsplit(".", 1)[-1] in LINKED_RECORD_FIELDS and isinstance(value, str) and UUID.match(value):
            return Shown(text=f"Open the linked record ({value})", linked_record=value)
        return Shown(text=self.scalar(key, value))

    def scalar(self, key: str, value) -> str:
        if value is None:
            return "Not given"
        if isinstance(value, bool):
            return "Yes" if value else "No"
        options = self.ui.get("options", {}).get(key, {})
        if isinstance(value, str) and value in options:
            return options[value]
        if isinstance(value, str) and self._is_date(key):
            return long_date(value)
        return str(value)

    def _pairs(self, key: str, value: dict) -> list[tuple[str, Shown]]:
        order = self.ui.get("order", {}).get(key, [])
        names = [name for name in order if name in value] + sorted(name for name in value if name not in order)
        return [(self.label(f"{key}.{name}"), self.value(f"{key}.{name}", value[name])) for name in names]

    def schema_of(self, key: str) -> dict:
        """The resolved schema of a (dotted) field key, stepping into repeating groups' items."""
        schema = self.definition["schema"]
        for part in key.split("."):
            schema = self.messages.resolve(schema)
            if schema.get("type") == "array":
                schema = self.messages.resolve(schema.get("items", {}))
            schema = schema.get("properties", {}).get(part, {})
        return self.messages.resolve(schema)

    def _is_date(self, key: str) -> bool:
        return self.schema_of(key).get("format") == "date"


def long_date(value: str) -> str:
    """'2025-03-27' → '27 March 2025'; anything that is not an ISO date is shown as it came."""
    try:
        return date.fromisoformat(value).strftime("%-d %B %Y")
    except (TypeError, ValueError):
        return str(value)
