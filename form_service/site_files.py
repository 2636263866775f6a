"""Serve the built guidance site at `/` and the service under `/app/` from one process (`make run`).

In production a web server or CDN serves the static files and proxies /app/ to the WSGI server; this
keeps one origin in development so the two are never out of step. Every response of the site carries the
service's security headers (`security.security_headers`), as the web server's configuration in README.md does.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from .core.security import security_headers

mimetypes.add_type("text/calendar", ".ics")


class StaticSite:
    """A small WSGI app for a folder of built pages: `/x/` serves `x/index.html`, with the site's 404 page.
    `over_https` adds HSTS to the security headers every response carries."""

    def __init__(self, folder: Path, over_https: bool = False) -> None:
        self.folder = folder
        self.headers = security_headers(over_https)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request, environ)
        response.headers.update(self.headers)
        return response(environ, start_response)

    def _respond(self, request: Request, environ: dict[str, Any]) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("Method not allowed.\n", status=405, headers={"Allow": "GET, HEAD"}, mimetype="text/plain")
        relative = request.path.lstrip("/")
        joined = safe_join(str(self.folder), relative) if relative else str(self.folder)
        if joined is None:
            return self._not_found()
        path = Path(joined)
        if path.is_dir():
            if relative and not request.path.endswith("/"):
                return Response(status=308, headers={"Location": request.path + "/"})
            path = path / "index.html"
        if not path.is_file():
            return self._not_found()
        return self._file(path, environ, 200)

    def _not_found(self) -> Response:
        page = self.folder / "404.html"
        if page.is_file():
            return Response(page.read_bytes(), status=404, mimetype="text/html")
        return Response("Page not found.\n", status=404, mimetype="text/plain")

    def _file(self, path: Path, environ: dict[str, Any], status: int) -> Response:
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        handle = path.open("rb")
        response = Response(wrap_file(environ, handle), status=status, mimetype=mimetype, direct_passthrough=True)
        response.content_length = path.stat().st_size
        response.headers["Cache-Control"] = "no-cache"
        return response


def site_and_service(app: Flask, site_folder: Path) -> DispatcherMiddleware:
    """One WSGI application: the static site at `/`, the Flask service mounted at `/app`. The site is sent HSTS
    where the service is (its cookies are Secure: it is served over HTTPS)."""
    return DispatcherMiddleware(StaticSite(site_folder, app.config["SESSION_COOKIE_SECURE"]), {"/app": app})
