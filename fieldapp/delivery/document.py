"""What a delivery carries: one signed-off version of a record, as the council's case record should file it.

Built from the revision that was signed off (never a later edit), with the council's labels and wording from
the record type's definition, the sign-off, and the record's attachments by reference (id, type, size, SHA-256).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import select

from sync.tables import record_attachments, record_revisions, records

from ..extensions import db
from ..models import Child, ExportJob, RecordReview, ReviewDecision, User
from ..records.store import record_cipher
from ..review.display import RecordDisplay, Shown

DOCUMENT_VERSION = 1


@dataclass
class SignedOffRecord:
    """Everything a delivery needs about one signed-off version, decrypted once."""

    record_id: str
    revision: int
    delivery_id: str | None  # None for a download from the record page (not a delivery)
    record: object  # the records row (clear columns)
    body: dict
    child: Child
    author: User | None
    review: RecordReview
    review_comment: str
    attachments: list[dict]  # {id, mime, size, sha256, data: bytes}

    @property
    def display(self) -> RecordDisplay:
        return RecordDisplay(self.record.record_type)

    def as_page(self) -> SimpleNamespace:
        """The shape the record templates' macros read (`found.row`, `found.child`, `found.author`)."""
        row = SimpleNamespace(
            id=self.record.id,
            revision=self.revision,
            occurred_on=self.record.occurred_on,
            created_at=self.record.created_at,
            updated_at=self.review.at,
        )
        return SimpleNamespace(row=row, child=self.child, author=self.author)


class NotSignedOff(LookupError):
    """That version of the record has no sign-off (only signed-off versions are delivered or archived)."""


def load_job(job: ExportJob) -> SignedOffRecord:
    return load_signed_off(job.record_id, job.revision, job.delivery_id)


def latest_signed_off_revision(record_id: str) -> int | None:
    return db.session.scalar(
        select(RecordReview.revision)
        .where(RecordReview.record_id == record_id, RecordReview.decision == ReviewDecision.SIGNED_OFF)
        .order_by(RecordReview.revision.desc())
        .limit(1)
    )


def load_signed_off(record_id: str, revision: int, delivery_id: str | None = None) -> SignedOffRecord:
    """One signed-off version with its body, sign-off and attachments (decrypted in this process only)."""
    review = db.session.scalars(
        select(RecordReview)
        .where(
            RecordReview.record_id == record_id,
            RecordReview.revision == revision,
            RecordReview.decision == ReviewDecision.SIGNED_OFF,
        )
        .order_by(RecordReview.at.desc())
    ).first()
    if review is None:
        raise NotSignedOff(f"version {revision} of the record is not signed off")
    cipher = record_cipher()
    record = db.session.execute(select(records).where(records.c.id == record_id)).one()
    version = db.session.execute(
        select(record_revisions).where(
            record_revisions.c.record_id == record_id, record_revisions.c.revision == revision
        )
    ).one()
    body = cipher.decrypt(version.body_key_id, version.body, f"{version.record_id}:{version.revision}")
    from ..review.services import review_comment  # review imports this package's queue: import here, not above

    attachments = []
    for row in db.session.execute(select(record_attachments).where(record_attachments.c.record_id == record_id)):
        if row.id not in _attachment_ids(body):
            continue  # a photo replaced by a later version is not part of this one
        data = cipher.decrypt_bytes(row.body_key_id, row.data, f"attachment:{row.id}")
        attachments.append(
            {"id": row.id, "mime": row.mime, "size": row.size, "sha256": hashlib.sha256(data).hexdigest(), "data": data}
        )
    return SignedOffRecord(
        record_id=record_id,
        revision=revision,
        delivery_id=delivery_id,
        record=record,
        body=body,
        child=db.session.get(Child, record.child_id),
        author=db.session.get(User, record.author_id),
        review=review,
        review_comment=review_comment(review),
        attachments=attachments,
    )


def _attachment_ids(body: dict) -> set[str]:
    return {
        value["attachment_id"]
        for value in body.values()
        if isinstance(value, dict) and isinstance(value.get("attachment_id"), str)
    }


def delivery_document(signed: SignedOffRecord) -> dict:
    """The JSON document a destination receives (documented in docs/delivery.md)."""
    display = signed.display
    fields = []
    for section in display.sections(signed.body):
        for key, label, shown in section.fields:
            fields.append(
                {
                    "section": section.title,
                    "key": key,
                    "label": label,
                    "value": signed.body[key],
                    "text": _as_text(shown),
                }
            )
    return {
        "document_version": DOCUMENT_VERSION,
        "delivery_id": signed.delivery_id,
        "record": {
            "id": signed.record.id,
            "revision": signed.revision,
            "record_type": signed.record.record_type,
            "title": display.title,
            "schema_version": signed.body.get("schema_version"),
            "occurred_on": signed.record.occurred_on,
            "received_at": signed.record.created_at.isoformat(),
        },
        "child": {"case_number": signed.child.case_number},
        "author": _person(signed.author),
        "signed_off": {
            "by": _person(signed.review.manager),
            "at": signed.review.at.isoformat(),
            "comment": signed.review_comment,
        },
        "fields": fields,
        "attachments": [{key: item[key] for key in ("id", "mime", "size", "sha256")} for item in signed.attachments],
    }


def _person(user: User | None) -> dict | None:
    return {"username": user.username, "name": user.display_name} if user else None


def _as_text(shown: Shown) -> str:
    """A displayed value as plain text (what a case system without structured fields files)."""
    if shown.items:
        return "\n".join(
            f"{shown.item_label} {number}: " + "; ".join(f"{label}: {_as_text(part)}" for label, part in item)
            for number, item in enumerate(shown.items, start=1)
        )
    if shown.pairs:
        return "; ".join(f"{label}: {_as_text(part)}" for label, part in shown.pairs)
    return shown.text or ""
