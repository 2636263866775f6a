"""The document store behind the form service: a small interface, and a durable TinyDB implementation of it.

Everything the service keeps (registrations, self-evaluations, submissions, reviews) is a plain JSON
document addressed by (collection, key). `Store` is the interface the rest of the service uses; a SQL
database can implement it later without any caller changing. `TinyDBStore` is the embedded default.

TinyDB as shipped rewrites one JSON file in place on every write (a crash mid-write corrupts it), is not
safe across processes, and every write costs O(all data). `TinyDBStore` keeps TinyDB's JSON but:

* holds each document in its own small file, so a save costs the same at 300 or 24,000 documents;
* keeps two versions of each document in that file, in two halves ("regions"): a save overwrites the
  *older* region in place and flushes it with one `fdatasync`, so the newest acknowledged version is never
  touched by a write. Each region starts with its number, a sequence number, a length and a CRC-32 of what
  follows, so a region torn by a power cut is recognised and the other, whole, region is read instead.
  Overwriting a preallocated file in place needs no rename and no flush of the folder: a third of the cost
  of temp file + fsync + rename + fsync of the folder. A document's file is first created that way, and
  made anew (with room to spare) when the document outgrows its regions. One file rather than two per
  document means one disk read per document where the page cache has dropped it;
* takes `fcntl.flock` locks, so several worker processes (and threads) can share one data folder;
* reads and writes the one record itself rather than through TinyDB's table objects. Each region, after
  its header, is a TinyDB database (``{"document": {"1": ...}}``), and every file in a backup is exactly that:
  `TinyDB(path).table("document").get(doc_id=1)` reads it.

Layout of the data folder::

    <collection>/<name>.json             the document's file: two regions of the same size, one after the other
    <collection>/.<name>.json.tmp        a new file in progress (or left by a crash: ignored, cleaned up)
    .locks/global.lock                   shared by every operation, exclusive for backup() and restore()
    .locks/<collection>/<name>.lock      exclusive around every write, modify and delete of one document
    .layout                              says the folder is in this layout (see _upgrade_layout)
    .restore-journal.json                exists only while a restore is being switched in (see restore())
    .changes.log                         which documents changed, one JSON line each (see changes())

What a document's file holds, byte by byte, is in `form_service.document_file`. Data folders written by earlier
versions of the store (a plain TinyDB file per document, or two slot files per document) are upgraded once,
when the first process opens them; stop every worker of the old version first.

POSIX only (fcntl). Locks are advisory: only processes that go through this module are coordinated.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import logging
import math
import os
import re
import shutil
import tarfile
import tempfile
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from form_service import document_file
from form_service.document_file import (
    DOC_ID_TEXT,
    TABLE,
    DocumentFile,
    Unreadable,
    encode,
    new_file,
    parse_whole_file,
)

if TYPE_CHECKING:
    from flask import Flask

T = TypeVar("T")
_log = logging.getLogger(__name__)

_COLLECTION = re.compile(r"[a-z][a-z0-9_]{0,39}")
_MAX_KEY_LENGTH = 200
# Keys that are already safe file names are used as they are, so the data folder stays readable. Only lower
# case: on a case-insensitive file system (macOS by default) "ABC" and "abc" would otherwise share one file.
# Never starting with "." (hidden, and ".."), nor "-" (read as an option by shell tools).
_PLAIN_NAME = re.compile(r"[a-z0-9_][a-z0-9_.-]{0,99}")
# Every other key becomes "@" + sha256. "@" cannot start a plain name, so the two kinds never collide.
_HASHED_NAME = re.compile(r"@[0-9a-f]{64}")
_DOCUMENT_FILE = re.compile(rf"(?P<name>{_PLAIN_NAME.pattern}|{_HASHED_NAME.pattern})(?P<slot>~?)\.json")
_TEMP_FILE = re.compile(rf"\.(?P<name>{_PLAIN_NAME.pattern}|{_HASHED_NAME.pattern})\.json\.tmp")

_OLD_SLOT_B = "~"
_LAYOUT = ".layout"  # present once every document is in one file of two regions (see _upgrade_layout)
_LAYOUT_VERSION = b"2\n"
_TORN_READ_RETRIES = 20  # a reader that finds both slots mid-write (two writes in a row) reads again

_LOCKS = ".locks"
_JOURNAL = ".restore-journal.json"
_CHANGES = ".changes.log"
CHANGES_LOG_LIMIT = 256 * 1024 * 1024  # bytes; past this a reader starts a new log (and every reader rescans)
_MANIFEST = "manifest.json"
_BACKUP_FORMAT = "inclusion-quality-mark-store"
_BACKUP_VERSION = 1
_STALE_AFTER_SECONDS = 24 * 3600  # work folders of a crashed backup/restore older than this are removed


ChangePosition = tuple[int, int]  # (which record of changes: its inode, the offset read up to)


class StoreError(Exception):
    """The store could not do what was asked; the message says what and where, in plain words."""


class DamagedDocument(StoreError):
    """A document's file exists but cannot be read as a document of this store."""


@runtime_checkable
class Store(Protocol):
    """Where the form service keeps its documents: JSON-compatible dicts addressed by (collection, key).

    Collection names match ``[a-z][a-z0-9_]{0,39}``; a key is any non-empty string of up to 200
    characters. Invalid names raise ValueError. Documents go in and come out as plain dicts (str keys;
    values dict, list, str, int, float, bool or None); a dict returned is the caller's own copy.
    """

    def read(self, collection: str, key: str) -> dict[str, Any] | None:
        """The document stored under (collection, key), or None if there is none."""
        ...

    def write(self, collection: str, key: str, document: dict[str, Any]) -> None:
        """Store the document, replacing any earlier one. It is durable when this returns."""
        ...

    def modify(
        self, collection: str, key: str, change: Callable[[dict[str, Any] | None], tuple[dict[str, Any] | None, T]]
    ) -> T:
        """Atomically read, change and store one document, and return what `change` returned as its result.

        `change(current)` gets the current document (None if absent) and returns
        `(new_document, result)`; a new document of None deletes it. No other writer of this document,
        in any process, runs in between. If `change` raises, nothing is written and the exception
        propagates. `change` must not write the document it is changing.
        """
        ...

    def delete(self, collection: str, key: str) -> bool:
        """Remove the document; True if there was one. Durable when this returns."""
        ...

    def keys(self, collection: str) -> list[str]:
        """Every key in the collection, sorted."""
        ...

    def scan(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (key, document) in the collection, sorted by key; each document is read when reached."""
        ...

    def ping(self) -> bool:
        """True if the store is reachable and accepts writes."""
        ...

    def prefetch(self, documents: Iterable[tuple[str, str]]) -> None:
        """A hint that these (collection, key) documents are about to be read, so that their reading can start
        together. It changes nothing and may do nothing."""
        ...

    def changes(self, since: ChangePosition | None) -> tuple[ChangePosition, list[tuple[str, str]] | None]:
        """The (collection, key) of every document written or deleted after position `since`, oldest first.

        For keeping a derived view (a dashboard's rows) up to date without reading everything again. Returns
        the position to ask from next time and the changes, or None instead of the changes when the view
        must be rebuilt from scratch (`since` is None, or the record of changes was started again).
        """
        ...


# --- names and documents --------------------------------------------------------------------------------


def _check_collection(collection: object) -> str:
    if not isinstance(collection, str) or not _COLLECTION.fullmatch(collection):
        raise ValueError(
            f"collection name {collection!r} is not allowed: use 1 to 40 lower-case letters, digits "
            "or underscores, starting with a letter"
        )
    return collection


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"document key {key!r} is not allowed: a key must be a non-empty string")
    if len(key) > _MAX_KEY_LENGTH:
        raise ValueError(f"document key {key[:40]!r}... is {len(key)} characters long; the most allowed is 200")
    return key


def _file_name(key: str) -> str:
    """The file name (without .json) that holds `key`: never empty, never '.', '..', a slash or a NUL."""
    if _PLAIN_NAME.fullmatch(key):
        return key
    # surrogatepass: a str with a lone surrogate is still a valid key and must map to one stable name.
    return "@" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


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


@lru_cache(maxsize=1024)
def _folder(parent: Path, collection: str) -> str:
    """The folder of a collection's documents (or lock files) under `parent`, as text; ValueError for a bad
    name. Paths on the save path are joined as text: building Path objects is a noticeable part of a save's
    own time, and with thousands of schools there are too many documents to remember each one's path."""
    return str(parent / _check_collection(collection)) if collection else str(parent)


def _lock_path(locks: Path, collection: str, name: str) -> str:
    """The lock file of a document (or, with no collection, the global lock file `global.lock`)."""
    return f"{_folder(locks, collection)}/{name}.lock"


def _document_paths(root: Path, collection: str, key: str) -> tuple[str, str]:
    """The file of (collection, key) under `root`, and the document's file name; ValueError for bad names."""
    name = _file_name(_check_key(key))
    return f"{_folder(root, _check_collection(collection))}/{name}.json", name


def _document_of_file(raw: bytes, file_name: str) -> tuple[str, dict[str, Any]]:
    """The key and document in a file's bytes (any layout); raises Unreadable unless it is whole and named
    after its key."""
    record = parse_whole_file(raw)[1][TABLE][DOC_ID_TEXT]
    key = record["key"]
    if not key or len(key) > _MAX_KEY_LENGTH or f"{_file_name(key)}.json" != file_name:
        raise Unreadable(f"its file name does not match the key it holds ({key[:40]!r})")
    return key, record["document"]


def fsync_folder(path: Path) -> None:
    """Make a rename or unlink in `path` durable (also used for uploaded files beside the store)."""
    # A rename or unlink is only durable once the folder holding the entry is fsynced.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes, temp: Path, mode: int = 0o600) -> None:
    """Replace `path` with `data` so that a crash at any moment leaves the old or the new file, whole.

    The caller must hold the lock that makes it the only writer of `temp`.
    """
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
    """Durably replace a file outside the store (an export, for instance) the way the store replaces its own:
    a temporary file beside it, fsynced, renamed over it, and the folder fsynced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_durably(path, data, path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp"), mode)


# One encoder, built once, with the options every document file is written with.


# --- the store ------------------------------------------------------------------------------------------


class TinyDBStore:
    """The embedded `Store`: one small TinyDB file per document in `data_dir`, durable and process-safe.

    Nothing is touched on disk until the first operation, so a misconfigured folder shows up in `ping()`.
    Several processes and threads may use the same folder at once. Files are created readable by the
    service's user only (0600), as documents may describe children with special educational needs.
    """

    def __init__(self, data_dir: Path) -> None:
        self._root = Path(data_dir).absolute()
        self._locks = self._root / _LOCKS
        self._journal = str(self._root / _JOURNAL)  # looked for by every operation: joined once
        # Per thread: the document locks held and how deeply the global lock is held, so a call that would
        # wait for a lock this very thread holds fails with a clear error instead of hanging forever.
        self._held = threading.local()
        self._layout_ready = False  # set once this data folder is known to be in the current layout
        self._changes_fd: int | None = None  # the change log, open for appending (see _note_change)
        self._changes_lock = threading.Lock()
        self._close_changes_log: weakref.finalize | None = None

    # Store interface ----------------------------------------------------------------------------------

    def read(self, collection: str, key: str) -> dict[str, Any] | None:
        """The document stored under (collection, key), or None; DamagedDocument if its file is damaged."""
        path, _ = self._locate(collection, key)
        # No document lock: a writer only ever overwrites the slot that does not hold the newest version, so
        # a reader finds the newest version whole in one slot or the other (a slot read half-written fails
        # its checksum). Readers therefore never wait for a writer's flush. The shared global lock keeps them
        # from seeing a restore half switched in.
        with self._global(fcntl.LOCK_SH):
            return self._load(collection, key, path)

    def write(self, collection: str, key: str, document: dict[str, Any]) -> None:
        """Store the document, replacing any earlier one (even a damaged one); durable when this returns."""
        path, name = self._locate(collection, key)
        _check_document(document)
        with self._global(fcntl.LOCK_SH), self._document_lock(collection, name):
            self._save(collection, key, path, document)

    def modify(
        self,
        collection: str,
        key: str,
        change: Callable[[dict[str, Any] | None], tuple[dict[str, Any] | None, T]],
    ) -> T:
        """Atomically apply `change` to one document and return its result (see `Store.modify`).

        Raises DamagedDocument, without calling `change`, if the current file is damaged.
        """
        path, name = self._locate(collection, key)
        with self._global(fcntl.LOCK_SH), self._document_lock(collection, name):
            stored = self._file(path)
            current = self._current(collection, key, stored)
            outcome = change(current)
            if not (isinstance(outcome, tuple) and len(outcome) == 2):
                raise TypeError("a modify() change function must return a pair: (new document or None, result)")
            new_document, result = outcome
            if new_document is None:
                if current is not None:
                    self._remove(collection, key, path)
            else:
                self._save(collection, key, path, _check_document(new_document), stored)
            return result

    def delete(self, collection: str, key: str) -> bool:
        """Remove the document (damaged or not); True if there was one. Durable when this returns."""
        path, name = self._locate(collection, key)
        with self._global(fcntl.LOCK_SH), self._document_lock(collection, name):
            return self._remove(collection, key, path)

    def keys(self, collection: str) -> list[str]:
        """Every key in the collection, sorted; leftover temporary files are skipped (and cleaned up)."""
        _check_collection(collection)
        with self._global(fcntl.LOCK_SH):
            return sorted(key for key, _ in self._entries(collection))

    def scan(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (key, document) in the collection, sorted by key.

        Each document is read when the iteration reaches it: the scan is not one snapshot, and a document
        deleted meanwhile is skipped. No lock is held between items, so the caller may write to the store
        inside the loop. Raises DamagedDocument on reaching a damaged document.
        """
        _check_collection(collection)
        with self._global(fcntl.LOCK_SH):
            entries = sorted(self._entries(collection))
        return self._scan_entries(collection, entries)

    def prefetch(self, documents: Iterable[tuple[str, str]]) -> None:
        """See `Store.prefetch`: asks the kernel to start reading the documents' files now, so that when they
        are not in the page cache their disk reads overlap instead of following one another."""
        for path in [self._locate(collection, key)[0] for collection, key in documents]:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            except (OSError, AttributeError):
                pass
            finally:
                os.close(fd)

    def ping(self) -> bool:
        """True if the data folder exists (or can be made) and a file can be durably written in it."""
        # Deliberately takes no lock: a health check must answer at once, even while a backup runs.
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            self._locks.mkdir(exist_ok=True)
            probe = self._root / f".ping-{os.getpid()}-{threading.get_ident()}"
            _write_durably(probe, b"{}", probe.with_name(probe.name + ".tmp"))
            probe.unlink()
        except OSError:
            return False
        return True

    def changes(self, since: ChangePosition | None) -> tuple[ChangePosition, list[tuple[str, str]] | None]:
        """See `Store.changes`. Every write and delete appends one line to .changes.log after it is durable.

        The log is a hint, not a source of truth: lines are appended without fsync, so a crash can lose the
        last few. A reader therefore starts from a full read of the documents (None), and the log only says
        what changed since. When the log grows past CHANGES_LOG_LIMIT a reader starts a new one while no
        write is in flight (the global lock held exclusively), and every reader then rebuilds.
        """
        path = self._root / _CHANGES
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size > CHANGES_LOG_LIMIT and self._global_depth() == 0 and not self._held_documents():
            with self._global(fcntl.LOCK_EX):
                self._start_changes_log()
        try:
            with open(path, "rb") as handle:
                inode = os.fstat(handle.fileno()).st_ino
                if since is None or since[0] != inode or since[1] > os.fstat(handle.fileno()).st_size:
                    return (inode, os.fstat(handle.fileno()).st_size), None
                handle.seek(since[1])
                raw = handle.read()
        except FileNotFoundError:
            self._start_changes_log()
            return self.changes(None)
        complete = raw[: raw.rfind(b"\n") + 1]  # a line being appended right now is read next time
        found = []
        for line in complete.splitlines():
            with suppress(ValueError):
                collection, key = json.loads(line)
                found.append((collection, key))
        return (inode, since[1] + len(complete)), found

    def _note_change(self, collection: str, key: str) -> None:
        """Append the change to the log. The document is already durable, so a failure here only warns."""
        # One write() with O_APPEND: lines from several processes never interleave (each is under 4 KB).
        line = encode([collection, key]) + b"\n"
        try:
            with self._changes_lock:
                fd = self._changes_fd
                # The log stays open between saves (opening it took a tenth of a save's own time). A log that
                # has been replaced since (a new log, or a restore) has no name left: open the new one.
                if fd is None or os.fstat(fd).st_nlink == 0:
                    if fd is not None:
                        self._changes_fd = None
                        if self._close_changes_log is not None:
                            self._close_changes_log.detach()
                        os.close(fd)
                    path = self._root / _CHANGES
                    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
                    self._changes_fd = fd
                    self._close_changes_log = weakref.finalize(self, os.close, fd)
                os.write(fd, line)
        except OSError as error:
            _log.warning("could not note the change to %s in %s: %s", collection, _CHANGES, error)

    def _start_changes_log(self) -> None:
        """Replace the log with an empty one (a new inode, so every reader rebuilds)."""
        self._root.mkdir(parents=True, exist_ok=True)
        path = self._root / _CHANGES
        _write_durably(path, b"", path.with_name(path.name + ".tmp"))

    # Backup and restore -------------------------------------------------------------------------------

    def backup(self, archive: Path) -> int:
        """Write a consistent .tar.gz of every document to `archive`; returns the number of documents.

        Writers are blocked only while the newest whole version of each document is copied into a snapshot
        folder (slots are rewritten in place, so the files themselves cannot be linked); the snapshot is then
        compressed without holding anyone up. The archive appears whole or not at all.
        Raises DamagedDocument (and writes no archive) if any document is damaged, since such a backup
        could never be restored.
        """
        archive = Path(archive).absolute()
        self._refuse_inside_change("backup()")
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            snapshot = Path(tempfile.mkdtemp(prefix=".backup-", dir=self._root))
        except OSError as error:
            raise StoreError(f"cannot back up {self._root}: {error}") from error
        try:
            with self._global(fcntl.LOCK_EX):
                self._sweep_stale_work_folders()
                for collection in self._collections():
                    (snapshot / collection).mkdir()
                    for name in self._document_names(collection):
                        path = self._root / collection / f"{name}.json"
                        stored = self._file(path)
                        newest = stored.newest()
                        if newest is None:
                            if stored.size is None:
                                continue
                            why = f"{stored.why_damaged()}; no backup was written"
                            raise self._damaged(collection, None, path, why)
                        (snapshot / collection / f"{name}.json").write_bytes(newest.raw)
            return self._write_archive(snapshot, archive)
        except OSError as error:
            raise StoreError(f"backup to {archive} failed: {error}") from error
        finally:
            shutil.rmtree(snapshot, ignore_errors=True)

    def restore(self, archive: Path) -> int:
        """Replace all data with the contents of a backup made by `backup()`; returns the number of documents.

        Every member is checked before anything changes: only plain files and folders with safe names of
        the store's own layout (no absolute paths, no '..', no links), every file a valid document whose
        name matches its key, and a manifest whose count matches. A bad archive raises StoreError and
        current data is untouched. The switch happens under the exclusive global lock and is journalled:
        if the process dies half-way, the next operation on the store finishes it.
        """
        archive = Path(archive).absolute()
        self._refuse_inside_change("restore()")
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=self._root))
        except OSError as error:
            raise StoreError(f"cannot restore into {self._root}: {error}") from error
        switching = False
        try:
            count = self._unpack(archive, staging)
            with self._global(fcntl.LOCK_EX):
                self._sweep_stale_work_folders()
                old = Path(tempfile.mkdtemp(prefix=".restore-old-", dir=self._root))
                journal = {"staging": staging.name, "old": old.name, "phase": 1}
                self._write_journal(journal)
                # From here on the journal owns the staging folder: if the switch fails half-way, the next
                # operation must be able to finish it, so the staged documents must not be removed.
                switching = True
                self._roll_forward(journal)
        except OSError as error:
            raise StoreError(f"restore from {archive} failed: {error}") from error
        finally:
            if not switching:
                shutil.rmtree(staging, ignore_errors=True)
        return count

    # Files ----------------------------------------------------------------------------------------------

    def _locate(self, collection: str, key: str) -> tuple[str, str]:
        if type(collection) is not str or type(key) is not str:
            _check_collection(collection)  # raises ValueError, as names that are not text cannot be remembered
            _check_key(key)
        return _document_paths(self._root, collection, key)

    def _damaged(self, collection: str, key: str | None, path: str | Path, reason: str) -> DamagedDocument:
        which = f"{collection}/{key!r}" if key is not None else f"a document in {collection!r}"
        return DamagedDocument(
            f"{which} cannot be read: the file {path} is damaged ({reason}). "
            "Restore it from a backup, or write the document again."
        )

    def _file(self, path: str | Path) -> DocumentFile:
        """The document file at `path`, as it is now."""
        for attempt in range(_TORN_READ_RETRIES):
            stored = DocumentFile.read(path)
            if not stored.torn_both():
                return stored
            # Neither region is whole. After a crash only one can be torn, so this is either damage or two
            # saves in a row overwriting each region while we read; a moment later tells which.
            time.sleep(0.0005 * attempt)
        return stored

    def _current(self, collection: str, key: str, stored: DocumentFile) -> dict[str, Any] | None:
        """The newest whole version in the file, None if there is no document, DamagedDocument if none is whole."""
        newest = stored.newest()
        if newest is None:
            if stored.size is not None:
                raise self._damaged(collection, key, stored.path, stored.why_damaged()) from None
            return None
        assert newest.data is not None
        record = newest.data[TABLE][DOC_ID_TEXT]
        if record["key"] != key:
            reason = f"it holds the document for key {record['key']!r}"
            raise self._damaged(collection, key, stored.path, reason) from None
        return record["document"]

    def _load(self, collection: str, key: str, path: str | Path) -> dict[str, Any] | None:
        return self._current(collection, key, self._file(path))

    def _save(
        self,
        collection: str,
        key: str,
        path: str,
        document: dict[str, Any],
        stored: DocumentFile | None = None,
    ) -> None:
        """Write the document as the next version into the region that does not hold the newest one."""
        try:
            if stored is None:
                stored = self._file(path)
            newest = stored.newest()
            seq = (newest.seq or 0) + 1 if newest else 1
            if newest is not None:
                content = document_file.region_content(1 - newest.index, seq, key, document)
                if len(content) <= stored.capacity:
                    document_file.overwrite_region(path, 1 - newest.index, stored.capacity, content)
                    self._note_change(collection, key)
                    return
            # A new document, one that outgrew its regions, or one with no whole version left: a whole new
            # file (temp file and rename), so a crash never leaves a half-made document.
            whole = Path(path)
            self._make_collection_folder(whole.parent)
            content = new_file(document_file.region_content(0, seq, key, document))
            _write_durably(whole, content, whole.with_name(f".{whole.name}.tmp"))
        except OSError as error:
            raise StoreError(f"could not save {collection}/{key!r} to {path}: {error.strerror or error}") from error
        self._note_change(collection, key)

    def _remove(self, collection: str, key: str, path: str) -> bool:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        except OSError as error:
            raise StoreError(f"could not delete {collection}/{key!r} at {path}: {error.strerror or error}") from error
        fsync_folder(Path(path).parent)
        self._note_change(collection, key)
        return True

    def _make_collection_folder(self, folder: Path) -> None:
        if folder.is_dir():
            return
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The new folder's own entry must be durable too, or an acknowledged first write could vanish.
        fsync_folder(folder.parent)

    def _collections(self) -> list[str]:
        try:
            return sorted(entry.name for entry in os.scandir(self._root) if _COLLECTION.fullmatch(entry.name))
        except FileNotFoundError:
            return []

    def _document_names(self, collection: str) -> list[str]:
        """File names (without .json) of the collection's documents; cleans up temporary files left by crashes."""
        names = []
        try:
            listing = os.listdir(self._root / collection)
        except FileNotFoundError:
            return []
        for entry in listing:
            if match := _DOCUMENT_FILE.fullmatch(entry):
                names.append(match["name"])
            elif match := _TEMP_FILE.fullmatch(entry):
                self._clean_up_temp(collection, match["name"], entry)
        return list(dict.fromkeys(names))  # a document with both slots is listed once

    def _clean_up_temp(self, collection: str, name: str, entry: str) -> None:
        # A temporary file is only stale if nobody holds its document's lock: a writer in another process
        # may be about to rename it into place. Try the lock without waiting; if it is busy, leave the file.
        try:
            fd = self._open_lock_file(self._locks / collection / f"{name}.lock")
        except OSError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with suppress(FileNotFoundError):
                (self._root / collection / entry).unlink()
        except OSError:
            pass
        finally:
            os.close(fd)

    def _entries(self, collection: str) -> list[tuple[str, Path]]:
        """(key, path) of every document in the collection. Plain names are their keys; hashed ones are read."""
        entries = []
        for name in self._document_names(collection):
            path = self._root / collection / f"{name}.json"
            if not name.startswith("@"):
                entries.append((name, path))
                continue
            stored = self._file(path)
            newest = stored.newest()
            if newest is None:
                if stored.size is None:
                    continue  # deleted meanwhile
                raise self._damaged(collection, None, path, stored.why_damaged()) from None
            assert newest.data is not None
            entries.append((newest.data[TABLE][DOC_ID_TEXT]["key"], path))
        return entries

    def _scan_entries(self, collection: str, entries: list[tuple[str, Path]]) -> Iterator[tuple[str, dict[str, Any]]]:
        for key, path in entries:
            # The lock is taken per document and released before yielding, so that a caller who stops
            # iterating half-way (or writes inside the loop) never leaves a lock held.
            with self._global(fcntl.LOCK_SH):
                document = self._load(collection, key, path)
            if document is not None:
                yield key, document

    # Locks ----------------------------------------------------------------------------------------------

    def _open_lock_file(self, path: str | Path) -> int:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:
            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def _lock_fd(self, path: str, mode: int) -> int:
        """An open descriptor of the lock file `path`, locked in `mode`. Closing it releases the lock."""
        try:
            fd = self._open_lock_file(path)
        except OSError as error:
            raise StoreError(f"cannot open the lock file {path}: {error.strerror or error}") from error
        try:
            # flock locks belong to the open file description, so a fresh descriptor per call makes the lock
            # exclude other threads of this process as well as other processes.
            fcntl.flock(fd, mode)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _held_documents(self) -> set[tuple[str, str]]:
        if not hasattr(self._held, "documents"):
            self._held.documents = set()
        return self._held.documents

    def _global_depth(self) -> int:
        return getattr(self._held, "depth", 0)

    @contextmanager
    def _document_lock(self, collection: str, name: str) -> Iterator[None]:
        held = self._held_documents()
        if (collection, name) in held:
            raise StoreError(
                f"{collection}/{name}: a modify() change function tried to write the document it is changing; "
                "return the new document from the change function instead"
            )
        fd = self._lock_fd(_lock_path(self._locks, collection, name), fcntl.LOCK_EX)
        held.add((collection, name))
        try:
            yield
        finally:
            held.discard((collection, name))
            os.close(fd)

    @contextmanager
    def _global(self, mode: int) -> Iterator[None]:
        """Hold the global lock: shared for ordinary operations, exclusive for backup and restore.

        Before letting anything in, it finishes a restore that a crashed process left half-done.
        """
        if mode == fcntl.LOCK_SH and self._global_depth() > 0:
            # Already held by this thread (a change function that reads): holding it again changes nothing.
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        fd = self._lock_fd(_lock_path(self._locks, "", "global"), mode)
        try:
            # Nested use (a change function that reads) already checked the journal and, by holding the lock,
            # keeps any restore out; converting the lock here would wait for this very thread.
            if self._global_depth() == 0 and os.path.exists(self._journal):
                if mode == fcntl.LOCK_SH:
                    fcntl.flock(fd, fcntl.LOCK_EX)  # re-checked below: another process may have finished it
                self._recover_restore()
                if mode == fcntl.LOCK_SH:
                    fcntl.flock(fd, fcntl.LOCK_SH)
            if not self._layout_ready and self._global_depth() == 0:
                self._ensure_layout(fd, mode)
            self._held.depth = self._global_depth() + 1
            try:
                yield
            finally:
                self._held.depth -= 1
        finally:
            os.close(fd)

    def _ensure_layout(self, fd: int, mode: int) -> None:
        """Upgrade a data folder written in an earlier layout, once, before anything else reads it.

        `fd` holds the global lock in `mode`; the upgrade itself runs holding it exclusively."""
        marker = self._root / _LAYOUT
        if not marker.exists():
            if mode == fcntl.LOCK_SH:
                fcntl.flock(fd, fcntl.LOCK_EX)  # re-checked below: another process may have done it meanwhile
            try:
                if not marker.exists():
                    self._upgrade_layout()
                    _write_durably(marker, _LAYOUT_VERSION, marker.with_name(marker.name + ".tmp"))
            finally:
                if mode == fcntl.LOCK_SH:
                    fcntl.flock(fd, fcntl.LOCK_SH)
        self._layout_ready = True

    def _upgrade_layout(self) -> None:
        """Rewrite every document kept in an earlier layout (a plain TinyDB file, or two slot files
        <name>.json and <name>~.json) as one file of two regions. The caller holds the global lock exclusively.

        Each new file is written beside the old one, every one of them is flushed to disk, and only then are
        they renamed into place and the old slot files removed: a crash part-way leaves each document either
        as it was or upgraded, and the next process to start finishes the job."""
        for collection in self._collections():
            folder = self._root / collection
            upgraded: list[tuple[Path, Path, Path]] = []
            for name in self._document_names(collection):
                path, companion = folder / f"{name}.json", folder / f"{name}{_OLD_SLOT_B}.json"
                raw = path.read_bytes() if path.exists() else b""
                if raw and DocumentFile(path, raw).newest() is not None:
                    companion.unlink(missing_ok=True)  # already upgraded before a crash; its old slot B is stale
                    continue
                versions = []
                for old in (raw, companion.read_bytes() if companion.exists() else b""):
                    with suppress(Unreadable):
                        if old:
                            versions.append(parse_whole_file(old))
                if not versions:
                    _log.warning("%s/%s holds no whole document; left as it is", collection, name)
                    continue
                seq, data = max(versions, key=lambda version: version[0])
                record = data[TABLE][DOC_ID_TEXT]
                temp = folder / f".{name}.json.tmp"
                temp.write_bytes(new_file(document_file.region_content(0, seq, record["key"], record["document"])))
                upgraded.append((temp, path, companion))
            if not upgraded:
                continue
            _log.info("store: upgrading %d documents in %s to one file each", len(upgraded), collection)
            os.sync()  # every new file on disk before any old one is replaced
            for temp, path, companion in upgraded:
                os.replace(temp, path)
                companion.unlink(missing_ok=True)
            fsync_folder(folder)

    def _refuse_inside_change(self, operation: str) -> None:
        if self._global_depth() or self._held_documents():
            raise StoreError(f"{operation} cannot run inside a modify() change function: it would wait for itself")

    # Backup and restore internals -------------------------------------------------------------------

    def _write_archive(self, snapshot: Path, archive: Path) -> int:
        archive.parent.mkdir(parents=True, exist_ok=True)
        temp = archive.with_name(f".{archive.name}.{os.getpid()}-{threading.get_ident()}.tmp")
        count = 0
        try:
            with open(temp, "wb") as handle:
                with tarfile.open(fileobj=handle, mode="w:gz", compresslevel=6) as tar:
                    for collection in sorted(os.listdir(snapshot)):
                        for entry in sorted(os.listdir(snapshot / collection)):
                            path = snapshot / collection / entry
                            raw = path.read_bytes()
                            try:
                                _document_of_file(raw, entry)
                            except Unreadable as error:
                                live = self._root / collection / entry
                                raise self._damaged(collection, None, live, f"{error}; no backup was written") from None
                            _add_member(tar, f"{collection}/{entry}", raw, path.stat().st_mtime)
                            count += 1
                    manifest = {"format": _BACKUP_FORMAT, "version": _BACKUP_VERSION, "documents": count}
                    _add_member(tar, _MANIFEST, json.dumps(manifest, indent=2).encode(), time.time())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, archive)
        except BaseException:
            with suppress(OSError):
                temp.unlink()
            raise
        fsync_folder(archive.parent)
        return count

    def _unpack(self, archive: Path, staging: Path) -> int:
        """Check every member of `archive` and write its documents under `staging`; StoreError on any fault."""

        def refuse(reason: str) -> StoreError:
            return StoreError(f"refusing to restore from {archive}: {reason}. Nothing was changed.")

        try:
            tar = tarfile.open(archive, mode="r:gz")  # noqa: SIM115 - closed by `with tar:` below
        except (OSError, tarfile.TarError, EOFError, zlib.error) as error:
            raise refuse(f"it is not a readable .tar.gz backup ({error})") from None
        count = 0
        manifest: object = None
        seen: set[str] = set()
        with tar:
            try:
                for member in tar:
                    problem = _member_problem(member)
                    if problem:
                        raise refuse(f"the member {member.name!r} {problem}")
                    if member.name in seen:
                        raise refuse(f"the member {member.name!r} appears twice")
                    seen.add(member.name)
                    if member.isdir():
                        continue
                    extracted = tar.extractfile(member)
                    raw = extracted.read() if extracted is not None else b""
                    if member.name == _MANIFEST:
                        try:
                            manifest = json.loads(raw)
                        except (UnicodeDecodeError, json.JSONDecodeError):
                            raise refuse("its manifest is not valid JSON") from None
                        continue
                    collection, file_name = member.name.split("/")
                    try:
                        key, document = _document_of_file(raw, file_name)
                    except Unreadable as error:
                        raise refuse(f"the member {member.name!r} is not a valid document file: {error}") from None
                    # Written by us at a path built from checked parts, never by tarfile.extract(), so no
                    # member can land outside the staging folder whatever its header says.
                    folder = staging / collection
                    folder.mkdir(mode=0o700, exist_ok=True)
                    fd = os.open(folder / file_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(new_file(document_file.region_content(0, 1, key, document)))
                        handle.flush()
                        os.fsync(handle.fileno())
                    count += 1
            except (tarfile.TarError, EOFError, zlib.error) as error:
                raise refuse(f"the archive is damaged ({error})") from None
        expected = {"format": _BACKUP_FORMAT, "version": _BACKUP_VERSION, "documents": count}
        if manifest != expected:
            if not isinstance(manifest, dict) or manifest.get("format") != _BACKUP_FORMAT:
                raise refuse("it has no manifest from this store's backup()")
            raise refuse(f"its manifest says {manifest.get('documents')!r} documents but it holds {count}")
        for folder in staging.iterdir():
            fsync_folder(folder)
        fsync_folder(staging)
        return count

    def _write_journal(self, journal: dict[str, Any]) -> None:
        path = self._root / _JOURNAL
        _write_durably(path, json.dumps(journal).encode(), path.with_name(path.name + ".tmp"))

    def _roll_forward(self, journal: dict[str, Any]) -> None:
        """Switch the staged collections in. Every step can be repeated, so a crashed restore can be finished.

        Phase 1 moves every current collection into the "old" folder; phase 2 moves every staged collection
        into the data folder. A collection left in the data folder during phase 2 is always a restored one.
        """
        staging, old = self._root / journal["staging"], self._root / journal["old"]
        if journal["phase"] == 1:
            old.mkdir(mode=0o700, exist_ok=True)
            for collection in self._collections():
                os.rename(self._root / collection, old / collection)
            fsync_folder(old)
            fsync_folder(self._root)
            journal = {**journal, "phase": 2}
            self._write_journal(journal)
        if staging.is_dir():
            for collection in sorted(os.listdir(staging)):
                if _COLLECTION.fullmatch(collection):
                    os.rename(staging / collection, self._root / collection)
        fsync_folder(self._root)
        self._start_changes_log()  # every reader's derived view must be rebuilt from the restored documents
        (self._root / _JOURNAL).unlink()
        fsync_folder(self._root)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)

    def _recover_restore(self) -> None:
        """Finish a restore a crashed process left half-done. The caller holds the global lock exclusively."""
        path = self._root / _JOURNAL
        try:
            journal = json.loads(path.read_bytes())
        except FileNotFoundError:
            return  # another process finished it first
        except (OSError, ValueError) as error:
            raise StoreError(f"an interrupted restore left {path}, which cannot be read ({error})") from None
        if not (
            isinstance(journal, dict)
            and journal.get("phase") in (1, 2)
            and all(
                isinstance(journal.get(part), str) and re.fullmatch(r"\.restore-[A-Za-z0-9_-]+", journal[part])
                for part in ("staging", "old")
            )
        ):
            raise StoreError(f"an interrupted restore left {path}, which is not a valid restore journal")
        try:
            self._roll_forward(journal)
        except OSError as error:
            raise StoreError(f"could not finish an interrupted restore recorded in {path}: {error}") from error

    def _sweep_stale_work_folders(self) -> None:
        # Work folders of a backup or restore that crashed. Only old ones: a restore may be unpacking into its
        # staging folder right now without holding the lock.
        cutoff = time.time() - _STALE_AFTER_SECONDS
        for entry in os.scandir(self._root):
            if entry.name.startswith((".backup-", ".restore-")) and entry.is_dir(follow_symlinks=False):
                with suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        shutil.rmtree(entry.path, ignore_errors=True)


def _add_member(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _member_problem(member: tarfile.TarInfo) -> str | None:
    """Why `member` may not be restored, or None if it is a safe file or folder of the store's layout."""
    name = member.name
    if member.issym() or member.islnk():
        return "is a link"
    if not (member.isfile() or member.isdir()):
        return "is not a plain file or folder"
    if name.startswith("/"):
        return "has an absolute path"
    parts = name.split("/")
    if ".." in parts:
        return "has '..' in its path"
    if "\x00" in name or "\\" in name or any(part in ("", ".") for part in parts):
        return "has an unsafe path"
    if member.isdir():
        return None if len(parts) == 1 and _COLLECTION.fullmatch(name) else "is not a collection folder"
    if name == _MANIFEST:
        return None
    if len(parts) == 2 and _COLLECTION.fullmatch(parts[0]) and _DOCUMENT_FILE.fullmatch(parts[1]):
        return None
    return "is not a document file of this store's layout"


# --- Flask wiring --------------------------------------------------------------------------------------------
# The app factory calls init_app(app); views call get_store(). Flask is imported lazily so that the store itself
# (and its tests and benchmark) does not depend on the web framework.

EXTENSION = "quality_mark.store"


STORE_FOLDER = "store"


def init_app(app: Flask) -> None:
    """Give the app its store: a TinyDBStore in DATA_DIR/store (nothing is touched on disk yet).

    The store has a folder of its own, because restore replaces every collection folder it finds: the
    outbox and uploaded evidence files beside it must never be taken for collections."""
    app.extensions[EXTENSION] = TinyDBStore(Path(app.config["DATA_DIR"]) / STORE_FOLDER)


def get_store() -> Store:
    """The current app's store, as the `Store` interface (so callers never depend on TinyDB)."""
    from flask import current_app

    return current_app.extensions[EXTENSION]


__all__ = [
    "EXTENSION",
    "ChangePosition",
    "DamagedDocument",
    "Store",
    "StoreError",
    "TinyDBStore",
    "get_store",
    "init_app",
    "replace_file",
]
