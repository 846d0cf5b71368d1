"""Record types (visit, seen alone, safety map, ratings, three houses): definitions, validation, visit-due rules."""

from flask import Blueprint

bp = Blueprint("records", __name__)
# Its /api routes, nested in the API blueprint (fieldapp/api) so the API guard covers them.
api_bp = Blueprint("records", __name__)

from . import views  # noqa: E402,F401
