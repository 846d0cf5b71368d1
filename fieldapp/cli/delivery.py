"""`fieldapp deliver`: the process that delivers signed-off records to the council's case record."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("deliver")
@click.option("--tick", type=float, default=2.0, show_default=True, help="Seconds between sweeps.")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@with_appcontext
def deliver_command(tick: float, once: bool):
    """Deliver signed-off records to each configured destination, with retries; SIGTERM stops it cleanly.

    Safe to run as several instances: each export job is claimed under a lease.
    """
    from ..delivery.destinations import configured_destinations
    from ..delivery.worker import deliver_due, run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    destinations = configured_destinations()
    if not destinations:
        click.echo(
            "deliver: no destination configured (FIELDAPP_DELIVERY_WEBHOOK_URL / FIELDAPP_DELIVERY_FOLDER)", err=True
        )
    for destination in destinations:
        destination.check()  # a misconfiguration is said at start-up, not only in each failed job
    if once:
        click.echo(f"delivered {deliver_due()}")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo(f"deliver: sweeping every {tick}s to {', '.join(d.name for d in destinations) or 'nowhere'}", err=True)
    run(stop, tick)
    current_app.logger.info("deliver: stopped")
