"""The offline app shell in a real Chromium: offline reloads, PIN unlock, wipes, auto-lock, updates."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.browser.shell_fixtures import (
    ADDRESS_MARKER,
    CHILD_MARKER,
    RISK_MARKER,
    back_home,
    dump_device_storage,
    enrol,
    idb_rows,
    save_note,
    seal_visit,
    sign_in_form,
    start_visit,
    unlock,
    visible,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_app_reloads_offline_and_with_the_server_stopped(shell_server, context, page):
    enrol(page, shell_server)
    save_note(page, "Offline note", "written before the signal went")

    context.set_offline(True)
    page.reload()
    unlock(page)
    visible(page, "#screen-home")
    expect(page.locator("#status-network")).to_have_text("Offline")
    expect(page.locator("#caseload-list")).to_contain_text(CHILD_MARKER)
    expect(page.locator("#drafts-list")).to_contain_text("Offline note")

    context.set_offline(False)
    shell_server.server.shutdown()
    shell_server.server.server_close()
    page.goto(shell_server.url + "/app")
    unlock(page)
    visible(page, "#screen-home")
    expect(page.locator("#drafts-list")).to_contain_text("Offline note")
    # A server page visited with the server gone falls back to the shell, never to a cached server page.
    page.goto(shell_server.url + "/caseload")
    visible(page, "#screen-unlock")
    assert page.url.endswith("/app")


def test_pin_unlocks_offline_and_a_right_pin_resets_the_count(shell_server, context, page):
    enrol(page, shell_server)
    save_note(page, "Kept note", "body")
    page.click("#lock-button")
    context.set_offline(True)
    page.reload()
    for attempts_left in (4, 3):
        unlock(page, "000001")
        page.wait_for_selector(f"#unlock-error:has-text('{attempts_left} tries left')")
    expect(page.locator("#status-vault")).to_have_text("Locked")
    unlock(page)
    visible(page, "#screen-home")
    expect(page.locator("#status-vault")).to_have_text("Unlocked")
    expect(page.locator("#drafts-list")).to_contain_text("Kept note")
    # The count starts again after a right PIN: four more wrong ones still do not wipe.
    page.click("#lock-button")
    for attempts_left in (4, 3, 2, 1):
        unlock(page, "000001")
        page.wait_for_selector(f"#unlock-error:has-text('{attempts_left} tr')")
    unlock(page)
    visible(page, "#screen-home")


def test_five_wrong_pins_wipe_readable_data_and_say_why(shell_server, context, page):
    enrol(page, shell_server)
    seal_visit(page, "Sealed one", "to the server")  # a visit and its seen-alone record: two sealed items
    save_note(page, "Draft sealed before the wipe", "body")  # its two records are kept sealed too
    page.click("#lock-button")
    context.set_offline(True)
    for _ in range(5):
        unlock(page, "999990")
        page.wait_for_selector("#unlock-button:not([disabled])", state="attached")
    visible(page, "#screen-wiped")
    expect(page.locator("#wiped-reason")).to_contain_text("5 wrong PINs")
    expect(page.locator("#wiped-sealed")).to_contain_text("4 sealed items are waiting to be delivered")
    assert idb_rows(page, "drafts") == [] and idb_rows(page, "records") == []
    assert [row["id"] for row in idb_rows(page, "meta")] == ["wipe-notice"]
    assert len(idb_rows(page, "outbox")) == 4  # sealed: unreadable here, still the worker's work
    page.reload()
    visible(page, "#screen-wiped")
    expect(page.locator("#wiped-reason")).to_contain_text("5 wrong PINs")


def test_idle_auto_lock_drops_the_key_and_shows_no_data(shell_server, page):
    shell_server.app.config["VAULT_IDLE_SECONDS"] = 3
    enrol(page, shell_server)
    if page.is_visible("#screen-unlock"):  # enrolment itself took longer than the idle time
        unlock(page)
        visible(page, "#screen-home")
    start_visit(page)
    page.fill("#rf-visit-location", "Half-typed note")
    visible(page, "#screen-unlock", timeout=8000)
    expect(page.locator("#status-vault")).to_have_text("Locked")
    expect(page.locator("#unlock-error")).to_contain_text("Locked after a while")
    html = page.content()
    assert CHILD_MARKER not in html and "Half-typed note" not in html
    error = page.evaluate("""() => import('/static/js/store.js').then((store) => store.listDrafts())
        .then(() => 'decrypted', (e) => e.constructor.name)""")
    assert error == "VaultLocked"
    unlock(page)
    visible(page, "#screen-record")  # back in the visit
    # What was being typed was saved, encrypted, before the key was dropped.
    expect(page.locator("#rf-visit-location")).to_have_value("Half-typed note")


def test_typing_is_saved_as_a_draft_when_the_app_goes_to_the_background(shell_server, page):
    enrol(page, shell_server)
    start_visit(page)
    page.evaluate("window.setTimeout = () => 0")  # no debounced save: only going to the background saves
    page.fill("#rf-visit-location", "Typed then switched away")
    page.evaluate("""() => {
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }""")
    page.wait_for_selector("#record-saved:has-text('All changes saved')")
    page.reload()
    unlock(page)
    visible(page, "#screen-record")  # back in the visit where the worker was typing
    expect(page.locator("#rf-visit-location")).to_have_value("Typed then switched away")


def test_markers_never_reach_device_storage_in_plaintext(shell_server, page):
    enrol(page, shell_server)
    markers = [
        CHILD_MARKER,
        ADDRESS_MARKER,
        RISK_MARKER,
        "MARKER-DRAFT-TITLE",
        "MARKER-DRAFT-BODY",
        "MARKER-SEALED-BODY",
        "Shell Worker",
    ]
    save_note(page, "MARKER-DRAFT-TITLE", "MARKER-DRAFT-BODY said in the child's own words")
    seal_visit(page, "To be sealed", "MARKER-SEALED-BODY")
    expect(page.locator("#drafts-list")).to_contain_text("MARKER-DRAFT-TITLE")  # the data is really there, decrypted
    page.evaluate("localStorage.setItem('canary', 'MARKER-CANARY')")

    dump = dump_device_storage(page)

    everything = "\n".join(
        f"{section} {name} {value}" for section, entries in dump.items() for name, value in entries.items()
    )
    assert "MARKER-CANARY" in everything  # the dump sees what is stored
    assert {"fieldapp/drafts", "fieldapp/records", "fieldapp/outbox", "fieldapp/meta"} <= dump["indexeddb"].keys()
    assert any(name.startswith("fieldapp-static-") for name in dump["caches"])
    for marker in markers:
        assert marker not in everything, f"{marker} is readable in device storage"


def test_sealed_item_opens_only_on_the_server_and_survives_key_rotation(shell_server, page):
    from fieldapp.crypto.sealing import SealError, SealingKeyring, generate_key, unseal

    config = shell_server.app.config
    enrol(page, shell_server)
    seal_visit(page, "Sealed visit", "MARKER-ONLY-THE-SERVER-READS-THIS")
    keyring = SealingKeyring.load(config["SEALING_KEYS_DIR"])
    [first] = [
        row["envelope"]
        for row in idb_rows(page, "outbox")
        if b"MARKER-ONLY-THE-SERVER-READS-THIS" in unseal(row["envelope"], keyring)
    ]
    # No private key on the device: neither the PEM nor the raw private scalar is anywhere in its storage.
    private = keyring.current.private_key.private_numbers().private_value.to_bytes(32, "big")
    dump = str(dump_device_storage(page))
    assert "PRIVATE KEY" not in dump and private.decode("latin-1") not in dump
    flipped = dict(first, ct=first["ct"][:10] + ("A" if first["ct"][10] != "A" else "B") + first["ct"][11:])
    with pytest.raises(SealError):
        unseal(flipped, keyring)

    rotated = generate_key(config["SEALING_KEYS_DIR"])
    page.reload()
    unlock(page)
    visible(page, "#screen-home")
    wait_until(
        page,
        f"""() => import('/static/js/outbox.js')
        .then((outbox) => outbox.getSealingKey()).then((key) => key.kid === {rotated.kid!r})""",
    )
    seal_visit(page, "After rotation", "MARKER-AFTER-ROTATION")
    envelopes = [row["envelope"] for row in idb_rows(page, "outbox")]
    assert sorted(envelope["kid"] for envelope in envelopes) == sorted([first["kid"]] * 2 + [rotated.kid] * 2)
    keyring = SealingKeyring.load(config["SEALING_KEYS_DIR"])
    opened = {
        envelope["kid"]: b"".join(unseal(e, keyring) for e in envelopes if e["kid"] == envelope["kid"])
        for envelope in envelopes
    }
    assert b"MARKER-AFTER-ROTATION" in opened[rotated.kid]
    assert b"MARKER-ONLY-THE-SERVER-READS-THIS" in opened[first["kid"]]


def test_new_service_worker_version_activates_without_losing_drafts_or_outbox(shell_server, page):
    enrol(page, shell_server)
    save_note(page, "Survives the update", "draft body")
    seal_visit(page, "Sealed before update", "sealed body")
    old_caches = page.evaluate("caches.keys()")
    page.evaluate("caches.open('someone-elses-cache')")
    assert page.is_hidden("#update-banner")  # a first install is not an update

    shell_server.app.config["SHELL_VERSION"] = "9.9.9-next"
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    visible(page, "#update-banner")
    # Nothing switches until the worker says so.
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") and page.is_visible("#screen-home")
    page.click("#update-button")
    unlock(page)
    visible(page, "#screen-home")
    expect(page.locator("#drafts-list")).to_contain_text("Survives the update")
    expect(page.locator("#outbox-list li")).to_have_count(2)
    expect(page.locator("#status-unsynced")).to_have_text("2 unsynced")
    caches_now = page.evaluate("caches.keys()")
    assert "fieldapp-static-9.9.9-next" in caches_now and "someone-elses-cache" in caches_now
    assert not set(old_caches) & set(caches_now)


def test_revoked_device_wipes_on_next_contact_and_keeps_sealed_items(shell_server, browser, context, page):
    enrol(page, shell_server)
    seal_visit(page, "Sealed before revocation", "body")
    save_note(page, "Readable draft", "body")
    page.click("#lock-button")  # even locked, with the PIN unknown to a thief

    admin = browser.new_context()
    admin_page = admin.new_page()
    sign_in_form(admin_page, shell_server.url, username="shell.admin")
    admin_page.goto(shell_server.url + "/admin/devices")
    admin_page.click("a:has-text('Revoke')")  # asks first, on its own page
    admin_page.click("button:has-text('Yes, revoke')")
    admin_page.wait_for_selector("text=It will wipe its data on its next contact")
    admin.close()

    page.reload()  # online: the app asks the server about this device before anything is unlocked
    visible(page, "#screen-wiped")
    expect(page.locator("#wiped-reason")).to_contain_text("revoked")
    # The two finalized records, and the readable draft's two records sealed for the server before the wipe.
    assert (
        "This device was revoked: 4 sealed items are waiting to be delivered; they cannot be read on this device"
        in page.text_content("#wiped-sealed")
    )
    assert idb_rows(page, "drafts") == [] and idb_rows(page, "records") == []
    assert [row["id"] for row in idb_rows(page, "meta")] == ["wipe-notice"]
    assert len(idb_rows(page, "outbox")) == 4


def test_expired_session_is_renewed_in_place_without_losing_typing(shell_server, context, page):
    enrol(page, shell_server)
    start_visit(page)
    page.fill("#rf-visit-location", "Typed before expiry")
    context.clear_cookies()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#reauth-dialog[open]")
    expect(page.locator("#reauth-username")).to_have_value("shell.worker")  # filled from the vault a moment later
    page.fill("#reauth-password", "wrong password")
    page.click("#reauth-submit")
    page.wait_for_selector("#reauth-error:has-text('do not match')")
    page.fill("#reauth-password", PASSWORD)
    page.click("#reauth-submit")
    page.wait_for_selector("#reauth-dialog:not([open])", state="attached")
    expect(page.locator("#rf-visit-location")).to_have_value("Typed before expiry")
    assert page.evaluate("fetch('/api/me').then((r) => r.status)") == 200
    back_home(page)
    page.wait_for_selector("#drafts-list li:has-text('Typed before expiry')")


def test_damaged_or_foreign_ciphertext_shows_an_error_for_that_item_only(shell_server, page):
    enrol(page, shell_server)
    save_note(page, "Good note", "fine")
    save_note(page, "Damaged note", "will be damaged")
    page.evaluate("""() => new Promise((resolve, reject) => {
      const open = indexedDB.open("fieldapp");
      open.onsuccess = () => {
        const tx = open.result.transaction("drafts", "readwrite");
        const store = tx.objectStore("drafts");
        store.getAll().onsuccess = (event) => {
          const rows = event.target.result;
          const damaged = rows.find((row) => row.id !== rows[0].id) || rows[0];
          const copy = structuredClone(rows[0]);
          damaged.ct[5] ^= 0xff;
          store.put(damaged);
          store.put({ ...copy, id: "00000000-0000-4000-8000-000000000000" });  // ciphertext moved to another id
        };
        tx.oncomplete = () => { open.result.close(); resolve(); };
        tx.onerror = () => reject(tx.error);
      };
    })""")
    page.reload()
    unlock(page)
    visible(page, "#screen-home")
    page.wait_for_selector("#drafts-list li.item-error >> nth=1")
    expect(page.locator("#drafts-list > li.item-error")).to_have_count(2)
    # Each visit is two drafts (visit, seen alone); one damaged draft leaves both visits listed.
    expect(page.locator("#drafts-list > li:not(.item-error)")).to_have_count(2)
    assert "could not be decrypted" in page.text_content("#drafts-list li.item-error")
    expect(page.locator("#caseload-list")).to_contain_text(CHILD_MARKER)  # the rest of the app carries on
    assert len(idb_rows(page, "drafts")) == 5  # nothing deleted


def test_first_run_without_a_session_offers_sign_in(shell_server, page):
    page.goto(shell_server.url + "/app")
    visible(page, "#screen-signin")
    assert page.get_attribute("#signin-link", "href") == "/login?next=/app"
