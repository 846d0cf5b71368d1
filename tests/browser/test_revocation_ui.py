"""Revocation without loss and the child's drawing, in real Chromium (issue 11, part B).

A device holding an unfinished draft is revoked (the admin confirms on a page saying what the device holds); the
device seals the draft to the server before it wipes, even though it is locked; the wipe screen says what was kept
and removed; nothing readable is left; the sealed draft reaches the server when the worker signs in on the device
again, and the worker continues it on a new device. The drawing shows on the record page and never lands in a
cache."""

from __future__ import annotations

import base64
import json
import struct
import uuid
import zlib

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from fieldapp.extensions import db
from fieldapp.models import UnfinishedDraft
from sync.tables import records
from tests.browser.conftest import assert_accessible, wait_until
from tests.browser.shell_fixtures import (  # noqa: F401  (fixture)
    PANEL,
    PIN,
    back_home,
    dump_device_storage,
    enrol,
    fill_seen_alone,
    fill_visit,
    idb_rows,
    next_section,
    shell_server,
    sign_in_form,
    start_visit,
    visible,
)
from tests.browser.test_sync_client import body_for, fresh, wait_synced
from tests.record_cases import three_houses

pytestmark = pytest.mark.browser
MARKER = "MARKER-UNFINISHED-when-revoked"


def unfinished_rows(server) -> int:
    with server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(UnfinishedDraft))


def test_revoked_device_seals_its_unfinished_draft_and_the_worker_continues_on_a_new_device(
    shell_server,  # noqa: F811  (the fixture, imported)
    browser,
    context,
    page,
):
    server = shell_server
    enrol(page, server)
    wait_synced(page)
    start_visit(page)
    page.fill("#rf-visit-location", "Half-written visit (fictional)")
    next_section(page)
    next_section(page)
    page.fill("#rf-visit-observations", MARKER)
    back_home(page)
    fresh(page)
    page.click("#sync-now")  # the device reports what it holds (counts only)
    wait_synced(page)
    page.click("#lock-button")  # locked: the wipe must not wait for a PIN a thief does not know
    visible(page, "#screen-unlock")

    admin = browser.new_context()
    admin_page = admin.new_page()
    sign_in_form(admin_page, server.url, username="shell.admin")
    admin_page.goto(f"{server.url}/admin/devices/")
    admin_page.get_by_role("link", name="Revoke Test tablet").click()
    held = admin_page.text_content("#held-on-device")
    assert "2 unfinished drafts not yet finalized" in held and "0 finalized items" in held
    assert_accessible(admin_page, "revoke confirmation")
    admin_page.get_by_role("button", name="Yes, revoke Test tablet").click()
    admin_page.wait_for_selector("text=It will wipe its data on its next contact")
    admin.close()

    page.reload()  # the app asks the server about this device before anything is unlocked
    visible(page, "#screen-wiped")
    detail = page.text_content("#wiped-detail")
    assert "2 unfinished drafts sealed for the server, to continue on your next device" in detail
    assert "0 finalized records waiting to be delivered" in detail
    assert "records pulled from the server" in detail and "your caseload" in detail and "PIN key" in detail
    assert "could not" not in detail and "lost" not in detail
    expect(page.locator("#wiped-sealed")).to_contain_text("2 sealed items are waiting to be delivered")
    assert_accessible(page, "wipe screen")
    assert idb_rows(page, "drafts") == [] and idb_rows(page, "records") == []
    outbox = idb_rows(page, "outbox")
    assert [(row["kind"], row["state"]) for row in outbox] == [("unfinished_draft", "waiting")] * 2
    assert MARKER not in json.dumps(dump_device_storage(page))  # sealed: this device cannot read it any more
    assert unfinished_rows(server) == 0  # not yet delivered: the revoked device's session ended

    # The worker sets the device up again: the sealed drafts are delivered, kept aside (not as records).
    sign_in_form(page, server.url)
    page.wait_for_url("**/app")
    visible(page, "#screen-wiped")
    page.click("#setup-again")
    visible(page, "#screen-setpin")
    for field in ("#new-pin", "#confirm-pin"):
        page.fill(field, PIN)
    page.fill("#device-name", "Same tablet, set up again")
    page.click("#setpin-form button[type=submit]")
    visible(page, "#screen-home")
    wait_until(page, "() => document.getElementById('status-unsynced').textContent === '0 unsynced'")
    assert unfinished_rows(server) == 2
    with server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(records)) == 0

    # A new tablet: the handed-over drafts are offered, taken, and continued.
    other = browser.new_context(viewport={"width": 768, "height": 1024})
    new_page = other.new_page()
    new_page.set_default_timeout(15000)
    enrol(new_page, server, device_name="New tablet")
    visible(new_page, "#handover")
    expect(new_page.locator("#handover-list li")).to_have_count(2)
    assert_accessible(new_page, "handover offer")
    size = new_page.locator("#handover-take").bounding_box()
    assert size["width"] >= 44 and size["height"] >= 44
    new_page.click("#handover-take")
    new_page.wait_for_selector("#handover", state="hidden")
    new_page.click("#drafts-list button:has-text('Continue')")
    visible(new_page, "#screen-record")
    new_page.wait_for_selector(f"{PANEL} #rf-visit-form")
    next_section(new_page)
    next_section(new_page)
    expect(new_page.locator("#rf-visit-observations")).to_have_value(MARKER)
    back_home(new_page)
    new_page.click("#drafts-list button:has-text('Continue')")
    new_page.wait_for_selector(f"{PANEL} #rf-visit-form")
    fill_visit(new_page, "Finished on the new tablet (fictional)", f"{MARKER} and finished.")
    fill_seen_alone(new_page)
    fresh(new_page)
    new_page.click("#record-finalize")
    visible(new_page, "#screen-home")
    wait_synced(new_page)
    wait_until(new_page, "() => document.getElementById('status-unsynced').textContent === '0 unsynced'")
    with server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(records)) == 2
    other.close()


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_the_drawing_shows_on_the_record_and_is_never_cached(shell_server, page):  # noqa: F811
    server = shell_server
    enrol(page, server)
    wait_synced(page)
    photo = tiny_png()
    photo_id = str(uuid.uuid4())
    body = body_for(
        server.seeded.child_public_id,
        three_houses,
        drawing={"attachment_id": photo_id, "mime": "image/png", "size": len(photo)},
    )
    fresh(page)
    page.evaluate(
        """async ({body, photo}) => {
      const outbox = await import('/static/js/outbox.js');
      await outbox.addToOutbox({record_id: body.id, record_type: 'three_houses', schema_version: 1,
                                base_revision: 0, child_id: body.child_id, body, attachments: [photo]});
    }""",
        {
            "body": body,
            "photo": {
                "attachment_id": photo_id,
                "mime": "image/png",
                "size": len(photo),
                "data": base64.b64encode(photo).decode(),
            },
        },
    )
    wait_synced(page)
    for path in (f"/records/{body['id']}", f"/records/{body['id']}/print"):
        page.goto(server.url + path)
        image = page.get_by_role("img", name="Photo of the child's drawing, as the worker took it")
        image.wait_for()
        wait_until(
            page,
            "() => { const i = document.querySelector('img.record-photo');"
            " return i.complete && i.naturalWidth === 2; }",
        )
    assert_accessible(page, "printable record with the drawing")
    response = page.request.get(f"{server.url}/records/{body['id']}/attachments/{photo_id}")
    assert response.status == 200 and response.headers["cache-control"] == "no-store"
    cached = page.evaluate("""async () => {
      const urls = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
      }
      return urls;
    }""")
    assert cached and not [url for url in cached if "/attachments/" in url or "/records/" in url]


def test_revoked_while_typing_the_words_on_screen_are_sealed_before_the_wipe(shell_server, page):  # noqa: F811
    from fieldapp.devices.services import find_device, revoke_device
    from fieldapp.models import User
    from tests.browser.shell_fixtures import device_id

    server = shell_server
    enrol(page, server)
    wait_synced(page)
    start_visit(page)
    next_section(page)
    next_section(page)
    page.fill("#rf-visit-observations", f"{MARKER} typed just now")  # still in the editor, unlocked
    with server.app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "shell.admin"))
        revoke_device(find_device(device_id(page)), admin)
        db.session.commit()
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the next contact meets the 410
    visible(page, "#screen-wiped")
    expect(page.locator("#wiped-detail")).to_contain_text("2 unfinished drafts sealed for the server")
    assert MARKER not in json.dumps(dump_device_storage(page))
    expect(page.locator("#record-forms *")).to_have_count(0)
    # Only the server can open them, and they hold the very words on screen at the 410.
    from fieldapp.crypto.sealing import unseal

    with server.app.app_context():
        sealed = [json.loads(unseal(row["envelope"])) for row in idb_rows(page, "outbox")]
    assert {item["kind"] for item in sealed} == {"unfinished_draft"}
    assert [item["draft"]["body"].get("observations") for item in sealed if item["record_type"] == "visit"] == [
        f"{MARKER} typed just now"
    ]
