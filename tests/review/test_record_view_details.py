"""Small things in the record view, print and reconciliation: linked records are links (not raw UUIDs), and
nested lists sit in the page without blank gaps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.record_cases import statutory_visit
from tests.review.helpers import team_with_child

RECORDS_CSS = Path(__file__).resolve().parents[2] / "fieldapp" / "static" / "css" / "records.css"


@pytest.fixture
def people(app, make_team, make_user, make_child):
    return team_with_child(make_team, make_user, make_child)


def test_linked_record_ids_are_links_to_the_linked_record(client, login_as, people, make_record):
    visit = statutory_visit()
    linked = visit["seen_alone_record_id"]
    stored = make_record(people.child, people.worker, visit, with_seen_alone=False)
    login_as(people.manager)
    for url in (f"/records/{stored.record_id}", f"/records/{stored.record_id}/print"):
        page = client.get(url).get_data(as_text=True)
        assert f'href="/records/{linked}"' in page, url
        assert not re.search(rf">\s*{linked}\s*<", page), f"{url} shows the raw id as text"


def test_nested_lists_are_not_spaced_by_template_whitespace():
    css = re.sub(r"/\*.*?\*/", "", RECORDS_CSS.read_text(), flags=re.S)
    rules = {selector.strip(): body for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", css)}
    holders = [body for selector, body in rules.items() if "dd" in selector and "pre-wrap" in body]
    assert holders == [], "a <dd> holding nested lists keeps the template's newlines as blank lines"
    assert any("record-text" in selector and "pre-wrap" in body for selector, body in rules.items())


def test_others_present_is_a_list_in_reconciliation_and_edited_one_person_a_line(client, login_as, people, make_record):
    from fieldapp.records.store import get_record_row, read_body
    from tests.review.helpers import hard_conflict

    held = hard_conflict(
        make_record,
        people.child,
        people.worker,
        field="others_present",
        server_value=[{"name": "Server person"}],
        device_value=[{"name": "Device person", "relationship": "Aunt"}],
    )
    login_as(people.support)
    page = client.get(f"/reconcile/{held.conflict_id}").get_data(as_text=True)
    editor = re.search(r'<textarea id="edited-others_present"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert editor.strip() == "Server person" and "{" not in editor  # people, one a line, not JSON
    assert re.search(r'<ol class="record-items">\s*<li><span class="item-label">Person present 1', page)
    response = client.post(
        f"/reconcile/{held.conflict_id}/resolve",
        data={
            "revision": "2",
            "reason": "Checked with the worker.",
            "choice-others_present": "edit",
            "edited-others_present": "Mum (mother)\nBob\n\n",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    body = read_body(get_record_row(held.record_id))
    assert body["others_present"] == [{"name": "Mum", "relationship": "mother"}, {"name": "Bob"}]
