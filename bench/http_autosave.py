"""Autosave over HTTP under load: the production server, 100 signed-in school leads saving at once.

Run by hand (not part of the tests), from the repository root:

    .venv/bin/python bench/http_autosave.py              # 100 users x 20 saves, ~1 s apart, on each engine: ~2 min
    .venv/bin/python bench/http_autosave.py --pause 0    # the same saves back to back: the server's ceiling
    .venv/bin/python bench/http_autosave.py --engines sqlite             # SQLite only
    .venv/bin/python bench/http_autosave.py --database-url postgresql://...   # an existing, empty PostgreSQL

Each engine gets the same run, one after the other: SQLite in the data folder (the default), then PostgreSQL
(a throwaway local server on a Unix socket, as the tests start one: tests/postgres.py, `synchronous_commit=on`),
or the empty database `--database-url` names.

Target: p99 <= 50 ms per autosave with 100 concurrent users, and no errors.

What it does, all on 127.0.0.1 and in a temporary folder under build/ that is removed at the end:

1. Prepares the data in this process, through the service's own functions and `create_app`: imports 100
   schools from a GIAS-style CSV (`schools.read_gias_csv` + `schools.apply_import`), creates one school
   lead (admin) per school (`accounts.ensure_user`, `accounts.add_member`) and starts each school's
   self-evaluation (`self_evaluation.start`). Unless `--fresh`, every school has already answered all 42
   criteria (through `self_evaluation.save_answer`), so the documents autosave rewrites are full-size.
2. Starts the real production server exactly as `make run` does (gunicorn, 2 workers x 4 threads,
   --preload, access log), on a free port, with QM_ENV=development, that DATA_DIR and an empty SITE_DIR.
3. Signs every user in over HTTP with its own cookie jar (`requests.Session`). The sign-in limit is 30
   requests per client address per 15 minutes, and every user here comes from 127.0.0.1, so:
   - the first `--email-sign-ins` users (20) go the whole way a person does: GET /app/sign-in for its
     CSRF token, POST their address, read the link from DATA_DIR/outbox, open it, press Continue (POST);
   - the others get their sign-in token from `sign_in.issue_token` in step 1 (what the POST /app/sign-in
     handler calls) and then open the link and press Continue over HTTP, exactly as the first group.
4. All users start together (threads). Each opens the self-evaluation page of a heading (GET, which
   gives the form's CSRF token and every criterion's revision, as the browser's autosave script reads
   them), then autosaves its criteria one after another with PUT /app/api/schools/<urn>/self-evaluation/
   answers/<criterion> (JSON rating, ~600-character commentary, evidence, base_revision; X-CSRFToken),
   moving to the next heading's page when a heading is done (and round again after the last). Between
   saves a user waits `--pause` seconds on average (uniformly 0.5x to 1.5x): the form saves a second
   after typing stops.
5. Reports count, errors (anything but 200), p50/p95/p99/max and throughput of the saves as the client
   saw them, the server's own time per save from its access log, and the page loads. Then it stops the
   server, and checks that every save the server acknowledged is in the store with its revision.
"""

from __future__ import annotations

import argparse
import csv
import email
import io
import itertools
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from form_service import accounts, create_app, schools, self_evaluation  # noqa: E402
from form_service.accounts import sign_in  # noqa: E402
from form_service.config import DevelopmentConfig  # noqa: E402
from form_service.core.content import get_content  # noqa: E402
from form_service.store import get_store  # noqa: E402
from quality_mark.model import LONDON  # noqa: E402

GUNICORN = Path(sys.executable).parent / "gunicorn"
# The Makefile's run target, word for word apart from the address.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
TIME_LIMIT_SECONDS = 240  # the saving phase stops by itself after this, whatever happens
REQUEST_TIMEOUT = (5, 30)  # connect, read (seconds)
FIRST_URN = 920_001

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
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


@dataclass
class Person:
    index: int
    urn: str
    email: str
    framework: str
    headings: list[tuple[str, list[str]]]  # (heading id, criterion ids), in the order this person works
    token: str | None = None  # a sign-in token made in preparation (None: signs in by email)
    http: requests.Session = field(default_factory=requests.Session)
    acknowledged: dict[str, int] = field(default_factory=dict)  # criterion -> revision the server returned


@dataclass
class Results:
    saves: list[float] = field(default_factory=list)  # ms, 200s only
    pages: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    retries: int = 0  # requests sent again after a dropped keep-alive connection
    lock: threading.Lock = field(default_factory=threading.Lock)


# --- 1. preparation, in this process -------------------------------------------------------------------


def gias_csv(count: int) -> bytes:
    """A GIAS-style export of `count` open schools, half primary and half secondary."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = [
        "URN",
        "LA (name)",
        "EstablishmentName",
        "TypeOfEstablishment (name)",
        "EstablishmentStatus (name)",
        "PhaseOfEducation (name)",
        "Postcode",
        "SchoolWebsite",
        "ContactEmail",
    ]
    writer.writerow(columns)
    for index in range(count):
        urn = FIRST_URN + index
        phase = "Primary" if index % 2 == 0 else "Secondary"
        name = f"Bench {phase} School {index + 1:03d}"
        domain = f"bench-school-{index + 1:03d}.example.org"
        postcode = f"BN{index % 9 + 1} {index % 10}AB"
        writer.writerow(
            [urn, "Bench Shire", name, "Community school", "Open", phase, postcode, f"https://{domain}", ""]
        )
    return out.getvalue().encode()


def app_settings(data_dir: Path, site_dir: Path, database_url: str | None) -> dict[str, object]:
    return {"DATA_DIR": data_dir, "SITE_DIR": site_dir, "CONTENT_ROOT": ROOT, "DATABASE_URL": database_url}


def prepare(
    data_dir: Path, site_dir: Path, database_url: str | None, users: int, email_sign_ins: int, fresh: bool
) -> list[Person]:
    app = create_app(DevelopmentConfig, app_settings(data_dir, site_dir, database_url))
    people = []
    with app.app_context():
        store, content = get_store(), get_content()
        today = datetime.now(LONDON).date()
        cycle = self_evaluation.current_cycle(content, today)
        preview = schools.read_gias_csv(gias_csv(users), set(content.framework_ids()))
        assert not preview.file_error and not preview.row_errors, (preview.file_error, preview.row_errors)
        counts = schools.apply_import(store, preview.schools)
        assert counts["new"] == users, counts
        rng = random.Random(1)
        for index, school in enumerate(preview.schools):
            address = f"senco@bench-school-{index + 1:03d}.example.org"
            user = accounts.ensure_user(store, address, f"Bench SENCo {index + 1:03d}", "SENCo")
            accounts.add_member(store, school["urn"], user.id, "admin", added_by=None)
            self_evaluation.start(store, content, accounts.get_school(store, school["urn"]), cycle)
            framework = content.framework(school["framework"])
            if not fresh:
                for criterion in framework.criteria:
                    answer = {"rating": rng.randint(1, 4), "commentary": commentary(rng), "evidence": EVIDENCE[0]}
                    result = self_evaluation.save_answer(
                        store, content, cycle, school["urn"], criterion.id, answer, 0, user.id, today=today
                    )
                    assert result.status == "saved", result
            headings = [(h.id, [c.id for c in h.criteria]) for h in framework.headings]
            start = index % len(headings)  # people start on different headings, so work spreads over the form
            token = None
            if index >= email_sign_ins:
                token = sign_in.issue_token(store, user.id, app.config["SIGN_IN_LINK_MINUTES"])
            people.append(
                Person(index, school["urn"], address, framework.id, headings[start:] + headings[:start], token)
            )
    return people


# --- 2. the server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, data_dir: Path, site_dir: Path, database_url: str | None, log: Path) -> subprocess.Popen:
    command = [
        str(GUNICORN),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
        "--preload",
        "--access-logfile",
        "-",
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        "form_service.wsgi:application",
    ]
    environment = {
        **os.environ,
        "QM_ENV": "development",
        "DATA_DIR": str(data_dir),
        "SITE_DIR": str(site_dir),
        "SERVICE_URL": f"http://127.0.0.1:{port}/app",
    }
    environment.pop("DATABASE_URL", None)
    if database_url:
        environment["DATABASE_URL"] = database_url
    with log.open("wb") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_until_up(base: str, server: subprocess.Popen, log: Path, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped while starting:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{base}/app/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer /app/healthz within {limit:.0f} s:\n{log.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # gunicorn's master stops its workers gracefully on SIGTERM
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the session this script started for it, nothing else
        server.wait(timeout=10)


# --- 3. signing in over HTTP ---------------------------------------------------------------------------

HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|token)"[^>]*value="([^"]*)"')


def hidden_fields(page: str) -> dict[str, str]:
    return dict(HIDDEN.findall(page))


def link_from_outbox(outbox: Path, address: str, limit: float = 10) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml"), reverse=True):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == address:
                found = re.search(r"https?://\S+/app/sign-in/continue\?token=\S+", message.get_content())
                if found:
                    return found.group(0)
        time.sleep(0.05)
    raise SystemExit(f"no sign-in email to {address} in {outbox}")


def sign_in_person(person: Person, base: str, outbox: Path) -> None:
    http = person.http
    if person.token is None:
        page = http.get(f"{base}/app/sign-in", timeout=REQUEST_TIMEOUT)
        page.raise_for_status()
        response = http.post(
            f"{base}/app/sign-in",
            data={"email": person.email, "csrf_token": hidden_fields(page.text)["csrf_token"]},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        assert response.status_code == 302, (response.status_code, response.text[:500])
        link = link_from_outbox(outbox, person.email)
    else:
        link = f"{base}/app/sign-in/continue?token={person.token}"
    link = base + urlsplit(link).path + "?" + urlsplit(link).query  # the emailed link, on this server
    page = http.get(link, timeout=REQUEST_TIMEOUT)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    response = http.post(
        f"{base}/app/sign-in/continue", data=hidden_fields(page.text), allow_redirects=False, timeout=REQUEST_TIMEOUT
    )
    assert response.status_code == 302, (response.status_code, response.text[:500])
    check = http.get(f"{base}/app/api/session", timeout=REQUEST_TIMEOUT).json()
    assert check["signed_in"], f"{person.email} is not signed in"


# --- 4. autosaving -------------------------------------------------------------------------------------


def send(http: requests.Session, method: str, url: str, **kwargs: object) -> tuple[requests.Response, bool]:
    """Send a request, and once more if the connection fails, as a browser does when the server closed an idle
    keep-alive connection just as the request went out on it (gunicorn closes them after 2 s). Returns the
    response and whether it was sent again; a second connection error is raised."""
    try:
        return http.request(method, url, timeout=REQUEST_TIMEOUT, **kwargs), False
    except requests.ConnectionError:
        return http.request(method, url, timeout=REQUEST_TIMEOUT, **kwargs), True


REVISION = re.compile(r'data-criterion="([^"]+)" data-revision="(\d+)"')
CSRF = re.compile(r'data-qm-autosave[^>]*data-csrf="([^"]+)"')


def work(
    person: Person, base: str, saves: int, pause: float, start: threading.Barrier, stop_at: float, results: Results
) -> None:
    try:
        autosave(person, base, saves, pause, start, stop_at, results)
    except Exception as error:  # reported, and the saves not made count as errors
        with results.lock:
            results.failures.append(f"{person.email}: stopped by {type(error).__name__}: {error}")


def autosave(
    person: Person, base: str, saves: int, pause: float, start: threading.Barrier, stop_at: float, results: Results
) -> None:
    rng = random.Random(person.index)
    # Everything random is chosen before the start, so the threads spend the run on HTTP alone.
    answers = [
        (rng.randint(1, 4), commentary(rng), EVIDENCE[rng.randrange(2)], rng.uniform(0.5 * pause, 1.5 * pause))
        for _ in range(saves)
    ]
    start.wait(timeout=60)
    time.sleep(rng.uniform(0, pause))  # people do not all press a key in the same millisecond
    done = 0
    for heading_id, criteria in itertools.cycle(person.headings):  # after the last heading, the first again
        if done >= saves or time.monotonic() > stop_at:
            return
        began = time.perf_counter()
        page, again = send(person.http, "GET", f"{base}/app/school/{person.urn}/self-evaluation/{heading_id}")
        took = (time.perf_counter() - began) * 1000
        with results.lock:
            results.pages.append(took)
            results.retries += again
        if page.status_code != 200:
            with results.lock:
                results.failures.append(f"{person.email}: page {heading_id} answered {page.status_code}")
            return
        token = CSRF.search(page.text).group(1)
        revisions = {cid: int(revision) for cid, revision in REVISION.findall(page.text)}
        for criterion_id in criteria:
            if done >= saves or time.monotonic() > stop_at:
                return
            rating, text, evidence, wait = answers[done]
            if wait:
                time.sleep(wait)
            body = {
                "rating": rating,
                "commentary": text,
                "evidence": evidence,
                "base_revision": revisions[criterion_id],
            }
            url = f"{base}/app/api/schools/{person.urn}/self-evaluation/answers/{criterion_id}"
            began = time.perf_counter()
            try:
                response, again = send(person.http, "PUT", url, json=body, headers={"X-CSRFToken": token})
            except requests.RequestException as error:
                with results.lock:
                    results.statuses["connection error"] += 1
                    results.failures.append(f"{person.email} {criterion_id}: {error}")
                done += 1
                continue
            took = (time.perf_counter() - began) * 1000
            status, saved = response.status_code, response.json().get("answer") if response.status_code == 200 else None
            if again and status == 409 and same_answer(response.json().get("current"), body):
                # The first attempt was saved after all: its answer was lost with the connection.
                status, saved = 200, response.json()["current"]
            with results.lock:
                results.retries += again
                results.statuses[status] += 1
                if status == 200:
                    results.saves.append(took)
                else:
                    results.failures.append(f"{person.email} {criterion_id}: {status} {response.text[:200]}")
            if saved is not None:
                revisions[criterion_id] = saved["revision"]
                person.acknowledged[criterion_id] = revisions[criterion_id]
            done += 1


def same_answer(current: dict | None, body: dict) -> bool:
    """Whether the answer the server holds is the one sent."""
    fields = ("rating", "commentary", "evidence")
    return current is not None and all(current.get(name) == body[name] for name in fields)


def server_times(log: Path) -> list[float]:
    """The server's own time (ms) for each successful autosave, from gunicorn's access log."""
    # The log shows the path inside the service (the /app mount point is stripped by then), in whole ms.
    pattern = re.compile(r'"PUT (?:/app)?/api/schools/[^"]+/answers/[^"]+" 200 \d+ (\d+)ms')
    return [float(match.group(1)) for match in pattern.finditer(log.read_text(errors="replace"))]


def check_store(data_dir: Path, site_dir: Path, database_url: str | None, people: list[Person]) -> int:
    """How many acknowledged saves are missing from the store (or there with another revision)."""
    app = create_app(DevelopmentConfig, app_settings(data_dir, site_dir, database_url))
    missing = 0
    with app.app_context():
        cycle = self_evaluation.current_cycle(get_content(), datetime.now(LONDON).date())
        for person in people:
            document = self_evaluation.load(get_store(), person.urn, cycle.id) or {"answers": {}}
            for criterion_id, revision in person.acknowledged.items():
                if (document["answers"].get(criterion_id) or {}).get("revision") != revision:
                    missing += 1
    return missing


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<36} {0:>6}"
    p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
    return f"{name:<36} {len(values):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {max(values):>8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent signed-in school leads (default 100)")
    parser.add_argument("--saves", type=int, default=20, help="autosaves per user (default 20)")
    parser.add_argument("--pause", type=float, default=1.0, help="mean seconds between a user's saves (default 1)")
    parser.add_argument("--email-sign-ins", type=int, default=20, help="users who sign in by email (max 25)")
    parser.add_argument("--fresh", action="store_true", help="start from empty self-evaluations")
    parser.add_argument(
        "--engines", default="sqlite,postgresql", help="which databases, in turn (default sqlite,postgresql)"
    )
    parser.add_argument("--database-url", help="an existing, empty PostgreSQL database instead of a throwaway server")
    args = parser.parse_args()
    if not 0 <= args.email_sign_ins <= 25:
        parser.error("--email-sign-ins must be 0 to 25: the sign-in limit is 30 per client address per 15 minutes")
    if not 1 <= args.users <= 500 or not 1 <= args.saves <= 200:
        parser.error("--users must be 1 to 500 and --saves 1 to 200")
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    if not engines or set(engines) - {"sqlite", "postgresql"}:
        parser.error("--engines takes sqlite, postgresql or both, separated by a comma")

    started = time.perf_counter()
    runs: list[tuple[str, Run]] = []
    for engine in engines:
        print(f"\n=== {engine} ===", flush=True)
        if engine == "sqlite":
            runs.append((engine, run_on(args, None)))
        elif args.database_url:
            runs.append((engine, run_on(args, args.database_url)))
        else:
            from tests.postgres import Server

            server = Server()
            try:
                with server.database() as url:
                    runs.append((engine, run_on(args, url)))
            finally:
                server.stop()
    failed = [engine for engine, run in runs if report(args, engine, run)]
    print(f"\nWhole run: {time.perf_counter() - started:.0f} s")
    print("Load average (1, 5, 15 min) at the end: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    if failed:
        sys.exit(1)


def run_on(args: argparse.Namespace, database_url: str | None) -> Run:
    scratch = ROOT / "build" / "bench-tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="http-autosave-", dir=scratch))
    data_dir, site_dir, log = work_dir / "data", work_dir / "site", work_dir / "server.log"
    site_dir.mkdir()
    try:
        return measure(args, work_dir, data_dir, site_dir, database_url, log)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
        if scratch.exists() and not any(scratch.iterdir()):
            scratch.rmdir()


@dataclass
class Run:
    results: Results
    phase: float
    still_running: int
    server_ms: list[float]
    missing: int


def measure(
    args: argparse.Namespace, work_dir: Path, data_dir: Path, site_dir: Path, database_url: str | None, log: Path
) -> Run:
    """Steps 1 to 4, and the check of the store; the server is stopped whatever happens."""
    started = time.perf_counter()
    server = None
    try:
        print("Load average (1, 5, 15 min) at the start: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
        print(f"Preparing {args.users} schools and school leads in {work_dir} (removed afterwards)...", flush=True)
        people = prepare(data_dir, site_dir, database_url, args.users, min(args.email_sign_ins, args.users), args.fresh)
        prepared = time.perf_counter()
        print(f"  prepared in {prepared - started:.1f} s", flush=True)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(port, data_dir, site_dir, database_url, log)
        wait_until_up(base, server, log)
        print(f"Server up at {base} (gunicorn, 2 workers x 4 threads, --preload), pid {server.pid}", flush=True)

        for person in people:
            sign_in_person(person, base, data_dir / "outbox")
        by_email = sum(person.token is None for person in people)
        print(
            f"  {len(people)} users signed in over HTTP in {time.perf_counter() - prepared:.1f} s "
            f"({by_email} by POST /app/sign-in + emailed link, {len(people) - by_email} by a token issued "
            "in preparation; all opened the link and pressed Continue)",
            flush=True,
        )

        results = Results()
        barrier = threading.Barrier(len(people) + 1)
        stop_at = time.monotonic() + TIME_LIMIT_SECONDS
        threads = [
            threading.Thread(
                target=work, args=(p, base, args.saves, args.pause, barrier, stop_at, results), daemon=True
            )
            for p in people
        ]
        for thread in threads:
            thread.start()
        barrier.wait(timeout=60)
        phase_began = time.perf_counter()
        for thread in threads:
            thread.join(timeout=max(0.0, stop_at - time.monotonic()) + REQUEST_TIMEOUT[1] + 5)
        phase = time.perf_counter() - phase_began
        still_running = sum(thread.is_alive() for thread in threads)
    finally:
        if server is not None:
            stop_server(server)
    return Run(results, phase, still_running, server_times(log), check_store(data_dir, site_dir, database_url, people))


def report(args: argparse.Namespace, engine: str, run: Run) -> bool:
    """Print one engine's figures; True if any save failed or went missing."""
    results, phase, server_ms = run.results, run.phase, run.server_ms
    attempted = sum(results.statuses.values())
    # A save that was never sent (its user stopped on an error) counts as an error too.
    errors = args.users * args.saves - results.statuses.get(200, 0)
    print()
    print(
        f"{engine}: {args.users} users x {args.saves} autosaves, mean pause {args.pause:g} s, "
        f"{'empty' if args.fresh else 'fully answered'} self-evaluations"
    )
    print(f"{'':<36} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    print(line("autosave PUT, as the client saw it", results.saves))
    print(line("autosave PUT, server time (log)", server_ms))
    print(line("heading page GET (form + revisions)", results.pages))
    print()
    print(f"autosaves sent: {attempted}; errors (not 200, or never sent): {errors}; statuses: {dict(results.statuses)}")
    print(f"requests sent again after the connection dropped (as a browser does): {results.retries}")
    print(f"throughput: {len(results.saves) / phase:.0f} autosaves/s over {phase:.1f} s of saving")
    print(f"acknowledged saves missing from the store after the server stopped: {run.missing}")
    if run.still_running:
        print(f"{run.still_running} users were still running at the time limit")
    for failure in results.failures[:10]:
        print(f"  {failure}")
    return bool(errors or run.missing or run.still_running)


if __name__ == "__main__":
    main()
