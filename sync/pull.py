"""pull(): what changed in the caller's scope after a cursor, a page at a time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .crypto import BodyCipher
from .first_pull import FirstPullPosition, first_pull
from .protocol import PulledRecord, PullPage
from .pulled import PULLED_COLUMNS, PullWindow, in_window, log_ceiling, pulled_record
from .scope import scope_hash
from .sql import key_in
from .tables import change_log, records

__all__ = ["DEFAULT_PAGE", "PullWindow", "changes_since", "history", "in_window", "pull"]

DEFAULT_PAGE = 200


def pull(
    session: Session,
    scope: dict[str, int],
    after: int | str,
    cipher: BodyCipher,
    limit: int = DEFAULT_PAGE,
    window: PullWindow | None = None,
) -> PullPage:
    """The next page for a device whose cursor is `after`: 0 (or a first-pull token) reads the caseload's
    records directly (first_pull.py); a seq walks the change log from there."""
    if after == 0 or isinstance(after, str):
        position = None if after == 0 else FirstPullPosition.parse(after)
        if after != 0 and position is None:
            raise ValueError(f"not a pull cursor: {after!r}")
        return first_pull(session, scope, position, cipher, limit, window)
    return changes_since(session, scope, after, cipher, limit, window)


def changes_since(
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
    # Read the ceiling first: every seq up to it is committed, and a change committing while we read lands
    # above it, for the next pull.
    ceiling = log_ceiling(session)
    # Walk the log in seq order from the cursor and stop after a page: the cost of a page does not grow with
    # the history behind it (a GROUP BY over every later change made a first pull quadratic). The entry
    # that wrote a record's current revision stands for the record; older ones are skipped, and one written
    # after the ceiling is left for the next pull.
    query = (
        select(*PULLED_COLUMNS, change_log.c.seq)
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
        select(*PULLED_COLUMNS)
        .where(records.c.child_id == child_id, in_window(window).is_not(True))  # NULL: not sent
        .order_by(records.c.occurred_on.desc(), records.c.id)
        .offset(offset)
        .limit(limit + 1)
    ).all()
    return [pulled_record(row, child_public_id, cipher) for row in rows[:limit]], len(rows) > limit
