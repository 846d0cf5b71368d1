"""pull(): what changed in the caller's scope after a cursor, a page at a time."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .crypto import BodyCipher
from .protocol import PulledRecord, PullPage
from .scope import scope_hash
from .tables import change_log, records

DEFAULT_PAGE = 200


def pull(session: Session, scope: dict[str, int], after: int, cipher: BodyCipher,
         limit: int = DEFAULT_PAGE) -> PullPage:
    """Records of in-scope children changed after seq `after` (current state, one entry per record)."""
    public_by_id = {child_id: public_id for public_id, child_id in scope.items()}
    page_scope = sorted(public_by_id)  # internal child ids
    if not page_scope:
        return PullPage([], after, False, [], scope_hash([]))
    # Read the ceiling first: seqs become visible in commit order, so every seq up to it is committed,
    # and a change committing while we read lands above it, for the next pull.
    ceiling = session.execute(select(func.coalesce(func.max(change_log.c.seq), 0))).scalar_one()
    latest = (
        select(change_log.c.record_id, func.max(change_log.c.seq).label("seq"))
        .where(change_log.c.seq > after, change_log.c.seq <= ceiling, change_log.c.child_id.in_(page_scope))
        .group_by(change_log.c.record_id)
        .subquery()
    )
    rows = session.execute(
        select(records, latest.c.seq).join(latest, latest.c.record_id == records.c.id)
        .order_by(latest.c.seq).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    pulled = [
        PulledRecord(
            record_id=row.id, child_id=public_by_id[row.child_id], record_type=row.record_type,
            schema_version=row.schema_version, revision=row.revision, review_state=row.review_state,
            conflict_state=row.conflict_state, author_id=row.author_id, occurred_on=row.occurred_on,
            body=cipher.decrypt(row.body_key_id, row.body, f"{row.id}:{row.revision}"),
        )
        for row in rows
    ]
    cursor = rows[-1].seq if rows else after
    if not more:
        cursor = max(cursor, ceiling)  # out-of-scope changes below the ceiling need no second look
    return PullPage(pulled, cursor, more, sorted(scope), scope_hash(scope))
