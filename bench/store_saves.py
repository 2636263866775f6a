"""How long one durable save of a school's self-evaluation takes, with 300 and with 24,000 schools stored.

Run by hand (not part of the tests): `.venv/bin/python bench/store_saves.py`.

A save is what autosave does: read the school's document, change one answer's rating and commentary,
write the whole document back, durably. The document is realistic: 42 answers, each with a rating and a
~600-character commentary (about 30 KB of JSON). Three ways of storing it are compared:

1. TinyDBStore.modify: our store, one TinyDB file per document, atomic replace, locks.
2. Naive TinyDB: every school in one file with TinyDB's default JSONStorage; `table.update` of one
   school's record rewrites the whole file (in place, and not safe across processes).
3. SQLite in WAL mode with `PRAGMA synchronous=FULL`: one row per school; the save selects the row, changes
   it and updates it in one committed transaction. The floor the project measures its store against.

Everything happens in a temporary folder under build/ (the same disk as the repository), removed at the
end. A full run takes under two minutes on a 2-core machine; the naive TinyDB case at 24,000 schools
rewrites ~700 MB per save, so it is measured with only a few saves (the table says how many).
"""

from __future__ import annotations

import json
import math
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinydb import TinyDB  # noqa: E402

from form_service.store import TinyDBStore  # noqa: E402

SMALL, LARGE = 300, 24_000
ANSWERS = 42
SAVES = 200  # per case, for the fast stores
NAIVE_SAVES = {SMALL: 20, LARGE: 5}  # naive TinyDB rewrites everything per save
NAIVE_BUDGET_SECONDS = 75.0  # stop a naive case early (after at least 2 saves) once it has taken this long

# Words the commentaries are made of, so they read like a SENCo's notes rather than random bytes.
VOCABULARY = (
    "pupils with SEND make strong progress because staff adapt teaching the SENCo tracks provision termly "
    "reasonable adjustments are planned with families governors challenge the data reduced timetables "
    "are rare and reviewed exclusions have fallen the provision map is current and"
)
WORDS = VOCABULARY.split()


def commentary(rng: random.Random) -> str:
    words = []
    while sum(len(word) + 1 for word in words) < 600:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:600].capitalize() + "."


def self_evaluation(school: int, rng: random.Random, pool: list[str]) -> dict[str, Any]:
    """A realistic self-evaluation document: 42 rated answers with commentaries, about 30 KB of JSON."""
    return {
        "school": {"urn": 100_000 + school, "name": f"School {school}", "phase": "secondary"},
        "framework": {"id": "esqmi", "version": "2025.1", "content_hash": "3f" * 32},
        "cycle": "2025-26",
        "status": "in_progress",
        "answers": {
            f"H{heading}.C{criterion}": {
                "rating": rng.randint(1, 4),
                "commentary": rng.choice(pool),
                "evidence": ["provision map", "attendance data"],
                "updated_at": "2025-09-12T10:15:00+01:00",
                "updated_by": "senco@example.sch.uk",
            }
            for heading in range(1, 7)
            for criterion in range(1, ANSWERS // 6 + 1)
        },
        "updated_at": "2025-09-12T10:15:00+01:00",
    }


def change_one_answer(document: dict[str, Any], rng: random.Random, pool: list[str]) -> dict[str, Any]:
    answer = document["answers"][rng.choice(list(document["answers"]))]
    answer["rating"] = rng.randint(1, 4)
    answer["commentary"] = rng.choice(pool)
    document["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    return document


def key_of(school: int) -> str:
    return f"urn-{100_000 + school}-2025"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: with few values, p95 and p99 are the slowest one."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def timed_saves(save: Callable[[int], None], schools: int, count: int, budget: float = math.inf) -> list[float]:
    """Milliseconds taken by each of `count` saves of randomly chosen schools (fewer if over `budget` s)."""
    rng = random.Random(7)
    times: list[float] = []
    started = time.perf_counter()
    for _ in range(count):
        school = rng.randrange(schools)
        begin = time.perf_counter()
        save(school)
        times.append((time.perf_counter() - begin) * 1000)
        if len(times) >= 2 and time.perf_counter() - started > budget:
            break
    return times


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, int, list[float]]] = []
        self.setup: list[str] = []

    def add(self, name: str, schools: int, times: list[float]) -> None:
        self.rows.append((name, schools, times))
        print(f"  {name} at {schools:,}: {len(times)} saves, p50 {percentile(times, 50):.2f} ms", flush=True)

    def note_setup(self, text: str) -> None:
        self.setup.append(text)
        print(f"  setup: {text}", flush=True)

    def p50(self, name: str, schools: int) -> float:
        return next(percentile(times, 50) for row_name, n, times in self.rows if row_name == name and n == schools)

    def print(self) -> None:
        print()
        print(f"{'store':<34} {'schools':>8} {'saves':>6} {'p50 ms':>10} {'p95 ms':>10} {'p99 ms':>10}")
        print("-" * 83)
        for name, schools, times in self.rows:
            p50, p95, p99 = (percentile(times, p) for p in (50, 95, 99))
            print(f"{name:<34} {schools:>8,} {len(times):>6} {p50:>10.2f} {p95:>10.2f} {p99:>10.2f}")
        ratio = self.p50("TinyDBStore.modify", LARGE) / self.p50("TinyDBStore.modify", SMALL)
        print()
        print(f"TinyDBStore.modify p50 at {LARGE:,} / p50 at {SMALL:,}: {ratio:.2f}")
        print("With few saves, p95 and p99 are simply the slowest save.")
        print()
        print("Setup:")
        for line in self.setup:
            print(f"  {line}")


def bench_store(work: Path, report: Report, pool: list[str]) -> None:
    rng = random.Random(1)
    store = TinyDBStore(work / "store")

    def save(school: int) -> None:
        store.modify(
            "self_evaluations", key_of(school), lambda document: (change_one_answer(document, rng, pool), None)
        )

    present = 0
    for schools in (SMALL, LARGE):
        started = time.perf_counter()
        for school in range(present, schools):
            store.write("self_evaluations", key_of(school), self_evaluation(school, rng, pool))
        took = time.perf_counter() - started
        report.note_setup(f"TinyDBStore: {schools - present:,} documents written through the store in {took:.1f} s")
        present = schools
        report.add("TinyDBStore.modify", schools, timed_saves(save, schools, SAVES))
    shutil.rmtree(work / "store")


def bench_naive_tinydb(work: Path, schools: int, report: Report, pool: list[str]) -> None:
    rng = random.Random(2)
    path = work / f"naive-{schools}.json"
    started = time.perf_counter()
    documents = [self_evaluation(school, rng, pool) for school in range(schools)]
    with TinyDB(path) as database:
        database.table("schools").insert_multiple({"key": key_of(i), "doc": doc} for i, doc in enumerate(documents))
    took = time.perf_counter() - started
    report.note_setup(
        f"naive TinyDB: one {path.stat().st_size / 1e6:,.0f} MB file of {schools:,} schools in {took:.1f} s"
    )

    with TinyDB(path) as database:
        table = database.table("schools", cache_size=0)

        def save(school: int) -> None:
            # What a service on plain TinyDB does per autosave: the update reads and rewrites the whole file.
            table.update({"doc": change_one_answer(documents[school], rng, pool)}, doc_ids=[school + 1])

        times = timed_saves(save, schools, NAIVE_SAVES[schools], NAIVE_BUDGET_SECONDS)
    if len(times) < NAIVE_SAVES[schools]:
        report.note_setup(
            f"naive TinyDB at {schools:,}: stopped after {len(times)} of {NAIVE_SAVES[schools]} saves "
            f"({NAIVE_BUDGET_SECONDS:.0f} s budget)"
        )
    report.add("naive TinyDB (one file)", schools, times)
    path.unlink()


def bench_sqlite(work: Path, schools: int, report: Report, pool: list[str]) -> None:
    rng = random.Random(3)
    started = time.perf_counter()
    connection = sqlite3.connect(work / f"sqlite-{schools}.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE schools (key TEXT PRIMARY KEY, document TEXT NOT NULL)")
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO schools VALUES (?, ?)",
        ((key_of(school), json.dumps(self_evaluation(school, rng, pool))) for school in range(schools)),
    )
    connection.execute("COMMIT")
    report.note_setup(f"SQLite: {schools:,} rows in {time.perf_counter() - started:.1f} s")

    def save(school: int) -> None:
        # The same read-modify-write as TinyDBStore.modify, in one transaction that holds the write lock.
        connection.execute("BEGIN IMMEDIATE")
        (text,) = connection.execute("SELECT document FROM schools WHERE key = ?", (key_of(school),)).fetchone()
        document = change_one_answer(json.loads(text), rng, pool)
        connection.execute("UPDATE schools SET document = ? WHERE key = ?", (json.dumps(document), key_of(school)))
        connection.execute("COMMIT")

    report.add("SQLite WAL, synchronous=FULL", schools, timed_saves(save, schools, SAVES))
    connection.close()


def main() -> None:
    started = time.perf_counter()
    scratch = ROOT / "build" / "bench-tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="store-saves-", dir=scratch))
    rng = random.Random(0)
    pool = [commentary(rng) for _ in range(200)]
    size = len(json.dumps(self_evaluation(0, rng, pool)).encode())
    print(f"Per-save latency, one school's self-evaluation of {ANSWERS} answers ({size / 1000:.0f} KB of JSON)")
    print(f"Working in {work} (removed afterwards)")
    print(
        f"Saves per case: {SAVES} for TinyDBStore and SQLite; naive TinyDB only {NAIVE_SAVES[SMALL]} at {SMALL:,} "
        f"and {NAIVE_SAVES[LARGE]} at {LARGE:,} schools, because each of its saves rewrites the whole file"
    )
    report = Report()
    try:
        bench_store(work, report, pool)
        for schools in (SMALL, LARGE):
            bench_sqlite(work, schools, report, pool)
        for schools in (SMALL, LARGE):
            bench_naive_tinydb(work, schools, report, pool)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not any(scratch.iterdir()):
            scratch.rmdir()
    report.print()
    print(f"\nWhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
