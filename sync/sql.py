"""SQL shapes the engine shares."""

from __future__ import annotations

import json

from sqlalchemy import ARRAY, JSON, any_, bindparam
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


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """Insert `rows` (all with the same keys) in one statement whose text does not depend on their number.

    PostgreSQL: `INSERT … SELECT * FROM unnest(:col1::type[], …)`, one array parameter per column, so
    nothing is compiled per batch and the server parses one statement. (A multi-row VALUES statement
    is recompiled for every batch; executemany sends one statement per row.) Elsewhere: executemany.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        session.execute(table.insert(), rows)
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    params = {}
    for index, column in enumerate(columns):
        # JSON goes as text (cast to json[] by the server); psycopg's own JSON adapter works per value only.
        process = json.dumps if isinstance(column.type, JSON) else column.type.bind_processor(dialect)
        values = [row[column.name] for row in rows]
        params[f"p{index}"] = [process(value) for value in values] if process else values
    # %(pN)b: psycopg sends each array in binary (bytea bodies unescaped: 4x faster than text arrays).
    arrays = ", ".join(f"CAST(%(p{index})b AS {column.type.compile(dialect)}[])"
                       for index, column in enumerate(columns))
    quote = dialect.identifier_preparer
    statement = (f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) "  # noqa: S608
                 f"SELECT * FROM unnest({arrays})")  # table and column names come from our own metadata
    session.connection().exec_driver_sql(statement, params)
