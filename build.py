"""Check the content, generate JSON Schemas and the public site.

    python build.py check [--format github]   check every content file; report every problem at once
    python build.py check --base REF          the same, and refuse changes to framework versions published at
                                              REF (a git ref of the repository at --root, or a folder), e.g.
                                              `check --base origin/main` on a pull request
    python build.py schemas                   write one JSON Schema per framework version to build/schemas/
    python build.py site                      generate the pages and run `mkdocs build --strict`
    python build.py site --register SOURCE    the same, with the register of schools holding the mark from a
                                              file or the service's URL (or set QM_REGISTER)
    python build.py diff OLD NEW [--format markdown]
                                              what changed between two states of the content, in plain
                                              English; OLD and NEW are folders or git refs of the repository
                                              at --root (e.g. `diff main HEAD`)

Everything written goes under build/ (git-ignored): generated files are never committed.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from quality_mark import site_map
from quality_mark.calendar_feed import calendar_feed
from quality_mark.content_diff import content_changes, render_markdown, render_text
from quality_mark.loader import check_content
from quality_mark.model import LONDON, Content
from quality_mark.published import check_published
from quality_mark.register import RegisterError, current_register, register_csv, register_json
from quality_mark.register_source import load_register
from quality_mark.response_schema import dump_schema, response_schema
from quality_mark.site_pages import site_nav, site_pages

ROOT = Path(__file__).resolve().parent
BUILD = ROOT / "build"


def run_check(root: Path, output_format: str = "text", base: Path | None = None) -> Content | None:
    """Print every content problem (or a one-line summary) and return the content if it is clean. With
    `base` (a folder holding the published criteria/), changes to published framework versions are problems."""
    started = time.perf_counter()
    content, problems = check_content(root)
    if base is not None:
        problems = sorted(set(problems) | set(check_published(root, base)))
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
    published = "" if base is None else " No published framework version was changed."
    criteria = sum(len(framework.criteria) for framework in content.frameworks)
    print(
        f"Content OK: {len(content.frameworks)} framework versions ({criteria} criteria), "
        f"{len(content.timeline.stages)} stages, {len(content.key_dates.cycles)} cycles, "
        f"{len(content.contacts)} contacts, {len(content.evidence_checklist)} evidence items, "
        f"{len(content.pages)} pages "
        f"(checked in {time.perf_counter() - started:.2f} s).{published}"
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


class DiffError(Exception):
    """A side of `build.py diff` that cannot be read: neither a folder nor a git ref of the repository."""


def content_side(side: str, repository: Path, target: Path) -> Path:
    """The folder holding criteria/ and content/ for one side of a diff: the folder itself, or the files of
    git ref `side` in `repository` written into the new folder `target`. A folder wins over a ref of the
    same name."""
    folder = Path(side)
    if folder.is_dir():
        if not (folder / "criteria").is_dir() and not (folder / "content").is_dir():
            raise DiffError(f"{side} is a folder, but it holds no criteria/ or content/ folder.")
        return folder.resolve()
    git = ["git", "-C", str(repository)]
    found = subprocess.run(
        [*git, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{side}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if side.startswith("-") or found.returncode != 0:
        raise DiffError(f"{side} is neither a folder nor a git commit, branch or tag in {repository}.")
    commit = found.stdout.strip()
    listed = subprocess.run([*git, "ls-tree", "--name-only", commit], capture_output=True, text=True, check=True)
    folders = [name for name in ("criteria", "content") if name in listed.stdout.splitlines()]
    if not folders:
        raise DiffError(f"{side} has no criteria/ or content/ folder.")
    archive = subprocess.run([*git, "archive", "--format=tar", commit, *folders], capture_output=True, check=True)
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def run_diff(old: str, new: str, repository: Path, output_format: str = "text") -> int:
    """Print what changed from `old` to `new` (folders or git refs). 0 when both sides could be compared,
    1 when a side's content does not pass the check, 2 when a side cannot be read at all."""
    with tempfile.TemporaryDirectory(prefix="content-diff-") as scratch:
        loaded: list[Content] = []
        for name, side in (("old", old), ("new", new)):
            try:
                root = content_side(side, repository, Path(scratch) / name)
            except DiffError as error:
                print(f"Cannot compare: {error}", file=sys.stderr)
                return 2
            content, problems = check_content(root)
            if problems or content is None:
                print(f"The content at {side} does not pass the check, so it cannot be compared:", file=sys.stderr)
                for problem in problems:
                    print(problem, file=sys.stderr)
                return 1
            loaded.append(content)
    changes = content_changes(*loaded)
    print((render_markdown if output_format == "markdown" else render_text)(changes), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "schemas", "site", "diff"])
    parser.add_argument("sides", nargs="*", metavar="OLD NEW", help="diff only: two folders or git refs")
    parser.add_argument(
        "--format",
        choices=["text", "github", "markdown"],
        default="text",
        help="how to print problems (github: annotations) or, for diff, the changes (markdown: for a pull request)",
    )
    parser.add_argument(
        "--base",
        help="check only: framework versions present at BASE (a git ref of the repository at --root, or a folder) "
        "are published, and may change only by a correction of a typo",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="folder holding criteria/ and content/")
    parser.add_argument("--out", type=Path, default=BUILD, help="folder for everything built")
    parser.add_argument(
        "--register",
        default=os.environ.get("QM_REGISTER") or None,
        help="site only: the register of schools holding the mark, a file written by `flask --app form_service "
        "export-register` or the service's URL, e.g. http://127.0.0.1:8000/app/register.json (default: $QM_REGISTER)",
    )
    args = parser.parse_args(argv)

    if args.command == "diff":
        if len(args.sides) != 2:
            parser.error("diff needs two things to compare: OLD and NEW (folders or git refs)")
        return run_diff(args.sides[0], args.sides[1], args.root.resolve(), args.format)
    if args.sides:
        parser.error(f"unexpected argument: {args.sides[0]}")
    if args.base is not None and args.command != "check":
        parser.error("--base goes with check only")
    if args.base is not None:
        with tempfile.TemporaryDirectory(prefix="content-base-") as scratch:
            try:
                base = content_side(args.base, args.root.resolve(), Path(scratch) / "base")
            except DiffError as error:
                print(f"Cannot check against --base: {error}", file=sys.stderr)
                return 2
            return 0 if run_check(args.root.resolve(), args.format, base) is not None else 1
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
