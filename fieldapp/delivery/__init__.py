"""Delivery of signed-off records into the council's case record: export queue, destinations, archival PDF."""

from flask import Blueprint

bp = Blueprint("delivery", __name__)

from . import views  # noqa: E402,F401
