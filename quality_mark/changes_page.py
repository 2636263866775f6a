"""The public "What changed" page of a framework: every version, newest first, with its change log and what
changed for schools, generated from the versions themselves.

For each version after the first: the editors' summary and change log, then lists made by comparing it with
the version before (`content_diff._compare_frameworks`, the same comparison `build.py diff` prints): new
criteria, reworded criteria with the statement before and after, criteria moved to another heading, and the
rating scale, thresholds, headings and commentary limit; and, from the crosswalk, the criteria replaced, split,
merged or retired, with their old wording. Corrections (typo fixes made after a version was published) are
listed under their version.

Pure: `changes_page(content, framework_id)` returns the Markdown.
"""

from __future__ import annotations

import posixpath
from html import escape
from itertools import pairwise

from . import site_map
from .content_diff import Change, _compare_frameworks
from .model import Content, CrosswalkEntry, Framework
from .wording import short_date

# Kinds of `Change` shown as "the rating scale and other rules" of a version.
_RULE_KINDS = (
    "rating-level-added",
    "rating-level-removed",
    "rating-level-renamed",
    "rating-level-description-changed",
    "threshold-changed",
    "commentary-limit-changed",
    "heading-added",
    "heading-removed",
    "heading-renamed",
)

_WHAT_HAPPENED = {
    "replaced": "was replaced by",
    "split": "was split into",
    "merged": "were merged into",
    "retired": "was retired",
}


def title(framework_title: str) -> str:
    return f"{framework_title}: what changed"


def _link(content: Content, framework: Framework, criterion_id: str) -> str:
    """A link from the What changed page to the criterion on its heading page in `framework`'s version."""
    current = content.framework(framework.id).version == framework.version
    heading = framework.heading_of(criterion_id)
    target = site_map.heading_path(framework.id, heading.id, None if current else framework.version)
    here = site_map.changes_path(framework.id)
    return f"[{criterion_id}]({posixpath.relpath(target, posixpath.dirname(here))}#{criterion_id.lower()})"


def _quoted(text: str) -> str:
    return "“" + escape(" ".join(text.split()), quote=False) + "”"


def _crosswalk_line(content: Content, before: Framework, after: Framework, entry: CrosswalkEntry) -> str:
    old = " and ".join(_link(content, before, criterion_id) for criterion_id in entry.old_ids)
    line = f"- {old} {_WHAT_HAPPENED[entry.kind]}"
    if entry.new_ids:
        line += " " + " and ".join(_link(content, after, criterion_id) for criterion_id in entry.new_ids)
    line += ".\n"
    for criterion_id in entry.old_ids:
        wording = before.criterion(criterion_id).statement
        said = "It said" if len(entry.old_ids) == 1 else f"{criterion_id} said"
        line += f"    - {said}: {_quoted(wording)}\n"
    if entry.note:
        line += f"    - {escape(entry.note, quote=False)}\n"
    return line


def _section(heading: str, lines: list[str]) -> str:
    return f"### {heading}\n\n" + "".join(lines) + "\n" if lines else ""


def _version_section(content: Content, before: Framework, after: Framework) -> str:
    compared = _compare_frameworks(before, after, "")
    by_kind: dict[str, list[Change]] = {}
    for change in compared:
        by_kind.setdefault(change.kind, []).append(change)
    changes = after.changes
    text = ""
    if changes is not None:
        text += f"{escape(changes.summary, quote=False)}\n\n"
        text += _section("Change log", [f"- {escape(line, quote=False)}\n" for line in changes.log])
    added = [
        f"- {_link(content, after, change.subject)} under "
        f"“{escape(after.heading_of(change.subject).title, quote=False)}”: "
        f"{_quoted(after.criterion(change.subject).statement)}\n"
        for change in by_kind.get("criterion-added", [])
    ]
    text += _section("New criteria", added)
    reworded = [
        f"- {_link(content, after, change.subject)}\n"
        f"    - Before: {_quoted(before.criterion(change.subject).statement)}\n"
        f"    - Now: {_quoted(after.criterion(change.subject).statement)}\n"
        for change in by_kind.get("criterion-reworded", [])
    ]
    text += _section("Reworded criteria", reworded)
    moved = [
        f"- {_link(content, after, change.subject)} moved from "
        f"“{escape(before.heading_of(change.subject).title, quote=False)}” to "
        f"“{escape(after.heading_of(change.subject).title, quote=False)}”.\n"
        for change in by_kind.get("criterion-moved", [])
    ]
    text += _section("Criteria moved to another heading", moved)
    crosswalk = changes.crosswalk if changes is not None else ()
    text += _section(
        "Criteria replaced, split, merged or retired",
        [_crosswalk_line(content, before, after, entry) for entry in crosswalk],
    )
    rules = [f"- {escape(change.summary, quote=False)}\n" for kind in _RULE_KINDS for change in by_kind.get(kind, [])]
    text += _section("Rating scale, thresholds and headings", rules)
    return text


def _corrections(content: Content, framework: Framework) -> str:
    lines = [
        f"- {short_date(correction.date)}: {_link(content, framework, correction.criterion_id)}. "
        f"{escape(correction.note, quote=False)}\n"
        for correction in sorted(framework.corrections, key=lambda correction: correction.date)
    ]
    return _section(f"Corrections to version {framework.version}", lines)


def changes_page(content: Content, framework_id: str) -> str:
    """The What changed page of one framework, newest version first."""
    versions = content.versions_of(framework_id)
    current = versions[-1]
    name = current.title.lower()
    heading = title(current.title)
    text = (
        f'---\ntitle: "{heading}"\ndescription: "How the {name} criteria have changed from one version to the '
        f'next."\n---\n\n# {heading}\n\n'
    )
    if len(versions) == 1:
        text += (
            f"There is only one version of the {name} criteria: version {current.version}, in effect from "
            f"{short_date(current.effective_from)}. Nothing has changed since it was published.\n\n"
        )
        return text + _corrections(content, current)
    text += (
        f"The {name} criteria have {len(versions)} versions. A criterion keeps its ID for ever: when one is "
        "replaced, split, merged or retired, this page says where schools' answers to it go. The local authority "
        "tells schools when their self-evaluation moves to a new version; no answer is lost.\n\n"
    )
    for before, after in reversed(list(pairwise(versions))):
        text += (
            f"## Version {after.version}, from {short_date(after.effective_from)} {{ #version-{after.version} }}\n\n"
        )
        text += _version_section(content, before, after)
        text += _corrections(content, after)
    first = versions[0]
    text += f"## Version {first.version}, from {short_date(first.effective_from)} {{ #version-{first.version} }}\n\n"
    text += f"The first version of the {name} criteria.\n\n" + _corrections(content, first)
    return text
