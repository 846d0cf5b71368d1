"""The worker's taps for bench/interactions.py: one statutory visit, by the old path or with carry forward.

Pure Playwright (no fieldapp import), so the same steps drive the old code and the new. `Worker` counts every
tap and selection; typing (Playwright `fill`) is never counted.
"""

from __future__ import annotations

PANEL = ".record-panel:not([hidden])"
EARLIER = "2026-10-01"
PEOPLE = [
    {"name": "Nan Example (fictional)", "relationship": "Grandmother"},
    {"name": "Uncle Example (fictional)", "relationship": "Uncle"},
]
HARM = "Police were called twice after shouting at home (fictional)."
DANGERS = [
    {
        "who_is_worried": "School (fictional)",
        "worried_about": "Shouting at night",
        "what_could_happen": "The child gets hurt",
        "safety_goal": "Adults keep arguments away from the child",
    },
    {
        "who_is_worried": "Nan (fictional)",
        "worried_about": "Missed school runs",
        "what_could_happen": "The child misses school",
        "safety_goal": "The network takes the child to school",
    },
]
MAP_TEXT = {
    "complicating_factors": "Parent works nights (fictional).",
    "existing_strengths": "Nan lives nearby (fictional).",
    "existing_safety": "Nan has collected the child every Friday since January (fictional).",
}
NEXT_STEP = {"what": "Network meeting (fictional)", "who": "Social worker", "by_when": "2026-12-20"}
RATERS = [
    ("worker", "Bench Worker", None, 4),
    ("parent", "Parent Example (fictional)", "Mother", 7),
    ("child", "The child (fictional)", None, 9),
]
TODAY_SCORES = [5, 8, 9]
ANCHORS = {
    "anchor_zero": "So dangerous the child likely cannot live at home",
    "anchor_ten": "Safe enough for the case to close",
}
COUNT_CLICKS = """() => { window.__taps = 0;
  document.addEventListener('click', (e) => { if (e.isTrusted) window.__taps += 1; }, true); }"""


class Worker:
    """Drives the page and counts what the worker does; typing (fill) is never counted."""

    def __init__(self, page):
        self.page = page
        self.counts: dict[str, int] = {}
        self.part = ""

    def tap(self, selector: str):
        self.page.click(selector)
        self.counts[self.part] = self.counts.get(self.part, 0) + 1

    def write(self, selector: str, text: str):
        self.tap(selector)  # a tap into the field
        self.page.fill(selector, text)  # the words themselves: not counted

    def choose(self, selector: str, value: str):
        self.page.select_option(selector, value)
        self.counts[self.part] = self.counts.get(self.part, 0) + 1

    def next(self):
        self.tap(f"{PANEL} .form-section:not([hidden]) .section-nav button:not(.secondary)")


def record_visit(w: Worker, carry: bool) -> None:
    page = w.page
    w.part = "visit"
    w.tap("#caseload-list button:has-text('Start a visit')")
    page.wait_for_selector(f"{PANEL} #rf-visit-form")
    assert page.is_checked("#rf-visit-visit_type-1"), "the visit type comes from the legal status in both runs"
    w.write("#rf-visit-start_time", "10:00")
    w.write("#rf-visit-end_time", "11:00")
    if carry:
        w.tap("#rf-visit-same-as-last")
    else:
        w.write("#rf-visit-location", "Nan's flat (fictional)")
        for i, person in enumerate(PEOPLE):
            w.tap("#rf-visit-others_present")
            w.write(f"#rf-visit-others_present-{i}-name", person["name"])
            w.write(f"#rf-visit-others_present-{i}-relationship", person["relationship"])
    w.next()
    w.tap("#rf-visit-child_seen")
    w.tap("#rf-visit-bedroom_seen")
    w.next()
    w.write("#rf-visit-observations", "Calm and chatty today (fictional).")
    w.write("#rf-visit-childs_words", "I like my new school (fictional).")

    w.part = "seen_alone"
    w.tap("#record-tabs button:has-text('Seen alone')")
    w.tap("#rf-seen_alone-seen_alone")
    w.write("#rf-seen_alone-where_seen", "Their bedroom")
    w.next()
    w.write("#rf-seen_alone-wishes_and_feelings", "I want to see Nan more (fictional).")
    w.tap("#rf-seen_alone-how_captured")


def review_map(w: Worker, carry: bool) -> None:
    w.part = "sos_map"
    w.tap("#record-add button:has-text('Add Signs of Safety map')")
    w.page.wait_for_selector(f"{PANEL} #rf-sos_map-form")
    if carry:
        w.tap("#rf-sos_map-harm_statements-0")
        w.next()
        for i in range(len(DANGERS)):
            w.tap(f"#rf-sos_map-danger_statements-{i}")
        w.next()
        w.tap("#rf-sos_map-complicating_factors-confirm")
        w.next()
        w.tap("#rf-sos_map-existing_strengths-confirm")
        w.tap("#rf-sos_map-existing_safety-confirm")
        w.next()
        w.tap("#rf-sos_map-next_steps-0")
        return
    w.tap("#rf-sos_map-harm_statements")
    w.write("#rf-sos_map-harm_statements-0-statement", HARM)
    w.next()
    for i, danger in enumerate(DANGERS):
        w.tap("#rf-sos_map-danger_statements")
        for field in ("who_is_worried", "worried_about", "what_could_happen", "safety_goal"):
            w.write(f"#rf-sos_map-danger_statements-{i}-{field}", danger[field])
    w.next()
    w.write("#rf-sos_map-complicating_factors", MAP_TEXT["complicating_factors"])
    w.next()
    w.write("#rf-sos_map-existing_strengths", MAP_TEXT["existing_strengths"])
    w.write("#rf-sos_map-existing_safety", MAP_TEXT["existing_safety"])
    w.next()
    w.tap("#rf-sos_map-next_steps")
    for field in ("what", "who", "by_when"):
        w.write(f"#rf-sos_map-next_steps-0-{field}", NEXT_STEP[field])


def rate_again(w: Worker, carry: bool) -> None:
    w.part = "safety_rating"
    w.tap("#record-add button:has-text('Add Safety-scale ratings')")
    w.page.wait_for_selector(f"{PANEL} #rf-safety_rating-form")
    w.next()
    for i, ((by, name, relationship, _), score) in enumerate(zip(RATERS, TODAY_SCORES, strict=True)):
        if not carry:
            w.tap("#rf-safety_rating-ratings")
            w.choose(f"#rf-safety_rating-ratings-{i}-rated_by", by)
            w.write(f"#rf-safety_rating-ratings-{i}-name", name)
            if relationship:
                w.write(f"#rf-safety_rating-ratings-{i}-relationship", relationship)
        w.tap(f"#rf-safety_rating-ratings-{i}-score-{score}")
        w.write(f"#rf-safety_rating-ratings-{i}-why", f"Reason {i} (fictional).")
