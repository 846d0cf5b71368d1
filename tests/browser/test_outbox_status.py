"""What is saved, waiting, sent: the status strip, the outbox by child and record type (labels readable only
unlocked, the envelope never), the sent history, the child's card after a finalized visit, and the caseload by
urgency with an offline search."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import Child, LegalStatus, Team, User
from tests.browser.conftest import assert_accessible, wait_until
from tests.browser.shell_fixtures import (
    CHILD_MARKER,
    dump_device_storage,
    enrol,
    seal_visit,
    visible,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def caseload_server(shell_server):
    """Two more children for the worker: one overdue since a date, one due in a few days."""
    app = shell_server.app
    with app.app_context():
        team = db.session.query(Team).filter_by(name="Shell team").one()
        worker = db.session.query(User).filter_by(username="shell.worker").one()
        admin = db.session.query(User).filter_by(username="shell.admin").one()
        today = date.today()
        for first, start in (("Bramble", today - timedelta(days=2)), ("Clover", today - timedelta(days=40))):
            child = Child(
                case_number=f"SHELL-{first}",
                first_name=first,
                last_name="Example",
                date_of_birth=date(2016, 5, 1),
                legal_status=LegalStatus.LOOKED_AFTER,
                team=team,
                placement_start=start,
            )
            db.session.add(child)
            db.session.flush()
            allocate(child, worker, by=admin)
        db.session.commit()
    return shell_server


def card_names(page):
    return [name.split(" ")[0] for name in page.locator("#caseload-list .card-title").all_inner_texts()]


def test_caseload_most_urgent_first_and_search_works_offline(caseload_server, context, page):
    enrol(page, caseload_server)
    page.wait_for_selector("#caseload-list li >> nth=2")
    assert card_names(page) == [CHILD_MARKER, "Clover", "Bramble"]  # never seen, overdue since, due soon
    assert "Statutory visit overdue since" in page.locator("#caseload-list li").nth(1).inner_text()
    context.set_offline(True)
    page.fill("#caseload-search", "bram")
    wait_until(page, "document.querySelectorAll('#caseload-list li').length === 1")
    assert card_names(page) == ["Bramble"]
    expect(page.locator("#caseload-summary")).to_contain_text("1 of 3 children match")
    page.fill("#caseload-search", "SHELL-clover")
    wait_until(page, "document.querySelectorAll('#caseload-list li').length === 1")
    assert card_names(page) == ["Clover"]
    assert_accessible(page, "caseload with search")
    page.fill("#caseload-search", "")
    wait_until(page, "document.querySelectorAll('#caseload-list li').length === 3")


def test_strip_outbox_by_child_and_type_sent_history_and_card(shell_server, page):
    enrol(page, shell_server)
    assert page.is_visible("#status-strip")
    expect(page.locator("#strip-waiting")).to_contain_text("Nothing waiting to send")
    expect(page.locator("#caseload-list")).to_contain_text("Statutory visit overdue")
    seal_visit(page, "Outbox visit", "MARKER-OUTBOX-BODY")
    page.wait_for_selector("#strip-waiting:has-text('2 waiting to send')")
    expect(page.locator("#strip-saved")).to_contain_text("Saved on this device")
    titles = page.locator("#outbox-list .item-title").all_inner_texts()
    assert titles == [f"{CHILD_MARKER} Example · Visit", f"{CHILD_MARKER} Example · Seen alone"]
    # The card says at once that the child was seen, before the server has the visit.
    card = page.text_content("#caseload-list")
    assert "Visit finalized on this device" in card and "overdue" not in card
    assert_accessible(page, "home with the outbox and status strip")

    # The label is encrypted in the vault beside the envelope: nothing readable on disk.
    dump = dump_device_storage(page)
    everything = "\n".join(f"{k} {v}" for entries in dump.values() for k, v in entries.items())
    assert CHILD_MARKER not in everything and "MARKER-OUTBOX-BODY" not in everything

    page.click("#lock-button")
    visible(page, "#screen-unlock")
    html = page.evaluate("document.documentElement.outerHTML")
    assert CHILD_MARKER not in html and "Seen alone" not in page.text_content("#outbox-list")
    assert "2 waiting to send" in page.text_content("#strip-waiting")  # counts stay up while locked
    page.fill("#unlock-pin", "482915")
    page.click("#unlock-button")
    visible(page, "#screen-home")
    page.wait_for_selector(f"#outbox-list li:has-text('{CHILD_MARKER}')")

    page.unroute("**/api/sync/push")
    page.click("#sync-now")
    page.wait_for_selector("#strip-waiting:has-text('Nothing waiting to send')")
    page.wait_for_selector("#strip-sent:has-text('Last sent')")
    sent = page.locator("#sent-list .item-title").all_inner_texts()
    assert sorted(sent) == sorted([f"{CHILD_MARKER} Example · Visit", f"{CHILD_MARKER} Example · Seen alone"])
    # Now the server's own next due date replaces the provisional card.
    page.wait_for_selector("#caseload-list:has-text('Next statutory visit due')")
