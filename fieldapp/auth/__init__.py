from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import account_views, second_factor_views, views  # noqa: E402,F401  (registers routes on bp)
