"""The archival PDF download on a record page, and the admins' dead-letter list of parked deliveries."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import audit
from ..access import roles_required
from ..models import Role
from ..review.queries import visible_record
from . import bp, queue
from .document import NotSignedOff, latest_signed_off_revision, load_signed_off
from .pdf import PdfUnavailable, archival_pdf


@bp.get("/records/<record_id>/archive.pdf")
@login_required
def record_pdf(record_id: str):
    """The archival PDF of the latest signed-off version, for those who may read the record; audited."""
    found = visible_record(current_user, record_id)
    if found is None:
        audit.record_now("view_denied", detail=f"record {record_id[:36]}")
        abort(404, "No record here that you have access to.")
    revision = latest_signed_off_revision(found.row.id)
    if revision is None:
        abort(409, "This record has no signed-off version yet: the archival PDF is made at sign-off.")
    try:
        pdf = archival_pdf(load_signed_off(found.row.id, revision))
    except NotSignedOff:
        abort(409, "This record has no signed-off version yet.")
    except PdfUnavailable as missing:
        abort(503, str(missing))
    audit.record(
        "download_record_pdf",
        child_public_id=found.child.public_id,
        detail=f"{found.row.record_type} {found.row.id} version {revision}",
    )
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="record-{found.row.id}-v{revision}.pdf"'
    return response


@bp.get("/admin/deliveries")
@roles_required(Role.ADMIN)
def dead_letters():
    return render_template("delivery/dead_letters.html", parked=queue.parked_jobs(), counts=queue.queue_counts())


@bp.post("/admin/deliveries/<int:job_id>/retry")
@roles_required(Role.ADMIN)
def retry(job_id: int):
    job = queue.retry_parked(job_id)
    if job is None:
        abort(404, "No parked delivery with that number.")
    audit.record(
        "delivery_retried",
        detail=f"export job {job.id} record {job.record_id} version {job.revision} to {job.destination}",
    )
    flash(f"Delivery {job.id} will be tried again now.", "success")
    return redirect(url_for("delivery.dead_letters"))


@bp.app_template_global()
def export_jobs_for(record_id: str):
    """Where each signed-off version of a record was delivered (the record page shows it)."""
    return queue.jobs_for_record(record_id)


@bp.app_template_global()
def export_counts_for(user):
    """Deliveries waiting, delivered and parked: a manager's team, or the whole service for an admin."""
    from sqlalchemy import select

    from sync.tables import records

    from ..models import Child

    if user.role == Role.ADMIN:
        return queue.queue_counts()
    team_records = select(records.c.id).join(Child, Child.id == records.c.child_id).where(Child.team_id == user.team_id)
    return queue.queue_counts(team_records)
