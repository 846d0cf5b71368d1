"""What a worker is told about their records: returns, sign-offs and reconciled conflicts."""

from __future__ import annotations

from sqlalchemy import func, select, update

from sync.tables import children_ref, conflicts, records

from ..extensions import db
from ..models import NoticeKind, Notification, User, utcnow
from .display import RecordDisplay, long_date
from .services import review_comment

PAGE = 100


def notices_for(user: User, after: int = 0, limit: int = PAGE) -> list[dict]:
    """The user's notices with id > `after`, oldest first, each with a message ready to show."""
    rows = db.session.execute(
        select(
            Notification, records.c.record_type, records.c.occurred_on, children_ref.c.public_id, conflicts.c.resolution
        )
        .join(records, records.c.id == Notification.record_id)
        .join(children_ref, children_ref.c.id == records.c.child_id)
        .outerjoin(conflicts, conflicts.c.id == Notification.conflict_id)
        .where(Notification.user_id == user.id, Notification.id > after)
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    return [_as_dict(row) for row in rows]


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(user: User, ids: list[int]) -> int:
    """Mark the user's own notices read; ids of other people's notices are ignored. Returns how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.id.in_(ids), Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount


def _as_dict(row) -> dict:
    notice = row.Notification
    what = f"{RecordDisplay(row.record_type).title} of {long_date(row.occurred_on) if row.occurred_on else 'no date'}"
    return {
        "id": notice.id,
        "kind": notice.kind.value,
        "record_id": notice.record_id,
        "child_id": row.public_id,
        "record_type": row.record_type,
        "revision": notice.revision,
        "created_at": notice.created_at.isoformat(),
        "read": notice.read_at is not None,
        "message": _message(notice, what, row.resolution),
    }


def _message(notice: Notification, what: str, resolution: dict | None) -> str:
    if notice.kind == NoticeKind.RETURNED:
        return (
            f"Your {what} was returned by {notice.review.manager.display_name}: "
            f"{review_comment(notice.review)} Amend it on your tablet and send it again."
        )
    if notice.kind == NoticeKind.SIGNED_OFF:
        return f"Your {what} was signed off by {notice.review.manager.display_name}: {review_comment(notice.review)}"
    reason = (resolution or {}).get("reason", "")
    if notice.kind == NoticeKind.CONFLICT_RESOLVED:
        return (
            f"Support staff reconciled the two versions of your {what}; the record is now version "
            f"{notice.revision}. Reason: {reason}"
        )
    return f"Support staff confirmed the merge of your edits to your {what}. {reason}".strip()
