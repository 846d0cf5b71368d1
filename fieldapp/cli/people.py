from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .. import audit
from ..auth.passwords import password_problem
from ..cases.importer import CsvImportError, import_children
from ..extensions import db
from ..models import Role, Team, User
from ..models.grants import ELEVATED_ROLES


@click.group("users")
def users_group():
    """Manage user accounts."""


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--team", "team_name", help="Team name; created if it does not exist.")
@click.option("--name", "display_name", help="Full name (default: the username).")
@click.option("--email")
@click.option("--part-time", is_flag=True)
@with_appcontext
def create_user(username, role, team_name, display_name, email, part_time):
    """Create a user; the password is read from a prompt, or from stdin when piped."""
    username = username.strip().lower()
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user {username} already exists")
    password = _read_password()
    problem = password_problem(password, username)
    if problem:
        raise click.ClickException(f"password refused: {problem}")
    team = None
    if team_name:
        team = db.session.scalar(select(Team).where(Team.name == team_name)) or Team(name=team_name)
    user = User(
        username=username,
        display_name=display_name or username,
        role=Role(role),
        team=team,
        email=email,
        part_time=part_time,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    if user.role in ELEVATED_ROLES:
        # The bootstrap path: whoever runs the CLI on the server grants directly (no second admin exists yet),
        # and the admins see it in the audit trail and on the role grants page.
        audit.record("role_granted_by_cli", detail=f"user={username} role={role} team={team_name or '-'}")
    db.session.commit()
    click.echo(f"created {role} {username}" + (f" in {team.name}" if team else ""))


@click.group("children")
def children_group():
    """Manage children's records."""


@children_group.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@with_appcontext
def import_command(csv_file):
    """Import children and allocations from a case-system CSV export (all rows or none)."""
    try:
        result = import_children(csv_file)
    except CsvImportError as error:
        db.session.rollback()
        raise click.ClickException(f"{csv_file.name}: {error}; nothing was imported") from None
    db.session.commit()
    click.echo(f"imported: {result.created} new, {result.updated} updated, {result.allocated} allocations changed")
