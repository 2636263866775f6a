"""Shared fixtures for tests that need a copy of the real content to change.

Tests that break content never touch the repository: they copy criteria/ and content/ into a
temporary folder, edit the copy and point the loader (or `build.py --root`) at it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# edit_content(file relative to the copy, exact old text, new text) -> line on which the new text starts
EditContent = Callable[[str, str, str], int]


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A fresh copy of the repository's criteria/ and content/; returns the folder that holds them."""
    root = tmp_path / "repo"
    for folder in ("criteria", "content"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    return root


@pytest.fixture
def edit_content(content_copy: Path) -> EditContent:
    """Replace one exact piece of text in a file of the content copy; returns the line it starts on.

    The old text must occur exactly once, so a test fails loudly when the content it relies on has
    changed, instead of quietly checking nothing.
    """

    def edit(relative_path: str, old: str, new: str) -> int:
        path = content_copy / relative_path
        text = path.read_text(encoding="utf-8")
        count = text.count(old)
        assert count == 1, f"expected {old!r} exactly once in {relative_path}, found it {count} times"
        start = text.index(old)
        path.write_text(text[:start] + new + text[start + len(old) :], encoding="utf-8")
        return text.count("\n", 0, start) + 1

    return edit


# The form service ---------------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path):
    """A fresh service on an empty temporary data folder, with the demo schools and people."""
    from form_service import create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig

    application = create_app(
        TestConfig,
        {
            "DATA_DIR": tmp_path / "data",
            "CONTENT_ROOT": REPO_ROOT,
            "SITE_DIR": tmp_path / "no-site",
            "SERVICE_URL": "http://service.test/app",
            "TODAY": "2026-11-23",
        },
    )
    with application.app_context():
        seed_demo(application)
    return application


@pytest.fixture
def service_on(request: pytest.FixtureRequest):
    """Makes the service on a new, empty database of an engine: service_on("sqlite" or "postgresql", data folder,
    seed=True, **settings). PostgreSQL databases come from the session's throwaway server and are dropped after."""
    from form_service import create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig
    from form_service.store import get_store

    def make(engine: str, folder: Path, seed: bool = True, **settings: object):
        config: dict[str, object] = {
            "DATA_DIR": folder,
            "CONTENT_ROOT": REPO_ROOT,
            "SITE_DIR": folder / "no-site",
            "SERVICE_URL": "http://service.test/app",
            "TODAY": "2026-11-23",
            **settings,
        }
        if engine == "postgresql":
            server = request.getfixturevalue("postgres_server")
            url = server.create_database()
            request.addfinalizer(lambda: server.drop_database(url))
            config["DATABASE_URL"] = url
        service = create_app(TestConfig, config)
        with service.app_context():
            request.addfinalizer(get_store().engine.dispose)
            if seed:
                seed_demo(service)
        return service

    return make


@pytest.fixture
def client(app):
    return app.test_client()


class Outbox:
    """The emails the service wrote to $DATA_DIR/outbox, oldest first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def messages(self) -> list:
        import email
        from email import policy

        files = sorted(self.folder.glob("*.eml")) if self.folder.exists() else []
        return [email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in files]

    def last_to(self, address: str):
        found = [m for m in self.messages() if m["To"] == address]
        assert found, f"no email to {address}; outbox has {[m['To'] for m in self.messages()]}"
        return found[-1]

    def link_to(self, address: str, path: str = "/app/sign-in/continue") -> str:
        import re

        body = self.last_to(address).get_content()
        match = re.search(r"https?://[^\s]+" + re.escape(path) + r"[^\s]*", body)
        assert match, f"no link to {path} in the email to {address}:\n{body}"
        return match.group(0)


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(Path(app.config["DATA_DIR"]) / "outbox")


class SignIn:
    """Signs a test client in the way a person does: ask for a link, open it, press Continue."""

    def __init__(self, client, outbox: Outbox) -> None:
        self.client = client
        self.outbox = outbox

    def csrf(self, path: str) -> str:
        import re

        page = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def __call__(self, email: str) -> None:
        from urllib.parse import parse_qs, urlsplit

        response = self.client.post("/sign-in", data={"email": email, "csrf_token": self.csrf("/sign-in")})
        assert response.status_code == 302, response.get_data(as_text=True)
        link = self.outbox.link_to(email)
        token = parse_qs(urlsplit(link).query)["token"][0]
        continue_page = "/sign-in/continue?token=" + token
        response = self.client.post("/sign-in/continue", data={"token": token, "csrf_token": self.csrf(continue_page)})
        assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def sign_in(client, outbox) -> SignIn:
    return SignIn(client, outbox)


# The browser --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's package, driven by Playwright) for every browser test."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# PostgreSQL -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the whole session (see tests/postgres.py); fails if none can start."""
    from tests.postgres import Server

    server = Server()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """The address of a new, empty PostgreSQL database, dropped after the test."""
    with postgres_server.database() as url:
        yield url
