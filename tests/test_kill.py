"""kill -9 while people autosave, on each engine: no acknowledged save is lost and nothing is damaged.

One real gunicorn server (2 workers, --preload, as `make run`) on SQLite in its DATA_DIR, or on a throwaway
PostgreSQL server. Client threads autosave answers through the JSON API as the form's script does, each
writing its own criteria, so every save the server acknowledged (200, with a revision) has a known final
value. Meanwhile workers are killed with SIGKILL several times, and the master too (then the server is
started again, as a process supervisor would). Clients retry on connection errors, as a browser does.

Afterwards: every criterion holds its last acknowledged answer (or a later one whose answer the client
never saw), the server started every time, SQLite's integrity check passes and every stored document is
valid JSON.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.hosts import Browser, Host, flask_command, heading_page, put_answer

SCHOOLS = {
    "900001": "senco@oakfield-primary.example.org",
    "900004": "inclusion@hillcrest-academy.example.org",
}
THREADS_PER_SCHOOL = 2
CRITERIA_PER_THREAD = 3
KILL_PHASE_SECONDS = 20
WORKER_KILLS = 5
NOW = "2026-11-23T10:00:00+00:00"  # in the 2026-27 cycle, before its deadline


@dataclass
class Writer:
    """One client thread: its own criteria of one school, and what the server acknowledged."""

    name: str
    urn: str
    http: requests.Session
    token: str
    revisions: dict[str, int]  # criterion -> the revision the client last knew
    acknowledged: dict[str, tuple[int, str]] = field(default_factory=dict)  # criterion -> (revision, text)
    saves: int = 0
    retries: int = 0
    problems: list[str] = field(default_factory=list)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_settings(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
    else:
        with request.getfixturevalue("postgres_server").database() as url:
            yield {"DATABASE_URL": url}


def save_until_acknowledged(writer: Writer, host: Host, criterion: str, text: str, stop: threading.Event) -> None:
    """Autosave one answer, retrying on a connection error (the server being killed) as a browser does; a
    409 after a retry whose first attempt was in fact saved shows the client's own text: it goes on from it."""
    browser = Browser()
    browser.http = writer.http
    while not stop.is_set():
        try:
            response = put_answer(browser, host, writer.urn, criterion, writer.token, writer.revisions[criterion], text)
        except requests.RequestException:  # refused, reset, or cut off mid-answer: the browser tries again
            writer.retries += 1
            time.sleep(0.05)
            continue
        if response.status_code == 200:
            revision = response.json()["answer"]["revision"]
            writer.revisions[criterion] = revision
            writer.acknowledged[criterion] = (revision, text)
            writer.saves += 1
            return
        if response.status_code == 409:
            current = response.json()["current"]
            if current["commentary"] != text:
                writer.problems.append(f"{criterion}: conflict with {current!r}, not the client's own text")
            writer.revisions[criterion] = current["revision"]
            return
        writer.problems.append(f"{criterion}: {response.status_code} {response.text[:300]}")
        return


def keep_saving(writer: Writer, host: Host, stop: threading.Event) -> None:
    criteria = sorted(writer.revisions)
    number = 0
    try:
        while not stop.is_set():
            criterion = criteria[number % len(criteria)]
            text = f"{writer.name} save {number}: {secrets.token_hex(4)}"
            save_until_acknowledged(writer, host, criterion, text, stop)
            number += 1
    except Exception as error:  # reported by the test, which fails
        writer.problems.append(f"stopped by {type(error).__name__}: {error}")


def kill_repeatedly(host: Host, rng: random.Random) -> tuple[int, int]:
    """kill -9 workers and the master (restarting the server after the master) over the kill phase; how many
    workers and masters were killed."""
    workers = masters = 0
    pause = KILL_PHASE_SECONDS / (WORKER_KILLS + 2)
    for step in range(WORKER_KILLS + 2):
        time.sleep(pause * rng.uniform(0.6, 1.0))
        if step in (2, WORKER_KILLS):
            host.kill_master()
            masters += 1
            host.start()
            continue
        pids = host.worker_pids()
        if pids:
            os.kill(rng.choice(pids), signal.SIGKILL)  # the master starts another worker in its place
            workers += 1
    return workers, masters


def stored_bodies(engine_settings: dict[str, str], data_dir: Path) -> list[str]:
    """Every document body in the database (after the server stopped); on SQLite, after its integrity check."""
    if "DATABASE_URL" in engine_settings:
        engine = sa.create_engine(engine_settings["DATABASE_URL"])
        try:
            with engine.connect() as connection:
                return list(connection.execute(sa.text("SELECT body FROM documents")).scalars())
        finally:
            engine.dispose()
    connection = sqlite3.connect(data_dir / "quality-mark.sqlite3")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        return [body for (body,) in connection.execute("SELECT body FROM documents")]
    finally:
        connection.close()


def test_no_acknowledged_save_is_lost_when_workers_and_the_master_are_killed(
    engine_settings: dict[str, str], tmp_path: Path
) -> None:
    host = Host(tmp_path / "host", QM_NOW=NOW, SECRET_KEY=secrets.token_hex(32), **engine_settings)
    flask_command(host.environment, "seed-demo")
    writers: list[Writer] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        host.start()
        for urn, address in SCHOOLS.items():
            browser = Browser()
            browser.sign_in(host, address)
            _page, token, revisions = heading_page(browser, host, urn)
            criteria = sorted(revisions)
            for number in range(THREADS_PER_SCHOOL):
                mine = criteria[number * CRITERIA_PER_THREAD : (number + 1) * CRITERIA_PER_THREAD]
                http = requests.Session()
                http.cookies.update(browser.http.cookies)  # another tab of the same browser
                writers.append(Writer(f"{urn}-{number}", urn, http, token, {c: revisions[c] for c in mine}))
        threads = [threading.Thread(target=keep_saving, args=(w, host, stop), daemon=True) for w in writers]
        for thread in threads:
            thread.start()
        killed_workers, killed_masters = kill_repeatedly(host, random.Random(12))
        time.sleep(1)  # saves go on against the last server started
        stop.set()
        for thread in threads:
            thread.join(timeout=40)
        assert not any(thread.is_alive() for thread in threads)

        problems = [problem for writer in writers for problem in writer.problems]
        assert not problems, problems
        assert killed_workers >= 3 and killed_masters >= 2
        assert host.starts == killed_masters + 1
        assert all(writer.saves >= 5 for writer in writers), [(w.name, w.saves) for w in writers]
        # What a person sees afterwards, from the server as it now runs: every acknowledged save is there.
        lost = []
        for urn in SCHOOLS:
            reader = Browser()
            reader.http.cookies.update(next(w for w in writers if w.urn == urn).http.cookies)
            answers = reader.get(f"{host.base}/app/api/schools/{urn}/self-evaluation").json()["answers"]
            for writer in (w for w in writers if w.urn == urn):
                for criterion, (revision, text) in writer.acknowledged.items():
                    stored = answers.get(criterion) or {"revision": 0, "commentary": None}
                    if stored["revision"] < revision or (
                        stored["revision"] == revision and stored["commentary"] != text
                    ):
                        lost.append((urn, criterion, revision, text, stored))
        print(
            f"{sum(w.saves for w in writers)} saves acknowledged, {sum(w.retries for w in writers)} sent again after "
            f"a connection error; {killed_workers} workers and {killed_masters} masters killed"
        )
        assert not lost, f"acknowledged saves lost: {lost}"
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=40)
        host.stop()
    bodies = stored_bodies(engine_settings, host.data_dir)
    assert bodies
    for body in bodies:
        assert isinstance(json.loads(body), dict)
