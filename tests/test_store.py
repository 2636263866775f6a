"""The document store's contract, on both engines: round trips, atomic modify, transactions, hostile names,
many threads and processes, crashes, backup and restore, migrations.

Every test that takes the `store` fixture runs on SQLite (a file in a temporary folder) and on PostgreSQL (a
throwaway server on a Unix socket, see tests/postgres.py). Real databases, real processes, no mocks.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from form_service import db
from form_service.store import DamagedDocument, SQLStore, Store, StoreError, documents, open_store

REPO_ROOT = Path(__file__).resolve().parent.parent
ENGINES = ["sqlite", "postgresql"]

HOSTILE_KEYS = [
    "../../etc/passwd",
    "..",
    ".",
    ".hidden",
    "a/b",
    "/absolute",
    "back\\slash",
    "UPPER-case",
    "école",
    " space",
    "-dash",
    "x" * 200,
    "a" * 101,
    "'; DROP TABLE documents; --",
    "percent % and underscore _",
    "emoji \U0001f600",
    "@" + "0" * 64,
]


def url_of(engine: str, tmp_path: Path, request: pytest.FixtureRequest, name: str = "data") -> str:
    """A new, empty database of `engine`."""
    if engine == "sqlite":
        return db.sqlite_url(tmp_path / name)
    server = request.getfixturevalue("postgres_server")
    url = server.create_database()
    request.addfinalizer(lambda: server.drop_database(url))
    return url


def new_store(engine: str, tmp_path: Path, request: pytest.FixtureRequest, name: str = "data") -> SQLStore:
    store = open_store(database_url=url_of(engine, tmp_path, request, name))
    request.addfinalizer(store.engine.dispose)
    return store


@pytest.fixture(params=ENGINES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SQLStore:
    return new_store(request.param, tmp_path, request)


def other_engine(store: SQLStore) -> str:
    return "postgresql" if db.is_sqlite(store.engine) else "sqlite"


def url(store: SQLStore) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def everything(store: Store, collections: tuple[str, ...] = ("schools", "reviews", "extra")) -> dict:
    """The whole visible state of the given collections, for before/after comparisons."""
    return {collection: dict(store.scan(collection)) for collection in collections}


def increment(document: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    count = (document or {}).get("count", 0) + 1
    return {"count": count}, count


# Run in child processes started with the 'spawn' context, so they must live at module level.
def _increment_many(database_url: str, times: int) -> None:
    store = open_store(database_url=database_url)
    for _ in range(times):
        store.modify("counters", "shared", increment)


def _write_many(database_url: str, worker: int, times: int) -> None:
    store = open_store(database_url=database_url)
    for index in range(times):
        store.write("schools", f"w{worker}-{index}", {"worker": worker, "index": index, "text": "é" * index})


def run_processes(target: Any, argument_lists: list[tuple]) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=target, args=arguments) for arguments in argument_lists]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0, f"a worker process failed with exit code {process.exitcode}"


# --- basic behaviour --------------------------------------------------------------------------------------


def test_write_read_delete_keys_scan_round_trip(store: SQLStore) -> None:
    assert isinstance(store, Store)
    assert store.read("schools", "urn-100") is None
    assert store.keys("schools") == []
    assert list(store.scan("schools")) == []

    documents = {
        "urn-300": {"name": "Three", "answers": [{"id": "H1.1", "rating": 3, "note": "ça va"}], "done": False},
        "urn-100": {"name": "One", "score": 1.5, "nothing": None, "nested": {"a": {"b": [1, 2, {"c": True}]}}},
        "urn-200": {},
    }
    for key, document in documents.items():
        store.write("schools", key, document)

    for key, document in documents.items():
        assert store.read("schools", key) == document
    assert store.keys("schools") == ["urn-100", "urn-200", "urn-300"]
    assert list(store.scan("schools")) == sorted(documents.items())
    assert store.keys("reviews") == []
    assert store.read_many("schools", ["urn-300", "urn-999", "urn-100", "urn-300"]) == {
        "urn-300": documents["urn-300"],
        "urn-100": documents["urn-100"],
    }
    assert store.read_many("schools", []) == {}
    assert store.read_many("reviews", ["urn-100"]) == {}

    store.write("schools", "urn-100", {"name": "One, rewritten"})
    assert store.read("schools", "urn-100") == {"name": "One, rewritten"}

    assert store.delete("schools", "urn-200") is True
    assert store.delete("schools", "urn-200") is False
    assert store.read("schools", "urn-200") is None
    assert store.keys("schools") == ["urn-100", "urn-300"]


def test_a_scan_reads_a_large_collection_in_key_order_and_lets_the_caller_write_meanwhile(store: SQLStore) -> None:
    keys = [f"urn-{number:05d}" for number in random.sample(range(1300), 1300)]
    for key in keys:
        store.write("schools", key, {"key": key})
    seen = []
    for key, document in store.scan("schools"):
        assert document == {"key": key}
        seen.append(key)
        if key == "urn-00700":
            store.delete("schools", "urn-01000")  # not reached yet: skipped
            store.write("schools", "urn-00001", {"changed": True})  # already read
    assert seen == sorted(set(keys) - {"urn-01000"})


@pytest.mark.parametrize(
    "value",
    [
        2**63 - 1,
        -(2**63),
        2**64 - 1,
        2**64,
        -(10**30),
        10**300,
        1e16,
        5e-324,
        -0.0,
        1.7976931348623157e308,
        "lone surrogate \ud800 inside text",
        'emoji \U0001f600, NUL \x00, line separator \u2028, quote " and backslash \\',
        ["\udfff", {"deeper": 2**70}],
    ],
    ids=repr,
)
def test_every_json_value_comes_back_exactly_as_written(store: SQLStore, value: Any) -> None:
    store.write("schools", "urn-1", {"value": value})
    stored = store.read("schools", "urn-1")
    assert stored == {"value": value} and repr(stored["value"]) == repr(value)  # an int stays an int, -0.0 stays
    store.modify("schools", "urn-1", lambda document: ({**document, "again": True}, None))
    assert store.read("schools", "urn-1") == {"value": value, "again": True}


def test_documents_come_back_as_independent_plain_dicts(store: SQLStore) -> None:
    document = {"answers": [1, 2]}
    store.write("schools", "urn-1", document)
    document["answers"].append(3)  # changing the caller's dict afterwards must not change what was saved
    first = store.read("schools", "urn-1")
    assert first == {"answers": [1, 2]}
    assert type(first) is dict
    first["answers"].clear()
    assert store.read("schools", "urn-1") == {"answers": [1, 2]}


@pytest.mark.parametrize(
    "document",
    [
        {"when": (2025, 9, 30)},
        {"ids": {1, 2}},
        {1: "integer key"},
        {"score": float("nan")},
        {"score": float("inf")},
        {"object": object()},
        {"deep": [{"ok": 1}, {"inside": [1, 2, (3,)]}]},
        {"deep": {"inside": {2: "int key two levels down"}}},
        {"deep": [[[float("-inf")]]]},
    ],
    ids=["tuple", "set", "int-key", "nan", "inf", "object", "nested-tuple", "nested-int-key", "nested-inf"],
)
def test_documents_that_would_not_round_trip_are_refused(store: SQLStore, document: dict) -> None:
    store.write("schools", "urn-1", {"kept": True})
    with pytest.raises((TypeError, ValueError)):
        store.write("schools", "urn-1", document)
    with pytest.raises((TypeError, ValueError)):
        store.modify("schools", "urn-1", lambda current: (document, None))
    assert store.read("schools", "urn-1") == {"kept": True}


def test_a_document_must_be_a_dict(store: SQLStore) -> None:
    with pytest.raises(TypeError, match="must be a dict"):
        store.write("schools", "urn-1", ["not", "a", "dict"])  # type: ignore[arg-type]


# --- modify and transactions ------------------------------------------------------------------------------


def test_modify_creates_changes_deletes_and_returns_the_result(store: SQLStore) -> None:
    seen: list[dict | None] = []

    def record_and_increment(document: dict | None) -> tuple[dict, int]:
        seen.append(None if document is None else dict(document))
        return increment(document)

    assert store.modify("counters", "c", record_and_increment) == 1
    assert store.modify("counters", "c", record_and_increment) == 2
    assert seen == [None, {"count": 1}]
    assert store.read("counters", "c") == {"count": 2}

    assert store.modify("counters", "c", lambda document: (None, "gone")) == "gone"
    assert store.read("counters", "c") is None
    assert store.keys("counters") == []
    # Deleting something that is not there is fine and writes nothing.
    before = rows(store, "documents")
    assert store.modify("counters", "c", lambda document: (None, document)) is None
    assert store.keys("counters") == []
    assert rows(store, "documents") == before


def test_modify_writes_nothing_when_the_change_raises(store: SQLStore) -> None:
    store.write("schools", "urn-1", {"answers": {"H1.1": 2}})
    before = rows(store, "documents")

    def change_then_fail(document: dict | None) -> tuple[dict, None]:
        assert document is not None
        document["answers"]["H1.1"] = 4  # changed in place, then the change fails
        raise RuntimeError("validation failed")

    with pytest.raises(RuntimeError, match="validation failed"):
        store.modify("schools", "urn-1", change_then_fail)
    assert store.read("schools", "urn-1") == {"answers": {"H1.1": 2}}

    with pytest.raises(RuntimeError):
        store.modify("schools", "urn-new", lambda document: (_ for _ in ()).throw(RuntimeError("no")))
    assert store.read("schools", "urn-new") is None

    with pytest.raises(TypeError, match="must return a pair"):
        store.modify("schools", "urn-1", lambda document: {"not": "a pair"})  # type: ignore[arg-type,return-value]
    assert store.read("schools", "urn-1") == {"answers": {"H1.1": 2}}
    assert rows(store, "documents") == before


def test_a_change_that_writes_its_own_document_fails_instead_of_hanging(store: SQLStore) -> None:
    store.write("schools", "urn-1", {"v": 1})

    def sneaky(document: dict | None) -> tuple[dict, None]:
        store.write("schools", "urn-1", {"v": 99})
        return {"v": 2}, None

    with pytest.raises(StoreError, match="tried to write the document it is changing"):
        store.modify("schools", "urn-1", sneaky)
    assert store.read("schools", "urn-1") == {"v": 1}

    # Reading (any document) and writing other documents inside a change is allowed.
    def reads_and_writes_others(document: dict | None) -> tuple[dict, dict | None]:
        store.write("schools", "urn-2", {"v": 2})
        return {"v": 3}, store.read("schools", "urn-1")

    assert store.modify("schools", "urn-1", reads_and_writes_others) == {"v": 1}
    assert store.read("schools", "urn-1") == {"v": 3}
    assert store.read("schools", "urn-2") == {"v": 2}
    with pytest.raises(StoreError, match="cannot run inside a modify"):
        store.modify("schools", "urn-1", lambda document: (document, store.backup(Path("never.tar.gz"))))


def test_a_transaction_of_two_modifies_that_raises_leaves_neither_changed(store: SQLStore) -> None:
    store.write("accounts", "a", {"balance": 10})
    store.write("accounts", "b", {"balance": 0})

    def move(amount: int) -> None:
        with store.transaction():
            store.modify("accounts", "a", lambda d: ({"balance": d["balance"] - amount}, None))
            store.modify("accounts", "b", lambda d: ({"balance": d["balance"] + amount}, None))
            if store.read("accounts", "a")["balance"] < 0:
                raise ValueError("not enough")

    move(4)
    assert (store.read("accounts", "a"), store.read("accounts", "b")) == ({"balance": 6}, {"balance": 4})
    with pytest.raises(ValueError, match="not enough"):
        move(7)
    assert (store.read("accounts", "a"), store.read("accounts", "b")) == ({"balance": 6}, {"balance": 4})

    # A change function that raises undoes what earlier modifies in its transaction did too.
    def fails_after_writing_another(document: dict | None) -> tuple[dict, None]:
        store.write("accounts", "c", {"balance": 1})
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        store.modify("accounts", "a", fails_after_writing_another)
    assert store.read("accounts", "c") is None


def test_a_nested_transaction_that_raises_undoes_only_its_own_changes(store: SQLStore) -> None:
    with store.transaction():
        store.write("schools", "outer", {"kept": True})
        with pytest.raises(RuntimeError), store.transaction():
            store.write("schools", "inner", {"kept": False})
            store.delete("schools", "outer")
            raise RuntimeError("inner fails")
        assert store.read("schools", "outer") == {"kept": True}
        # Not committed yet: another thread (another connection) does not see it.
        seen: list[Any] = []
        reader = threading.Thread(target=lambda: seen.append(store.read("schools", "outer")))
        reader.start()
        reader.join()
        assert seen == [None]
    assert store.keys("schools") == ["outer"]


# --- names ------------------------------------------------------------------------------------------------


def test_hostile_keys_round_trip_and_sort_by_code_point(store: SQLStore) -> None:
    for index, key in enumerate(HOSTILE_KEYS):
        store.write("schools", key, {"index": index, "key": key})
    store.write("schools", "urn-1", {"index": -1})

    for index, key in enumerate(HOSTILE_KEYS):
        assert store.read("schools", key) == {"index": index, "key": key}
    assert store.keys("schools") == sorted([*HOSTILE_KEYS, "urn-1"])
    assert [key for key, _ in store.scan("schools")] == sorted([*HOSTILE_KEYS, "urn-1"])
    assert store.read("schools", "percent _ and underscore %") is None  # no LIKE patterns anywhere

    for key in HOSTILE_KEYS:
        assert store.delete("schools", key) is True
    assert store.keys("schools") == ["urn-1"]


BAD_COLLECTIONS = ["", "A", "Schools", "1st", "a-b", "a b", "../x", "a/b", "x" * 41, "abc\n", ".locks", None, 3]
BAD_KEYS = ["", "x" * 201, None, 5, b"bytes", "nul\x00byte", "\udc80 lone surrogate"]


def nothing_stored(store: SQLStore) -> bool:
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(documents)).scalar_one() == 0


@pytest.mark.parametrize("collection", BAD_COLLECTIONS, ids=repr)
def test_invalid_collection_names_raise_value_error(store: SQLStore, collection: Any) -> None:
    calls = [
        lambda: store.read(collection, "k"),
        lambda: store.write(collection, "k", {}),
        lambda: store.modify(collection, "k", increment),
        lambda: store.delete(collection, "k"),
        lambda: store.keys(collection),
        lambda: store.scan(collection),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="collection name"):
            call()
    assert nothing_stored(store)


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_invalid_keys_raise_value_error(store: SQLStore, key: Any) -> None:
    for call in (
        lambda: store.read("schools", key),
        lambda: store.write("schools", key, {}),
        lambda: store.modify("schools", key, increment),
        lambda: store.delete("schools", key),
    ):
        with pytest.raises(ValueError, match="document key"):
            call()
    assert nothing_stored(store)


# --- concurrency ------------------------------------------------------------------------------------------


def test_increments_from_two_processes_are_never_lost(store: SQLStore) -> None:
    run_processes(_increment_many, [(url(store), 150)] * 2)
    assert store.read("counters", "shared") == {"count": 300}


def test_two_processes_writing_different_documents_all_land(store: SQLStore) -> None:
    run_processes(_write_many, [(url(store), worker, 30) for worker in range(2)])
    assert len(store.keys("schools")) == 60
    for worker in range(2):
        for index in range(30):
            assert store.read("schools", f"w{worker}-{index}") == {
                "worker": worker,
                "index": index,
                "text": "é" * index,
            }


def test_threads_increment_safely_while_readers_always_see_a_whole_document(store: SQLStore) -> None:
    store.write("counters", "shared", {"count": 0})
    stop = threading.Event()
    seen: list[int] = []

    def reader() -> None:
        while not stop.is_set():
            document = store.read("counters", "shared")
            assert document is not None and isinstance(document["count"], int)
            seen.append(document["count"])
            time.sleep(0.0005)  # let the writers have the GIL too

    reading = threading.Thread(target=reader)
    reading.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(
                pool.map(lambda _: [store.modify("counters", "shared", increment) for _ in range(50)], range(8))
            )
    finally:
        stop.set()
        reading.join()
    assert store.read("counters", "shared") == {"count": 400}
    # Every increment returned a distinct value: no two threads ever read the same version.
    assert sorted(value for values in results for value in values) == list(range(1, 401))
    assert seen and seen == sorted(seen)  # a reader never goes back in time


def test_two_threads_creating_the_same_new_document_lose_no_update(store: SQLStore) -> None:
    for round_number in range(20):
        barrier = threading.Barrier(4)

        def create(_: int, key: str = f"new-{round_number}", barrier: threading.Barrier = barrier) -> int:
            barrier.wait()
            return store.modify("counters", key, increment)

        with ThreadPoolExecutor(max_workers=4) as pool:
            assert sorted(pool.map(create, range(4))) == [1, 2, 3, 4]


# --- crashes (SQLite: the service's own file) -------------------------------------------------------------

GROWING_WRITER = """
import sys
from form_service.store import open_store

store = open_store(database_url=sys.argv[1])
key = sys.argv[2]
print("started", flush=True)
n = 0
while True:
    n += 1
    store.modify("crash", key, lambda document: ({"n": n, "items": [f"{i:06d}" + "x" * 60 for i in range(n)]}, None))
    print(n, flush=True)
"""


def start_child(code: str, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *arguments], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_kill_9_in_the_middle_of_saves_loses_no_acknowledged_save(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = new_store(engine, tmp_path, request)
    for round_number in range(8):
        key = f"doc-{round_number}"
        child = start_child(GROWING_WRITER, url(store), key)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "started"
        time.sleep(random.uniform(0.05, 0.3))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        acknowledged = [int(line) for line in child.stdout.read().split()]
        child.stdout.close()

        document = store.read("crash", key)
        if document is None:
            assert not acknowledged, "an acknowledged save was lost"
            continue
        n = document["n"]
        assert document["items"] == [f"{i:06d}" + "x" * 60 for i in range(n)]  # a whole version...
        last = max(acknowledged, default=0)
        assert last <= n <= last + 1  # ...and no older than the last save the child was told had succeeded
    assert store.keys("crash") == [key for key, _ in store.scan("crash")]
    store.write("crash", "after", {"still": "works"})
    assert store.read("crash", "after") == {"still": "works"}
    if engine == "sqlite":
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_the_sqlite_file_is_set_up_for_durable_shared_use(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = new_store("sqlite", tmp_path, request)
    path = tmp_path / "data" / db.SQLITE_FILE
    assert path.is_file() and (path.stat().st_mode & 0o777) == 0o600
    with store.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 5000}


# --- damaged rows -----------------------------------------------------------------------------------------


def test_a_damaged_row_gives_damaged_document_naming_collection_and_key(store: SQLStore, tmp_path: Path) -> None:
    store.write("schools", "urn-7", {"answers": ["a" * 100] * 10})
    with store.engine.begin() as connection:
        connection.execute(documents.update().where(documents.c.key == "urn-7").values(body='{"answers": ['))

    with pytest.raises(DamagedDocument) as caught:
        store.read("schools", "urn-7")
    message = str(caught.value)
    assert "schools" in message and "urn-7" in message and "Restore it from a backup" in message
    called = []
    with pytest.raises(DamagedDocument):
        store.modify("schools", "urn-7", lambda document: (called.append(1), ({}, None))[1])
    assert called == []
    with pytest.raises(DamagedDocument):
        list(store.scan("schools"))
    store.write("schools", "urn-7", {"repaired": True})
    assert store.read("schools", "urn-7") == {"repaired": True}


# --- backup and restore ----------------------------------------------------------------------------------


def fill(store: SQLStore) -> None:
    for index in range(5):
        store.write("schools", f"urn-{index}", {"index": index, "commentary": "Strong practice. " * index})
    store.write("schools", "../../etc/passwd", {"hostile": True, "big": 2**70, "odd": "\ud800"})
    store.write("reviews", "urn-1-2025", {"outcome": "awarded", "panel": ["A", "B"]})
    store.write("extra", "gone", {})
    store.delete("extra", "gone")


def members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive, "r:gz") as tar:
        return [(member, tar.extractfile(member).read()) for member in tar]  # type: ignore[union-attr]


def write_archive(path: Path, entries: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def file_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def rows(store: SQLStore, table: str) -> list[tuple]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2")]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_backup_taken_while_saves_go_on_restores_into_the_other_engine(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source = new_store(engine, tmp_path, request, "source")
    fill(source)
    for number in range(300):
        source.write("self_evaluations", f"9{number:05d}-2026-27", {"n": number, "text": "Provision map. " * 20})
    saved: list[int] = []
    stop = threading.Event()

    def keep_saving() -> None:
        while not stop.is_set():
            saved.append(source.modify("counters", "saves", increment))

    saver = threading.Thread(target=keep_saving)
    saver.start()
    try:
        while len(saved) < 5:
            time.sleep(0.01)
        archive = tmp_path / "backups" / "all.tar.gz"
        count = source.backup(archive)
        during = len(saved)
        while len(saved) < during + 5:
            time.sleep(0.01)  # saves carried on while (and after) the backup was taken
    finally:
        stop.set()
        saver.join()
    assert sorted(member.name for member, _ in members(archive)) == [
        "audit_entries.jsonl",
        "documents.jsonl",
        "evidence_files.jsonl",
        "manifest.json",
        "outbox.jsonl",
    ]
    manifest = json.loads(dict((m.name, raw) for m, raw in members(archive))["manifest.json"])
    assert manifest["tables"]["documents"] == count == 308
    assert manifest["format"] == "inclusion-quality-mark-database" and manifest["engine"] == engine

    target = new_store(other_engine(source), tmp_path, request, "target")
    assert target.restore(archive) == count
    restored_saves = target.read("counters", "saves")["count"]
    assert 1 <= restored_saves <= len(saved)
    source.write("counters", "saves", {"count": restored_saves})  # the one document that moved on since
    for collection in ("schools", "reviews", "extra", "self_evaluations", "counters"):
        assert dict(target.scan(collection)) == dict(source.scan(collection)), collection
    assert rows(target, "documents") == rows(source, "documents")
    assert target.read("schools", "../../etc/passwd") == {"hostile": True, "big": 2**70, "odd": "\ud800"}
    # Saves go on from there.
    target.write("schools", "urn-9", {"after": "restore"})
    assert target.read("schools", "urn-9") == {"after": "restore"}


def test_evidence_files_go_into_the_backup_whole_and_a_damaged_one_is_refused(
    store: SQLStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    files = {f"{number:032x}": random.Random(number).randbytes(50_000 * number) for number in range(1, 4)}
    files[f"{9:032x}"] = bytes(range(256))
    with store.transaction():
        store.write("evidence", "900001-2026-27", {"files": sorted(files)})
        for file_id, data in files.items():
            store.add_evidence_file(file_id, "900001", data, "2026-11-23T10:00:00+00:00")
    archive = tmp_path / "files.tar.gz"
    store.backup(archive)
    named = {member.name: data for member, data in members(archive)}
    lines = [json.loads(line) for line in named["evidence_files.jsonl"].splitlines()]
    assert [line["id"] for line in lines] == sorted(files)
    assert json.loads(named["manifest.json"])["tables"]["evidence_files"] == 4

    damaged = [dict(line) for line in lines]
    damaged[0]["bytes"] = damaged[0]["bytes"][:-8] + "AAAAAAAA"  # one file's bytes changed, its SHA-256 not
    bad = write_archive(
        tmp_path / "damaged.tar.gz",
        [
            file_member(name, b"".join(json.dumps(line).encode() + b"\n" for line in damaged))
            if name == "evidence_files.jsonl"
            else file_member(name, data)
            for name, data in named.items()
        ],
    )
    target = new_store(other_engine(store), tmp_path, request, "target")
    with pytest.raises(StoreError, match="do not match its size and SHA-256"):
        target.restore(bad)
    assert nothing_stored(target) and target.evidence_file(f"{1:032x}", "900001") is None

    assert target.restore_counted(archive) == {
        "documents": 1,
        "evidence_files": 4,
        "outbox": 0,
        "audit_entries": 0,
    }
    for file_id, data in files.items():
        assert target.evidence_file(file_id, "900001") == data
        assert target.evidence_file(file_id, "900004") is None  # only ever the school's own
    with pytest.raises(StoreError, match="already holds 1 documents"):
        target.restore(archive)


def test_restore_refuses_a_database_that_is_not_empty(store: SQLStore, tmp_path: Path) -> None:
    fill(store)
    archive = tmp_path / "backup.tar.gz"
    store.backup(archive)
    store.write("schools", "urn-current", {"current": True})
    before = everything(store)
    with pytest.raises(StoreError, match="already holds 8 documents") as caught:
        store.restore(archive)
    assert "only restored into an empty database" in str(caught.value)
    assert "Nothing was changed" in str(caught.value)
    assert everything(store) == before


def test_restore_refuses_bad_archives_and_changes_nothing(
    store: SQLStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    fill(store)
    store.backup(tmp_path / "good.tar.gz")
    good = members(tmp_path / "good.tar.gz")
    named = {member.name: data for member, data in good}
    empty = new_store(other_engine(store), tmp_path, request, "empty")

    def replaced(name: str, data: bytes) -> list[tuple[tarfile.TarInfo, bytes]]:
        return [file_member(n, data if n == name else raw) for n, raw in named.items()]

    documents_lines = named["documents.jsonl"].splitlines(keepends=True)
    symlink = tarfile.TarInfo("documents.jsonl")
    symlink.type, symlink.linkname = tarfile.SYMTYPE, "/etc/passwd"
    bad_archives = {
        "extra member": [*good, file_member("../evil.json", b"{}")],
        "symlink": [(symlink, b""), *[(m, d) for m, d in good if m.name != "documents.jsonl"]],
        "no manifest": [(m, d) for m, d in good if m.name != "manifest.json"],
        "invalid json row": replaced("documents.jsonl", named["documents.jsonl"] + b'{"collection": \n'),
        "bad collection": replaced("documents.jsonl", documents_lines[0].replace(b'"schools"', b'"Schools"')),
        "body not a document": replaced("documents.jsonl", documents_lines[0].replace(b'"body":"{', b'"body":"[{')),
        "same row twice": replaced("documents.jsonl", named["documents.jsonl"] + documents_lines[0]),
        "count mismatch": replaced("documents.jsonl", b"".join(documents_lines[1:])),
        "other format": replaced("manifest.json", named["manifest.json"].replace(b"database", b"files")),
    }
    for name, entries in bad_archives.items():
        archive = write_archive(tmp_path / f"{name}.tar.gz", entries)
        with pytest.raises(StoreError, match="refusing to restore") as caught:
            empty.restore(archive)
        assert str(archive) in str(caught.value), name
        assert "Nothing was changed" in str(caught.value), name
        assert nothing_stored(empty), name
    (tmp_path / "not-a-tar.tar.gz").write_bytes(b"this is not an archive")
    with pytest.raises(StoreError, match="not a readable"):
        empty.restore(tmp_path / "not-a-tar.tar.gz")
    assert not (tmp_path / "evil.json").exists()
    assert empty.restore(tmp_path / "good.tar.gz") == 7  # and the good one still restores


# --- schema --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_migrations_go_from_nothing_to_the_newest_schema_and_back(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    database = db.create(url_of(engine, tmp_path, request))
    request.addfinalizer(database.dispose)
    assert db.current_revision(database) is None
    db.upgrade(database)
    assert db.current_revision(database) == db.head_revision() == "0008"
    tables = set(sa.inspect(database).get_table_names())
    assert {"documents", "writer_lock", "outbox", "audit_entries", "evidence_files", "school_summaries"} <= tables
    assert not {"deleted_documents", "store_state"} & tables
    if database.dialect.name == "postgresql":  # bodies compressed with lz4, which Debian's PostgreSQL has
        compression = "SELECT attcompression FROM pg_attribute WHERE attrelid = 'documents'::regclass AND attname = :a"
        with database.connect() as connection:
            assert connection.execute(sa.text(compression), {"a": "body"}).scalar() == "l"
    assert [column["name"] for column in sa.inspect(database).get_columns("documents")] == [
        "collection",
        "key",
        "body",
        "expires_at",
    ]
    store = SQLStore(database)
    store.write("schools", "900001", {"name": "Oakfield"})
    db.upgrade(database)  # again: nothing to do, nothing lost
    assert store.read("schools", "900001") == {"name": "Oakfield"}
    db.downgrade(database, "base")
    assert not {"documents", "writer_lock", "outbox"} & set(sa.inspect(database).get_table_names())
    db.upgrade(database)
    assert SQLStore(database).keys("schools") == []


def test_several_processes_starting_at_once_migrate_the_database_once(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    for engine in ENGINES:
        target = url_of(engine, tmp_path, request, f"race-{engine}")
        code = "import sys; from form_service.store import open_store; open_store(database_url=sys.argv[1]).ping()"
        children = [subprocess.Popen([sys.executable, "-c", code, target], cwd=REPO_ROOT) for _ in range(3)]
        assert [child.wait(timeout=60) for child in children] == [0, 0, 0], engine
        assert open_store(database_url=target).ping() is True


def test_ping(store: SQLStore, tmp_path: Path) -> None:
    assert store.ping() is True
    (tmp_path / "a-file").write_text("not a folder")
    unreachable = SQLStore(db.create(db.sqlite_url(tmp_path / "a-file" / "data")))
    assert unreachable.ping() is False
    with pytest.raises(StoreError, match="cannot open the database"):
        unreachable.read("schools", "x")
    nowhere = SQLStore(db.create(f"postgresql://postgres@/none?host={tmp_path / 'no-server'}"))
    assert nowhere.ping() is False


def test_ping_is_false_for_a_database_that_takes_no_writes(tmp_path: Path, postgres_url: str) -> None:
    store = open_store(database_url=postgres_url)
    assert store.ping() is True
    name = sa.make_url(postgres_url).database
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    store.engine.dispose()  # new connections are read-only, as on a standby server
    assert store.read("schools", "x") is None  # it can be read...
    assert store.ping() is False  # ...but not written
    store.engine.dispose()


def test_the_database_url_chooses_the_engine(tmp_path: Path) -> None:
    assert db.database_url({"DATA_DIR": tmp_path}) == f"sqlite:///{tmp_path / db.SQLITE_FILE}"
    for given in ("postgresql://u:p@db.example.org/qm", "postgres://u:p@db.example.org/qm"):
        assert db.database_url({"DATA_DIR": tmp_path, "DATABASE_URL": given}) == (
            "postgresql+psycopg://u:p@db.example.org/qm"
        )


def test_the_db_upgrade_command_brings_the_database_to_the_newest_schema(tmp_path: Path) -> None:
    from form_service import create_app
    from form_service.config import TestConfig
    from form_service.store import get_store

    app = create_app(TestConfig, {"DATA_DIR": tmp_path / "data", "CONTENT_ROOT": REPO_ROOT, "SITE_DIR": tmp_path})
    with app.app_context():
        db.downgrade(get_store().engine, "base")
        assert db.current_revision(get_store().engine) is None

    upgraded = app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert upgraded.exit_code == 0, upgraded.output
    assert "The database is at schema 0008, the newest." in upgraded.output
    with app.app_context():
        assert db.current_revision(get_store().engine) == "0008"
        get_store().write("schools", "900001", {"name": "Oakfield"})
        assert get_store().read("schools", "900001") == {"name": "Oakfield"}


def test_the_service_runs_on_postgresql_when_database_url_names_one(tmp_path: Path, postgres_url: str) -> None:
    from form_service import accounts, create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig
    from form_service.store import get_store

    address = postgres_url.replace("postgresql+psycopg://", "postgresql://")  # as an operator writes it
    settings = {"DATA_DIR": tmp_path / "data", "CONTENT_ROOT": REPO_ROOT, "SITE_DIR": tmp_path, "DATABASE_URL": address}
    app = create_app(TestConfig, settings)
    with app.app_context():
        assert seed_demo(app) is True
        store = get_store()
        assert store.engine.dialect.name == "postgresql"
        assert accounts.find_user_by_email(store, "la.admin@example.org") is not None

    health = app.test_client().get("/healthz")

    assert health.status_code == 200 and health.json["store"] == "ok"
    assert not (tmp_path / "data" / db.SQLITE_FILE).exists()
    with app.app_context():
        get_store().engine.dispose()


def test_reads_and_saves_carry_on_when_postgresql_restarts_under_the_pool() -> None:
    """Pooled connections die with the server (a crash, a fail-over). Nothing pings them before each use, so
    the first read and the first save afterwards each meet a dead one: each is tried once more on a new
    connection and succeeds, and nothing is lost."""
    from tests.postgres import Server

    server = Server()
    try:
        url = server.create_database()
        store = open_store(database_url=url)
        store.write("things", "a", {"n": 1})
        with ThreadPoolExecutor(4) as pool:  # several connections in the pool, all idle afterwards
            assert list(pool.map(lambda _: store.read("things", "a"), range(8))) == [{"n": 1}] * 8
        server.restart()
        assert store.read("things", "a") == {"n": 1}
        server.restart()
        store.modify("things", "a", lambda document: ({"n": document["n"] + 1}, None))
        server.restart()
        store.write("things", "b", {"n": 3})
        assert store.read("things", "a") == {"n": 2}
        assert store.keys("things") == ["a", "b"]
        store.engine.dispose()
    finally:
        server.stop()
