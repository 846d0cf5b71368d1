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
    stored = make_record(people.child, people.worker, visit)
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
