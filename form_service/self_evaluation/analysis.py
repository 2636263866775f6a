"""What a school's self-evaluation says, worked out for the pages and exports: the self-evaluation of the current
cycle with its analysis (or an empty one before the school starts), the LA's average of submitted ones, the names
of the people who changed answers, and everything the school has entered as one JSON document or CSV rows.

Read-only: nothing here writes to the store. The figures come from `quality_mark.analysis`, the same functions
the LA's figures use. The pages that show them are in `analysis_views.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from quality_mark.analysis import Analysis, Answers, analyse, group_average
from quality_mark.model import LONDON, Content, Cycle, Framework
from quality_mark.spreadsheet import csv_safe
from quality_mark.wording import clock_time, long_date, short_date

from .. import accounts
from ..store import Store
from .documents import COLLECTION, SUBMISSIONS, current_cycle, deadline_for, framework_of, load

# A self-evaluation counts towards the LA average once it has been submitted (see submitted_answer_sets).
SUBMITTED_STATUSES = ("submitted",)
STATUS_NAMES = {
    None: "Not started",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "returned": "Returned to the school for changes",
}
UNKNOWN_PERSON = "A former team member"
CSV_COLUMNS = (
    "Heading",
    "Criterion ID",
    "Statement",
    "Rating",
    "Rating label",
    "Commentary",
    "Evidence",
    "Last changed by",
    "Last changed at (UK time)",
)


@dataclass(frozen=True)
class SchoolSelfEvaluation:
    """A school's self-evaluation for the current cycle as these pages read it. `document` is None
    until the school starts; its answers are then empty and the framework is the newest version."""

    school: dict[str, Any]
    cycle: Cycle
    document: dict[str, Any] | None
    framework: Framework
    analysis: Analysis

    @property
    def answers(self) -> Answers:
        return self.document["answers"] if self.document else {}

    @property
    def status(self) -> str | None:
        return self.document["status"] if self.document else None

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, str(self.status).replace("_", " ").capitalize())

    @property
    def deadline(self) -> datetime:
        """The cycle's deadline, or the school's extension."""
        return deadline_for(self.document or {}, self.cycle)

    @property
    def rated(self) -> int:
        return sum(1 for result in self.analysis.headings if result.score is not None)


def school_self_evaluation(store: Store, content: Content, school: dict[str, Any], day: date) -> SchoolSelfEvaluation:
    """The school's current self-evaluation (or an empty one, which is not stored) and its analysis."""
    cycle = current_cycle(content, day)
    document = load(store, school["urn"], cycle.id)
    framework = framework_of(content, document) if document else content.framework(school["framework"])
    answers = document["answers"] if document else {}
    return SchoolSelfEvaluation(school, cycle, document, framework, analyse(framework, answers))


def submitted_answer_sets(store: Store, framework: Framework) -> list[Answers]:
    """The submitted answers of each school that used exactly this framework version, one set per school.

    A self-evaluation counts once it has been submitted: its status is "submitted", or it has been submitted
    before (it lists submissions, for example when returned for changes), in which case the answers as last
    submitted are used. A school with several such cycles counts once, with its latest.
    """
    latest: dict[str, tuple[str, Answers]] = {}
    for _, document in store.scan(COLLECTION):
        if document.get("framework") != framework.id or document.get("framework_version") != framework.version:
            continue
        if document.get("status") not in SUBMITTED_STATUSES and not document.get("submissions"):
            continue
        urn, cycle_id = str(document.get("urn", "")), str(document.get("cycle", ""))
        if urn not in latest or cycle_id > latest[urn][0]:
            latest[urn] = (cycle_id, _as_submitted(store, document))
    return [answers for _, (_, answers) in sorted(latest.items())]


def _as_submitted(store: Store, document: dict[str, Any]) -> Answers:
    """The answers in the document's last submission snapshot, or its answers when there is no snapshot."""
    references = document.get("submissions") or []
    reference = references[-1] if references else None
    snapshot = store.read(SUBMISSIONS, reference.lower()) if isinstance(reference, str) and reference else None
    if (
        snapshot
        and snapshot.get("framework_version") == document.get("framework_version")
        and isinstance(snapshot.get("answers"), dict)
    ):
        return snapshot["answers"]
    return document.get("answers") or {}


def la_average(store: Store, framework: Framework) -> dict[str, float] | None:
    """The LA average heading scores for this framework version, or None while too few schools have submitted."""
    return group_average(framework, submitted_answer_sets(store, framework))


def london_time(moment: str) -> str:
    """An ISO timestamp as people read it, in UK time: '23 November 2026 at 10:42am'."""
    local = datetime.fromisoformat(moment).astimezone(LONDON)
    return f"{short_date(local)} at {clock_time(local)}"


def deadline_text(moment: datetime) -> str:
    """'11:59pm on Thursday 30 September 2027'."""
    local = moment.astimezone(LONDON)
    return f"{clock_time(local)} on {long_date(local)}"


def people_names(store: Store, document: dict[str, Any] | None) -> dict[str, str]:
    """The name of everyone who changed an answer, by user id."""
    ids = set()
    for criterion_id, answer in ((document or {}).get("answers") or {}).items():
        ids.add(answer.get("updated_by"))
        ids.update(entry.get("by") for entry in ((document or {}).get("history") or {}).get(criterion_id, []))
    names = {}
    for user_id in sorted(i for i in ids if i):
        person = accounts.get_user(store, user_id)
        names[user_id] = person.name if person else UNKNOWN_PERSON
    return names


# Exports ---------------------------------------------------------------------------------------------------


def export_document(evaluation: SchoolSelfEvaluation, names: Mapping[str, str]) -> dict[str, Any]:
    """Everything the school has entered this cycle, with what it was entered against, as one JSON document."""
    school, framework, document = evaluation.school, evaluation.framework, evaluation.document or {}
    exported: dict[str, Any] = {
        "school": {"urn": school["urn"]} | {name: school.get(name, "") for name in ("name", "phase", "la_name")},
        "cycle": {
            "id": evaluation.cycle.id,
            "title": evaluation.cycle.title,
            "submission_deadline": evaluation.deadline.isoformat(),
        },
        "framework": {
            "id": framework.id,
            "title": framework.title,
            "version": framework.version,
            "content_hash": framework.content_hash,
        },
        "status": evaluation.status or "not_started",
        "answers": document.get("answers", {}),
        "history": document.get("history", {}),
        "people": dict(names),
    }
    for name in ("created_at", "submitted_at", "submissions", "extension_until"):
        if name in document:
            exported[name] = document[name]
    return exported


def export_rows(evaluation: SchoolSelfEvaluation, names: Mapping[str, str]) -> list[list[str]]:
    """One row per criterion, in the framework's order, headed by CSV_COLUMNS; every cell made safe."""
    framework = evaluation.framework
    rows = [list(CSV_COLUMNS)]
    for heading in framework.headings:
        for criterion in heading.criteria:
            answer = evaluation.answers.get(criterion.id) or {}
            rating = answer.get("rating")
            updated_at = answer.get("updated_at")
            row = [
                heading.title,
                criterion.id,
                criterion.statement,
                "" if rating is None else str(rating),
                framework.rating_scale.label_for(rating) if rating in framework.rating_scale.values else "",
                str(answer.get("commentary") or ""),
                "; ".join(str(item) for item in answer.get("evidence") or []),
                names.get(answer["updated_by"], UNKNOWN_PERSON) if answer.get("updated_by") else "",
                datetime.fromisoformat(updated_at).astimezone(LONDON).strftime("%Y-%m-%d %H:%M") if updated_at else "",
            ]
            rows.append([csv_safe(cell) for cell in row])
    return rows
