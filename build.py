"""Check the content, generate JSON Schemas and the public site.

    python build.py check [--format github]   check every content file; report every problem at once
    python build.py schemas                   write one JSON Schema per framework version to build/schemas/
    python build.py site                      generate the pages and run `mkdocs build --strict`
    python build.py site --register SOURCE    the same, with the register of schools holding the mark from a
                                              file or the service's URL (or set QM_REGISTER)

Everything written goes under build/ (git-ignored): generated files are never committed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from quality_mark import site_map
from quality_mark.calendar_feed import calendar_feed
from quality_mark.loader import check_content
from quality_mark.model import LONDON, Content
from quality_mark.register import RegisterError, current_register, register_csv, register_json
from quality_mark.register_source import load_register
from quality_mark.response_schema import dump_schema, response_schema
from quality_mark.site_pages import site_nav, site_pages

ROOT = Path(__file__).resolve().parent
BUILD = ROOT / "build"


def run_check(root: Path, output_format: str = "text") -> Content | None:
    """Print every content problem (or a one-line summary) and return the content if it is clean."""
    started = time.perf_counter()
    content, problems = check_content(root)
    if problems:
        for problem in problems:
            print(problem.as_github_annotation() if output_format == "github" else problem)
        files = len({problem.file for problem in problems})
        print(
            f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''} in {files} file{'s' if files != 1 else ''}. "
            "Nothing was built.",
            file=sys.stderr,
        )
        return None
    assert content is not None
    criteria = sum(len(framework.criteria) for framework in content.frameworks)
    print(
        f"Content OK: {len(content.frameworks)} framework versions ({criteria} criteria), "
        f"{len(content.timeline.stages)} stages, {len(content.key_dates.cycles)} cycles, "
        f"{len(content.contacts)} contacts, {len(content.evidence_checklist)} evidence items, "
        f"{len(content.pages)} pages "
        f"(checked in {time.perf_counter() - started:.2f} s)."
    )
    return content


def write_schemas(content: Content, folder: Path) -> list[Path]:
    """One schema file per framework version, at <folder>/<framework>/v<version>.json."""
    written = []
    for framework in content.frameworks:
        path = folder / site_map.schema_path(framework.id, framework.version).removeprefix("schemas/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_schema(response_schema(framework)), encoding="utf-8")
        written.append(path)
    return written


def write_docs(content: Content, docs: Path, root: Path, register: dict[str, Any] | None = None) -> None:
    """The site's Markdown, assets, calendar and schemas, in a fresh docs folder; and the register of schools
    holding the mark as open data (JSON and CSV) when there is one."""
    if docs.exists():
        shutil.rmtree(docs)
    shutil.copytree(root / "site_src" / "assets", docs)
    if register is not None:
        (docs / site_map.REGISTER_JSON).write_text(register_json(register), encoding="utf-8")
        (docs / site_map.REGISTER_CSV).write_text(register_csv(register), encoding="utf-8", newline="")
    for relative, text in site_pages(content, register).items():
        path = docs / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (docs / site_map.CALENDAR).write_bytes(calendar_feed(content.key_dates).encode("utf-8"))
    write_schemas(content, docs / "schemas")


def build_site(content: Content, root: Path, out: Path, register: dict[str, Any] | None = None) -> Path:
    """Generate the pages under out/docs and build the static site into out/site. Returns the site folder."""
    docs, site = out / "docs", out / "site"
    write_docs(content, docs, root, register)
    # The navigation comes from the content, so it is added to mkdocs.yml in a generated child config.
    config = {
        "INHERIT": str(root / "mkdocs.yml"),
        "docs_dir": str(docs),
        "site_dir": str(site),
        "theme": {"name": "material", "custom_dir": str(root / "site_src" / "overrides")},
        "nav": site_nav(content),
    }
    config_path = out / "mkdocs.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--config-file", str(config_path)],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"mkdocs build --strict failed (exit {result.returncode}).")
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "schemas", "site"])
    parser.add_argument("--format", choices=["text", "github"], default="text", help="how to print problems")
    parser.add_argument("--root", type=Path, default=ROOT, help="folder holding criteria/ and content/")
    parser.add_argument("--out", type=Path, default=BUILD, help="folder for everything built")
    parser.add_argument(
        "--register",
        default=os.environ.get("QM_REGISTER") or None,
        help="site only: the register of schools holding the mark, a file written by `flask --app form_service "
        "export-register` or the service's URL, e.g. http://127.0.0.1:8000/app/register.json (default: $QM_REGISTER)",
    )
    args = parser.parse_args(argv)

    content = run_check(args.root.resolve(), args.format)
    if content is None:
        return 1
    out = args.out.resolve()
    if args.command == "schemas":
        for path in write_schemas(content, out / "schemas"):
            print(f"Wrote {path.relative_to(out.parent) if path.is_relative_to(out.parent) else path}")
    elif args.command == "site":
        started = time.perf_counter()
        register = None
        if args.register:
            try:
                # Awards that have run out since the register was exported drop off today.
                register = current_register(load_register(args.register), datetime.now(LONDON).date())
            except RegisterError as error:
                print(f"The register of schools holding the mark cannot be used: {error}", file=sys.stderr)
                print("Nothing was built.", file=sys.stderr)
                return 1
        site = build_site(content, args.root.resolve(), out, register)
        pages = sum(1 for _ in site.glob("**/index.html"))
        listed = "no register" if register is None else f"{len(register['schools'])} schools holding the mark"
        print(f"Built {pages} pages ({listed}) into {site} in {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
