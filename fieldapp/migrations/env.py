"""Alembic environment for Flask-Migrate with Flask-SQLAlchemy 3 (engine taken from the running app)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import inspect

config = context.config
# Keep the app's own loggers (and pytest's) alive when Alembic configures logging.
# A process that set up its own logging (the JSON lines of `fieldapp serve`) keeps it.
if not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_db.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty_autogenerate(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    configure_args = dict(current_app.extensions["migrate"].configure_args)
    configure_args.setdefault("process_revision_directives", skip_empty_autogenerate)
    with target_db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **configure_args)
        with context.begin_transaction():
            context.run_migrations()
            _analyze(connection)


def _analyze(connection) -> None:
    """Fresh planner statistics for every table after a migration (PostgreSQL).

    A table rebuilt or newly filled by a migration has none until autovacuum gets round to it, and
    the planner then guesses. Only our own tables: a bare ANALYZE would walk the whole database.
    """
    if connection.dialect.name != "postgresql":
        return
    preparer = connection.dialect.identifier_preparer
    present = set(inspect(connection).get_table_names())  # none after a downgrade to empty
    for table in target_db.metadata.sorted_tables:
        if table.name in present:
            connection.exec_driver_sql(f"ANALYZE {preparer.format_table(table)}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
