"""What a device says it still holds (numbers only) and what the admin is told before revoking it."""

from __future__ import annotations

from dataclasses import dataclass

from ..extensions import db
from ..models import Device, utcnow

MAX_REPORTED = 1_000_000


class BadReport(ValueError):
    pass


def _count(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_REPORTED:
        raise BadReport(f"{name} must be a whole number from 0 to {MAX_REPORTED}")
    return value


def record_sync_report(device: Device, report: dict) -> None:
    """Store the device's counts of unfinished drafts and sealed items not yet delivered (no content)."""
    if not isinstance(report, dict):
        raise BadReport('send JSON {"drafts": n, "outbox": n}')
    device.reported_drafts = _count(report.get("drafts"), "drafts")
    device.reported_outbox = _count(report.get("outbox"), "outbox")
    device.reported_at = utcnow()
    db.session.flush()


@dataclass
class HeldOnDevice:
    """The device's last report, in words for the revoke confirmation."""

    known: bool
    drafts: int = 0
    outbox: int = 0
    at: object = None

    @property
    def sentences(self) -> list[str]:
        if not self.known:
            return ["This device has not reported what it holds (it has not synced since reports began)."]
        plural = lambda n, one, many: f"{n} {one if n == 1 else many}"  # noqa: E731
        return [
            plural(self.drafts, "unfinished draft", "unfinished drafts") + " not yet finalized",
            plural(self.outbox, "finalized item", "finalized items") + " sealed but not yet delivered",
        ]


def held_on(device: Device) -> HeldOnDevice:
    if device.reported_at is None:
        return HeldOnDevice(known=False)
    return HeldOnDevice(True, device.reported_drafts or 0, device.reported_outbox or 0, device.reported_at)
