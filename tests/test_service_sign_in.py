"""Signing in, sessions and the service's defences, as people (and attackers) meet them.

Every test drives the real Flask app through its test client, on a temporary data folder seeded with the
demo people (see conftest.py). Nothing here stands in for the thing under test: email goes to the real
outbox or to a real SMTP server on loopback, and the store is the real SQLite database on disk.
"""

from __future__ import annotations

import email
import hashlib
import json
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Client, TestResponse

from form_service import accounts, create_app, db
from form_service.accounts.sign_in import TOKENS, issue_token, token_hash
from form_service.config import Config, ProductionConfig, TestConfig
from form_service.core.mail import Email, OutboxMailer, SMTPMailer, mailer_from_config
from form_service.core.security import LONGEST_FIELD, csrf
from form_service.site_files import site_and_service
from form_service.store import documents, get_store
from tests.conftest import Outbox

REPO_ROOT = Path(__file__).resolve().parent.parent

LA_ADMIN = "la.admin@example.org"
SENCO = "senco@oakfield-primary.example.org"  # school lead (admin) of Oakfield, URN 900001
GOVERNOR = "governor@oakfield-primary.example.org"  # viewer at Oakfield
OAKFIELD = "900001"
STRANGER = "nobody@unknown-school.example.org"

SIGNED_OUT_FOR_IDLING = "You were signed out because you had not done anything for a while"
CSRF_REFUSED = "Your session has expired or the form was sent from elsewhere"
TOO_MANY = "Too many sign-in requests. Wait 15 minutes, then try again."

HTTPS = "https://service.test"
# Flask-WTF checks that an HTTPS form was sent from the same origin, as a browser says in Referer.
OVER_HTTPS: dict[str, Any] = {"base_url": HTTPS, "headers": {"Referer": HTTPS + "/app/sign-in"}}


# Helpers: a person's steps ------------------------------------------------------------------------------


def page_text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def csrf_token(client: FlaskClient, path: str = "/sign-in", **request: Any) -> str:
    """The CSRF token from the form on `path`, as a browser would send it back."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text(client.get(path, **request)))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def ask_for_link(client: FlaskClient, address: str, **request: Any) -> TestResponse:
    """Fill in the sign-in form with `address` and press the button."""
    token = csrf_token(client, "/sign-in", **request)
    return client.post("/sign-in", data={"email": address, "csrf_token": token}, **request)


def token_in(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def press_continue(client: FlaskClient, token: str, **request: Any) -> TestResponse:
    """Open the emailed link and press Continue (the only step that signs in)."""
    form_token = csrf_token(client, "/sign-in/continue?token=" + token, **request)
    return client.post("/sign-in/continue", data={"token": token, "csrf_token": form_token}, **request)


def sign_in_as(client: FlaskClient, outbox: Any, address: str, **request: Any) -> TestResponse:
    assert ask_for_link(client, address, **request).status_code == 302
    response = press_continue(client, token_in(outbox.link_to(address)), **request)
    assert response.status_code == 302, page_text(response)
    return response


def is_signed_in(client: FlaskClient, **request: Any) -> bool:
    """What the person sees in the header of any page: 'Signed in as ...' and a Sign out button."""
    return "Signed in as" in page_text(client.get("/", **request))


def another_app(app: Flask, config: type[Config] = TestConfig, **overrides: Any) -> Flask:
    """A second app on the same data folder, as a second worker process of the same deployment is."""
    settings = {name: app.config[name] for name in ("DATA_DIR", "CONTENT_ROOT", "SITE_DIR", "SERVICE_URL", "TODAY")}
    return create_app(config, {**settings, **overrides})


EMAILS = ("outbox/", "database:outbox/")  # where stored_files names the emails waiting to go, and gone


def stored_files(data_dir: Path) -> dict[str, bytes]:
    """Everything the service keeps: each row of the database's documents, audit log, outbox and evidence files,
    and every other file (emails). The database's own files are left out: reading changes them."""
    kept = {
        path.relative_to(data_dir).as_posix(): path.read_bytes()
        for path in data_dir.rglob("*")
        if path.is_file() and not path.name.startswith(db.SQLITE_FILE)
    }
    database = data_dir / db.SQLITE_FILE
    if database.exists():
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
            for collection, key, body in connection.execute("SELECT collection, key, body FROM documents"):
                kept[f"database:{collection}/{key}"] = body.encode()
            for table in ("audit_entries", "outbox", "evidence_files"):
                for row in connection.execute(f"SELECT * FROM {table}"):
                    kept[f"database:{table}/{row[0]}"] = repr(row).encode()
    return kept


def user_id_of(app: Flask, address: str) -> str:
    with app.app_context():
        user = accounts.find_user_by_email(get_store(), address)
    assert user is not None, address
    return user.id


def emails_to(outbox: Any, address: str) -> list[EmailMessage]:
    return [message for message in outbox.messages() if message["To"] == address]


def address_of(response: TestResponse) -> str:
    """The path and query of the page a client ended on, as the address bar shows them."""
    query = response.request.query_string.decode()
    return response.request.path + (f"?{query}" if query else "")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The sign-in link ---------------------------------------------------------------------------------------


def test_a_sign_in_request_writes_one_email_with_a_link_to_the_service(client, outbox) -> None:
    response = ask_for_link(client, SENCO)

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/check-email"
    assert len(outbox.messages()) == 1
    message = outbox.last_to(SENCO)
    assert message["Subject"] == "Your sign-in link"
    link = outbox.link_to(SENCO)
    assert link.startswith("http://service.test/app/sign-in/continue?token=")
    assert len(token_in(link)) >= 40


def test_opening_the_link_shows_continue_and_does_not_sign_in(app, client, outbox) -> None:
    ask_for_link(client, SENCO)
    link = outbox.link_to(SENCO)
    path = link.removeprefix("http://service.test/app")

    # A mail scanner (Safe Links) opens the link first, in a client of its own.
    scanner = app.test_client()
    opened = scanner.get(path)
    assert opened.status_code == 200
    assert re.search(r"<button[^>]*>\s*Continue\s*</button>", page_text(opened))
    assert not is_signed_in(scanner)
    assert not is_signed_in(client)

    # The person then opens it too, and only pressing Continue signs them in.
    assert client.get(path).status_code == 200
    assert not is_signed_in(client)
    response = press_continue(client, token_in(link))
    assert response.status_code == 302
    assert response.headers["Location"] == "/school/"
    assert is_signed_in(client)
    assert "Demo SENCo, Oakfield" in page_text(client.get("/", follow_redirects=True))


def test_an_la_member_lands_on_the_la_dashboard(client, outbox) -> None:
    response = sign_in_as(client, outbox, LA_ADMIN)

    assert response.headers["Location"] == "/la/"
    assert client.get("/la/").status_code == 200


def test_a_link_works_once(app, client, outbox) -> None:
    ask_for_link(client, SENCO)
    token = token_in(outbox.link_to(SENCO))
    assert press_continue(client, token).status_code == 302

    # Someone who got hold of the link afterwards (or the person pressing Continue again) gets a plain answer.
    other = app.test_client()
    opened = other.get("/sign-in/continue?token=" + token)
    assert opened.status_code == 400
    assert "This sign-in link has already been used" in page_text(opened)
    again = other.post("/sign-in/continue", data={"token": token, "csrf_token": csrf_token(other)})
    assert again.status_code == 400
    assert "This sign-in link has already been used" in page_text(again)
    assert not is_signed_in(other)


def test_an_expired_link_fails_with_a_plain_message(app, client) -> None:
    with app.app_context():
        token = issue_token(get_store(), user_id_of(app, SENCO), minutes=-1)

    opened = client.get("/sign-in/continue?token=" + token)
    assert opened.status_code == 400
    assert "This sign-in link has expired" in page_text(opened)
    pressed = client.post("/sign-in/continue", data={"token": token, "csrf_token": csrf_token(client)})
    assert pressed.status_code == 400
    assert "This sign-in link has expired" in page_text(pressed)
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("made-up-token-made-up-token-made-up-token-123", id="made-up"),
        pytest.param("", id="empty"),
        pytest.param("x" * 10_000, id="10000-characters"),
        pytest.param("../../users/../%00<script>", id="hostile"),
    ],
)
def test_a_bad_token_gets_a_400_page_never_a_500(client, token: str) -> None:
    opened = client.get("/sign-in/continue", query_string={"token": token})
    assert opened.status_code == 400
    assert "There is a problem with your sign-in link" in page_text(opened)
    assert "<script>" not in page_text(opened)

    pressed = client.post("/sign-in/continue", data={"token": token, "csrf_token": csrf_token(client)})
    assert pressed.status_code == 400
    assert "This sign-in link is not valid" in page_text(pressed)
    assert not is_signed_in(client)


def test_the_continue_page_without_any_token_is_a_400(client) -> None:
    response = client.get("/sign-in/continue")
    assert response.status_code == 400
    assert "This sign-in link is not valid" in page_text(response)


def test_the_token_is_stored_only_as_its_hash(app, client, outbox) -> None:
    ask_for_link(client, SENCO)
    token = token_in(outbox.link_to(SENCO))
    data_dir = Path(app.config["DATA_DIR"])

    # The outbox holds the email itself, which must carry the link; nothing else kept may.
    store_files = {name: raw for name, raw in stored_files(data_dir).items() if not name.startswith(EMAILS)}
    assert not [name for name, raw in store_files.items() if token.encode() in raw]
    with app.app_context():
        assert get_store().read(TOKENS, token_hash(token)) is not None
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()

    press_continue(client, token)
    store_files = {name: raw for name, raw in stored_files(data_dir).items() if not name.startswith(EMAILS)}
    assert not [name for name, raw in store_files.items() if token.encode() in raw]


# Nobody can find out who has an account ------------------------------------------------------------------


def test_known_and_unknown_addresses_get_the_same_answer(client, outbox) -> None:
    known = ask_for_link(client, SENCO)
    unknown = ask_for_link(client, STRANGER)

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    known_page = page_text(client.get(known.headers["Location"]))
    unknown_page = page_text(client.get(unknown.headers["Location"]))
    assert known_page == unknown_page
    assert "Check your email" in known_page


def test_an_unknown_address_is_emailed_a_register_link_not_a_sign_in_link(client, outbox) -> None:
    ask_for_link(client, STRANGER)

    message = outbox.last_to(STRANGER)
    body = message.get_content()
    assert "not registered" in body
    assert "http://service.test/app/register" in body
    assert "sign-in/continue" not in body
    assert "token=" not in body


# Rate limits --------------------------------------------------------------------------------------------


def test_the_sixth_request_for_one_address_in_15_minutes_is_refused(client, outbox) -> None:
    for _ in range(5):
        assert ask_for_link(client, SENCO).status_code == 302
    first_link = outbox.link_to(SENCO)

    refused = ask_for_link(client, SENCO)

    assert refused.status_code == 429
    assert TOO_MANY in page_text(refused)
    assert len(emails_to(outbox, SENCO)) == 5
    # "Any link we already sent still works."
    assert press_continue(client, token_in(first_link)).status_code == 302


def test_the_limit_for_an_address_holds_across_worker_processes(app, outbox) -> None:
    first_worker = app.test_client()
    second_worker = another_app(app).test_client()

    for _ in range(3):
        assert ask_for_link(first_worker, SENCO).status_code == 302
    for _ in range(2):
        assert ask_for_link(second_worker, SENCO).status_code == 302

    assert ask_for_link(second_worker, SENCO).status_code == 429
    assert ask_for_link(first_worker, SENCO).status_code == 429
    assert len(emails_to(outbox, SENCO)) == 5


def test_one_client_address_may_ask_30_times_in_15_minutes(app, client, outbox) -> None:
    for number in range(30):
        assert ask_for_link(client, f"person{number}@school.example.org").status_code == 302

    refused = ask_for_link(client, "person30@school.example.org")
    assert refused.status_code == 429
    assert TOO_MANY in page_text(refused)
    assert not emails_to(outbox, "person30@school.example.org")

    # Someone at another address is not held up.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert ask_for_link(elsewhere, "person30@school.example.org").status_code == 302


# Sessions -----------------------------------------------------------------------------------------------


def test_signing_in_starts_a_new_session(client, outbox) -> None:
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted_before_sign_in"] = "attacker's value"
    before = client.get_cookie(TestConfig.SESSION_COOKIE_NAME).value

    sign_in_as(client, outbox, SENCO)

    after = client.get_cookie(TestConfig.SESSION_COOKIE_NAME).value
    assert after != before
    with client.session_transaction() as session:
        assert "planted_before_sign_in" not in session
        assert session["user_id"] == user_id_of(client.application, SENCO)


def test_signing_out_ends_the_session(client, outbox) -> None:
    sign_in_as(client, outbox, SENCO)
    token = csrf_token(client, "/")

    response = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=True)

    assert response.status_code == 200
    assert "You have signed out." in page_text(response)
    assert not is_signed_in(client)
    assert client.get(f"/school/{OAKFIELD}/").headers["Location"].startswith("/sign-in")


def test_sign_out_is_not_possible_with_a_get(client, outbox) -> None:
    sign_in_as(client, outbox, SENCO)

    response = client.get("/sign-out")

    assert response.status_code == 405
    assert "That action is not allowed here." in page_text(response)
    assert is_signed_in(client)


def test_signing_out_everywhere_ends_the_sessions_on_other_devices(app, client, outbox) -> None:
    laptop, phone = client, app.test_client()
    sign_in_as(laptop, outbox, SENCO)
    sign_in_as(phone, outbox, SENCO)
    assert is_signed_in(phone)

    response = laptop.post("/sign-out/everywhere", data={"csrf_token": csrf_token(laptop, "/")}, follow_redirects=True)

    assert "You have signed out on every device." in page_text(response)
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert phone.get(f"/school/{OAKFIELD}/").headers["Location"].startswith("/sign-in")


def test_removing_someone_from_the_school_ends_their_sessions(app, client, outbox) -> None:
    school_lead, governor = client, app.test_client()
    sign_in_as(school_lead, outbox, SENCO)
    sign_in_as(governor, outbox, GOVERNOR)
    assert governor.get(f"/school/{OAKFIELD}/").status_code == 200

    team = page_text(school_lead.get(f"/school/{OAKFIELD}/team"))
    remove_path = f"/school/{OAKFIELD}/team/{user_id_of(app, GOVERNOR)}/remove"
    assert f'href="{remove_path}"' in team
    response = school_lead.post(remove_path, data={"csrf_token": csrf_token(school_lead, remove_path)})
    assert response.status_code == 302
    assert "has been removed from the team" in page_text(school_lead.get(response.headers["Location"]))

    assert not is_signed_in(governor)
    assert governor.get(f"/school/{OAKFIELD}/").headers["Location"].startswith("/sign-in")


def test_an_idle_session_is_signed_out_with_a_message(app, client, outbox) -> None:
    sign_in_as(client, outbox, SENCO)
    app.extensions["clock"].advance(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=60))

    response = client.get(f"/school/{OAKFIELD}/", follow_redirects=True)

    assert SIGNED_OUT_FOR_IDLING in page_text(response)
    assert "<h1>Sign in</h1>" in page_text(response)
    assert not is_signed_in(client)


def test_a_session_in_use_is_not_signed_out(app, client, outbox) -> None:
    sign_in_as(client, outbox, SENCO)
    app.extensions["clock"].advance(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 2))

    response = client.get(f"/school/{OAKFIELD}/")

    assert response.status_code == 200
    assert SIGNED_OUT_FOR_IDLING not in page_text(response)


def test_keep_alive_answers_json_with_the_csrf_header(client, outbox) -> None:
    sign_in_as(client, outbox, SENCO)
    body = page_text(client.get(f"/school/{OAKFIELD}/"))
    token = re.search(r'data-qm-csrf="([^"]+)"', body).group(1)
    keep_alive = re.search(r'data-qm-keep-alive="([^"]+)"', body).group(1)
    assert keep_alive == "/session/keep-alive"

    response = client.post(keep_alive, headers={"X-CSRFToken": token, "Accept": "application/json"})

    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["idle_minutes"] == client.application.config["SESSION_IDLE_MINUTES"]


def test_keep_alive_without_the_csrf_header_is_a_400_not_a_500(client, outbox) -> None:
    sign_in_as(client, outbox, SENCO)

    as_json = client.post("/session/keep-alive", headers={"Accept": "application/json"})
    assert as_json.status_code == 400
    assert as_json.json["status"] == 400
    assert CSRF_REFUSED in as_json.json["error"]

    as_page = client.post("/session/keep-alive")
    assert as_page.status_code == 400
    assert as_page.mimetype == "text/html"
    assert CSRF_REFUSED in page_text(as_page)
    assert is_signed_in(client)


# CSRF ---------------------------------------------------------------------------------------------------


def post_rules(app: Flask) -> list[Any]:
    return sorted((rule for rule in app.url_map.iter_rules() if "POST" in rule.methods), key=lambda r: r.rule)


def test_every_state_changing_post_refuses_a_request_without_a_csrf_token(app, client, outbox) -> None:
    assert app.config.get("WTF_CSRF_ENABLED", True), "CSRF protection must be on, as it is in TestConfig"
    sign_in_as(client, outbox, LA_ADMIN)
    data_dir = Path(app.config["DATA_DIR"])
    sample = {
        "urn": OAKFIELD,
        "user_id": user_id_of(app, GOVERNOR),
        "decision": "approve",
        "import_id": "0" * 32,
    }
    urls = app.url_map.bind("localhost")
    checked = []

    for rule in post_rules(app):
        if rule.rule == "/register/check":
            continue
        path = urls.build(rule.endpoint, {name: sample.get(name, "1") for name in rule.arguments}, method="POST")
        before = stored_files(data_dir)
        response = client.post(
            path,
            data={"email": "new.person@oakfield-primary.example.org", "name": "New Person", "role": "admin"},
        )
        assert response.status_code == 400, f"POST {path} without a CSRF token answered {response.status_code}"
        assert CSRF_REFUSED in page_text(response), path
        assert stored_files(data_dir) == before, f"POST {path} without a CSRF token changed stored data"
        checked.append(rule.rule)

    assert {"/sign-in", "/sign-in/continue", "/sign-out", "/sign-out/everywhere", "/register"} <= set(checked)
    assert "/school/<urn>/team/<user_id>/remove" in checked
    assert "/la/schools/import" in checked
    assert is_signed_in(client), "a sign-out without a CSRF token must not sign anyone out"


def test_only_the_registration_check_is_exempt_from_csrf_and_it_writes_nothing(app, client, outbox) -> None:
    assert csrf._exempt_views == {"form_service.registration.views.register_check"}
    assert not csrf._exempt_blueprints
    data_dir = Path(app.config["DATA_DIR"])
    before = stored_files(data_dir)

    response = client.post(
        "/register/check",
        data={
            "urn": OAKFIELD,
            "name": "Ada Lovelace",
            "job_title": "SENCo",
            "email": "ada@oakfield-primary.example.org",
        },
    )

    assert response.status_code == 200
    assert "Check your details" in page_text(response)
    assert stored_files(data_dir) == before
    assert not outbox.messages()


# Security headers and cookies ---------------------------------------------------------------------------


def policy_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response: TestResponse) -> None:
    directives = policy_directives(response.headers["Content-Security-Policy"])
    script_sources = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in script_sources and "'unsafe-eval'" not in script_sources
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin", "strict-origin-when-cross-origin")
    assert response.headers["Cache-Control"] == "no-store"


def test_every_kind_of_response_carries_the_security_headers(client) -> None:
    page = client.get("/sign-in")
    health = client.get("/healthz")
    missing = client.get("/no-such-page")
    bad_link = client.get("/sign-in/continue?token=nonsense")

    assert (page.status_code, page.mimetype) == (200, "text/html")
    assert (health.status_code, health.mimetype) == (200, "application/json")
    assert (missing.status_code, missing.mimetype) == (404, "text/html")
    assert bad_link.status_code == 400
    for response in (page, health, missing, bad_link):
        assert_security_headers(response)
        # Development runs over plain HTTP: no HSTS there.
        assert "Strict-Transport-Security" not in response.headers


def test_the_session_cookie_is_http_only_and_same_site_lax(client) -> None:
    cookie = client.get("/sign-in").headers["Set-Cookie"]

    assert cookie.startswith(TestConfig.SESSION_COOKIE_NAME + "=")
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie


@pytest.fixture
def production_app(app: Flask) -> Flask:
    """The production configuration, on the demo data, reached at https://service.test."""
    return another_app(
        app,
        ProductionConfig,
        SECRET_KEY="a-long-random-production-secret-for-tests-only-0123456789",
        SERVICE_URL=HTTPS + "/app",
        TRUSTED_HOSTS=["service.test"],
        # The tests read each email right after the request, so it is sent then rather than by the background
        # sender a moment later (tests/test_outbox.py tests that one).
        OUTBOX_DELIVERY="at-once",
    )


def test_production_signs_in_over_https_with_a_host_prefixed_secure_cookie(production_app, outbox) -> None:
    client = production_app.test_client()

    first_cookie = client.get("/sign-in", **OVER_HTTPS).headers["Set-Cookie"]
    response = sign_in_as(client, outbox, LA_ADMIN, **OVER_HTTPS)

    assert outbox.link_to(LA_ADMIN).startswith(HTTPS + "/app/sign-in/continue?token=")
    assert response.headers["Location"] == "/la/"
    for cookie in (first_cookie, response.headers["Set-Cookie"]):
        assert cookie.startswith("__Host-session=")
        attributes = [part.strip() for part in cookie.split(";")[1:]]
        assert "Secure" in attributes
        assert "HttpOnly" in attributes
        assert "Path=/" in attributes
        assert "SameSite=Lax" in attributes
        assert not [part for part in attributes if part.lower().startswith("domain=")]
    assert client.get("/la/", **OVER_HTTPS).status_code == 200


def test_production_sends_hsts_and_the_security_headers(production_app) -> None:
    client = production_app.test_client()

    for response in (
        client.get("/sign-in", **OVER_HTTPS),
        client.get("/healthz", **OVER_HTTPS),
        client.get("/no-such-page", **OVER_HTTPS),
    ):
        assert_security_headers(response)
        max_age = re.search(r"max-age=(\d+)", response.headers["Strict-Transport-Security"])
        assert int(max_age.group(1)) >= 365 * 24 * 3600


# Hosts and links ----------------------------------------------------------------------------------------


def test_a_request_for_an_untrusted_host_is_refused(client, outbox) -> None:
    page = client.get("/sign-in", headers={"Host": "evil.example"})
    assert page.status_code == 400
    assert_security_headers(page)

    token = csrf_token(client)
    post = client.post("/sign-in", data={"email": SENCO, "csrf_token": token}, headers={"Host": "evil.example"})
    assert post.status_code == 400
    assert not outbox.messages()


def test_production_refuses_an_untrusted_host(production_app) -> None:
    response = production_app.test_client().get("/sign-in", base_url="https://evil.example")

    assert response.status_code == 400
    assert "evil.example" not in page_text(response)


@pytest.mark.parametrize("trusted_hosts", [None, ["evil.example"]], ids=["no-host-check", "host-allowed"])
def test_emailed_links_always_use_service_url_whatever_the_host_header(app, outbox, trusted_hosts) -> None:
    client = another_app(app, TRUSTED_HOSTS=trusted_hosts).test_client()

    assert ask_for_link(client, SENCO, base_url="http://evil.example").status_code == 302
    ask_for_link(client, STRANGER, base_url="http://evil.example")

    assert outbox.link_to(SENCO).startswith("http://service.test/app/sign-in/continue?token=")
    assert "http://service.test/app/register" in outbox.last_to(STRANGER).get_content()
    for message in outbox.messages():
        assert "evil.example" not in message.get_content()


# Production configuration and errors --------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_production_without_a_secret_key_refuses_to_start(tmp_path, secret) -> None:
    data_dir = tmp_path / "data"

    with pytest.raises(SystemExit, match="Set the SECRET_KEY environment variable"):
        create_app(ProductionConfig, {"SECRET_KEY": secret, "DATA_DIR": data_dir, "CONTENT_ROOT": REPO_ROOT})

    assert not (data_dir / ".secret_key").exists()


@pytest.mark.parametrize("hosts", [None, []], ids=["unset", "empty"])
def test_production_without_trusted_hosts_refuses_to_start(tmp_path, hosts) -> None:
    data_dir = tmp_path / "data"
    settings = {"SECRET_KEY": "a-long-random-production-secret", "DATA_DIR": data_dir, "CONTENT_ROOT": REPO_ROOT}

    with pytest.raises(SystemExit, match="Set the TRUSTED_HOSTS environment variable"):
        create_app(ProductionConfig, {**settings, "TRUSTED_HOSTS": hosts})

    assert not data_dir.exists()


def run_service_start(environment: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    """Python `code` in a new process with only these settings in its environment, as a server starts."""
    kept = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG", "TMPDIR")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**kept, "PYTHONPATH": str(REPO_ROOT), **environment},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("hosts", [None, "", " , "], ids=["unset", "empty", "only-commas"])
def test_a_production_server_without_trusted_hosts_stops_with_a_plain_message(tmp_path, hosts) -> None:
    environment = {"QM_ENV": "production", "SECRET_KEY": "a-long-random-production-secret", "DATA_DIR": str(tmp_path)}
    if hosts is not None:
        environment["TRUSTED_HOSTS"] = hosts

    started = run_service_start(environment, "import form_service.wsgi")

    assert started.returncode != 0
    assert "Set the TRUSTED_HOSTS environment variable" in started.stderr
    assert "Traceback" not in started.stderr
    assert "Set the SECRET_KEY" not in started.stderr


def test_production_says_every_missing_setting_at_once(tmp_path) -> None:
    started = run_service_start({"QM_ENV": "production", "DATA_DIR": str(tmp_path)}, "import form_service.wsgi")

    assert started.returncode != 0
    assert "Set the SECRET_KEY environment variable" in started.stderr
    assert "Set the TRUSTED_HOSTS environment variable" in started.stderr
    assert "Traceback" not in started.stderr


SIGN_IN_AND_PRINT_COOKIE = """
import sys
sys.path.insert(0, "tests")
from conftest import Outbox, SignIn
from form_service import create_app
from form_service.commands import seed_demo
app = create_app()
with app.app_context():
    seed_demo(app)
client = app.test_client()
SignIn(client, Outbox(app.config["DATA_DIR"] / "outbox"))(sys.argv[1])
print(client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
"""

PAGE_WITH_COOKIE = """
import sys
from form_service import create_app
app = create_app()
client = app.test_client()
client.set_cookie(app.config["SESSION_COOKIE_NAME"], sys.argv[1])
print(client.get("/", follow_redirects=True).get_data(as_text=True))
"""


def test_in_development_a_restart_keeps_everyone_signed_in(tmp_path) -> None:
    """Two processes on one data folder, as `make run` before and after a restart (or two of its workers)."""
    environment = {
        "QM_ENV": "development",
        "DATA_DIR": str(tmp_path / "data"),
        "CONTENT_ROOT": str(REPO_ROOT),
        "OUTBOX_DELIVERY": "at-once",  # the script reads the sign-in email right after asking for it
    }
    signed_in = run_service_start(environment, SIGN_IN_AND_PRINT_COOKIE.replace("sys.argv[1]", repr(SENCO)))
    assert signed_in.returncode == 0, signed_in.stderr
    cookie = signed_in.stdout.strip().splitlines()[-1]

    restarted = run_service_start(environment, PAGE_WITH_COOKIE.replace("sys.argv[1]", repr(cookie)))

    assert restarted.returncode == 0, restarted.stderr
    assert "Signed in as" in restarted.stdout
    assert "Demo SENCo, Oakfield" in restarted.stdout


def test_a_production_error_shows_a_plain_page_and_no_stack_trace(production_app, outbox, caplog) -> None:
    assert production_app.debug is False
    client = production_app.test_client()
    sign_in_as(client, outbox, SENCO, **OVER_HTTPS)
    data_dir = Path(production_app.config["DATA_DIR"])
    with production_app.app_context(), get_store().engine.begin() as connection:
        damaged = documents.update().where(documents.c.key == user_id_of(production_app, SENCO))
        connection.execute(damaged.values(body="\x01garbage{{"))  # the user's document is no longer JSON

    response = client.get(f"/school/{OAKFIELD}/", **OVER_HTTPS)

    body = page_text(response)
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in body
    assert "Traceback" not in body
    assert "DamagedDocument" not in body
    assert str(data_dir) not in body
    assert_security_headers(response)
    # Operators still get the detail, in the log.
    assert "Unhandled error" in caplog.text


# Bad input ----------------------------------------------------------------------------------------------


def test_an_oversized_request_gets_a_plain_413_page(app, client, outbox) -> None:
    data_dir = Path(app.config["DATA_DIR"])
    before = stored_files(data_dir)
    limit = app.config["MAX_CONTENT_LENGTH"]

    response = client.post(
        "/sign-in",
        data=b"email=" + b"a" * limit,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert "What you sent is too large." in page_text(response)
    assert "Traceback" not in page_text(response)
    assert stored_files(data_dir) == before


ELEVEN_MB = "x" * (11 * 1024 * 1024)  # under MAX_CONTENT_LENGTH, so the whole request reaches the service


@pytest.mark.parametrize(
    ("person", "form_page", "action", "field"),
    [
        (None, "/sign-in", "/sign-in", "email"),
        (None, "/sign-in", "/register/check", "name"),
        (SENCO, f"/school/{OAKFIELD}/", f"/school/{OAKFIELD}/team/invite", "name"),
        (SENCO, f"/school/{OAKFIELD}/", f"/school/{OAKFIELD}/actions/new", "what"),
        (SENCO, f"/school/{OAKFIELD}/", f"/school/{OAKFIELD}/evidence/attainment/notes", "notes"),
    ],
    ids=["sign-in", "register", "invite", "action", "evidence-notes"],
)
def test_an_11_mb_field_is_refused_and_never_repeated_back(app, client, outbox, person, form_page, action, field):
    if person:
        sign_in_as(client, outbox, person)
    token = csrf_token(client, form_page)
    data_dir = Path(app.config["DATA_DIR"])
    before = stored_files(data_dir)

    response = client.post(action, data={field: ELEVEN_MB, "csrf_token": token})

    body = page_text(response)
    assert response.status_code == 413
    assert "no box takes more than 20,000 characters" in body
    assert len(response.get_data()) < 50_000
    assert "x" * 1000 not in body
    assert stored_files(data_dir) == before


def test_a_field_over_its_own_limit_is_still_shown_back_whole_to_be_shortened(client, outbox) -> None:
    sign_in_as(client, outbox, SENCO)
    token = csrf_token(client, f"/school/{OAKFIELD}/")
    too_long = "Run a parents' forum each term. " * 20  # 640 characters: the box takes 500

    response = client.post(f"/school/{OAKFIELD}/actions/new", data={"what": too_long, "csrf_token": token})

    assert response.status_code == 400
    assert "must be 500 characters or fewer" in page_text(response)
    assert too_long.replace("'", "&#39;") in page_text(response)


def test_the_longest_field_allowed_covers_the_longest_commentary_content_may_set() -> None:
    schema = json.loads((REPO_ROOT / "quality_mark" / "schemas" / "framework.schema.json").read_text())
    assert schema["properties"]["commentary_limit"]["maximum"] <= LONGEST_FIELD


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("<script>alert(1)</script>@school.example.org", "Enter an email address in the correct format"),
        ("a" * 288 + "@example.org", "Email address must be 254 characters or fewer"),
        ("用户@例子.广告", "Enter an email address in the correct format"),
        ("tést@example.org", "Enter an email address in the correct format"),
        ("a@b.org\nBcc: x@y.org", "Enter an email address in the correct format"),
        ("a@b.org\r\nBcc: x@y.org", "Enter an email address in the correct format"),
        ('"quoted"@school.example.org', "Enter an email address in the correct format"),
        ("", "Enter your email address"),
    ],
    ids=["script", "300-characters", "unicode-domain", "unicode-name", "bcc-lf", "bcc-crlf", "quotes", "empty"],
)
def test_hostile_email_input_gets_a_field_error_and_changes_nothing(app, client, outbox, address, message) -> None:
    data_dir = Path(app.config["DATA_DIR"])
    token = csrf_token(client)
    before = stored_files(data_dir)

    response = client.post("/sign-in", data={"email": address, "csrf_token": token})

    body = page_text(response)
    assert response.status_code == 200
    assert "There is a problem" in body
    assert message in body
    assert "<script>alert" not in body
    assert stored_files(data_dir) == before
    assert not outbox.messages()


@pytest.mark.parametrize(
    "target", ["https://evil.example/steal", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_a_next_parameter_never_sends_anyone_to_another_host(client, outbox, target) -> None:
    bounced = client.get(f"/school/{OAKFIELD}/")
    assert bounced.status_code == 302
    assert urlsplit(bounced.headers["Location"]).netloc == ""

    page = client.get("/sign-in", query_string={"next": target})
    assert page.status_code == 200
    assert "evil.example" not in page_text(page)
    assert "javascript:" not in page_text(page)

    token = csrf_token(client)
    asked = client.post("/sign-in", query_string={"next": target}, data={"email": SENCO, "csrf_token": token})
    assert asked.headers["Location"] == "/sign-in/check-email"
    signed_in = press_continue(client, token_in(outbox.link_to(SENCO)))
    assert urlsplit(signed_in.headers["Location"]).netloc == ""
    assert signed_in.headers["Location"].startswith("/school/")

    already = client.get("/sign-in", query_string={"next": target})
    assert already.status_code == 302
    assert urlsplit(already.headers["Location"]).netloc == ""
    assert already.headers["Location"].startswith("/school/")


# Health check -------------------------------------------------------------------------------------------


def test_healthz_reports_the_store_and_the_content_loaded(client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "store": "ok", "content": {"primary": 1, "secondary": 1}}


def test_healthz_is_503_when_the_data_folder_cannot_be_written(tmp_path) -> None:
    # Tests run as root, where permissions do not stop writes: a folder under a plain file can never exist.
    (tmp_path / "afile").write_text("not a folder")
    broken = create_app(
        TestConfig, {"DATA_DIR": tmp_path / "afile" / "data", "CONTENT_ROOT": REPO_ROOT, "SITE_DIR": tmp_path}
    )

    response = broken.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["store"] == "unreachable"
    assert response.json["content"] == {"primary": 1, "secondary": 1}


# Logs ---------------------------------------------------------------------------------------------------


def test_logs_never_hold_a_sign_in_token(app, client, outbox, caplog, capsys) -> None:
    caplog.set_level(logging.DEBUG)

    ask_for_link(client, SENCO)
    link = outbox.link_to(SENCO)
    token = token_in(link)
    client.get(link.removeprefix("http://service.test/app"))
    press_continue(client, token)
    app.test_client().get("/sign-in/continue?token=" + token)  # a second, refused use

    printed = capsys.readouterr()
    assert token not in caplog.text
    assert all(token not in str(record.args) for record in caplog.records)
    assert token not in printed.out
    assert token not in printed.err


def test_the_access_log_leaves_out_query_strings() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()

    formats = re.findall(r"--access-logformat\s+'([^']*)'", makefile)
    assert formats, "the gunicorn command in the Makefile sets no access log format"
    for log_format in formats:
        assert "%(U)s" in log_format  # the path without its query string
        for with_query in ("%(r)s", "%(q)s", "%({raw_uri}e)s"):
            assert with_query not in log_format


# Email --------------------------------------------------------------------------------------------------


def test_the_outbox_mailer_writes_a_valid_plain_text_email(tmp_path) -> None:
    folder = tmp_path / "outbox"
    OutboxMailer(folder, "Quality Mark <quality.mark@example.org>").send(
        Email(
            to="senco@school.example.org",
            subject="Your sign-in link",
            text="Hello,\n\nThe link: http://x/\n",
            written_at=datetime(2026, 11, 23, 12, tzinfo=UTC),
        )
    )

    files = list(folder.iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml"
    message = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["From"] == "Quality Mark <quality.mark@example.org>"
    assert message["To"] == "senco@school.example.org"
    assert message["Subject"] == "Your sign-in link"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert re.fullmatch(r"<[^<>@\s]+@example\.org>", message["Message-ID"])
    assert message.get_content_type() == "text/plain"
    assert not message.is_multipart()
    assert message.get_content() == "Hello,\n\nThe link: http://x/\n"
    assert not message.defects


class CollectingHandler:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        # On the wire lines end in CRLF; read them back as a mail client would, with plain newlines.
        return [
            email.message_from_bytes(envelope.content.replace(b"\r\n", b"\n"), policy=policy.default)
            for envelope in self.envelopes
        ]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (no STARTTLS: there is no certificate here)."""
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def test_the_smtp_mailer_delivers_to_a_real_server(smtp_server) -> None:
    controller, handler = smtp_server
    mailer = SMTPMailer("127.0.0.1", controller.port, "Quality Mark <quality.mark@example.org>", starttls=False)

    mailer.send(
        Email(
            to="senco@school.example.org",
            subject="Your sign-in link",
            text="Press Continue.\n",
            written_at=datetime(2026, 11, 23, 12, tzinfo=UTC),
        )
    )

    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "quality.mark@example.org"
    assert envelope.rcpt_tos == ["senco@school.example.org"]
    (message,) = handler.messages()
    assert message["Subject"] == "Your sign-in link"
    assert message["To"] == "senco@school.example.org"
    assert message.get_content() == "Press Continue.\n"


def test_with_smtp_configured_a_sign_in_link_is_delivered_through_smtp(app, outbox, smtp_server) -> None:
    controller, handler = smtp_server
    smtp_app = another_app(app, SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False)

    mailer = mailer_from_config(smtp_app)
    assert isinstance(mailer, SMTPMailer)
    assert (mailer.host, mailer.port, mailer.starttls) == ("127.0.0.1", controller.port, False)

    client = smtp_app.test_client()
    assert ask_for_link(client, SENCO).status_code == 302

    assert [envelope.rcpt_tos for envelope in handler.envelopes] == [[SENCO]]
    (message,) = handler.messages()
    assert message["Subject"] == "Your sign-in link"
    link = re.search(r"http://service\.test/app/sign-in/continue\?token=\S+", message.get_content()).group(0)
    assert not outbox.messages()
    assert press_continue(client, token_in(link)).status_code == 302
    assert is_signed_in(client)


# Command line -------------------------------------------------------------------------------------------


def test_create_la_admin_makes_someone_who_can_sign_in_to_the_la_pages(app, client, outbox) -> None:
    result = app.test_cli_runner().invoke(args=["create-la-admin", "new.admin@example.org", "--name", "Nia Admin"])

    assert result.exit_code == 0, result.output
    assert "new.admin@example.org is an LA admin" in result.output
    response = sign_in_as(client, outbox, "new.admin@example.org")
    assert response.headers["Location"] == "/la/"
    dashboard = client.get("/la/")
    assert dashboard.status_code == 200
    assert "Signed in as Nia Admin" in page_text(dashboard)


def test_create_la_admin_refuses_something_that_is_not_an_email(app) -> None:
    result = app.test_cli_runner().invoke(args=["create-la-admin", "not-an-email"])

    assert result.exit_code != 0
    assert "'not-an-email' is not an email address" in result.output
    with app.app_context():
        assert accounts.find_user_by_email(get_store(), "not-an-email") is None


SCHOOLS_CSV = """URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),EstablishmentStatus (name),\
PhaseOfEducation (name),Postcode,SchoolWebsite,ContactEmail
910001,999,Demo Shire,Brookside Primary School,Community school,Open,Primary,AB4 1AA,\
https://brookside.example.org,office@brookside.example.org
910002,999,Demo Shire,Valley High School,Academy converter,Open,Secondary,AB4 2BB,https://valley.example.org,
"""


def test_import_schools_prints_counts_and_a_second_run_adds_nothing(app, client, tmp_path) -> None:
    csv_file = tmp_path / "schools.csv"
    csv_file.write_text(SCHOOLS_CSV)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["import-schools", str(csv_file)])
    second = runner.invoke(args=["import-schools", str(csv_file)])

    assert first.exit_code == 0, first.output
    assert "2 added, 0 updated, 0 unchanged, 0 rows with problems" in first.output
    assert second.exit_code == 0, second.output
    assert "0 added, 0 updated, 2 unchanged" in second.output
    school_list = page_text(client.get("/schools"))
    assert "Brookside Primary School" in school_list and "Valley High School" in school_list


def test_backup_then_restore_into_an_empty_database_brings_the_data_back(app, tmp_path) -> None:
    runner = app.test_cli_runner()
    archive = tmp_path / "backup.tar.gz"
    backed_up = runner.invoke(args=["backup", str(archive)])
    assert backed_up.exit_code == 0, backed_up.output
    count = int(re.search(r"Backed up (\d+) documents", backed_up.output).group(1))
    assert count > 0
    assert runner.invoke(args=["create-la-admin", "added.later@example.org"]).exit_code == 0

    fresh = create_app(
        TestConfig,
        {"DATA_DIR": tmp_path / "new-data", "CONTENT_ROOT": REPO_ROOT, "SITE_DIR": tmp_path / "no-site"},
    )
    restored = fresh.test_cli_runner().invoke(args=["restore", "--yes", str(archive)])

    assert restored.exit_code == 0, restored.output
    assert f"Restored {count} documents" in restored.output
    with fresh.app_context():
        assert accounts.find_user_by_email(get_store(), "added.later@example.org") is None
    # The person added after the backup is not there; everyone from before can still sign in.
    client, outbox = fresh.test_client(), Outbox(tmp_path / "new-data" / "outbox")
    ask_for_link(client, "added.later@example.org")
    assert "not registered" in outbox.last_to("added.later@example.org").get_content()
    assert sign_in_as(client, outbox, LA_ADMIN).headers["Location"] == "/la/"


def test_restore_refuses_a_database_that_already_has_data_and_changes_nothing(app, tmp_path) -> None:
    runner = app.test_cli_runner()
    archive = tmp_path / "backup.tar.gz"
    runner.invoke(args=["backup", str(archive)])
    assert runner.invoke(args=["create-la-admin", "added.later@example.org"]).exit_code == 0

    answered_no = runner.invoke(args=["restore", str(archive)], input="n\n")
    refused = runner.invoke(args=["restore", "--yes", str(archive)])

    assert answered_no.exit_code != 0
    assert "This fills the service's empty database from the backup" in answered_no.output
    assert refused.exit_code != 0
    assert "only restored into an empty database" in refused.output and "Nothing was changed" in refused.output
    with app.app_context():
        assert accounts.find_user_by_email(get_store(), "added.later@example.org") is not None


def test_seed_demo_on_a_store_with_people_adds_nothing(app) -> None:
    data_dir = Path(app.config["DATA_DIR"])
    before = stored_files(data_dir)

    result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code == 0
    assert "demo data not added" in result.output
    assert stored_files(data_dir) == before


# The site and the service on one origin ------------------------------------------------------------------


@pytest.fixture
def site_and_app(app: Flask, tmp_path: Path) -> Client:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Guidance home</h1>")
    (site / "a" / "index.html").write_text("<h1>Page A</h1>")
    (site / "404.html").write_text("<h1>This page is not here</h1>")
    (tmp_path / "secret.txt").write_text("outside the site")
    return Client(site_and_service(app, site))


def test_the_site_is_served_at_the_root(site_and_app) -> None:
    home = site_and_app.get("/")
    assert home.status_code == 200
    assert home.mimetype == "text/html"
    assert home.get_data(as_text=True) == "<h1>Guidance home</h1>"

    folder = site_and_app.get("/a")
    assert folder.status_code in (301, 308)
    assert folder.headers["Location"] == "/a/"
    assert site_and_app.get("/a/").get_data(as_text=True) == "<h1>Page A</h1>"


@pytest.mark.parametrize(
    "path",
    ["/missing/", "/missing.html", "/../secret.txt", "/a/../../secret.txt", "/%2e%2e/secret.txt", "/../etc/passwd"],
)
def test_missing_pages_and_escapes_from_the_site_folder_get_the_404_page(site_and_app, path) -> None:
    response = site_and_app.get(path)

    assert response.status_code == 404
    assert response.get_data(as_text=True) == "<h1>This page is not here</h1>"


def test_the_static_site_refuses_a_post(site_and_app) -> None:
    for path in ("/", "/a/", "/missing/"):
        response = site_and_app.post(path, data={"x": "y"})
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET, HEAD"


SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy")


def test_every_response_from_the_site_carries_the_services_security_headers(site_and_app) -> None:
    service_page = site_and_app.get("/app/sign-in")
    assert_security_headers(service_page)

    for response in (
        site_and_app.get("/"),
        site_and_app.get("/a"),
        site_and_app.get("/missing/"),
        site_and_app.post("/a/"),
    ):
        for name in SECURITY_HEADERS:
            assert response.headers.get(name) == service_page.headers[name], (response.request.path, name)
        assert "Strict-Transport-Security" not in response.headers  # `make run` is plain HTTP on loopback


def test_in_production_the_site_is_sent_hsts_as_the_service_is(production_app, tmp_path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>Guidance home</h1>")
    both = Client(site_and_service(production_app, site))

    service_page = both.get("/app/sign-in", **OVER_HTTPS)
    site_page = both.get("/", **OVER_HTTPS)

    assert site_page.status_code == 200
    for name in (*SECURITY_HEADERS, "Strict-Transport-Security"):
        assert site_page.headers.get(name) == service_page.headers[name], name


def test_the_service_is_reached_under_app(site_and_app) -> None:
    health = site_and_app.get("/app/healthz")
    assert health.status_code == 200
    assert health.json["status"] == "ok"

    sign_in_page = site_and_app.get("/app/sign-in")
    assert sign_in_page.status_code == 200
    assert 'action="/app/sign-in"' in sign_in_page.get_data(as_text=True)


def test_after_signing_in_people_land_on_the_page_they_asked_for(client, outbox) -> None:
    bounced = client.get(f"/school/{OAKFIELD}/team")
    assert bounced.status_code == 302
    sign_in_page = bounced.headers["Location"]
    assert client.get(sign_in_page).status_code == 200
    token = csrf_token(client)
    client.post("/sign-in", data={"email": SENCO, "csrf_token": token})
    signed_in = press_continue(client, token_in(outbox.link_to(SENCO)))
    assert signed_in.headers["Location"] == f"/school/{OAKFIELD}/team"


def test_under_app_people_land_on_the_service_page_they_asked_for_not_on_the_site(site_and_app, outbox) -> None:
    """Mounted at /app (as `make run` and production serve it), the page remembered before signing in is the
    service's page, not a page of the site at the same path (which does not exist)."""
    bounced = site_and_app.get(f"/app/school/{OAKFIELD}/team")
    assert bounced.status_code == 302
    token = csrf_token(site_and_app, bounced.headers["Location"])
    site_and_app.post("/app/sign-in", data={"email": SENCO, "csrf_token": token})
    link_token = token_in(outbox.link_to(SENCO))
    form_token = csrf_token(site_and_app, "/app/sign-in/continue?token=" + link_token)

    signed_in = site_and_app.post("/app/sign-in/continue", data={"token": link_token, "csrf_token": form_token})

    assert urlsplit(signed_in.headers["Location"]).path == f"/app/school/{OAKFIELD}/team"
    team = site_and_app.get(signed_in.headers["Location"])
    assert team.status_code == 200 and "<h1>Team</h1>" in page_text(team)


@pytest.mark.parametrize(
    ("wanted", "shown"),
    [
        (f"/app/school/{OAKFIELD}/export.csv", "text/csv"),
        (f"/app/school/{OAKFIELD}/team?from=email", "text/html"),
    ],
    ids=["csv-download", "page-with-query"],
)
def test_a_link_into_the_service_opened_signed_out_lands_there_after_sign_in(site_and_app, outbox, wanted, shown):
    """The site and the service mounted together, as `make run` serves them: the /app prefix is kept."""
    bounced = site_and_app.get(wanted, follow_redirects=True)
    assert bounced.request.path == "/app/sign-in"
    assert parse_qs(bounced.request.query_string.decode())["next"] == [wanted]

    form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text(bounced)).group(1)
    asked = site_and_app.post("/app/sign-in", data={"email": SENCO, "csrf_token": form_token})
    assert asked.status_code == 302
    link = urlsplit(outbox.link_to(SENCO))
    continue_page = site_and_app.get(f"{link.path}?{link.query}")
    form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text(continue_page)).group(1)
    landed = site_and_app.post(
        "/app/sign-in/continue",
        data={"token": token_in(link.geturl()), "csrf_token": form_token},
        follow_redirects=True,
    )

    assert landed.status_code == 200, page_text(landed)
    assert address_of(landed) == wanted
    assert landed.mimetype == shown
    assert "This page is not here" not in page_text(landed)


def test_a_next_address_outside_the_service_is_not_followed_after_sign_in(site_and_app, outbox) -> None:
    """Only a page of the service: a `next` naming a site page (or nothing under /app/) lands on the home page."""
    for target in ("/a/", "/application/", "/app"):
        page = site_and_app.get("/app/sign-in", query_string={"next": target})
        assert page.status_code == 200
    form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text(page)).group(1)
    site_and_app.post("/app/sign-in", data={"email": SENCO, "csrf_token": form_token})
    link = urlsplit(outbox.link_to(SENCO))
    continue_page = site_and_app.get(f"{link.path}?{link.query}")
    form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text(continue_page)).group(1)

    signed_in = site_and_app.post(
        "/app/sign-in/continue", data={"token": token_in(link.geturl()), "csrf_token": form_token}
    )

    assert signed_in.headers["Location"] == "/app/school/"


def test_removing_an_account_ends_its_sessions_and_frees_the_address(app, client, outbox) -> None:
    governor = "governor@oakfield-primary.example.org"
    token = csrf_token(client)
    client.post("/sign-in", data={"email": governor, "csrf_token": token})
    press_continue(client, token_in(outbox.link_to(governor)))
    assert client.get(f"/school/{OAKFIELD}/").status_code == 200
    from form_service import accounts
    from form_service.store import get_store

    with app.app_context():
        governor_id = accounts.find_user_by_email(get_store(), governor).id

    result = app.test_cli_runner().invoke(args=["remove-account", governor])
    assert result.exit_code == 0, result.output
    assert "sessions have ended" in result.output

    assert client.get(f"/school/{OAKFIELD}/").status_code == 302  # signed out at the next request
    with app.app_context():
        assert accounts.find_user_by_email(get_store(), governor) is None
        assert accounts.school_role(get_store(), OAKFIELD, governor_id) is None
    missing = app.test_cli_runner().invoke(args=["remove-account", "nobody@example.org"])
    assert missing.exit_code != 0 and "There is no account for nobody@example.org." in missing.output


def test_the_last_school_lead_s_account_cannot_be_removed(app) -> None:
    result = app.test_cli_runner().invoke(args=["remove-account", SENCO])
    assert result.exit_code != 0
    assert "A school must always have a school lead (admin)" in result.output
