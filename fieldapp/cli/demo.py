"""Fictional demo data: one team, users of every role, about thirty children.

Every name, address and case number here is invented and looks it ("Example Street", "DEMO-"
case numbers, the ZZ99 postcode no real address uses).
"""

from __future__ import annotations

import os
import random
import secrets
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from ..auth.second_factor import forget_second_factor
from ..cases.services import allocate
from ..extensions import db
from ..models import Child, EscalationPolicy, LegalStatus, Role, Team, User
from .demo_records import load_long_case

DEMO_TEAM = "Demo Team (fictional)"
DUTY_TEAM = "Demo Duty Desk (fictional)"
DEMO_USERS = [
    # username, display name, role, team, part-time
    ("demo.worker", "Wren Example (demo)", Role.WORKER, DEMO_TEAM, False),
    ("demo.worker2", "Rowan Sample (demo)", Role.WORKER, DEMO_TEAM, True),
    ("demo.worker3", "Juniper Specimen (demo)", Role.WORKER, DEMO_TEAM, False),
    ("demo.manager", "Morgan Placeholder (demo)", Role.MANAGER, DEMO_TEAM, False),
    ("demo.duty", "Dana Duty-Example (demo)", Role.MANAGER, DUTY_TEAM, False),
    ("demo.support", "Sam Support-Sample (demo)", Role.SUPPORT, DEMO_TEAM, False),
    ("demo.admin", "Ari Admin-Example (demo)", Role.ADMIN, None, False),
]
FIRST_NAMES = [
    "Alfie",
    "Bea",
    "Cody",
    "Daisy",
    "Eli",
    "Fern",
    "Gus",
    "Hope",
    "Ivo",
    "Jade",
    "Kit",
    "Lula",
    "Milo",
    "Nell",
    "Otis",
    "Pip",
    "Quinn",
    "Rosa",
    "Seb",
    "Tilly",
    "Uma",
    "Vic",
    "Wyn",
    "Xan",
    "Yara",
    "Zac",
    "Ada",
    "Bo",
    "Cleo",
    "Dex",
    "Evie",
    "Finn",
]
SURNAMES = ["Example", "Sample", "Specimen", "Placeholder", "Fictional", "Madeup", "Testcase", "Dummy"]
# (worker username or None, how many children)
ALLOCATION_PLAN = [("demo.worker", 23), ("demo.worker2", 6), ("demo.worker3", 2), (None, 1)]


def _demo_password(username: str) -> str:
    return os.environ.get("FIELDAPP_DEMO_PASSWORD") or f"{username.split('.')[-1]}-{secrets.token_urlsafe(9)}"


def _ensure_team(name: str) -> Team:
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


def _make_children(team: Team, users: dict[str, User]) -> tuple[int, Child]:
    """The caseload; returns how many children, and demo.worker's first child protection case (the long-open one)."""
    rng = random.Random(2011)  # fixed seed: the same demo caseload every time
    today = date.today()
    statuses = list(LegalStatus)
    number = 0
    long_case = None
    for username, count in ALLOCATION_PLAN:
        for _ in range(count):
            number += 1
            status = statuses[number % len(statuses)]
            age_days = rng.randint(200, 17 * 365)
            child = Child(
                case_number=f"DEMO-{number:04d}",
                first_name=FIRST_NAMES[(number - 1) % len(FIRST_NAMES)],
                last_name=SURNAMES[(number * 3) % len(SURNAMES)],
                date_of_birth=today - timedelta(days=age_days),
                legal_status=status,
                # Never before the child was born.
                placement_start=(today - timedelta(days=rng.randint(3, min(700, age_days))))
                if status in (LegalStatus.LOOKED_AFTER, LegalStatus.PRIVATE_FOSTERING)
                else None,
                permanent_placement=rng.random() < 0.3,
                cp_visit_interval_working_days=10 if status == LegalStatus.CHILD_PROTECTION else None,
                address=f"{number} Example Street, Demo Town, ZZ99 9ZZ",
                address_risk_notes="Dog in the house; visit in pairs after dark (fictional)" if number % 5 == 0 else "",
                team=team,
            )
            db.session.add(child)
            db.session.flush()
            if username:
                allocate(child, users[username], by=users["demo.admin"])
            if username == "demo.worker" and status == LegalStatus.CHILD_PROTECTION and long_case is None:
                long_case = child
    return number, long_case


@click.command("demo")
@with_appcontext
def demo_command():
    """Load fictional demo data (migrating first); rerun to reset the demo users' passwords."""
    upgrade()
    users, passwords = {}, {}
    created = db.session.scalar(select(Team).where(Team.name == DEMO_TEAM)) is None
    for username, display_name, role, team_name, part_time in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username,
                display_name=display_name,
                role=role,
                part_time=part_time,
                team=_ensure_team(team_name) if team_name else None,
                email=f"{username}@example.invalid",
            )
            db.session.add(user)
        passwords[username] = _demo_password(username)
        user.set_password(passwords[username])
        users[username] = user
    db.session.flush()
    for user in users.values():
        # A rerun is how someone who lost their authenticator gets back in: they set up two-step sign-in again.
        forget_second_factor(user)
    if created:
        count, long_case = _make_children(_ensure_team(DEMO_TEAM), users)
        click.echo(f"Loaded {count} fictional children into {DEMO_TEAM}.")
        written = load_long_case(long_case, users["demo.worker"])
        click.echo(
            f"{long_case.full_name} ({long_case.case_number}) is a long-open case: {written} records over two years. "
            "A tablet is sent the last 12 months and the latest map and rating; the rest is under the child's "
            "Records on this device → Older records."
        )
        # Safety escalation: line managers first, then the duty desk.
        db.session.add(EscalationPolicy(team=_ensure_team(DEMO_TEAM), duty_team=_ensure_team(DUTY_TEAM)))
    else:
        click.echo("Demo data already present; passwords reset.")
    db.session.commit()
    click.echo("Demo sign-ins (fictional people):")
    for username, _name, role, _team, _pt in DEMO_USERS:
        click.echo(f"  {role.value:8} {username:14} {passwords[username]}")
    required = ", ".join(current_app.config["SECOND_FACTOR_REQUIRED_ROLES"]) or "nobody"
    click.echo(
        f"Two-step sign-in is required for: {required}. They set it up at their first sign-in (an "
        "authenticator app, or `oathtool --totp -b KEY` with the key the page shows); rerun to reset it."
    )
