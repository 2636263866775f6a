"""Versions of the primary framework for year-on-year tests, made in Python from the loaded version 1 (the YAML
format for versions and crosswalks is built elsewhere; until then the loader never fills `Framework.changes`).

Version 2 changes, from version 1:

* leadership: PRI-LEAD-01 reworded; PRI-LEAD-02 split into PRI-LEAD-08 and PRI-LEAD-09; PRI-LEAD-03 and
  PRI-LEAD-04 merged into PRI-LEAD-10; PRI-LEAD-05 to 07 unchanged.
* identification: PRI-IDEN-01 replaced by PRI-IDEN-08; PRI-IDEN-02 retired; 03 to 07 unchanged.
* teaching and voice: unchanged.
* wellbeing: PRI-WELL-07 moves, unchanged, to a new heading "partnerships", with a new criterion PRI-PART-01.
* transitions: retired, every criterion of it.

Version 3 rewords PRI-TEACH-01 only.
"""

from __future__ import annotations

from dataclasses import replace

from quality_mark.loader import load_content
from quality_mark.model import Content, Criterion, CrosswalkEntry, Framework, Heading, VersionChanges

V1_ONLY = ("PRI-LEAD-02", "PRI-LEAD-03", "PRI-LEAD-04", "PRI-IDEN-01", "PRI-IDEN-02")
TRANSITIONS = tuple(f"PRI-TRANS-0{n}" for n in range(1, 8))


def _criterion(criterion_id: str, heading_id: str, statement: str) -> Criterion:
    return Criterion(criterion_id, heading_id, statement, "Guidance.", ("An example",), "The next level.", False)


def _reword(criterion: Criterion, statement: str) -> Criterion:
    return replace(criterion, statement=statement)


def primary_v2(v1: Framework) -> Framework:
    lead, iden, teach, voice, well, _ = v1.headings
    by_id = {c.id: c for c in v1.criteria}
    leadership = replace(
        lead,
        criteria=(
            _reword(by_id["PRI-LEAD-01"], "Leaders and governors share a written vision for inclusion."),
            _criterion("PRI-LEAD-08", "leadership", "The SENCo is part of the senior leadership team."),
            _criterion("PRI-LEAD-09", "leadership", "The SENCo has protected time for the role."),
            _criterion("PRI-LEAD-10", "leadership", "Training and resources for inclusion are planned together."),
            by_id["PRI-LEAD-05"],
            by_id["PRI-LEAD-06"],
            by_id["PRI-LEAD-07"],
        ),
    )
    identification = replace(
        iden,
        criteria=(
            _criterion("PRI-IDEN-08", "identification", "Needs are identified early, with families."),
            *(by_id[f"PRI-IDEN-0{n}"] for n in range(3, 8)),
        ),
    )
    wellbeing = replace(well, criteria=tuple(c for c in well.criteria if c.id != "PRI-WELL-07"))
    partnerships = Heading(
        "partnerships",
        "Partnerships",
        "Working with other schools and services.",
        (
            _criterion("PRI-PART-01", "partnerships", "The school works with other schools on inclusion."),
            replace(by_id["PRI-WELL-07"], heading_id="partnerships"),
        ),
    )
    changes = VersionChanges(
        summary="Leadership and identification rewritten; transitions retired; a new partnerships heading.",
        log=("Reworded PRI-LEAD-01.", "Retired the transitions heading."),
        crosswalk=(
            CrosswalkEntry(("PRI-LEAD-02",), ("PRI-LEAD-08", "PRI-LEAD-09"), "split"),
            CrosswalkEntry(("PRI-LEAD-03", "PRI-LEAD-04"), ("PRI-LEAD-10",), "merged"),
            CrosswalkEntry(("PRI-IDEN-01",), ("PRI-IDEN-08",), "replaced"),
            CrosswalkEntry(("PRI-IDEN-02",), (), "retired"),
            *(CrosswalkEntry((cid,), (), "retired") for cid in TRANSITIONS),
        ),
    )
    return replace(
        v1,
        version=2,
        headings=(leadership, identification, teach, voice, wellbeing, partnerships),
        content_hash=v1.content_hash + "-v2",
        changes=changes,
    )


def primary_v3(v2: Framework) -> Framework:
    teaching = v2.heading("teaching")
    first, *rest = teaching.criteria
    reworded = replace(teaching, criteria=(_reword(first, "Every lesson is planned for every pupil."), *rest))
    headings = tuple(reworded if h.id == "teaching" else h for h in v2.headings)
    changes = VersionChanges(summary="PRI-TEACH-01 reworded.", log=("Reworded PRI-TEACH-01.",))
    return replace(v2, version=3, headings=headings, content_hash=v2.content_hash + "-v3", changes=changes)


def versioned_content(base: Content | None = None) -> Content:
    """The repository's content with primary versions 2 and 3 added."""
    content = base or load_content()
    v1 = content.framework("primary", 1)
    v2 = primary_v2(v1)
    return replace(content, frameworks=(*content.frameworks, v2, primary_v3(v2)))


def all_rated(framework: Framework, rating: int) -> dict[str, int]:
    """Every criterion of the version given the same rating."""
    return {criterion.id: rating for criterion in framework.criteria}
