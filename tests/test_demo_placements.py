"""Demo data is plausible: no child is placed before they were born."""

from __future__ import annotations

from sqlalchemy import select

from fieldapp.cli import main as fieldapp_cli
from fieldapp.extensions import db
from fieldapp.models import Child


def test_demo_placements_never_start_before_birth(migrated_app, monkeypatch):
    monkeypatch.setenv("FIELDAPP_DEMO_PASSWORD", "demo-password-for-tests")
    result = migrated_app.test_cli_runner().invoke(fieldapp_cli, ["demo"])
    assert result.exit_code == 0, result.output
    placed = [c for c in db.session.scalars(select(Child)) if c.placement_start is not None]
    assert placed
    early = [(c.case_number, c.date_of_birth, c.placement_start) for c in placed if c.placement_start < c.date_of_birth]
    assert early == []
