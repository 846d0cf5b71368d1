"""A panic press that may arrive late from the device's offline queue: its pressed-at time, bounded, and resends
made no-ops. Flush, never commit (only a duplicate arriving at the same moment rolls back, to return the other)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import PanicPress, SafetyAlert, SafetySession, User
from ..models.types import new_uuid
from . import sessions
from .sessions import SafetyError

# A press older than this is not raised as a live alert: by then it would call everyone out for nothing.
MAX_AGE = timedelta(hours=24)
CLIENT_ID = re.compile(r"^[0-9a-fA-F-]{8,36}$")


def _moment(raw, name: str) -> datetime | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise SafetyError(f"{name} must be an ISO 8601 time.")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise SafetyError(f"{name} must be an ISO 8601 time.") from None
    if moment.tzinfo is None:
        raise SafetyError(f"{name} needs a time zone (e.g. ...Z).")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # at the edge of the calendar (year 1 with a positive offset)
        raise SafetyError(f"{name} is not a usable time.") from None


def pressed_time(received_at: datetime, pressed_raw, sent_raw) -> datetime:
    """When the panic was pressed, on the server's clock.

    With both device times (press and send), the age is measured on the device's own clock and taken back from
    the server's receipt, so a device clock that is wrong by hours does not matter. With the press time alone it
    is taken as given, but never later than its receipt. Either way it must lie within MAX_AGE of receipt.
    """
    pressed, sent = _moment(pressed_raw, "pressed_at"), _moment(sent_raw, "sent_at")
    if pressed is None:
        return received_at
    if sent is not None:
        age = sent - pressed
        if age < timedelta(0):
            raise SafetyError("pressed_at is after sent_at.")
        if age > MAX_AGE:  # checked before the subtraction: ages of centuries overflow the date
            raise _too_old()
        pressed = received_at - age
    pressed = min(pressed, received_at)
    if received_at - pressed > MAX_AGE:
        raise _too_old()
    return pressed


def _too_old() -> SafetyError:
    return SafetyError(
        "This panic was pressed more than 24 hours ago: it is too old to raise as an alert. "
        "If you still need help, call 999.",
        422,
        "too_old",
    )


def receive(worker: User, received_at: datetime, body: dict) -> tuple[SafetySession, SafetyAlert | None]:
    """Raise the panic, or, for a client id already received from this worker, return what it raised (no alert)."""
    client_id = body.get("client_id") or str(new_uuid())
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise SafetyError("client_id must be a UUID.")
    client_id = client_id.lower()
    earlier = _earlier(worker, client_id)
    if earlier is not None:
        return earlier, None
    pressed_at = pressed_time(received_at, body.get("pressed_at"), body.get("sent_at"))
    address = body.get("address") if isinstance(body.get("address"), str) else ""
    session, alert = sessions.panic(worker, received_at, address=address[:500], pressed_at=pressed_at)
    db.session.add(
        PanicPress(
            client_id=client_id,
            user_id=worker.id,
            session_id=session.id,
            pressed_at=pressed_at,
            received_at=received_at,
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        # The same press arriving twice at once (the page and a Background Sync wake-up): the other one raised it.
        db.session.rollback()
        return _earlier(worker, client_id), None
    return session, alert


def _earlier(worker: User, client_id: str) -> SafetySession | None:
    earlier = db.session.get(PanicPress, client_id)
    if earlier is None:
        return None
    if earlier.user_id != worker.id:
        raise SafetyError("client_id must be a UUID.")  # someone else's id: say nothing more about it
    return db.session.get(SafetySession, earlier.session_id)
