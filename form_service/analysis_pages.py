"""What a school's self-evaluation says: strengths and areas for development, a summary for governors,
a printable report, and exports of everything the school has entered (JSON and CSV).

Read-only: nothing here writes to the store. Until a school starts its self-evaluation the pages show
empty answers against the newest version of its framework; after that, always the version it was made
with. The figures come from `quality_mark.analysis`, the same functions the LA's figures use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, url_for
from markupsafe import Markup

from quality_mark import site_map
from quality_mark.analysis import Analysis, Answers, analyse, group_average, is_reviewed
from quality_mark.model import LONDON, Content, Criterion, Cycle, Framework
from quality_mark.spreadsheet import csv_safe, csv_text
from quality_mark.text import printable
from quality_mark.wording import clock_time, long_date, short_date

from . import accounts, self_evaluation
from .accounts.auth import school_member
from .answers import SUBMISSIONS
from .core import clock
from .core.charts import heading_chart_svg, score_text
from .core.clock import today
from .core.content import get_content
from .core.theme import doc_url
from .store import Store, get_store

analysis = Blueprint("analysis", __name__, url_prefix="/school/<urn>")

READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}

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
        return self_evaluation.deadline_for(self.document or {}, self.cycle)

    @property
    def rated(self) -> int:
        return sum(1 for result in self.analysis.headings if result.score is not None)


def school_self_evaluation(store: Store, content: Content, school: dict[str, Any], day: date) -> SchoolSelfEvaluation:
    """The school's current self-evaluation (or an empty one, which is not stored) and its analysis."""
    cycle = self_evaluation.current_cycle(content, day)
    document = self_evaluation.load(store, school["urn"], cycle.id)
    framework = self_evaluation.framework_of(content, document) if document else content.framework(school["framework"])
    answers = document["answers"] if document else {}
    return SchoolSelfEvaluation(school, cycle, document, framework, analyse(framework, answers))


def submitted_answer_sets(store: Store, framework: Framework) -> list[Answers]:
    """The submitted answers of each school that used exactly this framework version, one set per school.

    A self-evaluation counts once it has been submitted: its status is "submitted", or it has been submitted
    before (it lists submissions, for example when returned for changes), in which case the answers as last
    submitted are used. A school with several such cycles counts once, with its latest.
    """
    latest: dict[str, tuple[str, Answers]] = {}
    for _, document in store.scan(self_evaluation.COLLECTION):
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


def _download(body: str, mimetype: str, evaluation: SchoolSelfEvaluation, extension: str) -> Response:
    filename = f"{evaluation.school['urn']}-{evaluation.cycle.id}-self-evaluation.{extension}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# Pages -----------------------------------------------------------------------------------------------------


def _current() -> SchoolSelfEvaluation:
    return school_self_evaluation(get_store(), get_content(), g.school, today())


def _site_version(framework: Framework) -> int | None:
    """Where the public site keeps this version: None for the current one, else its number."""
    return None if get_content().framework(framework.id).version == framework.version else framework.version


def _question_link(evaluation: SchoolSelfEvaluation, criterion: Criterion) -> str:
    """The criterion's question in the form, or its guidance on the public site while there is no form."""
    anchor = "#" + criterion.id.lower()
    if evaluation.document is not None and "answers.heading" in current_app.view_functions:
        return url_for("answers.heading", urn=evaluation.school["urn"], heading_id=criterion.heading_id) + anchor
    framework = evaluation.framework
    return doc_url(site_map.heading_path(framework.id, criterion.heading_id, _site_version(framework))) + anchor


def _plan_link(evaluation: SchoolSelfEvaluation, criterion: Criterion) -> str | None:
    if "actions.new" not in current_app.view_functions:
        return None
    return url_for("actions.new", urn=evaluation.school["urn"], criterion=criterion.id)


def _endpoint_link(endpoint: str, urn: str) -> str | None:
    return url_for(endpoint, urn=urn) if endpoint in current_app.view_functions else None


def _render(template: str, evaluation: SchoolSelfEvaluation, **extra: Any) -> str:
    framework = evaluation.framework
    scale, thresholds = framework.rating_scale, framework.thresholds
    return render_template(
        template,
        school=evaluation.school,
        evaluation=evaluation,
        framework=framework,
        analysis=evaluation.analysis,
        answers=evaluation.answers,
        strength_levels=[level for level in scale.levels if thresholds.judge(level.value) == "strength"],
        development_levels=[level for level in scale.levels if thresholds.judge(level.value) == "development"],
        score_text=score_text,
        question_link=lambda criterion: _question_link(evaluation, criterion),
        plan_link=lambda criterion: _plan_link(evaluation, criterion),
        framework_link=doc_url(site_map.framework_index(framework.id, _site_version(framework))),
        form_link=_endpoint_link("answers.overview", evaluation.school["urn"]),
        can_plan="actions.new" in current_app.view_functions,
        **extra,
    )


@analysis.get("/analysis", endpoint="analysis")
@school_member(**READ)
def strengths_and_development(urn: str) -> str:
    evaluation = _current()
    average = la_average(get_store(), evaluation.framework) if evaluation.rated else None
    return _render(
        "analysis/analysis.html",
        evaluation,
        la_average=average,
        chart=Markup(heading_chart_svg(evaluation.analysis, average)),
    )


@analysis.get("/governor-summary")
@school_member(**READ)
def governor_summary(urn: str) -> str:
    evaluation = _current()
    day = today()
    return _render(
        "analysis/governor_summary.html",
        evaluation,
        deadline=deadline_text(evaluation.deadline),
        deadline_passed=clock.now_london() > evaluation.deadline,
        submitted_on=london_time(evaluation.document["submitted_at"])
        if evaluation.document and evaluation.document.get("submitted_at")
        else None,
        coming_up=[event for event in evaluation.cycle.events if event.date >= day],
        short_date=short_date,
        action_plan_link=_endpoint_link("actions.plan", urn),
    )


@analysis.get("/report")
@school_member(**READ)
def report(urn: str) -> str:
    evaluation = _current()
    names = people_names(get_store(), evaluation.document)
    return _render(
        "analysis/report.html",
        evaluation,
        names=names,
        unknown_person=UNKNOWN_PERSON,
        london_time=london_time,
        deadline=deadline_text(evaluation.deadline),
        made_at=london_time(clock.now_london().isoformat()),
        is_reviewed=is_reviewed,
    )


@analysis.get("/export.json")
@school_member(**READ)
def export_json(urn: str) -> Response:
    evaluation = _current()
    exported = export_document(evaluation, people_names(get_store(), evaluation.document))
    body = printable(json.dumps(exported, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"
    return _download(body, "application/json", evaluation, "json")


@analysis.get("/export.csv")
@school_member(**READ)
def export_csv(urn: str) -> Response:
    evaluation = _current()
    rows = export_rows(evaluation, people_names(get_store(), evaluation.document))
    return _download(csv_text(rows), "text/csv", evaluation, "csv")
