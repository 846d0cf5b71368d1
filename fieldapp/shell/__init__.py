"""The offline app shell: the static /app page, its service worker and its web app manifest."""

from flask import Blueprint

bp = Blueprint("shell", __name__)

from . import views  # noqa: E402,F401
