"""Is anyone sending safety alerts? Escalator heartbeats, and what the web does when none is fresh.

Each escalator process keeps one `escalator_heartbeats` row fresh. When no row is fresh the web process (checked
at most once per SAFETY_BACKSTOP_SECONDS per process, so requests stay cheap):
- shows managers a red banner (context processor `escalator_down`),
- emails every manager once per outage (the outage row's unique key is the last beat seen),
- sweeps due work itself from a background thread, one at a time per process. Claims are atomic, so this never
  double-alerts beside a live escalator; it writes no heartbeat, so the outage stays visible.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..logs import bound_request_id, current_request_id, new_request_id
from ..models import EscalatorHeartbeat, EscalatorOutage, Role, SafetySession, SessionState, User, utcnow
from . import channels

log = logging.getLogger("fieldapp.escalator")
BANNER = "Safety alerts are not being sent"


class Heartbeat:
    """This escalator process's row, written at most every few seconds."""

    def __init__(self, app: Flask):
        self.process_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.every = timedelta(seconds=min(5.0, app.config["ESCALATOR_HEARTBEAT_STALE_SECONDS"] / 3))
        self.last: datetime | None = None

    def beat(self, now: datetime) -> None:
        if self.last is not None and now - self.last < self.every:
            return
        row = db.session.get(EscalatorHeartbeat, self.process_id)
        if row is None:
            db.session.add(EscalatorHeartbeat(process_id=self.process_id, started_at=now, beat_at=now))
        else:
            row.beat_at = now
        db.session.commit()
        self.last = now

    def stop(self) -> None:
        """A clean stop removes the row at once (a crash leaves it to go stale)."""
        try:
            db.session.execute(delete(EscalatorHeartbeat).where(EscalatorHeartbeat.process_id == self.process_id))
            db.session.commit()
        except Exception:  # noqa: BLE001  (stopping anyway; the row goes stale by itself)
            db.session.rollback()
        finally:
            db.session.remove()


def newest_beat() -> datetime | None:
    return db.session.scalar(select(func.max(EscalatorHeartbeat.beat_at)))


def heartbeat_fresh(now: datetime, newest: datetime | None = None) -> bool:
    newest = newest_beat() if newest is None else newest
    stale = timedelta(seconds=current_app.config["ESCALATOR_HEARTBEAT_STALE_SECONDS"])
    return newest is not None and now - newest <= stale


class Watch:
    """Per web process: the last liveness answer, and the backstop's lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sweeping = threading.Lock()
        self.checked = float("-inf")
        self.down = False


def _watch(app: Flask) -> Watch:
    return app.extensions.setdefault("fieldapp_liveness", Watch())


def escalator_down() -> bool:
    """Cached: re-checked at most once per SAFETY_BACKSTOP_SECONDS; on a fresh check acts on an outage."""
    app = current_app._get_current_object()
    if not app.config.get("SAFETY_LIVENESS_CHECK"):
        return False
    watch = _watch(app)
    with watch.lock:
        if time.monotonic() - watch.checked < app.config["SAFETY_BACKSTOP_SECONDS"]:
            return watch.down
        watch.checked = time.monotonic()
    now = utcnow()
    newest = newest_beat()
    watch.down = not heartbeat_fresh(now, newest)
    if watch.down:
        _start_backstop(app, watch, newest)
    return watch.down


def wait_for_backstop(app: Flask, timeout: float = 30) -> bool:
    """Block until this process's backstop sweep (if any) is done; for orderly shutdown and tests."""
    watch = _watch(app)
    if watch.sweeping.acquire(timeout=timeout):
        watch.sweeping.release()
        return True
    return False


def _start_backstop(app: Flask, watch: Watch, newest: datetime | None) -> None:
    if not watch.sweeping.acquire(blocking=False):
        return  # this process's backstop is still at it

    # A new thread starts with no context: its log lines carry an id tied to the request that started it.
    run_id = f"backstop-{current_request_id() or new_request_id()}"

    def run():
        from .escalator import sweep

        try:
            with bound_request_id(run_id), app.app_context():
                try:
                    notify_outage(newest)
                    sweep(utcnow(), clock=utcnow)
                except Exception:  # noqa: BLE001  (the next request tries again)
                    db.session.rollback()
                    log.exception("backstop sweep from the web process failed")
                finally:
                    db.session.remove()
        finally:
            watch.sweeping.release()

    threading.Thread(target=run, name="safety-backstop", daemon=True).start()


def notify_outage(newest: datetime | None) -> bool:
    """Email every active manager, once per outage (the first process to record it sends); True if we sent."""
    key = newest.isoformat() if newest else "never"
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(EscalatorOutage).values(last_beat_key=key, detected_at=utcnow()))
    except IntegrityError:
        return False
    since = f"since {newest:%Y-%m-%d %H:%M} UTC" if newest else "(no escalator has ever run)"
    log.error("no fresh escalator heartbeat %s: emailing managers, web requests sweep as a backstop", since)
    if not current_app.config.get("SMTP_HOST"):
        return True
    body = (
        f"{BANNER}: no safety escalator process has checked in {since}.\n\n"
        "Reminders, overdue alerts and escalations depend on it. Until it is running again, fieldapp's web "
        "server sends due alerts when someone uses it, which may be late. Keep the safety board open and "
        "phone any worker on a lone visit whose time has ended. In an emergency call 999.\n\n"
        "For whoever runs fieldapp: start `fieldapp escalator` (see /readyz)."
    )
    managers = db.session.scalars(
        select(User).where(User.role == Role.MANAGER, User.active.is_(True), User.email.is_not(None))
    )
    for manager in managers:
        if manager.email:
            channels.send_email(current_app, manager.email, f"URGENT: {BANNER}", body)
    return True


def banner_context() -> dict:
    """Template context: managers see the banner on every page while no escalator is alive."""
    from flask import has_request_context
    from flask_login import current_user

    # Templates are also rendered outside any request (the archival PDF in the delivery worker): no one to warn.
    if not has_request_context() or not (current_user.is_authenticated and current_user.role == Role.MANAGER):
        return {"escalator_down": False}
    manager = current_user._get_current_object()
    return {
        "escalator_down": _escalator_down_or_unknown(),
        "escalator_banner": BANNER,
        "failed_safety_sessions": lambda: failed_sessions(manager),
    }


def failed_sessions(manager: User) -> list:
    """Open sessions on this manager's board whose last escalation step failed."""
    from .board import teams_covered_by

    return list(
        db.session.scalars(
            select(SafetySession)
            .where(
                SafetySession.team_id.in_(teams_covered_by(manager)),
                SafetySession.step_error.is_not(None),
                SafetySession.state != SessionState.CLOSED,
            )
            .order_by(SafetySession.step_failed_at)
        )
    )


def _escalator_down_or_unknown() -> bool:
    try:
        return escalator_down()
    except Exception:  # noqa: BLE001  (a database hiccup must not fail the request; /readyz reports it)
        db.session.rollback()
        log.exception("escalator liveness check failed")
        return False


def backstop_before_request() -> None:
    _escalator_down_or_unknown()
