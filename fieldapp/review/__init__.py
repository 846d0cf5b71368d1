"""Central record views: child timelines, record pages and print, safety-scale trends, manager sign-off, notices."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from . import attachment_views, notice_views, views  # noqa: E402,F401
