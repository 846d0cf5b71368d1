"""Running the escalator inside the web process: the embedded default (`fieldapp serve` on one machine)."""

from __future__ import annotations

import threading

from flask import Flask

from .lane import lanes


def start_in_process(app: Flask, tick: float | None = None) -> threading.Event:
    """One escalator thread beside the web server. Returns the event that stops it."""
    from .escalator import run_forever

    stop, wake = threading.Event(), threading.Event()
    app.extensions["fieldapp_escalator_wake"] = wake
    thread = threading.Thread(
        target=run_forever,
        args=(app, stop, tick or app.config["ESCALATOR_TICK_SECONDS"], wake),
        name="fieldapp-escalator",
        daemon=True,
    )
    thread.start()
    app.extensions["fieldapp_escalator_thread"] = thread
    return stop


def stop_in_process(app: Flask, stop: threading.Event, timeout: float = 10) -> None:
    """Stop the thread start_in_process started and wait for its last sweep."""
    stop.set()
    wake = app.extensions.get("fieldapp_escalator_wake")
    if wake is not None:
        wake.set()
    thread = app.extensions.get("fieldapp_escalator_thread")
    if thread is not None:
        thread.join(timeout)
    lanes().drain(timeout)  # sends already handed to the lanes finish (or time out) before we return
