"""The service's database: SQLite in DATA_DIR by default, PostgreSQL when DATABASE_URL says so.

One code path (SQLAlchemy Core) serves both engines. On SQLite every connection is set up for a service that
several worker processes share: write-ahead logging (readers never wait for a writer), `synchronous=FULL` (a
commit is on disk when it returns, power cut included), foreign keys enforced and a busy timeout. SQLite's own
transaction handling in Python's sqlite3 is switched off and SQLAlchemy emits BEGIN itself, as the SQLAlchemy
SQLite documentation recommends ("Transactions with SQLite and the sqlite3 driver"); a connection marked with
the `WRITE` execution option begins with BEGIN IMMEDIATE, so a read-modify-write takes the write lock before it
reads and can never fail to upgrade a read lock half-way.

Schema changes are Alembic migrations in `form_service/migrations`; `upgrade(engine)` brings a database to the
newest one (the app does so when it starts; `flask --app form_service db upgrade` does it by hand).
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_FILE = "quality-mark.sqlite3"
BUSY_TIMEOUT_SECONDS = 5
WRITE = "quality_mark_write"  # execution option: this connection's transactions write (BEGIN IMMEDIATE on SQLite)
READ = "quality_mark_read"  # execution option: each statement stands alone (no BEGIN; see `read_options`)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_log = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """A PostgreSQL address for the psycopg 3 driver (postgres:// and postgresql:// are accepted as they are
    usually written); any other address unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(config: Mapping[str, Any]) -> str:
    """The database the app uses: DATABASE_URL (app setting, else environment) or the SQLite file in DATA_DIR."""
    url = config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(str(url))
    return sqlite_url(Path(config["DATA_DIR"]))


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir).absolute() / SQLITE_FILE}"


def create(url: str) -> Engine:
    """An engine for `url`, set up as described above. Nothing is connected yet."""
    url = normalise_url(url)
    # No pre-ping (a round trip before every use of a pooled connection, a third of a short read's time): the
    # store tries a read, or a transaction's first statement, once more on a fresh connection instead when the
    # database dropped the pooled one (after a restart or a fail-over): see `SQLStore`.
    engine = _sqlite_engine(url) if url.startswith("sqlite") else sa.create_engine(url)
    _dispose_after_fork(engine)
    return engine


def _sqlite_engine(url: str) -> Engine:
    path = sa.make_url(url).database
    if path and path != ":memory:":
        _create_private_file(Path(path))
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def set_up(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # sqlite3 emits no BEGIN of its own: do_begin below does
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def do_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get(READ, False):
            return  # sqlite3 runs each statement in a transaction of its own
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE, False) else "BEGIN")

    return engine


def _create_private_file(path: Path) -> None:
    """Create the database file readable by the service's user only (SQLite gives its -wal and -shm files the
    same mode): it describes children with special educational needs. A folder that cannot be made is left
    for the first connection to report."""
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))
    except OSError as error:
        _log.warning("cannot create the database file %s: %s", path, error)


def _dispose_after_fork(engine: Engine) -> None:
    """A child process (gunicorn's workers, forked after --preload) must not share its parent's connections:
    it drops them from its pool without closing them, so the parent's stay usable, and opens its own."""
    reference = weakref.ref(engine)

    def in_child() -> None:
        forked = reference()
        if forked is not None:
            forked.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def read_options(engine: Engine) -> dict[str, Any]:
    """Execution options for a connection that reads with single statements, each consistent on its own: no
    BEGIN and no ROLLBACK around them (on PostgreSQL two round trips of a read's three). SQLite takes our own
    option, as its dialect's AUTOCOMMIT setting would hand transactions back to sqlite3 when the connection
    returns to the pool."""
    return {READ: True} if is_sqlite(engine) else {"isolation_level": "AUTOCOMMIT"}


# --- migrations ------------------------------------------------------------------------------------------------


@cache
def head_revision() -> str:
    """The newest migration's revision."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's migration revision, or None if it has none yet."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (the newest by default). Safe to run from several processes at once:
    the migration runs in one transaction that holds the database's write lock (SQLite) or an advisory lock
    (PostgreSQL), and a database already at the newest revision is left alone."""
    if revision == "head":
        try:
            if current_revision(engine) == head_revision():
                return
        except sa.exc.DBAPIError:
            pass  # the migration below reports what is wrong
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect().execution_options(**{WRITE: True}) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` ("base" for none): for testing migrations."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect().execution_options(**{WRITE: True}) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
