"""Real headless Chromium (Debian's package, driven by Playwright) and axe-core, for browser tests.

A missing browser fails the test run: an accessibility check that did not run has checked nothing.
"""

from __future__ import annotations

import email
import functools
import http.server
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Flags that keep Chromium from reaching out to the network at start-up (there is none here).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"Chromium is not installed at {path}: run `make browser` (make test does it for you).")
    return path


@functools.cache
def axe_source() -> str:
    """axe-core's script, as shipped inside the axe-playwright-python package."""
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")


def axe_violations(page: Any, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; returns the violations (empty when the page passes)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        tags or WCAG_TAGS,
    )
    return result["violations"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """Serve a folder over HTTP on a free loopback port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def free_port() -> int:
    """A TCP port on loopback that nothing is listening on now (for a server whose own URL must be known first)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def live_server(wsgi_app: Any, port: int = 0) -> Iterator[str]:
    """Serve a WSGI application over real HTTP on loopback, one thread per request, in a background thread;
    yields the base URL (no trailing slash). Port 0 picks a free one."""
    server = make_server("127.0.0.1", port, wsgi_app, threaded=True, request_handler=_QuietWSGIHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _QuietWSGIHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


# A running service, for browser tests ----------------------------------------------------------------------


@dataclass
class Service:
    """One running service: `url` is its SERVICE_URL (the origin + /app), `origin` serves the site."""

    app: Flask
    origin: str

    @property
    def url(self) -> str:
        return self.origin + "/app"

    def link_in_email(self, address: str, path: str = "/sign-in/continue") -> str:
        """The link in the newest email to `address` that starts with SERVICE_URL + `path`."""
        folder = Path(self.app.config["DATA_DIR"]) / "outbox"
        messages = [
            email.message_from_bytes(eml.read_bytes(), policy=policy.default) for eml in sorted(folder.glob("*.eml"))
        ]
        to_address = [message for message in messages if message["To"] == address]
        assert to_address, f"no email to {address}; the outbox has emails to {[m['To'] for m in messages]}"
        body = to_address[-1].get_content()
        match = re.search(re.escape(self.url + path) + r"\S*", body)
        assert match, f"no link to {self.url + path} in the newest email to {address}:\n{body}"
        return match.group(0)


def build_site(out: Path) -> Path:
    """Build the public site into `out` (as `make run` does); returns the folder of built pages."""
    import build

    assert build.main(["site", "--out", str(out)]) == 0
    return out / "site"


@contextmanager
def running_service(
    site_dir: Path, data_dir: Path, service_class: type[Service] = Service, **overrides: Any
) -> Iterator[Service]:
    """A fresh service (its own data folder, demo people and schools) with the site, on a free loopback port."""
    from form_service import create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig
    from form_service.site_files import site_and_service

    port = free_port()
    app = create_app(
        TestConfig,
        {
            "DATA_DIR": data_dir,
            "SITE_DIR": site_dir,
            "SERVICE_URL": f"http://127.0.0.1:{port}/app",
            "TODAY": "2026-11-23",
            "TRUSTED_HOSTS": ["127.0.0.1", "localhost"],
            **overrides,
        },
    )
    with app.app_context():
        seed_demo(app)
    with live_server(site_and_service(app, site_dir), port) as origin:
        yield service_class(app, origin)


@dataclass
class Axe:
    """Runs axe-core on each page or state it is given; `assert_clean` fails with every violation found."""

    checked: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    def __call__(self, page: Any, state: str) -> None:
        self.checked.append(state)
        violations = axe_violations(page)
        if violations:
            self.failures[f"{state} ({page.url})"] = describe_violations(violations)

    def assert_clean(self) -> None:
        assert not self.failures, "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(
            f"{state}:\n{text}" for state, text in self.failures.items()
        )
