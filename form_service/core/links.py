"""Absolute links to the service, for emails and anything else read away from the browser."""

from __future__ import annotations

from flask import current_app, request, url_for


def service_link(endpoint: str, **values: str) -> str:
    """An absolute link built from SERVICE_URL (the service's public address, including its /app mount),
    never from the request's Host header, so a forged Host cannot redirect a link."""
    path = url_for(endpoint, **values).removeprefix(request.script_root if request else "")
    return current_app.config["SERVICE_URL"].rstrip("/") + path
