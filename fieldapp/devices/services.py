"""Device registration, contact and revocation. Services flush; the request commits once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from .. import audit
from ..auth.sessions import end_sessions
from ..extensions import db
from ..models import Device, User, utcnow

# Recording every API call's time would write on every request; a minute's precision is plenty.
LAST_SEEN_PRECISION = timedelta(minutes=1)
MAX_NAME_LENGTH = 80


class DeviceError(ValueError):
    """A registration that cannot be accepted; `code` is the API error code."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.status = code, status


def parse_device_id(value: str | None) -> str | None:
    """The canonical form of a client-generated device id, or None if it is not a UUID."""
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def find_device(device_id: str | None) -> Device | None:
    device_id = parse_device_id(device_id)
    return db.session.get(Device, device_id) if device_id else None


def register_device(user: User, device_id: str | None, name: str | None) -> tuple[Device, bool]:
    """Register the calling device for `user`; registering again is a no-op. Returns (device, created)."""
    canonical = parse_device_id(device_id)
    if canonical is None:
        raise DeviceError("invalid_device_id", "The device id must be a random UUID generated on the device.")
    name = " ".join(name.split())[:MAX_NAME_LENGTH] if isinstance(name, str) else ""
    name = name or "Unnamed device"
    device = db.session.get(Device, canonical)
    if device is not None:
        if device.user_id != user.id:
            raise DeviceError("device_other_user", "This device is registered to another worker.", 409)
        if device.is_revoked:
            raise DeviceError("device_revoked", "This device was revoked by an administrator.", 410)
        return device, False
    device = Device(id=canonical, user=user, name=name, registered_at=utcnow(), last_seen_at=utcnow())
    db.session.add(device)
    db.session.flush()
    audit.record("device_registered", detail=f"device={canonical} name={name}", actor=user)
    return device, True


def touch(device: Device) -> None:
    """Note that the device made contact (at most one write a minute)."""
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_PRECISION:
        device.last_seen_at = now
        db.session.flush()


def revoke_device(device: Device, by: User) -> bool:
    """Revoke `device`: its next API call is refused with 410 and the app wipes. False if already revoked."""
    if device.is_revoked:
        return False
    device.revoked_at = utcnow()
    device.revoked_by = by
    db.session.flush()
    audit.record(
        "device_revoked", detail=f"device={device.id} user={device.user.username} name={device.name}", actor=by
    )
    # A session is not bound to one device: a cookie copied off the lost tablet works without its device header.
    # So every session of the device's user ends; the worker signs in again on their other devices.
    end_sessions(device.user, f"device {device.id} revoked")
    return True


def devices_by_user() -> list[tuple[User, list[Device]]]:
    """Every user who has registered a device, with their devices, newest first."""
    rows: dict[int, tuple[User, list[Device]]] = {}
    query = (
        select(Device, User)
        .join(User, Device.user_id == User.id)
        .order_by(User.display_name, Device.registered_at.desc())
    )
    for device, user in db.session.execute(query):
        rows.setdefault(user.id, (user, []))[1].append(device)
    return list(rows.values())
