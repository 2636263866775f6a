"""An editor's change to the criteria, done as a new framework version, on a copy of the repository's content.

`copy_content(root)` copies what the check and the site need into `root`; `add_primary_v2(root)` then writes
criteria/primary/v2.yaml the way an editor would: a copy of version 1 that adds one criterion (PRI-LEAD-08),
rewords one (PRI-TEACH-02) and retires one (PRI-LEAD-06). `add_secondary_v2_with_split_and_merge(root)` writes
criteria/secondary/v2.yaml, which splits one criterion, merges two and replaces one. Other test modules (moving
self-evaluations to a new version, year-on-year comparison) build on the same change, so every test sees
the same one. The repository's real criteria/ stay at version 1.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

PRIMARY_V1 = "criteria/primary/v1.yaml"
PRIMARY_V2 = "criteria/primary/v2.yaml"
SECONDARY_V1 = "criteria/secondary/v1.yaml"
SECONDARY_V2 = "criteria/secondary/v2.yaml"

# The primary change: one criterion added, one reworded, one retired.
ADDED = "PRI-LEAD-08"
ADDED_STATEMENT = (
    "Leaders work with families of pupils with SEND as partners, and plan the school's support together with them."
)
REWORDED = "PRI-TEACH-02"
REWORDED_BEFORE = (
    "Every classroom consistently uses the strategies in the LA's Ordinarily Available Provision guidance."
)
REWORDED_AFTER = (
    "Every classroom consistently uses the strategies in the LA's Ordinarily Available Provision guidance, "
    "and teachers adapt them to the pupils in front of them."
)
RETIRED = "PRI-LEAD-06"
RETIRED_NOTE = "Checking how pupils with SEND are doing is now part of the school's own improvement planning."
PRIMARY_SUMMARY = (
    "Version 2 puts more weight on working with families and on adapting teaching to each class. "
    "One criterion is new, one is reworded and one is retired; every other criterion is unchanged."
)
PRIMARY_LOG = (
    f"Added {ADDED} on working with families as partners.",
    f"Reworded {REWORDED} to ask how teachers adapt the Ordinarily Available Provision strategies.",
    f"Retired {RETIRED}: schools no longer rate it separately.",
)

# The secondary change: one criterion split in two, two merged into one, one replaced.
SPLIT_FROM, SPLIT_TO = "SEC-LEAD-05", ("SEC-LEAD-08", "SEC-LEAD-09")
MERGED_FROM, MERGED_TO = ("SEC-TEACH-06", "SEC-TEACH-07"), "SEC-TEACH-08"
REPLACED_FROM, REPLACED_TO = "SEC-WELL-07", "SEC-WELL-08"
SECONDARY_STATEMENTS = {
    "SEC-LEAD-08": "Leaders analyse attainment, attendance and behaviour for students with SEND each term.",
    "SEC-LEAD-09": "Leaders use what the analysis shows to plan improvements to provision, with owners and dates.",
    "SEC-TEACH-08": "Teachers adapt lessons, resources and homework so that students with SEND can take a full part.",
    "SEC-WELL-08": "Students with SEND take part fully in clubs, trips and the wider life of the school.",
}


def copy_content(root: Path) -> Path:
    """Copy criteria/, content/, site_src/ and mkdocs.yml of the repository into `root` (created if need be);
    return `root`, ready for `build.py check --root` and `build.py site --root`."""
    root.mkdir(parents=True, exist_ok=True)
    for folder in ("criteria", "content", "site_src"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    shutil.copy2(REPO_ROOT / "mkdocs.yml", root / "mkdocs.yml")
    return root


def replace_once(text: str, old: str, new: str) -> str:
    """`text` with the one place `old` occurs replaced: a changed source file fails loudly, not quietly."""
    count = text.count(old)
    assert count == 1, f"expected {old!r} exactly once, found it {count} times"
    return text.replace(old, new)


def edit(root: Path, relative: str, old: str, new: str) -> int:
    """Replace the one place `old` occurs in a file; the line on which the new text starts."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    path.write_text(replace_once(text, old, new), encoding="utf-8")
    return text.count("\n", 0, text.index(old)) + 1


def criterion_block(text: str, criterion_id: str) -> str:
    """The lines of one criterion in a framework file, from its `- id:` line up to the next item or heading."""
    start = text.index(f"      - id: {criterion_id}\n")
    ends = [found for marker in ("\n      - id: ", "\n  - id: ") if (found := text.find(marker, start + 1)) != -1]
    return text[start : min(ends) + 1 if ends else len(text)]


def new_criterion(criterion_id: str, statement: str) -> str:
    """A criterion written out as an editor would add it."""
    return (
        f"      - id: {criterion_id}\n"
        f"        statement: >-\n"
        f"          {statement}\n"
        "        guidance: |\n"
        "          Leaders and staff can explain how this happens day to day, and families and pupils\n"
        "          recognise it in what the school does.\n"
        "        evidence_examples:\n"
        "          - Notes of meetings with families and pupils\n"
        "          - Plans that show what was agreed and who does it\n"
        "        next_level: >-\n"
        "          The school reviews this every year with families and pupils and can show what it changed.\n"
    )


def _changes_block(summary: str, log: tuple[str, ...], crosswalk: str) -> str:
    return (
        "changes:\n"
        "  summary: >-\n"
        f"    {summary}\n"
        "  log:\n" + "".join(f'    - "{line}"\n' for line in log) + "  crosswalk:\n" + crosswalk
    )


def _new_version(text: str, effective_from: str) -> str:
    text = replace_once(text, "version: 1\n", "version: 2\n")
    return replace_once(text, 'effective_from: "2026-09-01"\n', f'effective_from: "{effective_from}"\n')


def add_primary_v2(root: Path) -> None:
    """Write criteria/primary/v2.yaml: version 1 with PRI-LEAD-08 added under leadership, PRI-TEACH-02's
    statement reworded and PRI-LEAD-06 retired, in effect a year after version 1."""
    text = _new_version((root / PRIMARY_V1).read_text(encoding="utf-8"), "2027-09-01")
    text = replace_once(text, criterion_block(text, RETIRED), "")
    text = replace_once(
        text, "  - id: identification\n", new_criterion(ADDED, ADDED_STATEMENT) + "  - id: identification\n"
    )
    text = replace_once(
        text,
        "          Every classroom consistently uses the strategies in the LA's Ordinarily Available Provision\n"
        "          guidance.\n",
        "          Every classroom consistently uses the strategies in the LA's Ordinarily Available Provision\n"
        "          guidance, and teachers adapt them to the pupils in front of them.\n",
    )
    crosswalk = f"    - from: [{RETIRED}]\n      how: retired\n      note: {RETIRED_NOTE}\n"
    text += _changes_block(PRIMARY_SUMMARY, PRIMARY_LOG, crosswalk)
    (root / PRIMARY_V2).write_text(text, encoding="utf-8")


def add_secondary_v2_with_split_and_merge(root: Path) -> None:
    """Write criteria/secondary/v2.yaml: SEC-LEAD-05 split into SEC-LEAD-08 and SEC-LEAD-09, SEC-TEACH-06
    and SEC-TEACH-07 merged into SEC-TEACH-08, SEC-WELL-07 replaced by SEC-WELL-08."""
    text = _new_version((root / SECONDARY_V1).read_text(encoding="utf-8"), "2027-09-01")
    split = criterion_block(text, SPLIT_FROM)
    text = replace_once(
        text, split, "".join(new_criterion(new_id, SECONDARY_STATEMENTS[new_id]) for new_id in SPLIT_TO)
    )
    first, second = (criterion_block(text, old_id) for old_id in MERGED_FROM)
    text = replace_once(text, second, "")
    text = replace_once(text, first, new_criterion(MERGED_TO, SECONDARY_STATEMENTS[MERGED_TO]))
    replaced = criterion_block(text, REPLACED_FROM)
    text = replace_once(text, replaced, new_criterion(REPLACED_TO, SECONDARY_STATEMENTS[REPLACED_TO]))
    crosswalk = (
        f"    - from: [{SPLIT_FROM}]\n      to: [{', '.join(SPLIT_TO)}]\n      how: split\n"
        f"    - from: [{', '.join(MERGED_FROM)}]\n      to: [{MERGED_TO}]\n      how: merged\n"
        "      note: Adapting lessons and adapting homework are now one criterion.\n"
        f"    - from: [{REPLACED_FROM}]\n      to: [{REPLACED_TO}]\n      how: replaced\n"
    )
    log = (
        f"Split {SPLIT_FROM} into {SPLIT_TO[0]} (analysing the data) and {SPLIT_TO[1]} (acting on it).",
        f"Merged {MERGED_FROM[0]} and {MERGED_FROM[1]} into {MERGED_TO}.",
        f"Replaced {REPLACED_FROM} with {REPLACED_TO} on taking part in the wider life of the school.",
    )
    summary = "Version 2 makes the leadership and teaching criteria simpler to rate: one is split, two are merged."
    text += _changes_block(summary, log, crosswalk)
    (root / SECONDARY_V2).write_text(text, encoding="utf-8")
