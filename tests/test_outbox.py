"""Email leaves through the outbox table: queued in the change's transaction, sent after the commit by a sender
that tries again with backoff, gives up after a number of attempts, and never sends one message twice at once.

Mail servers here are real: aiosmtpd on loopback, or a loopback port with nothing listening (refused).
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from form_service import create_app
from form_service.commands import seed_demo
from form_service.config import TestConfig
from form_service.core import mail
from form_service.core.mail import Email, SMTPMailer
from form_service.core.outbox import send_email
from form_service.store import get_store
from tests.browser import free_port
from tests.conftest import REPO_ROOT
from tests.test_self_evaluation_form import BASE, SENCO, complete_every_required_criterion, start, token_on
from tests.test_service_sign_in import CollectingHandler, another_app

ENGINES = ["sqlite", "postgresql"]
SENDER = "Quality Mark <quality.mark@example.org>"


def queued(app: Any) -> list[dict[str, Any]]:
    """Every row of the outbox table, oldest first."""
    from form_service.core.outbox import outbox

    with app.app_context(), get_store().engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.select(outbox).order_by(outbox.c.id))]


def utc(moment: datetime) -> datetime:
    """A time read from the outbox table, in UTC (SQLite gives it back without its zone)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def refusing_port() -> int:
    """A loopback port with no server on it: connections to it are refused."""
    return free_port()


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


@pytest.fixture(params=ENGINES)
def engine_app(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A fresh service with the demo data on SQLite, then on PostgreSQL."""
    settings: dict[str, Any] = {
        "DATA_DIR": tmp_path / "data",
        "CONTENT_ROOT": REPO_ROOT,
        "SITE_DIR": tmp_path / "no-site",
        "SERVICE_URL": "http://service.test/app",
        "TODAY": "2026-11-23",
    }
    if request.param == "postgresql":
        settings["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    application = create_app(TestConfig, settings)
    with application.app_context():
        seed_demo(application)
    yield application
    with application.app_context():
        get_store().engine.dispose()


def eml_files(app: Any) -> list[Path]:
    folder = Path(app.config["DATA_DIR"]) / "outbox"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


# --- a mail outage during a submission ----------------------------------------------------------------------


def test_a_submission_during_a_mail_outage_is_saved_and_its_email_goes_out_once_smtp_is_back(
    app: Any, client: Any, sign_in: Any
) -> None:
    sign_in(SENCO)
    start(client)
    complete_every_required_criterion(client)
    # The same deployment, now sending through SMTP, while the mail server refuses connections.
    port = refusing_port()
    smtp_app = another_app(app, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    smtp_client = smtp_app.test_client()
    cookie = app.config["SESSION_COOKIE_NAME"]
    smtp_client.set_cookie(cookie, client.get_cookie(cookie).value)

    done = smtp_client.post(BASE + "/submit", data={"csrf_token": token_on(smtp_client, BASE + "/check")})

    assert done.status_code == 302
    assert done.headers["Location"].endswith(BASE + "/submitted")
    page = smtp_client.get(BASE + "/submitted").get_data(as_text=True)
    assert "Self-evaluation submitted" in page
    assert "An email confirming this is on its way to the school's leads." in html.unescape(page)
    reference = re.search(r"QM-900001-202627-[A-Z0-9]{6}", page).group(0)
    with smtp_app.app_context():
        assert get_store().read("submissions", reference.lower()) is not None
    [row] = [row for row in queued(smtp_app) if row["sent_at"] is None]  # the sign-in link went out earlier
    assert row["recipient"] == SENCO and reference in row["subject"]
    assert row["sent_at"] is None and row["attempts"] == 1
    assert "refused" in row["last_error"].lower()

    # The mail server comes back on that port; once the retry is due, the sender delivers it, once.
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        runner = smtp_app.test_cli_runner()
        early = runner.invoke(args=["send-outbox"])
        assert early.exit_code == 0, early.output
        assert "Sent 0 emails." in early.output and handler.envelopes == []

        smtp_app.extensions["clock"].advance(timedelta(minutes=2))
        sent = runner.invoke(args=["send-outbox"])
        again = runner.invoke(args=["send-outbox"])
    finally:
        controller.stop()

    assert sent.exit_code == 0, sent.output
    assert "Sent 1 email." in sent.output
    assert "Sent 0 emails." in again.output
    assert [envelope.rcpt_tos for envelope in handler.envelopes] == [[SENCO]]
    (message,) = handler.messages()
    assert reference in message["Subject"]
    assert "self-evaluation" in message.get_content().lower()
    [row] = [row for row in queued(smtp_app) if reference in row["subject"]]
    assert row["sent_at"] is not None and row["attempts"] == 2 and row["last_error"] is None
    assert not [path for path in eml_files(app) if reference in path.read_text()]  # SMTP only: no .eml of it


# --- the transaction -----------------------------------------------------------------------------------------


def test_an_email_is_queued_in_the_changes_transaction_and_sent_only_after_it_commits(engine_app: Any) -> None:
    with engine_app.app_context():
        store = get_store()
        with store.transaction():
            store.write("notes", "1", {"text": "saved"})
            send_email("someone@school.example.org", "Saved", "sign_in_unknown", register_link="http://service.test/r")
            assert eml_files(engine_app) == []  # not before the commit
            assert queued(engine_app) == []  # nor visible to anyone else yet
        [file] = eml_files(engine_app)
    assert "Subject: Saved" in file.read_text()
    [row] = queued(engine_app)
    assert row["sent_at"] is not None and row["attempts"] == 1


def test_a_change_whose_transaction_fails_queues_no_email(engine_app: Any) -> None:
    with engine_app.app_context():
        store = get_store()
        with pytest.raises(RuntimeError), store.transaction():
            store.write("notes", "1", {"text": "never saved"})
            send_email("someone@school.example.org", "Saved", "sign_in_unknown", register_link="http://service.test/r")
            raise RuntimeError("the change fails after its email was asked for")
        with store.transaction():
            store.write("notes", "2", {"text": "saved"})
            with pytest.raises(RuntimeError), store.transaction():  # an inner block undone on its own
                send_email(
                    "other@school.example.org", "Undone", "sign_in_unknown", register_link="http://service.test/r"
                )
                raise RuntimeError("undone")
        assert store.read("notes", "1") is None and store.read("notes", "2") == {"text": "saved"}
    assert eml_files(engine_app) == []
    assert queued(engine_app) == []


# --- retries, backoff and giving up ---------------------------------------------------------------------------


def test_a_failing_message_is_tried_again_with_backoff_then_given_up(
    engine_app: Any, smtp_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from form_service.core import outbox

    controller, handler = smtp_server
    with engine_app.app_context():
        store, start_at = get_store(), datetime(2026, 11, 23, 12, tzinfo=UTC)
        outbox.queue(store, Email("someone@school.example.org", "Hello", "Text.\n", written_at=start_at))
    policy = outbox.Policy(max_attempts=3, retry_seconds=60, retry_max_seconds=3600, lease_seconds=600)
    down = SMTPMailer("127.0.0.1", refusing_port(), SENDER, starttls=False, timeout=5)

    def run(mailer: Any, seconds_later: float) -> outbox.Report:
        moment = start_at + timedelta(seconds=seconds_later)
        return outbox.send_due(store.engine, mailer, lambda: moment, policy)

    def row() -> dict[str, Any]:
        [only] = queued(engine_app)
        return only

    first = run(down, 0)
    assert (len(first.sent), len(first.failed), len(first.given_up)) == (0, 1, 0)
    assert row()["attempts"] == 1 and "refused" in row()["last_error"].lower()
    assert utc(row()["next_attempt_at"]) == start_at + timedelta(seconds=60)
    assert run(down, 59) == outbox.Report()  # not due yet: nothing tried
    second = run(down, 61)
    assert len(second.failed) == 1 and row()["attempts"] == 2
    assert utc(row()["next_attempt_at"]) == start_at + timedelta(seconds=61 + 120)  # doubled
    assert run(down, 61 + 119) == outbox.Report()
    with caplog.at_level(logging.ERROR, logger="form_service.core.outbox"):
        third = run(down, 61 + 121)
    assert len(third.given_up) == 1 and third.failed == []
    assert row()["attempts"] == 3 and row()["next_attempt_at"] is None and row()["sent_at"] is None
    assert "gave up on the email to someone@school.example.org ('Hello') after 3 attempts" in caplog.text
    up = SMTPMailer("127.0.0.1", controller.port, SENDER, starttls=False)
    assert run(up, 86400) == outbox.Report()  # given up: never tried again
    assert handler.envelopes == []


def test_send_outbox_says_which_messages_were_given_up(app: Any) -> None:
    port = refusing_port()
    smtp_app = another_app(app, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, OUTBOX_MAX_ATTEMPTS=2)
    with smtp_app.app_context():
        send_email(SENCO, "Your sign-in link", "sign_in_unknown", register_link="http://service.test/app/register")
    assert queued(smtp_app)[0]["attempts"] == 1  # tried straight after the commit, and refused
    smtp_app.extensions["clock"].advance(timedelta(minutes=5))

    result = smtp_app.test_cli_runner().invoke(args=["send-outbox"])

    assert result.exit_code == 1
    assert "Sent 0 emails." in result.output
    assert f"Given up on the email to {SENCO} (Your sign-in link) after 2 attempts:" in result.output
    assert "refused" in result.output.lower()


# --- two senders at once ----------------------------------------------------------------------------------------


def test_two_senders_at_once_send_each_message_once(engine_app: Any, smtp_server: Any) -> None:
    from form_service.core import outbox

    controller, handler = smtp_server
    moment = datetime(2026, 11, 23, 12, tzinfo=UTC)
    with engine_app.app_context():
        store = get_store()
        for number in range(40):
            outbox.queue(store, Email(f"person{number}@school.example.org", f"Message {number}", "Text.\n", moment))
    mailer = SMTPMailer("127.0.0.1", controller.port, SENDER, starttls=False)
    barrier = threading.Barrier(4)
    reports: list[outbox.Report] = []

    def sender() -> None:
        barrier.wait()
        reports.append(outbox.send_due(store.engine, mailer, lambda: moment, outbox.Policy()))

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    recipients = sorted(address for envelope in handler.envelopes for address in envelope.rcpt_tos)
    assert recipients == sorted(f"person{number}@school.example.org" for number in range(40))
    assert sum(len(report.sent) for report in reports) == 40
    assert all(row["sent_at"] is not None and row["attempts"] == 1 for row in queued(engine_app))


# --- the background sender in the running service ---------------------------------------------------------------


def test_the_background_sender_delivers_a_sign_in_link_promptly(app: Any) -> None:
    served = another_app(app, OUTBOX_DELIVERY="background")
    client = served.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    response = client.post("/sign-in", data={"email": SENCO, "csrf_token": token})

    assert response.status_code == 302
    deadline = time.monotonic() + 10
    while not eml_files(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    [file] = eml_files(app)
    assert "Your sign-in link" in file.read_text()
    assert [row["sent_at"] is not None for row in queued(served)] == [True]
    assert isinstance(served.extensions[mail.EXTENSION], mail.OutboxMailer)


# --- backups --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_backup_holds_the_outbox_and_restores_it_into_the_other_engine(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from form_service.core import outbox
    from form_service.store import SQLStore
    from tests.test_store import new_store, other_engine

    def rows(store: SQLStore) -> list[dict[str, Any]]:
        with store.engine.connect() as connection:
            found = [dict(row._mapping) for row in connection.execute(sa.select(outbox.outbox).order_by("id"))]
        return [{name: utc(v) if isinstance(v, datetime) else v for name, v in row.items()} for row in found]

    source = new_store(engine, tmp_path, request, "source")
    moment = datetime(2026, 11, 23, 12, tzinfo=UTC)
    source.write("schools", "900001", {"name": "Oakfield"})
    for number in range(3):
        outbox.queue(
            source, Email(f"p{number}@school.example.org", f"Message {number}", "Text.\n", moment, "<p>Hi</p>")
        )
    down = SMTPMailer("127.0.0.1", refusing_port(), SENDER, starttls=False)
    outbox.send_due(source.engine, down, lambda: moment, outbox.Policy(max_attempts=2))  # one failed attempt each
    before = rows(source)
    assert [row["attempts"] for row in before] == [1, 1, 1] and before[0]["html_body"] == "<p>Hi</p>"

    source.backup(tmp_path / "backup.tar.gz")
    target = new_store(other_engine(source), tmp_path, request, "target")
    target.restore(tmp_path / "backup.tar.gz")

    assert rows(target) == before
    new_id = outbox.queue(target, Email("later@school.example.org", "Later", "Text.\n", moment))
    assert new_id > max(row["id"] for row in before)  # numbering carries on after the restored rows


# --- what the LA sees ---------------------------------------------------------------------------------------------


def test_the_la_sees_the_emails_the_service_gave_up_on(app: Any, client: Any, sign_in: Any) -> None:
    smtp_app = another_app(
        app, SMTP_HOST="127.0.0.1", SMTP_PORT=refusing_port(), SMTP_STARTTLS=False, OUTBOX_MAX_ATTEMPTS=2
    )
    with smtp_app.app_context():
        send_email("head@school.example.org", "Your school is registered", "sign_in_unknown", register_link="x")
        send_email("bursar@school.example.org", "Signing in", "sign_in_unknown", register_link="x")
    smtp_app.extensions["clock"].advance(timedelta(minutes=5))
    with smtp_app.app_context():  # after its commit, the due ones are tried again: the first two are given up
        send_email("later@school.example.org", "Not yet", "sign_in_unknown", register_link="x")
    sign_in("la.admin@example.org")

    page = html.unescape(client.get("/la/reminders/").get_data(as_text=True))

    section = page[page.index("<h2>Emails not delivered</h2>") :]
    assert "has stopped trying" in section
    cells = "".join([r"<td>([^<]+)</td>"] * 5)
    rows = re.findall(f"<tr>{cells}</tr>", section)
    assert [(to, subject, written, tries) for to, subject, written, tries, _ in rows] == [
        ("bursar@school.example.org", "Signing in", "23 November 2026 at 12pm", "2"),
        ("head@school.example.org", "Your school is registered", "23 November 2026 at 12pm", "2"),
    ]
    assert all("refused" in error.lower() for *_, error in rows)
    assert "1 email could not be sent yet and is being tried again." in section


# --- the migration --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_at_the_first_schema_gains_the_outbox_and_keeps_its_documents(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from form_service import db
    from form_service.store import SQLStore
    from tests.test_store import url_of

    database = db.create(url_of(engine, tmp_path, request))
    request.addfinalizer(database.dispose)
    db.upgrade(database, "0001")
    with database.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO documents (collection, key, body, changed_seq) VALUES ('schools', '900001', "
            """'{"name": "Oakfield"}', 1)"""
        )
        connection.exec_driver_sql("UPDATE store_state SET seq = 1")
    assert "outbox" not in sa.inspect(database).get_table_names()

    db.upgrade(database)

    assert db.current_revision(database) == db.head_revision()
    store = SQLStore(database)
    assert store.read("schools", "900001") == {"name": "Oakfield"}
    assert "outbox_due" in {index["name"] for index in sa.inspect(database).get_indexes("outbox")}
