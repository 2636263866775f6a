"""How long one durable autosave of a school's self-evaluation takes, with 300 and with 24,000 schools stored.

Run by hand (not part of the tests), from the repository root:

    .venv/bin/python bench/store_saves.py                  # everything: about 3 minutes on 2 cores
    .venv/bin/python bench/store_saves.py --no-naive-large # without single-file TinyDB at 24,000 schools
                                                           # (~30 s per save, 6 GB of memory): ~2 minutes
    .venv/bin/python bench/store_saves.py --cprofile       # also prints cProfile's top functions


A save is what autosave does: `self_evaluation.save_answer`, the service's real save path. It reads the
self-evaluation, checks the criterion's revision, validates the answer with the framework's JSON Schema,
looks for personal data, records the answer and its history, and writes the heading's answers back
durably (`store.modify`). The documents are real too: for each framework, one school's self-evaluation is
first filled in through `save_answer` itself (all 42 criteria, a rating, a ~600-character commentary and
two evidence items each; `--sessions N` fills every criterion in over N sessions, so its history holds N
entries), and every school gets a copy of it with its own URN and commentaries. A self-evaluation is one
small document plus one document per heading (6 here, about 10 KB each), so a save rewrites one heading.

Stores compared, on the same documents and the same saves:

1. TinyDBStore (form_service/store.py): one file per document holding two copies of it (regions, each a
   TinyDB database after a short header); a save overwrites the older region in place and flushes it with
   one fdatasync; flock locks. Measured through save_answer, and as a bare `modify` that only changes one
   answer's rating and commentary. Setup writes every document twice, because a self-evaluation that is
   filled in has been saved many times, so both regions of each of its documents hold a version.
2. SQLite in WAL mode with `PRAGMA synchronous=FULL`: one row per document behind the same `read` and
   `modify` interface (BEGIN IMMEDIATE, select, change, update, COMMIT), so save_answer runs on it unchanged.
3. Naive TinyDB: every document in one file with TinyDB's own JSONStorage; each save is one
   `table.update` that reads and rewrites the whole file (in place, and not safe across processes).

Two floors, each of 10 KB of bytes alone: "in place" is pwrite over a preallocated file + fdatasync (what a
save does now); "temp file" is `_write_durably` (temp file, fsync, rename, fsync of the folder: what a save
did before, and what a document's very first save still does).
Then save_answer on 1 is broken down piece by piece at 24,000 schools: the service's own checks, locks,
reading, JSON, the document check, each system call of the write.

The saves of each case are interleaved (one of each in turn), so all see the same disk and cache state; after
each bulk setup the disk is synced and left quiet for `--settle` seconds. Everything happens in a temporary
folder under build/ (same disk as the repository), removed at the end: at most about 5 GB at a time.
Every save is measured in two states of the page cache, one after the other: "in page cache", the files
of the school's heading and self-evaluation were read just before (as when someone is working on a page:
the page was read to show it, and the last autosave was seconds ago), and "from disk", their pages were
dropped just before with POSIX_FADV_DONTNEED (a school nobody has touched for a while, on a machine whose
memory went to other things; some virtual machines drop page cache left alone for half a minute). For
SQLite, the rows are read just before, or the whole database file (not its log) is dropped.
Another busy process on the machine shows up at once in these figures: the load average is printed at the
start and the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import random
import shutil
import sqlite3
import stat
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tinydb import TinyDB  # noqa: E402

from form_service import document_file, self_evaluation  # noqa: E402
from form_service import store as store_module  # noqa: E402
from form_service.store import TinyDBStore  # noqa: E402
from quality_mark.loader import load_content  # noqa: E402
from quality_mark.model import Content, Cycle, Framework  # noqa: E402

SMALL, LARGE = 300, 24_000  # schools; --sizes changes them for a quick trial
SAVES = 200  # per case and size, for the fast stores
PROFILE_SAVES = 300
NAIVE_SAVES = (20, 2)  # at the small and the large size: naive TinyDB rewrites everything per save
NAIVE_BUDGET_SECONDS = 60.0  # stop a naive case early (after at least 2 saves) once it has taken this long
USER = "bench-senco"
COLLECTION = self_evaluation.COLLECTION

# Words the commentaries are made of, so they read like a SENCo's notes (and hold no personal data).
VOCABULARY = (
    "pupils with SEND make strong progress because staff adapt teaching the SENCo tracks provision termly "
    "reasonable adjustments are planned with families governors challenge the data reduced timetables "
    "are rare and reviewed exclusions have fallen the provision map is current and"
)
WORDS = VOCABULARY.split()
EVIDENCE = (["Provision map", "Attendance and exclusions data"], ["SEND policy", "Governor minutes"])


def commentary(rng: random.Random) -> str:
    words = []
    while sum(len(word) + 1 for word in words) < 600:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:600].capitalize() + "."


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: with few values, p95 and p99 are the slowest one."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- the workload ----------------------------------------------------------------------------------------


class Workload:
    """The content, the cycle, and one fully answered self-evaluation per framework, made by save_answer."""

    def __init__(self, scratch: Path, sessions: int) -> None:
        self.content: Content = load_content(ROOT)
        self.today = date.today()
        self.cycle: Cycle = self_evaluation.current_cycle(self.content, self.today)
        self.frameworks: list[Framework] = list(self.content.current_frameworks())
        self.sessions = sessions
        self.pool = [commentary(random.Random(seed)) for seed in range(400)]
        self.templates = {fw.id: self._fill_in(scratch, fw) for fw in self.frameworks}

    def _fill_in(self, scratch: Path, framework: Framework) -> dict[str, Any]:
        store = TinyDBStore(scratch / f"template-{framework.id}")
        urn = "100000"
        school = {"urn": urn, "framework": framework.id}
        self_evaluation.start(store, self.content, school, self.cycle)
        rng = random.Random(framework.id)
        real_now = self_evaluation.now_utc
        try:
            for session in range(self.sessions):
                # Earlier sessions a week apart, so each leaves its own history entry; the last one is now.
                moment = datetime.now(UTC) - timedelta(days=7 * (self.sessions - 1 - session))
                self_evaluation.now_utc = lambda moment=moment: moment
                for criterion in framework.criteria:
                    answer = {"rating": rng.randint(1, 4), "commentary": commentary(rng), "evidence": EVIDENCE[0]}
                    result = self_evaluation.save_answer(
                        store, self.content, self.cycle, urn, criterion.id, answer, session, USER, today=self.today
                    )
                    assert result.status == "saved", (result.status, result.errors)
        finally:
            self_evaluation.now_utc = real_now
        document = self_evaluation.load(store, urn, self.cycle.id)
        assert document is not None
        return document

    def framework_of(self, school: int) -> Framework:
        return self.frameworks[school % len(self.frameworks)]

    def urn(self, school: int) -> str:
        return str(100_000 + school)

    def key(self, school: int) -> str:
        return self_evaluation.key(self.urn(school), self.cycle.id)

    def part_key(self, school: int, criterion_id: str) -> str:
        heading = self.framework_of(school).heading_of(criterion_id)
        return self_evaluation.part_key(self.urn(school), self.cycle.id, heading.id)

    def documents(self, school: int) -> list[tuple[str, str, dict[str, Any]]]:
        """School `school`'s copy of its framework's template, as stored: (collection, key, document)."""
        template = self.templates[self.framework_of(school).id]
        rng = random.Random(school)
        urn = self.urn(school)
        meta = {name: value for name, value in template.items() if name not in ("answers", "history")}
        stored = [(COLLECTION, self.key(school), {**meta, "urn": urn})]
        for heading in self.framework_of(school).headings:
            answers, history = {}, {}
            for criterion in heading.criteria:
                text = rng.choice(self.pool)
                answers[criterion.id] = {**template["answers"][criterion.id], "commentary": text}
                entries = [dict(entry) for entry in template["history"][criterion.id]]
                entries[-1]["commentary"] = text
                history[criterion.id] = entries
            part = self_evaluation.part_key(urn, self.cycle.id, heading.id)
            stored.append((self_evaluation.ANSWERS, part, {"answers": answers, "history": history}))
        return stored

    def revision_after_setup(self) -> int:
        return self.sessions


class Saver:
    """Random saves of random schools: save_answer with the right base revision, or a bare modify."""

    def __init__(self, workload: Workload, schools: int, seed: int, revisions: dict | None = None) -> None:
        self.workload = workload
        self.schools = schools
        self.rng = random.Random(seed)
        # (school, criterion) -> revision once saved. Savers on the same data share one, so the saves at
        # 24,000 schools know the revisions the saves at 300 left behind.
        self.revisions: dict[tuple[int, str], int] = {} if revisions is None else revisions
        self.documents: list[tuple[str, str]] = []  # what the save prepared last reads and writes

    def save_answer(self, store: Any) -> Callable[[], None]:
        """One prepared save_answer call; the answer is chosen before the clock starts."""
        w = self.workload
        school = self.rng.randrange(self.schools)
        framework = w.framework_of(school)
        criterion_id = self.rng.choice(framework.criteria).id
        answer = {
            "rating": self.rng.randint(1, 4),
            "commentary": commentary(self.rng),
            "evidence": EVIDENCE[self.rng.randrange(2)],
        }
        base = self.revisions.get((school, criterion_id), w.revision_after_setup())
        self.documents = [(self_evaluation.ANSWERS, w.part_key(school, criterion_id)), (COLLECTION, w.key(school))]

        def save() -> None:
            result = self_evaluation.save_answer(
                store, w.content, w.cycle, w.urn(school), criterion_id, answer, base, USER, today=w.today
            )
            assert result.status == "saved", (result.status, result.errors)
            self.revisions[(school, criterion_id)] = result.answer["revision"]

        return save

    def bare_modify(self, store: Any) -> Callable[[], None]:
        """One prepared store.modify that changes an answer's rating and commentary (no service logic)."""
        w = self.workload
        school = self.rng.randrange(self.schools)
        criterion_id = self.rng.choice(w.framework_of(school).criteria).id
        rating, text = self.rng.randint(1, 4), commentary(self.rng)
        self.documents = [(self_evaluation.ANSWERS, w.part_key(school, criterion_id))]

        def change(document: dict[str, Any] | None) -> tuple[dict[str, Any], None]:
            assert document is not None
            answer = document["answers"][criterion_id]
            answer["rating"], answer["commentary"] = rating, text
            answer["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            return document, None

        return lambda: store.modify(self_evaluation.ANSWERS, w.part_key(school, criterion_id), change)


CACHE_STATES = ("in page cache", "from disk")


def put_in_state(paths: list[str], state: str) -> None:
    """Leave the files in the page cache (read them, as the page a save comes from has just done), or out of it
    (POSIX_FADV_DONTNEED drops their clean pages), so the save that follows reads them from memory or disk."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            if state == "from disk":
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            else:
                while os.read(fd, 1 << 16):
                    pass
        finally:
            os.close(fd)


def timed(prepared: Callable[[], None]) -> float:
    begin = time.perf_counter_ns()
    prepared()
    return (time.perf_counter_ns() - begin) / 1e6


# --- the other stores, behind the same modify() interface ----------------------------------------------


class SQLiteStore:
    """Just enough of the Store interface on SQLite (WAL, synchronous=FULL) for save_answer to run on it.
    Documents are encoded by the same function as TinyDBStore's, so the two differ only in how they store."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS documents (collection TEXT, key TEXT, document TEXT NOT NULL, "
            "PRIMARY KEY (collection, key))"
        )

    def load(self, rows: Iterator[tuple[str, str, dict[str, Any]]]) -> None:
        self.connection.execute("BEGIN")
        self.connection.executemany(
            "INSERT INTO documents VALUES (?, ?, ?)",
            ((collection, key, document_file.encode(document)) for collection, key, document in rows),
        )
        self.connection.execute("COMMIT")

    def read(self, collection: str, key: str) -> dict[str, Any] | None:
        row = self.connection.execute(
            "SELECT document FROM documents WHERE collection = ? AND key = ?", (collection, key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def prefetch(self, documents: Any) -> None:
        """Nothing to do: the Store interface's hint."""

    def put_in_state(self, documents: list[tuple[str, str]], state: str) -> None:
        """The rows in the page cache (read), or the whole database file out of it, as SQLite has no smaller
        unit. Its write-ahead log stays: appended to by every save, its end is always in memory on a server
        (as TinyDBStore's .changes.log is)."""
        if state == "from disk":
            put_in_state([self.path], state)
        else:
            for collection, key in documents:
                self.read(collection, key)

    def modify(self, collection: str, key: str, change: Callable[[Any], tuple[Any, Any]]) -> Any:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            row = self.connection.execute(
                "SELECT document FROM documents WHERE collection = ? AND key = ?", (collection, key)
            ).fetchone()
            new_document, result = change(json.loads(row[0]) if row else None)
            if new_document is None:
                self.connection.execute("DELETE FROM documents WHERE collection = ? AND key = ?", (collection, key))
            else:
                self.connection.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?)",
                    (collection, key, document_file.encode(new_document)),
                )
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")
        return result

    def close(self) -> None:
        self.connection.close()


class NaiveTinyDBStore:
    """What a service on plain TinyDB would do: all documents in one file, one `table.update` per save."""

    def __init__(self, path: Path, keys: list[tuple[str, str]]) -> None:
        self.database = TinyDB(path)
        self.table = self.database.table("documents", cache_size=0)
        # A (collection, key) -> doc_id map kept in memory, so a save does not also scan the table.
        self.doc_ids = {key: index + 1 for index, key in enumerate(keys)}

    def read(self, collection: str, key: str) -> dict[str, Any] | None:
        record = self.table.get(doc_id=self.doc_ids[collection, key])
        return record["document"] if record else None

    def prefetch(self, documents: Any) -> None:
        """Nothing to do: the Store interface's hint."""

    def modify(self, collection: str, key: str, change: Callable[[Any], tuple[Any, Any]]) -> Any:
        results = []

        def transform(record: dict[str, Any]) -> None:
            new_document, result = change(record["document"])
            record["document"] = new_document
            results.append(result)

        self.table.update(transform, doc_ids=[self.doc_ids[collection, key]])
        return results[0]

    def close(self) -> None:
        self.database.close()


# --- reporting -----------------------------------------------------------------------------------------


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, int, list[float]]] = []
        self.notes: list[str] = []

    def add(self, name: str, schools: int, times: list[float]) -> None:
        self.rows.append((name, schools, times))
        print(f"  {name} at {schools:,}: {len(times)} saves, p50 {percentile(times, 50):.2f} ms", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  {text}", flush=True)

    def p50(self, name: str, schools: int) -> float | None:
        found = [percentile(times, 50) for row_name, n, times in self.rows if row_name == name and n == schools]
        return found[0] if found else None

    def print(self) -> None:
        print()
        print(f"{'store and save':<50} {'schools':>8} {'saves':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
        print("-" * 96)
        for name, schools, times in self.rows:
            p50, p95, p99 = (percentile(times, p) for p in (50, 95, 99))
            print(f"{name:<50} {schools:>8,} {len(times):>6} {p50:>9.2f} {p95:>9.2f} {p99:>9.2f}")
        print()
        names = dict.fromkeys(name for name, _, _ in self.rows)
        for name in names:
            small, large = self.p50(name, SMALL), self.p50(name, LARGE)
            if small and large:
                print(f"p50 at {LARGE:,} / p50 at {SMALL:,}: {large / small:5.2f}  {name}")
        print("With few saves, p95 and p99 are simply the slowest save.")
        print()
        print("Setup:")
        for line in self.notes:
            print(f"  {line}")


# --- where the time of one save goes ----------------------------------------------------------------------


class Clock:
    """Adds up, per label, the time spent inside wrapped functions during one save."""

    def __init__(self) -> None:
        self.now: dict[str, int] = defaultdict(int)
        self.saves: list[dict[str, int]] = []
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        had_own = name in vars(owner)
        now = self.now

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter_ns()
            try:
                return original(*args, **kwargs)
            finally:
                now[label] += time.perf_counter_ns() - begin

        setattr(owner, name, wrapper)
        self._undo.append(lambda: setattr(owner, name, original) if had_own else delattr(owner, name))

    def patch(self, owner: Any, name: str, value: Any) -> None:
        original = getattr(owner, name)
        self._undo.append(lambda: setattr(owner, name, original))
        setattr(owner, name, value)

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()

    def record(self, total_ns: int) -> None:
        self.now["total"] = total_ns
        self.saves.append(dict(self.now))
        self.now.clear()


class _TimedOS:
    """Stands in for `os` inside form_service.store: times fsync (file or folder) and replace."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def fsync(self, fd: int) -> None:
        label = "fsync of the folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync of the file"
        begin = time.perf_counter_ns()
        try:
            os.fsync(fd)
        finally:
            self._clock.now[label] += time.perf_counter_ns() - begin

    def open(self, path: Any, flags: int, mode: int = 0o777) -> int:
        if flags & os.O_DIRECTORY:
            label = "open the folder"
        elif flags & os.O_TRUNC:
            label = "create the temporary file"
        elif flags & os.O_WRONLY:
            label = "open the file to write"
        else:
            return os.open(path, flags, mode)  # a lock file: counted with the locks
        begin = time.perf_counter_ns()
        try:
            return os.open(path, flags, mode)
        finally:
            self._clock.now[label] += time.perf_counter_ns() - begin

    def replace(self, source: Any, target: Any) -> None:
        begin = time.perf_counter_ns()
        try:
            os.replace(source, target)
        finally:
            self._clock.now["rename"] += time.perf_counter_ns() - begin

    def pwrite(self, fd: int, data: Any, offset: int) -> int:
        begin = time.perf_counter_ns()
        try:
            return os.pwrite(fd, data, offset)
        finally:
            self._clock.now["pwrite"] += time.perf_counter_ns() - begin


def profile_saves(store: Any, saver: Saver, count: int) -> Clock:
    """Time `count` save_answer calls on `store`, with every piece of a save timed separately."""
    clock = Clock()
    clock.patch(store_module, "os", _TimedOS(clock))
    clock.patch(document_file, "os", _TimedOS(clock))
    clock.wrap(self_evaluation, "answer_errors", "validate (JSON Schema)")
    clock.wrap(self_evaluation, "personal_data_found", "personal-data check")
    clock.wrap(store_module, "_write_durably", "_write_durably")
    clock.wrap(document_file, "overwrite_region", "_overwrite_region")
    clock.wrap(document_file, "_datasync", "fdatasync")
    clock.wrap(document_file, "region_content", "JSON encode + checksum")
    clock.wrap(TinyDBStore, "_lock_fd", "locks (open + flock)")
    clock.wrap(TinyDBStore, "_make_collection_folder", "folder check")
    clock.wrap(TinyDBStore, "_file", "_file")
    clock.wrap(TinyDBStore, "prefetch", "prefetch")
    clock.wrap(TinyDBStore, "_note_change", "note the change")
    clock.wrap(TinyDBStore, "_save", "_save")
    clock.wrap(store_module, "_check_document", "document check")
    clock.wrap(TinyDBStore, "read", "read the self-evaluation")
    modify = store.modify

    def timed_modify(collection: str, key: str, change: Callable[..., Any]) -> Any:
        def timed_change(document: Any) -> Any:
            begin = time.perf_counter_ns()
            try:
                return change(document)
            finally:
                clock.now["change"] += time.perf_counter_ns() - begin

        begin = time.perf_counter_ns()
        try:
            return modify(collection, key, timed_change)
        finally:
            clock.now["modify"] += time.perf_counter_ns() - begin

    store.modify = timed_modify
    try:
        for _ in range(count):
            prepared = saver.save_answer(store)
            put_in_state(files_of(store, saver.documents), "from disk")
            begin = time.perf_counter_ns()
            prepared()
            clock.record(time.perf_counter_ns() - begin)
    finally:
        del store.modify
        clock.restore()
    return clock


def breakdown(clock: Clock) -> list[tuple[str, list[int]]]:
    """(piece, per-save ns) pieces that add up to the whole save."""

    def per_save(expression: Callable[[dict[str, int]], int]) -> list[int]:
        return [expression(save) for save in clock.saves]

    def g(save: dict[str, int], *labels: str) -> int:
        return sum(save.get(label, 0) for label in labels)

    pieces: list[tuple[str, Callable[[dict[str, int]], int]]] = [
        ("service: JSON Schema validation", lambda s: g(s, "validate (JSON Schema)")),
        ("service: personal-data check", lambda s: g(s, "personal-data check")),
        (
            "service: rest of save_answer (revision, history)",
            lambda s: (
                g(s, "total")
                - g(s, "modify")
                + g(s, "change")
                - g(s, "validate (JSON Schema)", "personal-data check", "read the self-evaluation", "prefetch")
            ),
        ),
        ("start reading both documents at once (prefetch)", lambda s: g(s, "prefetch")),
        ("read the self-evaluation (under the heading's lock)", lambda s: g(s, "read the self-evaluation")),
        ("locks: open + flock (global, document)", lambda s: g(s, "locks (open + flock)")),
        # Reading the heading's file (bytes, CRC, JSON decode of the newer region): every file read, less the
        # self-evaluation's own read (counted above).
        (
            "read the heading's file (bytes, CRC, JSON)",
            lambda s: g(s, "_file") - g(s, "read the self-evaluation"),
        ),
        ("document check (_check_document)", lambda s: g(s, "document check")),
        ("JSON encode + checksum", lambda s: g(s, "JSON encode + checksum")),
        ("open the file to write", lambda s: g(s, "open the file to write")),
        ("pwrite of the older region (about 12 KB)", lambda s: g(s, "pwrite")),
        ("fdatasync of the file", lambda s: g(s, "fdatasync")),
        (
            "pad and close the file",
            lambda s: g(s, "_overwrite_region") - g(s, "open the file to write", "pwrite", "fdatasync"),
        ),
        ("note the change (.changes.log)", lambda s: g(s, "note the change")),
        ("first saves only: temp file, fsync, rename", lambda s: g(s, "_write_durably") - g(s, "fsync of the folder")),
        ("first saves only: fsync of the folder", lambda s: g(s, "fsync of the folder")),
    ]
    table = [(name, per_save(expression)) for name, expression in pieces]
    accounted = [sum(values) for values in zip(*(values for _, values in table), strict=True)]
    table.append(
        (
            "everything else (modify's glue, lock release, folder check)",
            [save["total"] - done for save, done in zip(clock.saves, accounted, strict=True)],
        )
    )
    return table


def print_breakdowns(results: list[tuple[str, Clock]]) -> None:
    tables = [(name, breakdown(clock), clock) for name, clock in results]
    names = list(dict.fromkeys(piece for _, table, _ in tables for piece, _ in table))
    header = "".join(f" {name[:22]:>22}" for name, _, _ in tables)
    print(f"\n{'piece of one save (mean µs per save)':<60}{header}")
    print("-" * (60 + 23 * len(tables)))
    for piece in names:
        cells = ""
        for _, table, clock in tables:
            values = dict(table).get(piece)
            if values is None:
                cells += f" {'-':>22}"
                continue
            mean = sum(values) / len(values) / 1000
            total = sum(save["total"] for save in clock.saves) / len(clock.saves) / 1000
            cells += f" {mean:>12.0f} ({mean / total:>4.0%})"
        print(f"{piece:<60}{cells}")
    totals = "".join(
        f" {sum(s['total'] for s in clock.saves) / len(clock.saves) / 1000:>12.0f} (100%)" for _, _, clock in tables
    )
    print(f"{'whole save_answer, mean':<60}{totals}")
    p50s = "".join(f" {percentile([s['total'] for s in c.saves], 50) / 1000:>12.0f}       " for _, _, c in tables)
    print(f"{'whole save_answer, p50 (with timers: ~10 µs more than untimed)':<60}{p50s}")


# --- the benchmark ---------------------------------------------------------------------------------------


def write_documents(store: Any, workload: Workload, schools: range, times: int = 1) -> None:
    """Write documents `times` times each with 4 threads (the store is thread-safe); only setup, not timed."""

    def write(school: int) -> None:
        for collection, key, document in workload.documents(school):
            for _ in range(times):
                store.write(collection, key, document)

    with ThreadPoolExecutor(4) as pool:
        for _ in pool.map(write, schools, chunksize=64):
            pass


def bench_tinydb_store(work: Path, workload: Workload, report: Report, args: argparse.Namespace) -> None:
    folder = work / "store"
    store = TinyDBStore(folder)
    present = 0
    revisions: dict[tuple[int, str], int] = {}
    for schools in (SMALL, LARGE):
        started = time.perf_counter()
        write_documents(store, workload, range(present, schools), times=2)  # both slots exist, as in use
        report.note(f"TinyDBStore: {schools - present:,} schools written in {time.perf_counter() - started:.1f} s")
        settle(args)
        present = schools
        saver = Saver(workload, schools, seed=schools, revisions=revisions)
        cases: dict[str, list[float]] = defaultdict(list)
        # Warm up (schema validator, imports, caches of the file system) with saves that are not counted.
        for _ in range(20):
            timed(saver.save_answer(store))
        for _ in range(args.saves):
            for state in CACHE_STATES:
                for case, prepare in (("save_answer", saver.save_answer), ("bare modify", saver.bare_modify)):
                    prepared = prepare(store)
                    put_in_state(files_of(store, saver.documents), state)
                    cases[f"TinyDBStore: {case}, {state}"].append(timed(prepared))
        for name, times in cases.items():
            report.add(name, schools, times)
        report.add(
            "floor: in place, pwrite + fdatasync of 10 KB",
            schools,
            in_place_write_floor(folder / self_evaluation.ANSWERS, args.saves),
        )
        report.add(
            "floor: temp file + fsync + rename + fsync folder",
            schools,
            durable_write_floor(folder / self_evaluation.ANSWERS, args.saves),
        )
        if schools == LARGE:
            print("  profiling one save piece by piece, its files read from disk...", flush=True)
            print_breakdowns([("TinyDBStore", profile_saves(store, saver, PROFILE_SAVES))])
            if args.cprofile:
                run_cprofile(store, saver)
    shutil.rmtree(folder)


def files_of(store: TinyDBStore, documents: list[tuple[str, str]]) -> list[str]:
    return [store._locate(collection, key)[0] for collection, key in documents]


def settle(args: argparse.Namespace) -> None:
    """Let the disk finish the setup's writes, so that the saves measured do not queue behind them."""
    os.sync()
    time.sleep(args.settle)


def durable_write_floor(folder: Path, count: int) -> list[float]:
    """The durable write by itself (temp file, fsync, rename, fsync of the folder) of 10 KB of bytes."""
    data = b"x" * 10_000
    path = folder / "floor-probe.json"
    times = []
    for _ in range(count):
        begin = time.perf_counter_ns()
        store_module._write_durably(path, data, path.with_name(".floor-probe.json.tmp"))
        times.append((time.perf_counter_ns() - begin) / 1e6)
    path.unlink()
    return times


def in_place_write_floor(folder: Path, count: int) -> list[float]:
    """Overwriting 10 KB of a preallocated 12 KB file in place and fdatasync, by itself."""
    data = b"x" * 10_000 + b" " * 2_288
    path = folder / "floor-probe-in-place.json"
    path.write_bytes(data)
    os.sync()
    times = []
    fd = os.open(path, os.O_WRONLY)
    try:
        for _ in range(count):
            begin = time.perf_counter_ns()
            os.pwrite(fd, data, 0)
            os.fdatasync(fd)
            times.append((time.perf_counter_ns() - begin) / 1e6)
    finally:
        os.close(fd)
    path.unlink()
    return times


def run_cprofile(store: TinyDBStore, saver: Saver) -> None:
    profiler = cProfile.Profile()
    for _ in range(PROFILE_SAVES):
        save = saver.save_answer(store)  # prepared outside the profile
        profiler.enable()
        save()
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(f"\ncProfile of {PROFILE_SAVES} save_answer calls on TinyDBStore at {LARGE:,} schools, by own time:")
    print("\n".join(out.getvalue().splitlines()[:45]))


def bench_sqlite(work: Path, workload: Workload, schools: int, report: Report, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    store = SQLiteStore(work / f"sqlite-{schools}.db")
    store.load(row for school in range(schools) for row in workload.documents(school))
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # else the first saves pay for the bulk load
    report.note(f"SQLite: {schools:,} rows in {time.perf_counter() - started:.1f} s")
    settle(args)
    saver = Saver(workload, schools, seed=schools)
    for _ in range(20):
        timed(saver.save_answer(store))
    cases: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.saves):
        for state in CACHE_STATES:
            for case, prepare in (("save_answer", saver.save_answer), ("bare modify", saver.bare_modify)):
                prepared = prepare(store)
                store.put_in_state(saver.documents, state)
                cases[f"SQLite WAL full sync: {case}, {state}"].append(timed(prepared))
    for name, times in cases.items():
        report.add(name, schools, times)
    store.close()


def bench_naive(work: Path, workload: Workload, schools: int, report: Report) -> None:
    path = work / f"naive-{schools}.json"
    started = time.perf_counter()
    rows = [row for school in range(schools) for row in workload.documents(school)]
    keys = [(collection, key) for collection, key, _ in rows]
    with TinyDB(path) as database:
        database.table("documents").insert_multiple(
            {"collection": collection, "key": key, "document": document} for collection, key, document in rows
        )
    del rows
    size = path.stat().st_size / 1e6
    report.note(
        f"naive TinyDB: one {size:,.0f} MB file of {schools:,} schools in {time.perf_counter() - started:.1f} s"
    )
    store = NaiveTinyDBStore(path, keys)
    saver = Saver(workload, schools, seed=schools)
    times: list[float] = []
    began = time.perf_counter()
    while len(times) < NAIVE_SAVES[schools == LARGE]:
        times.append(timed(saver.save_answer(store)))
        if len(times) >= 2 and time.perf_counter() - began > NAIVE_BUDGET_SECONDS:
            report.note(f"naive TinyDB at {schools:,}: stopped after {len(times)} saves ({NAIVE_BUDGET_SECONDS:.0f} s)")
            break
    store.close()
    report.add("naive TinyDB (one file): save_answer", schools, times)
    path.unlink()


def main() -> None:
    global SMALL, LARGE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=SAVES, help=f"saves per case and size (default {SAVES})")
    parser.add_argument("--sessions", type=int, default=1, help="history entries per criterion (default 1)")
    parser.add_argument("--no-naive-large", action="store_true", help="skip single-file TinyDB at 24,000")
    parser.add_argument("--cprofile", action="store_true", help="also print cProfile's top functions")
    parser.add_argument("--settle", type=float, default=5, help="seconds of quiet after each setup (default 5)")
    parser.add_argument("--sizes", default=f"{SMALL},{LARGE}", help="the two numbers of schools (default %(default)s)")
    args = parser.parse_args()
    SMALL, LARGE = (int(size) for size in args.sizes.split(","))

    started = time.perf_counter()
    scratch = ROOT / "build" / "bench-tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="store-saves-", dir=scratch))
    try:
        workload = Workload(work, args.sessions)
        sample = workload.documents(0)
        sizes = [len(json.dumps({"document": {"1": {"key": key, "document": doc}}}).encode()) for _, key, doc in sample]
        print(
            f"One durable save_answer of a fully answered self-evaluation: 42 answers, {args.sessions} history "
            f"entr{'y' if args.sessions == 1 else 'ies'} each, stored as {len(sample)} files of "
            f"{min(sizes) / 1000:.1f} to {max(sizes) / 1000:.1f} KB ({sum(sizes) / 1000:.0f} KB a school)"
        )
        print(f"Working in {work} (removed afterwards); {args.saves} saves per case, Python {sys.version.split()[0]}")
        print("Load average (1, 5, 15 min) at the start: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
        report = Report()
        bench_tinydb_store(work, workload, report, args)
        for schools in (SMALL, LARGE):
            bench_sqlite(work, workload, schools, report, args)
        for schools in (SMALL, LARGE):
            if schools == LARGE and args.no_naive_large:
                continue
            bench_naive(work, workload, schools, report)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not any(scratch.iterdir()):
            scratch.rmdir()
    report.print()
    print(f"\nWhole run: {time.perf_counter() - started:.0f} s")
    print("Load average (1, 5, 15 min) at the end: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))


if __name__ == "__main__":
    main()
