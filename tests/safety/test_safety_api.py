"""The safety API's edges: malformed requests get 4xx JSON, access stays in the team, report and VAPID set-up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldapp.extensions import db
from fieldapp.models import Role, utcnow
from fieldapp.safety import board, sessions
from fieldapp.safety.channels import VapidConfigError, validate_subject
from fieldapp.safety.escalator import sweep
from tests.conftest import login


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/safety/sessions", {"minutes": "soon", "address": "x"}),
        ("/api/safety/sessions", {"minutes": 0, "address": "x"}),
        ("/api/safety/sessions", {"minutes": 30}),
        ("/api/safety/sessions", {"minutes": 30, "address": ["not", "text"]}),
        ("/api/safety/sessions", {"minutes": 30, "child_id": "no-such-child"}),
        ("/api/safety/sessions", [1, 2, 3]),
        ("/api/safety/sessions", "not json at all"),
        ("/api/safety/pins", {"checkout_pin": "1234", "duress_pin": "1234"}),
        ("/api/safety/pins", {"checkout_pin": "12", "duress_pin": "abcd"}),
        ("/api/safety/push-subscriptions", {"endpoint": "ftp://x"}),
        ("/api/safety/push-subscriptions", {"endpoint": "https://push.example.invalid/1", "keys": "nope"}),
        ("/api/safety/sessions/not-mine/check-out", {}),
        ("/api/safety/sessions/not-mine/extend", {"minutes": 10}),
    ],
)
def test_malformed_requests_get_4xx_json(client, ladder, path, body):
    login(client, ladder.worker.user)
    if isinstance(body, str):
        answer = client.post(path, data=body, content_type="application/json")
    else:
        answer = client.post(path, json=body)
    assert 400 <= answer.status_code < 500
    assert answer.json["error"] and answer.json["message"]


def test_location_and_extend_validate(client, ladder):
    login(client, ladder.worker.user)
    session = client.post("/api/safety/sessions", json={"minutes": 30, "address": "1 Example Street"}).json
    sid = session["session"]["id"]
    assert client.post(f"/api/safety/sessions/{sid}/location", json={"lat": 95, "lon": 0}).status_code == 400
    assert client.post(f"/api/safety/sessions/{sid}/location", json={"lat": "x"}).status_code == 400
    assert client.post(
        f"/api/safety/sessions/{sid}/location", json={"lat": 51.5, "lon": -0.1, "accuracy": 12}
    ).json == {"ok": True}
    assert client.post(f"/api/safety/sessions/{sid}/extend", json={"minutes": True}).status_code == 400
    extended = client.post(f"/api/safety/sessions/{sid}/extend", json={"minutes": 90}).json["session"]
    assert extended["seconds_remaining"] > 80 * 60
    assert client.post("/api/safety/sessions", json={"minutes": 30, "address": "x"}).status_code == 409


def test_managers_outside_the_ladder_cannot_see_or_take_a_session(client, ladder):
    session, _ = sessions.panic(ladder.worker.user, utcnow(), address="2 Example Street")
    db.session.commit()
    login(client, ladder.outsider.user)
    assert client.get("/api/safety/board").json["sessions"] == []
    assert client.post(f"/api/safety/sessions/{session.public_id}/acknowledge").status_code == 404
    client.post("/logout")
    login(client, ladder.duty.user)  # the duty desk covers the team through its policy
    assert [s["id"] for s in client.get("/api/safety/board").json["sessions"]] == [session.public_id]
    client.post("/logout")
    login(client, ladder.worker.user)
    assert client.get("/api/safety/board").status_code == 403


def test_second_acknowledgement_sees_who_took_it_and_resolve_closes(client, ladder):
    session, _ = sessions.panic(ladder.worker.user, utcnow(), address="3 Example Street")
    db.session.commit()
    first, second = ladder.line_managers
    login(client, first.user)
    assert client.post(f"/api/safety/sessions/{session.public_id}/acknowledge").json["acknowledged"] is True
    client.post("/logout")
    login(client, second.user)
    again = client.post(f"/api/safety/sessions/{session.public_id}/acknowledge")
    assert again.status_code == 409 or again.json["session"]["acknowledged_by"] == first.user.display_name
    bad = client.post(f"/api/safety/sessions/{session.public_id}/resolve", json={"outcome": "maybe"})
    assert bad.status_code == 400
    done = client.post(
        f"/api/safety/sessions/{session.public_id}/resolve",
        json={"outcome": "safe_after_contact", "notes": "Phoned; all fine (test)"},
    )
    assert done.json["session"]["state"] == "closed"


def test_monthly_report_counts_alerts_and_times(app, client, ladder, push_service):
    t0 = utcnow()
    session = sessions.start(ladder.worker.user, t0, 1, address="4 Example Street")
    db.session.commit()
    sweep(t0 + timedelta(minutes=6, seconds=1))
    board.acknowledge(
        db.session.get(type(session), session.id), ladder.line_managers[0].user, t0 + timedelta(minutes=8, seconds=1)
    )
    board.test_alert(ladder.line_managers[0].user, t0)
    db.session.commit()
    login(client, ladder.line_managers[0].user)
    figures = client.get(f"/api/safety/report?month={t0:%Y-%m}").json
    assert figures["sessions"] == 1
    assert figures["alerts_by_kind"]["overdue"] == 1 and figures["alerts_by_kind"]["grace"] == 1, figures
    assert figures["alerts_by_kind"]["test"] == 1, figures
    assert figures["seconds_to_acknowledge"]["median"] == 120
    assert figures["seconds_to_first_delivery"]["count"] == 1
    assert client.get("/api/safety/report?month=nonsense").status_code == 400
    assert "Response times" in client.get(f"/safety/report?month={t0:%Y-%m}").get_data(as_text=True)


@pytest.mark.parametrize("subject", ["mailto:safety@example.invalid", "https://council.example.invalid/contact"])
def test_vapid_subject_accepts_mailto_and_https(subject):
    assert validate_subject(subject) == subject


@pytest.mark.parametrize("subject", ["", "safety@example.invalid", "http://example.invalid", "mailto:nobody"])
def test_vapid_subject_refuses_anything_else(subject):
    with pytest.raises(VapidConfigError):
        validate_subject(subject)


def test_vapid_generate_command_prints_a_browser_key(app, runner):
    from fieldapp.cli.safety import vapid_group

    answer = runner.invoke(cli=vapid_group, args=["generate"])
    assert answer.exit_code == 0, answer.output
    key = answer.output.strip().splitlines()[-1].split(": ")[1]
    assert len(key) == 87  # 65-byte uncompressed P-256 point, base64url without padding


def test_pages_render_for_their_roles(client, ladder, make_user):
    login(client, ladder.worker.user)
    page = client.get("/safety").get_data(as_text=True)
    assert "not a monitored BS 8484" in page and "call 999" in page
    client.post("/logout")
    login(client, ladder.line_managers[0].user)
    assert "not a monitored BS 8484" in client.get("/safety/board").get_data(as_text=True)
    support = make_user(Role.SUPPORT, ladder.team)
    client.post("/logout")
    login(client, support)
    assert client.get("/safety/board").status_code == 403
