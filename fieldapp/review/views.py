"""Child timelines, record pages (and their printed form), past revisions, manager sign-off."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from sync.states import REVIEWABLE, ReviewState

from .. import audit
from ..access import child_or_404, roles_required
from ..extensions import db
from ..models import ReviewDecision, Role
from ..records.store import read_body, record_cipher
from . import bp
from .attachment_views import record_images
from .display import RecordDisplay, long_date
from .forms import ReviewForm
from .queries import (
    record_bodies,
    reviews_of,
    revision_row,
    revisions_of,
    team_records_in_state,
    timeline,
    visible_record,
)
from .services import ReviewRefused, review_comment, review_record
from .trend import ratings_trend


@bp.app_template_filter("long_date")
def _long_date(value) -> str:
    return long_date(value) if value else "No date"


@bp.get("/children/<public_id>/records")
@login_required  # the access query decides; a refusal is a 404 plus an audit event
def child_timeline(public_id: str):
    child = child_or_404(public_id)
    entries = timeline(child)
    titles = {entry.record_type: RecordDisplay(entry.record_type).title for entry in entries}
    trend = ratings_trend(record_bodies(child, "safety_rating"))
    audit.record("view_timeline", child_public_id=child.public_id, detail=f"{len(entries)} records listed")
    return render_template("review/timeline.html", child=child, entries=entries, titles=titles, trend=trend)


def _record_or_404(record_id: str):
    found = visible_record(current_user, record_id)
    if found is None:
        audit.record_now("view_denied", detail=f"record {record_id[:36]}")
        abort(404, "No record here that you have access to.")
    return found


def _can_review(found) -> bool:
    return current_user.role == Role.MANAGER and found.row.review_state in REVIEWABLE


def _record_page(found, form: ReviewForm | None = None, status: int = 200):
    display = RecordDisplay(found.row.record_type)
    reviews = [(review, review_comment(review)) for review in reviews_of(found.row.id)]
    if form is None and _can_review(found):
        form = ReviewForm(revision=str(found.row.revision))
    body = read_body(found.row)
    return render_template(
        "review/record.html",
        found=found,
        display=display,
        body=body,
        sections=display.sections(body),
        images=record_images(found.row, body),
        reviews=reviews,
        revisions=revisions_of(found.row.id),
        form=form if _can_review(found) else None,
    ), status


@bp.get("/records/<record_id>")
@login_required
def record(record_id: str):
    found = _record_or_404(record_id)
    audit.record(
        "view_record",
        child_public_id=found.child.public_id,
        detail=f"{found.row.record_type} {found.row.id} version {found.row.revision}",
    )
    return _record_page(found)


@bp.get("/records/<record_id>/print")
@login_required
def print_record(record_id: str):
    found = _record_or_404(record_id)
    display = RecordDisplay(found.row.record_type)
    body = read_body(found.row)
    audit.record(
        "print_record",
        child_public_id=found.child.public_id,
        detail=f"{found.row.record_type} {found.row.id} version {found.row.revision}",
    )
    reviews = [(review, review_comment(review)) for review in reviews_of(found.row.id)]
    return render_template(
        "review/print.html",
        found=found,
        display=display,
        sections=display.sections(body),
        images=record_images(found.row, body),
        reviews=reviews,
        printed_on=date.today(),
    )


@bp.get("/records/<record_id>/versions/<int:revision>")
@login_required
def record_revision(record_id: str, revision: int):
    found = _record_or_404(record_id)
    row = revision_row(found.row.id, revision)
    if row is None:
        abort(404, f"This record has no version {revision}.")
    body = record_cipher().decrypt(row.body_key_id, row.body, f"{row.record_id}:{row.revision}")
    display = RecordDisplay(found.row.record_type)
    audit.record(
        "view_record",
        child_public_id=found.child.public_id,
        detail=f"{found.row.record_type} {found.row.id} past version {revision}",
    )
    return render_template(
        "review/revision.html", found=found, display=display, version=row, sections=display.sections(body)
    )


@bp.post("/records/<record_id>/review")
@roles_required(Role.MANAGER)
def review(record_id: str):
    found = _record_or_404(record_id)
    form = ReviewForm()
    if not form.validate() or not (form.sign_off.data or form.return_record.data):
        abort(400, "Choose to sign off or return the record, with a comment of at most 5,000 characters.")
    decision = ReviewDecision.SIGNED_OFF if form.sign_off.data else ReviewDecision.RETURNED
    try:
        revision = int(form.revision.data or "")
    except ValueError:
        abort(400, "The form did not say which version of the record you read.")
    try:
        review_record(current_user, found.row, found.child, revision, decision, form.comment.data)
    except ReviewRefused as refusal:
        db.session.rollback()
        form.comment.errors = [str(refusal)]
        found = _record_or_404(record_id)
        return _record_page(found, form, status=409 if "changed" in str(refusal) else 200)
    flash(
        "Record signed off."
        if decision == ReviewDecision.SIGNED_OFF
        else "Record returned to the worker with your reason.",
        "success",
    )
    return redirect(url_for("review.awaiting_signoff"))


@bp.get("/review/awaiting")
@roles_required(Role.MANAGER)
def awaiting_signoff():
    waiting = team_records_in_state(current_user, ReviewState.SUBMITTED)
    returned = team_records_in_state(current_user, ReviewState.RETURNED)
    titles = {row.record_type: RecordDisplay(row.record_type).title for row in waiting + returned}
    audit.record("view_awaiting_signoff", detail=f"{len(waiting)} awaiting, {len(returned)} returned")
    return render_template("review/awaiting.html", waiting=waiting, returned=returned, titles=titles)
