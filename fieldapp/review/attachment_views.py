"""The child's drawing (a Three Houses photo) for the people who may see its record: access-checked, audited, and
never kept in a browser or service-worker cache."""

from __future__ import annotations

from flask import Response, abort, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from sync.tables import record_attachments

from .. import audit
from ..extensions import db
from ..records.attachments import ATTACHMENT_FIELDS
from ..records.store import record_cipher
from . import bp
from .queries import visible_record


def record_images(row, body: dict) -> dict[str, dict]:
    """{field key: {url, alt}} for the record's photo fields, so its page, sign-off and print show the picture."""
    field = ATTACHMENT_FIELDS.get(row.record_type)
    reference = body.get(field) if field else None
    if not isinstance(reference, dict) or not isinstance(reference.get("attachment_id"), str):
        return {}
    stored = db_has_attachment(row.id, reference["attachment_id"])
    return {
        field: {
            "url": url_for("review.record_attachment", record_id=row.id, attachment_id=reference["attachment_id"])
            if stored
            else None,
            "alt": "Photo of the child's drawing, as the worker took it",
        }
    }


def db_has_attachment(record_id: str, attachment_id: str) -> bool:
    return (
        db.session.execute(
            select(record_attachments.c.id).where(
                record_attachments.c.id == attachment_id[:36], record_attachments.c.record_id == record_id
            )
        ).first()
        is not None
    )


@bp.get("/records/<record_id>/attachments/<attachment_id>")
@login_required
def record_attachment(record_id: str, attachment_id: str):
    found = visible_record(current_user, record_id)
    if found is None:
        audit.record_now("view_denied", detail=f"attachment {attachment_id[:36]} of record {record_id[:36]}")
        abort(404, "No record here that you have access to.")
    row = db.session.execute(
        select(record_attachments).where(
            record_attachments.c.id == attachment_id[:36], record_attachments.c.record_id == found.row.id
        )
    ).first()
    if row is None:
        abort(404, "This record has no such photo.")
    data = record_cipher().decrypt_bytes(row.body_key_id, row.data, f"attachment:{row.id}")
    audit.record(
        "view_attachment",
        child_public_id=found.child.public_id,
        detail=f"{found.row.record_type} {found.row.id} photo {row.id}",
    )
    response = Response(data, mimetype=row.mime)
    # A child's picture must not stay behind on a shared or lost machine: not in the HTTP cache, and the
    # service worker never caches anything outside the app shell (templates/shell/sw.js).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
