"""What a device sends and what it gets back. Plain dataclasses: the wire format lives in fieldapp/api."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property


def encode_body(body) -> bytes:
    """Canonical JSON of a record body (sorted keys, no spaces): what is hashed and what is encrypted."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


class OpStatus(enum.StrEnum):
    APPLIED = "applied"  # stored as the next revision
    MERGED = "merged"  # edited from an older revision; disjoint fields merged, flagged for review (soft)
    CONFLICT = "conflict"  # same field changed on both sides: server version kept, device version held (hard)
    REJECTED = "rejected"  # not stored: field errors or a protocol error; the device keeps it and shows why


@dataclass(frozen=True)
class FieldError:
    path: str  # JSON pointer into the body, "" for the record as a whole
    message: str

    def as_dict(self) -> dict:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True)
class PushOp:
    op_id: str
    record_id: str
    record_type: str
    schema_version: int
    device_id: str
    device_seq: int
    base_revision: int  # 0 for a new record
    child_id: str  # the child's public id
    body: dict

    @cached_property
    def encoded_body(self) -> bytes:
        """The body as canonical JSON, encoded once: the content hash and the at-rest ciphertext share it."""
        return encode_body(self.body)

    def content_hash(self) -> str:
        """Identity of the op's content: replaying the same op id with other content is an error.

        The same bytes as json.dumps(all fields, sort_keys=True, compact) — hashes stored before this
        reused the body's encoding stay valid — but the body is encoded only once, and the other fields in
        one call rather than one per field (this ran for every op of every push).
        """
        others = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "body"}
        others["body"] = _BODY_SLOT
        text = json.dumps(others, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.replace(_BODY_SLOT_JSON, self.encoded_body.decode(), 1).encode()).hexdigest()


# Stands in for the body while the other fields are encoded. Only the first occurrence is replaced: "body"
# sorts second, after base_revision (a number), so that is always the body's slot, whatever an op id holds.
_BODY_SLOT = "\x00body\x00"
_BODY_SLOT_JSON = json.dumps(_BODY_SLOT)


@dataclass
class OpResult:
    op_id: str
    status: OpStatus
    record_id: str
    revision: int | None = None
    errors: list[FieldError] = field(default_factory=list)
    conflict_id: int | None = None
    code: str | None = None  # machine-readable reason for a rejection
    message: str = ""

    def to_dict(self) -> dict:
        # By hand rather than asdict(): asdict deep-copies recursively and was 6% of a push's server time.
        return {
            "op_id": self.op_id,
            "status": self.status.value,
            "record_id": self.record_id,
            "revision": self.revision,
            "errors": [error.as_dict() for error in self.errors],
            "conflict_id": self.conflict_id,
            "code": self.code,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict) -> OpResult:
        return cls(
            **{**data, "status": OpStatus(data["status"]), "errors": [FieldError(**e) for e in data.get("errors", [])]}
        )


@dataclass
class PulledRecord:
    record_id: str
    child_id: str
    record_type: str
    schema_version: int
    revision: int
    review_state: str
    conflict_state: str
    author_id: int
    occurred_on: str | None
    # The body as stored (canonical JSON, decrypted): the API puts these bytes into its JSON as they are,
    # so a pull never parses and re-encodes thousands of bodies only to send them on.
    encoded_body: bytes

    @cached_property
    def body(self) -> dict:
        return json.loads(self.encoded_body)

    def envelope(self) -> dict:
        """Every field but the body."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "encoded_body"}


@dataclass
class PullPage:
    records: list[PulledRecord]
    # Pass back as `after` for the next page: a change-log seq, or (inside a first pull) a position token.
    cursor: int | str
    more: bool
    scope_child_ids: list[str]
    scope_hash: str
