"""Every error answered plainly: JSON for the API, a page for people; never a stack trace.

A refused CSRF token is answered by `form_service.accounts.auth`, which knows the session and keeps what was typed."""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: "The request could not be understood. Go back, check what you entered and try again.",
    401: "You are signed out. Sign in again; anything not yet saved is kept on this device.",
    403: "You do not have permission to do that.",
    404: "Page not found. Check the web address, or go back to the start.",
    405: "That action is not allowed here.",
    413: "What you sent is too large.",
    429: "Too many attempts. Wait a few minutes and try again.",
    500: "Sorry, something went wrong on our side. What you last saved is safe; try again in a few minutes.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str | None = None) -> tuple[Response | str, int]:
    text = message or MESSAGES.get(status, "Something went wrong.")
    if wants_json():
        return jsonify(error=text, status=status), status
    if request_ctx.url_adapter is None:
        # The request was refused before routing (a Host not in TRUSTED_HOSTS), so no page with links can be
        # built for it: answer in plain text rather than fail while rendering the error page.
        return Response(text + "\n", status=status, mimetype="text/plain"), status
    return render_template("error.html", status=status, message=text), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        response = make_response(error_response(error.code or 500))
        # What the error says about itself still holds for our answer: a 405's Allow header names the methods
        # that are allowed (RFC 9110), which clients and tools rely on.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response | str, int]:
        app.logger.exception("Unhandled error", exc_info=error)
        return error_response(InternalServerError.code)
