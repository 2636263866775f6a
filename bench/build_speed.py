"""How long `build.py check` and the full site build take. Run by hand: `make bench`.

Targets on a 2-core machine: check <= 1 s, full build <= 15 s. Each command runs as a fresh process,
as an editor or CI would run it, several times; the median and the slowest are reported.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as out:
        cases = {
            "build.py check (whole process)": [python, "build.py", "check"],
            "build.py site (check + pages + mkdocs --strict)": [python, "build.py", "site", "--out", out],
        }
        print(f"{'command':<50} {'median':>8} {'slowest':>8}  ({RUNS} runs)")
        for name, command in cases.items():
            times = [timed(command) for _ in range(RUNS)]
            print(f"{name:<50} {statistics.median(times):>7.2f}s {max(times):>7.2f}s")


if __name__ == "__main__":
    main()
