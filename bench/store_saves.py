"""How long one durable autosave of a school's self-evaluation takes, with 300 and with 24,000 schools stored.

Run by hand (not part of the tests), from the repository root:

    .venv/bin/python bench/store_saves.py                       # SQLite, and a throwaway local PostgreSQL
    .venv/bin/python bench/store_saves.py --sizes 30,120 --saves 20 --settle 0   # a quick check that it runs
    .venv/bin/python bench/store_saves.py --database-url postgresql://...        # an existing PostgreSQL
    .venv/bin/python bench/store_saves.py --no-postgres --cprofile               # SQLite only, with cProfile

A save is what autosave does: `self_evaluation.save_answer`, the service's real save path. It reads the
self-evaluation, checks the criterion's revision, validates the answer with the framework's JSON Schema,
looks for personal data, records the answer and its history, and writes the heading's answers back
durably (`store.modify`). The documents are real too: for each framework, one school's self-evaluation is
first filled in through `save_answer` itself (all 42 criteria, a rating, a ~600-character commentary and
two evidence items each; `--sessions N` fills every criterion in over N sessions, so its history holds N
entries), and every school gets a copy of it with its own URN and commentaries. A self-evaluation is one
small document plus one document per heading (6 here, about 10 KB each), so a save rewrites one heading.

Stores compared, on the same documents and the same saves:

1. SQLStore on SQLite (form_service/store.py, the default): WAL, `synchronous=FULL`, BEGIN IMMEDIATE, the
   summary rows the LA's pages read changed in the same transaction. Measured through save_answer, and as a
   bare `modify` that only changes one answer's rating and commentary.
2. SQLStore on PostgreSQL (`synchronous_commit=on`): a throwaway local server on a Unix socket (as the tests
   start one: tests/postgres.py), or the one `--database-url` names.
3. The floor: a bare sqlite3 connection (WAL, `synchronous=FULL`), one row per document behind the same `read`
   and `modify` interface and nothing else, so save_answer runs on it unchanged.

For reference, the file store this replaced (one file per document, two checksummed regions, fdatasync)
measured 0.60 ms p50 per save_answer at 24,000 schools, in page cache, on this bench's workload; bare SQLite
0.57 ms.

The saves of each case are interleaved (one of each in turn), so all see the same disk and cache state; after
each bulk setup the database is checkpointed (SQLite's write-ahead log into the file; PostgreSQL vacuumed,
analysed and checkpointed, as autovacuum would have long since done), the disk synced and left quiet for
`--settle` seconds. SQLite's files live in a temporary
folder under build/ (same disk as the repository), removed at the end. SQLite saves are measured in two states
of the page cache, one after the other: "in page cache", the rows were read just before (the page a save
comes from has just been shown), and "from disk", the database file's pages were dropped just before with
POSIX_FADV_DONTNEED. Another busy process on the machine shows up at once in these figures: the load average
is printed at the start and the end.
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

from flask import Flask  # noqa: E402

from form_service import db, self_evaluation  # noqa: E402
from form_service.core import clock  # noqa: E402
from form_service.self_evaluation import saving  # noqa: E402
from form_service.store import SQLStore, encode, open_store  # noqa: E402
from quality_mark.loader import load_content  # noqa: E402
from quality_mark.model import Content, Cycle, Framework  # noqa: E402

SMALL, LARGE = 300, 24_000  # schools; --sizes changes them for a quick trial
SAVES = 200  # per case and size, for the fast stores
PROFILE_SAVES = 300
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
        store = open_store(scratch / f"template-{framework.id}")
        urn = "100000"
        school = {"urn": urn, "framework": framework.id}
        self_evaluation.start(store, self.content, school, self.cycle)
        rng = random.Random(framework.id)
        real_now = saving.now_utc  # the moment each save is stamped with
        try:
            for session in range(self.sessions):
                # Earlier sessions a week apart, so each leaves its own history entry; the last one is now.
                moment = datetime.now(UTC) - timedelta(days=7 * (self.sessions - 1 - session))
                saving.now_utc = lambda moment=moment: moment
                for criterion in framework.criteria:
                    answer = {"rating": rng.randint(1, 4), "commentary": commentary(rng), "evidence": EVIDENCE[0]}
                    result = self_evaluation.save_answer(
                        store, self.content, self.cycle, urn, criterion.id, answer, session, USER, today=self.today
                    )
                    assert result.status == "saved", (result.status, result.errors)
        finally:
            saving.now_utc = real_now
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
    Documents are encoded by the same function as SQLStore's, so the two differ only in what else they do."""

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
            ((collection, key, encode(document)) for collection, key, document in rows),
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
        (and the store's own)."""
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
                    (collection, key, encode(new_document)),
                )
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")
        return result

    def close(self) -> None:
        self.connection.close()


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


def bench_sql_store(
    name: str, store: SQLStore, workload: Workload, report: Report, args: argparse.Namespace, files: list[str]
) -> None:
    """save_answer and a bare modify through SQLStore at both sizes; `files` are the database's files (SQLite),
    dropped from the page cache for the "from disk" saves, or none (a server's memory is its own)."""
    present = 0
    revisions: dict[tuple[int, str], int] = {}
    states = CACHE_STATES if files else CACHE_STATES[:1]
    for schools in (SMALL, LARGE):
        started = time.perf_counter()
        write_documents(store, workload, range(present, schools))
        report.note(f"{name}: {schools - present:,} schools written in {time.perf_counter() - started:.1f} s")
        checkpoint(store)
        settle(args)
        present = schools
        saver = Saver(workload, schools, seed=schools, revisions=revisions)
        cases: dict[str, list[float]] = defaultdict(list)
        for _ in range(20):  # warm up (schema validator, connections, caches) with saves that are not counted
            timed(saver.save_answer(store))
        for _ in range(args.saves):
            for state in states:
                for case, prepare in (("save_answer", saver.save_answer), ("bare modify", saver.bare_modify)):
                    prepared = prepare(store)
                    if state == "from disk":
                        put_in_state(files, state)
                    else:
                        for collection, key in saver.documents:
                            store.read(collection, key)
                    cases[f"{name}: {case}, {state}"].append(timed(prepared))
        for case_name, times in cases.items():
            report.add(case_name, schools, times)
        if schools == LARGE and args.cprofile:
            run_cprofile(name, store, saver)


def checkpoint(store: SQLStore) -> None:
    """What a database in use has done long before its saves are timed, done after the bulk setup: SQLite's
    write-ahead log copied into the database file; PostgreSQL's tables vacuumed and analysed (autovacuum's work)
    and a checkpoint taken. Otherwise the first minutes of saves share the disk and the server with the aftermath
    of writing a gigabyte at once."""
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if db.is_sqlite(store.engine):
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.exec_driver_sql("VACUUM ANALYZE")
            connection.exec_driver_sql("CHECKPOINT")


def settle(args: argparse.Namespace) -> None:
    """Let the disk finish the setup's writes, so that the saves measured do not queue behind them."""
    os.sync()
    time.sleep(args.settle)


def run_cprofile(name: str, store: Any, saver: Saver) -> None:
    profiler = cProfile.Profile()
    for _ in range(PROFILE_SAVES):
        save = saver.save_answer(store)  # prepared outside the profile
        profiler.enable()
        save()
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(f"\ncProfile of {PROFILE_SAVES} save_answer calls on {name} at {LARGE:,} schools, by own time:")
    print("\n".join(out.getvalue().splitlines()[:45]))


def bench_sqlite(work: Path, workload: Workload, schools: int, report: Report, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    store = SQLiteStore(work / f"sqlite-{schools}.db")
    store.load(row for school in range(schools) for row in workload.documents(school))
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # else the first saves pay for the bulk load
    report.note(f"bare sqlite3: {schools:,} rows in {time.perf_counter() - started:.1f} s")
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
                cases[f"bare sqlite3 (floor): {case}, {state}"].append(timed(prepared))
    for name, times in cases.items():
        report.add(name, schools, times)
    store.close()


def main() -> None:
    global SMALL, LARGE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=SAVES, help=f"saves per case and size (default {SAVES})")
    parser.add_argument("--sessions", type=int, default=1, help="history entries per criterion (default 1)")
    parser.add_argument("--cprofile", action="store_true", help="also print cProfile's top functions")
    parser.add_argument("--settle", type=float, default=5, help="seconds of quiet after each setup (default 5)")
    parser.add_argument("--sizes", default=f"{SMALL},{LARGE}", help="the two numbers of schools (default %(default)s)")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead of a throwaway server")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    SMALL, LARGE = (int(size) for size in args.sizes.split(","))

    started = time.perf_counter()
    scratch = ROOT / "build" / "bench-tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="store-saves-", dir=scratch))
    bare_clock = Flask("bench")  # the service's one clock, without a service: save_answer asks it the time
    bare_clock.config.update(ENV_NAME="bench")
    clock.init_app(bare_clock)
    server = None
    try:
        with bare_clock.app_context():
            workload = Workload(work, args.sessions)
            sample = workload.documents(0)
            sizes = [len(encode(document).encode()) for _, _, document in sample]
            print(
                f"One durable save_answer of a fully answered self-evaluation: 42 answers, {args.sessions} history "
                f"entr{'y' if args.sessions == 1 else 'ies'} each, stored as {len(sample)} rows of "
                f"{min(sizes) / 1000:.1f} to {max(sizes) / 1000:.1f} KB ({sum(sizes) / 1000:.0f} KB a school)"
            )
            print(
                f"Working in {work} (removed afterwards); {args.saves} saves per case, Python {sys.version.split()[0]}"
            )
            print("Load average (1, 5, 15 min) at the start: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
            report = Report()
            sqlite_store = open_store(work / "sqlite")
            files = [str(work / "sqlite" / db.SQLITE_FILE)]
            bench_sql_store("SQLStore on SQLite", sqlite_store, workload, report, args, files)
            sqlite_store.engine.dispose()
            if args.database_url or not args.no_postgres:
                url = args.database_url
                if url is None:
                    from tests.postgres import Server

                    server = Server()
                    url = server.create_database()
                postgres_store = open_store(database_url=url)
                bench_sql_store("SQLStore on PostgreSQL", postgres_store, workload, report, args, [])
                postgres_store.engine.dispose()
            for schools in (SMALL, LARGE):
                bench_sqlite(work, workload, schools, report, args)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
        if not any(scratch.iterdir()):
            scratch.rmdir()
    report.print()
    print(f"\nWhole run: {time.perf_counter() - started:.0f} s")
    print("Load average (1, 5, 15 min) at the end: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))


if __name__ == "__main__":
    main()
