from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .keys import ensure_sealing_key


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int):
    """Run the embedded default: migrate the store, make a first sealing key if none, then serve the app."""
    upgrade()
    new_kid = ensure_sealing_key()
    if new_kid:
        click.echo(f"generated the first sealing key {new_kid}")
    app = current_app._get_current_object()
    click.echo(f"fieldapp on http://{host}:{port}/  (store: {app.config['SQLALCHEMY_DATABASE_URI']})")
    from werkzeug.serving import run_simple

    from ..safety.runtime import start_in_process

    if not app.config.get("VAPID_PRIVATE_KEY"):
        from ..safety.channels import generate_vapid_key

        generate_vapid_key(app.instance_path)  # web push works out of the box; kept if it exists already
    start_in_process(app)  # the embedded default runs the safety escalator in-process

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
