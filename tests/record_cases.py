"""One table of records, valid and invalid, run against the server validator AND the browser's validate().

Each case names the record type, the body, and the JSON pointers that must carry an error (none: valid).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

CHILD = "0b7e6a52-3c1d-4a8e-9f0a-1d2c3b4a5e6f"
VISIT = "5f0c2b1e-7d3a-4c9b-8e6f-2a1b0c9d8e7f"
SEEN_ALONE = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
MAP = "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f"
RATING = "7e6d5c4b-3a29-4180-8f7e-6d5c4b3a2918"
HOUSES = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
DRAWING = "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2910"


def statutory_visit() -> dict:
    return {
        "record_type": "visit",
        "schema_version": 1,
        "id": VISIT,
        "child_id": CHILD,
        "visit_type": "looked_after_reg28",
        "planned_date": "2025-03-27",
        "visit_date": "2025-03-27",
        "start_time": "10:00",
        "end_time": "11:15",
        "location": "Foster placement",
        "others_present": [{"name": "Foster carer", "relationship": "Carer"}],
        "child_seen": True,
        "seen_alone_record_id": SEEN_ALONE,
        "bedroom_seen": True,
        "observations": "Warm, tidy home. Testchild showed me their room.",
        "childs_words": "I like it here, the dog is funny.",
        "actions": [{"text": "Book dentist", "owner": "Foster carer", "due": "2025-04-10"}],
    }


def seen_alone() -> dict:
    return {
        "record_type": "seen_alone",
        "schema_version": 1,
        "id": SEEN_ALONE,
        "child_id": CHILD,
        "visit_id": VISIT,
        "seen_alone": True,
        "where_seen": "Their bedroom",
        "wishes_and_feelings": "I want to see my nan more.",
        "how_captured": ["conversation", "drawing_or_play"],
    }


def not_seen_alone() -> dict:
    return {
        "record_type": "seen_alone",
        "schema_version": 1,
        "id": SEEN_ALONE,
        "child_id": CHILD,
        "visit_id": VISIT,
        "seen_alone": False,
        "reason_not_seen_alone": "child_refused_sufficient_understanding",
        "reason_detail": "Said they did not want to talk today; agreed to see me at school.",
    }


def danger(who: str) -> dict:
    return {
        "who_is_worried": who,
        "worried_about": "Arguments at night",
        "what_could_happen": "Child gets hurt",
        "disputed": False,
        "safety_goal": "Adults keep arguments away from the child",
    }


def sos_map() -> dict:
    return {
        "record_type": "sos_map",
        "schema_version": 1,
        "id": MAP,
        "child_id": CHILD,
        "mapped_on": "2025-03-27",
        "harm_statements": [
            {
                "statement": "Police called twice in March after shouting.",
                "disputed": True,
                "disputed_by": "Parent",
                "dispute_detail": "Says it was only once.",
            }
        ],
        "danger_statements": [danger("Social worker"), danger("School")],
        "complicating_factors": "Parent works nights.",
        "existing_strengths": "Grandparent nearby.",
        "existing_safety": "Grandparent has collected the child every Friday since January.",
        "next_steps": [{"what": "Network meeting", "who": "Social worker", "by_when": "2025-04-03"}],
    }


def rating(rated_by: str, name: str, score: int, relationship: str | None = None) -> dict:
    item = {
        "rated_by": rated_by,
        "name": name,
        "score": score,
        "anchor_zero": "So dangerous the child likely cannot live at home",
        "anchor_ten": "Safe enough for the case to close",
        "why": "Because of the progress since March.",
    }
    if relationship:
        item["relationship"] = relationship
    return item


def safety_rating() -> dict:
    return {
        "record_type": "safety_rating",
        "schema_version": 1,
        "id": RATING,
        "child_id": CHILD,
        "sos_map_id": MAP,
        "rated_on": "2025-03-27",
        "ratings": [
            rating("worker", "Test Worker", 4),
            rating("parent", "Test Parent", 7, "Mother"),
            rating("child", "Testchild", 10),
        ],
    }


def three_houses() -> dict:
    return {
        "record_type": "three_houses",
        "schema_version": 1,
        "id": HOUSES,
        "child_id": CHILD,
        "completed_on": "2025-03-27",
        "worries": "When mum and dad shout.",
        "good_things": "My dog Biscuit.",
        "dreams": "Going to the seaside.",
        "written_by": "child",
        "read_back": True,
        "drawing": {"attachment_id": DRAWING, "mime": "image/jpeg", "size": 2_000_000},
    }


BUILDERS = {
    "visit": statutory_visit,
    "seen_alone": seen_alone,
    "sos_map": sos_map,
    "safety_rating": safety_rating,
    "three_houses": three_houses,
}


@dataclass(frozen=True)
class Case:
    name: str
    record_type: str
    body: object
    error_paths: frozenset[str]


def changed(record_type: str, builder=None, drop=(), **changes) -> dict:
    body = copy.deepcopy((builder or BUILDERS[record_type])())
    for key in drop:
        body.pop(key)
    body.update(changes)
    return body


def with_item(body: dict, array: str, index: int, drop=(), **changes) -> dict:
    item = body[array][index]
    for key in drop:
        item.pop(key)
    item.update(changes)
    return body


def case(name, record_type, body, *paths) -> Case:
    return Case(name, record_type, body, frozenset(paths))


CASES = [
    # visit
    case("statutory visit, child seen, with seen-alone record", "visit", statutory_visit()),
    case(
        "other visit needs no child_seen",
        "visit",
        changed("visit", visit_type="other", drop=("child_seen", "seen_alone_record_id")),
    ),
    case("statutory visit without child_seen", "visit", changed("visit", drop=("child_seen",)), "/child_seen"),
    case(
        "statutory visit, child seen, no seen-alone record",
        "visit",
        changed("visit", drop=("seen_alone_record_id",)),
        "/seen_alone_record_id",
    ),
    case(
        "child not seen needs a reason",
        "visit",
        changed("visit", child_seen=False, drop=("seen_alone_record_id",)),
        "/child_not_seen_reason",
    ),
    case(
        "child not seen with reason is valid",
        "visit",
        changed(
            "visit",
            child_seen=False,
            child_not_seen_reason="Child at hospital appointment",
            drop=("seen_alone_record_id",),
        ),
    ),
    case("unknown visit type", "visit", changed("visit", visit_type="reg_99"), "/visit_type"),
    case("impossible date", "visit", changed("visit", visit_date="2025-02-30"), "/visit_date"),
    case("time with trailing newline", "visit", changed("visit", start_time="10:30\n"), "/start_time"),
    case("time out of range", "visit", changed("visit", end_time="24:00"), "/end_time"),
    case("empty observations", "visit", changed("visit", observations=""), "/observations"),
    case(
        "missing several required fields",
        "visit",
        changed("visit", drop=("location", "visit_date")),
        "/location",
        "/visit_date",
    ),
    case(
        "action without owner", "visit", with_item(changed("visit"), "actions", 0, drop=("owner",)), "/actions/0/owner"
    ),
    case("unexpected field", "visit", changed("visit", mood="happy"), "/mood"),
    case("child id not a uuid", "visit", changed("visit", child_id="child-1"), "/child_id"),
    case("uppercase uuid rejected", "visit", changed("visit", id=VISIT.upper()), "/id"),
    case("wrong schema version", "visit", changed("visit", schema_version=2), "/schema_version"),
    case("child_seen as a string", "visit", changed("visit", child_seen="yes"), "/child_seen"),
    case("body not an object", "visit", ["not", "a", "record"], ""),
    # seen alone
    case("seen alone", "seen_alone", seen_alone()),
    case("not seen alone with reg 29 reason", "seen_alone", not_seen_alone()),
    case(
        "not seen alone without reason",
        "seen_alone",
        changed("seen_alone", not_seen_alone, drop=("reason_not_seen_alone",)),
        "/reason_not_seen_alone",
    ),
    case(
        "not seen alone without explanation",
        "seen_alone",
        changed("seen_alone", not_seen_alone, drop=("reason_detail",)),
        "/reason_detail",
    ),
    case(
        "not seen alone, nothing given",
        "seen_alone",
        changed("seen_alone", not_seen_alone, drop=("reason_not_seen_alone", "reason_detail")),
        "/reason_not_seen_alone",
        "/reason_detail",
    ),
    case(
        "unknown reason",
        "seen_alone",
        changed("seen_alone", not_seen_alone, reason_not_seen_alone="busy"),
        "/reason_not_seen_alone",
    ),
    case(
        "seen alone without the child's words",
        "seen_alone",
        changed("seen_alone", drop=("wishes_and_feelings",)),
        "/wishes_and_feelings",
    ),
    case("seen alone, how captured empty", "seen_alone", changed("seen_alone", how_captured=[]), "/how_captured"),
    case(
        "how captured repeated",
        "seen_alone",
        changed("seen_alone", how_captured=["conversation", "conversation"]),
        "/how_captured",
    ),
    case("seen alone unanswered", "seen_alone", changed("seen_alone", drop=("seen_alone",)), "/seen_alone"),
    case("no visit link", "seen_alone", changed("seen_alone", drop=("visit_id",)), "/visit_id"),
    # Signs of Safety map
    case("map with two danger statements", "sos_map", sos_map()),
    case(
        "danger statement without its safety goal",
        "sos_map",
        with_item(changed("sos_map"), "danger_statements", 1, drop=("safety_goal",)),
        "/danger_statements/1/safety_goal",
    ),
    case("no danger statements", "sos_map", changed("sos_map", danger_statements=[]), "/danger_statements"),
    case(
        "disputed without who disputes",
        "sos_map",
        with_item(changed("sos_map"), "danger_statements", 0, disputed=True),
        "/danger_statements/0/disputed_by",
        "/danger_statements/0/dispute_detail",
    ),
    case(
        "harm dispute missing detail",
        "sos_map",
        with_item(changed("sos_map"), "harm_statements", 0, drop=("dispute_detail",)),
        "/harm_statements/0/dispute_detail",
    ),
    case(
        "next step without date",
        "sos_map",
        with_item(changed("sos_map"), "next_steps", 0, drop=("by_when",)),
        "/next_steps/0/by_when",
    ),
    case("no harm statements key", "sos_map", changed("sos_map", drop=("harm_statements",)), "/harm_statements"),
    # safety-scale ratings
    case("ratings by three people", "safety_rating", safety_rating()),
    case(
        "rating above 10",
        "safety_rating",
        with_item(changed("safety_rating"), "ratings", 0, score=11),
        "/ratings/0/score",
    ),
    case(
        "rating below 0",
        "safety_rating",
        with_item(changed("safety_rating"), "ratings", 2, score=-1),
        "/ratings/2/score",
    ),
    case(
        "rating not a whole number",
        "safety_rating",
        with_item(changed("safety_rating"), "ratings", 0, score=4.5),
        "/ratings/0/score",
    ),
    case(
        "rating as text",
        "safety_rating",
        with_item(changed("safety_rating"), "ratings", 0, score="7"),
        "/ratings/0/score",
    ),
    case(
        "parent rating without relationship",
        "safety_rating",
        with_item(changed("safety_rating"), "ratings", 1, drop=("relationship",)),
        "/ratings/1/relationship",
    ),
    case(
        "rating without anchors",
        "safety_rating",
        with_item(changed("safety_rating"), "ratings", 0, drop=("anchor_zero", "anchor_ten")),
        "/ratings/0/anchor_zero",
        "/ratings/0/anchor_ten",
    ),
    case(
        "unknown rater",
        "safety_rating",
        with_item(changed("safety_rating"), "ratings", 0, rated_by="neighbour"),
        "/ratings/0/rated_by",
    ),
    case("no ratings", "safety_rating", changed("safety_rating", ratings=[]), "/ratings"),
    # Three Houses
    case("three houses with drawing", "three_houses", three_houses()),
    case(
        "three houses, only dreams, no drawing",
        "three_houses",
        changed("three_houses", drop=("worries", "good_things", "drawing")),
    ),
    case(
        "three houses with no house filled",
        "three_houses",
        changed("three_houses", drop=("worries", "good_things", "dreams")),
        "/worries",
    ),
    case(
        "drawing too large",
        "three_houses",
        changed("three_houses", drawing={"attachment_id": DRAWING, "mime": "image/jpeg", "size": 10_485_761}),
        "/drawing/size",
    ),
    case(
        "drawing not an image",
        "three_houses",
        changed("three_houses", drawing={"attachment_id": DRAWING, "mime": "application/pdf", "size": 100}),
        "/drawing/mime",
    ),
    case(
        "drawing without attachment id",
        "three_houses",
        changed("three_houses", drawing={"mime": "image/png", "size": 100}),
        "/drawing/attachment_id",
    ),
    case(
        "written by someone else, unnamed",
        "three_houses",
        changed("three_houses", written_by="someone_else"),
        "/written_by_detail",
    ),
    case("read back unanswered", "three_houses", changed("three_houses", drop=("read_back",)), "/read_back"),
]
