"""Lone-worker safety: timed visit check-ins, panic and duress, staged escalation, web push, email, live board.

Its settings are read in fieldapp/config.py (safety_alert_settings, safety_server_settings); sending an alert
straight after the request that raised it is in immediate.py.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("safety", __name__)
# Its /api routes, nested in the API blueprint (fieldapp/api) so the API guard covers them.
api_bp = Blueprint("safety", __name__)


def init_app(app: Flask) -> None:
    from . import board_views, worker_views  # noqa: F401  (routes register on bp)
    from .health import health_bp
    from .liveness import backstop_before_request, banner_context

    app.register_blueprint(bp)
    app.register_blueprint(health_bp)
    app.context_processor(banner_context)
    app.before_request(backstop_before_request)  # cheap: re-checks at most every SAFETY_BACKSTOP_SECONDS
