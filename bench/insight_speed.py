"""How long the LA's insight heatmap and the schools export take at 300 and 24,000 schools. Run by hand:
`.venv/bin/python bench/insight_speed.py` (about 5 minutes; `--sizes 300` for a quick run).

Target on a 2-core machine: the heatmap page <= 2 s at 24,000 schools. Synthetic schools (primary and
secondary), fully rated submissions (42 criteria with short commentaries) and moderation of every third school
are written through the real store into a temporary folder under build/; the insight index is rebuilt with the
real `rebuild-insight` code; then each page is requested through the real app (signed in as an LA reviewer,
templates rendered) several times and the median and 95th percentile are reported. The LA's year-on-year page
is measured the same way; its first view reads every submission into the worker's index (in the p95).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from form_service import accounts, create_app, self_evaluation  # noqa: E402
from form_service.config import TestConfig  # noqa: E402
from form_service.core.content import get_content  # noqa: E402
from form_service.insight import index as insight_index  # noqa: E402
from form_service.store import get_store  # noqa: E402

CYCLE = "2026-27"
RUNS = 7
REVIEWER = "bench.reviewer@example.org"


def synthetic_school(number: int, content: Any, rng: random.Random) -> list[tuple[str, str, dict[str, Any]]]:
    """The documents of one school that has submitted: (collection, key, document)."""
    urn = str(700000 + number)
    framework = content.framework("primary" if number % 3 else "secondary")
    phase = "Primary" if framework.id == "primary" else rng.choice(["Secondary", "All-through"])
    answers = {
        criterion.id: {"rating": rng.randint(1, 4), "commentary": "What we do and how we know. " * 8, "evidence": []}
        for criterion in framework.criteria
    }
    reference = f"QM-{urn}-202627-BENCH1"
    documents = [
        (
            "schools",
            urn,
            {
                "urn": urn,
                "name": f"Synthetic School {number:05d}",
                "phase": phase,
                "framework": framework.id,
                "postcode": f"AB{number % 90 + 1} {number % 9}AA",
                "easting": 400000 + rng.randint(0, 100000),
                "northing": 100000 + rng.randint(0, 100000),
                "members": {},
                "pending": {},
            },
        ),
        (
            self_evaluation.COLLECTION,
            self_evaluation.key(urn, CYCLE),
            {
                "urn": urn,
                "cycle": CYCLE,
                "framework": framework.id,
                "framework_version": framework.version,
                "status": "submitted",
                "parts": [heading.id for heading in framework.headings],
                "submissions": [reference],
            },
        ),
        *(
            (
                self_evaluation.ANSWERS,
                self_evaluation.part_key(urn, CYCLE, heading.id),
                {"answers": {c.id: answers[c.id] for c in heading.criteria if c.id in answers}, "history": {}},
            )
            for heading in framework.headings
        ),
        (
            "submissions",
            reference.lower(),
            {
                "reference": reference,
                "urn": urn,
                "cycle": CYCLE,
                "framework": framework.id,
                "framework_version": framework.version,
                "answers": answers,
            },
        ),
    ]
    if number % 3 == 0:
        first = framework.criteria[0].id
        documents.append(("moderation", f"{urn}-{CYCLE}", {"criteria": {first: {"decision": "moderate", "rating": 2}}}))
    return documents


def timed_get(client: Any, path: str) -> list[float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return times


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def run(size: int, folder: Path) -> list[tuple[str, float, float]]:
    app = create_app(
        TestConfig,
        {"DATA_DIR": folder, "CONTENT_ROOT": ROOT, "SITE_DIR": folder / "no-site", "TODAY": "2026-11-23"},
    )
    results = []
    with app.app_context():
        store, content = get_store(), get_content()
        rng = random.Random(size)
        documents = [doc for number in range(size) for doc in synthetic_school(number, content, rng)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda doc: store.write(*doc), documents, chunksize=64))
        print(f"  {size:,} schools: wrote {len(documents):,} documents in {time.perf_counter() - started:.0f}s")
        started = time.perf_counter()
        count = insight_index.rebuild(store, content)
        results.append(("rebuild-insight (all schools, once)", time.perf_counter() - started, float("nan")))
        assert count == size
        accounts.ensure_user(store, REVIEWER, "Bench reviewer", la_role="reviewer")
    client = app.test_client()
    sign_in(app, client)
    for label, path in (
        ("heatmap page, primary, first 200 rows", "/la/insight"),
        ("heatmap page, secondary, one phase", "/la/insight?framework=secondary&phase=Secondary"),
        ("ratings per criterion page", "/la/insight/distributions"),
        ("best practice for a heading", "/la/insight/best-practice?topic=primary/leadership"),
        ("schools that could help (one school)", "/la/insight/schools/700001"),
        ("schools export (XLSX)", "/la/exports/schools.xlsx"),
        ("year on year across schools, primary", "/la/year-on-year"),
    ):
        times = timed_get(client, path) if "export" not in path or size <= 300 else timed_few(client, path)
        results.append((label, statistics.median(times), p95(times)))
    return results


def timed_few(client: Any, path: str) -> list[float]:
    """The export at 24,000 schools takes long enough that three runs show its spread."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append(time.perf_counter() - started)
    return times


def sign_in(app: Any, client: Any) -> None:
    """Sign in as the LA reviewer through the real sign-in link, as conftest's SignIn does."""
    import email
    import re
    from email import policy
    from urllib.parse import parse_qs, urlsplit

    def csrf(path: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)

    client.post("/sign-in", data={"email": REVIEWER, "csrf_token": csrf("/sign-in")})
    outbox = Path(app.config["DATA_DIR"]) / "outbox"
    message = email.message_from_bytes(sorted(outbox.glob("*.eml"))[-1].read_bytes(), policy=policy.default)
    token = parse_qs(urlsplit(re.search(r"https?://\S+", message.get_content()).group(0)).query)["token"][0]
    client.post("/sign-in/continue", data={"token": token, "csrf_token": csrf("/sign-in/continue?token=" + token)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 24_000])
    arguments = parser.parse_args()
    (ROOT / "build").mkdir(exist_ok=True)
    print(f"{'schools':>8}  {'what':<42} {'median':>9} {'p95':>9}")
    for size in arguments.sizes:
        with tempfile.TemporaryDirectory(dir=ROOT / "build", prefix="bench-insight-") as folder:
            for label, median, slowest in run(size, Path(folder)):
                p95_text = "" if slowest != slowest else f"{slowest * 1000:>7.0f}ms"
                print(f"{size:>8,}  {label:<42} {median * 1000:>7.0f}ms {p95_text:>9}")


if __name__ == "__main__":
    main()
