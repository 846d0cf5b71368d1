"""The `fieldapp` command: a Flask CLI group with the project's own commands."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from .. import create_app
from .delivery import deliver_command
from .demo import demo_command
from .keys import keys_group
from .people import children_group, users_group
from .records import records_group
from .safety import escalator_command, vapid_group
from .serve import serve_command


@click.group(cls=FlaskGroup, create_app=create_app, name="fieldapp")
def main():
    """fieldapp: field recording and lone-worker safety for children's social care."""


main.add_command(serve_command)
main.add_command(demo_command)
main.add_command(users_group)
main.add_command(children_group)
main.add_command(escalator_command)
main.add_command(vapid_group)
main.add_command(keys_group)
main.add_command(records_group)
main.add_command(deliver_command)
