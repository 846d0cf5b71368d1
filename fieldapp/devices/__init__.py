"""Enrolled devices: registration by the worker, listing and revocation by admins."""

from flask import Blueprint

bp = Blueprint("devices", __name__, url_prefix="/admin/devices")

from . import views  # noqa: E402,F401
