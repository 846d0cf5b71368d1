"""The authorization matrix: every role × every page × own vs foreign child, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from fieldapp.models import Role

# page -> {role: expected status}; "anon" is a visitor who has not signed in (sent to the login page).
OWN, FOREIGN = "own", "foreign"
PAGES = {
    "/caseload": {"anon": 302, "worker": 200, "manager": 200, "support": 403, "admin": 403},
    "/children/{own}": {"anon": 302, "worker": 200, "manager": 200, "support": 404, "admin": 404},
    "/children/{foreign}": {"anon": 302, "worker": 404, "manager": 404, "support": 404, "admin": 404},
    "/children/{own}/audit": {"anon": 302, "worker": 403, "manager": 200, "support": 403, "admin": 403},
    "/children/{foreign}/audit": {"anon": 302, "worker": 403, "manager": 404, "support": 403, "admin": 403},
    "/support": {"anon": 302, "worker": 403, "manager": 403, "support": 200, "admin": 403},
    "/admin/users": {"anon": 302, "worker": 403, "manager": 403, "support": 403, "admin": 200},
    "/admin/users/new": {"anon": 302, "worker": 403, "manager": 403, "support": 403, "admin": 200},
    "/admin/teams": {"anon": 302, "worker": 403, "manager": 403, "support": 403, "admin": 200},
    "/admin/teams/new": {"anon": 302, "worker": 403, "manager": 403, "support": 403, "admin": 200},
    "/admin/allocations": {"anon": 302, "worker": 403, "manager": 403, "support": 403, "admin": 200},
    "/admin/allocations/{own}": {"anon": 302, "worker": 403, "manager": 403, "support": 403, "admin": 200},
    "/admin/audit.csv": {"anon": 302, "worker": 403, "manager": 403, "support": 403, "admin": 200},
}
ROLES = ["anon", "worker", "manager", "support", "admin"]
CASES = [(page, role, expected[role]) for page, expected in PAGES.items() for role in ROLES]


@pytest.fixture
def world(make_team, make_user, make_child):
    """Two teams; the 'own' child belongs to our worker in our team, the 'foreign' one to another team."""
    ours, theirs = make_team("Our team"), make_team("Their team")
    people = {
        "worker": make_user(Role.WORKER, ours),
        "manager": make_user(Role.MANAGER, ours),
        "support": make_user(Role.SUPPORT, ours),
        "admin": make_user(Role.ADMIN, None),
    }
    other_worker = make_user(Role.WORKER, theirs)
    own = make_child(ours, people["worker"], first_name="Ownchild")
    foreign = make_child(theirs, other_worker, first_name="Foreignchild")
    return people, own, foreign


@pytest.mark.parametrize(("page", "role", "expected"), CASES, ids=[f"{r}:{p}" for p, r, _ in CASES])
def test_authorization_matrix(client, login_as, world, page, role, expected):
    people, own, foreign = world
    if role != "anon":
        login_as(people[role])
    url = page.format(own=own.public_id, foreign=foreign.public_id)
    response = client.get(url)
    assert response.status_code == expected, f"{role} GET {page}"
    if expected == 302:
        assert "/login" in response.location
    body = response.get_data(as_text=True)
    if expected != 200:
        # A refusal never leaks the child's name.
        assert "Ownchild" not in body and "Foreignchild" not in body


def test_worker_caseload_lists_only_their_current_allocations(client, login_as, world, make_child, make_user):
    people, own, foreign = world
    login_as(people["worker"])
    body = client.get("/caseload").get_data(as_text=True)
    assert "Ownchild" in body and "Foreignchild" not in body


def test_manager_caseload_lists_whole_team_including_unallocated(client, login_as, world, make_child):
    people, own, _ = world
    make_child(own.team, None, first_name="Waitingchild")
    login_as(people["manager"])
    body = client.get("/caseload").get_data(as_text=True)
    assert "Ownchild" in body and "Waitingchild" in body and "Foreignchild" not in body
    assert "Unallocated" in body


def test_reallocated_child_disappears_from_previous_worker(client, login_as, world, make_user, app):
    from fieldapp.cases.services import allocate
    from fieldapp.extensions import db

    people, own, _ = world
    newcomer = make_user(Role.WORKER, own.team)
    allocate(own, newcomer, by=people["admin"])
    db.session.commit()
    login_as(people["worker"])
    assert client.get(f"/children/{own.public_id}").status_code == 404
    login_as(newcomer)
    assert client.get(f"/children/{own.public_id}").status_code == 200


@pytest.mark.parametrize("role", ["worker", "manager", "support", "admin"])
def test_visible_children_clause_admits_the_same_children_as_the_access_query(world, make_child, role):
    """The clause oversight lists page with is the same rule as children_visible_to(), role by role."""
    from sqlalchemy import select

    from fieldapp.access import children_visible_to, visible_children
    from fieldapp.extensions import db
    from fieldapp.models import Child

    people, own, foreign = world
    make_child(own.team, None, first_name="Waitingchild")  # the team's, held by nobody
    user = people[role]
    expected = set(db.session.scalars(children_visible_to(user).with_only_columns(Child.id)))
    assert set(db.session.scalars(select(Child.id).where(visible_children(user)))) == expected
    assert (own.id in expected) == (role in ("worker", "manager")) and foreign.id not in expected
