"""What every kind of pull shares: the window a long-open case is sent as, the log's ceiling, rows → records."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from .crypto import BodyCipher
from .protocol import PulledRecord
from .states import ConflictState, ReviewState
from .tables import change_log, records


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
    # A seen-alone record has no date of its own: it goes with its visit. A scalar look-up of that one visit
    # (a key probe per undated row); as EXISTS, PostgreSQL hashed every old record in the store first.
    visit_is_old = select(visit.c.occurred_on < window.since).where(visit.c.id == records.c.visit_id).scalar_subquery()
    with_old_visit = func.coalesce(visit_is_old, False)
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


# What a pulled record is made of: not the timestamps (converting them was a tenth of a first pull's time).
PULLED_COLUMNS = [
    records.c[name]
    for name in (
        "id",
        "child_id",
        "record_type",
        "schema_version",
        "revision",
        "review_state",
        "conflict_state",
        "author_id",
        "occurred_on",
        "body_key_id",
        "body",
    )
]


def log_ceiling(session: Session) -> int:
    """The last seq in the change log. Seqs become visible in commit order, so every seq up to it is
    committed, and a change committing after this read lands above it."""
    return session.execute(select(func.coalesce(func.max(change_log.c.seq), 0))).scalar_one()


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
        encoded_body=cipher.decrypt_bytes(row.body_key_id, row.body, f"{row.id}:{row.revision}", "record body"),
    )
