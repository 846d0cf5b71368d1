"""SQL shapes the engine shares."""

from __future__ import annotations

import json

from sqlalchemy import ARRAY, JSON, Connection, any_, bindparam
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session


def key_in(session: Session, column, values: set):
    """`column` is one of `values`, as a plan that does not hinge on table statistics or batch size.

    PostgreSQL: one array parameter (`= ANY(:ids)`), the same statement text for 1 or 200 ids, always
    an index probe per id on a primary key. `IN (…100 parameters…)` planned a sequential scan when the
    statistics were stale and the table had grown. SQLite plans IN on a key as probes anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(f"{column.name}_list", sorted(values), type_=ARRAY(column.type)))
    return column.in_(sorted(values))


def insert_rows(session: Session | Connection, *batches: tuple) -> None:
    """Insert each (table, rows) batch — rows of one table all have the same keys — in ONE statement.

    A batch (table, rows, key) replaces the rows it clashes with on the `key` columns (an upsert; each key at
    most once in its rows).

    PostgreSQL: `WITH a AS (INSERT … SELECT * FROM unnest(…)), … INSERT …`, one array parameter per
    column, so nothing is compiled per batch, the statement text does not depend on the number of rows,
    and the whole batch is one round trip (on a busy server each round trip costs a scheduling wait,
    which is most of a push's wall time). Elsewhere: one executemany per table.
    """
    batches = [(batch[0], batch[1], tuple(batch[2]) if len(batch) > 2 else ()) for batch in batches if batch[1]]
    if not batches:
        return
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if dialect.name != "postgresql":
        for table, rows, key in batches:
            session.execute(_replacing(sqlite.insert(table), key) if key else table.insert(), rows)
        return
    params: dict = {}
    inserts = [
        _unnest_insert(dialect, table, rows, f"t{number}_", params) + _on_conflict_replace(dialect, rows, key)
        for number, (table, rows, key) in enumerate(batches)
    ]
    ctes = [f"w{number} AS ({statement})" for number, statement in enumerate(inserts[:-1])]
    connection = session if isinstance(session, Connection) else session.connection()
    connection.exec_driver_sql((f"WITH {', '.join(ctes)} " if ctes else "") + inserts[-1], params)


def _replacing(statement, key: tuple[str, ...]):
    columns = [column.name for column in statement.table.c if column.name not in key]
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in columns}
    )


def _on_conflict_replace(dialect, rows: list[dict], key: tuple[str, ...]) -> str:
    if not key:
        return ""
    quote = dialect.identifier_preparer.quote
    updates = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in rows[0] if name not in key)
    return f" ON CONFLICT ({', '.join(quote(name) for name in key)}) DO UPDATE SET {updates}"


def array_params(dialect, columns, rows: list[dict], prefix: str, params: dict) -> list[str]:
    """Put one array per column into `params`; return the `CAST(%(name)b AS type[])` expressions."""
    expressions = []
    for index, column in enumerate(columns):
        # JSON goes as text (cast to json[] by the server); psycopg's own JSON adapter works per value only.
        process = json.dumps if isinstance(column.type, JSON) else column.type.bind_processor(dialect)
        values = [row[column.name] for row in rows]
        params[f"{prefix}{index}"] = [process(value) for value in values] if process else values
        # %(name)b: psycopg sends the array in binary (bytea bodies unescaped: 4x faster than text arrays).
        expressions.append(f"CAST(%({prefix}{index})b AS {column.type.compile(dialect)}[])")
    return expressions


def _unnest_insert(dialect, table, rows: list[dict], prefix: str, params: dict) -> str:
    columns = [table.c[name] for name in rows[0]]
    arrays = array_params(dialect, columns, rows, prefix, params)
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(column.name) for column in columns)
    # Table and column names come from our own metadata; values only ever travel as parameters.
    return f"INSERT INTO {quote.format_table(table)} ({names}) SELECT * FROM unnest({', '.join(arrays)})"  # noqa: S608
