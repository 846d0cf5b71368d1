from fieldapp.models import Role
from tests.conftest import login


def test_worker_signs_in_and_sees_own_caseload(client, make_team, make_user, make_child):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    mine = make_child(team, worker, first_name="Marker-Mine")
    make_child(team, None, first_name="Marker-Unallocated")
    login(client, worker)
    page = client.get("/caseload").get_data(as_text=True)
    assert "Marker-Mine" in page
    assert "Marker-Unallocated" not in page
    assert client.get(f"/children/{mine.public_id}").status_code == 200
