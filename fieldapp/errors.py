"""One error shape: JSON {"error", "message"} for API callers, a friendly page for browsers."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


def wants_json_response() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str):
    if wants_json_response():
        return jsonify(error=code, message=message), status
    return render_template("errors/error.html", status=status, message=message), status


def init_errors(app: Flask) -> None:
    from .extensions import login_manager

    @login_manager.unauthorized_handler
    def signed_out():
        # fetch() from the app gets a 401 it can act on (ask for the password); a browser goes to the sign-in page.
        if wants_json_response():
            return error_response(401, "session_expired", "Your session has ended. Enter your password to carry on.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(
            400, "csrf_failed", "This form had expired or was not sent by fieldapp. Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        return error_response(error.code or 500, code, error.description or error.name)

    @app.errorhandler(InternalServerError)
    def server_error(error):
        return error_response(500, "internal_error", "Something went wrong on our side; nothing you sent was lost.")
