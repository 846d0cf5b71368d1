"""What the service worker precaches, and the one VERSION derived from it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, current_app, url_for

from ..version import __version__

SHELL_TEMPLATE = "shell/app.html"
WORKER_TEMPLATE = "shell/sw.js"
# Other pages that must open with no signal: static, no personal data (their data comes from the API).
OFFLINE_PAGES = {"safety.worker_page": "safety/worker.html"}
# Everything under these static folders belongs to the shell (modules added by other areas are picked up).
STATIC_PATTERNS = ("css/*.css", "js/*.js", "icons/*.png")


def shell_static_files(app: Flask) -> list[str]:
    """Static files of the shell, relative to the static folder, in a stable order."""
    root = Path(app.static_folder)
    return sorted(str(path.relative_to(root)) for pattern in STATIC_PATTERNS for path in root.glob(pattern))


def precache_urls(app: Flask) -> list[str]:
    return (
        [url_for("shell.app_shell"), url_for("shell.manifest")]
        + [url_for(e) for e in OFFLINE_PAGES]
        + [url_for("static", filename=name) for name in shell_static_files(app)]
    )


def shell_version(app: Flask | None = None) -> str:
    """fieldapp's version plus a hash of every shell file: changing any of them makes a new service worker."""
    app = app or current_app
    if app.config.get("SHELL_VERSION"):
        return app.config["SHELL_VERSION"]
    digest = hashlib.sha256()
    templates = Path(app.root_path) / app.template_folder
    sources = [templates / SHELL_TEMPLATE, templates / WORKER_TEMPLATE, Path(__file__).with_name("manifest.py")]
    sources += [templates / name for name in OFFLINE_PAGES.values()]
    sources += [Path(app.static_folder) / name for name in shell_static_files(app)]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{__version__}-{digest.hexdigest()[:12]}"
