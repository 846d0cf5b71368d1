"""What a pull costs must not grow with the page: statements per page, one audit insert, each child audited once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Role
from tests.conftest import login
from tests.record_cases import sos_map
from tests.sync.device import HEADER, Device, ensure_sealing_key
from tests.sync.test_push_cost import counted_statements


@pytest.fixture
def caseload(app, client, make_team, make_user, make_child):
    ensure_sealing_key(app)
    team = make_team()
    worker = make_user(Role.WORKER, team)
    children = [make_child(team, worker) for _ in range(12)]
    login(client, worker)
    device = Device(client).register()
    for child in children:
        assert device.push(*(device.op(child.public_id, sos_map()) for _ in range(3))).status_code == 200
    return device, children


def _page(device, after, limit):
    with counted_statements() as statements:
        response = device.client.get(f"/api/sync/pull?after={after}&limit={limit}", headers={HEADER: device.id})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json, statements


def test_statements_per_pull_page_do_not_grow_with_the_page(caseload):
    device, _ = caseload
    small, few = _page(device, 0, 3)  # one child
    large, many = _page(device, 0, 500)  # all twelve
    assert (len(small["records"]), len(large["records"])) == (3, 36)
    assert len(many) == len(few), "\n".join(many)
    _, next_page = _page(device, small["cursor"], 3)  # a later page of the same first pull: no ceiling to read
    assert len(next_page) == len(few) - 1, "\n".join(next_page)
    device.push(*(device.op(child.public_id, sos_map()) for child in caseload[1]))
    changed, walked = _page(device, large["cursor"], 500)  # an incremental pull walks the change log
    assert len(changed["records"]) == 12
    # user, device, device touch, scope, ceiling, records, one audit insert (+ the user re-read after commit).
    limit = 9
    assert len(many) <= limit and len(walked) <= limit, "\n".join(many + ["--"] + walked)


def test_a_first_pull_audits_each_child_sent_once(caseload):
    device, children = caseload
    pulled, _, _ = device.pull_all()  # two records a page: every child's three records straddle pages
    assert len(pulled) == 36
    audited = db.session.scalars(select(AuditEvent.child_public_id).where(AuditEvent.action == "device_pull")).all()
    assert sorted(audited) == sorted(child.public_id for child in children)
