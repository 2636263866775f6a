"""Configuration per environment. Secrets and settings come from environment variables, never the repo."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Config:
    """Settings shared by every environment; subclasses change what differs."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    DATA_DIR = Path(os.environ.get("DATA_DIR", ROOT / "data"))
    # A PostgreSQL database (postgresql://user:password@host/name); without one, SQLite in DATA_DIR.
    DATABASE_URL: str | None = os.environ.get("DATABASE_URL")
    CONTENT_ROOT = Path(os.environ.get("CONTENT_ROOT", ROOT))
    SITE_DIR = Path(os.environ.get("SITE_DIR", ROOT / "build" / "site"))
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # uploads are capped separately; this bounds any request
    # Evidence files: each at most UPLOAD_MAX_BYTES; all of a school's files together at most UPLOAD_SCHOOL_MAX_BYTES.
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    UPLOAD_SCHOOL_MAX_BYTES = int(os.environ.get("UPLOAD_SCHOOL_MAX_BYTES", 200 * 1024 * 1024))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_PATH = "/"
    # CSRF tokens last as long as the session: a one-hour limit fails long autosaved sessions.
    WTF_CSRF_TIME_LIMIT = None
    MAIL_FROM = os.environ.get("MAIL_FROM", "Quality Mark <quality.mark@example.org>")
    SMTP_HOST = os.environ.get("SMTP_HOST")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "true").lower() not in ("0", "false", "no")
    # The outbox (core/outbox.py): "background" sends from a thread in each worker process, every second and straight
    # after a commit that queued email; "at-once" sends in the request's own thread just after the commit (tests);
    # "command" leaves sending to `flask --app form_service send-outbox` alone.
    OUTBOX_DELIVERY = os.environ.get("OUTBOX_DELIVERY", "background")
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
    OUTBOX_RETRY_SECONDS = float(os.environ.get("OUTBOX_RETRY_SECONDS", "60"))  # then doubled after each failure
    OUTBOX_RETRY_MAX_SECONDS = float(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", str(6 * 3600)))
    # How long a sender's claim on a message lasts: if it dies while sending, the message is sent again after this.
    OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "600"))
    # The address people use to reach the service, for links in emails (never taken from the request's Host).
    SERVICE_URL = os.environ.get("SERVICE_URL", "http://127.0.0.1:8000/app")
    SIGN_IN_LINK_MINUTES = 15
    # How many proxies (web server, CDN) stand in front of the service and add X-Forwarded-For.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    TRUSTED_HOSTS = [host.strip() for host in os.environ.get("TRUSTED_HOSTS", "").split(",") if host.strip()] or None


class DevelopmentConfig(Config):
    """`make run` on 127.0.0.1 over plain HTTP: cookies cannot be Secure or __Host- prefixed there."""

    ENV_NAME = "development"
    # No SECRET_KEY here: without one in the environment, create_app keeps one in the data folder, so a
    # restart (or another worker on the same folder) keeps everyone signed in.
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "qm_session"
    TRUSTED_HOSTS = Config.TRUSTED_HOSTS or ["127.0.0.1", "localhost"]


class TestConfig(DevelopmentConfig):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    OUTBOX_DELIVERY = "at-once"


class ProductionConfig(Config):
    ENV_NAME = "production"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by QM_ENV (development by default)."""
    name = os.environ.get("QM_ENV", "development")
    if name not in CONFIGS:
        raise SystemExit(f"QM_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.")
    return CONFIGS[name]
