"""Security headers and CSRF protection for every service response (OWASP ASVS 5.0 L1-2 baseline).

The guidance site is sent the same headers (`security_headers`): by `site_files.StaticSite` under `make run`,
and by the production web server's configuration in README.md (checked by tests/test_web_server.py).
"""

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
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def security_headers(over_https: bool) -> dict[str, str]:
    """The headers every page of the site and the service is sent; HSTS only where they are served over HTTPS."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        # Same-origin requests keep their full referrer, which Flask-WTF's HTTPS referrer check needs.
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    if over_https:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return headers


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
        for name, value in security_headers(over_https=app.config["SESSION_COOKIE_SECURE"]).items():
            # A view may send a stricter policy of its own (an evidence file is sandboxed).
            if name == "Content-Security-Policy":
                headers.setdefault(name, value)
            else:
                headers[name] = value
        # Nothing is cached unless a view marked its response public (open data, which holds nothing private).
        if not response.cache_control.public:
            headers["Cache-Control"] = "no-store"
        return response
