"""The JSON API the offline app talks to. Every call may carry the device id in X-Fieldapp-Device.

This blueprint owns every /api rule: areas keep their API views next to their services, on a blueprint
nested here, so the one guard (guards.py) runs before all of them.
"""

from flask import Blueprint

from ..records import api_bp as records_api
from ..review import api_bp as review_api
from ..safety import api_bp as safety_api

bp = Blueprint("api", __name__, url_prefix="/api")
for nested in (records_api, review_api, safety_api):
    bp.register_blueprint(nested)

from . import drafts_views, guards, openapi, sync_views, views  # noqa: E402,F401
