"""Checks that a schema alone cannot make: unique IDs, scales and thresholds, links between files.

Each function takes documents that already match their schema and returns every problem it finds.
"""

from __future__ import annotations

import difflib
import itertools
import posixpath
import re
from collections.abc import Iterable
from datetime import date, datetime

from .problems import ContentProblem
from .site_map import RESERVED_HEADING_IDS
from .validation import describe
from .wording import short_date
from .yaml_source import SourceDocument

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def _duplicates(document: SourceDocument, items: Iterable[tuple[tuple, object]], what: str) -> list[ContentProblem]:
    """Problems for every repeated value; `items` gives (location, value) pairs in file order."""
    first_seen: dict[object, tuple] = {}
    problems = []
    for location, value in items:
        if value in first_seen:
            problems.append(
                ContentProblem(
                    document.file,
                    document.line_of(location),
                    f"The {what} '{value}' is used twice (first on line {document.line_of(first_seen[value])}).",
                    f"Give each {what} its own value; an ID must never be reused.",
                )
            )
        else:
            first_seen[value] = location
    return problems


def check_framework(document: SourceDocument, folder: str, file_stem: str) -> list[ContentProblem]:
    framework = document.value
    file = document.file
    problems: list[ContentProblem] = []
    if framework["id"] != folder:
        problems.append(
            ContentProblem(
                file,
                document.line_of(("id",)),
                f"The framework id '{framework['id']}' does not match its folder 'criteria/{folder}/'.",
                f"Set 'id: {folder}', or move the file to criteria/{framework['id']}/.",
            )
        )
    if file_stem != f"v{framework['version']}":
        problems.append(
            ContentProblem(
                file,
                document.line_of(("version",)),
                f"The version {framework['version']} does not match the file name '{file_stem}.yaml'.",
                f"Name the file v{framework['version']}.yaml, or set the version to match the file name.",
            )
        )

    values = [level["value"] for level in framework["rating_scale"]]
    for index, (before, after) in enumerate(itertools.pairwise(values), start=1):
        if after != before + 1:
            problems.append(
                ContentProblem(
                    file,
                    document.line_of(("rating_scale", index, "value")),
                    f"The rating scale goes from {before} to {after}; values must go up by one, lowest first.",
                    f"Make this value {before + 1}.",
                )
            )
    problems += _duplicates(
        document,
        ((("rating_scale", i, "label"), level["label"]) for i, level in enumerate(framework["rating_scale"])),
        "rating label",
    )

    lowest, highest = min(values), max(values)
    thresholds = framework["thresholds"]
    for name in ("strength", "development"):
        if not lowest <= thresholds[name] <= highest:
            problems.append(
                ContentProblem(
                    file,
                    document.line_of(("thresholds", name)),
                    f"The {name} threshold {thresholds[name]} is outside the rating scale ({lowest} to {highest}).",
                    f"Use a number between {lowest} and {highest}.",
                )
            )
    if thresholds["development"] >= thresholds["strength"]:
        problems.append(
            ContentProblem(
                file,
                document.line_of(("thresholds", "development")),
                f"The development threshold ({thresholds['development']}) must be below the strength "
                f"threshold ({thresholds['strength']}).",
                "Lower the development threshold or raise the strength threshold.",
            )
        )

    headings = framework["headings"]
    problems += _duplicates(
        document, ((("headings", i, "id"), heading["id"]) for i, heading in enumerate(headings)), "heading ID"
    )
    for index, heading in enumerate(headings):
        if heading["id"] in RESERVED_HEADING_IDS:
            problems.append(
                ContentProblem(
                    file,
                    document.line_of(("headings", index, "id")),
                    f"The heading ID '{heading['id']}' is the name of another page of the framework on the site.",
                    f"Choose another ID; these are taken: {', '.join(RESERVED_HEADING_IDS)}.",
                )
            )
    problems += _duplicates(
        document,
        (
            (("headings", h, "criteria", c, "id"), criterion["id"])
            for h, heading in enumerate(headings)
            for c, criterion in enumerate(heading["criteria"])
        ),
        "criterion ID",
    )
    return problems


def check_criterion_ids_across_frameworks(documents: list[SourceDocument]) -> list[ContentProblem]:
    """A criterion ID belongs to one framework for ever: versions share IDs, frameworks never do."""
    owner: dict[str, tuple[str, SourceDocument]] = {}
    problems = []
    for document in documents:
        framework_id = document.value["id"]
        for h, heading in enumerate(document.value["headings"]):
            for c, criterion in enumerate(heading["criteria"]):
                criterion_id = criterion["id"]
                first = owner.setdefault(criterion_id, (framework_id, document))
                if first[0] != framework_id:
                    problems.append(
                        ContentProblem(
                            document.file,
                            document.line_of(("headings", h, "criteria", c, "id")),
                            f"The criterion ID '{criterion_id}' is already used by the '{first[0]}' framework "
                            f"({first[1].file}).",
                            "Give this criterion an ID that starts with this framework's own prefix.",
                        )
                    )
    return problems


def check_contacts(document: SourceDocument) -> list[ContentProblem]:
    contacts = document.value["contacts"]
    return _duplicates(
        document, ((("contacts", i, "id"), contact["id"]) for i, contact in enumerate(contacts)), "contact ID"
    )


def check_stages(document: SourceDocument, contact_ids: set[str] | None, page_slugs: set[str]) -> list[ContentProblem]:
    """Stage numbers run 1, 2, 3...; contacts and pages named by a stage exist."""
    stages = document.value["stages"]
    file = document.file
    problems = _duplicates(document, ((("stages", i, "id"), stage["id"]) for i, stage in enumerate(stages)), "stage ID")
    for index, stage in enumerate(stages):
        if stage["number"] != index + 1:
            problems.append(
                ContentProblem(
                    file,
                    document.line_of(("stages", index, "number")),
                    f"Stage '{stage['id']}' is number {stage['number']}, but it is stage {index + 1} in the list.",
                    f"Number the stages 1, 2, 3... in order: make this {index + 1}.",
                )
            )
        for position, contact_id in enumerate(stage["contacts"]):
            if contact_ids is not None and contact_id not in contact_ids:
                problems.append(
                    ContentProblem(
                        file,
                        document.line_of(("stages", index, "contacts", position)),
                        f"Stage '{stage['id']}' names the contact '{contact_id}', which is not in "
                        "content/contacts.yaml.",
                        f"Use one of: {', '.join(sorted(contact_ids))}; or add the contact.",
                    )
                )
        for position, slug in enumerate(stage.get("pages", [])):
            if slug not in page_slugs:
                problems.append(
                    ContentProblem(
                        file,
                        document.line_of(("stages", index, "pages", position)),
                        f"Stage '{stage['id']}' links to the page '{slug}', which is not in content/pages/.",
                        f"Use one of: {', '.join(sorted(page_slugs))}.",
                    )
                )
    numbers = {stage["number"] for stage in stages}
    for position, number in enumerate(document.value["reaccreditation"]["repeats_stages"]):
        if number not in numbers:
            problems.append(
                ContentProblem(
                    file,
                    document.line_of(("reaccreditation", "repeats_stages", position)),
                    f"Reaccreditation repeats stage {number}, but there is no stage {number}.",
                    f"Use stage numbers from 1 to {len(stages)}.",
                )
            )
    return problems


def parse_deadline(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError:
        return None


def check_key_dates(document: SourceDocument, stage_numbers: set[int] | None) -> list[ContentProblem]:
    cycles = document.value["cycles"]
    file = document.file
    problems = _duplicates(document, ((("cycles", i, "id"), cycle["id"]) for i, cycle in enumerate(cycles)), "cycle ID")
    for c, cycle in enumerate(cycles):
        where = describe(("cycles", c), document.value)
        deadline = parse_deadline(cycle["submission_deadline"])
        if deadline is None:
            problems.append(
                ContentProblem(
                    file,
                    document.line_of(("cycles", c, "submission_deadline")),
                    f"The submission deadline '{cycle['submission_deadline']}' in {where} is not a real date and time.",
                    "Write it as YYYY-MM-DDTHH:MM, for example 2027-09-30T23:59, and check that the day exists.",
                )
            )
        elif deadline.date().isoformat() <= cycle["registration_opens"]:
            problems.append(
                ContentProblem(
                    file,
                    document.line_of(("cycles", c, "submission_deadline")),
                    f"The submission deadline in {where} is not after registration opens "
                    f"({cycle['registration_opens']}).",
                    "Check both dates: the deadline must come after registration opens.",
                )
            )
        events = cycle.get("events", [])
        problems += _duplicates(
            document,
            ((("cycles", c, "events", e, "id"), event["id"]) for e, event in enumerate(events)),
            "event ID",
        )
        for e, event in enumerate(events):
            stage = event.get("stage")
            if stage is not None and stage_numbers is not None and stage not in stage_numbers:
                problems.append(
                    ContentProblem(
                        file,
                        document.line_of(("cycles", c, "events", e, "stage")),
                        f"Event '{event['id']}' in {where} belongs to stage {stage}, which does not exist.",
                        f"Use a stage number from content/stages.yaml ({min(stage_numbers)} to "
                        f"{max(stage_numbers)}), or remove 'stage:'.",
                    )
                )
    return problems + _check_cycle_order(document)


def _cycle_span(cycle: dict) -> tuple[date, date]:
    """The academic year a cycle covers: its own `starts` and `ends`, or the years its ID names."""
    first = int(cycle["id"][:4])
    starts = date.fromisoformat(cycle["starts"]) if "starts" in cycle else date(first, 9, 1)
    ends = date.fromisoformat(cycle["ends"]) if "ends" in cycle else date(first + 1, 8, 31)
    return starts, ends


def _check_cycle_order(document: SourceDocument) -> list[ContentProblem]:
    """Cycles follow one another: in order, not overlapping, each with later dates than the one before, and
    each deadline inside or after its own year's start. Problems are reported at the later cycle."""
    cycles = document.value["cycles"]
    file = document.file
    problems: list[ContentProblem] = []

    def line(c: int, key: str) -> int:
        return document.line_of(("cycles", c, key if key in cycles[c] else "id"))

    for c, cycle in enumerate(cycles):
        name = cycle["id"]
        starts, ends = _cycle_span(cycle)
        deadline = parse_deadline(cycle["submission_deadline"])
        if ends <= starts:
            problems.append(
                ContentProblem(
                    file,
                    line(c, "ends"),
                    f"Cycle {name} ends on {short_date(ends)}, which is not after it starts ({short_date(starts)}).",
                    "Check 'starts' and 'ends': a cycle covers one academic year, e.g. 1 September to 31 August.",
                )
            )
        if deadline is not None and deadline.date() <= starts:
            problems.append(
                ContentProblem(
                    file,
                    line(c, "submission_deadline"),
                    f"The submission deadline of cycle {name} ({short_date(deadline.date())}) is not after the cycle "
                    f"starts ({short_date(starts)}).",
                    "Check the deadline's year, or the cycle's 'starts' date.",
                )
            )
        if c == 0:
            continue
        before = cycles[c - 1]
        earlier = before["id"]
        before_starts, before_ends = _cycle_span(before)
        if starts <= before_starts:
            problems.append(
                ContentProblem(
                    file,
                    line(c, "starts"),
                    f"Cycle {name} starts on {short_date(starts)}, not after cycle {earlier} "
                    f"({short_date(before_starts)}), but it comes after it in the file.",
                    "List the cycles in order, oldest first.",
                )
            )
        elif starts <= before_ends:
            problems.append(
                ContentProblem(
                    file,
                    line(c, "starts"),
                    f"Cycle {name}'s dates overlap cycle {earlier}: it starts on {short_date(starts)}, before cycle "
                    f"{earlier} ends on {short_date(before_ends)}.",
                    f"Make cycle {name} start after {short_date(before_ends)}, or give cycle {earlier} an earlier "
                    "'ends:' date.",
                )
            )
        if cycle["registration_opens"] <= before["registration_opens"]:
            problems.append(
                ContentProblem(
                    file,
                    line(c, "registration_opens"),
                    f"Registration for cycle {name} opens on "
                    f"{short_date(date.fromisoformat(cycle['registration_opens']))}, not after it opened for cycle "
                    f"{earlier} ({short_date(date.fromisoformat(before['registration_opens']))}).",
                    f"Check the year: registration for {name} opens after registration for {earlier}.",
                )
            )
        before_deadline = parse_deadline(before["submission_deadline"])
        if deadline is not None and before_deadline is not None and deadline <= before_deadline:
            problems.append(
                ContentProblem(
                    file,
                    line(c, "submission_deadline"),
                    f"The submission deadline of cycle {name} ({short_date(deadline.date())}) is not after cycle "
                    f"{earlier}'s ({short_date(before_deadline.date())}).",
                    f"Check the year: {name}'s deadline comes after {earlier}'s.",
                )
            )
    return problems


def check_evidence(document: SourceDocument, stage_numbers: set[int] | None) -> list[ContentProblem]:
    """Evidence item IDs are unique; a stage named by an item exists."""
    items = document.value["items"]
    problems = _duplicates(
        document, ((("items", i, "id"), item["id"]) for i, item in enumerate(items)), "evidence item ID"
    )
    for index, item in enumerate(items):
        stage = item.get("stage")
        if stage is not None and stage_numbers is not None and stage not in stage_numbers:
            problems.append(
                ContentProblem(
                    document.file,
                    document.line_of(("items", index, "stage")),
                    f"Evidence item '{item['id']}' belongs to stage {stage}, which does not exist.",
                    f"Use a stage number from content/stages.yaml ({min(stage_numbers)} to "
                    f"{max(stage_numbers)}), or remove 'stage:'.",
                )
            )
    return problems


def check_reminders(
    document: SourceDocument,
    contact_ids: set[str] | None,
    award_years: int | None,
    cycles: list[tuple[str, str, str]] | None,
) -> list[ContentProblem]:
    """Reminder points are each given once, name a contact that exists, and can all happen.

    `award_years` is how long an award lasts (stages.yaml); `cycles` are (id, registration opens, deadline date)
    as ISO dates (key_dates.yaml). Either is None when its file could not be read, and is then not checked.
    """
    value = document.value
    file = document.file
    problems: list[ContentProblem] = []
    if contact_ids is not None and value["contact"] not in contact_ids:
        problems.append(
            ContentProblem(
                file,
                document.line_of(("contact",)),
                f"The reminders name the contact '{value['contact']}', which is not in content/contacts.yaml.",
                f"Use one of: {', '.join(sorted(contact_ids))}.",
            )
        )
    for section, before in (("submission_deadline", "the deadline"), ("award_expiry", "an award runs out")):
        days = value[section]["days_before"]
        first_seen: dict[int, int] = {}
        for position, day in enumerate(days):
            line = document.line_of((section, "days_before", position))
            if day in first_seen:
                problems.append(
                    ContentProblem(
                        file,
                        line,
                        f"The reminder {day} days before {before} is listed twice (first on line "
                        f"{document.line_of((section, 'days_before', first_seen[day]))}).",
                        f"Delete one of the {day}s from the list.",
                    )
                )
            first_seen.setdefault(day, position)
    if award_years is not None:
        lasts = award_years * 365
        for position, day in enumerate(value["award_expiry"]["days_before"]):
            if day >= lasts:
                problems.append(
                    ContentProblem(
                        file,
                        document.line_of(("award_expiry", "days_before", position)),
                        f"A reminder {day} days before an award runs out would come before the award is made: "
                        f"an award lasts {award_years} year{'s' if award_years != 1 else ''} "
                        "(reaccreditation in content/stages.yaml).",
                        f"Use fewer than {lasts} days.",
                    )
                )
    for cycle_id, opens, deadline in cycles or []:
        window = (date.fromisoformat(deadline) - date.fromisoformat(opens)).days
        for position, day in enumerate(value["submission_deadline"]["days_before"]):
            if day > window:
                problems.append(
                    ContentProblem(
                        file,
                        document.line_of(("submission_deadline", "days_before", position)),
                        f"A reminder {day} days before the deadline would come before registration opens in the "
                        f"{cycle_id} cycle (registration opens {window} days before its deadline).",
                        f"Use at most {window} days, or check the dates in content/key_dates.yaml.",
                    )
                )
    return problems


def check_markdown_links(
    file: str,
    markdown: str,
    first_line: int,
    known_paths: set[str],
    from_path: str = "index.md",
    unknowable: tuple[str, ...] = (),
) -> list[ContentProblem]:
    """Every relative link in `markdown` must point at a page of the site.

    Links into `unknowable` (path prefixes of files that could not be read, so their pages are unknown)
    are not reported: the problem in that file is reported already.

    Links are resolved from `from_path`, the page's own place in the site. `first_line` is the file line
    on which `markdown` starts.
    """
    problems = []
    for offset, line in enumerate(markdown.splitlines()):
        for match in _LINK.finditer(line):
            target = match.group(1)
            if _EXTERNAL.match(target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), path))
            if resolved.endswith("/") or resolved in (".", ""):
                resolved = posixpath.join(resolved, "index.md")
            if resolved not in known_paths and not resolved.startswith(unknowable):
                pages = sorted(p for p in known_paths if p.endswith(".md"))
                close = difflib.get_close_matches(resolved, pages, n=1, cutoff=0.6)
                fix = (
                    f"Did you mean '{posixpath.relpath(close[0], posixpath.dirname(from_path) or '.')}'?"
                    if close
                    else f"Link to one of the site's pages, e.g. {', '.join(pages[:6])}..."
                )
                problems.append(
                    ContentProblem(
                        file, first_line + offset, f"The link '{target}' points to a page that does not exist.", fix
                    )
                )
    return problems


# Versions of a framework ----------------------------------------------------------------------------------

_CROSSWALK_SHAPES = {
    # how: (what `from` must hold, what `to` must hold, in words)
    "replaced": ("one criterion", "one criterion"),
    "split": ("one criterion", "two or more criteria"),
    "merged": ("two or more criteria", "one criterion"),
}


def _nearest(criterion_id: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(criterion_id, sorted(known), n=1, cutoff=0.75)
    return f"Did you mean '{close[0]}'? " if close else ""


def _criterion_ids(framework: dict) -> list[str]:
    return [criterion["id"] for heading in framework["headings"] for criterion in heading["criteria"]]


def _criterion_lines(document: SourceDocument) -> dict[str, int]:
    return {
        criterion["id"]: document.line_of(("headings", h, "criteria", c, "id"))
        for h, heading in enumerate(document.value["headings"])
        for c, criterion in enumerate(heading["criteria"])
    }


def check_framework_versions(
    documents: list[SourceDocument], version_files: dict[str, dict[int, str]]
) -> list[ContentProblem]:
    """Versions of each framework run 1, 2, 3... and each says what changed since the one before.

    `documents` are the framework versions that passed their own checks; `version_files` gives, per framework,
    every version number that has a file (readable or not) and that file's name, so a broken file is not
    mistaken for a gap.
    """
    problems: list[ContentProblem] = []
    by_framework: dict[str, dict[int, SourceDocument]] = {}
    for document in documents:
        by_framework.setdefault(document.value["id"], {})[document.value["version"]] = document

    for framework_id, files in sorted(version_files.items()):
        numbers = sorted(files)
        for expected, number in enumerate(numbers, start=1):
            if number == expected:
                continue
            document = by_framework.get(framework_id, {}).get(number)
            problems.append(
                ContentProblem(
                    files[number],
                    document.line_of(("version",)) if document else 0,
                    f"Version {number} of {framework_id} has no version {number - 1} before it: versions are "
                    "numbered 1, 2, 3... with no gaps.",
                    f"Rename the file to criteria/{framework_id}/v{expected}.yaml and set 'version: {expected}'.",
                )
            )
            break  # later numbers are out of step for the same reason

    for _framework_id, versions in sorted(by_framework.items()):
        for number, document in sorted(versions.items()):
            problems += _check_changes_block(document)
            previous = versions.get(number - 1)
            if previous is not None:
                problems += _check_against_previous(previous, document)
        problems += _check_ids_never_come_back([document for _, document in sorted(versions.items())])
        for document in versions.values():
            problems += _check_corrections(document)
    return problems


def _check_changes_block(document: SourceDocument) -> list[ContentProblem]:
    framework = document.value
    name = f"Version {framework['version']} of {framework['id']}"
    if framework["version"] == 1 and "changes" in framework:
        return [
            ContentProblem(
                document.file,
                document.line_of(("changes",)),
                f"{name} is the first version, so there is nothing it changed from.",
                "Delete the 'changes:' block: it belongs in version 2 and later.",
            )
        ]
    if framework["version"] > 1 and "changes" not in framework:
        return [
            ContentProblem(
                document.file,
                document.line_of(("version",)),
                f"{name} does not say what changed since version {framework['version'] - 1}.",
                "Add a 'changes:' block with a 'summary:' paragraph and a 'log:' list of the changes, and a "
                "'crosswalk:' for any criterion that was replaced, split, merged or retired (see content/FORMAT.md).",
            )
        ]
    return []


def _check_against_previous(previous: SourceDocument, document: SourceDocument) -> list[ContentProblem]:
    """The effective date moves on, and the crosswalk accounts for every criterion that left."""
    framework, before = document.value, previous.value
    file, number = document.file, framework["version"]
    problems: list[ContentProblem] = []
    if framework["effective_from"] <= before["effective_from"]:
        problems.append(
            ContentProblem(
                file,
                document.line_of(("effective_from",)),
                f"Version {number} of {framework['id']} takes effect on {framework['effective_from']}, which is not "
                f"after version {number - 1} ({before['effective_from']}).",
                f"Set 'effective_from' to a date after {before['effective_from']}.",
            )
        )
    old_ids, new_ids = set(_criterion_ids(before)), set(_criterion_ids(framework))
    crosswalk = framework.get("changes", {}).get("crosswalk", [])
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(crosswalk):
        where = ("changes", "crosswalk", index)
        how = entry["how"]
        sources, targets = entry["from"], entry.get("to", [])
        for position, criterion_id in enumerate(sources):
            line = document.line_of((*where, "from", position))
            if criterion_id in first_seen:
                problems.append(
                    ContentProblem(
                        file,
                        line,
                        f"The crosswalk says twice what happened to {criterion_id} "
                        f"(first on line {first_seen[criterion_id]}).",
                        "Name each criterion of the previous version in one crosswalk entry only.",
                    )
                )
                continue
            first_seen[criterion_id] = line
            if criterion_id not in old_ids:
                problems.append(
                    ContentProblem(
                        file,
                        line,
                        f"The crosswalk names {criterion_id} under 'from', but version {number - 1} has no criterion "
                        f"{criterion_id}.",
                        _nearest(criterion_id, old_ids) + f"'from' lists criteria of version {number - 1}.",
                    )
                )
            elif criterion_id in new_ids and how in ("retired", "replaced"):
                problems.append(
                    ContentProblem(
                        file,
                        line,
                        f"The crosswalk says {criterion_id} was {how}, but it is still in version {number}.",
                        f"Take {criterion_id} out of version {number}, or delete this crosswalk entry: a criterion "
                        "that keeps its ID carries on, even when it is reworded.",
                    )
                )
        for position, criterion_id in enumerate(targets):
            if criterion_id not in new_ids:
                problems.append(
                    ContentProblem(
                        file,
                        document.line_of((*where, "to", position)),
                        f"The crosswalk names {criterion_id} under 'to', but version {number} has no criterion "
                        f"{criterion_id}.",
                        _nearest(criterion_id, new_ids) + f"'to' lists criteria of version {number}.",
                    )
                )
        problems += _check_crosswalk_shape(document, index, entry)
    for criterion_id in _criterion_ids(before):
        if criterion_id not in new_ids and criterion_id not in first_seen:
            at = ("changes", "crosswalk") if crosswalk else ("changes",) if "changes" in framework else ("version",)
            problems.append(
                ContentProblem(
                    file,
                    document.line_of(at),
                    f"{criterion_id} was in version {number - 1} but is not in version {number}.",
                    f"Add it to the crosswalk in 'changes:' (replaced, split, merged or retired) so schools' answers "
                    f"to it are kept; or put {criterion_id} back if it was taken out by mistake.",
                )
            )
    return problems


def _check_crosswalk_shape(document: SourceDocument, index: int, entry: dict) -> list[ContentProblem]:
    where = ("changes", "crosswalk", index)
    how, sources, targets = entry["how"], entry["from"], entry.get("to")
    if how == "retired":
        if targets is None:
            return []
        return [
            ContentProblem(
                document.file,
                document.line_of((*where, "to")),
                "A retired criterion has no criterion that takes its place, but this entry has 'to:'.",
                "Delete the 'to:' line, or say 'how: replaced' (or split or merged) if another criterion takes over.",
            )
        ]
    if targets is None:
        return [
            ContentProblem(
                document.file,
                document.line_of((*where, "how")),
                f"A {how} criterion needs 'to:', the criteria of this version that take its place.",
                "Add a 'to:' list, or say 'how: retired' if nothing takes its place.",
            )
        ]
    wanted_from, wanted_to = _CROSSWALK_SHAPES[how]
    problems = []
    for key, ids, wanted in (("from", sources, wanted_from), ("to", targets, wanted_to)):
        fits = len(ids) == 1 if wanted == "one criterion" else len(ids) >= 2
        if not fits:
            problems.append(
                ContentProblem(
                    document.file,
                    document.line_of((*where, key)),
                    f"'how: {how}' takes {wanted} in '{key}', but this entry has {len(ids)}.",
                    "Use replaced for one to one, split for one to several, merged for several to one.",
                )
            )
    return problems


def _check_ids_never_come_back(documents: list[SourceDocument]) -> list[ContentProblem]:
    """An ID that left the framework in one version is never used again by a later one."""
    problems = []
    seen: set[str] = set()
    left: dict[str, int] = {}
    for document in documents:
        ids = set(_criterion_ids(document.value))
        number = document.value["version"]
        for criterion_id, line in _criterion_lines(document).items():
            if criterion_id in left:
                problems.append(
                    ContentProblem(
                        document.file,
                        line,
                        f"{criterion_id} left the framework in version {left[criterion_id]}, so it cannot come back "
                        f"in version {number}: a criterion ID keeps its meaning forever.",
                        "Give this criterion a new ID that has never been used, e.g. the next free number.",
                    )
                )
        for criterion_id in seen - ids:
            left.setdefault(criterion_id, number)
        seen |= ids
    return problems


def _check_corrections(document: SourceDocument) -> list[ContentProblem]:
    ids = set(_criterion_ids(document.value))
    problems = []
    for index, correction in enumerate(document.value.get("corrections", [])):
        if correction["criterion"] not in ids:
            problems.append(
                ContentProblem(
                    document.file,
                    document.line_of(("corrections", index, "criterion")),
                    f"The correction names {correction['criterion']}, which is not a criterion of version "
                    f"{document.value['version']}.",
                    _nearest(correction["criterion"], ids) + "Name the criterion whose wording was corrected.",
                )
            )
    return problems
