"""What the soak proves, read back from the database after the load stops: records and alerts."""

from __future__ import annotations

import time

DRAIN_SECONDS = 120


def _wait_for_escalators(world, ledger) -> None:
    """Until every session left to go overdue is past its amber time and no step has been due for more than 3 s
    (one tick plus slack): the escalators have caught up."""
    # Left overdue on purpose, or still open when the load stopped: either way the escalators must alert.
    overdue = [public_id for public_id, fate in ledger.sessions.items() if fate in ("overdue", "open")]
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        [(pending, late)] = world.query(
            "SELECT count(*) FILTER (WHERE s.public_id = ANY(:overdue) AND s.expected_end "
            "+ make_interval(mins => p.grace_minutes) > now() - interval '2 seconds'), "
            "count(*) FILTER (WHERE s.checked_out_at IS NULL AND s.next_due_at <= now() - interval '3 seconds') "
            "FROM safety_sessions s JOIN safety_policies p ON p.team_id = s.team_id",
            overdue=overdue,
        )
        if pending == 0 and late == 0:
            return
        time.sleep(1)


def alert_checks(world, ledger) -> dict:
    """Each session left overdue: the grace and amber stages raised exactly once each; each panic exactly once."""
    _wait_for_escalators(world, ledger)
    rows = world.query(
        "SELECT s.public_id, s.panic_at IS NOT NULL, s.expected_end + make_interval(mins => p.grace_minutes) "
        "<= now() - interval '2 seconds', a.stage_key, count(a.id) FROM safety_sessions s "
        "JOIN teams t ON t.id = s.team_id JOIN safety_policies p ON p.team_id = t.id "
        "LEFT JOIN safety_alerts a ON a.session_id = s.id WHERE s.checked_out_at IS NULL "
        "GROUP BY s.public_id, s.panic_at, s.expected_end, p.grace_minutes, a.stage_key"
    )
    sessions: dict[str, dict] = {}
    for public_id, panicked, amber_due, stage, count in rows:
        entry = sessions.setdefault(public_id, {"panic": panicked, "amber_due": amber_due, "stages": {}})
        if stage:
            entry["stages"][stage] = count
    overdue = {k: v for k, v in sessions.items() if not v["panic"] and v["amber_due"]}
    panics = {k: v for k, v in sessions.items() if v["panic"]}
    wrong = [
        (k, v["stages"]) for k, v in overdue.items() if v["stages"].get("grace") != 1 or v["stages"].get("amber") != 1
    ]
    wrong += [(k, v["stages"]) for k, v in panics.items() if v["stages"].get("panic-1") != 1]
    repeated = [(k, s, n) for k, v in sessions.items() for s, n in v["stages"].items() if n != 1]
    stage_totals: dict[str, int] = {}
    for entry in overdue.values():
        for stage in entry["stages"]:
            key = "repeat-n" if stage.startswith("repeat-") else stage
            stage_totals[key] = stage_totals.get(key, 0) + 1
    deliveries = dict(
        world.query("SELECT state, count(*) FROM safety_deliveries WHERE channel = 'email' GROUP BY state")
    )
    received = world.smtp_messages()
    return {
        "overdue_sessions_checked": len(overdue),
        "panics_checked": len(panics),
        "sessions_total": world.query("SELECT count(*) FROM safety_sessions")[0][0],
        "overdue_stage_counts": stage_totals,
        "not_exactly_once": wrong[:10],
        "stage_raised_twice": repeated[:10],
        "email_deliveries": deliveries,
        "emails_received": received,
        "emails_sent_twice": max(0, received - deliveries.get("sent", 0)),
        "ok": not wrong and not repeated and len(overdue) > 0,
    }


def record_checks(world, ledger) -> dict:
    """Every sealed record stored once: none lost, none twice (a second op or revision would show)."""
    sealed = set(ledger.sealed.values())
    waiting = {ledger.sealed[item["op_id"]] for outbox in ledger.outboxes for item in outbox}
    stored = {record_id: revision for record_id, revision in world.query("SELECT id, revision FROM records")}
    ops = world.query("SELECT record_id, count(*) FROM sync_ops GROUP BY record_id")
    applied_missing = [ledger.sealed[op] for op in ledger.applied if ledger.sealed[op] not in stored]
    return {
        "sealed": len(sealed),
        "stored": len(sealed & stored.keys()),
        "still_in_outboxes": len(waiting),
        "lost": len(sealed - stored.keys() - waiting) + len(applied_missing),
        "duplicated": sum(1 for revision in stored.values() if revision != 1)
        + sum(count - 1 for _, count in ops)
        + len(stored.keys() - sealed),
    }
