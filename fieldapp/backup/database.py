"""Copy the store out and back: SQLite through its online backup API, PostgreSQL through pg_dump / pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from sync.tables import sync_counter

# After a restore every pull cursor a device holds may be ahead of the restored change log; moving the counter on
# by this much makes every change from now on newer than any cursor issued before the backup was taken and after.
RESTORE_CHANGE_GAP = 10_000_000


class RestoreRefused(RuntimeError):
    pass


def backend(engine: Engine) -> str:
    return engine.dialect.name


def schema_of(engine: Engine) -> str | None:
    if backend(engine) != "postgresql":
        return None
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT current_schema()")).scalar()


def table_counts(engine: Engine, schema: str | None = None) -> dict[str, int]:
    inspector = sa.inspect(engine)
    counts = {}
    with engine.connect() as connection:
        for name in sorted(inspector.get_table_names(schema=schema)):
            table = sa.table(name, schema=schema)
            counts[name] = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
    return counts


def _libpq(url: URL) -> tuple[list[str], dict]:
    """Connection arguments for pg_dump / pg_restore; the password goes by environment, never on the command line."""
    args = []
    for flag, value in (("--host", url.host), ("--port", url.port), ("--username", url.username)):
        if value:
            args += [flag, str(value)]
    env = {**os.environ, "PGAPPNAME": "fieldapp-backup"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed: install the PostgreSQL client tools (Debian: postgresql-client)")
    return path


def _sqlite_copy(source_path, target_path) -> None:
    """SQLite's online backup API: a consistent copy even while web workers and escalators keep writing."""
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def dump(engine: Engine, target: Path) -> None:
    """Write the store to `target`: a SQLite file, or a pg_dump custom-format archive of the app's schema."""
    if backend(engine) == "sqlite":
        _sqlite_copy(make_url(str(engine.url)).database, target)
        return
    url = engine.url
    args, env = _libpq(url)
    dumped = subprocess.run(  # noqa: S603  (our own argv; no shell)
        [
            _tool("pg_dump"),
            *args,
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--schema={schema_of(engine)}",
            f"--file={target}",
            url.database,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if dumped.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {dumped.stderr.strip()[-800:]}")


def refuse_unless_empty(engine: Engine, schema: str | None) -> None:
    if backend(engine) == "sqlite":
        tables = sa.inspect(engine).get_table_names()
    else:
        with engine.connect() as connection:
            tables = list(
                connection.execute(
                    sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :schema"),
                    {"schema": schema},
                ).scalars()
            )
    if tables:
        raise RestoreRefused(
            f"the target database is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}): "
            "restore only into a new, empty database"
        )


def load(engine: Engine, source: Path, schema: str | None) -> None:
    """Load a dump written by `dump()` into the (empty) store of `engine`."""
    if backend(engine) == "sqlite":
        engine.dispose()
        _sqlite_copy(source, make_url(str(engine.url)).database)
        return
    url = engine.url
    args, env = _libpq(url)
    listed = subprocess.run(  # noqa: S603  (our own tool path and a file we wrote)
        [_tool("pg_restore"), "--list", str(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if listed.returncode != 0:
        raise RuntimeError(f"the database dump in the backup cannot be read: {listed.stderr.strip()[-500:]}")
    listing = listed.stdout
    with engine.connect() as connection:
        exists = connection.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
    # A new database already has `public`: creating it again would fail, so leave that one entry out.
    entries = [line for line in listing.splitlines() if not (exists and f" SCHEMA - {schema} " in line + " ")]
    toc = source.with_suffix(".toc")
    toc.write_text("\n".join(entries) + "\n")
    result = subprocess.run(  # noqa: S603  (our own argv; no shell)
        [
            _tool("pg_restore"),
            *args,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--use-list={toc}",
            f"--dbname={url.database}",
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pg_restore failed: {result.stderr.strip()[-800:]}")


def advance_change_counter(engine: Engine) -> int:
    """Move the pull-cursor counter past any cursor a device may hold; returns the new value."""
    with engine.begin() as connection:
        value = connection.execute(sa.select(sync_counter.c.value).where(sync_counter.c.name == "changes")).scalar()
        new = (value or 0) + RESTORE_CHANGE_GAP
        if value is None:
            connection.execute(sa.insert(sync_counter).values(name="changes", value=new))
        else:
            connection.execute(sa.update(sync_counter).where(sync_counter.c.name == "changes").values(value=new))
    return new
