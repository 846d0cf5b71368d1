"""`fieldapp serve`: gunicorn plus one supervised escalator by default; `--dev` for Werkzeug's reloader."""

from __future__ import annotations

import logging
import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .keys import ensure_sealing_key

MAX_AUTO_WORKERS = 8


def web_workers(app) -> int:
    """FIELDAPP_WEB_WORKERS, else 2 × CPUs + 1 (at most 8) when limits are shared through Redis.

    Without Redis the sign-in limits live in each worker's memory, so several workers would each allow the full
    count: the embedded default then runs one worker with several threads, which keeps the limits exact.
    """
    if app.config["WEB_WORKERS"] > 0:
        return app.config["WEB_WORKERS"]
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        return 1
    return min(MAX_AUTO_WORKERS, 2 * (os.cpu_count() or 1) + 1)


def prepare_store(app, say=click.echo) -> None:
    """Migrate and create every generated key before any worker starts (workers must never race to make one)."""
    upgrade()
    new_kid = ensure_sealing_key()
    if new_kid:
        say(f"generated the first sealing key {new_kid}")
    if not app.config.get("VAPID_PRIVATE_KEY"):
        from ..safety.channels import generate_vapid_key

        generate_vapid_key(app.instance_path)  # web push works out of the box; kept if it exists already
    from ..records.store import record_cipher

    record_cipher()  # creates instance/record-keys.json now, in one process, if it is not there yet


def gunicorn_command(app, host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:fieldapp.gunicorn_conf",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(app.config["WEB_THREADS"]),
        "--timeout",
        str(app.config["WEB_TIMEOUT"]),
    ]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Werkzeug's development server with the reloader, escalator in-process.")
@with_appcontext
def serve_command(host: str, port: int, dev: bool):
    """Migrate the store, make missing keys, then serve: gunicorn and a supervised escalator (or --dev)."""
    app = current_app._get_current_object()
    if dev:
        prepare_store(app)
        click.echo(f"fieldapp on http://{host}:{port}/  (store: {_store(app)})")
        _serve_dev(app, host, port)
        return
    from ..logs import configure_logging
    from .supervisor import Supervisor

    configure_logging(app.config["LOG_LEVEL"])  # from here on stderr carries JSON lines only
    log = logging.getLogger("fieldapp.serve")
    prepare_store(app, say=log.info)
    workers = web_workers(app)
    log.info(
        f"fieldapp on http://{host}:{port}/ with {workers} gunicorn worker(s) and one escalator",
        extra={"store": _store(app)},
    )
    env = {**os.environ, "FIELDAPP_INSTANCE_PATH": app.instance_path}
    escalator = [sys.executable, "-m", "fieldapp", "escalator"]
    sys.exit(Supervisor(gunicorn_command(app, host, port, workers), escalator, env).run())


def _store(app) -> str:
    """The database URL without its password (it goes to the terminal and the logs)."""
    from sqlalchemy.engine import make_url

    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


def _serve_dev(app, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    from ..safety.runtime import start_in_process

    # With the reloader this command runs twice: the watcher, and the child that serves (WERKZEUG_RUN_MAIN).
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        start_in_process(app)  # the development server runs the safety escalator in-process
    run_simple(host, port, app, threaded=True, use_reloader=True, use_debugger=False)
