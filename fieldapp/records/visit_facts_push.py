"""Move each child's kept visit facts forward by what one push batch stored, without re-reading their history.

The usual batch brings new visits dated on or after the child's last seen visit (a tablet's day of work), with
or without their seen-alone answers. Those only ever go on top of the "latest first" order the facts are
counted in, so the new facts follow from the old row and the batch: seen visits + k, the latest date, and the
not-seen-alone streak either grown by k or cut at the newest visit with a yes; the new visits are added to
seen_visit_facts with their answers. Anything else — an edit or merge, a back-dated or undated visit, an answer
for a visit already stored, a missing or stale facts row — is recomputed
from the records (visit_facts.refresh), as before. tests/oversight/test_visit_facts_push.py holds the two
ways to the same rows over random histories.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from sync import OpStatus
from sync.sql import insert_rows
from sync.tables import records

from ..models import Child
from ..models.visit_facts import child_visit_facts as facts
from ..models.visit_facts import seen_visit_facts
from . import visit_facts

INPUTS = visit_facts.INPUTS


@dataclass
class _Batch:
    """What one push stored that moves one child's facts."""

    new_seen: list[tuple[str, str | None]] = field(default_factory=list)  # (visit id, date) of new seen visits
    answered: set[str] = field(default_factory=set)  # visit ids this batch's seen-alone answers are about
    recompute: bool = False  # something the delta cannot follow (edit, merge)


def on_stored(session: Session, ctx, stored: list) -> None:
    """PushContext hook: bring the facts of the children whose visits or answers a push batch stored up to date."""
    batches: dict[int, _Batch] = defaultdict(_Batch)
    for op, result in stored:
        if op.record_type not in visit_facts.FACT_TYPES:
            continue
        batch = batches[ctx.allowed_children[op.child_id]]
        if result.status != OpStatus.APPLIED or result.revision != 1:
            batch.recompute = True  # an edit or a merge may move or remove a visit or an answer
            continue
        values = ctx.facts(op.record_type, op.body)
        if op.record_type == "visit" and values.get("child_seen") == 1:
            batch.new_seen.append((op.record_id, values.get("occurred_on")))
        elif op.record_type == "seen_alone" and values.get("visit_id"):
            batch.answered.add(values["visit_id"])
    if batches:
        advance(session, batches, ctx.author_id)


def advance(session: Session, batches: dict[int, _Batch], author_id: int) -> None:
    new_visit_ids = sorted({visit_id for batch in batches.values() for visit_id, _ in batch.new_seen})
    answer = records.alias("answer")
    rows = session.execute(
        select(
            Child.id.label("child"),
            *(getattr(Child, name) for name in INPUTS),  # the child's details now, by their names
            facts.c.child_id.label("kept"),
            facts.c.last_seen_on,
            facts.c.seen_visits,
            facts.c.not_alone_streak,
            *(facts.c[name].label(f"kept_{name}") for name in INPUTS),  # the details the row was computed from
            answer.c.visit_id.label("answer_for"),
            answer.c.seen_alone,
        )
        .outerjoin(facts, facts.c.child_id == Child.id)
        # Each answer for a new visit, this batch's (stored already) or one that arrived before its visit: a row each.
        .outerjoin(
            answer,
            and_(
                answer.c.child_id == Child.id,
                answer.c.record_type == "seen_alone",
                answer.c.visit_id.in_(new_visit_ids),
            ),
        )
        .where(Child.id.in_(sorted(batches)))
    ).all()
    children, answers = {}, {}
    for row in rows:
        children.setdefault(row.child, row)
        if row.answer_for is not None:  # alone if any answer says so, as the full count decides
            answers[row.answer_for] = max(answers.get(row.answer_for, 0), row.seen_alone or 0)
    alone = {visit_id for visit_id, said in answers.items() if said == 1}
    moved, recompute, seen = [], [], []
    for child, row in children.items():
        values = _moved_forward(row, batches[child], alone)
        if values is None:
            recompute.append(child)
            continue
        moved.append(values)
        seen += [
            {"visit_id": v, "child_id": child, "author_id": author_id, "occurred_on": day, "alone": answers.get(v)}
            for v, day in batches[child].new_seen
        ]
    # One statement for both (one array per column on PostgreSQL): the new seen visits, and the moved rows.
    insert_rows(session, (seen_visit_facts, seen), (facts, moved, ["child_id"]))
    visit_facts.refresh(session, recompute)


def _moved_forward(row, batch: _Batch, alone: set[str]) -> dict | None:
    """The child's new facts row, or None when only a recount from the records can tell."""
    if batch.recompute or row.kept is None or _computed_from_other_details(row):
        return None
    new_ids = {visit_id for visit_id, _ in batch.new_seen}
    if not batch.answered <= new_ids:
        return None  # an answer for a visit stored earlier: where it stands in the streak needs the history
    last = row.last_seen_on
    if any(day is None or (last is not None and day < last) for _, day in batch.new_seen):
        return None  # undated or back-dated: it does not go on top
    # Latest first, as the full count orders them: date, then arrival (all of this batch arrived now, after
    # every stored visit), then id.
    newest_first = sorted(sorted(batch.new_seen), key=lambda visit: visit[1], reverse=True)
    cut = next((i for i, (visit_id, _) in enumerate(newest_first) if visit_id in alone), None)
    return visit_facts.facts_row(
        row,
        last_seen_on=newest_first[0][1] if newest_first else last,
        seen_visits=row.seen_visits + len(newest_first),
        not_alone_streak=row.not_alone_streak + len(newest_first) if cut is None else cut,
    )


def _computed_from_other_details(row) -> bool:
    now = (getattr(row.legal_status, "value", row.legal_status), *(getattr(row, name) for name in INPUTS[1:]))
    return now != tuple(getattr(row, f"kept_{name}") for name in INPUTS)
