"""Sending email: one interface, an outbox folder by default and SMTP when configured.

`outbox.send_email` only queues a message in the outbox table; the mailer here delivers it later.

Outbox: one `.eml` file per message under `$DATA_DIR/outbox/` (and printed in development), so a person
running `make run` can open the sign-in link. SMTP: host, port, STARTTLS and credentials from the
environment. Messages are plain English with a text part; templates live in templates/email/.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from flask import Flask

EXTENSION = "quality_mark.mail"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    written_at: datetime  # by the app's clock: the message's Date
    html: str | None = None  # an HTML alternative to the text, if any


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


def build_message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.written_at)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    return message


class OutboxMailer:
    """Writes each message as an .eml file (atomically, so a reader never sees half a message)."""

    def __init__(self, folder: Path, sender: str, echo: bool = False) -> None:
        self.folder = folder
        self.sender = sender
        self.echo = echo

    def send(self, email: Email) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        message = build_message(email, self.sender)
        stamp = email.written_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(bytes(message))
            handle.flush()
            os.fsync(handle.fileno())
        final = self.folder / f"{stamp}-{os.getpid()}-{make_msgid().strip('<>').split('@')[0]}.eml"
        os.replace(temporary, final)
        if self.echo:
            print(f"\n--- Email to {email.to}: {email.subject} ---\n{email.text}\n--- ({final}) ---\n", flush=True)


class SMTPMailer:
    """Sends through an SMTP server; STARTTLS and login when configured."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 15.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def send(self, email: Email) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(build_message(email, self.sender))


def mailer_from_config(app: Flask) -> Mailer:
    config = app.config
    sender = config["MAIL_FROM"]
    if config.get("SMTP_HOST"):
        return SMTPMailer(
            host=config["SMTP_HOST"],
            port=int(config.get("SMTP_PORT", 587)),
            sender=sender,
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_STARTTLS", True)),
        )
    return OutboxMailer(Path(config["DATA_DIR"]) / "outbox", sender, echo=config["ENV_NAME"] == "development")


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = mailer_from_config(app)
