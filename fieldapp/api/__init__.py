"""The JSON API the offline app talks to. Every call may carry the device id in X-Fieldapp-Device."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import guards, history_views, openapi, sync_views, views  # noqa: E402,F401
