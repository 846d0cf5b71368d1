"""Routes of the app shell. None of them carries personal data, so the service worker may cache them."""

from __future__ import annotations

import json

from flask import current_app, make_response, render_template

from . import bp
from .assets import SHELL_TEMPLATE, WORKER_TEMPLATE, precache_urls, shell_version
from .manifest import web_app_manifest


@bp.get("/app")
def app_shell():
    """The offline app: a static page; the worker's data comes from the encrypted device store.

    Like every page it is sent `no-store` (security.py): the service worker's Cache API copy is the only one.
    """
    return render_template(SHELL_TEMPLATE, version=shell_version())


@bp.get("/sw.js")
def service_worker():
    app = current_app._get_current_object()
    body = render_template(WORKER_TEMPLATE, version=shell_version(app), precache=precache_urls(app), shell_url="/app")
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    # Browsers compare the worker byte for byte on every check; never let an HTTP cache answer for it.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    response = make_response(json.dumps(web_app_manifest(), indent=1))
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response
