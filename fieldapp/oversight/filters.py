"""Dashboard filters from the query string; anything malformed is a 400 with a message saying what to fix."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from ..models import LegalStatus

DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 5 * 366
DEFAULT_LAST_VISITS = 3
DEFAULT_MAP_MONTHS = 6
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Filters:
    period_from: date
    period_to: date
    worker_id: int | None = None
    legal_status: LegalStatus | None = None
    last_visits: int = DEFAULT_LAST_VISITS
    map_months: int = DEFAULT_MAP_MONTHS
    team_id: int | None = None  # service-wide view only

    def query_args(self, **changes) -> dict:
        """The filters as query-string arguments (for CSV links that keep the current view)."""
        current = replace(self, **changes)
        args = {
            "from": current.period_from.isoformat(),
            "to": current.period_to.isoformat(),
            "last": current.last_visits,
            "months": current.map_months,
        }
        if current.worker_id is not None:
            args["worker"] = current.worker_id
        if current.legal_status is not None:
            args["status"] = current.legal_status.value
        if current.team_id is not None:
            args["team"] = current.team_id
        return args


def _bad(message: str):
    raise BadRequest(description=message)


def _whole_number(args: MultiDict, name: str, label: str, low: int, high: int, default: int | None) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        _bad(f"{label} must be a whole number from {low} to {high} (got {raw[:20]!r}).")
    return int(raw)


def _day(args: MultiDict, name: str, label: str, default: date) -> date:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        _bad(f"{label} must be a date written YYYY-MM-DD (got {raw[:20]!r}).")


def parse_filters(args: MultiDict, today: date) -> Filters:
    """Filters from request.args; raises BadRequest (400) naming the first bad value."""
    period_to = _day(args, "to", "The end of the period", today)
    period_from = _day(args, "from", "The start of the period", period_to - timedelta(days=DEFAULT_PERIOD_DAYS))
    if period_from > period_to:
        _bad("The start of the period must not be after its end.")
    if (period_to - period_from).days > MAX_PERIOD_DAYS:
        _bad("The period can be at most five years long.")
    raw_status = (args.get("status") or "").strip()
    legal_status = None
    if raw_status:
        try:
            legal_status = LegalStatus(raw_status)
        except ValueError:
            allowed = ", ".join(status.value for status in LegalStatus)
            _bad(f"Legal status must be one of {allowed} (got {raw_status[:30]!r}).")
    return Filters(
        period_from=period_from,
        period_to=period_to,
        legal_status=legal_status,
        worker_id=_whole_number(args, "worker", "Worker", 1, 2**31 - 1, None),
        last_visits=_whole_number(args, "last", "Number of last visits", 1, 20, DEFAULT_LAST_VISITS),
        map_months=_whole_number(args, "months", "Months since a map was reviewed", 1, 36, DEFAULT_MAP_MONTHS),
        team_id=_whole_number(args, "team", "Team", 1, 2**31 - 1, None),
    )
