"""The content model: immutable objects for frameworks, stages, key dates, contacts, guidance pages, the
evidence checklist and when schools are reminded by email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

Judgement = Literal["strength", "development"]
CrosswalkKind = Literal["replaced", "split", "merged", "retired"]


@dataclass(frozen=True)
class RatingLevel:
    value: int
    label: str
    description: str


@dataclass(frozen=True)
class RatingScale:
    levels: tuple[RatingLevel, ...]

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.levels)

    @property
    def lowest(self) -> int:
        return self.levels[0].value

    @property
    def highest(self) -> int:
        return self.levels[-1].value

    def label_for(self, value: int) -> str:
        for level in self.levels:
            if level.value == value:
                return level.label
        raise KeyError(value)


@dataclass(frozen=True)
class Thresholds:
    """A score at or above `strength` is a strength; at or below `development`, an area for development."""

    strength: float
    development: float

    def judge(self, score: float) -> Judgement | None:
        if score >= self.strength:
            return "strength"
        if score <= self.development:
            return "development"
        return None


@dataclass(frozen=True)
class Criterion:
    id: str
    heading_id: str
    statement: str
    guidance: str
    evidence_examples: tuple[str, ...]
    next_level: str
    required: bool


@dataclass(frozen=True)
class Heading:
    id: str
    title: str
    summary: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class CrosswalkEntry:
    """Where the answers to criteria of the previous version go in this one, for criteria that were replaced,
    split, merged or retired. `new_ids` is empty for a retired criterion (its answers stay readable)."""

    old_ids: tuple[str, ...]
    new_ids: tuple[str, ...]
    kind: CrosswalkKind
    note: str = ""


@dataclass(frozen=True)
class VersionChanges:
    """What changed from the previous version to this one: a summary and change log for people, and the
    crosswalk for every criterion of the previous version that does not carry on unchanged in meaning."""

    summary: str
    log: tuple[str, ...]
    crosswalk: tuple[CrosswalkEntry, ...] = ()


@dataclass(frozen=True)
class Correction:
    """A typo fix made to a criterion's wording after its version was published; the version number stays."""

    criterion_id: str
    date: date
    note: str


@dataclass(frozen=True)
class Framework:
    """One version of a framework, e.g. primary version 1. `content_hash` changes with any wording.
    `changes` says what changed since the previous version (None for version 1)."""

    id: str
    title: str
    version: int
    effective_from: date
    summary: str
    commentary_limit: int
    rating_scale: RatingScale
    thresholds: Thresholds
    headings: tuple[Heading, ...]
    source_file: str
    content_hash: str
    changes: VersionChanges | None = None
    corrections: tuple[Correction, ...] = ()

    def __hash__(self) -> int:
        # The generated hash would walk every heading and criterion, and frameworks are cache keys on the
        # save path; equal frameworks always share these three fields, so this hash is consistent with ==.
        return hash((self.id, self.version, self.content_hash))

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(criterion for heading in self.headings for criterion in heading.criteria)

    def heading(self, heading_id: str) -> Heading:
        for heading in self.headings:
            if heading.id == heading_id:
                return heading
        raise KeyError(heading_id)

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def heading_of(self, criterion_id: str) -> Heading:
        """The heading the criterion sits under in this version; KeyError if it has none here."""
        for heading in self.headings:
            if any(criterion.id == criterion_id for criterion in heading.criteria):
                return heading
        raise KeyError(criterion_id)


@dataclass(frozen=True)
class Contact:
    id: str
    role: str
    team: str
    email: str
    phone: str | None
    about: str


@dataclass(frozen=True)
class Stage:
    number: int
    id: str
    title: str
    timescale: str
    who: tuple[str, ...]
    summary: str
    guidance: str
    evidence: tuple[str, ...]
    funded_hours: float
    contact_ids: tuple[str, ...]
    page_slugs: tuple[str, ...]


@dataclass(frozen=True)
class Reaccreditation:
    every_years: int
    repeats_stages: tuple[int, ...]
    summary: str


@dataclass(frozen=True)
class Timeline:
    stages: tuple[Stage, ...]
    reaccreditation: Reaccreditation

    @property
    def total_funded_hours(self) -> float:
        return sum(stage.funded_hours for stage in self.stages)

    def stage(self, number: int) -> Stage:
        for stage in self.stages:
            if stage.number == number:
                return stage
        raise KeyError(number)


@dataclass(frozen=True)
class KeyEvent:
    id: str
    title: str
    date: date
    time: str | None
    description: str
    stage: int | None

    @property
    def starts_at(self) -> datetime | None:
        """The event's start in Europe/London, or None for an all-day event."""
        if self.time is None:
            return None
        hour, minute = (int(part) for part in self.time.split(":"))
        return datetime(self.date.year, self.date.month, self.date.day, hour, minute, tzinfo=LONDON)


# Stands for "not given": a cycle's academic year then follows from its ID.
FROM_CYCLE_ID = date.min


def academic_year(cycle_id: str) -> tuple[date, date]:
    """The academic year a cycle ID such as "2026-27" names: 1 September 2026 to 31 August 2027."""
    first = int(cycle_id[:4])
    return date(first, 9, 1), date(first + 1, 8, 31)


@dataclass(frozen=True)
class Cycle:
    """One year of the mark. `starts` and `ends` are the academic year it covers (from `content/key_dates.yaml`,
    or 1 September to 31 August of the years in its ID when not given)."""

    id: str
    title: str
    registration_opens: date
    submission_deadline: datetime  # aware, Europe/London
    events: tuple[KeyEvent, ...]
    starts: date = FROM_CYCLE_ID
    ends: date = FROM_CYCLE_ID

    def __post_init__(self) -> None:
        if not self.id[:4].isdigit():  # not an academic year (only made up in tests): nothing to fill in
            return
        starts, ends = academic_year(self.id)
        if self.starts == FROM_CYCLE_ID:
            object.__setattr__(self, "starts", starts)
        if self.ends == FROM_CYCLE_ID:
            object.__setattr__(self, "ends", ends)


@dataclass(frozen=True)
class KeyDates:
    updated: date
    cycles: tuple[Cycle, ...]

    def cycle(self, cycle_id: str) -> Cycle:
        for cycle in self.cycles:
            if cycle.id == cycle_id:
                return cycle
        raise KeyError(cycle_id)


@dataclass(frozen=True)
class GuidancePage:
    slug: str
    title: str
    description: str
    order: int
    body: str
    source_file: str
    menu_title: str | None = None


@dataclass(frozen=True)
class EvidenceItem:
    """One item of the evidence checklist: what a school provides, with examples, at stage `stage`."""

    id: str
    title: str
    description: str
    examples: tuple[str, ...]
    guidance: str | None = None
    no_pupil_names: bool = True  # show the standard warning not to identify pupils
    stage: int | None = None


@dataclass(frozen=True)
class ReminderPoints:
    """When schools are emailed a reminder: whole days before the submission deadline (to schools that have not
    started or not submitted) and before an award runs out. Largest first; an empty tuple sends none."""

    contact_id: str
    before_deadline: tuple[int, ...] = ()
    before_expiry: tuple[int, ...] = ()


@dataclass(frozen=True)
class Content:
    """Everything the site and the service show, loaded and checked once."""

    frameworks: tuple[Framework, ...]
    timeline: Timeline
    key_dates: KeyDates
    contacts: tuple[Contact, ...]
    pages: tuple[GuidancePage, ...]
    evidence_checklist: tuple[EvidenceItem, ...] = ()
    reminders: ReminderPoints = ReminderPoints(contact_id="")

    def framework_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(framework.id for framework in self.frameworks))

    def versions_of(self, framework_id: str) -> tuple[Framework, ...]:
        """Every version of a framework, oldest first."""
        return tuple(
            sorted((f for f in self.frameworks if f.id == framework_id), key=lambda framework: framework.version)
        )

    def framework(self, framework_id: str, version: int | None = None) -> Framework:
        """A framework version; the newest when `version` is None."""
        versions = self.versions_of(framework_id)
        if not versions:
            raise KeyError(framework_id)
        if version is None:
            return versions[-1]
        for framework in versions:
            if framework.version == version:
                return framework
        raise KeyError(f"{framework_id} v{version}")

    def current_frameworks(self) -> tuple[Framework, ...]:
        return tuple(self.framework(framework_id) for framework_id in self.framework_ids())

    def headings_holding(self, criterion_id: str) -> frozenset[str]:
        """The IDs of the headings a criterion sits under, in any version of any framework (usually one)."""
        return self._criterion_headings.get(criterion_id, frozenset())

    @cached_property
    def _criterion_headings(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for framework in self.frameworks:
            for heading in framework.headings:
                for criterion in heading.criteria:
                    found.setdefault(criterion.id, set()).add(heading.id)
        return {criterion_id: frozenset(ids) for criterion_id, ids in found.items()}

    def contact(self, contact_id: str) -> Contact:
        for contact in self.contacts:
            if contact.id == contact_id:
                return contact
        raise KeyError(contact_id)

    def page(self, slug: str) -> GuidancePage:
        for page in self.pages:
            if page.slug == slug:
                return page
        raise KeyError(slug)

    def evidence_item(self, item_id: str) -> EvidenceItem:
        for item in self.evidence_checklist:
            if item.id == item_id:
                return item
        raise KeyError(item_id)
