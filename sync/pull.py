"""pull(): what changed in the caller's scope after a cursor, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from .crypto import BodyCipher
from .protocol import PulledRecord, PullPage
from .scope import scope_hash
from .sql import key_in
from .states import ConflictState, ReviewState
from .tables import change_log, records

DEFAULT_PAGE = 200


@dataclass(frozen=True)
class PullWindow:
    """What a device is sent of a long-open case: records about `since` or later, plus the latest of each
    `latest_types` (e.g. the current map) whatever its date. Older records stay on the server and are
    fetched on demand (history()). Undated records, and records returned or in conflict, always travel."""

    since: str  # ISO date
    latest_types: frozenset[str] = frozenset()


def in_window(window: PullWindow):
    """A condition on `records` rows: the row travels with a pull under `window`."""
    visit, newer = records.alias("visit"), records.alias("newer")
    # A seen-alone record has no date of its own: it goes with its visit.
    with_old_visit = exists().where(visit.c.id == records.c.visit_id, visit.c.occurred_on < window.since)
    keep = or_(
        records.c.occurred_on >= window.since,
        and_(records.c.occurred_on.is_(None), ~with_old_visit),
        records.c.review_state == ReviewState.RETURNED,
        records.c.conflict_state != ConflictState.NONE,
    )
    if window.latest_types:
        keep = or_(
            keep,
            and_(
                records.c.record_type.in_(sorted(window.latest_types)),
                ~exists().where(
                    newer.c.child_id == records.c.child_id,
                    newer.c.record_type == records.c.record_type,
                    newer.c.occurred_on > records.c.occurred_on,
                ),
            ),
        )
    return keep


def pull(
    session: Session,
    scope: dict[str, int],
    after: int,
    cipher: BodyCipher,
    limit: int = DEFAULT_PAGE,
    window: PullWindow | None = None,
) -> PullPage:
    """Records of in-scope children changed after seq `after` (current state, one entry per record)."""
    public_by_id = {child_id: public_id for public_id, child_id in scope.items()}
    page_scope = sorted(public_by_id)  # internal child ids
    if not page_scope:
        return PullPage([], after, False, [], scope_hash([]))
    # Read the ceiling first: seqs become visible in commit order, so every seq up to it is committed,
    # and a change committing while we read lands above it, for the next pull.
    ceiling = session.execute(select(func.coalesce(func.max(change_log.c.seq), 0))).scalar_one()
    # Walk the log in seq order from the cursor and stop after a page: the cost of a page does not grow with
    # the history behind it (a GROUP BY over every later change made a first pull quadratic). The entry
    # that wrote a record's current revision stands for the record; older ones are skipped, and one written
    # after the ceiling is left for the next pull.
    query = (
        select(records, change_log.c.seq)
        .join(change_log, change_log.c.record_id == records.c.id)
        .where(
            change_log.c.seq > after,
            change_log.c.seq <= ceiling,
            change_log.c.revision == records.c.revision,
            key_in(session, change_log.c.child_id, set(page_scope)),
        )
    )
    if window is not None:
        query = query.where(in_window(window))
    rows = session.execute(query.order_by(change_log.c.seq).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = _latest_per_record(rows[:limit])
    pulled = [pulled_record(row, public_by_id[row.child_id], cipher) for row in rows]
    cursor = rows[-1].seq if rows else after
    if not more:
        cursor = max(cursor, ceiling)  # out-of-scope changes below the ceiling need no second look
    return PullPage(pulled, cursor, more, sorted(scope), scope_hash(scope))


def _latest_per_record(rows: list) -> list:
    """A record restamped without a new revision (e.g. signed off) once per page, at its last entry.

    Across pages it may come again in the same state; devices store pulled records by id, so that is harmless.
    """
    last = {row.id: row.seq for row in rows}
    return [row for row in rows if last[row.id] == row.seq]


def pulled_record(row, child_public_id: str, cipher: BodyCipher) -> PulledRecord:
    return PulledRecord(
        record_id=row.id,
        child_id=child_public_id,
        record_type=row.record_type,
        schema_version=row.schema_version,
        revision=row.revision,
        review_state=row.review_state,
        conflict_state=row.conflict_state,
        author_id=row.author_id,
        occurred_on=row.occurred_on,
        body=cipher.decrypt(row.body_key_id, row.body, f"{row.id}:{row.revision}"),
    )


def history(
    session: Session,
    child_id: int,
    child_public_id: str,
    window: PullWindow,
    cipher: BodyCipher,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
) -> tuple[list[PulledRecord], bool]:
    """The records of one child that a windowed pull leaves on the server, newest first, a page at a time."""
    rows = session.execute(
        select(records)
        .where(records.c.child_id == child_id, in_window(window).is_not(True))  # NULL: not sent
        .order_by(records.c.occurred_on.desc(), records.c.id)
        .offset(offset)
        .limit(limit + 1)
    ).all()
    return [pulled_record(row, child_public_id, cipher) for row in rows[:limit]], len(rows) > limit
