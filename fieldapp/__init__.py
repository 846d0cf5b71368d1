"""fieldapp: offline, encrypted field recording and lone-worker safety for children's social care."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import instance_path_from_env, settings_from_env
from .secret_files import create_private_sqlite_file, make_private_dir
from .version import __version__

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Configure and register only; setup work lives in CLI commands."""
    app = Flask(__name__, instance_path=instance_path_from_env(), instance_relative_config=True)
    make_private_dir(app.instance_path)  # 0700: it holds the secret key, the keys and the embedded database
    app.config.from_mapping(settings_from_env(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    create_private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])

    from . import models  # noqa: F401  (register every table on the metadata)
    from .extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    # The sign-in throttle counts before anything reads a request body (CSRF reads the form).
    limiter.init_app(app)
    from .auth.throttle import init_sign_in_guard

    init_sign_in_guard(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."

    from . import jsonbody
    from .errors import init_errors
    from .logs import init_request_ids
    from .security import init_security

    init_request_ids(app)
    jsonbody.init_app(app)
    init_security(app)
    init_errors(app)
    _register_blueprints(app)
    _commit_once_per_request(app)
    app.jinja_env.globals["app_version"] = __version__
    return app


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .auth.views import too_many_attempts
    from .cases import bp as cases_bp
    from .delivery import bp as delivery_bp
    from .devices import bp as devices_bp
    from .oversight import bp as oversight_bp
    from .reconcile import bp as reconcile_bp
    from .records import bp as records_bp
    from .review import bp as review_bp
    from .shell import bp as shell_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(delivery_bp)
    app.register_blueprint(reconcile_bp)
    app.register_blueprint(oversight_bp)
    from .safety import init_app as init_safety

    init_safety(app)
    app.register_blueprint(devices_bp)
    app.register_blueprint(shell_bp)
    app.register_blueprint(api_bp)
    app.register_error_handler(429, too_many_attempts)


def _commit_once_per_request(app: Flask) -> None:
    """Services flush; a request that succeeds commits once, anything else rolls back."""
    from .extensions import db

    @app.after_request
    def commit_or_roll_back(response):
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets the escalator and web requests work side by side on the embedded SQLite store.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
