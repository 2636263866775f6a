"""The outbox: an email is a row queued in the transaction of the change that causes it, sent afterwards.

`queue` adds the row through the store's transaction (so a change and the emails it causes commit together, or
neither does). A sender (`send_due`: the `send-outbox` command, a background thread in each worker process, or,
under test, straight after the commit) claims due rows, sends each through the configured mailer and records the
outcome. A failure is tried again later, waiting twice as long after each one (`OUTBOX_RETRY_SECONDS`, then
double, up to `OUTBOX_RETRY_MAX_SECONDS`); after `OUTBOX_MAX_ATTEMPTS` tries the message is given up (logged,
said by `send-outbox`, and listed on the LA's Reminders page).

Claiming: in one short write transaction a sender picks due rows (`SELECT ... FOR UPDATE SKIP LOCKED` on
PostgreSQL, so senders on other hosts skip them rather than wait; on SQLite the transaction holds the database's
write lock), counts the attempt and moves `next_attempt_at` a lease ahead, so no other sender takes them while
this one sends. Sending happens outside any transaction; then the row is marked sent (or its failure recorded).

Delivery is at least once: if the sender dies after the mail server accepted a message and before it is marked
sent, the claim runs out after `OUTBOX_LEASE_SECONDS` and the message is sent again. A sent message is kept for
30 days, then `flask --app form_service purge` deletes it (`purge_sent`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, render_template
from sqlalchemy.engine import Connection, Engine

from .. import db
from ..store import EXTENSION as STORE
from ..store import SQLStore, get_store, outbox
from . import clock
from .mail import EXTENSION as MAILER
from .mail import Email, Mailer

_log = logging.getLogger(__name__)

_BATCH = 20  # rows claimed at a time
_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Policy:
    """How often and how long to keep trying, and how long a claim lasts."""

    max_attempts: int = 8
    retry_seconds: float = 60.0
    retry_max_seconds: float = 6 * 3600.0
    lease_seconds: float = 600.0

    def wait_after(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th failed try: retry_seconds, then double each time."""
        return timedelta(seconds=min(self.retry_max_seconds, self.retry_seconds * 2 ** min(max(0, attempts - 1), 40)))


def policy_from_config(config: Any) -> Policy:
    return Policy(
        max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", Policy.max_attempts)),
        retry_seconds=float(config.get("OUTBOX_RETRY_SECONDS", Policy.retry_seconds)),
        retry_max_seconds=float(config.get("OUTBOX_RETRY_MAX_SECONDS", Policy.retry_max_seconds)),
        lease_seconds=float(config.get("OUTBOX_LEASE_SECONDS", Policy.lease_seconds)),
    )


@dataclass
class Report:
    """What one run of the sender did."""

    sent: list[Email] = field(default_factory=list)
    failed: list[tuple[Email, str]] = field(default_factory=list)  # tried again later
    given_up: list[tuple[Email, str]] = field(default_factory=list)


# --- queueing ---------------------------------------------------------------------------------------------------


def queue(store: SQLStore, email: Email) -> int:
    """Add `email` to the outbox in the thread's store transaction (or a transaction of its own); its id."""
    row = {
        "recipient": email.to,
        "subject": email.subject,
        "text_body": email.text,
        "html_body": email.html,
        "written_at": _utc(email.written_at),
        "attempts": 0,
        "next_attempt_at": _utc(email.written_at),
    }
    return int(store.run(lambda connection: connection.execute(outbox.insert().values(row)).inserted_primary_key[0]))


# --- sending ------------------------------------------------------------------------------------------------------


def send_email(to: str, subject: str, template: str, **context: object) -> None:
    """Render templates/email/<template>.txt and queue it in the outbox, in the store's transaction if one is
    open (so it is sent only if the change causing it commits); a sender delivers it afterwards.
    """
    text = render_template(f"email/{template}.txt", **context)
    queue(get_store(), Email(to=to, subject=subject, text=text, written_at=clock.now()))
    deliver_after_commit()


def send_due(engine: Engine, mailer: Mailer, now: Callable[[], datetime], policy: Policy) -> Report:
    """Send every message due at `now()`, claiming a batch at a time, until none is left that this sender can
    take; record each outcome. Safe to run in any number of threads, processes and hosts at once."""
    report = Report()
    while True:
        claimed = _claim(engine, now(), policy)
        if not claimed:
            return report
        for row in claimed:
            _send_one(engine, mailer, row, now, policy, report)


def _claim(engine: Engine, moment: datetime, policy: Policy) -> list[Any]:
    due = (
        sa.select(outbox)
        .where(outbox.c.sent_at.is_(None), outbox.c.next_attempt_at <= _utc(moment))
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(_BATCH)
        .with_for_update(skip_locked=True)
    )
    with _writing(engine) as connection:
        rows = connection.execute(due).all()
        if rows:
            connection.execute(
                outbox.update()
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(
                    attempts=outbox.c.attempts + 1,
                    next_attempt_at=_utc(moment + timedelta(seconds=policy.lease_seconds)),
                )
            )
    return rows


def _send_one(
    engine: Engine, mailer: Mailer, row: Any, now: Callable[[], datetime], policy: Policy, report: Report
) -> None:
    email = Email(
        to=row.recipient,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
        written_at=_aware(row.written_at),
    )
    attempts = row.attempts + 1  # counted by the claim
    try:
        mailer.send(email)
    except Exception as error:  # any failure is recorded and tried again; none may stop the other messages
        reason = (str(error) or type(error).__name__)[:_ERROR_LENGTH]
        moment = now()
        give_up = attempts >= policy.max_attempts
        with _writing(engine) as connection:
            connection.execute(
                outbox.update()
                .where(outbox.c.id == row.id)
                .values(
                    last_error=reason,
                    next_attempt_at=None if give_up else _utc(moment + policy.wait_after(attempts)),
                )
            )
        if give_up:
            _log.error(
                "gave up on the email to %s (%r) after %d attempts; the last error was: %s",
                email.to,
                email.subject,
                attempts,
                reason,
            )
            report.given_up.append((email, reason))
        else:
            _log.warning(
                "the email to %s (%r) could not be sent (attempt %d): %s", email.to, email.subject, attempts, reason
            )
            report.failed.append((email, reason))
        return
    with _writing(engine) as connection:
        connection.execute(outbox.update().where(outbox.c.id == row.id).values(sent_at=_utc(now()), last_error=None))
    report.sent.append(email)


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction (BEGIN IMMEDIATE on SQLite: it holds the write lock from its first statement)."""
    with engine.connect().execution_options(**{db.WRITE: True}) as connection, connection.begin():
        yield connection


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite gives back the UTC time without its zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Undelivered:
    """A message the sender gave up on, as the LA sees it."""

    to: str
    subject: str
    written_at: datetime
    attempts: int
    last_error: str


def undelivered(engine: Engine, limit: int = 50) -> tuple[list[Undelivered], int]:
    """The newest messages given up on (at most `limit`), and how many others are waiting to be tried again."""
    given_up = (
        sa.select(outbox)
        .where(outbox.c.sent_at.is_(None), outbox.c.next_attempt_at.is_(None))
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    retrying = (
        sa.select(sa.func.count())
        .select_from(outbox)
        .where(outbox.c.sent_at.is_(None), outbox.c.next_attempt_at.is_not(None), outbox.c.last_error.is_not(None))
    )
    with engine.connect() as connection:
        rows = connection.execute(given_up).all()
        waiting = int(connection.execute(retrying).scalar_one())
    found = [
        Undelivered(row.recipient, row.subject, _aware(row.written_at), row.attempts, row.last_error or "")
        for row in rows
    ]
    return found, waiting


# --- housekeeping ---------------------------------------------------------------------------------------------

SENT_KEPT = timedelta(days=30)  # how long a sent message is kept (for "did it go?") before housekeeping deletes it


def purge_sent(store: SQLStore, now: datetime) -> int:
    """Delete the messages sent more than `SENT_KEPT` before `now` (they hold people's names and addresses, and
    sign-in links); returns how many. Messages not yet sent, or given up on, stay."""
    old = outbox.delete().where(outbox.c.sent_at.is_not(None), outbox.c.sent_at < _utc(now - SENT_KEPT))
    return int(store.run(lambda connection: connection.execute(old).rowcount))


# --- in the app -------------------------------------------------------------------------------------------------

SENDER = "quality_mark.outbox_sender"


def send_due_now(app: Flask) -> Report:
    """Send what is due, with the app's store, mailer, clock and policy (needs the app's context)."""
    store: SQLStore = app.extensions[STORE]
    store.upgrade()
    return send_due(store.engine, app.extensions[MAILER], clock.now, policy_from_config(app.config))


class BackgroundSender:
    """One daemon thread per worker process that sends due messages every second, and at once when woken
    (after a commit that queued one). Started lazily by the first request, so it runs in each forked worker."""

    def __init__(self, app: Flask, interval: float = 1.0) -> None:
        self.app = app
        self.interval = interval
        self.wake = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def ensure_running(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            threading.Thread(target=self._run, name="outbox-sender", daemon=True).start()
            self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            self.wake.wait(self.interval)
            self.wake.clear()
            try:
                with self.app.app_context():
                    send_due_now(self.app)
            except Exception:
                _log.exception("the outbox sender failed; it tries again in %s seconds", self.interval)


def deliver_after_commit() -> None:
    """Ask for the messages just queued to be sent once the transaction commits: straight away in this thread
    when OUTBOX_DELIVERY is "at-once" (tests), else by waking this process's background sender."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = get_store()
    if app.config.get("OUTBOX_DELIVERY") == "at-once":
        store.after_commit(lambda: _deliver_at_once(app))
    elif SENDER in app.extensions:
        sender: BackgroundSender = app.extensions[SENDER]
        store.after_commit(sender.wake.set)


def _deliver_at_once(app: Flask) -> None:
    try:
        send_due_now(app)
    except Exception:  # the change is saved: a failure to send must never change the response
        _log.exception("sending queued email after a commit failed; it stays in the outbox")


def init_app(app: Flask) -> None:
    if app.config.get("OUTBOX_DELIVERY") != "background":
        return
    sender = BackgroundSender(app)
    app.extensions[SENDER] = sender
    app.before_request(sender.ensure_running)
