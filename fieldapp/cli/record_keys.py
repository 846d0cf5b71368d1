from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..records.store import record_cipher, rotate_record_key


@click.group("record-keys")
def record_keys_group():
    """At-rest keys for record bodies in the central store."""


@record_keys_group.command("rotate")
@with_appcontext
def rotate_command():
    """Add a new current key (instance/record-keys.json); rows under old keys stay readable."""
    new_id = rotate_record_key()
    click.echo(f"new current record key: {new_id} (keys held: {', '.join(sorted(record_cipher().keys))})")
