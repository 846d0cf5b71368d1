"""Import children and allocations exported from the council's case system (CSV).

All or nothing: every row is validated first; one bad row means nothing from the file is kept,
and the error names its line number.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from sqlalchemy import select

from ..extensions import db
from ..models import Child, LegalStatus, Role, Team, User
from .services import allocate

REQUIRED_COLUMNS = {"case_number", "first_name", "last_name", "date_of_birth", "legal_status", "team"}
OPTIONAL_COLUMNS = {
    "placement_start",
    "permanent_placement",
    "cp_visit_interval_working_days",
    "address",
    "address_risk_notes",
    "worker_username",
}
TRUE_WORDS, FALSE_WORDS = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}


class CsvImportError(ValueError):
    """A problem in the file, with the line it was found on."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class ImportResult:
    created: int
    updated: int
    allocated: int


def _date(value: str, field: str, line: int, required: bool) -> date | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise CsvImportError(line, f"{field} is required")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CsvImportError(line, f"{field} {value!r} is not a date in YYYY-MM-DD form") from None


def _bool(value: str, field: str, line: int) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CsvImportError(line, f"{field} {value!r} should be yes or no")


def _parse_row(row: dict, line: int, teams: dict, workers: dict) -> dict:
    for column in REQUIRED_COLUMNS - {"date_of_birth"}:
        if not (row.get(column) or "").strip():
            raise CsvImportError(line, f"{column} is required")
    try:
        status = LegalStatus((row["legal_status"] or "").strip())
    except ValueError:
        allowed = ", ".join(s.value for s in LegalStatus)
        raise CsvImportError(line, f"legal_status {row['legal_status']!r} is not one of {allowed}") from None
    team = teams.get(row["team"].strip())
    if team is None:
        raise CsvImportError(line, f"team {row['team']!r} does not exist")
    worker_name = (row.get("worker_username") or "").strip()
    worker = workers.get(worker_name.lower()) if worker_name else None
    if worker_name and worker is None:
        raise CsvImportError(line, f"worker_username {worker_name!r} is not an active social worker")
    interval = (row.get("cp_visit_interval_working_days") or "").strip()
    if interval and (not interval.isdigit() or not 1 <= int(interval) <= 60):
        raise CsvImportError(line, "cp_visit_interval_working_days must be a whole number from 1 to 60")
    dob = _date(row.get("date_of_birth"), "date_of_birth", line, required=True)
    if dob > date.today():
        raise CsvImportError(line, "date_of_birth is in the future")
    return {
        "case_number": row["case_number"].strip(),
        "first_name": row["first_name"].strip(),
        "last_name": row["last_name"].strip(),
        "date_of_birth": dob,
        "legal_status": status,
        "placement_start": _date(row.get("placement_start"), "placement_start", line, required=False),
        "permanent_placement": _bool(row.get("permanent_placement"), "permanent_placement", line),
        "cp_visit_interval_working_days": int(interval) if interval else None,
        "address": (row.get("address") or "").strip(),
        "address_risk_notes": (row.get("address_risk_notes") or "").strip(),
        "team": team,
        "worker": worker,
    }


def import_children(stream: TextIO, by: User | None = None) -> ImportResult:
    """Validate every row, then create or update children and allocations. Flushes, never commits."""
    reader = csv.DictReader(stream)
    missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise CsvImportError(1, f"missing column(s): {', '.join(sorted(missing))}")
    # A misspelt optional column ("worker_usrname") would otherwise be skipped without a word, and its values
    # (an allocation, an address's risk notes) lost: name it instead.
    unknown = set(reader.fieldnames or []) - REQUIRED_COLUMNS - OPTIONAL_COLUMNS
    if unknown:
        raise CsvImportError(
            1,
            f"unknown column(s): {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(REQUIRED_COLUMNS | OPTIONAL_COLUMNS))})",
        )
    teams = {t.name: t for t in db.session.scalars(select(Team))}
    workers = {
        u.username.lower(): u
        for u in db.session.scalars(select(User).where(User.role == Role.WORKER, User.active.is_(True)))
    }
    parsed, seen = [], {}
    for index, row in enumerate(reader, start=2):  # line 1 is the header
        values = _parse_row(row, index, teams, workers)
        case_number = values["case_number"]
        if case_number in seen:
            raise CsvImportError(index, f"case_number {case_number} repeats line {seen[case_number]}")
        seen[values["case_number"]] = index
        parsed.append(values)

    existing = {c.case_number: c for c in db.session.scalars(select(Child).where(Child.case_number.in_(seen)))}
    result = ImportResult(0, 0, 0)
    for values in parsed:
        worker = values.pop("worker")
        child = existing.get(values["case_number"])
        if child is None:
            child = Child(**values)
            db.session.add(child)
            result.created += 1
        else:
            for key, value in values.items():
                setattr(child, key, value)
            result.updated += 1
        db.session.flush()
        if worker is not None:
            before = child.current_allocation
            allocate(child, worker, by)
            if before is None or before.worker_id != worker.id:
                result.allocated += 1
    return result
