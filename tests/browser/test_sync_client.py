"""The device side of sync in a real Chromium against the live server (docs/sync-protocol.md).

Records are sealed with the app's own outbox.js (the recording UI does the same once its forms finalize);
everything after that — triggers, push, per-item states, pull, purge, notices — is the shipped sync code
talking to the real /api/sync endpoints.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import func, select

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import Child, Role, User
from sync.tables import records, sync_ops
from tests.browser.conftest import wait_until
from tests.browser.shell_fixtures import (  # noqa: F401  (fixture)
    CHILD_MARKER,
    dump_device_storage,
    enrol,
    idb_rows,
    shell_server,
    visible,
)
from tests.conftest import PASSWORD
from tests.record_cases import sos_map, statutory_visit

pytestmark = pytest.mark.browser

SEAL_JS = """async ({records}) => {
  const outbox = await import("/static/js/outbox.js");
  const out = [];
  for (const body of records) {
    const op = {record_id: body.id, record_type: body.record_type, schema_version: body.schema_version,
                base_revision: 0, child_id: body.child_id, body};
    out.push(await outbox.addToOutbox(op));
  }
  return out;
}"""


def body_for(child_id: str, make=sos_map, **changes) -> dict:
    record_id = str(uuid.uuid4())
    return {**make(), "id": record_id, "child_id": child_id, **changes}


def recent_visit(child_id: str, **changes) -> dict:
    """A statutory visit dated today: inside the pull window, so it comes back to the device by pull (a visit from
    before the window stays on the server until asked for: test_older_records.py)."""
    today = date.today().isoformat()
    return body_for(child_id, statutory_visit, visit_date=today, planned_date=today, **changes)


def seal(page, bodies: list[dict]) -> list[dict]:
    return page.evaluate(SEAL_JS, {"records": bodies})


def unsynced(page) -> str:
    return page.text_content("#status-unsynced")


def fresh(page):
    """Forget the last sync's status line, so wait_synced waits for the next one."""
    page.evaluate("document.getElementById('sync-status').textContent = ''")


def wait_synced(page, timeout=30000):
    wait_until(page, "() => document.getElementById('sync-status').textContent.includes('Up to date')", timeout=timeout)


def watch(page):
    """Record every value the progress bar and the unsynced pill take, from now on."""
    page.evaluate("""() => {
      window.__seen = {progress: [], unsynced: []};
      const bar = document.getElementById('sync-progress');
      const pill = document.getElementById('status-unsynced');
      new MutationObserver(() => window.__seen.progress.push([bar.value, bar.max]))
        .observe(bar, {attributes: true, attributeFilter: ['value', 'max']});
      new MutationObserver(() => window.__seen.unsynced.push(pill.textContent))
        .observe(pill, {childList: true, characterData: true, subtree: true});
    }""")


def seen(page) -> dict:
    return page.evaluate("window.__seen")


def stored(app, table=records) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(table))


def ready(page, server):
    enrol(page, server)
    wait_synced(page)


def test_items_sealed_offline_are_sent_when_back_online(shell_server, context, page):  # noqa: F811
    server = shell_server
    ready(page, server)
    context.set_offline(True)
    page.wait_for_selector("#status-network[data-state=offline]")
    child = server.seeded.child_public_id
    bodies = [body_for(child) for _ in range(3)] + [recent_visit(child)]
    sealed = seal(page, bodies)
    wait_until(page, "() => document.getElementById('status-unsynced').textContent === '4 unsynced'")
    page.click("#sync-now")  # offline: nothing is sent, nothing is lost
    assert unsynced(page) == "4 unsynced"
    rows = idb_rows(page, "outbox")
    assert {row["state"] for row in rows} == {"waiting"}
    assert sorted(row["opId"] for row in rows) == sorted(item["opId"] for item in sealed)
    assert all(set(row) >= {"envelope", "recordId", "recordType", "sealedAt"} for row in rows)
    assert not any(CHILD_MARKER in json.dumps(row) for row in rows)
    assert stored(server.app) == 0

    watch(page)
    context.set_offline(False)
    wait_until(page, "() => document.getElementById('status-unsynced').textContent === '0 unsynced'")
    wait_synced(page)
    observed = seen(page)
    values = [value for value, _ in observed["progress"]]
    assert values[0] == 0 and values[-1] == 4 and len(set(values)) >= 3, observed  # it moved, item by item
    assert page.get_attribute("#sync-progress", "max") == "4"
    assert page.text_content("#sync-progress-label") == "Sending 4 of 4"
    counts = [int(text.split()[0]) for text in observed["unsynced"]]
    assert counts == sorted(counts, reverse=True) and counts[-1] == 0, observed
    assert idb_rows(page, "outbox") == []
    with server.app.app_context():
        ids = set(db.session.scalars(select(records.c.id)))
    assert ids == {body["id"] for body in bodies}
    # Pulled back and kept encrypted on the device.
    pulled = [row for row in idb_rows(page, "records") if row["id"].startswith("record:")]
    assert {row["id"] for row in pulled} == {f"record:{body['id']}" for body in bodies}
    assert all(set(row) == {"id", "v", "iv", "ct"} for row in pulled)


def test_a_record_the_server_rejects_comes_back_as_a_draft_with_its_errors(shell_server, page):  # noqa: F811
    server = shell_server
    ready(page, server)
    bad = body_for(server.seeded.child_public_id, statutory_visit)
    bad.pop("child_seen")
    bad["observations"] = "Fictional MARKER-REJECTED text"
    good = body_for(server.seeded.child_public_id)
    fresh(page)
    seal(page, [bad, good])
    wait_synced(page)
    wait_until(page, "() => document.getElementById('status-unsynced').textContent === '0 unsynced'")
    assert stored(server.app) == 1
    item = page.locator("#outbox-list li[data-state=returned-as-draft]")
    expect(item).to_have_count(1)
    assert "back in your drafts" in item.text_content()
    assert "schema" in item.locator(".reason").text_content()
    draft_item = page.locator("#drafts-list li.item-error")
    assert "The server could not accept this yet" in draft_item.text_content()  # the recording UI's drafts list
    assert "Select whether the child was seen" in draft_item.locator(".server-errors").text_content()
    # (The draft's sealed copy for revocation, state "held", is never sent: revocation.js.)
    [tombstone] = [row for row in idb_rows(page, "outbox") if row["state"] != "held"]
    assert "envelope" not in tombstone and {"path": "/child_seen"} in tombstone["errors"]
    draft = page.evaluate("async (id) => (await import('/static/js/store.js')).getDraft(id)", tombstone["draftId"])
    assert draft["body"]["observations"] == "Fictional MARKER-REJECTED text"
    assert draft["recordId"] == bad["id"] and draft["kind"] == "record" and draft["recordType"] == "visit"
    assert "/child_seen" in [error["path"] for error in draft["errors"]] and draft["rejectedCode"] == "invalid"
    # Encrypted at rest: the text is nowhere in the device's storage in the clear.
    assert "MARKER-REJECTED" not in json.dumps(dump_device_storage(page))
    # Corrected and finalized again (new op id): it is stored, and the notice goes.
    fixed = {**draft["body"], "child_seen": True}
    fresh(page)
    page.evaluate(
        """async ({fixed, draftId}) => {
      const outbox = await import('/static/js/outbox.js');
      await outbox.addToOutbox({record_id: fixed.id, record_type: 'visit', schema_version: 1, base_revision: 0,
                                child_id: fixed.child_id, body: fixed}, {draftId});
    }""",
        {"fixed": fixed, "draftId": tombstone["draftId"]},
    )
    wait_until(page, "() => document.querySelectorAll('#outbox-list li').length === 0")
    wait_synced(page)
    assert stored(server.app) == 2


def test_a_reassigned_child_leaves_the_device_on_the_next_sync(shell_server, page):  # noqa: F811
    server = shell_server
    ready(page, server)
    child_id = server.seeded.child_public_id
    body = body_for(child_id)
    fresh(page)
    seal(page, [body])
    wait_until(page, "() => document.getElementById('status-unsynced').textContent === '0 unsynced'")
    wait_synced(page)
    pulled = [row["id"] for row in idb_rows(page, "records") if row["id"].startswith("record:")]
    assert pulled == [f"record:{body['id']}"]
    page.evaluate(
        """async (childId) => (await import('/static/js/store.js')).saveDraft(
        {kind: 'record', recordType: 'sos_map', childId, body: {child_id: childId}})""",
        child_id,
    )
    with server.app.app_context():
        other = User(username="other.worker", display_name="Other Worker", role=Role.WORKER)
        other.set_password(PASSWORD)
        db.session.add(other)
        child = db.session.scalar(select(Child).where(Child.public_id == child_id))
        allocate(child, other, by=db.session.scalar(select(User).where(User.username == "shell.admin")))
        db.session.commit()
    expect(page.locator(f"#caseload-list :text('{CHILD_MARKER}')")).to_have_count(1)
    fresh(page)
    page.click("#sync-now")
    wait_until(page, f"() => !document.getElementById('caseload-list').textContent.includes('{CHILD_MARKER}')")
    wait_synced(page)
    assert [row["id"] for row in idb_rows(page, "records") if row["id"].startswith("record:")] == []
    storage = json.dumps(
        page.evaluate("""async () => {
      const store = await import('/static/js/store.js');
      return {caseload: await store.loadSnapshot('caseload'), records: await store.listRecords()};
    }""")
    )
    assert CHILD_MARKER not in storage and child_id not in storage
    [draft] = page.evaluate("async () => (await import('/static/js/store.js')).listDrafts()")
    assert draft["draft"]["childReassigned"] is True  # kept, marked — never deleted silently
    expect(page.locator("#drafts-list")).to_contain_text("Child reassigned")


def test_503_and_a_dropped_connection_mid_push_lose_and_duplicate_nothing(shell_server, context, page):  # noqa: F811
    server = shell_server
    ready(page, server)
    context.set_offline(True)
    page.wait_for_selector("#status-network[data-state=offline]")
    bodies = [body_for(server.seeded.child_public_id) for _ in range(5)]
    seal(page, bodies)
    attempts: list[list[str]] = []

    def flaky(route):
        attempts.append([op["op_id"] for op in json.loads(route.request.post_data)["ops"]])
        if len(attempts) == 1:
            route.fulfill(
                status=503, content_type="application/json", body='{"error": "unavailable", "message": "Try later"}'
            )
        elif len(attempts) == 2:
            route.fetch()  # the server commits …
            route.abort("connectionreset")  # … and the answer never arrives
        else:
            route.continue_()

    page.route("**/api/sync/push", flaky)
    fresh(page)
    context.set_offline(False)
    wait_until(page, "() => document.getElementById('status-unsynced').textContent === '0 unsynced'", timeout=45000)
    wait_synced(page)
    assert len(attempts) == 3
    assert attempts[0] == attempts[1] == attempts[2]  # the same op ids every time
    assert (stored(server.app), stored(server.app, sync_ops)) == (5, 5)
    with server.app.app_context():
        assert set(db.session.scalars(select(records.c.id))) == {body["id"] for body in bodies}
    assert idb_rows(page, "outbox") == []


def test_sync_ui_passes_axe(shell_server, context, page):  # noqa: F811
    server = shell_server
    ready(page, server)
    bad = body_for(server.seeded.child_public_id, statutory_visit)
    bad.pop("child_seen")
    fresh(page)
    seal(page, [bad])
    wait_synced(page)
    context.set_offline(True)
    seal(page, [body_for(server.seeded.child_public_id)])
    page.evaluate("""() => { const row = document.getElementById('sync-progress-row'); row.hidden = false; }""")
    page.wait_for_selector("#outbox-list li[data-state=waiting]")
    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']}" for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert page.evaluate("document.getElementById('sync-progress').labels.length") == 1
    visible(page, "#screen-home")


def test_a_returned_record_shows_its_notice_and_status_after_sync(shell_server, page):  # noqa: F811
    from fieldapp.models import ReviewDecision
    from fieldapp.review.services import review_record

    server = shell_server
    ready(page, server)
    body = body_for(server.seeded.child_public_id)
    fresh(page)
    seal(page, [body])
    wait_synced(page)
    expect(page.locator("#sync-notices li")).to_have_count(0)
    with server.app.test_request_context():
        manager = User(username="shell.manager", display_name="Fictional Manager", role=Role.MANAGER)
        manager.set_password(PASSWORD)
        db.session.add(manager)
        db.session.flush()
        row = db.session.execute(select(records).where(records.c.id == body["id"])).one()
        child = db.session.scalar(select(Child).where(Child.public_id == body["child_id"]))
        review_record(manager, row, child, 1, ReviewDecision.RETURNED, "Please add the child's words.")
        db.session.commit()
    fresh(page)
    page.click("#sync-now")
    wait_synced(page)
    notice = page.locator("#sync-notices li")
    assert notice.count() == 1 and "returned by Fictional Manager" in notice.text_content()
    assert "Returned by your manager" in page.text_content(f"#sync-records li[data-record='{body['id']}']")
    page.click("#sync-notices-read")
    page.wait_for_selector("#sync-notices-read", state="hidden")
    with server.app.app_context():
        from fieldapp.models import Notification

        assert db.session.scalar(select(Notification.read_at)) is not None
    page.click("#lock-button")  # decrypted text leaves the page when it locks
    page.wait_for_selector("#status-vault[data-state=locked]")
    expect(page.locator("#sync-records li")).to_have_count(0)


def test_a_photo_refused_with_its_record_comes_back_to_the_device(shell_server, page):  # noqa: F811
    """The server refuses a Three Houses record whose photo does not match; both return, encrypted, as drafts."""
    import base64

    from tests.record_cases import three_houses

    server = shell_server
    ready(page, server)
    photo_id = str(uuid.uuid4())
    photo = base64.b64encode(b"fictional drawing MARKER-PHOTO").decode()
    body = body_for(
        server.seeded.child_public_id,
        three_houses,
        drawing={"attachment_id": photo_id, "mime": "image/png", "size": 999},
    )  # wrong size
    fresh(page)
    page.evaluate(
        """async ({body, photo}) => {
      const outbox = await import('/static/js/outbox.js');
      await outbox.addToOutbox({record_id: body.id, record_type: 'three_houses', schema_version: 1,
                                base_revision: 0, child_id: body.child_id, body, attachments: [photo]});
    }""",
        {"body": body, "photo": {"attachment_id": photo_id, "mime": "image/png", "size": 999, "data": photo}},
    )
    wait_synced(page)
    assert stored(server.app) == 0
    draft = page.evaluate("async (id) => (await import('/static/js/store.js')).getDraft(id)", photo_id)
    assert draft["kind"] == "attachment" and draft["data"] == photo
    assert photo not in json.dumps(dump_device_storage(page))  # kept encrypted, not as the base64 it came in
