"""`fieldapp backup FILE`, `fieldapp restore FILE`, `fieldapp keys export FILE` / `keys import FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..backup import archive
from ..backup.database import RestoreRefused
from ..backup.sealed_file import NotASealedFile, WrongPassphrase, check_passphrase
from .keys import keys_group

HELP_TEXT = "Read from FIELDAPP_BACKUP_PASSPHRASE, else asked for (never give it on the command line)."


def _new_passphrase(function):
    return click.option(
        "--passphrase",
        envvar="FIELDAPP_BACKUP_PASSPHRASE",
        prompt="Passphrase (12+ characters)",
        hide_input=True,
        confirmation_prompt=True,
        help=HELP_TEXT,
    )(function)


def _passphrase(function):
    return click.option(
        "--passphrase", envvar="FIELDAPP_BACKUP_PASSPHRASE", prompt="Passphrase", hide_input=True, help=HELP_TEXT
    )(function)


def _refusals(action):
    try:
        return action()
    except WrongPassphrase as error:
        raise click.ClickException(str(error)) from None
    except (NotASealedFile, RestoreRefused, ValueError) as error:
        raise click.ClickException(str(error)) from None


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_new_passphrase
@with_appcontext
def backup_command(file: Path, passphrase: str):
    """Write one encrypted archive: the database (pg_dump or SQLite's online backup) and every key."""
    _refusals(lambda: check_passphrase(passphrase))
    manifest = _refusals(lambda: archive.write_backup(current_app._get_current_object(), file, passphrase))
    rows = sum(manifest["tables"].values())
    click.echo(
        f"backup written to {file}: {manifest['backend']} database ({rows} rows in "
        f"{len(manifest['tables'])} tables) and the keys, encrypted under the passphrase"
    )
    click.echo("Keep the passphrase apart from the file: without it the backup cannot be read.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_passphrase
@with_appcontext
def restore_command(file: Path, passphrase: str):
    """Restore an archive from `fieldapp backup` into this empty instance (refuses one holding data or keys)."""
    summary = _refusals(lambda: archive.restore_backup(current_app._get_current_object(), file, passphrase))
    manifest = summary["manifest"]
    click.echo(
        f"restored the backup of {manifest['created_at']} ({sum(manifest['tables'].values())} rows, "
        f"schema revision {manifest['revision']}); record keys: {', '.join(summary['keys']['record_keys'])}; "
        f"sealing keys: {', '.join(summary['keys']['sealing_keys']) or 'none'}"
    )
    click.echo(
        "Devices still holding sealed items deliver them on their next sync; run `fieldapp db upgrade` "
        "if this version of fieldapp is newer than the backup."
    )
    for note in summary["notes"]:
        click.echo(f"note: {note}", err=True)


@keys_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_new_passphrase
@with_appcontext
def export_command(file: Path, passphrase: str):
    """Write the at-rest record keys and the sealing keys, encrypted under a passphrase, for escrow."""
    _refusals(lambda: check_passphrase(passphrase))
    material = _refusals(lambda: archive.export_keys(current_app._get_current_object(), file, passphrase))
    click.echo(
        f"exported {len(material['record_keys']['keys'])} record key(s) and "
        f"{len(material['sealing_keys']['keys'])} sealing key(s) to {file}"
    )


@keys_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_passphrase
@with_appcontext
def import_command(file: Path, passphrase: str):
    """Add escrowed record and sealing keys to this instance (keys held already, and the current ones, stay)."""
    added = _refusals(lambda: archive.import_keys(current_app._get_current_object(), file, passphrase))
    click.echo(
        f"imported record keys: {', '.join(added['record_keys']) or 'none new'}; "
        f"sealing keys: {', '.join(added['sealing_keys']) or 'none new'}"
    )
