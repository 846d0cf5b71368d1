"""A device's first pull (cursor 0): the caseload's records read directly, whole children a page at a time.

Walking the change log from 0 visits every change ever made to the caseload and tests the window on each; a
device with nothing needs only the current state of each record in its window, which the records table gives
by child (ix_records_child_type). Pages hold whole children in child-id order; between pages the cursor is a
position token, `first.<ceiling>.<children done>`. The last page hands over `ceiling`, the log's last seq
read BEFORE the first page: every change at or below it was committed before any page was read, so a page
saw it or something newer; every later change is above it and comes with the next pull. A record may come
twice (in a page, then again after a change), never not at all.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from sqlalchemy import select
from sqlalchemy.orm import Session

from .crypto import BodyCipher
from .protocol import PullPage
from .pulled import PULLED_COLUMNS, PullWindow, in_window, log_ceiling, pulled_record
from .scope import scope_hash
from .sql import key_in
from .tables import records

TOKEN = re.compile(r"first\.(\d{1,18})\.(\d{1,9})")


@dataclass(frozen=True)
class FirstPullPosition:
    """How far a first pull has got: the log's ceiling when it began, and how many children (in internal id
    order) it has sent. A scope change moves the positions, but it also changes the scope hash, on which the
    device starts again from 0."""

    ceiling: int
    children_done: int

    def token(self) -> str:
        return f"first.{self.ceiling}.{self.children_done}"

    @classmethod
    def parse(cls, token: str) -> FirstPullPosition | None:
        match = TOKEN.fullmatch(token)
        return cls(int(match[1]), int(match[2])) if match else None


def first_pull(
    session: Session,
    scope: dict[str, int],
    position: FirstPullPosition | None,
    cipher: BodyCipher,
    limit: int,
    window: PullWindow | None = None,
    max_bytes: int = 8 * 2**20,
) -> PullPage:
    """A page of whole children: up to `limit` records and `max_bytes` of bodies, or one child however big."""
    public_by_id = {child_id: public_id for public_id, child_id in scope.items()}
    ordered = sorted(public_by_id)  # internal child ids
    position = position or FirstPullPosition(log_ceiling(session), 0)  # the ceiling first: see the docstring
    remaining = ordered[position.children_done :]
    if not remaining:
        return PullPage([], position.ceiling, False, sorted(scope), scope_hash(scope))
    query = select(*PULLED_COLUMNS).where(key_in(session, records.c.child_id, set(remaining)))
    if window is not None:
        query = query.where(in_window(window))
    # One row past the limit says whether the child at the limit is whole on this page.
    rows = session.execute(query.order_by(records.c.child_id).limit(limit + 1)).all()
    children = _whole_children(rows, limit, max_bytes)
    if rows and not children:  # a single child with more than `limit` records: it comes whole, on a page of its own
        children = [session.execute(query.where(records.c.child_id == rows[0].child_id)).all()]
    pulled = [pulled_record(row, public_by_id[row.child_id], cipher) for child in children for row in child]
    done = bisect_right(ordered, children[-1][0].child_id) if children else len(ordered)
    if done >= len(ordered):
        return PullPage(pulled, position.ceiling, False, sorted(scope), scope_hash(scope))
    return PullPage(pulled, FirstPullPosition(position.ceiling, done).token(), True, sorted(scope), scope_hash(scope))


def _whole_children(rows: list, limit: int, max_bytes: int) -> list[list]:
    """The rows of the first children, each child complete, within `limit` rows and `max_bytes` (at least one
    child when one is complete). Rows come ordered by child; a row past `limit` marks the last child as cut."""
    groups = [list(group) for _, group in groupby(rows, key=attrgetter("child_id"))]
    if len(rows) > limit:
        groups.pop()  # its rows run past the limit: it may have more
    taken, size = [], 0
    for group in groups:
        size += sum(len(row.body) for row in group)
        if taken and size > max_bytes:
            break
        taken.append(group)
    return taken
