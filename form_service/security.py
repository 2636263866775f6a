"""Security headers and CSRF protection for every service response (OWASP ASVS 5.0 L1-2 baseline)."""

from __future__ import annotations

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

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


def init_app(app: Flask) -> None:
    csrf.init_app(app)

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
