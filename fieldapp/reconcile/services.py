"""Resolution as the app does it: the engine's new revision, plus the audit event and the author's notice."""

from __future__ import annotations

from sync.protocol import FieldError
from sync.resolve import confirm_soft, resolve_conflict

from .. import audit
from ..extensions import db
from ..models import NoticeKind, User, utcnow
from ..records import visit_facts
from ..records.facts import envelope_errors, record_facts
from ..records.store import record_cipher
from ..records.validation import validate_record
from ..review.services import notify


def _validate(record_type: str, body: dict) -> list[FieldError]:
    return validate_record(record_type, body) + envelope_errors(record_type, body.get("id"), body.get("child_id"), body)


def resolve(resolver: User, versions, child_public_id: str, choices: dict, reason: str, expected_revision: int) -> int:
    """Resolve a hard conflict field by field; raises sync.resolve.ResolutionError with field errors."""
    conflict = versions.conflict
    revision = resolve_conflict(
        db.session,
        record_cipher(),
        conflict.id,
        choices,
        resolver.id,
        reason,
        utcnow(),
        expected_revision,
        validate=_validate,
        facts=record_facts,
    )
    if versions.record.record_type in visit_facts.FACT_TYPES:  # the resolved visit may move its child's due date
        visit_facts.refresh(db.session, [versions.record.child_id])
    notify(conflict.author_id, NoticeKind.CONFLICT_RESOLVED, conflict.record_id, revision, conflict_id=conflict.id)
    chosen = ", ".join(
        f"{key}={'edited' if isinstance(choice, dict) else choice}" for key, choice in sorted(choices.items())
    )
    audit.record(
        "resolve_conflict",
        child_public_id=child_public_id,
        actor=resolver,
        detail=f"conflict {conflict.id} on {versions.record.record_type} {conflict.record_id}: "
        f"version {revision} from {chosen}; reason: {reason.strip()}",
    )
    return revision


def confirm(resolver: User, versions, child_public_id: str, reason: str) -> None:
    """Confirm a soft conflict's automatic merge in one step."""
    conflict = versions.conflict
    confirm_soft(db.session, record_cipher(), conflict.id, resolver.id, reason, utcnow())
    notify(
        conflict.author_id,
        NoticeKind.MERGE_CONFIRMED,
        conflict.record_id,
        versions.record.revision,
        conflict_id=conflict.id,
    )
    audit.record(
        "confirm_merge",
        child_public_id=child_public_id,
        actor=resolver,
        detail=f"conflict {conflict.id} on {versions.record.record_type} {conflict.record_id}: merge in "
        f"version {conflict.result_revision} confirmed; reason: {(reason or '').strip() or 'none'}",
    )
