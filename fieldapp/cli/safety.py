"""`fieldapp escalator` (the one process that sweeps due safety work) and `fieldapp vapid generate`."""

from __future__ import annotations

import signal
import threading
import uuid

import click
from flask import current_app
from flask.cli import with_appcontext

from ..safety import channels
from ..safety.runtime import start_in_process  # noqa: F401  (old import path, kept for callers)


@click.command("escalator")
@click.option(
    "--tick", type=float, default=None, help="Seconds between sweeps (default FIELDAPP_ESCALATOR_TICK_SECONDS or 0.5)."
)
@click.option("--once", is_flag=True, help="Sweep once and exit.")
@with_appcontext
def escalator_command(tick: float | None, once: bool):
    """Sweep due safety sessions and send queued alerts until stopped (SIGTERM/SIGINT stop it cleanly).

    Safe to run as several instances: each step and each delivery is claimed atomically.
    """
    import logging

    from ..logs import bound_request_id, configure_logging
    from ..models import utcnow
    from ..safety.escalator import run_forever, sweep

    app = current_app._get_current_object()
    if once:
        click.echo(sweep(utcnow(), clock=utcnow))
        return
    configure_logging(app.config.get("LOG_LEVEL", "INFO"))  # the long-running process: JSON lines on stderr
    log = logging.getLogger("fieldapp.escalator")
    stop = threading.Event()

    def stop_on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    tick = tick or app.config["ESCALATOR_TICK_SECONDS"]
    # One id for this escalator run, on its log lines and any audit event it writes, as a web request has its own.
    with bound_request_id(f"escalator-{uuid.uuid4().hex[:20]}"):
        log.info("escalator: sweeping every %ss; SIGTERM to stop", tick)
        run_forever(app, stop, tick)
        log.info("escalator: stopped")


@click.group("vapid")
def vapid_group():
    """Web Push (VAPID) keys."""


@vapid_group.command("generate")
@click.option("--force", is_flag=True, help="Replace an existing key (every browser must subscribe again).")
@with_appcontext
def generate(force: bool):
    """Generate the VAPID key pair into instance/ (or use FIELDAPP_VAPID_PRIVATE_KEY) and print the public key."""
    app = current_app._get_current_object()
    try:
        channels.validate_subject(app.config["VAPID_SUBJECT"])
    except channels.VapidConfigError as error:
        raise click.ClickException(f"{error}; set FIELDAPP_VAPID_SUBJECT") from None
    if app.config.get("VAPID_PRIVATE_KEY"):
        click.echo("Using the key from FIELDAPP_VAPID_PRIVATE_KEY; nothing written.")
    else:
        existed = (channels.Path(app.instance_path) / channels.VAPID_KEY_FILE).exists()
        path = channels.generate_vapid_key(app.instance_path, force=force)
        click.echo(f"{'Kept existing' if existed and not force else 'Wrote'} {path}")
        app.extensions.pop("fieldapp_vapid", None)
    click.echo(f"subject: {app.config['VAPID_SUBJECT']}")
    click.echo(f"public key: {channels.vapid_public_key(channels.load_vapid(app))}")
