"""Tables the sync engine owns, on the metadata the whole application shares.

The engine uses SQLAlchemy Core only, so it runs with any Session or Connection and never imports
Flask. The app's models live on this same MetaData so one migration history covers everything.
Tables the engine only reads (children, allocations) are referenced by name.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    column,
    table,
)

from .types import UTCDateTime

# Named constraints: migrations are reproducible on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)

# The current state of each record. Bodies are AES-GCM ciphertext; what queries need stays in clear.
records = Table(
    "records",
    metadata,
    Column("id", String(36), primary_key=True),  # generated on the device
    Column("child_id", Integer, ForeignKey("children.id"), nullable=False),
    Column("record_type", String(40), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("author_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("occurred_on", String(10)),  # ISO date the record is about (visit date), for timelines and due dates
    Column("child_seen", Integer),  # 1/0 for visits: only seen visits count towards statutory due dates
    # seen_alone records only: the answer (1/0) and the visit it belongs to, so managers' seen-alone rates
    # are one SQL join rather than decrypting every body.
    Column("seen_alone", Integer),
    Column("visit_id", String(36)),
    Column("conflict_state", String(8), nullable=False, default="none"),  # none | soft | hard
    Column("review_state", String(16), nullable=False, default="submitted"),  # submitted | signed_off | returned
    Column("body_key_id", String(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Index("ix_records_child_type", "child_id", "record_type", "occurred_on"),
    Index("ix_records_visit_id", "visit_id"),
)

# Every revision ever stored: nothing a worker wrote is lost, whatever a merge or resolution chose.
record_revisions = Table(
    "record_revisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("record_id", String(36), ForeignKey("records.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # device | merge | resolution | amendment
    Column("author_id", Integer, ForeignKey("users.id")),
    Column("device_id", String(64)),
    Column("op_id", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("body_key_id", String(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    UniqueConstraint("record_id", "revision", name="uq_record_revisions_record_revision"),
)

# One row per op ever received: the unique op id is what makes a replay a no-op.
sync_ops = Table(
    "sync_ops",
    metadata,
    Column("op_id", String(64), primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("device_seq", BigInteger, nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("author_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("result", JSON, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_sync_ops_device_seq", "device_id", "device_seq"),
)

# A device version that could not be applied as it stood, kept whole until someone resolves it.
conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("record_id", String(36), ForeignKey("records.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # soft | hard
    Column("state", String(12), nullable=False, default="open"),  # open | resolved
    Column("base_revision", Integer, nullable=False),
    Column("server_revision", Integer, nullable=False),
    Column("result_revision", Integer),  # soft: the merged revision it produced
    Column("fields", JSON, nullable=False),  # hard: the fields changed on both sides; soft: those merged in
    Column("op_id", String(64), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("author_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("body_key_id", String(32), nullable=False),
    Column("device_body", LargeBinary, nullable=False),
    Column("resolved_by_id", Integer, ForeignKey("users.id")),
    Column("resolved_at", UTCDateTime),
    Column("resolution", JSON),
    Index("ix_conflicts_state_created", "state", "created_at"),
)

# Photos that travel sealed with a record (e.g. a child's Three Houses drawing), encrypted like bodies.
record_attachments = Table(
    "record_attachments",
    metadata,
    Column("id", String(36), primary_key=True),  # the attachment id the record body refers to
    Column("record_id", String(36), ForeignKey("records.id"), nullable=False, index=True),
    Column("mime", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("body_key_id", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# Pull cursor: seq numbers are handed out under a row lock at the end of each writing transaction,
# so they become visible in commit order and a reader can never skip a change that commits late.
change_log = Table(
    "change_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("record_id", String(36), nullable=False),
    Column("child_id", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Index("ix_change_log_child_seq", "child_id", "seq"),
)
sync_counter = Table(
    "sync_counter",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Read-only views of application tables (owned by fieldapp; referenced lightly to stay framework-free).
children_ref = table("children", column("id"), column("public_id"), column("team_id"))
allocations_ref = table("allocations", column("child_id"), column("worker_id"), column("ended_at"))

__all__ = [
    "metadata",
    "records",
    "record_revisions",
    "record_attachments",
    "sync_ops",
    "conflicts",
    "change_log",
    "sync_counter",
    "children_ref",
    "allocations_ref",
]
