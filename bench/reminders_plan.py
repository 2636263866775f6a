"""How long planning the day's reminders takes (what `send-reminders --dry-run` and the Reminders page do).

Run by hand from the repository root: `.venv/bin/python bench/reminders_plan.py`. For 300 and 3,000 schools in
a real store (SQLite) on a temporary folder (each school with a lead and a contributor, half of them with a
self-evaluation begun, a third holding an award, and a year of reminders already recorded), it times
`reminders.plan_for` on the 28-day point several times and prints the median and the slowest.

Measured on a 2-core machine: 0.17 s at 300 schools, 1.2 s at 3,000 (about 0.4 ms per school: a scan of the
schools plus one read each of the self-evaluation, the awards and every team member).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask

from form_service import accounts, reminders, self_evaluation
from form_service.core import clock
from form_service.store import SQLStore, open_store
from quality_mark.loader import load_content

RUNS = 5
TODAY = date(2027, 9, 2)


def fill(store: SQLStore, schools: int) -> None:
    content = load_content()
    cycle = self_evaluation.current_cycle(content, TODAY)
    for number in range(schools):
        urn = str(800000 + number)
        school = {"urn": urn, "name": f"School {number}", "framework": "primary", "members": {}, "pending": {}}
        store.write(accounts.SCHOOLS, urn, school)
        for role in ("admin", "contributor"):
            user = accounts.ensure_user(store, f"{role}{number}@school{number}.example.org", f"{role} {number}")
            accounts.add_member(store, urn, user.id, role, added_by=None)  # type: ignore[arg-type]
            store.write(reminders.SENT, f"{urn}.2025-26.deadline.2026-09-30.7.{user.id}", {"status": "sent"})
        if number % 2:
            self_evaluation.start(store, content, school, cycle)
        if number % 3 == 0:
            decision = {"outcome": "awarded", "decided_on": "2025-12-10", "expires_on": "2028-12-10"}
            store.write(reminders.AWARDS, urn, {"decisions": [decision]})


def main() -> None:
    bare_clock = Flask("bench")  # the service's one clock, without a service
    bare_clock.config.update(ENV_NAME="bench", TODAY=TODAY.isoformat())
    clock.init_app(bare_clock)
    with bare_clock.app_context():
        run()


def run() -> None:
    content = load_content()
    print(f"{'schools':>8} {'reminders due':>14} {'median':>8} {'slowest':>8}  ({RUNS} runs of plan_for)")
    for schools in (300, 3000):
        with tempfile.TemporaryDirectory() as folder:
            store = open_store(Path(folder))
            fill(store, schools)
            times, due = [], 0
            for _ in range(RUNS):
                started = time.perf_counter()
                _, plan = reminders.plan_for(store, content, TODAY)
                times.append(time.perf_counter() - started)
                due = len(plan.reminders)
            print(f"{schools:>8} {due:>14} {statistics.median(times):>7.2f}s {max(times):>7.2f}s")


if __name__ == "__main__":
    main()
