"""`fieldapp records`: maintenance of the central record store."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select, update

from sync.tables import records

from ..extensions import db
from ..models import Child
from ..records import visit_facts
from ..records.facts import record_facts
from ..records.store import read_body


@click.group("records")
def records_group():
    """Maintenance of the central record store."""


@records_group.command("refresh-facts")
@with_appcontext
def refresh_facts_command():
    """Re-derive the clear seen-alone columns of seen_alone records stored before migration 0007."""
    rows = db.session.execute(
        select(records).where(records.c.record_type == "seen_alone", records.c.seen_alone.is_(None))
    ).all()
    for row in rows:
        facts = record_facts(row.record_type, read_body(row))
        db.session.execute(
            update(records)
            .where(records.c.id == row.id, records.c.revision == row.revision)
            .values(seen_alone=facts["seen_alone"], visit_id=facts["visit_id"])
        )
    db.session.commit()
    click.echo(f"refreshed {len(rows)} seen-alone record(s)")


@records_group.command("refresh-visit-facts")
@with_appcontext
def refresh_visit_facts_command():
    """Recompute every child's kept visit facts (after a change to the visit rules or bank holidays)."""
    ids = list(db.session.scalars(select(Child.id).order_by(Child.id)))
    for start in range(0, len(ids), 1000):
        visit_facts.refresh(db.session, ids[start : start + 1000])
    db.session.commit()
    click.echo(f"refreshed the visit facts of {len(ids)} child(ren)")
