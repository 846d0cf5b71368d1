"""gunicorn settings for `fieldapp serve` and the systemd unit (`--config python:fieldapp.gunicorn_conf`).

Size and bind come from the command line; this file holds what is the same everywhere.
"""

import os

from fieldapp.logs import gunicorn_logconfig

wsgi_app = "fieldapp:create_app()"
worker_class = "gthread"
# A worker restarted now and then bounds any slow leak; the jitter keeps them from restarting together.
max_requests = 5000
max_requests_jitter = 500
graceful_timeout = 30
logconfig_dict = gunicorn_logconfig(os.environ.get("FIELDAPP_LOG_LEVEL", "INFO").upper())
# Workers must never share the parent's database connections: each builds its own app after the fork.
preload_app = False
# gunicorn ≥ 24 opens a control socket in $HOME by default: several servers on one machine (and ProtectHome= under
# systemd) would fight over it, and nothing here uses it.
control_socket_disable = True
