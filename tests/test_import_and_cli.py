"""CSV import (all rows or none) and the fieldapp CLI commands."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from fieldapp.cases.importer import CsvImportError, import_children
from fieldapp.cli import main as fieldapp_cli
from fieldapp.extensions import db
from fieldapp.models import Allocation, Child, LegalStatus, Role, User

HEADER = (
    "case_number,first_name,last_name,date_of_birth,legal_status,team,placement_start,permanent_placement,"
    "cp_visit_interval_working_days,address,address_risk_notes,worker_username\n"
)


def _csv(*rows: str) -> io.StringIO:
    return io.StringIO(HEADER + "".join(row + "\n" for row in rows))


@pytest.fixture
def import_world(make_team, make_user):
    team = make_team("Import Team")
    worker = make_user(Role.WORKER, team, username="import.worker")
    return team, worker


def _children_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Child))


def test_good_file_imports_children_and_allocations(import_world):
    _, worker = import_world
    result = import_children(
        _csv(
            "IMP-1,Ada,Example,2015-03-01,looked_after,Import Team,2026-01-05,yes,,1 Example Street,Dog,import.worker",
            "IMP-2,Bo,Sample,2019-07-12,child_protection,Import Team,,no,5,2 Example Street,,",
        )
    )
    db.session.commit()
    assert (result.created, result.updated, result.allocated) == (2, 0, 1)
    ada = db.session.scalar(select(Child).where(Child.case_number == "IMP-1"))
    assert ada.legal_status == LegalStatus.LOOKED_AFTER and ada.permanent_placement
    assert ada.current_allocation.worker_id == worker.id
    bo = db.session.scalar(select(Child).where(Child.case_number == "IMP-2"))
    assert bo.cp_visit_interval_working_days == 5 and bo.current_allocation is None


def test_reimport_updates_and_reallocates_keeping_history(import_world, make_user):
    team, worker = import_world
    make_user(Role.WORKER, team, username="second.worker")
    import_children(_csv("IMP-1,Ada,Example,2015-03-01,looked_after,Import Team,,no,,,,import.worker"))
    db.session.commit()
    moved = "IMP-1,Ada,Example,2015-03-01,looked_after,Import Team,,no,,New address,,second.worker"
    result = import_children(_csv(moved))
    db.session.commit()
    assert (result.created, result.updated, result.allocated) == (0, 1, 1)
    ada = db.session.scalar(select(Child).where(Child.case_number == "IMP-1"))
    assert ada.address == "New address"
    assert db.session.scalar(select(func.count()).select_from(Allocation).where(Allocation.child_id == ada.id)) == 2


@pytest.mark.parametrize(
    ("bad_row", "line", "message"),
    [
        ("IMP-3,Cy,Dummy,2015-13-40,child_in_need,Import Team,,no,,,,", 3, "date_of_birth"),
        ("IMP-3,Cy,Dummy,2015-01-01,orphaned,Import Team,,no,,,,", 3, "legal_status"),
        ("IMP-3,Cy,Dummy,2015-01-01,child_in_need,No Such Team,,no,,,,", 3, "team"),
        ("IMP-3,Cy,Dummy,2015-01-01,child_in_need,Import Team,,no,,,,nobody", 3, "worker_username"),
        ("IMP-3,,Dummy,2015-01-01,child_in_need,Import Team,,no,,,,", 3, "first_name is required"),
        ("IMP-3,Cy,Dummy,2015-01-01,child_in_need,Import Team,,maybe,,,,", 3, "permanent_placement"),
        ("IMP-1,Cy,Dummy,2015-01-01,child_in_need,Import Team,,no,,,,", 3, "repeats line 2"),
        ("IMP-3,Cy,Dummy,2999-01-01,child_in_need,Import Team,,no,,,,", 3, "future"),
    ],
)
def test_a_bad_row_imports_nothing_and_names_its_line(import_world, bad_row, line, message):
    good = "IMP-1,Ada,Example,2015-03-01,looked_after,Import Team,,no,,,,import.worker"
    with pytest.raises(CsvImportError, match=message) as raised:
        import_children(_csv(good, bad_row, "IMP-4,Di,Example,2016-01-01,child_in_need,Import Team,,no,,,,"))
    db.session.rollback()
    assert raised.value.line == line
    assert _children_count() == 0


def test_missing_columns_are_reported(import_world):
    with pytest.raises(CsvImportError, match="missing column"):
        import_children(io.StringIO("case_number,first_name\nX,Y\n"))


def test_a_misspelt_column_is_named_not_skipped(import_world):
    """Its values would be lost without a word (here: the allocation to a worker)."""
    with pytest.raises(CsvImportError, match=r"line 1: unknown column\(s\): worker_usrname") as refused:
        import_children(
            io.StringIO(
                HEADER.replace("worker_username", "worker_usrname")
                + "IMP-9,Testa,Fictional,2015-01-01,looked_after,Import Team,,,,,,import.worker\n"
            )
        )
    assert "worker_username" in str(refused.value)  # the known names, so the fix is obvious
    assert _children_count() == 0


def test_cli_import_reports_line_and_leaves_store_untouched(app, import_world, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        HEADER + "IMP-1,Ada,Example,2015-03-01,looked_after,Import Team,,no,,,,\n"
        "IMP-2,Bo,Sample,not-a-date,child_in_need,Import Team,,no,,,,\n"
    )
    result = app.test_cli_runner().invoke(fieldapp_cli, ["children", "import", str(path)])
    assert result.exit_code != 0
    assert "line 3" in result.output and "nothing was imported" in result.output
    assert _children_count() == 0

    path.write_text(HEADER + "IMP-1,Ada,Example,2015-03-01,looked_after,Import Team,,no,,,,import.worker\n")
    result = app.test_cli_runner().invoke(fieldapp_cli, ["children", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output and _children_count() == 1


def test_cli_creates_a_user_with_password_from_stdin(app, make_team):
    make_team("CLI Team")
    result = app.test_cli_runner().invoke(
        fieldapp_cli,
        ["users", "create", "cli.manager", "--role", "manager", "--team", "CLI Team"],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "cli.manager"))
    assert user.role == Role.MANAGER and user.team.name == "CLI Team"
    assert user.check_password("a-long-enough-password")


def test_cli_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(fieldapp_cli, ["users", "create", "x", "--role", "worker"], input="short\n")
    assert result.exit_code != 0 and "at least 12" in result.output


def test_demo_loads_fictional_team_of_every_role(migrated_app, monkeypatch):
    app = migrated_app
    monkeypatch.setenv("FIELDAPP_DEMO_PASSWORD", "demo-password-for-tests")
    result = app.test_cli_runner().invoke(fieldapp_cli, ["demo"])
    assert result.exit_code == 0, result.output
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    children = db.session.scalars(select(Child)).all()
    assert 25 <= len(children) <= 40
    assert all(c.case_number.startswith("DEMO-") and "Example Street" in c.address for c in children)
    worker = db.session.scalar(select(User).where(User.username == "demo.worker"))
    assert worker.check_password("demo-password-for-tests")
    # Rerunning is safe: no duplicate children, passwords reset.
    again = app.test_cli_runner().invoke(fieldapp_cli, ["demo"])
    assert again.exit_code == 0 and "already present" in again.output
    assert db.session.scalar(select(func.count()).select_from(Child)) == len(children)
