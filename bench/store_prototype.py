"""A prototype of a faster `TinyDBStore` save path, for the store benchmark only (never used by the service).

`form_service/store.py` is not changed: this subclass overrides three internals to show what a save would
cost with them, so the figures in `bench/store_saves.py` can be compared side by side on one data folder.
Every guarantee of `TinyDBStore` is kept, because everything that provides one is inherited unchanged:

* the same locks, taken in the same order (shared global lock, exclusive per-document lock, `flock` on a
  fresh descriptor per call, so threads and processes are both excluded);
* the same durable write (`_write_durably`: temporary file, fsync, `os.replace`, fsync of the folder);
* nothing cached between calls: every read and every modify reads the file again;
* the same file format, byte for byte (`check_same_bytes` proves it), the same checks on what is read
  (`_parse_database`, key check) and the same errors.

What changes:

1. `_load` and `_save` go straight to `_parse_database` / `_write_durably` instead of building a `TinyDB`,
   a `Table` and a `Storage` object per call. TinyDB's `insert` into an empty database and `get(doc_id=1)`
   are pure dict shuffling around exactly that read and write.
2. `_check_document` gets a fast path: one pass that only looks at exact built-in types (`type(x) is ...`)
   and builds no path strings. Only if it meets anything else (a tuple, an int key, a float that is not
   finite, a subclass, a nesting too deep) does it hand over to the original checker, which then raises
   the same error with the same message as today (or accepts, exactly as today).
3. The JSON encoder is built once rather than on every save (same options, so the same bytes).

Optionally (`PrototypeStore(folder, use_orjson=True)`, if the orjson package can be imported; it is not a
dependency of the project) a fourth change:

4. Documents are encoded with `orjson.dumps` (about 20 times faster than the standard library here), after
   the same document check. Whatever orjson refuses (a lone surrogate in a string, an int beyond 64 bits,
   a float subclass) falls back to the standard library's encoder, so every document that can be stored
   today still can. The bytes are the same as today's for ASCII text; other characters are written as
   UTF-8 instead of \\u escapes, which `json.loads` (and so every reader of the store) reads back to the
   same strings. Decoding stays with the standard library: `orjson.loads` turns an integer beyond 64 bits
   into a float without a word, which would change a document.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

try:
    import orjson
except ImportError:  # not a dependency of the project: the orjson variant is measured only if it is there
    orjson = None

from form_service import store as store_module
from form_service.store import TinyDBStore

_TABLE = store_module._TABLE
_DOC_ID_TEXT = str(store_module._DOC_ID)
# The options `_DurableJSONStorage.write` passes to json.dumps, built once.
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
_FAST_CHECK_DEPTH = 100  # deeper than this (or a cycle), let the original recursive checker decide


def _plain(value: Any, depth: int) -> bool:
    """True if `value` is made only of exact dict/list/str/int/bool/None and finite floats, with str keys."""
    if depth > _FAST_CHECK_DEPTH:
        return False
    if type(value) is dict:
        items = value.values()
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


def check_document(document: object) -> dict[str, Any]:
    """Same contract as `store._check_document`: the fast path accepts only what the original accepts."""
    if type(document) is dict and _plain(document, 0):
        return document  # type: ignore[return-value]
    return store_module._check_document(document)


def encode(data: dict[str, Any], use_orjson: bool) -> bytes:
    """The file's bytes for `data` (already checked by check_document)."""
    if use_orjson:
        try:
            return orjson.dumps(data)
        except TypeError:  # orjson.JSONEncodeError: whatever orjson refuses, the standard library writes
            pass
    return _ENCODER.encode(data).encode("ascii")


class PrototypeStore(TinyDBStore):
    """`TinyDBStore` with the changes above; locks, durability and format are inherited."""

    def __init__(self, data_dir: Path, *, use_orjson: bool = False) -> None:
        super().__init__(data_dir)
        if use_orjson and orjson is None:
            raise RuntimeError("orjson is not installed")
        self.use_orjson = use_orjson

    def _load(self, collection: str, key: str, path: Path) -> dict[str, Any] | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise self._damaged(collection, key, path, error.strerror or str(error)) from None
        try:
            data = store_module._parse_database(raw)
        except store_module._Unreadable as error:
            raise self._damaged(collection, key, path, str(error)) from None
        record = data[_TABLE][_DOC_ID_TEXT]  # _parse_database checked it is there, with a str key and a dict
        if record["key"] != key:
            raise self._damaged(collection, key, path, f"it holds the document for key {record['key']!r}")
        return record["document"]

    def _save(self, collection: str, key: str, path: Path, document: dict[str, Any]) -> None:
        data = {_TABLE: {_DOC_ID_TEXT: {"key": key, "document": document}}}
        serialized = encode(data, self.use_orjson)
        try:
            self._make_collection_folder(path.parent)
            store_module._write_durably(path, serialized, path.with_name(f".{path.name}.tmp"))
        except OSError as error:
            raise store_module.StoreError(
                f"could not save {collection}/{key!r} to {path}: {error.strerror or error}"
            ) from error

    # write() and modify() call the module's _check_document by name; route them through the fast path
    # without touching the module: same code as TinyDBStore's, with check_document swapped in.

    def write(self, collection: str, key: str, document: dict[str, Any]) -> None:
        path, name = self._locate(collection, key)
        check_document(document)
        with self._global(store_module.fcntl.LOCK_SH), self._document_lock(collection, name):
            self._save(collection, key, path, document)

    def modify(self, collection: str, key: str, change: Any) -> Any:
        path, name = self._locate(collection, key)
        with self._global(store_module.fcntl.LOCK_SH), self._document_lock(collection, name):
            current = self._load(collection, key, path)
            outcome = change(current)
            if not (isinstance(outcome, tuple) and len(outcome) == 2):
                raise TypeError("a modify() change function must return a pair: (new document or None, result)")
            new_document, result = outcome
            if new_document is None:
                if current is not None:
                    self._remove(collection, key, path)
            else:
                self._save(collection, key, path, check_document(new_document))
            return result


def check_same_bytes(folder: Path, document: dict[str, Any]) -> None:
    """Raise AssertionError unless the prototypes write what TinyDBStore writes and read what it reads."""
    original = TinyDBStore(folder / "original")
    original.write("probe", "probe-1", document)
    expected = (folder / "original" / "probe" / "probe-1.json").read_bytes()
    variants = [False, True] if orjson is not None else [False]
    for use_orjson in variants:
        where = folder / f"prototype-{use_orjson}"
        prototype = PrototypeStore(where, use_orjson=use_orjson)
        prototype.write("probe", "probe-1", document)
        written = (where / "probe" / "probe-1.json").read_bytes()
        assert written == expected, f"the prototype (orjson: {use_orjson}) writes other bytes than TinyDBStore"
        assert original.read("probe", "probe-1") == prototype.read("probe", "probe-1") == document
        # Documents orjson writes differently or refuses still come back equal through TinyDBStore itself.
        welsh = {"name": "Ysgol Gymraeg \u0175 \u2019 \U0001f600", "small": 1e-07, "big": 1e300, "minus": -0.0}
        refused = {"\udc80 lone": "\ud800", "big": 2**70}
        for key, odd in (("welsh", welsh), ("\udc80 refused", refused)):
            prototype.write("probe", key, odd)
            assert TinyDBStore(where).read("probe", key) == odd
    # And the checks refuse exactly what the original refuses, with the same message.
    for bad in ({"a": (1, 2)}, {"a": {1: "x"}}, {"a": [float("nan")]}, {"a": {"b": [object()]}}, ["list"]):
        errors = []
        for check in (store_module._check_document, check_document):
            try:
                check(bad)
                errors.append(None)
            except (TypeError, ValueError) as error:
                errors.append((type(error), str(error)))
        assert errors[0] == errors[1] and errors[0] is not None, (bad, errors)
