"""What a pull costs must not grow with the page: statements per page, one audit insert, each child audited once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent
from tests.record_cases import sos_map
from tests.sync.conftest import counted_statements
from tests.sync.device import HEADER


@pytest.fixture
def caseload(signed_in_tablet):
    device, children = signed_in_tablet(12)
    for child in children:
        assert device.push(*(device.op(child.public_id, sos_map()) for _ in range(3))).status_code == 200
    return device, children


def _page(device, after, limit=500):
    with counted_statements() as statements:
        response = device.client.get(f"/api/sync/pull?after={after}&limit={limit}", headers={HEADER: device.id})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json, statements


def test_statements_per_pull_page_do_not_grow_with_the_page(app, caseload):
    device, children = caseload
    app.config["PULL_FIRST_PAGE_RECORDS"] = 3
    small, few = _page(device, 0, limit=3)  # one child
    app.config["PULL_FIRST_PAGE_RECORDS"] = 2000
    large, many = _page(device, 0)  # all twelve
    assert (len(small["records"]), len(large["records"])) == (3, 36)
    assert len(many) == len(few), "\n".join(many)
    _, next_page = _page(device, small["cursor"])  # a later page of the same first pull: no ceiling to read
    assert len(next_page) == len(few) - 1, "\n".join(next_page)
    device.push(*(device.op(child.public_id, sos_map()) for child in children))
    changed, walked = _page(device, large["cursor"])  # an incremental pull walks the change log
    assert len(changed["records"]) == 12
    # user, device, scope, ceiling, records, one audit insert, and the user re-read after the request's commit.
    assert len(many) <= 7 and len(walked) <= 7, "\n".join(many + ["--"] + walked)


def test_a_first_pull_audits_each_child_sent_once(app, caseload):
    device, children = caseload
    app.config["PULL_FIRST_PAGE_RECORDS"] = 1  # pages of whole children, whatever the device's limit
    pulled, _, _ = device.pull_all()  # two records a page asked: every child's three would straddle pages
    assert len(pulled) == 36
    audited = db.session.scalars(select(AuditEvent.child_public_id).where(AuditEvent.action == "device_pull")).all()
    assert sorted(audited) == sorted(child.public_id for child in children)


def test_a_first_pull_sends_big_pages_whatever_the_limit_asked(app, caseload):
    device, _ = caseload
    app.config["PULL_FIRST_PAGE_RECORDS"] = 12
    first, _ = _page(device, 0, limit=2)
    assert len(first["records"]) == 12 and first["more"] and isinstance(first["cursor"], str)
    rest, _ = _page(device, first["cursor"], limit=2)
    assert len(rest["records"]) == 12
