"""The admin's revoke asks on its own page and says what the device still holds (from its last sync report)."""

from __future__ import annotations

from fieldapp.extensions import db
from fieldapp.models import Device, Role
from tests.conftest import login
from tests.sync.device import HEADER
from tests.sync.device import Device as ApiDevice
from tests.test_devices_api import forget_cached_user


def test_revoke_asks_first_and_says_what_the_device_holds(app, client, make_team, make_user):
    worker = make_user(Role.WORKER, make_team())
    login(client, worker)
    device = ApiDevice(client).register()
    client.post("/api/devices/report", json={"drafts": 3, "outbox": 2}, headers={HEADER: device.id})
    admin_client = app.test_client()
    forget_cached_user()
    login(admin_client, make_user(Role.ADMIN))

    listing = admin_client.get("/admin/devices/").get_data(as_text=True)
    assert f"/admin/devices/{device.id}/revoke" in listing and "<form" not in listing.split("<main", 1)[-1]
    page = admin_client.get(f"/admin/devices/{device.id}/revoke").get_data(as_text=True)
    assert "3 unfinished drafts not yet finalized" in page and "2 finalized items sealed but not yet delivered" in page
    # A bare POST (no confirmation from that page) revokes nothing.
    assert admin_client.post(f"/admin/devices/{device.id}/revoke").status_code == 302
    assert db.session.get(Device, device.id).revoked_at is None
    assert admin_client.post(f"/admin/devices/{device.id}/revoke", data={"confirm": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Device, device.id).revoked_at is not None


def test_a_device_that_never_reported_says_so(app, client, make_team, make_user):
    worker = make_user(Role.WORKER, make_team())
    login(client, worker)
    device = ApiDevice(client).register()
    admin_client = app.test_client()
    forget_cached_user()
    login(admin_client, make_user(Role.ADMIN))
    page = admin_client.get(f"/admin/devices/{device.id}/revoke").get_data(as_text=True)
    assert "has not reported what it holds" in page
    assert admin_client.get("/admin/devices/not-a-device/revoke").status_code == 404
