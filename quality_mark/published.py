"""Published framework versions are locked: what a school rates itself against never changes under it.

A framework version is published once its file is on the main branch (`build.py check --base REF` treats
every `criteria/<framework>/v<N>.yaml` present at REF as published). From then on its criteria, headings,
rating scale, thresholds, commentary limit and crosswalk stay as they are; changing them needs a new version.
The wording of a criterion (statement, guidance, next level, evidence examples) may only change to correct a
typo: the criterion is listed under the version's `corrections:`, and each changed part stays close to what
it was (see `small_correction`). Titles and summaries of the framework and its headings may change freely.

`published_problems` compares the two raw YAML documents of one version, never the whole loaded content, so
an older REF without newer content files can still be compared. Pure: `check_published` does the reading.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from .problems import ContentProblem
from .validation import validate_document
from .yaml_source import SourceDocument, read_yaml

# A correction may change at most this many characters of each part of a criterion...
MAX_CORRECTED_CHARACTERS = 15
# ...and leave it at least this similar to what it was (difflib's ratio, 0 to 1).
MIN_CORRECTED_SIMILARITY = 0.9

WORDING_FIELDS = {
    "statement": "statement",
    "guidance": "guidance",
    "next_level": "next level",
    "evidence_examples": "evidence examples",
}


@dataclass(frozen=True)
class Difference:
    """How far a text moved: characters inserted, deleted or replaced, and difflib's similarity ratio."""

    characters: int
    similarity: float


def difference(before: str, after: str) -> Difference:
    """How far `after` is from `before`, ignoring how the lines are wrapped."""
    old, new = " ".join(before.split()), " ".join(after.split())
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changed = sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")
    return Difference(changed, matcher.ratio())


def small_correction(before: str, after: str) -> bool:
    """A typo fix: at most MAX_CORRECTED_CHARACTERS characters differ and the text stays at least
    MIN_CORRECTED_SIMILARITY similar."""
    found = difference(before, after)
    return found.characters <= MAX_CORRECTED_CHARACTERS and found.similarity >= MIN_CORRECTED_SIMILARITY


def _as_texts(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _same_text(before: str | list[str], after: str | list[str]) -> bool:
    old, new = _as_texts(before), _as_texts(after)
    return len(old) == len(new) and all(
        " ".join(a.split()) == " ".join(b.split()) for a, b in zip(old, new, strict=True)
    )


def _criteria(framework: dict) -> dict[str, tuple[str, int, dict]]:
    """Each criterion by ID: (heading id, position under it, the criterion)."""
    return {
        criterion["id"]: (heading["id"], position, criterion)
        for heading in framework["headings"]
        for position, criterion in enumerate(heading["criteria"])
    }


def _crosswalk(framework: dict) -> list[tuple[tuple[str, ...], tuple[str, ...], str]]:
    entries = framework.get("changes", {}).get("crosswalk", [])
    return [(tuple(entry["from"]), tuple(entry.get("to", [])), entry["how"]) for entry in entries]


def _first_difference(old: object, new: object, location: tuple) -> tuple:
    """Where inside a value the first difference is, so a problem points at the changed line."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in new:
            if key not in old or old[key] != new[key]:
                return _first_difference(old.get(key), new[key], (*location, key))
    if isinstance(old, list) and isinstance(new, list):
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            if a != b:
                return _first_difference(a, b, (*location, index))
    return location


def published_problems(base: SourceDocument, current: SourceDocument, instead: str) -> list[ContentProblem]:
    """Every change from `base` (the published version) to `current` (the same file now) that needs a new
    version. `instead` tells the editor where to make such a change (see `where_instead`)."""
    old, new = base.value, current.value
    file = current.file
    name = f"version {new['version']} of {new['id']}"
    problems: list[ContentProblem] = []

    def locked(location: tuple, what: str, detail: str = "") -> None:
        because = f" ({detail})" if detail else ""
        problems.append(
            ContentProblem(
                file,
                current.line_of(location),
                f"{name.capitalize()} is published, so {what} cannot change{because}.",
                instead,
            )
        )

    for key, what in (
        ("rating_scale", "its rating scale"),
        ("thresholds", "its thresholds"),
        ("commentary_limit", "its commentary limit"),
    ):
        if old[key] != new[key]:
            locked(_first_difference(old[key], new[key], (key,)), what)
    if _crosswalk(old) != _crosswalk(new):
        locked(("changes", "crosswalk"), "its crosswalk", "it says where schools' answers go")

    old_headings = [heading["id"] for heading in old["headings"]]
    new_headings = [heading["id"] for heading in new["headings"]]
    heading_at = {heading["id"]: ("headings", h, "id") for h, heading in enumerate(new["headings"])}
    for heading_id in new_headings:
        if heading_id not in old_headings:
            locked(heading_at[heading_id], "its headings", f"'{heading_id}' was added")
    for heading_id in old_headings:
        if heading_id not in new_headings:
            locked(("headings",), "its headings", f"'{heading_id}' was taken out")
    if [h for h in new_headings if h in old_headings] != [h for h in old_headings if h in new_headings]:
        locked(("headings",), "the order of its headings")

    old_criteria, new_criteria = _criteria(old), _criteria(new)
    corrected = {item["criterion"] for item in new.get("corrections", [])}
    at = {
        criterion["id"]: ("headings", h, "criteria", c)
        for h, heading in enumerate(new["headings"])
        for c, criterion in enumerate(heading["criteria"])
    }
    for criterion_id, (heading_id, _, _) in new_criteria.items():
        if criterion_id not in old_criteria:
            locked((*at[criterion_id], "id"), "its criteria", f"{criterion_id} was added under '{heading_id}'")
    for criterion_id, (heading_id, _, _) in old_criteria.items():
        if criterion_id not in new_criteria:
            where = heading_at.get(heading_id, ("headings",))
            locked(where, "its criteria", f"{criterion_id} was taken out of '{heading_id}'")
    for heading_id in new_headings:
        if heading_id not in old_headings:
            continue
        stayed = [c for c, (h, _, _) in old_criteria.items() if h == heading_id and new_criteria.get(c, ("",))[0] == h]
        now = [c for c, (h, _, _) in new_criteria.items() if h == heading_id and c in stayed]
        if now != stayed:
            locked(heading_at[heading_id], "the order of its criteria", f"under '{heading_id}'")
    for criterion_id, (heading_id, _, after) in new_criteria.items():
        if criterion_id not in old_criteria:
            continue
        was_heading, _, before = old_criteria[criterion_id]
        location = at[criterion_id]
        if was_heading != heading_id:
            locked(
                (*location, "id"),
                "where its criteria sit",
                f"{criterion_id} moved from '{was_heading}' to '{heading_id}'",
            )
        if before.get("required", True) != after.get("required", True):
            locked((*location, "required"), f"whether {criterion_id} is required")
        for key, label in WORDING_FIELDS.items():
            if not _same_text(before[key], after[key]):
                problems += _wording_problem(
                    current,
                    _first_difference(before[key], after[key], (*location, key)),
                    criterion_id,
                    label,
                    before[key],
                    after[key],
                    criterion_id in corrected,
                    name,
                    instead,
                )
    return problems


def _wording_problem(
    current: SourceDocument,
    location: tuple,
    criterion_id: str,
    label: str,
    before: str | list[str],
    after: str | list[str],
    listed: bool,
    name: str,
    instead: str,
) -> list[ContentProblem]:
    line = current.line_of(location)
    if not listed:
        return [
            ContentProblem(
                current.file,
                line,
                f"The {label} of {criterion_id} changed, but {name} is published.",
                f"If this only corrects a typo, list {criterion_id} under 'corrections:' with the date and a note. "
                f"Otherwise: {instead}",
            )
        ]
    old, new = _as_texts(before), _as_texts(after)
    if len(old) != len(new):
        count = abs(len(new) - len(old))
        reason = (
            f"{count} example{'s' if count != 1 else ''} {'added' if len(new) > len(old) else 'taken out'}; "
            "a correction changes words, not how many examples there are"
        )
    else:
        failing = [
            difference(a, b)
            for a, b in zip(old, new, strict=True)
            if not _same_text(a, b) and not small_correction(a, b)
        ]
        if not failing:
            return []
        worst = failing[0]
        reason = (
            f"{worst.characters} characters differ and it is {worst.similarity:.0%} the same; a correction changes "
            f"at most {MAX_CORRECTED_CHARACTERS} characters and leaves it at least "
            f"{MIN_CORRECTED_SIMILARITY:.0%} the same"
        )
    return [
        ContentProblem(
            current.file,
            line,
            f"The {label} of {criterion_id} changed too much to be a correction ({reason}).",
            f"Keep the correction to the typo. Otherwise: {instead}",
        )
    ]


def where_instead(framework_id: str, versions: dict[int, bool]) -> str:
    """The fix for a change to a published version: make it in the newest version that is not published yet,
    or in a new one. `versions` maps each version number of the framework in the content to whether it is
    published."""
    unpublished = [number for number, published in versions.items() if not published]
    if unpublished:
        newest = max(unpublished)
        return (
            f"Make this change in version {newest} (criteria/{framework_id}/v{newest}.yaml), which is not "
            "published yet, and undo it here."
        )
    newest = max(versions, default=0)
    return (
        f"Make this change in a new version: copy criteria/{framework_id}/v{newest}.yaml to "
        f"criteria/{framework_id}/v{newest + 1}.yaml, make the change there, say what changed in its 'changes:' "
        "block, and undo it here."
    )


def check_published(root: Path, base: Path) -> list[ContentProblem]:
    """Every change in `root` to a framework version that is published in `base` (both folders holding
    criteria/). Files that cannot be read or do not match their schema are skipped here: in `root` the
    content check reports them; in `base` they were never a usable version."""
    problems: list[ContentProblem] = []
    versions: dict[str, dict[int, bool]] = {}
    for path in (root / "criteria").glob("*/v*.yaml"):
        if path.stem[1:].isdigit():
            published = (base / path.relative_to(root)).is_file()
            versions.setdefault(path.parent.name, {})[int(path.stem[1:])] = published
    for base_path in sorted((base / "criteria").glob("*/v*.yaml")):
        if not base_path.stem[1:].isdigit():
            continue
        display = base_path.relative_to(base).as_posix()
        published, read_problems = read_yaml(base_path, display)
        if published is None or read_problems or validate_document(published, "framework"):
            continue
        path = root / display
        framework_id, number = published.value["id"], published.value["version"]
        if not path.is_file():
            problems.append(
                ContentProblem(
                    display,
                    0,
                    f"Version {number} of {framework_id} is published, so it must stay: schools' answers refer to it.",
                    f"Put {display} back. To change the criteria, add a new version.",
                )
            )
            continue
        current, read_problems = read_yaml(path, display)
        if current is None or read_problems or validate_document(current, "framework"):
            continue
        if (current.value["id"], current.value["version"]) != (framework_id, number):
            continue  # the content check reports a file whose id or version does not match its place
        problems += published_problems(published, current, where_instead(framework_id, versions[framework_id]))
    return problems
