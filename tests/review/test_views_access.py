"""Who sees what: timelines and records by allocation/team, support only the conflict in hand; all audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Role
from fieldapp.review.trend import ratings_trend
from tests.conftest import use_registered_device
from tests.record_cases import rating, safety_rating, statutory_visit, three_houses
from tests.review.helpers import hard_conflict, team_with_child


@pytest.fixture
def people(app, make_team, make_user, make_child):
    return team_with_child(make_team, make_user, make_child)


def _actions():
    db.session.expire_all()
    return [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_timeline_lists_every_record_newest_first_with_labels(client, login_as, people, make_record):
    make_record(people.child, people.worker, {**statutory_visit(), "visit_date": "2025-03-01"})
    make_record(people.child, people.worker, {**three_houses(), "completed_on": "2025-04-02"})
    make_record(people.child, people.worker, safety_rating())
    login_as(people.worker)
    page = client.get(f"/children/{people.child.public_id}/records").get_data(as_text=True)
    order = [page.index(title) for title in ("Three Houses", "Safety scale ratings ·", "Visit ·")]
    assert order == sorted(order)
    assert "<svg" in page and "Test Parent (Parent or carer): 7 on 27 March 2025." in page  # text alternative
    assert "view_timeline" in _actions()


def test_record_page_renders_each_field_with_its_label(client, login_as, people, make_record):
    stored = make_record(people.child, people.worker, statutory_visit())
    login_as(people.manager)
    page = client.get(f"/records/{stored.record_id}").get_data(as_text=True)
    for text in (
        "Type of visit",
        "Looked-after child (regulation 28)",
        "Where the visit took place",
        "Foster placement",
        "Was the child&#39;s bedroom seen?",
        "Book dentist",
        "10 April 2025",
    ):
        assert text in page, text
    assert "Your decision on version 1" in page
    assert _actions()[-1] == "view_record"


def test_worker_and_manager_outside_the_case_get_404_and_an_audit(
    client, login_as, people, make_record, make_user, make_team
):
    stored = make_record(people.child, people.worker, statutory_visit())
    other_team = make_team()
    for outsider in (
        make_user(Role.WORKER, people.team),
        make_user(Role.MANAGER, other_team),
        people.support,
        make_user(Role.ADMIN),
    ):
        login_as(outsider)
        for url in (
            f"/records/{stored.record_id}",
            f"/records/{stored.record_id}/print",
            f"/records/{stored.record_id}/versions/1",
            f"/children/{people.child.public_id}/records",
        ):
            assert client.get(url).status_code == 404, (outsider.role, url)
    assert _actions().count("view_denied") == 16


def test_support_sees_only_records_in_conflict(client, login_as, people, make_record, make_user, make_team):
    held = hard_conflict(make_record, people.child, people.worker)
    calm = make_record(people.child, people.worker, three_houses())
    login_as(people.support)
    queue = client.get("/reconcile/").get_data(as_text=True)
    assert f"/reconcile/{held.conflict_id}" in queue and people.child.case_number in queue
    assert people.child.first_name not in queue  # not the child's name: nothing of the case beyond the conflict
    conflict_page = client.get(f"/reconcile/{held.conflict_id}").get_data(as_text=True)
    assert "Server words." in conflict_page and people.child.last_name not in conflict_page
    assert client.get(f"/records/{calm.record_id}").status_code == 404
    assert client.get("/reconcile/99999").status_code == 404
    # Managers and workers have no queue.
    for role in (people.manager, people.worker):
        login_as(role)
        assert client.get("/reconcile/").status_code == 403
        assert client.get(f"/reconcile/{held.conflict_id}").status_code == 403
    assert {"view_conflict_queue", "view_conflict"} <= set(_actions())


def test_queue_filters_by_team_worker_type_and_age(
    client, login_as, people, make_record, make_user, make_team, make_child
):
    held = hard_conflict(make_record, people.child, people.worker)
    other_team = make_team()
    other_worker = make_user(Role.WORKER, other_team)
    other = hard_conflict(make_record, make_child(other_team, other_worker), other_worker)
    login_as(people.support)

    def listed(query):
        page = client.get(f"/reconcile/?{query}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        return {cid for cid in (held.conflict_id, other.conflict_id) if f'/reconcile/{cid}"' in text}

    assert listed("") == {held.conflict_id, other.conflict_id}
    assert listed(f"team={people.team.id}") == {held.conflict_id}
    assert listed(f"worker={other_worker.id}") == {other.conflict_id}
    assert listed("type=three_houses") == set()
    assert listed("type=visit") == {held.conflict_id, other.conflict_id}
    assert listed("age=7") == set()
    # Malformed filters are ignored with a message, never an error page.
    page = client.get("/reconcile/?team=abc&type=nope&age=99").get_data(as_text=True)
    assert "Ignored team" in page and "Ignored type" in page and "Ignored age" in page


def test_notices_api_is_the_callers_own_and_rejects_malformed_input(client, login_as, people, make_record):
    stored = make_record(people.child, people.worker, statutory_visit())
    login_as(people.manager)
    client.post(
        f"/records/{stored.record_id}/review", data={"revision": "1", "comment": "Fine.", "sign_off": "Sign off"}
    )
    assert client.get("/api/notifications").get_json() == {"notifications": []}
    login_as(people.worker)
    use_registered_device(client)
    [notice] = client.get("/api/notifications").get_json()["notifications"]
    assert 'Notices <span class="tag">1 new</span>' in client.get("/caseload").get_data(as_text=True)
    assert client.get(f"/api/notifications?after={notice['id']}").get_json() == {"notifications": []}
    for bad in ("-1", "x", "9" * 30):
        response = client.get(f"/api/notifications?after={bad}")
        assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    for body in (None, {"ids": "1"}, {"ids": [True]}, {"ids": []}, [1]):
        assert client.post("/api/notifications/read", json=body).status_code == 400
    assert client.post("/api/notifications/read", json={"ids": [notice["id"]]}).get_json() == {"marked": 1}
    assert client.get("/api/notifications").get_json()["notifications"][0]["read"] is True


def test_ratings_trend_keeps_each_person_on_their_own_line():
    early = {
        **safety_rating(),
        "rated_on": "2025-01-10",
        "ratings": [rating("worker", "Test Worker", 2), rating("parent", "Test Parent", 8, "Mother")],
    }
    later = {**safety_rating(), "rated_on": "2025-03-27"}
    trend = ratings_trend([later, early])
    by_name = {series.name: [score for _day, score in series.points] for series in trend.series}
    assert by_name == {"Test Worker": [2, 4], "Test Parent": [8, 7], "Testchild": [10]}
    worker = next(s for s in trend.series if s.name == "Test Worker")
    assert worker.plotted[0][0] < worker.plotted[1][0] and worker.plotted[0][1] > worker.plotted[1][1]
    assert ratings_trend([]) is None
