"""Property tests of the three-way merge (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sync import merge3

FIELDS = st.sampled_from(["title", "text", "seen", "score", "actions", "worries"])
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(0, 10), st.text(max_size=8), st.lists(st.text(max_size=4), max_size=3)
)
BODIES = st.dictionaries(FIELDS, VALUES, max_size=6)


@st.composite
def edits(draw):
    """A base and two independent edits of it (fields changed, added or removed)."""
    base = draw(BODIES)

    def edit():
        body = dict(base)
        for key in draw(st.lists(FIELDS, max_size=4, unique=True)):
            if draw(st.booleans()) and key in body:
                del body[key]
            else:
                body[key] = draw(VALUES)
        return body

    return base, edit(), edit()


@settings(max_examples=400, deadline=None)
@given(edits())
def test_order_of_arrival_never_changes_the_final_state(case):
    base, one, two = case
    first_then_second = merge3(base, one, two)
    second_then_first = merge3(base, two, one)
    if not first_then_second.is_hard:
        # Disjoint edits: the same record whichever device synced first.
        assert first_then_second.merged == second_then_first.merged
    assert first_then_second.conflicting_fields == second_then_first.conflicting_fields


@settings(max_examples=400, deadline=None)
@given(edits())
def test_no_value_from_either_side_is_lost(case):
    """Every field's value on each side is in the record, or that side's whole body is kept with the conflict."""
    base, server, device = case
    outcome = merge3(base, server, device)
    kept_device_body = device if outcome.is_hard else None  # the engine stores the device body whole on conflict
    for key in set(server) | set(device):
        if key in server and server.get(key) != base.get(key):
            assert outcome.merged.get(key) == server[key]  # a server change always survives
        if key in device and device.get(key) != base.get(key):
            assert outcome.merged.get(key) == device[key] or kept_device_body == device
    for key in set(base) - set(server) - set(device):
        assert key not in outcome.merged  # removed on both sides stays removed


@settings(max_examples=200, deadline=None)
@given(BODIES, BODIES)
def test_an_unchanged_side_is_a_fast_forward(base, changed):
    assert merge3(base, base, changed).merged == changed
    assert merge3(base, changed, base).merged == changed
    assert not merge3(base, base, changed).is_hard
