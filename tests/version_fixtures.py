"""Later versions of a framework, built in Python for tests until the loader reads `changes:` from YAML.

`next_version` makes version N+1 of a framework from version N with any mix of rewording, retiring,
splitting, merging, replacing, moving between headings and adding; it fills in the crosswalk the way an
editor would declare it. `primary_v2` is one such version of the real primary framework that does every
kind of change once, and `with_frameworks` puts versions into a copy of the real content.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from quality_mark.model import Content, Criterion, CrosswalkEntry, Framework, Heading, VersionChanges

REPO_ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def real_content() -> Content:
    from quality_mark.loader import load_content

    return load_content(REPO_ROOT)


def _criterion(criterion_id: str, heading_id: str, statement: str) -> Criterion:
    return Criterion(
        id=criterion_id,
        heading_id=heading_id,
        statement=statement,
        guidance=f"What {criterion_id} looks like.",
        evidence_examples=("A provision map",),
        next_level="The next level.",
        required=True,
    )


def next_version(
    framework: Framework,
    *,
    effective_from: date,
    reword: Mapping[str, str] | None = None,
    retire: Sequence[str] = (),
    split: Mapping[str, Sequence[str]] | None = None,
    merge: Mapping[str, Sequence[str]] | None = None,
    replace: Mapping[str, str] | None = None,
    move: Mapping[str, str] | None = None,
    add: Mapping[str, str] | None = None,
) -> Framework:
    """Version N+1 of `framework`. `split` maps an old ID to new IDs (placed where the old one was),
    `merge` a new ID to the old IDs it joins (placed where the first was), `replace` an old ID to its new
    ID, `move` an ID to another heading, `add` a brand-new ID to the heading it goes under."""
    reword, split, merge = dict(reword or {}), dict(split or {}), dict(merge or {})
    replace, move, add = dict(replace or {}), dict(move or {}), dict(add or {})
    merged_away = {old: new for new, olds in merge.items() for old in olds}
    crosswalk: list[CrosswalkEntry] = []
    placed: dict[str, list[Criterion]] = {heading.id: [] for heading in framework.headings}
    for heading in framework.headings:
        for criterion in heading.criteria:
            cid = criterion.id
            if cid in retire:
                crosswalk.append(CrosswalkEntry((cid,), (), "retired", "No longer asked"))
            elif cid in split:
                crosswalk.append(CrosswalkEntry((cid,), tuple(split[cid]), "split"))
                for new_id in split[cid]:
                    placed[heading.id].append(_criterion(new_id, heading.id, f"{criterion.statement} ({new_id})"))
            elif cid in merged_away:
                new_id = merged_away[cid]
                olds = tuple(merge[new_id])
                if cid == olds[0]:
                    crosswalk.append(CrosswalkEntry(olds, (new_id,), "merged"))
                    placed[heading.id].append(_criterion(new_id, heading.id, f"Together: {new_id}"))
            elif cid in replace:
                crosswalk.append(CrosswalkEntry((cid,), (replace[cid],), "replaced"))
                placed[heading.id].append(_criterion(replace[cid], heading.id, f"Instead of {cid}"))
            else:
                target = move.get(cid, heading.id)
                statement = reword.get(cid, criterion.statement)
                placed[target].append(dataclasses.replace(criterion, heading_id=target, statement=statement))
    for new_id, heading_id in add.items():
        placed[heading_id].append(_criterion(new_id, heading_id, f"Something new: {new_id}"))
    headings = tuple(
        dataclasses.replace(heading, criteria=tuple(placed[heading.id]))
        for heading in framework.headings
        if placed[heading.id]
    )
    version = framework.version + 1
    fingerprint = repr((headings, version)).encode()
    return dataclasses.replace(
        framework,
        version=version,
        effective_from=effective_from,
        headings=headings,
        content_hash=hashlib.sha256(fingerprint).hexdigest()[:16],
        changes=VersionChanges(
            summary=f"Version {version}",
            log=tuple(f"{entry.kind}: {', '.join(entry.old_ids)}" for entry in crosswalk),
            crosswalk=tuple(crosswalk),
        ),
    )


PRIMARY_V2_CHANGES = {
    "reword": {"PRI-LEAD-02": "Leaders check every term that the SEND budget reaches the pupils it is meant for."},
    "retire": ("PRI-LEAD-07",),
    "split": {"PRI-IDEN-03": ("PRI-IDEN-08", "PRI-IDEN-09")},
    "merge": {"PRI-TEACH-08": ("PRI-TEACH-01", "PRI-TEACH-02")},
    "replace": {"PRI-VOICE-03": "PRI-VOICE-08"},
    "move": {"PRI-WELL-05": "transitions"},
    "add": {"PRI-TRANS-08": "transitions"},
}


def primary_v2(content: Content, effective_from: date = date(2027, 9, 1)) -> Framework:
    """Version 2 of the real primary framework, with one of every kind of change (PRIMARY_V2_CHANGES)."""
    return next_version(content.framework("primary", 1), effective_from=effective_from, **PRIMARY_V2_CHANGES)


def with_frameworks(content: Content, *frameworks: Framework) -> Content:
    """The content with these framework versions added (replacing any of the same ID and version)."""
    replaced = {(f.id, f.version) for f in frameworks}
    kept = tuple(f for f in content.frameworks if (f.id, f.version) not in replaced)
    return dataclasses.replace(content, frameworks=kept + tuple(frameworks))


def small_framework(headings: Sequence[Sequence[str]], framework_id: str = "test") -> Framework:
    """A version 1 framework with the given criterion IDs under headings h0, h1, ... (for property tests)."""
    base = real_content().framework("primary", 1)
    built = tuple(
        Heading(
            id=f"h{number}",
            title=f"Heading {number}",
            summary="",
            criteria=tuple(_criterion(cid, f"h{number}", f"Statement of {cid}") for cid in ids),
        )
        for number, ids in enumerate(headings)
    )
    return dataclasses.replace(
        base, id=framework_id, version=1, headings=built, content_hash="v1-" + "-".join(map("".join, headings))
    )
