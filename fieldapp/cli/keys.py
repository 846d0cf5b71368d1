"""`fieldapp keys`: the sealing key pairs devices encrypt finalized records to."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..crypto.sealing import NoSealingKey, SealingKeyring, generate_key


@click.group("keys")
def keys_group():
    """Manage the server's sealing keys."""


@keys_group.command("generate")
@with_appcontext
def generate_command():
    """Generate a new P-256 sealing key pair and make it current (older keys stay, so old items still open)."""
    directory = current_app.config["SEALING_KEYS_DIR"]
    key = generate_key(directory)
    click.echo(f"new sealing key {key.kid} is current ({directory}/{key.kid}.pem, mode 0600)")
    if current_app.config.get("SEALING_KEY_PEM"):
        click.echo("note: FIELDAPP_SEALING_KEY_PEM is set and stays the current key while it is set", err=True)


@keys_group.command("list")
@with_appcontext
def list_command():
    """List the sealing key ids this server can open, marking the current one."""
    keyring = SealingKeyring.load(current_app.config["SEALING_KEYS_DIR"], current_app.config.get("SEALING_KEY_PEM"))
    if not keyring.keys:
        raise click.ClickException(str(NoSealingKey("no sealing key yet: run `fieldapp keys generate`")))
    for kid in sorted(keyring.keys):
        click.echo(f"{'*' if kid == keyring.current_kid else ' '} {kid}")


def ensure_sealing_key() -> str | None:
    """Generate a first key pair if there is none (the embedded `serve` default); returns a new kid or None."""
    config = current_app.config
    keyring = SealingKeyring.load(config["SEALING_KEYS_DIR"], config.get("SEALING_KEY_PEM"))
    if keyring.current_kid is not None:
        return None
    return generate_key(config["SEALING_KEYS_DIR"]).kid


@keys_group.command("rotate-record-key")
@with_appcontext
def rotate_record_key_command():
    """Add a new current at-rest key for record bodies (instance/record-keys.json); old rows stay readable."""
    from ..records.store import record_cipher, rotate_record_key

    new_id = rotate_record_key()
    click.echo(f"new current record key: {new_id} (keys held: {', '.join(sorted(record_cipher().keys))})")
