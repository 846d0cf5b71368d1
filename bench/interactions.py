"""Count the taps a worker needs to record a standard statutory visit: `python bench/interactions.py`.

Issue 18 ("fewer steps"). Real Chromium drives the offline app through one child protection visit with the child
seen alone, for a child whose earlier visit, Signs of Safety map and safety-scale ratings are on the device:
the visit (times, where, who was there, child seen, bedroom seen, observations, child's words), the seen-alone
record, the map reviewed (it still stands: same harm, the same two danger statements with their safety goals,
same complicating factors, strengths, safety and next step) and the scale rated again by the same three people.

Counted: every tap/click (buttons, radios, checkboxes, a tap into a text field before typing) and every
selection from a list. Not counted: the free text typed (Playwright `fill`), and syncing.

BEFORE runs the old path on the old code: the app at `--before-ref` (default: the merge-base with `main`) is
exported with `git archive` into a temporary folder and served from there, and the script types location and
people again, rebuilds the map and adds each rater by hand, because that code offers nothing else. AFTER runs
this checkout with carry forward: "Same as last visit", confirm each carried map answer, score the raters already
listed. Both runs must end with the same records on the server (compared field by field, ids and dates aside),
so the two counts are for the same visit. The page's own count of trusted clicks is printed next to the
script's count as a check. Results also go to bench/results/interactions.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
from datetime import date
from io import BytesIO
from pathlib import Path

from chromium import CHROMIUM, CHROMIUM_ARGS  # bench/chromium.py, a sibling module like the next
from interactions_flows import (  # a sibling module: bench/ is on sys.path when this runs as a script
    ANCHORS,
    COUNT_CLICKS,
    DANGERS,
    EARLIER,
    HARM,
    MAP_TEXT,
    NEXT_STEP,
    PEOPLE,
    RATERS,
    Worker,
    rate_again,
    record_visit,
    review_map,
)

REPO = Path(__file__).resolve().parent.parent
PIN = "482915"
from worker_store import PASSWORD  # noqa: E402  (no fieldapp import at module level)

# ---- the app under test (imported from --app-root, so BEFORE really is the old code) ---------------------------


def build_app(folder: Path):
    # Imports fieldapp: only here, once --app-root is on sys.path.
    from worker_store import worker_app

    from fieldapp.models import LegalStatus

    def add_earlier_records(app, children, worker):
        app.config["BENCH_EARLIER_IDS"] = earlier_records(children[0], worker)

    child = dict(
        case_number="BENCH-1",
        first_name="Benchchild",
        last_name="Example",
        date_of_birth=date(2016, 5, 1),
        legal_status=LegalStatus.CHILD_PROTECTION,
        address="1 Example Street, Demo Town (fictional)",
    )
    return worker_app(folder, [child], then=add_earlier_records)


def earlier_records(child, worker) -> set[str]:
    """The last visit, map and ratings, stored through the real sync path (pulled by the device at enrolment)."""
    import uuid
    from datetime import UTC, datetime

    from fieldapp.extensions import db
    from fieldapp.records.store import push_context
    from sync import OpStatus, PushOp, apply_push

    visit_id, alone_id = str(uuid.uuid4()), str(uuid.uuid4())
    bodies = [
        {
            "record_type": "visit",
            "id": visit_id,
            "visit_type": "child_protection_plan",
            "planned_date": EARLIER,
            "visit_date": EARLIER,
            "start_time": "09:00",
            "end_time": "10:00",
            "location": "Nan's flat (fictional)",
            "others_present": PEOPLE,
            "child_seen": True,
            "seen_alone_record_id": alone_id,
            "observations": "Earlier visit (fictional).",
        },
        {
            "record_type": "seen_alone",
            "id": alone_id,
            "visit_id": visit_id,
            "seen_alone": True,
            "where_seen": "Garden",
            "wishes_and_feelings": "Earlier words (fictional).",
            "how_captured": ["conversation"],
        },
        {
            "record_type": "sos_map",
            "id": str(uuid.uuid4()),
            "mapped_on": EARLIER,
            "harm_statements": [{"statement": HARM}],
            "danger_statements": DANGERS,
            **MAP_TEXT,
            "next_steps": [NEXT_STEP],
        },
        {
            "record_type": "safety_rating",
            "id": str(uuid.uuid4()),
            "rated_on": EARLIER,
            "ratings": [
                {
                    "rated_by": by,
                    "name": name,
                    **({"relationship": rel} if rel else {}),
                    "score": score,
                    **ANCHORS,
                    "why": "Earlier reason (fictional).",
                }
                for by, name, rel, score in RATERS
            ],
        },
    ]
    for n, body in enumerate(bodies):
        body = {**body, "schema_version": 1, "child_id": child.public_id}
        op = PushOp(
            op_id=str(uuid.uuid4()),
            record_id=body["id"],
            record_type=body["record_type"],
            schema_version=1,
            device_id="bench-earlier",
            device_seq=n + 1,
            base_revision=0,
            child_id=child.public_id,
            body=body,
        )
        [result] = apply_push(db.session, [op], push_context(worker.id, "bench-earlier", datetime.now(UTC)))
        db.session.commit()
        assert result.status != OpStatus.REJECTED, result
    return {body["id"] for body in bodies}


def recorded_today(app) -> dict:
    """The records this run made, by type, without ids, links and dates (so two runs can be compared)."""
    from sqlalchemy import select

    from fieldapp.extensions import db
    from fieldapp.records.store import get_record_row, read_body
    from sync.tables import records

    out = {}
    with app.app_context():
        for record_id, record_type in db.session.execute(select(records.c.id, records.c.record_type)):
            if record_id in app.config["BENCH_EARLIER_IDS"]:
                continue
            body = read_body(get_record_row(record_id))
            for key in (
                "id",
                "child_id",
                "visit_id",
                "seen_alone_record_id",
                "sos_map_id",
                "visit_date",
                "planned_date",
                "mapped_on",
                "rated_on",
            ):
                body.pop(key, None)
            out[record_type] = body
    return out


def drive(url: str, carry: bool) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home, sync_playwright() as playwright:
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config", "XDG_CACHE_HOME": f"{home}/.cache"}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
        page = browser.new_context(viewport={"width": 1024, "height": 1366}).new_page()
        page.set_default_timeout(20000)
        page.goto(f"{url}/login")
        page.fill("#username", "bench.worker")
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_selector("#screen-setpin:not([hidden])")
        page.fill("#new-pin", PIN)
        page.fill("#confirm-pin", PIN)
        page.click("#setpin-form button[type=submit]")
        page.wait_for_selector("#caseload-list li")
        wait_synced(page)  # the earlier records are pulled to the device
        page.evaluate(COUNT_CLICKS)
        w = Worker(page)
        record_visit(w, carry)
        review_map(w, carry)
        rate_again(w, carry)
        w.part = "finalize"
        w.tap("#record-finalize")
        page.wait_for_selector("#screen-home:not([hidden])")
        page_taps = page.evaluate("window.__taps")
        for _ in range(6):  # deliver everything (not part of recording)
            wait_synced(page)
            if "Waiting to send" not in (page.text_content("#outbox-list") or ""):
                break
            page.evaluate("document.getElementById('sync-status').textContent = ''")
            page.click("#sync-now")
        browser.close()
    return {"counts": w.counts, "page_trusted_clicks": page_taps}


def wait_synced(page):
    page.wait_for_function(
        "() => document.getElementById('sync-status').textContent.includes('Up to date')", timeout=30000
    )


def run(flow: str, out: Path) -> None:
    """One flow in this process, against the fieldapp package on sys.path[0] (set by main)."""
    from werkzeug.serving import make_server

    import fieldapp

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        result = drive(f"http://127.0.0.1:{server.server_port}", carry=flow == "after")
        result["records"] = recorded_today(app)
        result["code"] = str(Path(fieldapp.__file__).parent)
        server.shutdown()
    out.write_text(json.dumps(result))


# ---- both runs, compared -------------------------------------------------------------------------------------


def export(ref: str, folder: Path) -> str:
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", ref], check=True, capture_output=True, text=True
    ).stdout.strip()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return commit


def child_run(flow: str, app_root: Path, folder: Path) -> dict:
    out = folder / f"{flow}.json"
    subprocess.run(
        [sys.executable, __file__, "--run", flow, "--app-root", str(app_root), "--out", str(out)],
        check=True,
        cwd=app_root,
    )
    result = json.loads(out.read_text())
    assert result["code"].startswith(str(app_root)), f"{flow} ran {result['code']}, not {app_root}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before-ref", default=None, help="git ref of the code before (default: merge-base with main)")
    parser.add_argument("--run", choices=["before", "after"], help=argparse.SUPPRESS)
    parser.add_argument("--app-root", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        sys.path.insert(0, args.app_root)
        return run(args.run, Path(args.out))
    ref = (
        args.before_ref
        or subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "before"
        base.mkdir()
        commit = export(ref, base)
        before = child_run("before", base, Path(folder))
        after = child_run("after", REPO, Path(folder))
    assert before["records"] == after["records"], (
        "the two runs recorded different visits",
        before["records"],
        after["records"],
    )
    report(commit, before, after)


def report(commit: str, before: dict, after: dict) -> None:
    parts = ["visit", "seen_alone", "sos_map", "safety_rating", "finalize"]
    total = {name: sum(run["counts"].values()) for name, run in (("before", before), ("after", after))}
    visit_only = {
        name: sum(run["counts"].get(p, 0) for p in ("visit", "seen_alone", "finalize"))
        for name, run in (("before", before), ("after", after))
    }
    results = {
        "before_commit": commit,
        "before": before["counts"],
        "after": after["counts"],
        "total": total,
        "visit_and_seen_alone": visit_only,
        "page_trusted_clicks": {"before": before["page_trusted_clicks"], "after": after["page_trusted_clicks"]},
        "same_records": True,
    }
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "interactions.json").write_text(json.dumps(results, indent=2))
    print(f"before = {commit[:10]} (old code, old path); after = this checkout with carry forward")
    print(f"{'part':<16}{'before':>8}{'after':>8}")
    for part in parts:
        print(f"{part:<16}{before['counts'].get(part, 0):>8}{after['counts'].get(part, 0):>8}")
    print(
        f"taps and selections, whole visit (visit, seen alone, map review, ratings): before {total['before']}, "
        f"after {total['after']}, ratio after/before {total['after'] / total['before']:.2f} "
        f"({total['before'] / total['after']:.1f}x fewer)"
    )
    print(
        f"visit and seen alone only: before {visit_only['before']}, after {visit_only['after']}, "
        f"ratio {visit_only['after'] / visit_only['before']:.2f}"
    )
    print(
        f"check: trusted clicks seen by the page (selections excluded): before {before['page_trusted_clicks']}, "
        f"after {after['page_trusted_clicks']}; both runs left identical records on the server"
    )


if __name__ == "__main__":
    main()
