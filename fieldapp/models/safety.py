"""Lone-worker safety: timed visit sessions, the alerts they raise, each delivery, and the event log."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cases import Child
from .people import Team, User
from .types import UTCDateTime, UUIDString, new_uuid, utcnow


def _enum(cls):
    return db.Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class SessionState(enum.StrEnum):
    ACTIVE = "active"  # before the expected end
    OVERDUE = "overdue"  # past the expected end, in grace: the worker is prompted
    ALERT = "alert"  # managers alerted, not yet acknowledged
    ACKNOWLEDGED = "acknowledged"  # a manager has taken it; escalation stopped
    CLOSED = "closed"  # checked out or resolved


class AlertKind(enum.StrEnum):
    REMINDER = "reminder"  # to the worker, before the expected end
    GRACE = "grace"  # to the worker, at the expected end
    OVERDUE = "overdue"  # amber: to line managers
    ESCALATION = "escalation"  # next level, repeated until acknowledged
    PANIC = "panic"
    DURESS = "duress"
    TEST = "test"
    WORKER_UPDATE = "worker_update"  # to the worker: their alert was raised, taken or resolved
    CHECKED_OUT = "checked_out"  # to the managers alerted: the worker checked out after the alert
    WRONG_PINS = "wrong_pins"  # repeated wrong check-out PINs: a possible duress


# Deliveries of these kinds travel on the priority lane: claimed and sent on their own, never behind others.
PRIORITY_ALERT_KINDS = (AlertKind.PANIC, AlertKind.DURESS, AlertKind.WRONG_PINS)


MANAGER_ALERT_KINDS = (AlertKind.OVERDUE, AlertKind.ESCALATION, AlertKind.PANIC, AlertKind.DURESS)


class EscalationPolicy(db.Model):
    """Per-team escalation rules; a team without a row uses the defaults below."""

    __tablename__ = "safety_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), unique=True)
    grace_minutes: Mapped[int] = mapped_column(default=5)
    ack_minutes: Mapped[int] = mapped_column(default=5)
    reminder_minutes: Mapped[str] = mapped_column(String(40), default="10,5")  # before the expected end
    # Level 2: the managers of this team (a duty desk), after the line managers.
    duty_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))

    team: Mapped[Team] = relationship(foreign_keys=[team_id])
    duty_team: Mapped[Team | None] = relationship(foreign_keys=[duty_team_id])

    @property
    def reminders(self) -> list[int]:
        return sorted({int(m) for m in self.reminder_minutes.split(",") if m.strip().isdigit()}, reverse=True)


class SafetyProfile(db.Model):
    """A worker's check-out PIN and duress PIN, hashed. The duress PIN checks out and raises a silent alert."""

    __tablename__ = "safety_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    checkout_pin_hash: Mapped[str | None] = mapped_column(String(255))
    duress_pin_hash: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SafetySession(db.Model):
    """One lone visit, timed by the server. `next_due_at` is when the escalator must next look at it."""

    __tablename__ = "safety_sessions"
    __table_args__ = (Index("ix_safety_sessions_worker_open", "worker_id", "checked_out_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"))
    address: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    risk_notes: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expected_end: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[SessionState] = mapped_column(_enum(SessionState), default=SessionState.ACTIVE)
    # The next step the escalator takes at next_due_at, e.g. "reminder-10", "grace", "amber", "level-2", "repeat-3".
    next_step: Mapped[str | None] = mapped_column(String(24))
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Bumped on every change of step, so a claim is a conditional UPDATE on (id, version).
    version: Mapped[int] = mapped_column(default=1)
    # Never serialised for the worker: a duress check-out must look exactly like a normal one.
    duress: Mapped[bool] = mapped_column(default=False)
    panic_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the server received the last panic
    panic_pressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the worker pressed it
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alert_raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_notes: Mapped[str] = mapped_column(Text, default="")
    last_lat: Mapped[float | None]
    last_lon: Mapped[float | None]
    last_accuracy_m: Mapped[float | None]
    last_location_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The escalator's last failure on this session (a bug, bad data): shown on the board, retried later.
    step_error: Mapped[str | None] = mapped_column(Text)
    step_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    worker: Mapped[User] = relationship(foreign_keys=[worker_id])
    child: Mapped[Child | None] = relationship()
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class SafetyAlert(db.Model):
    """One stage of one session (or a manager's test). The unique key makes each stage happen once."""

    __tablename__ = "safety_alerts"
    __table_args__ = (UniqueConstraint("session_id", "stage_key", name="uq_safety_alerts_session_stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("safety_sessions.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind))
    stage_key: Mapped[str] = mapped_column(String(24))
    level: Mapped[int] = mapped_column(default=0)
    triggered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    session: Mapped[SafetySession | None] = relationship()


class PushSubscription(db.Model):
    """A browser's Web Push subscription, per user and device."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SafetyDelivery(db.Model):
    """One message of one alert to one recipient on one channel; claimed with a lease so a killed sender loses none."""

    __tablename__ = "safety_deliveries"
    __table_args__ = (
        Index("ix_safety_deliveries_due", "state", "next_attempt_at"),
        Index("ix_safety_deliveries_priority_due", "priority", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("safety_alerts.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))  # "push" | "email"
    priority: Mapped[bool] = mapped_column(default=False, server_default=sa_text("false"))  # panic / duress lane
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("push_subscriptions.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sending, sent, failed, dropped
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")

    alert: Mapped[SafetyAlert] = relationship()
    recipient: Mapped[User] = relationship()


class SafetyEvent(db.Model):
    """Append-only log: every stage, delivery attempt, acknowledgement and resolution, with its time."""

    __tablename__ = "safety_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("safety_sessions.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("safety_alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[dict] = mapped_column(db.JSON, default=dict)


class PanicPress(db.Model):
    """One panic press as the device recorded it; its client id makes a resent press (offline queue) a no-op."""

    __tablename__ = "safety_panic_presses"

    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("safety_sessions.id"))
    pressed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EscalatorHeartbeat(db.Model):
    """One row per running escalator process, touched every few seconds: no fresh row means no alerts go out."""

    __tablename__ = "escalator_heartbeats"

    process_id: Mapped[str] = mapped_column(String(80), primary_key=True)  # host:pid:random
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class EscalatorOutage(db.Model):
    """A stretch with no fresh heartbeat. The unique key (the last beat seen) makes its email go out once."""

    __tablename__ = "escalator_outages"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_beat_key: Mapped[str] = mapped_column(String(64), unique=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SafetyLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(SafetyEvent, "before_update")
@event.listens_for(SafetyEvent, "before_delete")
def _refuse_rewriting_history(mapper, connection, target):
    # The migration adds database triggers as well; this gives the clearer error first.
    raise SafetyLogIsAppendOnly("safety events cannot be changed or deleted")
