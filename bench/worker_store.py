"""A temporary SQLite store holding one signed-in-able worker and their allocated children, for the browser benches.

fieldapp is imported inside the function, not at module level: bench/interactions.py first puts the code under
test (--app-root, possibly an older checkout) on sys.path, and only then may fieldapp be imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

PASSWORD = "bench-password-123"  # noqa: S105  (a throwaway user in a temporary store)


def worker_app(folder: Path, children: list[dict], then: Callable | None = None):
    """The app; `children` are Child column values (fictional), each allocated to bench.worker.

    `then(app, children, worker)`, if given, runs in the same app context once they are stored (e.g. to add records).
    """
    from fieldapp import create_app
    from fieldapp.cases.services import allocate
    from fieldapp.crypto.sealing import generate_key
    from fieldapp.extensions import db
    from fieldapp.models import Child, Role, Team, User

    os.environ["FIELDAPP_INSTANCE_PATH"] = str(folder / "instance")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "bench",
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        db.create_all()
        generate_key(app.config["SEALING_KEYS_DIR"])
        team = Team(name="Bench team")
        worker = User(username="bench.worker", display_name="Bench Worker", role=Role.WORKER, team=team)
        worker.set_password(PASSWORD)
        kids = [Child(team=team, **values) for values in children]
        db.session.add_all([team, worker, *kids])
        db.session.flush()
        for kid in kids:
            allocate(kid, worker, by=None)
        db.session.commit()
        if then is not None:
            then(app, kids, worker)
    return app
