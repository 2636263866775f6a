"""Security headers and CSRF protection for every service response (OWASP ASVS 5.0 L1-2 baseline)."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from .errors import error_response

csrf = CSRFProtect()

# The most characters any box in the service takes: the longest commentary a framework may allow (the maximum
# of commentary_limit in quality_mark/schemas/framework.schema.json). A box far over its own limit is shown
# back so it can be shortened; one over this is refused whole, so no page ever repeats megabytes back.
LONGEST_FIELD = 20_000
TOO_LONG = (
    f"Something you entered is too long: no box takes more than {LONGEST_FIELD:,} characters. "
    "Go back, shorten it and try again."
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
    ]
)


def overlong_field() -> bool:
    """Whether a form sent with this request has a value longer than any box takes."""
    return request.method == "POST" and any(len(value) > LONGEST_FIELD for value in request.form.values())


def init_app(app: Flask) -> None:
    csrf.init_app(app)

    @app.before_request
    def refuse_overlong_fields() -> tuple[Response | str, int] | None:
        return error_response(413, TOO_LONG) if overlong_field() else None

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers["X-Content-Type-Options"] = "nosniff"
        # Same-origin requests keep their full referrer, which Flask-WTF's HTTPS referrer check needs.
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        # Nothing is cached unless a view marked its response public (open data, which holds nothing private).
        if not response.cache_control.public:
            headers["Cache-Control"] = "no-store"
        if app.config["SESSION_COOKIE_SECURE"]:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
