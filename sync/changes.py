"""The change log behind pull cursors.

Sequence numbers are reserved under the counter row's lock at the end of a writing transaction, so
they become visible in commit order: a reader that has seen seq N will never later find a smaller
seq committed behind it.
"""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .sql import array_params, insert_rows
from .tables import change_log, sync_counter

COUNTER = "changes"


def reserve_seqs(session: Session, count: int) -> int:
    """Reserve `count` consecutive seqs; returns the first."""
    for _attempt in range(2):
        last = session.execute(
            update(sync_counter)
            .where(sync_counter.c.name == COUNTER)
            .values(value=sync_counter.c.value + count)
            .returning(sync_counter.c.value)
        ).scalar_one_or_none()
        if last is not None:
            return last - count + 1
        savepoint = session.begin_nested()
        try:
            session.execute(insert(sync_counter).values(name=COUNTER, value=count))
            savepoint.commit()
            return 1
        except IntegrityError:
            savepoint.rollback()  # another transaction created the counter first; take the UPDATE path
    raise RuntimeError("could not reserve change sequence numbers")


def stamp_changes(session: Session, changed: list[tuple[str, int, int]]) -> None:
    """Append (record id, child id, revision) changes to the log with fresh seqs."""
    if not changed:
        return
    if session.get_bind().dialect.name == "postgresql" and _stamp_in_one_statement(session, changed):
        return
    first = reserve_seqs(session, len(changed))
    insert_rows(
        session,
        (
            change_log,
            [
                {"seq": first + offset, "record_id": record_id, "child_id": child_id, "revision": revision}
                for offset, (record_id, child_id, revision) in enumerate(changed)
            ],
        ),
    )


def _stamp_in_one_statement(session: Session, changed: list[tuple[str, int, int]]) -> bool:
    """PostgreSQL: reserve the seqs and append the log rows in one round trip; False if no counter row yet."""
    dialect = session.get_bind().dialect
    params = {"count": len(changed), "counter": COUNTER}
    rows = [{"record_id": r, "child_id": c, "revision": v} for r, c, v in changed]
    columns = [change_log.c.record_id, change_log.c.child_id, change_log.c.revision]
    arrays = ", ".join(array_params(dialect, columns, rows, "c", params))
    # Only parameters vary; the array expressions come from our own metadata.
    statement = (
        "WITH reserved AS (UPDATE sync_counter SET value = value + %(count)s WHERE name = %(counter)s "  # noqa: S608
        "RETURNING value) INSERT INTO change_log (seq, record_id, child_id, revision) "
        "SELECT reserved.value - %(count)s + u.ord, u.record_id, u.child_id, u.revision FROM reserved, "
        "unnest(" + arrays + ") WITH ORDINALITY AS u(record_id, child_id, revision, ord)"
    )
    inserted = session.connection().exec_driver_sql(statement, params)
    return inserted.rowcount == len(changed)
