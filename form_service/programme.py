"""The LA's programme dashboard: every school in one table, kept up to date without reading everything each time.

Pure part: `SchoolFacts` (what the store holds about one school) becomes a `ProgrammeRow` for a given day;
`select` filters, sorts and pages rows. I/O part: `ProgrammeIndex` keeps every school's facts in memory and,
on each view, reads again only the schools whose documents changed since (the store's record of changes),
so a view costs the same whether a few or thousands of schools have been busy since the last one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from quality_mark.analysis import is_reviewed
from quality_mark.model import Content, Cycle

from . import accounts, self_evaluation, workflow
from . import stages as stages_module
from .store import ChangePosition, Store
from .workflow import AWARDS

_log = logging.getLogger(__name__)

PAGE_SIZE = 100


@dataclass(frozen=True)
class SchoolFacts:
    """What the store holds about one school that the dashboard shows, read in one go."""

    school: dict[str, Any]  # the school list entry, with `members` cut down to whether there are any
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
        pending=len(school.get("pending") or {}),
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
        school={key: value for key, value in school.items() if key != "members"}
        | {"members": bool(school.get("members"))},
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


def _urn_of(collection: str, key: str) -> str | None:
    """The school a changed document belongs to, or None if it does not change any dashboard row."""
    if collection in (accounts.SCHOOLS, AWARDS, stages_module.COLLECTION):
        return key
    if collection in (self_evaluation.COLLECTION, self_evaluation.ANSWERS):
        return key.split("-", 1)[0]
    return None


@dataclass(frozen=True)
class Overview:
    total: int
    counts: dict[str, int]
    phases: tuple[str, ...]
    waiting: tuple[ProgrammeRow, ...]  # schools with registrations waiting for approval


class ProgrammeIndex:
    """Every school's facts, in memory, brought up to date from the store's record of changes on each view.

    One per app (so per worker process). Rows depend on the day too, so they are worked out again when it
    changes. Reading every school is slow with thousands of them, so the facts are also kept in a snapshot
    file (`snapshot`), with the position in the record of changes they are true at: a new worker process
    starts from it and reads only what changed since. The snapshot is only a copy: if it is missing, from
    other content or another cycle, or the record of changes was started again, every school is read.
    """

    SNAPSHOT_AFTER_CHANGES = 500
    SNAPSHOT_AFTER_SECONDS = 300.0

    def __init__(self, snapshot: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._snapshot = snapshot
        self._position: ChangePosition | None = None
        self._cycle_id: str | None = None
        self._facts: dict[str, SchoolFacts] = {}
        self._rows: dict[str, ProgrammeRow] = {}
        self._day: date | None = None
        self._version = 0  # goes up whenever any row changes, so a selection worked out earlier can be reused
        self._selected: dict[Selection, tuple[int, list[ProgrammeRow]]] = {}
        self._overview: tuple[int, Overview] | None = None
        self._unsaved = 0
        self._saved_at = time.monotonic()
        self._writing = threading.Lock()  # held while a snapshot is being written

    def rows(self, store: Store, content: Content, today: date) -> list[ProgrammeRow]:
        with self._lock:
            self._refresh(store, content, today)
            return list(self._rows.values())

    def select(self, store: Store, content: Content, today: date, selection: Selection) -> list[ProgrammeRow]:
        """The rows the selection asks for, in its order; worked out again only if a row changed since."""
        selection = replace(selection, page=1, problems=())  # one ordering serves every page
        with self._lock:
            self._refresh(store, content, today)
            cached = self._selected.get(selection)
            if cached is None or cached[0] != self._version:
                if len(self._selected) > 64:
                    self._selected.clear()
                cached = self._selected[selection] = (self._version, select(self._rows.values(), selection))
            return cached[1]

    def records(self, store: Store, content: Content, today: date) -> list[tuple[SchoolFacts, ProgrammeRow]]:
        """Every school's facts and row, by URN (for exports)."""
        with self._lock:
            self._refresh(store, content, today)
            return [(self._facts[urn], self._rows[urn]) for urn in sorted(self._rows)]

    def overview(self, store: Store, content: Content, today: date) -> Overview:
        """How many schools there are and have each status, their phases, and those with registrations waiting."""
        with self._lock:
            self._refresh(store, content, today)
            if self._overview is None or self._overview[0] != self._version:
                rows = self._rows.values()
                overview = Overview(
                    total=len(self._rows),
                    counts=status_counts(rows),
                    phases=tuple(sorted({row.phase for row in rows if row.phase})),
                    waiting=tuple(sorted((row for row in rows if row.pending), key=lambda row: row.name)),
                )
                self._overview = (self._version, overview)
            return self._overview[1]

    def _refresh(self, store: Store, content: Content, today: date) -> None:
        cycle = self_evaluation.current_cycle(content, today)
        stamp = _content_stamp(content)
        if self._position is None:
            self._load_snapshot(cycle.id, stamp)
        # The position is taken before reading, so a write made during the reading shows up next time.
        position, changes = store.changes(self._position)
        if changes is None or cycle.id != self._cycle_id:
            self._facts = {}
            for urn in store.keys(accounts.SCHOOLS):
                if (facts := read_facts(store, content, cycle, urn)) is not None:
                    self._facts[urn] = facts
            self._rows, self._day, self._cycle_id = {}, None, cycle.id
            self._unsaved = self.SNAPSHOT_AFTER_CHANGES
        else:
            for urn in {urn for collection, key in changes if (urn := _urn_of(collection, key))}:
                facts = read_facts(store, content, cycle, urn)
                if facts is None:
                    self._facts.pop(urn, None)
                    self._rows.pop(urn, None)
                else:
                    self._facts[urn] = facts
                    self._rows[urn] = row_for(facts, cycle, today)
                self._version += 1
                self._unsaved += 1
        self._position = position
        if self._day != today:
            self._rows = {urn: row_for(facts, cycle, today) for urn, facts in self._facts.items()}
            self._day = today
            self._version += 1
        if self._unsaved and (
            self._unsaved >= self.SNAPSHOT_AFTER_CHANGES
            or time.monotonic() - self._saved_at > self.SNAPSHOT_AFTER_SECONDS
        ):
            self._save_snapshot(stamp)

    def _load_snapshot(self, cycle_id: str, stamp: str) -> None:
        if self._snapshot is None:
            return
        try:
            saved = json.loads(self._snapshot.read_bytes())
            if saved.get("cycle") != cycle_id or saved.get("content") != stamp:
                return
            facts = {urn: SchoolFacts(**fields) for urn, fields in saved["facts"].items()}
            position = (int(saved["position"][0]), int(saved["position"][1]))
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            return  # no snapshot, or not one this code can use: every school is read instead
        self._facts, self._position, self._cycle_id, self._day = facts, position, cycle_id, None

    def _save_snapshot(self, stamp: str) -> None:
        """Write the snapshot in the background: with thousands of schools it takes a second or more."""
        self._unsaved, self._saved_at = 0, time.monotonic()
        if self._snapshot is None or self._position is None or not self._writing.acquire(blocking=False):
            return  # (one snapshot at a time: the thread releases the lock when it has written)
        saved = {
            "cycle": self._cycle_id,
            "content": stamp,
            "position": list(self._position),
            "facts": dict(self._facts),  # a copy of the mapping; the facts themselves never change
        }
        threading.Thread(target=self._write_snapshot, args=(saved,), daemon=True).start()

    def _write_snapshot(self, saved: dict[str, Any]) -> None:
        assert self._snapshot is not None
        try:
            saved["facts"] = {urn: asdict(facts) for urn, facts in saved["facts"].items()}
            temp = self._snapshot.with_name(f".{self._snapshot.name}.{os.getpid()}-{threading.get_ident()}.tmp")
            try:
                self._snapshot.parent.mkdir(parents=True, exist_ok=True)
                temp.write_bytes(json.dumps(saved, separators=(",", ":")).encode())
                os.replace(temp, self._snapshot)  # atomic: a reader sees the old snapshot or the new one
            except OSError as error:
                _log.warning("could not save the programme snapshot %s: %s", self._snapshot, error)
        finally:
            self._writing.release()

    def wait_for_snapshot(self) -> None:
        """Block until a snapshot being written has been written (for tests and benchmarks)."""
        with self._writing:
            pass


def _content_stamp(content: Content) -> str:
    """Which content the facts were read with (criteria counts come from it)."""
    return ";".join(f"{f.id}:{f.version}:{f.content_hash}" for f in content.frameworks)


EXTENSION = "quality_mark.programme"


SNAPSHOT = Path("cache") / "programme-index.json"  # in DATA_DIR, beside (not in) the store


def index_of(app: Any) -> ProgrammeIndex:
    """The app's programme index (one per worker process), made on first use."""
    index = app.extensions.get(EXTENSION)
    if index is None:
        index = app.extensions.setdefault(EXTENSION, ProgrammeIndex(Path(app.config["DATA_DIR"]) / SNAPSHOT))
    return index
