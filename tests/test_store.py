"""The document store: round trips, atomic modify, hostile names, many processes, crashes, backup and restore.

Everything here uses real files, real locks and real processes (no mocks): the properties under test
(durability, cross-process safety, crash safety) only exist in the real thing.
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
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from tinydb import TinyDB

from form_service import store as store_module
from form_service.store import DamagedDocument, Store, StoreError, TinyDBStore

REPO_ROOT = Path(__file__).resolve().parent.parent

HOSTILE_KEYS = [
    "../../etc/passwd",
    "..",
    ".",
    ".hidden",
    "a/b",
    "/absolute",
    "nul\x00byte",
    "back\\slash",
    "UPPER-case",
    "école",
    " space",
    "-dash",
    "x" * 200,
    "a" * 101,
    "\udc80 lone surrogate",
    "@" + "0" * 64,
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> TinyDBStore:
    return TinyDBStore(data_dir)


def everything(store: TinyDBStore, collections: tuple[str, ...] = ("schools", "reviews", "extra")) -> dict:
    """The whole visible state of the given collections, for before/after comparisons."""
    return {collection: dict(store.scan(collection)) for collection in collections}


def increment(document: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    count = (document or {}).get("count", 0) + 1
    return {"count": count}, count


# Run in child processes started with the 'spawn' context, so they must live at module level.
def _increment_many(data_dir: str, times: int) -> None:
    store = TinyDBStore(Path(data_dir))
    for _ in range(times):
        store.modify("counters", "shared", increment)


def _write_many(data_dir: str, worker: int, times: int) -> None:
    store = TinyDBStore(Path(data_dir))
    for index in range(times):
        store.write("schools", f"w{worker}-{index}", {"worker": worker, "index": index, "text": "é" * index})


def run_processes(target: Any, argument_lists: list[tuple]) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=target, args=arguments) for arguments in argument_lists]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0, f"a worker process failed with exit code {process.exitcode}"


# --- basic behaviour --------------------------------------------------------------------------------------


def test_write_read_delete_keys_scan_round_trip(store: TinyDBStore) -> None:
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

    store.write("schools", "urn-100", {"name": "One, rewritten"})
    assert store.read("schools", "urn-100") == {"name": "One, rewritten"}

    assert store.delete("schools", "urn-200") is True
    assert store.delete("schools", "urn-200") is False
    assert store.read("schools", "urn-200") is None
    assert store.keys("schools") == ["urn-100", "urn-300"]


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
def test_every_json_value_comes_back_exactly_as_written(store: TinyDBStore, value: Any) -> None:
    store.write("schools", "urn-1", {"value": value})
    stored = store.read("schools", "urn-1")
    assert stored == {"value": value} and repr(stored["value"]) == repr(value)  # an int stays an int, -0.0 stays
    store.modify("schools", "urn-1", lambda document: ({**document, "again": True}, None))
    assert store.read("schools", "urn-1") == {"value": value, "again": True}


def test_documents_come_back_as_independent_plain_dicts(store: TinyDBStore) -> None:
    document = {"answers": [1, 2]}
    store.write("schools", "urn-1", document)
    document["answers"].append(3)  # changing the caller's dict afterwards must not change what was saved
    first = store.read("schools", "urn-1")
    assert first == {"answers": [1, 2]}
    assert type(first) is dict
    first["answers"].clear()
    assert store.read("schools", "urn-1") == {"answers": [1, 2]}


def test_plain_keys_are_readable_file_names(store: TinyDBStore, data_dir: Path) -> None:
    store.write("schools", "urn-123456-2025", {"a": 1})
    assert (data_dir / "schools" / "urn-123456-2025.json").is_file()
    # Each of the file's two halves is readable JSON: a header, then the TinyDB data with the key inside it.
    saved = json.loads(regions(data_dir / "schools" / "urn-123456-2025.json")[0])
    assert saved.pop("document") == {"1": {"key": "urn-123456-2025", "document": {"a": 1}}}
    assert saved["seq"] == "00000000000000000001" and set(saved) == {"slot", "seq", "length", "crc"}


def regions(path: Path) -> tuple[bytes, bytes]:
    """The two halves of a document file."""
    raw = path.read_bytes()
    return raw[: len(raw) // 2], raw[len(raw) // 2 :]


def test_tinydb_itself_reads_every_copy_the_store_writes_and_every_backed_up_file(
    store: TinyDBStore, data_dir: Path, tmp_path: Path
) -> None:
    document = {"answers": {"PRI-LEAD-01": {"rating": 3, "commentary": "Ysgol \u0175 \u2019 \U0001f600"}}, "n": 1.5}
    store.write("self_evaluations", "900001-2026-27", {"earlier": True})
    store.write("self_evaluations", "900001-2026-27", document)
    expected = [{"key": "900001-2026-27", "document": version} for version in ({"earlier": True}, document)]
    for index, region in enumerate(regions(data_dir / "self_evaluations" / "900001-2026-27.json")):
        (tmp_path / f"region-{index}.json").write_bytes(region)
        with TinyDB(tmp_path / f"region-{index}.json") as database:
            assert database.table("document").get(doc_id=1) == expected[index]
    store.backup(tmp_path / "backup.tar.gz")
    (member,) = [raw for info, raw in members(tmp_path / "backup.tar.gz") if info.name != "manifest.json"]
    (tmp_path / "member.json").write_bytes(member)
    with TinyDB(tmp_path / "member.json") as database:
        assert database.table("document").get(doc_id=1) == expected[1]


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
def test_documents_that_would_not_round_trip_are_refused(store: TinyDBStore, document: dict) -> None:
    store.write("schools", "urn-1", {"kept": True})
    with pytest.raises((TypeError, ValueError)):
        store.write("schools", "urn-1", document)
    with pytest.raises((TypeError, ValueError)):
        store.modify("schools", "urn-1", lambda current: (document, None))
    assert store.read("schools", "urn-1") == {"kept": True}


def test_a_document_must_be_a_dict(store: TinyDBStore) -> None:
    with pytest.raises(TypeError, match="must be a dict"):
        store.write("schools", "urn-1", ["not", "a", "dict"])  # type: ignore[arg-type]


# --- modify -----------------------------------------------------------------------------------------------


def test_modify_creates_changes_deletes_and_returns_the_result(store: TinyDBStore) -> None:
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
    assert store.modify("counters", "c", lambda document: (None, document)) is None
    assert store.keys("counters") == []


def test_modify_writes_nothing_when_the_change_raises(store: TinyDBStore, data_dir: Path) -> None:
    store.write("schools", "urn-1", {"answers": {"H1.1": 2}})
    before = (data_dir / "schools" / "urn-1.json").read_bytes()

    def change_then_fail(document: dict | None) -> tuple[dict, None]:
        assert document is not None
        document["answers"]["H1.1"] = 4  # changed in place, then the change fails
        raise RuntimeError("validation failed")

    with pytest.raises(RuntimeError, match="validation failed"):
        store.modify("schools", "urn-1", change_then_fail)
    assert store.read("schools", "urn-1") == {"answers": {"H1.1": 2}}
    assert (data_dir / "schools" / "urn-1.json").read_bytes() == before

    with pytest.raises(RuntimeError):
        store.modify("schools", "urn-new", lambda document: (_ for _ in ()).throw(RuntimeError("no")))
    assert store.read("schools", "urn-new") is None

    with pytest.raises(TypeError, match="must return a pair"):
        store.modify("schools", "urn-1", lambda document: {"not": "a pair"})  # type: ignore[arg-type,return-value]
    assert store.read("schools", "urn-1") == {"answers": {"H1.1": 2}}


def test_a_change_that_writes_its_own_document_fails_instead_of_hanging(store: TinyDBStore) -> None:
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
    with pytest.raises(StoreError, match="cannot run inside a modify"):
        store.modify("schools", "urn-1", lambda document: (document, store.backup(Path("never.tar.gz"))))


# --- names ------------------------------------------------------------------------------------------------


def test_hostile_keys_round_trip_and_stay_inside_the_data_folder(store: TinyDBStore, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    for index, key in enumerate(HOSTILE_KEYS):
        store.write("schools", key, {"index": index, "key": key})
    store.write("schools", "urn-1", {"index": -1})

    for index, key in enumerate(HOSTILE_KEYS):
        assert store.read("schools", key) == {"index": index, "key": key}
    assert store.keys("schools") == sorted([*HOSTILE_KEYS, "urn-1"])
    assert [key for key, _ in store.scan("schools")] == sorted([*HOSTILE_KEYS, "urn-1"])

    # Nothing was created outside the data folder, and every file in it is one of the store's own names.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data"]
    for path in data_dir.rglob("*"):
        assert path.resolve().is_relative_to(data_dir.resolve())
        assert "\x00" not in path.name and "\\" not in path.name and path.name not in (".", "..")
    document_files = sorted(path.name for path in (data_dir / "schools").iterdir())
    assert len(document_files) == len(HOSTILE_KEYS) + 1
    assert all(name == "urn-1.json" or (name.startswith("@") and len(name) == 70) for name in document_files)

    for key in HOSTILE_KEYS:
        assert store.delete("schools", key) is True
    assert store.keys("schools") == ["urn-1"]


BAD_COLLECTIONS = ["", "A", "Schools", "1st", "a-b", "a b", "../x", "a/b", "x" * 41, "abc\n", ".locks", None, 3]
BAD_KEYS = ["", "x" * 201, None, 5, b"bytes"]


@pytest.mark.parametrize("collection", BAD_COLLECTIONS, ids=repr)
def test_invalid_collection_names_raise_value_error(store: TinyDBStore, tmp_path: Path, collection: Any) -> None:
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
    assert list(tmp_path.iterdir()) == []  # refused before anything touched the disk


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_invalid_keys_raise_value_error(store: TinyDBStore, tmp_path: Path, key: Any) -> None:
    for call in (
        lambda: store.read("schools", key),
        lambda: store.write("schools", key, {}),
        lambda: store.modify("schools", key, increment),
        lambda: store.delete("schools", key),
    ):
        with pytest.raises(ValueError, match="document key"):
            call()
    assert list(tmp_path.iterdir()) == []


# --- concurrency ------------------------------------------------------------------------------------------


def test_increments_from_four_processes_are_never_lost(store: TinyDBStore, data_dir: Path) -> None:
    run_processes(_increment_many, [(str(data_dir), 200)] * 4)
    assert store.read("counters", "shared") == {"count": 800}


def test_four_processes_writing_different_documents_all_land(store: TinyDBStore, data_dir: Path) -> None:
    run_processes(_write_many, [(str(data_dir), worker, 50) for worker in range(4)])
    keys = store.keys("schools")
    assert len(keys) == 200
    for worker in range(4):
        for index in range(50):
            assert store.read("schools", f"w{worker}-{index}") == {
                "worker": worker,
                "index": index,
                "text": "é" * index,
            }


def test_threads_increment_safely_while_readers_always_see_a_whole_document(store: TinyDBStore) -> None:
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


# --- crashes ----------------------------------------------------------------------------------------------

GROWING_WRITER = """
import sys
from pathlib import Path
from form_service.store import TinyDBStore

store = TinyDBStore(Path(sys.argv[1]))
key = sys.argv[2]
print("started", flush=True)
n = 0
while True:
    n += 1
    store.write("crash", key, {"n": n, "items": [f"{i:06d}" + "x" * 60 for i in range(n)]})
    print(n, flush=True)
"""

ACKNOWLEDGED_WRITER = """
import sys, time
from pathlib import Path
from form_service.store import TinyDBStore

TinyDBStore(Path(sys.argv[1])).write("crash", "acknowledged", {"value": sys.argv[2]})
print("ok", flush=True)
time.sleep(60)
"""


def start_child(code: str, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *arguments], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


def test_kill_9_in_the_middle_of_writes_leaves_a_whole_acknowledged_version(store: TinyDBStore, data_dir: Path) -> None:
    for round_number in range(20):
        key = f"doc-{round_number}"
        child = start_child(GROWING_WRITER, str(data_dir), key)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "started"
        time.sleep(random.uniform(0.0, 0.12))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        acknowledged = [int(line) for line in child.stdout.read().split()]
        child.stdout.close()

        document = store.read("crash", key)
        if document is None:
            assert not acknowledged, "an acknowledged write was lost"
            continue
        n = document["n"]
        # A complete version: exactly the n items that version n was written with...
        assert document["items"] == [f"{i:06d}" + "x" * 60 for i in range(n)]
        # ...and no older than the last write the child was told had succeeded.
        last = max(acknowledged, default=0)
        assert last <= n <= last + 1
    # Temporary files left by the kills are not documents, and listing the collection clears them away.
    assert all(key.startswith("doc-") for key in store.keys("crash"))
    assert store.keys("crash") == [key for key, _ in store.scan("crash")]
    assert not [path.name for path in (data_dir / "crash").iterdir() if path.name.endswith(".tmp")]


def test_an_acknowledged_write_survives_kill_9(store: TinyDBStore, data_dir: Path) -> None:
    token = f"value-{random.random()}"
    child = start_child(ACKNOWLEDGED_WRITER, str(data_dir), token)
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "ok"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert store.read("crash", "acknowledged") == {"value": token}


# --- one file, two regions: saves in place, torn writes, earlier layouts -----------------------------------


def document_file(data_dir: Path, key: str) -> Path:
    return data_dir / "schools" / f"{key}.json"


def bytes_of_next_save(data_dir: Path, tmp_path: Path, key: str, document: dict) -> tuple[int, bytes, bytes]:
    """The first byte a save of `document` would change in the key's file, the file before, and after: found
    by making the save on a copy of the data folder."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    TinyDBStore(copy).write("schools", key, document)
    before, after = document_file(data_dir, key).read_bytes(), document_file(copy, key).read_bytes()
    assert len(before) == len(after)
    start = next(index for index in range(len(before)) if before[index] != after[index])
    return start, before, after


def test_saves_overwrite_the_older_region_in_place(store: TinyDBStore, data_dir: Path) -> None:
    store.write("schools", "urn-1", {"v": 0, "text": "x" * 5000})
    path = document_file(data_dir, "urn-1")
    inode, size = path.stat().st_ino, path.stat().st_size
    for version in range(1, 12):
        store.modify("schools", "urn-1", lambda document, v=version: ({**document, "v": v}, None))
    # Same file, same size: no rename and no new file, however many saves.
    assert (path.stat().st_ino, path.stat().st_size) == (inode, size)
    assert store.read("schools", "urn-1") == {"v": 11, "text": "x" * 5000}
    # The newest version is in one region, the one before it in the other.
    held = sorted(json.loads(region)["document"]["1"]["document"]["v"] for region in regions(path))
    assert held == [10, 11]
    assert store.keys("schools") == ["urn-1"]
    assert [entry.name for entry in (data_dir / "schools").iterdir()] == ["urn-1.json"]


@pytest.mark.parametrize("saves_before", [2, 3], ids=["tearing-region-0", "tearing-region-1"])
def test_a_power_cut_part_way_through_a_save_leaves_the_last_acknowledged_version(
    store: TinyDBStore, data_dir: Path, tmp_path: Path, saves_before: int
) -> None:
    for version in range(saves_before):
        store.write("schools", "urn-1", {"v": version, "text": f"version {version} " * 300})
    acknowledged = store.read("schools", "urn-1")
    first_change, original, saved = bytes_of_next_save(data_dir, tmp_path, "urn-1", {"v": 99, "text": "new " * 900})
    half = len(original) // 2
    start = first_change // half * half  # the region the save writes: the one not holding the newest version
    assert start == (0 if saves_before == 2 else half)
    path = document_file(data_dir, "urn-1")
    # A torn write: the first `cut` bytes of the region are new, the rest is what it held before (or zeros).
    # Only cuts inside the new document itself: past its end, only padding is missing and the save is whole.
    written = len(saved[start : start + half].rstrip())
    cuts = {0, 1, 40, 62, 63, 64, 80, 512, 4096, written - 1, *range(100, written, 377)}
    cuts = sorted(cut for cut in cuts if cut < written)
    assert len(cuts) > 10
    for cut in cuts:
        for rest in (original[start + cut :], b"\x00" * (half - cut) + original[start + half :]):
            path.write_bytes(original[:start] + saved[start : start + cut] + rest)
            assert store.read("schools", "urn-1") == acknowledged, f"torn at byte {cut}"
    # The next save goes into the torn region and repairs it; the acknowledged version is only then replaced.
    store.write("schools", "urn-1", {"v": 100})
    assert store.read("schools", "urn-1") == {"v": 100}
    store.write("schools", "urn-1", {"v": 101})
    assert store.read("schools", "urn-1") == {"v": 101}


def test_a_document_that_outgrows_its_regions_is_saved_whole(store: TinyDBStore, data_dir: Path) -> None:
    for size in (10, 5_000, 50, 200_000, 100, 1_000_000):
        store.write("schools", "urn-1", {"text": "y" * size})
        assert store.read("schools", "urn-1") == {"text": "y" * size}
    assert document_file(data_dir, "urn-1").stat().st_size >= 2_000_000


def old_slot(seq: int, key: str, document: dict) -> bytes:
    """A slot file of the store's earlier two-file layout: header, TinyDB data, padding."""
    body = json.dumps({"document": {"1": {"key": key, "document": document}}}, separators=(",", ":")).encode()[1:]
    numbers = b"%020d%010d" % (seq, len(body))
    crc = zlib.crc32(body, zlib.crc32(numbers))
    header = b'{"seq":"%s","length":"%s","crc":"%08x",' % (numbers[:20], numbers[20:], crc)
    return header + body + b" " * 2048


def test_a_data_folder_in_an_earlier_layout_is_upgraded_once_before_anything_reads_it(tmp_path: Path) -> None:
    folder = tmp_path / "old" / "schools"
    folder.mkdir(parents=True)
    plain = {"document": {"1": {"key": "urn-5", "document": {"first store": True}}}}
    (folder / "urn-5.json").write_text(json.dumps(plain))  # the first store: plain TinyDB files
    (folder / "urn-6.json").write_bytes(old_slot(4, "urn-6", {"v": 4}))  # two slot files, B newer
    (folder / "urn-6~.json").write_bytes(old_slot(5, "urn-6", {"v": 5}))
    (folder / "urn-7.json").write_bytes(old_slot(9, "urn-7", {"v": 9}))  # A newer, B torn
    (folder / "urn-7~.json").write_bytes(old_slot(10, "urn-7", {"v": 10})[:50])
    (folder / "urn-8.json").write_bytes(old_slot(1, "urn-8", {"v": 1}))  # saved once: slot A only
    store = TinyDBStore(tmp_path / "old")

    assert store.read("schools", "urn-6") == {"v": 5}
    assert store.keys("schools") == ["urn-5", "urn-6", "urn-7", "urn-8"]
    assert dict(store.scan("schools")) == {
        "urn-5": {"first store": True},
        "urn-6": {"v": 5},
        "urn-7": {"v": 9},
        "urn-8": {"v": 1},
    }
    assert sorted(entry.name for entry in folder.iterdir()) == [f"urn-{n}.json" for n in (5, 6, 7, 8)]
    assert (tmp_path / "old" / ".layout").read_text() == "2\n"
    # The sequence carries on from the old slots, and saves are in place from now on.
    store.modify("schools", "urn-6", lambda document: ({**document, "v": 6}, None))
    assert json.loads(regions(folder / "urn-6.json")[1])["seq"] == "00000000000000000006"

    # An upgrade cut short after renaming one file (its old slot B still there) is finished, not redone.
    (folder / "urn-6~.json").write_bytes(old_slot(5, "urn-6", {"v": 5}))
    (tmp_path / "old" / ".layout").unlink()
    again = TinyDBStore(tmp_path / "old")
    assert again.read("schools", "urn-6") == {"v": 6}
    assert not (folder / "urn-6~.json").exists()


def test_a_deleted_document_never_comes_back_in_an_older_version(store: TinyDBStore, data_dir: Path) -> None:
    for version in range(3):
        store.write("schools", "urn-1", {"v": version})
    assert store.delete("schools", "urn-1") is True
    assert not document_file(data_dir, "urn-1").exists()
    assert store.read("schools", "urn-1") is None and store.keys("schools") == []


def test_both_regions_damaged_is_a_damaged_document(store: TinyDBStore, data_dir: Path) -> None:
    for version in range(2):
        store.write("schools", "urn-1", {"v": version})
    path = document_file(data_dir, "urn-1")
    path.write_bytes(b"\x01" * path.stat().st_size)
    with pytest.raises(DamagedDocument, match="urn-1"):
        store.read("schools", "urn-1")
    store.write("schools", "urn-1", {"v": "again"})
    assert store.read("schools", "urn-1") == {"v": "again"}


# --- damaged files and leftovers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw.rstrip()) // 2],
        lambda raw: b"\x00\xff\xfe garbage \x00",
        lambda raw: b"",
        lambda raw: b"[1, 2, 3]",
        lambda raw: b'{"_default": {"1": {"a": 1}}}',
    ],
    ids=["truncated", "garbage", "empty", "wrong-json", "foreign-tinydb"],
)
def test_a_damaged_file_gives_damaged_document_naming_collection_key_and_path(
    store: TinyDBStore, data_dir: Path, damage: Any
) -> None:
    store.write("schools", "urn-7", {"answers": ["a" * 100] * 10})
    path = data_dir / "schools" / "urn-7.json"
    damaged = damage(path.read_bytes())
    path.write_bytes(damaged)

    with pytest.raises(DamagedDocument) as caught:
        store.read("schools", "urn-7")
    message = str(caught.value)
    assert str(path) in message and "schools" in message and "urn-7" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no json traceback attached

    called = []
    with pytest.raises(DamagedDocument):
        store.modify("schools", "urn-7", lambda document: (called.append(1), ({}, None))[1])
    assert called == [] and path.read_bytes() == damaged
    with pytest.raises(DamagedDocument):
        list(store.scan("schools"))
    with pytest.raises(DamagedDocument):
        store.backup(data_dir.parent / "backup.tar.gz")
    assert not (data_dir.parent / "backup.tar.gz").exists()

    # Writing the document again repairs it.
    store.write("schools", "urn-7", {"repaired": True})
    assert store.read("schools", "urn-7") == {"repaired": True}


def test_a_damaged_file_under_a_hashed_name_is_reported_by_keys(store: TinyDBStore, data_dir: Path) -> None:
    store.write("schools", "Needs Hashing", {"a": 1})
    (path,) = (data_dir / "schools").iterdir()
    path.write_bytes(b'{"document": {"1": {"key": "Needs Ha')
    with pytest.raises(DamagedDocument, match=str(path)):
        store.keys("schools")


def test_leftover_temporary_files_are_ignored_and_cleaned_up(store: TinyDBStore, data_dir: Path) -> None:
    store.write("schools", "urn-1", {"v": 1})
    store.write("schools", "Hashed Key", {"v": 2})
    folder = data_dir / "schools"
    hashed = next(path.name for path in folder.iterdir() if path.name.startswith("@"))
    leftovers = [folder / ".urn-1.json.tmp", folder / f".{hashed}.tmp", folder / ".urn-9.json.tmp"]
    for leftover in leftovers:
        leftover.write_bytes(b'{"document": {"1": {"key": "half a wri')
    (folder / "notes.txt").write_text("not a document")

    assert store.keys("schools") == ["Hashed Key", "urn-1"]
    assert list(store.scan("schools")) == [("Hashed Key", {"v": 2}), ("urn-1", {"v": 1})]
    assert not any(leftover.exists() for leftover in leftovers)
    assert (folder / "notes.txt").exists()  # files that are not the store's own are left alone

    # A temporary file whose document is locked may belong to a write in progress: it is left alone.
    def change(document: dict | None) -> tuple[dict | None, bool]:
        (folder / ".urn-1.json.tmp").write_bytes(b"in progress")
        store.keys("schools")
        return document, (folder / ".urn-1.json.tmp").exists()

    assert store.modify("schools", "urn-1", change) is True
    store.write("schools", "urn-1", {"v": 3})
    assert store.read("schools", "urn-1") == {"v": 3}
    assert store.keys("schools") == ["Hashed Key", "urn-1"]
    assert not (folder / ".urn-1.json.tmp").exists()


# --- backup and restore ----------------------------------------------------------------------------------


def fill(store: TinyDBStore) -> None:
    for index in range(5):
        store.write("schools", f"urn-{index}", {"index": index, "commentary": "Strong practice. " * index})
    store.write("schools", "../../etc/passwd", {"hostile": True})
    store.write("reviews", "urn-1-2025", {"outcome": "awarded", "panel": ["A", "B"]})


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


def link_member(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, b""


def test_backup_then_restore_brings_back_the_exact_earlier_state(store: TinyDBStore, tmp_path: Path) -> None:
    fill(store)
    before = everything(store)
    archive = tmp_path / "backups" / "store.tar.gz"
    assert store.backup(archive) == 7
    assert sorted(member.name for member, _ in members(archive))[-1] == "schools/urn-4.json"

    store.modify("schools", "urn-1", lambda document: ({**(document or {}), "changed": True}, None))
    store.delete("schools", "urn-2")
    store.delete("reviews", "urn-1-2025")
    store.write("schools", "urn-new", {"new": True})
    store.write("extra", "only-after", {"x": 1})
    assert everything(store) != before

    assert store.restore(archive) == 7
    assert everything(store) == before
    assert store.keys("extra") == []
    assert not [path.name for path in (tmp_path / "data").iterdir() if path.name.startswith((".restore", ".backup"))]
    # The restored store works as usual, and another store object on the same folder agrees.
    store.write("schools", "urn-9", {"after": "restore"})
    assert TinyDBStore(tmp_path / "data").read("schools", "urn-9") == {"after": "restore"}


def test_backups_made_by_earlier_layouts_restore(store: TinyDBStore, tmp_path: Path) -> None:
    plain = json.dumps({"document": {"1": {"key": "urn-1", "document": {"first": "store"}}}}).encode()
    with_header = old_slot(7, "urn-2", {"two": "slot files"}).rstrip()  # how that layout's backups held a file
    manifest = json.dumps({"format": "inclusion-quality-mark-store", "version": 1, "documents": 2}).encode()
    archive = write_archive(
        tmp_path / "old.tar.gz",
        [
            file_member("schools/urn-1.json", plain),
            file_member("schools/urn-2.json", with_header),
            file_member("manifest.json", manifest),
        ],
    )
    assert store.restore(archive) == 2
    assert dict(store.scan("schools")) == {"urn-1": {"first": "store"}, "urn-2": {"two": "slot files"}}
    store.modify("schools", "urn-2", lambda document: ({**document, "saved": "in place"}, None))
    assert store.read("schools", "urn-2") == {"two": "slot files", "saved": "in place"}


def test_restore_refuses_bad_archives_and_leaves_data_untouched(store: TinyDBStore, tmp_path: Path) -> None:
    fill(store)
    store.backup(tmp_path / "good.tar.gz")
    good = members(tmp_path / "good.tar.gz")
    store.write("schools", "urn-current", {"current": True})
    current = everything(store)
    document = dict(good)[next(member for member, _ in good if member.name == "schools/urn-1.json")]
    without_manifest = [(member, data) for member, data in good if member.name != "manifest.json"]

    bad_archives = {
        "dot-dot": [*good, file_member("../evil.json", document)],
        "dot-dot-inside": [*good, file_member("schools/../../evil.json", document)],
        "absolute": [*good, file_member(str(tmp_path / "evil.json"), document)],
        "symlink": [*good, link_member("schools/urn-8.json", "/etc/passwd", tarfile.SYMTYPE)],
        "hard-link": [*good, link_member("schools/urn-8.json", "schools/urn-1.json", tarfile.LNKTYPE)],
        "invalid-json": [*good, file_member("schools/urn-8.json", b'{"document": {"1": ')],
        "wrong-name": [*good, file_member("schools/urn-8.json", document)],
        "unknown-member": [*good, file_member("schools/notes.txt", b"{}")],
        "no-manifest": without_manifest,
        "count-mismatch": [*without_manifest, file_member("manifest.json", b'{"documents": 1}')],
    }
    for name, entries in bad_archives.items():
        archive = write_archive(tmp_path / f"{name}.tar.gz", entries)
        with pytest.raises(StoreError, match="refusing to restore") as caught:
            store.restore(archive)
        assert str(archive) in str(caught.value), name
        assert everything(store) == current, name
    (tmp_path / "not-a-tar.tar.gz").write_bytes(b"this is not an archive")
    with pytest.raises(StoreError, match="not a readable"):
        store.restore(tmp_path / "not-a-tar.tar.gz")
    with pytest.raises(StoreError, match="not a readable"):
        store.restore(tmp_path / "missing.tar.gz")

    assert everything(store) == current
    assert not (tmp_path / "evil.json").exists() and not (tmp_path.parent / "evil.json").exists()
    assert not [path.name for path in (tmp_path / "data").iterdir() if path.name.startswith((".restore", ".backup"))]


def test_a_restore_interrupted_half_way_is_finished_by_the_next_operation(store: TinyDBStore, tmp_path: Path) -> None:
    # White-box: leave the data folder exactly as a restore killed between its two phases would, using
    # the store's own steps, then check that a fresh store object (another process, say) completes it.
    fill(store)
    archive = tmp_path / "backup.tar.gz"
    store.backup(archive)
    before = everything(store)
    store.write("extra", "after-backup", {"x": 1})
    store.delete("reviews", "urn-1-2025")

    data_dir = tmp_path / "data"
    staging = data_dir / ".restore-staged"
    staging.mkdir()
    store._unpack(archive, staging)
    old = data_dir / ".restore-old-x"
    store._write_journal({"staging": staging.name, "old": old.name, "phase": 1})
    old.mkdir()
    (data_dir / "extra").rename(old / "extra")  # phase 1 had moved one collection when the process died

    assert TinyDBStore(data_dir).read("schools", "urn-1") == before["schools"]["urn-1"]
    assert everything(store) == before
    assert not (data_dir / ".restore-journal.json").exists() and not staging.exists() and not old.exists()


def test_ping(store: TinyDBStore, tmp_path: Path) -> None:
    assert store.ping() is True
    (tmp_path / "a-file").write_text("not a folder")
    assert TinyDBStore(tmp_path / "a-file" / "data").ping() is False
    assert [path.name for path in (tmp_path / "data").iterdir()] == [".locks"]  # the probe cleaned up after itself


# --- the record of changes --------------------------------------------------------------------------------


def test_changes_start_with_a_rebuild_then_list_each_write_and_delete_in_order(store: TinyDBStore) -> None:
    position, changes = store.changes(None)
    assert changes is None  # a new reader reads everything first
    store.write("schools", "900001", {"a": 1})
    store.modify("self_evaluations", "900001-2026-27", lambda current: ({"b": 2}, None))
    store.delete("schools", "900001")
    store.modify("schools", "never-there", lambda current: (None, None))  # nothing written, nothing noted
    position, changes = store.changes(position)
    assert changes == [("schools", "900001"), ("self_evaluations", "900001-2026-27"), ("schools", "900001")]
    assert store.changes(position) == (position, [])


def test_changes_made_by_another_process_are_seen(store: TinyDBStore, data_dir: Path) -> None:
    position, _ = store.changes(None)
    code = (
        "import sys; from form_service.store import TinyDBStore; TinyDBStore(sys.argv[1]).write('schools', 'x y', {})"
    )
    subprocess.run([sys.executable, "-c", code, str(data_dir)], check=True, cwd=REPO_ROOT)
    assert store.changes(position)[1] == [("schools", "x y")]


def test_a_restore_and_a_full_log_make_every_reader_rebuild(
    store: TinyDBStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("schools", "900001", {"a": 1})
    store.backup(tmp_path / "backup.tar.gz")
    position, _ = store.changes(None)
    store.restore(tmp_path / "backup.tar.gz")
    position, changes = store.changes(position)
    assert changes is None
    monkeypatch.setattr(store_module, "CHANGES_LOG_LIMIT", 100)
    for number in range(5):
        store.write("schools", f"90000{number}", {"a": number})
    _, changes = store.changes(position)
    assert changes is None  # the log was over its limit: a new one was started
    assert store.read("schools", "900004") == {"a": 4}


def test_a_writer_holding_the_log_open_writes_to_the_new_log_once_another_starts_one(
    store: TinyDBStore, data_dir: Path, tmp_path: Path
) -> None:
    store.write("schools", "900001", {"a": 1})  # this store now keeps the log open between saves
    store.backup(tmp_path / "backup.tar.gz")
    other = TinyDBStore(data_dir)
    other.restore(tmp_path / "backup.tar.gz")  # which replaces the log with a new, empty one
    position, _ = other.changes(None)
    store.write("schools", "900002", {"a": 2})
    store.delete("schools", "900001")
    assert other.changes(position)[1] == [("schools", "900002"), ("schools", "900001")]
