"""Soak with faults: the production topology on this machine under locust, headless, for a set time.

`fieldapp serve` (gunicorn workers + a supervised escalator) and a second escalator on a private PostgreSQL schema
with Redis for shared limits and an SMTP sink for alert emails. N devices pull their caseload, push sealed records
and run safety sessions (some left overdue, some panics); managers poll the board. Meanwhile a gunicorn worker and
the supervised escalator are SIGKILLed and every database connection of this soak is terminated. Reports per
endpoint requests, failures and p50/p95/p99; records sealed vs stored (lost, duplicated); alerts per overdue session
and stage; emails recorded as sent vs received; memory of each process at start and end.

    .venv/bin/python bench/soak.py --devices 300 --minutes 15      # the full run
    .venv/bin/python bench/soak.py --short --json out.json         # ~2 minutes, as the test suite runs it
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gevent  # noqa: E402
import requests  # noqa: E402
from locust.env import Environment  # noqa: E402
from soak_checks import alert_checks, record_checks  # noqa: E402
from soak_users import LEDGER, PASSWORD, Device, Manager  # noqa: E402
from soak_world import World  # noqa: E402

FAULTS = (
    (0.3, "kill a gunicorn worker", "kill_gunicorn_worker"),
    (0.5, "kill the supervised escalator", "kill_escalator"),
    (0.7, "terminate every database connection", "terminate_connections"),
)


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=300)
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--session-minutes", type=int, default=None, help="length of each safety session")
    parser.add_argument("--short", action="store_true", help="12 devices for 45 s (the test suite's version)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    if args.short:
        args.devices, args.minutes = 12, 0.75
    args.session_minutes = args.session_minutes or (1 if args.minutes < 5 else 5)
    return args


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/login", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not answer within 120 s")


def run_load(world: World, url: str, args) -> tuple[Environment, list, float]:
    Device.fixed_count, Manager.fixed_count = args.devices, len(LEDGER.managers)
    env = Environment(user_classes=[Device, Manager], host=url)
    runner = env.create_local_runner()
    seconds = args.minutes * 60
    faults = []

    def inject():
        started = time.monotonic()
        for at, what, method in FAULTS:
            gevent.sleep(max(0, started + at * seconds - time.monotonic()))
            try:
                faults.append(
                    {"at_s": round(time.monotonic() - started), "fault": what, "result": getattr(world, method)()}
                )
            except Exception as error:  # noqa: BLE001  (reported, never hidden)
                faults.append({"fault": what, "error": repr(error)})

    runner.start(args.devices + len(LEDGER.managers), spawn_rate=max(5, args.devices / 20))
    started = time.monotonic()
    fault_greenlet = gevent.spawn(inject)
    gevent.sleep(seconds)
    fault_greenlet.join(timeout=5)
    runner.stop()
    users = LEDGER.devices
    elapsed = time.monotonic() - started
    for _ in range(5):  # what is still in an outbox is sent again until stored, as the app does
        if all(user.flush() for user in users):
            break
        gevent.sleep(2)
    return env, faults, elapsed


def endpoint_table(env: Environment) -> dict:
    table = {}
    for (name, method), entry in sorted(env.stats.entries.items()):
        table[f"{method} {name}"] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
        }
    return table


def main() -> int:
    args = parse()
    workdir = Path(tempfile.mkdtemp(prefix="fieldapp-soak-"))
    world = World(workdir, args.devices, args.session_minutes, web_workers=2 if args.short else 0)
    report = {"devices": args.devices, "minutes": args.minutes, "session_minutes": args.session_minutes}
    phases, mark = {}, time.monotonic()

    def phase(name):
        nonlocal mark
        phases[name] = round(time.monotonic() - mark, 1)
        mark = time.monotonic()

    try:
        world.create(PASSWORD, grace_minutes=0 if args.minutes < 5 else 1)
        LEDGER.workers, LEDGER.managers, LEDGER.session_minutes = world.workers, world.managers, args.session_minutes
        LEDGER.repeat_sessions = not args.short  # a short run checks its one round of sessions
        phase("setup_s")
        url = world.start()
        wait_ready(url)
        phase("start_s")
        report["memory_start_mib"] = world.memory()
        env, report["faults"], elapsed = run_load(world, url, args)
        phase("load_and_final_flush_s")
        report["memory_end_mib"] = world.memory()
        report["alerts"] = alert_checks(world, LEDGER)
        phase("escalator_drain_s")
        report["records"] = record_checks(world, LEDGER)
        report["endpoints"] = endpoint_table(env)
        total = env.stats.total
        report["requests"] = total.num_requests
        report["failures"] = total.num_failures
        report["failure_kinds"] = {f"{e.method} {e.name}: {e.error}": e.occurrences for e in env.stats.errors.values()}
        report["requests_per_s"] = round(total.num_requests / elapsed, 1)
        report["supervisor_restarts"] = (workdir / "serve.out").read_text(errors="replace").count("escalator died")
    finally:
        world.stop()
        world.drop()
        phase("stop_s")
        report["phases"] = phases
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    ok = report["records"]["lost"] == 0 and report["records"]["duplicated"] == 0 and report["alerts"]["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
