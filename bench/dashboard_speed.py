"""How long the LA's programme dashboard (`GET /app/la/`) takes with 300 and with 24,000 schools.

Run by hand (not part of the tests), from the repository root:

    .venv/bin/python bench/dashboard_speed.py                 # 300 and 24,000 schools: a few minutes
    .venv/bin/python bench/dashboard_speed.py --sizes 300,3000

Each school gets what the dashboard reads for a busy programme: its school list entry with a team, this
cycle's self-evaluation (one small document and six heading documents, 42 answers in all, one history
entry each), and for every third school an award. The documents are written through the store in one
transaction (one commit for them all, which only makes the setup quicker). `--database-url` runs the same on
an empty PostgreSQL database instead of SQLite in a temporary folder.

Measured through the real service with Flask's test client, signed in as an LA reviewer:

* first view: a worker process's first request;
* view: the same page again, with nothing changed since;
* view after saves: 100 answers saved to 100 different schools through `self_evaluation.save_answer`
  between two views;
* filtered and sorted: `?status=in_progress&sort=progress&order=descending`;
* a new worker's first view: a second app on the same database.

Every view reads the summary rows the store keeps with each save (form_service/summaries.py) in one query and
works out the day's statuses from them; no worker keeps anything between views, so all of these cost the same.

Targets (from the issue): ≤ 100 ms at 300 schools and ≤ 1 s at 24,000, every view including a new worker's
first. Another busy process on the machine shows up in these figures: the load average is printed at the start
and the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import session  # noqa: E402

from form_service import accounts, create_app, self_evaluation, workflow  # noqa: E402
from form_service.accounts import auth  # noqa: E402
from form_service.config import TestConfig  # noqa: E402
from form_service.core.content import get_content  # noqa: E402
from form_service.store import get_store  # noqa: E402

TODAY = date(2026, 11, 23)
VIEWS = 20


def fill(store: Any, content: Any, schools: range, cycle_id: str) -> None:
    with store.transaction():
        _fill(store.write, content, schools, cycle_id)


def _fill(write_raw: Any, content: Any, schools: range, cycle_id: str) -> None:
    rng = random.Random(schools.start)
    frameworks = [content.framework(framework_id) for framework_id in content.framework_ids()]
    moment = datetime(2026, 11, 1, tzinfo=UTC).isoformat(timespec="seconds")
    for number in schools:
        urn = str(100_000 + number)
        framework = frameworks[number % len(frameworks)]
        members = {f"user-{number}": {"role": "admin", "added_at": moment, "added_by": None}}
        school = {"urn": urn, "name": f"School {number:05d}", "phase": framework.id.capitalize()}
        school |= {"framework": framework.id, "postcode": "AB1 2CD", "members": members, "pending": {}}
        write_raw(accounts.SCHOOLS, urn, school)
        status = rng.choice(["in_progress", "in_progress", "submitted", "under_review", "returned"])
        meta = {"urn": urn, "cycle": cycle_id, "framework": framework.id, "framework_version": framework.version}
        meta |= {"content_hash": framework.content_hash, "status": status, "created_at": moment}
        meta["parts"] = [heading.id for heading in framework.headings]
        write_raw(self_evaluation.COLLECTION, self_evaluation.key(urn, cycle_id), meta)
        answered = framework.criteria if status != "in_progress" else framework.criteria[: rng.randrange(43)]
        for heading in framework.headings:
            answers, history = {}, {}
            for criterion in heading.criteria:
                if criterion not in answered:
                    continue
                answer = {"rating": rng.randint(1, 4), "commentary": "Established practice. " * 25, "evidence": []}
                answer |= {"revision": 1, "updated_at": moment, "updated_by": f"user-{number}"}
                answers[criterion.id] = answer
                history[criterion.id] = [answer | {"at": moment, "by": f"user-{number}"}]
            part = {"answers": answers, "history": history}
            write_raw(self_evaluation.ANSWERS, self_evaluation.part_key(urn, cycle_id, heading.id), part)
        if number % 3 == 0:
            decided = TODAY - timedelta(days=rng.randrange(1, 1400))
            decision = {"outcome": "awarded", "decided_on": decided.isoformat()}
            decision["expires_on"] = workflow.award_expiry(decided, 3).isoformat()
            write_raw("awards", urn, {"urn": urn, "decisions": [decision]})


def timed_view(client: Any, path: str = "/la/") -> float:
    begin = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - begin) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed


def measure(size: int, work: Path, database_url: str | None) -> dict[str, list[float]]:
    data_dir = work / f"data-{size}"
    settings = {"DATA_DIR": data_dir, "CONTENT_ROOT": ROOT, "SITE_DIR": work, "TODAY": TODAY.isoformat()}
    if database_url:
        settings["DATABASE_URL"] = database_url
    app = create_app(TestConfig, settings)
    with app.app_context():
        content, store = get_content(), get_store()
        cycle = self_evaluation.current_cycle(content, TODAY)
        started = time.perf_counter()
        fill(store, content, range(size), cycle.id)
        print(f"  {size:,} schools written in {time.perf_counter() - started:.1f} s", flush=True)
        reviewer = accounts.ensure_user(store, "bench.reviewer@example.org", "Bench Reviewer", la_role="reviewer")
    with app.test_request_context():
        auth.start_session(reviewer)
        signed_in = dict(session)
    client = app.test_client()
    with client.session_transaction() as client_session:
        client_session.update(signed_in)
    os.sync()
    results: dict[str, list[float]] = {"first view": [timed_view(client)]}
    results["view"] = [timed_view(client) for _ in range(VIEWS)]
    rng = random.Random(size)
    after_saves = []
    with app.app_context():
        store, content = get_store(), get_content()
        for _ in range(5):
            for number in rng.sample(range(size), 100):
                urn = str(100_000 + number)
                framework = content.framework(content.framework_ids()[number % 2])
                criterion = framework.criteria[rng.randrange(len(framework.criteria))]
                document = self_evaluation.load(store, urn, cycle.id) or {}
                base = document.get("answers", {}).get(criterion.id, {}).get("revision", 0)
                answer = {"rating": rng.randint(1, 4), "commentary": "Changed today.", "evidence": []}
                self_evaluation.save_answer(store, content, cycle, urn, criterion.id, answer, base, "bench")
            after_saves.append(timed_view(client))
    results["view after 100 saves to 100 schools"] = after_saves
    query = "/la/?status=in_progress&sort=progress&order=descending"
    results["filtered and sorted"] = [timed_view(client, query) for _ in range(VIEWS)]
    # A second worker process: a new app on the same database, with nothing of its own to start from.
    worker = create_app(TestConfig, settings)
    worker_client = worker.test_client()
    with worker_client.session_transaction() as client_session:
        client_session.update(signed_in)
    results["a new worker's first view"] = [timed_view(worker_client)]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="300,24000", help="numbers of schools (default %(default)s)")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (one size only) instead of SQLite")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print("Load average (1, 5, 15 min) at the start: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    scratch = ROOT / "build" / "bench-tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dashboard-", dir=scratch))
    table = []
    try:
        for size in sizes:
            for name, times in measure(size, work, args.database_url).items():
                table.append((name, size, times))
                print(f"  {name} at {size:,}: median {statistics.median(times):.1f} ms", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'GET /app/la/':<44} {'schools':>8} {'views':>6} {'median ms':>10} {'max ms':>9}")
    print("-" * 82)
    for name, size, times in table:
        print(f"{name:<44} {size:>8,} {len(times):>6} {statistics.median(times):>10.1f} {max(times):>9.1f}")
    print("Load average (1, 5, 15 min) at the end: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))


if __name__ == "__main__":
    main()
