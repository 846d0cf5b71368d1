"""Read side of the central record store: which records a person may open, timelines, history, sign-off lists.

Access is decided by children_visible_to(): a record is visible exactly when its child is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from sync.tables import record_revisions, records

from ..access import children_visible_to
from ..extensions import db
from ..models import Child, RecordReview, User
from ..records.store import record_cipher

# What a timeline or list needs, without the encrypted body.
RECORD_FACTS = (
    records.c.id,
    records.c.child_id,
    records.c.record_type,
    records.c.revision,
    records.c.author_id,
    records.c.created_at,
    records.c.updated_at,
    records.c.occurred_on,
    records.c.conflict_state,
    records.c.review_state,
)


@dataclass
class VisibleRecord:
    row: object  # the full records row (body still encrypted)
    child: Child
    author: User | None


def visible_record(user: User, record_id: str) -> VisibleRecord | None:
    """The record if its child is visible to `user`, else None (the caller answers 404 either way)."""
    row = db.session.execute(select(records).where(records.c.id == record_id[:36])).first()
    if row is None:
        return None
    child = db.session.scalars(children_visible_to(user).where(Child.id == row.child_id)).one_or_none()
    if child is None:
        return None
    return VisibleRecord(row, child, db.session.get(User, row.author_id))


def timeline(child: Child) -> list:
    """Every synced record of the child, newest first (by the date it is about, then when it arrived)."""
    return db.session.execute(
        select(*RECORD_FACTS, User.display_name.label("author_name"))
        .join(User, User.id == records.c.author_id)
        .where(records.c.child_id == child.id)
        .order_by(records.c.occurred_on.desc().nulls_last(), records.c.created_at.desc())
    ).all()


def record_bodies(child: Child, record_type: str) -> list[dict]:
    """Decrypted current bodies of one type for a child (e.g. every safety-scale rating, for the trend)."""
    cipher = record_cipher()
    rows = db.session.execute(
        select(records.c.id, records.c.revision, records.c.body_key_id, records.c.body).where(
            records.c.child_id == child.id, records.c.record_type == record_type
        )
    )
    return [cipher.decrypt(row.body_key_id, row.body, f"{row.id}:{row.revision}") for row in rows]


def revisions_of(record_id: str) -> list:
    """The record's history, newest first, with who stored each revision."""
    return db.session.execute(
        select(
            record_revisions.c.revision,
            record_revisions.c.kind,
            record_revisions.c.created_at,
            User.display_name.label("by_name"),
        )
        .outerjoin(User, User.id == record_revisions.c.author_id)
        .where(record_revisions.c.record_id == record_id)
        .order_by(record_revisions.c.revision.desc())
    ).all()


def revision_row(record_id: str, revision: int):
    return db.session.execute(
        select(record_revisions).where(
            record_revisions.c.record_id == record_id, record_revisions.c.revision == revision
        )
    ).first()


def reviews_of(record_id: str) -> list[RecordReview]:
    return list(
        db.session.scalars(
            select(RecordReview)
            .where(RecordReview.record_id == record_id)
            .order_by(RecordReview.at.desc(), RecordReview.id.desc())
        )
    )


def team_records_in_state(manager: User, review_state: str) -> list:
    """Records of the manager's team in a review state, the longest waiting first."""
    team_children = children_visible_to(manager).subquery()
    author = aliased(User)
    return db.session.execute(
        select(
            *RECORD_FACTS,
            team_children.c.public_id,
            team_children.c.first_name,
            team_children.c.last_name,
            author.display_name.label("author_name"),
        )
        .join(team_children, team_children.c.id == records.c.child_id)
        .join(author, author.id == records.c.author_id)
        .where(records.c.review_state == review_state)
        .order_by(records.c.updated_at, records.c.id)
    ).all()
