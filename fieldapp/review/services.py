"""Manager sign-off and the notices that tell a worker about it. Services flush; the request commits."""

from __future__ import annotations

from sqlalchemy import select, update

from sync.changes import stamp_changes
from sync.states import REVIEWABLE, ConflictState
from sync.tables import records

from .. import audit
from ..delivery.queue import enqueue_signed_off
from ..extensions import db
from ..models import NoticeKind, Notification, RecordReview, ReviewDecision, User, utcnow
from ..records.store import get_record_row, read_body, record_cipher
from ..records.validation import seen_alone_link_errors


class ReviewRefused(ValueError):
    """The record cannot be reviewed as asked; the message says why (shown to the manager)."""


def review_record(
    manager: User, record_row, child, revision: int, decision: ReviewDecision, comment: str
) -> RecordReview:
    """Sign off or return `revision` of the record, with the manager's comment (the reason, for a return)."""
    comment = (comment or "").strip()
    if not comment:
        raise ReviewRefused(
            "Write a management comment"
            if decision == ReviewDecision.SIGNED_OFF
            else "Give the worker a reason for returning the record"
        )
    # Lock the row and check the revision the manager read is still the current one: never sign off
    # words the manager has not seen.
    current = db.session.execute(
        select(records.c.revision, records.c.review_state, records.c.conflict_state)
        .where(records.c.id == record_row.id)
        .with_for_update()
    ).one()
    if current.revision != revision:
        raise ReviewRefused(
            f"The record has changed since you opened it (now version {current.revision}). "
            "Read the new version before you decide."
        )
    if current.review_state not in REVIEWABLE:
        raise ReviewRefused("This version of the record is already signed off.")
    if current.conflict_state == ConflictState.HARD:
        raise ReviewRefused(
            "This record is in two versions waiting for support staff to reconcile them; sign it off once they have."
        )
    if decision == ReviewDecision.SIGNED_OFF:
        _refuse_visit_without_its_seen_alone_record(record_row)
    key_id, blob = record_cipher().encrypt({"comment": comment}, _comment_context(record_row.id, revision))
    review = RecordReview(
        record_id=record_row.id,
        revision=revision,
        manager_id=manager.id,
        decision=decision,
        comment_key_id=key_id,
        comment=blob,
        at=utcnow(),
    )
    db.session.add(review)
    db.session.execute(
        update(records)
        .where(records.c.id == record_row.id, records.c.revision == revision)
        .values(review_state=decision.value)
    )
    stamp_changes(db.session, [(record_row.id, record_row.child_id, revision)])  # the author's device pulls it
    db.session.flush()
    if decision == ReviewDecision.SIGNED_OFF:
        enqueue_signed_off(record_row.id, revision)  # same transaction: no sign-off commits without its export
    notify(record_row.author_id, NoticeKind(decision.value), record_row.id, revision, review_id=review.id)
    audit.record(
        f"record_{decision.value}",
        child_public_id=child.public_id,
        detail=f"{record_row.record_type} {record_row.id} version {revision}",
        actor=manager,
    )
    return review


def _refuse_visit_without_its_seen_alone_record(record_row) -> None:
    """A statutory visit says the child was seen alone in a record of its own; signing off the visit signs off
    that claim, so the record must have arrived and point back at this visit and child.

    Checked here and not on push: the two are separate sealed items and may reach the server in either order
    (a visit is never refused for arriving first — nothing typed is dropped)."""
    if record_row.record_type != "visit":
        return
    visit = read_body(record_row)
    wanted = visit.get("seen_alone_record_id")
    note_row = get_record_row(wanted) if isinstance(wanted, str) else None
    note = read_body(note_row) if note_row is not None and note_row.record_type == "seen_alone" else None
    if not seen_alone_link_errors(visit, note):
        return
    if note is None or note.get("id") != wanted:
        raise ReviewRefused(
            "This visit's seen-alone record has not reached the server yet. Sign the visit off "
            "once it has (it arrives with the worker's next sync)."
        )
    raise ReviewRefused(
        "This visit's seen-alone record belongs to a different visit or child. Return the visit "
        "to the worker to put it right."
    )


def review_comment(review: RecordReview) -> str:
    return record_cipher().decrypt(
        review.comment_key_id, review.comment, _comment_context(review.record_id, review.revision)
    )["comment"]


def _comment_context(record_id: str, revision: int) -> str:
    return f"review:{record_id}:{revision}"


def notify(
    user_id: int,
    kind: NoticeKind,
    record_id: str,
    revision: int,
    review_id: int | None = None,
    conflict_id: int | None = None,
) -> Notification:
    notice = Notification(
        user_id=user_id,
        kind=kind,
        record_id=record_id,
        revision=revision,
        review_id=review_id,
        conflict_id=conflict_id,
        created_at=utcnow(),
    )
    db.session.add(notice)
    db.session.flush()
    return notice
