"""How long the service takes to answer /app/register.json and /app/register.csv. Run by hand:
`.venv/bin/python bench/register_export.py` (about a minute).

The register reads only the schools that have an awards document, so its cost should follow the number of
award holders, not the number of schools. Each case fills a temporary store with that many schools and awards
(every award current), then times requests through the Flask test client (no network); median and slowest.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from form_service import create_app  # noqa: E402
from form_service.config import TestConfig  # noqa: E402
from form_service.register.views import AWARDS  # noqa: E402
from form_service.store import get_store  # noqa: E402

RUNS = 7
CASES = [(300, 30), (3_000, 30), (3_000, 300), (3_000, 1_000)]  # (schools, award holders)


def fill(app, schools: int, holders: int) -> None:
    with app.app_context():
        store = get_store()
        for number in range(schools):
            urn = f"{800000 + number}"
            store.write(
                "schools",
                urn,
                {"urn": urn, "name": f"School {number:05d}", "phase": "Primary", "framework": "primary", "members": {}},
            )
            if number < holders:
                decision = {"outcome": "awarded", "decided_on": "2026-10-14", "expires_on": "2029-10-14"}
                store.write(AWARDS, urn, {"decisions": [decision]})


def main() -> None:
    print(f"{'schools':>8} {'holders':>8} {'path':<16} {'median':>9} {'slowest':>9}  ({RUNS} requests)")
    for schools, holders in CASES:
        with tempfile.TemporaryDirectory() as data:
            app = create_app(
                TestConfig, {"DATA_DIR": Path(data), "SITE_DIR": Path(data) / "site", "TODAY": "2026-11-23"}
            )
            fill(app, schools, holders)
            client = app.test_client()
            for path in ("/register.json", "/register.csv"):
                times = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 200
                print(
                    f"{schools:>8,} {holders:>8,} {path:<16} {statistics.median(times) * 1000:>7.1f}ms "
                    f"{max(times) * 1000:>7.1f}ms"
                )


if __name__ == "__main__":
    main()
