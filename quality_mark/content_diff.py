"""What changed between two states of the content, in plain English.

An editor's pull request changes YAML files; a reviewer at the local authority needs to know what that means
for schools: which criteria were added, removed or reworded, which dates moved. `content_changes` compares two
loaded `Content` objects and returns a list of `Change`s in a stable order (frameworks, then stages, key dates,
contacts, the evidence checklist and guidance pages, each in the order of the content); `render_text` and
`render_markdown` write them for a terminal and for a pull request description.

Pure: no files, no git. `build.py diff` does the reading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .model import (
    Contact,
    Content,
    Criterion,
    Cycle,
    EvidenceItem,
    Framework,
    GuidancePage,
    KeyEvent,
    Stage,
)
from .wording import clock_time, hours, short_date

NO_CHANGES = "No changes to the content."

T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """One difference: the part of the content it is in, a kind for machines, the thing's ID, a sentence for
    people and, for rewording, the old and new text as separate lines."""

    section: str  # e.g. "Primary schools, version 1", "Key dates"
    kind: str  # e.g. "criterion-added", "event-moved"
    subject: str  # the ID of what changed, e.g. "PRI-LEAD-01"
    summary: str
    details: tuple[str, ...] = ()


def _quote(text: str) -> str:
    return f'"{" ".join(text.split())}"'


def _by_id(items: Iterable[T], key: Callable[[T], object]) -> dict[object, T]:
    return {key(item): item for item in items}


def _added_removed_common(
    old: Sequence[T], new: Sequence[T], key: Callable[[T], object]
) -> tuple[list[T], list[T], list[tuple[T, T]]]:
    """Items only in `new` (new order), only in `old` (old order), and in both (new order)."""
    old_by, new_by = _by_id(old, key), _by_id(new, key)
    added = [item for item in new if key(item) not in old_by]
    removed = [item for item in old if key(item) not in new_by]
    common = [(old_by[key(item)], item) for item in new if key(item) in old_by]
    return added, removed, common


def _number(value: float) -> str:
    return f"{value:,g}"


# Frameworks ---------------------------------------------------------------------------------------------


def _framework_name(framework: Framework) -> str:
    return f"{framework.title}, version {framework.version}"


def _size(framework: Framework) -> str:
    criteria, headings = len(framework.criteria), len(framework.headings)
    return f"{criteria} criteri{'on' if criteria == 1 else 'a'} under {headings} heading{'s' if headings != 1 else ''}"


def _compare_frameworks(old: Framework, new: Framework, section: str) -> list[Change]:
    """Every difference between two framework versions (the same version edited, or a new version and the one
    before it, whose different effective date goes without saying)."""
    changes: list[Change] = []

    def add(kind: str, subject: str, summary: str, details: tuple[str, ...] = ()) -> None:
        changes.append(Change(section, kind, subject, summary, details))

    if old.title != new.title:
        add("title-changed", new.id, f"Title changed from {_quote(old.title)} to {_quote(new.title)}.")
    if old.effective_from != new.effective_from and old.version == new.version:
        add(
            "effective-from-changed",
            new.id,
            f"Effective from {short_date(new.effective_from)} (was {short_date(old.effective_from)}).",
        )
    if old.summary != new.summary:
        add("summary-changed", new.id, "Summary of the framework changed.")
    if old.commentary_limit != new.commentary_limit:
        add(
            "commentary-limit-changed",
            new.id,
            f"Commentary limit changed from {_number(old.commentary_limit)} to "
            f"{_number(new.commentary_limit)} characters.",
        )

    # The rating scale, level by level (a level is known by its value).
    added, removed, common = _added_removed_common(old.rating_scale.levels, new.rating_scale.levels, lambda x: x.value)
    for level in added:
        add("rating-level-added", str(level.value), f"Rating level {level.value} added: {_quote(level.label)}.")
    for level in removed:
        add("rating-level-removed", str(level.value), f"Rating level {level.value} removed: {_quote(level.label)}.")
    for before, after in common:
        if before.label != after.label:
            add(
                "rating-level-renamed",
                str(after.value),
                f"Rating level {after.value} renamed from {_quote(before.label)} to {_quote(after.label)}.",
            )
        if before.description != after.description:
            add(
                "rating-level-description-changed",
                str(after.value),
                f"Description of rating level {after.value} ({_quote(after.label)}) changed.",
            )
    for name in ("strength", "development"):
        before_value, after_value = getattr(old.thresholds, name), getattr(new.thresholds, name)
        if before_value != after_value:
            add(
                "threshold-changed",
                name,
                f"The {name} threshold changed from {_number(before_value)} to {_number(after_value)}.",
            )

    # Headings.
    added_headings, removed_headings, common_headings = _added_removed_common(
        old.headings, new.headings, lambda h: h.id
    )
    for heading in added_headings:
        add("heading-added", heading.id, f"New heading {_quote(heading.title)} ({heading.id}).")
    for heading in removed_headings:
        add("heading-removed", heading.id, f"Heading {_quote(heading.title)} ({heading.id}) removed.")
    for before, after in common_headings:
        if before.title != after.title:
            add(
                "heading-renamed",
                after.id,
                f"Heading {after.id} renamed from {_quote(before.title)} to {_quote(after.title)}.",
            )
        if before.summary != after.summary:
            add("heading-summary-changed", after.id, f"Summary of heading {_quote(after.title)} changed.")

    # Criteria, grouped by the kind of change.
    added_criteria, removed_criteria, common_criteria = _added_removed_common(
        old.criteria, new.criteria, lambda c: c.id
    )
    for criterion in added_criteria:
        optional = "" if criterion.required else " (optional)"
        add(
            "criterion-added",
            criterion.id,
            f"New criterion {criterion.id}{optional} under {_quote(new.heading(criterion.heading_id).title)}: "
            f"{_quote(criterion.statement)}",
        )
    for criterion in removed_criteria:
        add(
            "criterion-removed",
            criterion.id,
            f"Criterion {criterion.id} removed from {_quote(old.heading(criterion.heading_id).title)}: "
            f"{_quote(criterion.statement)}",
        )
    for kind, changed in _CRITERION_CHECKS:
        for before, after in common_criteria:
            change = changed(before, after, old, new)
            if change is not None:
                summary, details = change
                add(kind, after.id, summary, details)
    return changes


def _moved(before: Criterion, after: Criterion, old: Framework, new: Framework) -> tuple[str, tuple[str, ...]] | None:
    if before.heading_id == after.heading_id:
        return None
    return (
        f"Criterion {after.id} moved from {_quote(old.heading(before.heading_id).title)} to "
        f"{_quote(new.heading(after.heading_id).title)}.",
        (),
    )


def _reworded(before: Criterion, after: Criterion, *_: Framework) -> tuple[str, tuple[str, ...]] | None:
    if before.statement == after.statement:
        return None
    return f"Criterion {after.id} reworded.", (
        f"Before: {_quote(before.statement)}",
        f"After: {_quote(after.statement)}",
    )


def _guidance(before: Criterion, after: Criterion, *_: Framework) -> tuple[str, tuple[str, ...]] | None:
    return None if before.guidance == after.guidance else (f"Guidance for criterion {after.id} changed.", ())


def _next_level(before: Criterion, after: Criterion, *_: Framework) -> tuple[str, tuple[str, ...]] | None:
    if before.next_level == after.next_level:
        return None
    return f"What the next level looks like for criterion {after.id} changed.", ()


def _examples(before: Criterion, after: Criterion, *_: Framework) -> tuple[str, tuple[str, ...]] | None:
    if before.evidence_examples == after.evidence_examples:
        return None
    details = tuple(f"Added: {_quote(e)}" for e in after.evidence_examples if e not in before.evidence_examples)
    details += tuple(f"Removed: {_quote(e)}" for e in before.evidence_examples if e not in after.evidence_examples)
    return f"Evidence examples for criterion {after.id} changed.", details or ("Put in a different order.",)


def _required(before: Criterion, after: Criterion, *_: Framework) -> tuple[str, tuple[str, ...]] | None:
    if before.required == after.required:
        return None
    now, was = ("required", "optional") if after.required else ("optional", "required")
    return f"Criterion {after.id} is now {now} (it was {was}).", ()


_CRITERION_CHECKS = (
    ("criterion-moved", _moved),
    ("criterion-reworded", _reworded),
    ("criterion-guidance-changed", _guidance),
    ("criterion-next-level-changed", _next_level),
    ("criterion-examples-changed", _examples),
    ("criterion-required-changed", _required),
)


def _framework_changes(old: Content, new: Content) -> list[Change]:
    changes: list[Change] = []
    framework_ids = list(dict.fromkeys(new.framework_ids() + old.framework_ids()))
    for framework_id in framework_ids:
        old_versions = {framework.version: framework for framework in old.versions_of(framework_id)}
        new_versions = {framework.version: framework for framework in new.versions_of(framework_id)}
        for version in sorted(old_versions.keys() | new_versions.keys()):
            before, after = old_versions.get(version), new_versions.get(version)
            if after is None:
                assert before is not None
                section = _framework_name(before)
                changes.append(
                    Change(
                        section, "version-removed", before.id, f"Version {version} of {_quote(before.title)} removed."
                    )
                )
                continue
            section = _framework_name(after)
            if before is not None:
                changes.extend(_compare_frameworks(before, after, section))
                continue
            earlier = [v for v in old_versions if v < version]
            if not earlier:
                changes.append(
                    Change(
                        section,
                        "framework-added",
                        after.id,
                        f"New framework {_quote(after.title)} ({after.id}), version {version}, effective from "
                        f"{short_date(after.effective_from)}: {_size(after)}.",
                    )
                )
                continue
            previous = old_versions[max(earlier)]
            compared = _compare_frameworks(previous, after, section)
            then = (
                f"Compared with version {previous.version}:"
                if compared
                else f"Otherwise the same as version {previous.version}."
            )
            changes.append(
                Change(
                    section,
                    "version-added",
                    after.id,
                    f"New version {version}, effective from {short_date(after.effective_from)}: {_size(after)}. {then}",
                )
            )
            changes.extend(compared)
    return changes


# Stages, key dates, contacts, evidence and pages --------------------------------------------------------


def _stage_changes(old: Content, new: Content) -> list[Change]:
    section = "Stages"
    changes: list[Change] = []
    added, removed, common = _added_removed_common(old.timeline.stages, new.timeline.stages, lambda s: s.number)
    for stage in added:
        changes.append(
            Change(
                section,
                "stage-added",
                str(stage.number),
                f"New stage {stage.number}: {_quote(stage.title)}, {hours(stage.funded_hours)} funded.",
            )
        )
    for stage in removed:
        changes.append(
            Change(section, "stage-removed", str(stage.number), f"Stage {stage.number} removed: {_quote(stage.title)}.")
        )
    for before, after in common:
        changes.extend(_stage_fields(before, after, section))
    if old.timeline.total_funded_hours != new.timeline.total_funded_hours:
        changes.append(
            Change(
                section,
                "total-funded-hours-changed",
                "total",
                f"Total funded hours now {hours(new.timeline.total_funded_hours)} "
                f"(was {hours(old.timeline.total_funded_hours)}).",
            )
        )
    if old.timeline.reaccreditation != new.timeline.reaccreditation:
        changes.append(Change(section, "reaccreditation-changed", "reaccreditation", "Reaccreditation changed."))
    return changes


def _stage_fields(before: Stage, after: Stage, section: str) -> list[Change]:
    subject, name = str(after.number), f"stage {after.number}"
    changes: list[Change] = []
    if before.title != after.title:
        changes.append(
            Change(
                section,
                "stage-renamed",
                subject,
                f"Stage {after.number} renamed from {_quote(before.title)} to {_quote(after.title)}.",
            )
        )
    if before.funded_hours != after.funded_hours:
        changes.append(
            Change(
                section,
                "stage-funded-hours-changed",
                subject,
                f"Funded hours for {name} ({_quote(after.title)}) changed from {hours(before.funded_hours)} to "
                f"{hours(after.funded_hours)}.",
            )
        )
    if before.timescale != after.timescale:
        changes.append(
            Change(
                section,
                "stage-timescale-changed",
                subject,
                f"Timescale for {name} changed from {_quote(before.timescale)} to {_quote(after.timescale)}.",
            )
        )
    others = [
        label
        for label, field in (
            ("who takes part", "who"),
            ("summary", "summary"),
            ("guidance", "guidance"),
            ("evidence", "evidence"),
            ("contacts", "contact_ids"),
            ("guidance pages", "page_slugs"),
        )
        if getattr(before, field) != getattr(after, field)
    ]
    if others:
        changes.append(
            Change(section, "stage-text-changed", subject, f"{_list(others).capitalize()} changed for {name}.")
        )
    return changes


def _list(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _deadline(cycle: Cycle) -> str:
    return f"{short_date(cycle.submission_deadline.date())} at {clock_time(cycle.submission_deadline)}"


def _when(event: KeyEvent) -> str:
    return short_date(event.date) + (f" at {clock_time(event.starts_at)}" if event.starts_at else "")


def _key_date_changes(old: Content, new: Content) -> list[Change]:
    section = "Key dates"
    changes: list[Change] = []

    def add(kind: str, subject: str, summary: str) -> None:
        changes.append(Change(section, kind, subject, summary))

    added, removed, common = _added_removed_common(old.key_dates.cycles, new.key_dates.cycles, lambda c: c.id)
    for cycle in added:
        events = len(cycle.events)
        add(
            "cycle-added",
            cycle.id,
            f"New cycle {_quote(cycle.title)} ({cycle.id}): registration opens {short_date(cycle.registration_opens)}, "
            f"deadline {_deadline(cycle)}, {events} event{'s' if events != 1 else ''}.",
        )
    for cycle in removed:
        add("cycle-removed", cycle.id, f"Cycle {_quote(cycle.title)} ({cycle.id}) removed.")
    for before, after in common:
        name = _quote(after.title)
        if before.title != after.title:
            add("cycle-renamed", after.id, f"Cycle {after.id} renamed from {_quote(before.title)} to {name}.")
        if before.registration_opens != after.registration_opens:
            add(
                "registration-opens-changed",
                after.id,
                f"Registration for {name} now opens on {short_date(after.registration_opens)} "
                f"(was {short_date(before.registration_opens)}).",
            )
        if before.submission_deadline != after.submission_deadline:
            add(
                "deadline-changed",
                after.id,
                f"Submission deadline for {name} is now {_deadline(after)} (was {_deadline(before)}).",
            )
        new_events, gone_events, same_events = _added_removed_common(before.events, after.events, lambda e: e.id)
        for event in new_events:
            add(
                "event-added",
                f"{after.id}/{event.id}",
                f"New event in {name}: {_quote(event.title)} on {_when(event)}.",
            )
        for event in gone_events:
            add(
                "event-removed",
                f"{after.id}/{event.id}",
                f"Event {_quote(event.title)} removed from {name} (it was on {_when(event)}).",
            )
        for was, now in same_events:
            subject = f"{after.id}/{now.id}"
            if was.title != now.title:
                add(
                    "event-renamed",
                    subject,
                    f"Event {_quote(was.title)} in {name} renamed to {_quote(now.title)}.",
                )
            if (was.date, was.time) != (now.date, now.time):
                add(
                    "event-moved",
                    subject,
                    f"Event {_quote(now.title)} in {name} moved from {_when(was)} to {_when(now)}.",
                )
            if was.description != now.description or was.stage != now.stage:
                add("event-text-changed", subject, f"Description of event {_quote(now.title)} in {name} changed.")
    return changes


def _contact_changes(old: Content, new: Content) -> list[Change]:
    section = "Contacts"
    changes: list[Change] = []
    added, removed, common = _added_removed_common(old.contacts, new.contacts, lambda c: c.id)
    for contact in added:
        changes.append(Change(section, "contact-added", contact.id, f"New contact: {_contact_line(contact)}."))
    for contact in removed:
        changes.append(Change(section, "contact-removed", contact.id, f"Contact removed: {_contact_line(contact)}."))
    for before, after in common:
        for label, field in (("Role", "role"), ("Team", "team"), ("Email", "email"), ("Phone", "phone")):
            was, now = getattr(before, field), getattr(after, field)
            if was != now:
                changes.append(
                    Change(
                        section,
                        f"contact-{field}-changed",
                        after.id,
                        f"{label} for contact {after.id} changed from {was or 'none'} to {now or 'none'}.",
                    )
                )
        if before.about != after.about:
            changes.append(
                Change(section, "contact-about-changed", after.id, f"About text for contact {after.id} changed.")
            )
    return changes


def _contact_line(contact: Contact) -> str:
    return f"{contact.role}, {contact.team}, {contact.email} ({contact.id})"


def _evidence_changes(old: Content, new: Content) -> list[Change]:
    section = "Evidence checklist"
    changes: list[Change] = []
    added, removed, common = _added_removed_common(old.evidence_checklist, new.evidence_checklist, lambda i: i.id)
    for item in added:
        changes.append(Change(section, "evidence-item-added", item.id, f"New item: {_quote(item.title)} ({item.id})."))
    for item in removed:
        changes.append(
            Change(section, "evidence-item-removed", item.id, f"Item removed: {_quote(item.title)} ({item.id}).")
        )
    for before, after in common:
        if before.title != after.title:
            changes.append(
                Change(
                    section,
                    "evidence-item-renamed",
                    after.id,
                    f"Item {after.id} renamed from {_quote(before.title)} to {_quote(after.title)}.",
                )
            )
        if _evidence_text(before) != _evidence_text(after):
            changes.append(
                Change(
                    section,
                    "evidence-item-text-changed",
                    after.id,
                    f"Description of item {_quote(after.title)} changed.",
                )
            )
    return changes


def _evidence_text(item: EvidenceItem) -> tuple[object, ...]:
    return (item.description, item.examples, item.guidance, item.no_pupil_names, item.stage)


def _page_changes(old: Content, new: Content) -> list[Change]:
    section = "Guidance pages"
    changes: list[Change] = []
    added, removed, common = _added_removed_common(old.pages, new.pages, lambda p: p.slug)
    for page in added:
        changes.append(Change(section, "page-added", page.slug, f"New page: {_quote(page.title)} ({page.slug})."))
    for page in removed:
        changes.append(Change(section, "page-removed", page.slug, f"Page removed: {_quote(page.title)} ({page.slug})."))
    for before, after in common:
        if _page_text(before) != _page_text(after):
            changes.append(
                Change(section, "page-changed", after.slug, f"Page {_quote(after.title)} ({after.slug}) changed.")
            )
    return changes


def _page_text(page: GuidancePage) -> tuple[object, ...]:
    return (page.title, page.description, page.order, page.body, page.menu_title)


def _reminder_changes(old: Content, new: Content) -> list[Change]:
    if old.reminders == new.reminders:
        return []
    return [Change("Reminders", "reminders-changed", "reminders", "When schools are reminded by email changed.")]


# The whole comparison and its rendering -----------------------------------------------------------------


def content_changes(old: Content, new: Content) -> list[Change]:
    """Every difference between two states of the content, in a stable order."""
    return (
        _framework_changes(old, new)
        + _stage_changes(old, new)
        + _key_date_changes(old, new)
        + _contact_changes(old, new)
        + _evidence_changes(old, new)
        + _page_changes(old, new)
        + _reminder_changes(old, new)
    )


def _sections(changes: Sequence[Change]) -> dict[str, list[Change]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.section, []).append(change)
    return grouped


def _count(changes: Sequence[Change]) -> str:
    return f"{len(changes)} change{'s' if len(changes) != 1 else ''} to the content."


def render_text(changes: Sequence[Change]) -> str:
    """For a terminal: a line per section, a dash per change, before and after indented beneath."""
    if not changes:
        return NO_CHANGES + "\n"
    lines = [_count(changes)]
    for section, items in _sections(changes).items():
        lines += ["", section]
        for change in items:
            lines.append(f"- {change.summary}")
            lines += [f"    {detail}" for detail in change.details]
    return "\n".join(lines) + "\n"


def render_markdown(changes: Sequence[Change]) -> str:
    """For a pull request description: a heading per section and a bulleted list of changes."""
    if not changes:
        return NO_CHANGES + "\n"
    lines = ["## What changed in the content", "", _count(changes)]
    for section, items in _sections(changes).items():
        lines += ["", f"### {section}", ""]
        for change in items:
            lines.append(f"- {change.summary}")
            lines += [f"  - {detail}" for detail in change.details]
    return "\n".join(lines) + "\n"
