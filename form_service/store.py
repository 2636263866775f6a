"""The document store behind the form service: a small interface, and its implementation on SQL.

Everything the service keeps (registrations, self-evaluations, submissions, reviews) is a plain JSON
document addressed by (collection, key). `Store` is the interface the rest of the service uses; `SQLStore`
keeps the documents in a database through SQLAlchemy Core, with one code path for SQLite (the default, a file
in DATA_DIR) and PostgreSQL (when DATABASE_URL is set): see `form_service.db`.

Tables (migrations in `form_service/migrations`)::

    documents          (collection, key) -> body (the document as JSON text), expires_at (epoch seconds after
                       which housekeeping may delete it, from the collection's `expires` rule)
    writer_lock        one row, which every writing transaction locks first (below)
    evidence_files     id (the server-made name) -> urn, bytes, size, sha256, created_at: uploaded evidence
    outbox             emails queued by changes, in their transactions, until a sender delivers them (core/outbox.py)
    *_summaries, submitted_ratings   rows derived from documents for the LA's pages (summaries.py), changed just
                       before each transaction commits, from the documents it wrote (`summaries.refresh`). Not in
                       backups: a restore works them out again from the documents.
    audit_entries      the audit log, one row per entry, inserted in the transaction of the change (core/audit.py)

Every transaction that writes takes one lock first (BEGIN IMMEDIATE takes the database's write lock on SQLite;
SELECT ... FOR UPDATE of the `writer_lock` row on PostgreSQL). So writers commit one at a time on both engines,
across every process and host: a modify can never lose another's update, and no two writers can deadlock
however many documents and rows each changes. Reads never wait for it. Nothing else is shared between writers:
what the LA's pages show is kept in summary rows changed in each write's own transaction, not followed from a
change log.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import math
import os
import re
import tarfile
import tempfile
import threading
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from form_service import db, summaries
from form_service.tables import audit_entries, documents, evidence_files, outbox, writer_lock

if TYPE_CHECKING:
    from flask import Flask

T = TypeVar("T")
_log = logging.getLogger(__name__)

_COLLECTION = re.compile(r"[a-z][a-z0-9_]{0,39}")
_MAX_KEY_LENGTH = 200
_SCAN_BATCH = 500  # documents read per query while scanning a collection

_BACKUP_FORMAT = "inclusion-quality-mark-database"
_BACKUP_VERSION = 2
_MANIFEST = "manifest.json"
_RESTORE_BATCH = 500
_RESTORE_BATCH_BYTES = 32 * 1024 * 1024  # and at most this much of the archive's text per insert (evidence files)

# When a document may be purged: epoch seconds, or None for never (see `expires`).
Expiry = Callable[[dict[str, Any]], float | None]
_EXPIRIES: dict[str, Expiry] = {}
_PURGE_BATCH = 500  # expired documents deleted per transaction, so saves never wait long behind a purge
_FILE_ID = re.compile(r"[0-9a-f]{32}")


class StoreError(Exception):
    """The store could not do what was asked; the message says what and where, in plain words."""


class DamagedDocument(StoreError):
    """A stored document cannot be read as a document of this store."""


@runtime_checkable
class Store(Protocol):
    """Where the form service keeps its documents: JSON-compatible dicts addressed by (collection, key).

    Collection names match ``[a-z][a-z0-9_]{0,39}``; a key is any non-empty string of up to 200
    characters (without NUL characters or lone surrogates, which no database column can hold). Invalid
    names raise ValueError. Documents go in and come out as plain dicts (str keys; values dict, list, str,
    int, float, bool or None); a dict returned is the caller's own copy.
    """

    def read(self, collection: str, key: str) -> dict[str, Any] | None:
        """The document stored under (collection, key), or None if there is none."""
        ...

    def read_many(self, collection: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The documents stored under those keys of one collection, by key (missing ones left out), read together."""
        ...

    def write(self, collection: str, key: str, document: dict[str, Any]) -> None:
        """Store the document, replacing any earlier one. It is durable when this returns (or when the
        transaction it is part of commits)."""
        ...

    def create(self, collection: str, key: str, document: dict[str, Any]) -> bool:
        """Store the document only if there is none under (collection, key); True if it was stored. The database's
        uniqueness decides between writers creating the same key at once."""
        ...

    def modify(
        self, collection: str, key: str, change: Callable[[dict[str, Any] | None], tuple[dict[str, Any] | None, T]]
    ) -> T:
        """Atomically read, change and store one document, and return what `change` returned as its result.

        `change(current)` gets the current document (None if absent) and returns
        `(new_document, result)`; a new document of None deletes it. No other writer, in any process, runs in
        between. If `change` raises, nothing is written and the exception propagates. `change` must not
        write the document it is changing; it may read and change others, which join the same transaction.
        """
        ...

    def delete(self, collection: str, key: str) -> bool:
        """Remove the document; True if there was one. Durable when this returns."""
        ...

    def keys(self, collection: str) -> list[str]:
        """Every key in the collection, sorted."""
        ...

    def scan(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (key, document) in the collection, sorted by key; read in batches as the iteration goes."""
        ...

    def ping(self) -> bool:
        """True if the store is reachable and accepts writes."""
        ...

    def prefetch(self, documents: Iterable[tuple[str, str]]) -> None:
        """A hint that these (collection, key) documents are about to be read. It changes nothing and may do
        nothing."""
        ...

    def transaction(self) -> Any:
        """A context manager: every change made inside it, by this thread, commits together when it ends, or
        none does if it raises. Nesting is allowed (an inner block that raises undoes only its own changes).
        Other writers wait until it ends, so keep it short."""
        ...

    def run(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` inside the thread's transaction (or one of its own), for rows kept beside the
        documents (the outbox, the audit log): they commit together with the documents or not at all."""
        ...

    def query(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` on the thread's transaction's connection, or a short read-only one."""
        ...

    def purge_expired(self, collection: str, now: float) -> int:
        """Delete the collection's documents whose expiry (see `expires`) is before `now` (epoch seconds), found
        by query; returns how many. Each deletion is a change like any other (summary rows follow it)."""
        ...

    def add_evidence_file(self, file_id: str, urn: str, data: bytes, created_at: str) -> None:
        """Store an evidence file's bytes under its server-made id (32 hex digits)."""
        ...

    def evidence_file(self, file_id: str, urn: str) -> bytes | None:
        """The bytes of the school's evidence file with this id, or None."""
        ...

    def delete_evidence_file(self, file_id: str, urn: str) -> bool:
        """Remove an evidence file's bytes; True if there were any."""
        ...


def expires(collection: str, when: Expiry) -> None:
    """Declare when documents of `collection` expire: `when(document)` gives the moment (epoch seconds) after
    which housekeeping may delete it, or None for never. Every write to the collection, by anyone, stores that
    moment in the document's row (`documents.expires_at`, indexed), so `purge_expired` finds expired documents by
    query. The modules that own such collections declare it when they are imported."""
    _EXPIRIES[_check_collection(collection)] = when


def expiring_collections() -> list[str]:
    """Every collection with a declared expiry, sorted."""
    return sorted(_EXPIRIES)


def _expiry_of(collection: str, document: dict[str, Any]) -> int | None:
    when = _EXPIRIES.get(collection)
    if when is None:
        return None
    moment = when(document)
    return None if moment is None else math.ceil(moment)


# --- names and documents --------------------------------------------------------------------------------


def _check_collection(collection: object) -> str:
    if not isinstance(collection, str) or not _COLLECTION.fullmatch(collection):
        raise ValueError(
            f"collection name {collection!r} is not allowed: use 1 to 40 lower-case letters, digits "
            "or underscores, starting with a letter"
        )
    return collection


def _check_file_id(file_id: object) -> str:
    if not isinstance(file_id, str) or not _FILE_ID.fullmatch(file_id):
        raise ValueError(f"evidence file id {file_id!r} is not allowed: it must be 32 hexadecimal digits")
    return file_id


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"document key {key!r} is not allowed: a key must be a non-empty string")
    if len(key) > _MAX_KEY_LENGTH:
        raise ValueError(f"document key {key[:40]!r}... is {len(key)} characters long; the most allowed is 200")
    if "\x00" in key:
        raise ValueError(f"document key {key[:40]!r} is not allowed: it holds a NUL character")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"document key {key[:40]!r} is not allowed: it is not valid Unicode text") from None
    return key


_FAST_CHECK_DEPTH = 100  # deeper than this (or a cycle), the slow checker decides


def _check_document(document: object) -> dict[str, Any]:
    """Raise TypeError/ValueError unless `document` is a dict that survives a JSON round trip unchanged."""
    # Fast path: one pass over exact built-in types, building no messages. Only when it meets anything else
    # does the slow checker run, which accepts exactly what is safe and names the first problem it finds.
    if type(document) is dict and _plain(document, 0):
        return document  # type: ignore[return-value]
    if not isinstance(document, dict):
        raise TypeError(f"a document must be a dict, not {type(document).__name__}")
    _check_json(document, "document")
    return document


def _plain(value: dict[str, Any] | list[Any], depth: int) -> bool:
    """True if `value` holds only exact dict/list/str/int/bool/None and finite floats, with str keys."""
    if depth > _FAST_CHECK_DEPTH:
        return False
    if type(value) is dict:
        items: Any = value.values()
        for name in value:
            if type(name) is not str:
                return False
    else:
        items = value
    for item in items:
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict or kind is list:
            if not _plain(item, depth + 1):
                return False
        elif kind is not float or not math.isfinite(item):
            return False
    return True


def _check_json(value: object, where: str) -> None:
    # json.dumps would quietly turn tuples into lists and int keys into strings, so the document read back
    # would differ from the one written; refuse those instead, naming the exact place.
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value}, which JSON cannot hold")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                raise TypeError(f"{where} has the key {name!r}; keys in a document must be strings")
            _check_json(item, f"{where}[{name!r}]")
        return
    raise TypeError(
        f"{where} is a {type(value).__name__}; a document may only hold dict, list, str, int, float, bool or None"
    )


def encode(document: dict[str, Any]) -> str:
    """A checked document as the JSON text it is stored as."""
    try:
        return orjson.dumps(document).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        # Integers past 64 bits and text holding lone surrogates: the standard library writes both exactly
        # (the surrogates as \u escapes, so the text stays valid UTF-8).
        return json.dumps(document, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def decode(body: str) -> dict[str, Any]:
    """The document in stored JSON text; ValueError if it is not a JSON object."""
    # The standard library, not orjson: orjson reads an integer past 64 bits as a float, changing it.
    document = json.loads(body)
    if type(document) is not dict:
        raise ValueError("it is valid JSON but not a document")
    return document


def fsync_folder(path: Path) -> None:
    """Make a rename or unlink in `path` durable (used for uploaded files and exports beside the database)."""
    # A rename or unlink is only durable once the folder holding the entry is fsynced.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes, temp: Path, mode: int = 0o600) -> None:
    """Replace `path` with `data` so that a crash at any moment leaves the old or the new file, whole."""
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        if mode != 0o600:
            os.fchmod(fd, mode)  # exactly this mode, whatever the umask
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise
    fsync_folder(path.parent)


def replace_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Durably replace a file outside the database (an export, for instance): a temporary file beside it,
    fsynced, renamed over it, and the folder fsynced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_durably(path, data, path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp"), mode)


# --- the tables ----------------------------------------------------------------------------------------------

# What a backup holds, in the order a restore fills them in.
BACKED_UP = (documents, evidence_files, outbox, audit_entries)
# Tables numbered by the database (a restore moves PostgreSQL's sequence past the rows it brings back).
_NUMBERED = (outbox, audit_entries)


def _one_row(table: sa.Table) -> Any:
    """WHERE the row is (:c, :k): statements are built once with parameters, which halves a read's own time."""
    return sa.and_(table.c.collection == sa.bindparam("c"), table.c.key == sa.bindparam("k"))


_SELECT_BODY = sa.select(documents.c.body).where(_one_row(documents))
_LOCK_BODY = _SELECT_BODY.with_for_update()
_LOCK_WRITERS = sa.select(writer_lock.c.id).where(writer_lock.c.id == 1).with_for_update()
_UPDATE_DOCUMENT = (
    documents.update().where(_one_row(documents)).values(body=sa.bindparam("b"), expires_at=sa.bindparam("e"))
)
_INSERT_DOCUMENT = documents.insert().values(
    collection=sa.bindparam("c"), key=sa.bindparam("k"), body=sa.bindparam("b"), expires_at=sa.bindparam("e")
)
_DELETE_DOCUMENT = documents.delete().where(_one_row(documents))


# --- the store -----------------------------------------------------------------------------------------------


class SQLStore:
    """The `Store` on a SQL database (SQLite or PostgreSQL), through SQLAlchemy Core.

    Thread-safe: each thread has its own connection while it is inside a transaction. Several processes
    (and hosts, on PostgreSQL) may share one database.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()
        self._lock_row = not db.is_sqlite(engine)
        weakref.finalize(self, engine.dispose)

    # Schema ---------------------------------------------------------------------------------------------------

    def upgrade(self) -> None:
        """Bring the database to the newest migration (once per store object); StoreError if it cannot."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                db.upgrade(self.engine)
            except sa.exc.DBAPIError as error:
                raise StoreError(f"cannot open the database {self._where()}: {_reason(error)}") from error
            self._ready = True

    def _where(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # Transactions ---------------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """See `Store.transaction`."""
        local = self._local
        connection: Connection | None = getattr(local, "connection", None)
        if connection is not None:
            savepoint = connection.begin_nested()
            callbacks, written = len(local.after_commit), len(local.written)
            try:
                yield
            except BaseException:
                if savepoint.is_active:
                    savepoint.rollback()
                del local.after_commit[callbacks:]  # what the undone changes asked for is undone too
                del local.written[written:]  # and their documents keep no summary row changed
                raise
            savepoint.commit()
            return
        self.upgrade()
        connection, began = self._begin_writing()
        try:
            with began:
                local.connection, local.held, local.after_commit, local.written = connection, set(), [], []
                try:
                    yield
                    if local.written:
                        # The summary rows of what was written, worked out before the COMMIT, on its connection.
                        written = {(collection, key): body for collection, key, body in local.written}
                        summaries.refresh(connection, written)
                finally:
                    local.connection, local.written = None, []
        except sa.exc.DBAPIError as error:
            local.after_commit = []
            raise StoreError(f"the database {self._where()} refused a change: {_reason(error)}") from error
        except BaseException:
            local.after_commit = []
            raise
        finally:
            connection.close()
        callbacks, local.after_commit = local.after_commit, []
        for callback in callbacks:
            _run_after_commit(callback)

    def _begin_writing(self) -> tuple[Connection, sa.engine.Transaction]:
        """A connection in a writing transaction that holds the one writer lock (see the module's docstring).

        A pooled connection the database has dropped (it restarted, or failed over) shows itself on this first
        statement: it is thrown away and the transaction begun once more on a new one, so no change is lost.
        """
        for attempt in (1, 2):
            try:
                connection = self.engine.connect().execution_options(**{db.WRITE: True})
            except sa.exc.DBAPIError as error:
                raise StoreError(f"cannot reach the database {self._where()}: {_reason(error)}") from error
            began = connection.begin()  # SQLite: BEGIN IMMEDIATE, which is the lock
            try:
                if self._lock_row:
                    connection.execute(_LOCK_WRITERS)
                return connection, began
            except sa.exc.DBAPIError as error:
                with suppress(sa.exc.DBAPIError):
                    began.rollback()
                connection.close()
                if not (attempt == 1 and error.connection_invalidated):
                    raise StoreError(f"the database {self._where()} refused a change: {_reason(error)}") from error
        raise AssertionError("unreachable")

    def run(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` inside the thread's transaction (joining the one open, else in one of its own), for
        rows kept beside the documents (the outbox, the audit log): they commit together with the documents or not
        at all."""
        with self.transaction():
            return work(self._local.connection)

    def query(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` on the thread's transaction's connection, or in a short read transaction of its own (one
        snapshot for all its queries), for reading rows kept beside the documents (the summary rows). Tried once
        more on a new connection if the database dropped the pooled one."""
        return self._fetch(work, snapshot=True)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the thread's transaction has committed (at once if none is open); never if it
        is undone. An exception it raises is logged, never passed on: the change has been made."""
        if getattr(self._local, "connection", None) is None:
            _run_after_commit(callback)
        else:
            self._local.after_commit.append(callback)

    def _fetch(self, work: Callable[[Connection], T], snapshot: bool = False) -> T:
        """`work(connection)` on the thread's transaction's connection, or else on a pooled one: in a read
        transaction (one snapshot for all its statements) if `snapshot`, otherwise with statements that stand alone
        (`db.read_options`). `work` only reads, so when the database has dropped the pooled connection (it
        restarted, or failed over) it runs once more on a new one."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            return work(connection)
        self.upgrade()
        if not snapshot:
            options = db.read_options(self.engine)
        else:
            options = {} if db.is_sqlite(self.engine) else {"isolation_level": "REPEATABLE READ"}
        for attempt in (1, 2):
            try:
                with self.engine.connect().execution_options(**options) as connection:
                    if not snapshot:
                        return work(connection)
                    with connection.begin():
                        return work(connection)
            except sa.exc.DBAPIError as error:
                if not (attempt == 1 and error.connection_invalidated):
                    raise StoreError(f"cannot read from the database {self._where()}: {_reason(error)}") from error
        raise AssertionError("unreachable")

    def _held(self) -> set[tuple[str, str]]:
        return self._local.held

    def _refuse_if_held(self, collection: str, key: str) -> None:
        if (collection, key) in self._held():
            raise StoreError(
                f"{collection}/{key}: a modify() change function tried to write the document it is changing; "
                "return the new document from the change function instead"
            )

    # Store interface ------------------------------------------------------------------------------------------

    def read(self, collection: str, key: str) -> dict[str, Any] | None:
        """The document stored under (collection, key), or None; DamagedDocument if it cannot be read."""
        _check_collection(collection)
        _check_key(key)
        body = self._fetch(lambda connection: connection.execute(_SELECT_BODY, {"c": collection, "k": key}).scalar())
        return None if body is None else self._decode(collection, key, body)

    def read_many(self, collection: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """See `Store.read_many`: one query, whatever the number of keys."""
        _check_collection(collection)
        wanted = sorted({_check_key(key) for key in keys})
        if not wanted:
            return {}
        query = sa.select(documents.c.key, documents.c.body).where(
            documents.c.collection == collection, documents.c.key.in_(wanted)
        )
        rows = self._fetch(lambda connection: connection.execute(query).all())
        return {key: self._decode(collection, key, body) for key, body in rows}

    def write(self, collection: str, key: str, document: dict[str, Any]) -> None:
        _check_collection(collection)
        _check_key(key)
        body = encode(_check_document(document))
        expires_at = _expiry_of(collection, document)
        with self.transaction():
            self._refuse_if_held(collection, key)
            self._put(self._local.connection, collection, key, body, exists=None, expires_at=expires_at)

    def create(self, collection: str, key: str, document: dict[str, Any]) -> bool:
        """Store the document only if there is none under (collection, key), and say whether it was stored.

        The database's primary key decides, so of two writers creating the same key at once (in any process, on
        any host) exactly one succeeds; the other's insert is undone alone (a savepoint), leaving the rest of its
        transaction as it was."""
        _check_collection(collection)
        _check_key(key)
        body = encode(_check_document(document))
        expires_at = _expiry_of(collection, document)
        with self.transaction():
            self._refuse_if_held(collection, key)
            connection = self._local.connection
            try:
                with self.transaction():
                    self._put(connection, collection, key, body, exists=False, expires_at=expires_at)
            except sa.exc.IntegrityError:
                return False
            return True

    def modify(
        self,
        collection: str,
        key: str,
        change: Callable[[dict[str, Any] | None], tuple[dict[str, Any] | None, T]],
    ) -> T:
        """Atomically apply `change` to one document and return its result (see `Store.modify`).

        Raises DamagedDocument, without calling `change`, if the stored document cannot be read.
        """
        _check_collection(collection)
        _check_key(key)
        with self.transaction():
            self._refuse_if_held(collection, key)
            connection = self._local.connection
            body = connection.execute(_LOCK_BODY, {"c": collection, "k": key}).scalar()
            current = None if body is None else self._decode(collection, key, body)
            held = self._held()
            held.add((collection, key))
            try:
                outcome = change(current)
            finally:
                held.discard((collection, key))
            if not (isinstance(outcome, tuple) and len(outcome) == 2):
                raise TypeError("a modify() change function must return a pair: (new document or None, result)")
            new_document, result = outcome
            if new_document is None:
                if body is not None:
                    self._remove(connection, collection, key)
            else:
                new_body = encode(_check_document(new_document))
                expires_at = _expiry_of(collection, new_document)
                self._put(connection, collection, key, new_body, exists=body is not None, expires_at=expires_at)
            return result

    def delete(self, collection: str, key: str) -> bool:
        _check_collection(collection)
        _check_key(key)
        with self.transaction():
            self._refuse_if_held(collection, key)
            return self._remove(self._local.connection, collection, key)

    def keys(self, collection: str) -> list[str]:
        _check_collection(collection)
        query = sa.select(documents.c.key).where(documents.c.collection == collection).order_by(documents.c.key)
        return self._fetch(lambda connection: list(connection.execute(query).scalars()))

    def scan(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (key, document) in the collection, sorted by key, read a batch at a time.

        The scan is not one snapshot: a document deleted before its batch is read is skipped. No transaction
        is held between batches, so the caller may write to the store inside the loop.
        """
        _check_collection(collection)
        return self._scan(collection)

    def _scan(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
        after: str | None = None
        while True:
            query = sa.select(documents.c.key, documents.c.body).where(documents.c.collection == collection)
            if after is not None:
                query = query.where(documents.c.key > after)
            batch = query.order_by(documents.c.key).limit(_SCAN_BATCH)
            rows = self._fetch(lambda connection, batch=batch: connection.execute(batch).all())
            for key, body in rows:
                yield key, self._decode(collection, key, body)
            if len(rows) < _SCAN_BATCH:
                return
            after = rows[-1][0]

    def prefetch(self, documents: Iterable[tuple[str, str]]) -> None:
        """See `Store.prefetch`: the database reads what it needs itself, so this does nothing."""

    def ping(self) -> bool:
        """True if the database can be reached, has this version's tables and would take a write: it takes the
        writer lock (waiting for a save in progress, as a save would) and lets go without changing anything."""
        try:
            with self.transaction():
                pass
        except (StoreError, sa.exc.SQLAlchemyError):
            return False
        return True

    # Housekeeping ---------------------------------------------------------------------------------------------

    def purge_expired(self, collection: str, now: float) -> int:
        """See `Store.purge_expired`. Deletes in batches, each its own transaction (or part of the caller's):
        the expired rows are found through the `documents_expires_at` index, and the summary rows follow the
        deletions, as they follow `delete`."""
        _check_collection(collection)
        expired = (
            sa.select(documents.c.key)
            .where(
                documents.c.collection == collection,
                documents.c.expires_at.is_not(None),
                documents.c.expires_at < now,
            )
            .order_by(documents.c.expires_at)
            .limit(_PURGE_BATCH)
        )
        purged = 0
        while True:
            with self.transaction():
                connection = self._local.connection
                keys = list(connection.execute(expired).scalars())
                if not keys:
                    return purged
                connection.execute(_DELETE_DOCUMENT, [{"c": collection, "k": key} for key in keys])
                self._local.written.extend((collection, key, None) for key in keys)
            purged += len(keys)

    # Evidence files -------------------------------------------------------------------------------------------

    def add_evidence_file(self, file_id: str, urn: str, data: bytes, created_at: str) -> None:
        """See `Store.add_evidence_file`: joins the caller's transaction, so the file and the document that lists
        it commit together."""
        _check_file_id(file_id)
        row = {
            "id": file_id,
            "urn": urn,
            "bytes": bytes(data),
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "created_at": created_at,
        }
        with self.transaction():
            self._local.connection.execute(evidence_files.insert(), row)

    def evidence_file(self, file_id: str, urn: str) -> bytes | None:
        if not _FILE_ID.fullmatch(file_id):
            return None
        query = sa.select(evidence_files.c.bytes).where(evidence_files.c.id == file_id, evidence_files.c.urn == urn)
        data = self._fetch(lambda connection: connection.execute(query).scalar())
        return None if data is None else bytes(data)

    def delete_evidence_file(self, file_id: str, urn: str) -> bool:
        _check_file_id(file_id)
        with self.transaction():
            deleted = self._local.connection.execute(
                evidence_files.delete().where(evidence_files.c.id == file_id, evidence_files.c.urn == urn)
            )
            return bool(deleted.rowcount)

    # Backup and restore ---------------------------------------------------------------------------------------

    def backup(self, archive: Path) -> int:
        """Write a consistent .tar.gz of every table's rows to `archive`; returns the number of documents (see
        `backup_counted`)."""
        return self.backup_counted(archive)["documents"]

    def backup_counted(self, archive: Path) -> dict[str, int]:
        """Write a consistent .tar.gz of every table's rows to `archive`; returns the rows of each table.

        The rows are read in one read transaction (a snapshot: saves carry on meanwhile and are simply not in
        it), as JSON lines, one member per table, with a manifest. Evidence files are rows too: each file's
        bytes are base64 text in its line of `evidence_files.jsonl`, with their size and SHA-256, which a restore
        checks. The same archive restores into SQLite or PostgreSQL. It appears whole or not at all.
        """
        archive = Path(archive).absolute()
        self._refuse_inside_transaction("backup()")
        self.upgrade()
        try:
            archive.parent.mkdir(parents=True, exist_ok=True)
            temp = archive.with_name(f".{archive.name}.{os.getpid()}-{threading.get_ident()}.tmp")
            counts: dict[str, int] = {}
            with tempfile.TemporaryDirectory(prefix=".backup-", dir=archive.parent) as work:
                connection = self.engine.connect()
                if not db.is_sqlite(self.engine):
                    # One snapshot for every query of the transaction (SQLite's read transaction is one already).
                    connection = connection.execution_options(isolation_level="REPEATABLE READ")
                with connection, connection.begin():
                    for table in BACKED_UP:
                        counts[table.name] = _dump(connection, table, Path(work) / f"{table.name}.jsonl")
                manifest = {
                    "format": _BACKUP_FORMAT,
                    "version": _BACKUP_VERSION,
                    "schema": db.head_revision(),
                    "engine": self.engine.dialect.name,
                    "tables": counts,
                }
                try:
                    with open(temp, "wb") as handle:
                        with tarfile.open(fileobj=handle, mode="w:gz", compresslevel=6) as tar:
                            for table in BACKED_UP:
                                tar.add(Path(work) / f"{table.name}.jsonl", arcname=f"{table.name}.jsonl")
                            # The manifest takes the file time of the members written with it.
                            written = (Path(work) / f"{documents.name}.jsonl").stat().st_mtime
                            _add_member(tar, _MANIFEST, json.dumps(manifest, indent=2).encode(), written)
                        handle.flush()
                        os.fsync(handle.fileno())
                    os.replace(temp, archive)
                except BaseException:
                    with suppress(OSError):
                        temp.unlink()
                    raise
            fsync_folder(archive.parent)
        except OSError as error:
            raise StoreError(f"backup to {archive} failed: {error}") from error
        except sa.exc.DBAPIError as error:
            raise StoreError(f"backup to {archive} failed: the database said {_reason(error)}") from error
        return counts

    def restore(self, archive: Path) -> int:
        """Fill an empty database from a backup; returns the number of documents (see `restore_counted`)."""
        return self.restore_counted(archive)["documents"]

    def restore_counted(self, archive: Path) -> dict[str, int]:
        """Fill an empty database with the contents of a backup made by `backup()` (on either engine); returns
        the rows restored into each table.

        Refuses (StoreError, nothing changed) a database that already holds documents, and any archive that
        is not exactly what `backup()` writes: every row is checked as it goes in, all in one transaction.
        """
        archive = Path(archive).absolute()
        self._refuse_inside_transaction("restore()")

        def refuse(reason: str) -> StoreError:
            return StoreError(f"refusing to restore from {archive}: {reason}. Nothing was changed.")

        try:
            tar = tarfile.open(archive, mode="r:gz")  # noqa: SIM115 - closed by `with tar:` below
        except (OSError, tarfile.TarError, EOFError, zlib.error) as error:
            raise refuse(f"it is not a readable .tar.gz backup ({error})") from None
        with tar:
            try:
                members = _members(tar, refuse)
                manifest = _manifest(tar, members, refuse)
                with self.transaction():
                    connection = self._local.connection
                    held = connection.execute(sa.select(sa.func.count()).select_from(documents)).scalar_one()
                    files = connection.execute(sa.select(sa.func.count()).select_from(evidence_files)).scalar_one()
                    if files and not held:
                        raise refuse(
                            f"the database {self._where()} already holds {files} evidence files. A backup is only "
                            "restored into an empty database: a new DATA_DIR, or a new PostgreSQL database"
                        )
                    if held:
                        raise refuse(
                            f"the database {self._where()} already holds {held} documents. A backup is only restored "
                            "into an empty database: a new DATA_DIR, or a new PostgreSQL database"
                        )
                    for table in _NUMBERED:
                        connection.execute(sa.delete(table))
                    try:
                        counts = {
                            table.name: _load(connection, table, tar, members[f"{table.name}.jsonl"], refuse)
                            for table in BACKED_UP
                        }
                    except sa.exc.IntegrityError:
                        raise refuse("it holds the same row twice") from None
                    if counts != manifest["tables"]:
                        raise refuse(f"its manifest says {manifest['tables']} rows but it holds {counts}")
                    for table in _NUMBERED:
                        if not db.is_sqlite(self.engine) and counts[table.name]:
                            # Rows came in with their numbers: new ones are numbered after them.
                            connection.execute(
                                sa.text(
                                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                    f"(SELECT max(id) FROM {table.name}))"
                                )
                            )
                    summaries.rebuild(connection)  # summary rows are not in a backup: worked out from what it holds
            except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
                raise refuse(f"the archive is damaged ({error})") from None
        return counts

    def _refuse_inside_transaction(self, operation: str) -> None:
        if getattr(self._local, "connection", None) is not None:
            raise StoreError(
                f"{operation} cannot run inside a modify() change function or a transaction: it would wait for itself"
            )

    # Rows -----------------------------------------------------------------------------------------------------

    def _decode(self, collection: str, key: str, body: str) -> dict[str, Any]:
        try:
            return decode(body)
        except (ValueError, RecursionError) as error:
            raise DamagedDocument(
                f"{collection}/{key!r} cannot be read: what the database {self._where()} holds for it is not a "
                f"document ({error}). Restore it from a backup, or write the document again."
            ) from None

    def _put(
        self, connection: Connection, collection: str, key: str, body: str, exists: bool | None, expires_at: int | None
    ) -> None:
        row = {"c": collection, "k": key, "b": body, "e": expires_at}
        self._local.written.append((collection, key, body))
        if exists is not False and connection.execute(_UPDATE_DOCUMENT, row).rowcount:
            return
        connection.execute(_INSERT_DOCUMENT, row)

    def _remove(self, connection: Connection, collection: str, key: str) -> bool:
        if not connection.execute(_DELETE_DOCUMENT, {"c": collection, "k": key}).rowcount:
            return False
        self._local.written.append((collection, key, None))
        return True


def _run_after_commit(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:
        _log.exception("after a commit, %r failed (the change itself is saved)", callback)


def _reason(error: sa.exc.DBAPIError) -> str:
    """What the database driver said, without SQLAlchemy's SQL text and parameters (which hold documents)."""
    return str(error.orig).strip().splitlines()[0] if error.orig is not None else type(error).__name__


# --- backup archives -------------------------------------------------------------------------------------------


def _dump(connection: Connection, table: sa.Table, path: Path) -> int:
    """Write every row of `table` as a JSON line to `path`, in primary key order; returns how many. Binary
    columns (an evidence file's bytes) are written as base64 text."""
    count = 0
    query = sa.select(table).order_by(*table.primary_key.columns)
    binary = [column.name for column in table.columns if isinstance(column.type, sa.LargeBinary)]
    # Rows fetched at a time: few when each may hold a file of up to 10 MB.
    per_fetch = 4 if binary else 1000
    with open(path, "w", encoding="utf-8") as handle:
        for row in connection.execution_options(yield_per=per_fetch).execute(query):
            values = {name: _portable(value) for name, value in row._mapping.items()}
            for name in binary:
                values[name] = base64.b64encode(values[name]).decode("ascii")
            handle.write(json.dumps(values, ensure_ascii=True, separators=(",", ":")) + "\n")
            count += 1
    return count


def _portable(value: Any) -> Any:
    """A column's value as JSON holds it: a time as ISO 8601 in UTC (SQLite gives it back without its zone)."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value


def _moment(value: object, name: str, required: bool) -> datetime | None:
    """An ISO 8601 time with its zone, from a backup's row; ValueError otherwise."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be a time with its zone")
    return moment.astimezone(UTC)


def _add_member(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


_MEMBERS = {_MANIFEST, *(f"{table.name}.jsonl" for table in BACKED_UP)}


def _members(tar: tarfile.TarFile, refuse: Callable[[str], StoreError]) -> dict[str, tarfile.TarInfo]:
    """The archive's members by name: exactly the manifest and one file per table, plain files only."""
    found: dict[str, tarfile.TarInfo] = {}
    for member in tar.getmembers():
        if member.name not in _MEMBERS:
            raise refuse(f"the member {member.name!r} is not part of a backup of this service")
        if not member.isfile():
            raise refuse(f"the member {member.name!r} is not a plain file")
        if member.name in found:
            raise refuse(f"the member {member.name!r} appears twice")
        found[member.name] = member
    if _MANIFEST not in found:
        raise refuse("it has no manifest from this service's backup")
    missing = sorted(_MEMBERS - set(found))
    if missing:
        raise refuse(f"it lacks {', '.join(missing)}")
    return found


def _manifest(
    tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], refuse: Callable[[str], StoreError]
) -> dict[str, Any]:
    raw = _read_member(tar, members[_MANIFEST])
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise refuse("its manifest is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _BACKUP_FORMAT:
        raise refuse("it has no manifest from this service's backup")
    if manifest.get("version") != _BACKUP_VERSION:
        raise refuse(f"it is a backup in format version {manifest.get('version')!r}, not {_BACKUP_VERSION}")
    if manifest.get("schema") != db.head_revision():
        raise refuse(
            f"it was made with database schema {manifest.get('schema')!r} and this version of the service has "
            f"{db.head_revision()!r}"
        )
    tables = manifest.get("tables")
    if not isinstance(tables, dict) or set(tables) != {table.name for table in BACKED_UP}:
        raise refuse("its manifest does not list the rows of every table")
    return manifest


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    extracted = tar.extractfile(member)
    return extracted.read() if extracted is not None else b""


def _load(
    connection: Connection,
    table: sa.Table,
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    refuse: Callable[[str], StoreError],
) -> int:
    """Insert the rows of one table's member, each checked; returns how many."""
    extracted = tar.extractfile(member)
    if extracted is None:
        raise refuse(f"the member {member.name!r} cannot be read")
    batch: list[dict[str, Any]] = []
    count = batch_bytes = 0
    for number, line in enumerate(extracted, start=1):
        try:
            row = _checked_row(table, json.loads(line))
        except (ValueError, TypeError, KeyError) as error:
            raise refuse(f"line {number} of {member.name} is not a valid row ({error})") from None
        batch.append(row)
        count += 1
        batch_bytes += len(line)
        if len(batch) >= _RESTORE_BATCH or batch_bytes >= _RESTORE_BATCH_BYTES:
            connection.execute(table.insert(), batch)
            batch, batch_bytes = [], 0
    if batch:
        connection.execute(table.insert(), batch)
    return count


def _checked_row(table: sa.Table, row: object) -> dict[str, Any]:
    """The row, if it has exactly the table's columns with values of the right kinds; ValueError otherwise."""
    if not isinstance(row, dict) or set(row) != set(table.columns.keys()):
        raise ValueError(f"it must have exactly the columns {', '.join(table.columns.keys())}")
    if table is evidence_files:
        return _checked_file_row(row)
    if "id" in row and (type(row["id"]) is not int or not 0 <= row["id"] < 2**63):
        raise ValueError("id must be a whole number")
    if "expires_at" in row and row["expires_at"] is not None and type(row["expires_at"]) is not int:
        raise ValueError("expires_at must be a whole number or null")
    if "collection" in row:
        _check_collection(row["collection"])
        _check_key(row["key"])
    if "body" in row:
        if not isinstance(row["body"], str):
            raise ValueError("body must be JSON text")
        _check_document(decode(row["body"]))
    if table is audit_entries:
        for name in ("actor", "action", "target", "from"):
            if not isinstance(row[name], str):
                raise ValueError(f"{name} must be text")
        if not isinstance(row["details"], dict):
            raise ValueError("details must be an object")
        _check_json(row["details"], "details")
        row["at"] = _moment(row["at"], "at", required=True)
    if table is outbox:
        for name in ("recipient", "subject", "text_body"):
            if not isinstance(row[name], str):
                raise ValueError(f"{name} must be text")
        for name in ("html_body", "last_error"):
            if row[name] is not None and not isinstance(row[name], str):
                raise ValueError(f"{name} must be text or null")
        if type(row["attempts"]) is not int or not 0 <= row["attempts"] < 2**31:
            raise ValueError("attempts must be a whole number")
        for name in ("written_at", "next_attempt_at", "sent_at"):
            row[name] = _moment(row[name], name, required=name == "written_at")
    return row


def _checked_file_row(row: dict[str, Any]) -> dict[str, Any]:
    """An evidence file's row with its bytes decoded, if its size and SHA-256 match them; ValueError otherwise."""
    _check_file_id(row["id"])
    if not isinstance(row["urn"], str) or not row["urn"].isdigit():
        raise ValueError("urn must be a school's URN")
    if not isinstance(row["bytes"], str) or not isinstance(row["created_at"], str):
        raise ValueError("bytes and created_at must be text")
    data = base64.b64decode(row["bytes"], validate=True)
    if row["size"] != len(data) or row["sha256"] != hashlib.sha256(data).hexdigest():
        raise ValueError(f"the bytes of evidence file {row['id']} do not match its size and SHA-256")
    return {**row, "bytes": data}


# --- Flask wiring --------------------------------------------------------------------------------------------
# The app factory calls init_app(app); views call get_store(). Flask is imported lazily so that the store itself
# (and its tests and benchmark) does not depend on the web framework.

EXTENSION = "quality_mark.store"


def open_store(data_dir: Path | None = None, database_url: str | None = None) -> SQLStore:
    """A store on DATABASE_URL, or on the SQLite file in `data_dir`, brought to the newest schema."""
    if database_url is None:
        if data_dir is None:
            raise ValueError("open_store needs a data folder or a database address")
        database_url = db.sqlite_url(Path(data_dir))
    store = SQLStore(db.create(database_url))
    store.upgrade()
    return store


def init_app(app: Flask) -> None:
    """Give the app its store and bring its database to the newest schema. A database that cannot be reached
    yet is logged, tried again on first use, and reported by /healthz."""
    store = SQLStore(db.create(db.database_url(app.config)))
    try:
        store.upgrade()
    except StoreError as error:
        app.logger.warning("the database is not ready: %s", error)
    app.extensions[EXTENSION] = store


def get_store() -> SQLStore:
    """The current app's store."""
    from flask import current_app

    return current_app.extensions[EXTENSION]


__all__ = [
    "EXTENSION",
    "DamagedDocument",
    "SQLStore",
    "Store",
    "StoreError",
    "expires",
    "expiring_collections",
    "get_store",
    "init_app",
    "open_store",
    "replace_file",
]
