"""Reconciling conflicts: a person chooses, field by field, and the choice becomes a new revision.

Nothing is deleted: the server's versions stay in record_revisions and the device's version stays whole
in its conflict row, so the losing side of every choice can always be read back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .changes import stamp_changes
from .crypto import BodyCipher
from .protocol import FieldError
from .revisions import revision_body
from .states import ConflictKind, ConflictState, ReviewState, RevisionKind
from .tables import conflicts, record_revisions, records

SERVER, DEVICE = "server", "device"
# Fields that identify the record rather than describe it: never chosen between.
ENVELOPE = ("record_type", "schema_version", "id", "child_id")
_ABSENT = object()

BodyValidator = Callable[[str, dict], list[FieldError]]  # (record type, body) -> errors
RecordFacts = Callable[[str, dict], dict]


class ResolutionError(ValueError):
    """The resolution cannot be applied as asked; `errors` name the fields at fault."""

    def __init__(self, message: str, errors: list[FieldError] | None = None):
        super().__init__(message)
        self.errors = errors or []


class StaleResolution(ResolutionError):
    """The record or conflict moved on since the person looked at it."""


@dataclass
class ConflictVersions:
    """The three sides of a conflict, decrypted: what both edited from, what the device sent, what the server has."""

    conflict: object  # the conflicts row
    record: object  # the records row (current)
    base: dict
    device: dict
    server: dict  # the record as it stands now
    server_then: dict  # the server's version when the conflict arose (soft: what the merge started from)
    differing: list[str] = field(default_factory=list)  # fields where device and server disagree


def load_versions(session: Session, cipher: BodyCipher, conflict_id: int) -> ConflictVersions | None:
    """The conflict with base, device and current server bodies, or None if there is no such conflict."""
    conflict = session.execute(select(conflicts).where(conflicts.c.id == conflict_id)).first()
    if conflict is None:
        return None
    record = session.execute(select(records).where(records.c.id == conflict.record_id)).one()
    base = revision_body(session, cipher, record.id, conflict.base_revision)
    device = cipher.decrypt(conflict.body_key_id, conflict.device_body, f"conflict:{conflict.op_id}")
    server = cipher.decrypt(record.body_key_id, record.body, f"{record.id}:{record.revision}")
    server_then = revision_body(session, cipher, record.id, conflict.server_revision)
    keys = sorted((set(device) | set(server)) - set(ENVELOPE))
    differing = [key for key in keys if device.get(key, _ABSENT) != server.get(key, _ABSENT)]
    return ConflictVersions(conflict, record, base, device, server, server_then, differing)


def resolve_conflict(
    session: Session,
    cipher: BodyCipher,
    conflict_id: int,
    choices: dict,
    resolver_id: int,
    reason: str,
    now: datetime,
    expected_revision: int,
    validate: BodyValidator,
    facts: RecordFacts | None = None,
) -> int:
    """Apply per-field `choices` ("server", "device" or {"value": ...}) as a new "resolution" revision.

    Every field where device and server differ must be chosen. `expected_revision` is the record revision
    the person looked at: if the record has moved on, StaleResolution. Returns the new revision number.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ResolutionError("a reason is required", [FieldError("/reason", "Give a reason for this resolution")])
    versions = _open_versions(session, cipher, conflict_id, expected_revision)
    if versions.conflict.kind != ConflictKind.HARD:
        raise ResolutionError("a soft conflict was already merged; confirm it instead")
    body = _apply_choices(versions, choices)
    errors = validate(versions.record.record_type, body)
    if errors:
        raise ResolutionError("the resolved record would not pass its schema", errors)
    revision = _store_resolution(session, cipher, versions, body, resolver_id, now, facts)
    summary = {
        key: ("edited" if isinstance(choice, dict) else choice)
        for key, choice in choices.items()
        if key in versions.differing
    }
    _close(session, versions, resolver_id, now, {"choices": summary, "reason": reason, "revision": revision}, revision)
    return revision


def confirm_soft(
    session: Session, cipher: BodyCipher, conflict_id: int, resolver_id: int, reason: str, now: datetime
) -> None:
    """Confirm an automatic merge in one step: the merged revision stands, the conflict closes."""
    conflict = session.execute(select(conflicts).where(conflicts.c.id == conflict_id).with_for_update()).first()
    if conflict is None or conflict.state != "open":
        raise StaleResolution("this conflict is no longer open")
    if conflict.kind != ConflictKind.SOFT:
        raise ResolutionError("a hard conflict needs a choice for each field")
    record = session.execute(select(records).where(records.c.id == conflict.record_id).with_for_update()).one()
    versions = ConflictVersions(conflict, record, {}, {}, {}, {})
    _close(
        session,
        versions,
        resolver_id,
        now,
        {"confirmed": True, "reason": (reason or "").strip() or "Automatic merge confirmed"},
        None,
    )


def _open_versions(session, cipher, conflict_id, expected_revision) -> ConflictVersions:
    # Lock the conflict and its record so two support staff cannot resolve the same conflict twice.
    locked = session.execute(
        select(conflicts.c.state, conflicts.c.record_id).where(conflicts.c.id == conflict_id).with_for_update()
    ).first()
    if locked is None or locked.state != "open":
        raise StaleResolution("this conflict is no longer open")
    current = session.execute(
        select(records.c.revision).where(records.c.id == locked.record_id).with_for_update()
    ).scalar_one()
    if current != expected_revision:
        raise StaleResolution(f"the record changed (now revision {current}); look at it again")
    return load_versions(session, cipher, conflict_id)


def _apply_choices(versions: ConflictVersions, choices: dict) -> dict:
    unknown = sorted(set(choices) - set(versions.differing))
    missing = [key for key in versions.differing if key not in choices]
    if unknown or missing:
        errors = [FieldError(f"/{key}", "Choose which value to keep") for key in missing]
        errors += [FieldError(f"/{key}", "This field is not in conflict") for key in unknown]
        raise ResolutionError("choose a value for every field that differs, and only those", errors)
    body = dict(versions.server)
    for key, choice in choices.items():
        if choice == SERVER:
            continue
        if choice == DEVICE:
            value = versions.device.get(key, _ABSENT)
        elif isinstance(choice, dict) and "value" in choice:
            value = choice["value"]
        else:
            raise ResolutionError(f"unknown choice for {key}", [FieldError(f"/{key}", "Unknown choice")])
        if value is _ABSENT or value is None:
            body.pop(key, None)  # the chosen side had no value: the field is left out, as that side left it
        else:
            body[key] = value
    return body


def _store_resolution(session, cipher, versions, body, resolver_id, now, facts) -> int:
    record = versions.record
    revision = record.revision + 1
    key_id, blob = cipher.encrypt(body, f"{record.id}:{revision}")
    values = dict(revision=revision, updated_at=now, body_key_id=key_id, body=blob, review_state=ReviewState.SUBMITTED)
    if facts is not None:
        values.update(facts(record.record_type, body))
    session.execute(
        update(records).where(records.c.id == record.id, records.c.revision == record.revision).values(**values)
    )
    session.execute(
        insert(record_revisions).values(
            record_id=record.id,
            revision=revision,
            kind=RevisionKind.RESOLUTION,
            author_id=resolver_id,
            device_id=None,
            op_id=None,
            created_at=now,
            body_key_id=key_id,
            body=blob,
        )
    )
    return revision


def _close(session, versions, resolver_id, now, resolution: dict, result_revision) -> None:
    conflict, record = versions.conflict, versions.record
    values = dict(state="resolved", resolved_by_id=resolver_id, resolved_at=now, resolution=resolution)
    if result_revision is not None:
        values["result_revision"] = result_revision
    session.execute(update(conflicts).where(conflicts.c.id == conflict.id).values(**values))
    still_open = set(
        session.execute(
            select(conflicts.c.kind).where(conflicts.c.record_id == record.id, conflicts.c.state == "open")
        ).scalars()
    )
    state = (
        ConflictState.HARD
        if ConflictKind.HARD in still_open
        else ConflictState.SOFT
        if still_open
        else ConflictState.NONE
    )
    session.execute(update(records).where(records.c.id == record.id).values(conflict_state=state))
    revision = result_revision or record.revision
    stamp_changes(session, [(record.id, record.child_id, revision)])  # the author's device pulls the outcome
