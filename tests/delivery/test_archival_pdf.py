"""The archival PDF read back: every field's value, the embedded drawing, the sign-off, page numbers, PDF/A; the
download on the record page is access-checked and audited; the folder drop only ever shows whole files."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from fieldapp.delivery.document import load_signed_off
from fieldapp.delivery.pdf import archival_pdf
from fieldapp.delivery.worker import deliver_due
from fieldapp.extensions import db
from fieldapp.models import AuditEvent, ExportJob, ExportState, Role
from fieldapp.review.display import RecordDisplay
from tests.conftest import login, require
from tests.delivery.helpers import DRAWING_PNG, signed_off_drawing, signed_off_visit
from tests.record_cases import statutory_visit
from tests.review.helpers import team_with_child


def weasyprint_works() -> bool:
    try:
        import weasyprint  # noqa: F401
    except OSError:
        return False
    return True


@pytest.fixture
def people(make_team, make_user, make_child):
    require(weasyprint_works(), "WeasyPrint needs Pango (Debian: libpango-1.0-0)")
    return team_with_child(make_team, make_user, make_child)


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.split())


def test_the_pdf_holds_every_field_value_the_sign_off_and_page_numbers(people, make_record):
    record_id = signed_off_visit(make_record, people, observations="Kitchen clean; Sam showed me his room.")
    signed = load_signed_off(record_id, 1)
    reader, text = pdf_text(archival_pdf(signed))
    for section in RecordDisplay("visit").sections(signed.body):
        for _key, label, shown in section.fields:
            assert label in text
            if shown.text:
                assert " ".join(shown.text.split()) in text, (label, shown.text)
    assert "Kitchen clean; Sam showed me his room." in text
    assert f"Signed off by {people.manager.display_name}" in text
    assert "Good record; actions agreed." in text
    assert f"Page 1 of {len(reader.pages)}" in text
    assert people.child.case_number in text
    assert b"pdfaid:part" in reader.xmp_metadata.stream.get_data()  # declared PDF/A


def test_the_childs_drawing_is_embedded(people, make_record):
    record_id = signed_off_drawing(make_record, people)
    reader, _ = pdf_text(archival_pdf(load_signed_off(record_id, 1)))
    images = [image for page in reader.pages for image in page.images]
    assert images, "no image embedded"
    from PIL import Image

    original = Image.open(io.BytesIO(DRAWING_PNG))
    assert any(image.image.size == original.size for image in images)


def test_the_record_page_offers_the_pdf_to_those_who_may_read_it_and_audits_it(
    people, make_record, client, make_team, make_user
):
    record_id = signed_off_visit(make_record, people)
    login(client, people.worker)
    page = client.get(f"/records/{record_id}").get_data(as_text=True)
    assert f"/records/{record_id}/archive.pdf" in page
    response = client.get(f"/records/{record_id}/archive.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"].startswith("no-store")
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "download_record_pdf")).all()
    outsider = make_user(Role.WORKER, make_team())
    client.post("/logout")
    login(client, outsider)
    assert client.get(f"/records/{record_id}/archive.pdf").status_code == 404


def test_an_unsigned_record_has_no_archival_pdf(people, make_record, client):
    result = make_record(people.child, people.worker, statutory_visit())
    login(client, people.manager)
    response = client.get(f"/records/{result.record_id}/archive.pdf")
    assert response.status_code == 409 and b"signed-off" in response.data


def test_a_reader_polling_the_drop_folder_never_sees_a_partial_file(app, people, make_record, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    app.config.update(DELIVERY_FOLDER=str(drop), DELIVERY_WEBHOOK_URL=None)
    record_ids = [signed_off_visit(make_record, people) for _ in range(12)]
    seen, problems, stop = set(), [], threading.Event()

    def poll():
        while not stop.is_set():
            for path in Path(drop).iterdir():
                if path.name.startswith("."):
                    continue  # the writer's temp files: dot names, as integration engines skip them
                data = path.read_bytes()
                seen.add(path.name)
                if path.suffix == ".json":
                    try:
                        json.loads(data)
                    except ValueError:
                        problems.append(path.name)
                elif not (data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")):
                    problems.append(path.name)

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        assert deliver_due() == 12
    finally:
        time.sleep(0.05)
        stop.set()
        reader.join()
    assert problems == []
    assert {f"fieldapp-{record_id}-v1.{ext}" for record_id in record_ids for ext in ("json", "pdf")} == {
        path.name for path in drop.iterdir()
    }
    assert seen  # the reader really was reading while files arrived
    assert db.session.scalars(select(ExportJob.state)).all() == [ExportState.DELIVERED] * 12
