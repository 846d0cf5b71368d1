"""Central record views: child timelines, record pages and print, safety-scale trends, manager sign-off, notices."""

from flask import Blueprint

bp = Blueprint("review", __name__)
# Its /api routes, nested in the API blueprint (fieldapp/api) so the API guard covers them.
api_bp = Blueprint("review", __name__)

from . import attachment_views, notice_views, views  # noqa: E402,F401
