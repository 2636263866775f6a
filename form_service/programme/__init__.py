"""The LA's programme dashboard: every school in one table, read from summary rows in the database.

Pure part: `SchoolFacts` (what the store holds about one school) becomes a `ProgrammeRow` for a given day;
`select` filters, sorts and pages rows. I/O part: `records` reads every school's facts from the summary rows
(`form_service.summaries`), which the store keeps in the same transaction as every write, so each view on any
worker or host shows every change committed before it, at a cost of one query. `read_facts` works the same
facts out from the documents themselves (what the summary rows must always agree with).

Beside it, the programme's ten stages: `stages.py` (where each school is, and the visits and meetings the LA
funds), `stage_input.py` (what LA staff type about them, checked), `funded_hours.py` (each stage's funded hours
used and left) and `demo.py` (demo schools at every stage). The pages (blueprint `programme`: the dashboard at
/la/, a school's stages and visits under /la/schools/<urn> and /school/<urn>/stages) are in `views.py`, their
templates under `templates/programme/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from quality_mark.analysis import is_reviewed
from quality_mark.model import Content, Cycle

from .. import accounts, self_evaluation, summaries, workflow
from ..store import SQLStore, Store
from ..workflow import AWARDS
from . import stages as stages_module

PAGE_SIZE = 100


@dataclass(frozen=True)
class SchoolFacts:
    """What the store holds about one school that the dashboard shows, read in one go."""

    school: dict[str, Any]  # the school list entry, `members` cut down to whether there are any, `pending` to how many
    evaluation: dict[str, Any] | None  # this cycle's self-evaluation, without its answers
    answered: int
    reviewed: int
    criteria: int
    awards: dict[str, Any] | None
    stage: int | None
    last_activity: str | None  # ISO timestamp


@dataclass(frozen=True)
class ProgrammeRow:
    urn: str
    name: str
    phase: str
    framework: str
    stage: int | None
    reviewed: int
    criteria: int
    status: str
    deadline: datetime
    extended: bool
    last_activity: datetime | None
    pending: int  # registrations waiting for approval

    @property
    def progress(self) -> int:
        """Whole per cent of criteria reviewed (rated and commented on)."""
        return (100 * self.reviewed) // self.criteria if self.criteria else 0

    @property
    def status_label(self) -> str:
        return workflow.PROGRAMME_STATUS_LABELS[self.status]


def row_for(facts: SchoolFacts, cycle: Cycle, today: date) -> ProgrammeRow:
    """The dashboard row of one school on `today` (statuses such as "award expiring" depend on the day)."""
    evaluation = facts.evaluation
    school = facts.school
    return ProgrammeRow(
        urn=school["urn"],
        name=school.get("name", ""),
        phase=school.get("phase", ""),
        framework=school.get("framework", ""),
        stage=facts.stage,
        reviewed=facts.reviewed,
        criteria=facts.criteria,
        status=workflow.programme_status(school, evaluation, facts.awards, today, answered=facts.answered > 0),
        deadline=self_evaluation.deadline_for(evaluation, cycle) if evaluation else cycle.submission_deadline,
        extended=bool(evaluation and evaluation.get("extension_until")),
        last_activity=datetime.fromisoformat(facts.last_activity) if facts.last_activity else None,
        pending=school.get("pending") or 0,
    )


# --- filtering, sorting, paging ----------------------------------------------------------------------------

SORT_KEYS: dict[str, Callable[[ProgrammeRow], Any]] = {
    "name": lambda row: (row.name.casefold(), row.urn),
    "urn": lambda row: row.urn,
    "framework": lambda row: (row.framework, row.name.casefold()),
    "stage": lambda row: (row.stage or 0, row.name.casefold()),
    "progress": lambda row: (row.progress, row.name.casefold()),
    "status": lambda row: (list(workflow.PROGRAMME_STATUS_LABELS).index(row.status), row.name.casefold()),
    "deadline": lambda row: (row.deadline, row.name.casefold()),
    "activity": lambda row: (row.last_activity.timestamp() if row.last_activity else 0.0, row.name.casefold()),
}


@dataclass(frozen=True)
class Selection:
    """What the person asked the table for (from the query string), already checked."""

    status: str = ""
    framework: str = ""
    phase: str = ""
    stage: str = ""  # "" any, "none" not recorded, or a stage number
    search: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1
    problems: tuple[str, ...] = ()


def read_selection(args: dict[str, str], frameworks: Iterable[str], phases: Iterable[str], stages: int) -> Selection:
    """The selection a query string asks for; anything not understood is ignored and named in `problems`."""
    problems = []

    def pick(name: str, allowed: Iterable[str], what: str) -> str:
        value = args.get(name, "")
        if value and value not in set(allowed):
            problems.append(f"There is no {what} called '{value[:60]}', so the table is not filtered by it.")
            return ""
        return value

    stage_values = ["none", *(str(number) for number in range(1, stages + 1))]
    sort = args.get("sort", "name")
    if sort not in SORT_KEYS:
        problems.append("The table cannot be sorted that way, so it is sorted by school name.")
        sort = "name"
    page_text = args.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 7 else 1
    return Selection(
        status=pick("status", workflow.PROGRAMME_STATUS_LABELS, "status"),
        framework=pick("framework", frameworks, "framework"),
        phase=pick("phase", phases, "phase"),
        stage=pick("stage", stage_values, "stage"),
        search=args.get("search", "").strip()[:100],
        sort=sort,
        descending=args.get("order") == "descending",
        page=max(page, 1),
        problems=tuple(problems),
    )


def select(rows: Iterable[ProgrammeRow], selection: Selection) -> list[ProgrammeRow]:
    """The rows the selection asks for, in its order (not yet paged)."""
    search = selection.search.casefold()
    chosen = [
        row
        for row in rows
        if (not selection.status or row.status == selection.status)
        and (not selection.framework or row.framework == selection.framework)
        and (not selection.phase or row.phase == selection.phase)
        and (
            not selection.stage
            or (row.stage is None if selection.stage == "none" else str(row.stage) == selection.stage)
        )
        and (not search or search in row.name.casefold() or search == row.urn)
    ]
    chosen.sort(key=SORT_KEYS[selection.sort], reverse=selection.descending)
    return chosen


def status_counts(rows: Iterable[ProgrammeRow]) -> dict[str, int]:
    """How many schools have each status, in the statuses' own order."""
    counts = dict.fromkeys(workflow.PROGRAMME_STATUS_LABELS, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


# --- reading the store ---------------------------------------------------------------------------------------


def read_facts(store: Store, content: Content, cycle: Cycle, urn: str) -> SchoolFacts | None:
    """Everything the dashboard shows about one school this cycle, or None if it is not in the school list."""
    school = accounts.get_school(store, urn)
    if school is None:
        return None
    evaluation = self_evaluation.load(store, urn, cycle.id)
    awards = store.read(AWARDS, urn)
    stages = store.read(stages_module.COLLECTION, urn)
    answers = (evaluation or {}).get("answers", {})
    flags = (evaluation or {}).get("flags") or {}
    if evaluation:
        framework = self_evaluation.framework_of(content, evaluation)
    else:
        framework = content.framework(school["framework"])
    moments = [answer.get("updated_at") for answer in answers.values()]
    moments += [member.get("added_at") for member in (school.get("members") or {}).values()]
    if evaluation:
        moments += [evaluation.get(name) for name in ("created_at", "submitted_at")]
        moments.append((evaluation.get("returned") or {}).get("at"))
    moments += [decision.get("recorded_at") for decision in (awards or {}).get("decisions") or []]
    moments += [entry.get("recorded_at") for entry in ((stages or {}).get("reached") or {}).values() if entry]
    known = [moment for moment in moments if isinstance(moment, str) and moment]
    return SchoolFacts(
        school={key: value for key, value in school.items() if key not in ("members", "pending")}
        | {"members": bool(school.get("members")), "pending": len(school.get("pending") or {})},
        evaluation={key: value for key, value in evaluation.items() if key not in ("answers", "history")}
        if evaluation
        else None,
        answered=len(answers),
        # An answer flagged for checking (a new version, or pre-filled "still true?") is not reviewed yet.
        reviewed=sum(1 for cid, answer in answers.items() if cid not in flags and is_reviewed(answer)),
        criteria=len(framework.criteria),
        awards=awards,
        stage=stages_module.current_stage(stages),
        last_activity=max(known, key=lambda moment: datetime.fromisoformat(moment)) if known else None,
    )


@dataclass(frozen=True)
class Overview:
    total: int
    counts: dict[str, int]
    phases: tuple[str, ...]
    waiting: tuple[ProgrammeRow, ...]  # schools with registrations waiting for approval


def overview_of(rows: Sequence[ProgrammeRow]) -> Overview:
    """How many schools there are and have each status, their phases, and those with registrations waiting."""
    return Overview(
        total=len(rows),
        counts=status_counts(rows),
        phases=tuple(sorted({row.phase for row in rows if row.phase})),
        waiting=tuple(sorted((row for row in rows if row.pending), key=lambda row: row.name)),
    )


# --- reading the summary rows --------------------------------------------------------------------------------


def _summary_rows(store: SQLStore, cycle: Cycle) -> list[tuple[Any, ...]]:
    """Every school's summary row joined to its self-evaluation's row for the cycle (if any), by URN: rows whose
    fields are named as below (the evaluation's framework as `framework_id`, its version as `version`, its
    activity as `evaluation_at`), with its answers counted over its headings."""
    school, evaluation = summaries.school_summaries, summaries.evaluation_summaries
    counted = summaries.answers_counted(cycle.id)
    query = (
        sa.select(
            school.c.urn,
            school.c.details,
            school.c.has_members,
            school.c.pending,
            school.c.stage,
            school.c.award,
            school.c.activity_at,
            evaluation.c.parts,
            evaluation.c.status,
            evaluation.c.framework.label("framework_id"),
            evaluation.c.framework_version.label("version"),
            evaluation.c.extension_until,
            evaluation.c.activity_at.label("evaluation_at"),
            counted.c.answered,
            counted.c.reviewed,
            counted.c.answered_at,
        )
        .select_from(
            school.outerjoin(
                evaluation, sa.and_(evaluation.c.urn == school.c.urn, evaluation.c.cycle == cycle.id)
            ).outerjoin(counted, counted.c.urn == school.c.urn)
        )
        .order_by(school.c.urn)
    )
    return store.query(lambda connection: connection.execute(query).all())


def _shared(summary: Any, criteria: _Criteria) -> tuple[dict[str, Any], bool, datetime | None, int]:
    """What a school's row and its facts both work out from its summary row (see `_summary_rows`): the school list
    entry's details, whether its self-evaluation has started, its latest activity, and its number of criteria."""
    school = summaries.loads(summary.details)
    started = summary.parts is not None
    latest = _latest(summary.activity_at, summary.evaluation_at, summary.answered_at)
    counted = criteria(*((summary.framework_id, summary.version) if started else (school.get("framework"), None)))
    return school, started, None if latest is None else datetime.fromtimestamp(latest, UTC), counted


class _Criteria:
    """How many criteria each framework version has, in this content (looked up once per version per view)."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.counts: dict[tuple[Any, Any], int] = {}

    def __call__(self, framework_id: Any, version_json: str | None) -> int:
        found = self.counts.get((framework_id, version_json))
        if found is None:
            if version_json is None:
                framework = self.content.framework(framework_id)
            else:
                framework = self.content.framework(framework_id, summaries.loads(version_json))
            found = self.counts[(framework_id, version_json)] = len(framework.criteria)
        return found


def _latest(*moments: float | None) -> float | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def rows(store: SQLStore, content: Content, today: date) -> list[ProgrammeRow]:
    """Every school's row on `today`, by URN, from the summary rows the store keeps with each write (see
    `summaries`): one query, and no document read. What depends on the content (how many criteria a framework
    summary.version has) and on the day (an summary.award expiring) is worked out here, so it is never stale."""
    cycle = self_evaluation.current_cycle(content, today)
    criteria = _Criteria(content)
    found = []
    loads, status_of, deadline = summaries.loads, workflow.programme_status, cycle.submission_deadline
    for summary in _summary_rows(store, cycle):
        school, started, latest, counted = _shared(summary, criteria)
        extension = summary.extension_until if started else None
        found.append(
            ProgrammeRow(
                urn=summary.urn,
                name=school.get("name", ""),
                phase=school.get("phase", ""),
                framework=school.get("framework", ""),
                stage=summary.stage,
                reviewed=summary.reviewed or 0,
                criteria=counted,
                status=status_of(
                    {"members": summary.has_members},
                    {"status": summary.status} if started else None,
                    {"decisions": [loads(summary.award)]} if summary.award else None,
                    today,
                    answered=bool(summary.answered),
                ),
                deadline=datetime.fromisoformat(extension) if extension else deadline,
                extended=bool(extension),
                last_activity=latest,
                pending=summary.pending,
            )
        )
    return found


def summarised_facts(store: SQLStore, content: Content, cycle: Cycle) -> list[SchoolFacts]:
    """Every school's facts this cycle, by URN, from the summary rows (for the exports, which show more)."""
    criteria = _Criteria(content)
    found = []
    for summary in _summary_rows(store, cycle):
        school, started, latest, counted = _shared(summary, criteria)
        evaluation = {
            "status": summary.status,
            "framework": summary.framework_id,
            "framework_version": summaries.loads(summary.version),
        }
        if summary.extension_until is not None:
            evaluation["extension_until"] = summary.extension_until
        found.append(
            SchoolFacts(
                school={"urn": summary.urn, **school, "members": bool(summary.has_members), "pending": summary.pending},
                evaluation=evaluation if started else None,
                answered=summary.answered or 0,
                reviewed=summary.reviewed or 0,
                criteria=counted,
                awards={"decisions": [summaries.loads(summary.award)]} if summary.award else None,
                stage=summary.stage,
                last_activity=None if latest is None else latest.isoformat(),
            )
        )
    return found


def records(store: SQLStore, content: Content, today: date) -> list[tuple[SchoolFacts, ProgrammeRow]]:
    """Every school's facts and its row on `today`, by URN (for the exports)."""
    cycle = self_evaluation.current_cycle(content, today)
    return [(facts, row_for(facts, cycle, today)) for facts in summarised_facts(store, content, cycle)]


class Dashboard:
    """The dashboard's rows, read from the database on every call: nothing is kept between calls, so every
    worker and every host shows every change at once."""

    def rows(self, store: SQLStore, content: Content, today: date) -> list[ProgrammeRow]:
        return rows(store, content, today)

    def records(self, store: SQLStore, content: Content, today: date) -> list[tuple[SchoolFacts, ProgrammeRow]]:
        return records(store, content, today)


def index_of(app: Any) -> Dashboard:
    """The dashboard's reader (it holds nothing, so any app's will do)."""
    return Dashboard()
