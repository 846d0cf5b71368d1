"""Per child, the visit facts the oversight dashboard reads: kept on write, never recomputed from history per request.

A row says: the latest seen statutory visit on record (any date), how many of the latest seen visits in a row
were not seen alone, and the next statutory visit due as the
rules table computes it from that visit and the child's details copied beside it (legal status, placement
start, permanent placement, child-protection interval). Those copies let a reader see that a row is stale
(the child's details changed since) with a plain comparison, and refresh only that row.

Beside it, one row per seen statutory visit with its seen-alone answer (seen_visit_facts), written by the same
refresh: a seen-alone rate over a period reads the visits dated in it, not a join of every visit to its answers.
The records table belongs to the sync engine; the indexes the oversight queries need on it are declared here.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table

from sync.tables import records

from ..extensions import db

child_visit_facts = Table(
    "child_visit_facts",
    db.metadata,
    Column("child_id", Integer, ForeignKey("children.id"), primary_key=True),
    Column("last_seen_on", String(10)),  # ISO date of the latest seen statutory visit (may be after today)
    Column("due_on", String(10)),  # ISO date the next visit is due; NULL: nothing to count from (visit now)
    Column("due_rule", String(64), nullable=False),
    # Seen statutory visits on record, and how many of the latest of them in a row have no "seen alone" answer
    # of yes: "not seen alone in the last N visits" is then a comparison, whatever N and the history.
    Column("seen_visits", Integer, nullable=False, server_default="0"),
    Column("not_alone_streak", Integer, nullable=False, server_default="0"),
    # The child's details the due date was computed from; a row that differs from the child's is stale.
    Column("legal_status", String(32), nullable=False),
    Column("placement_start", Date),
    Column("permanent_placement", Boolean, nullable=False),
    Column("cp_visit_interval_working_days", Integer),
    Index("ix_child_visit_facts_due_on", "due_on"),
)

seen_visit_facts = Table(
    "seen_visit_facts",
    db.metadata,
    Column("visit_id", String(36), primary_key=True),  # records.id of the visit (not a foreign key: sync owns it)
    Column("child_id", Integer, ForeignKey("children.id"), nullable=False, index=True),
    Column("author_id", Integer, ForeignKey("users.id"), nullable=False),  # the visiting worker is credited
    Column("occurred_on", String(10)),  # ISO visit date
    Column("alone", Integer),  # 1/0 from its seen-alone record(s), alone if any says so; NULL: none arrived yet
    Index("ix_seen_visit_facts_occurred_on", "occurred_on"),
)

# Records waiting for sign-off in the order the queue lists them (id breaks ties), so the dashboard reads the front
# of it; child and author ride along so the per-author summary reads the index alone (no visit to the table).
Index(
    "ix_records_review_state_updated",
    records.c.review_state,
    records.c.updated_at,
    records.c.id,
    records.c.child_id,
    records.c.author_id,
)
