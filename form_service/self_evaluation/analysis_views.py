"""The pages of what a school's self-evaluation says: strengths and areas for development, a summary for governors,
a printable report, and exports of everything the school has entered (JSON and CSV).

Read-only: nothing here writes to the store. Until a school starts its self-evaluation the pages show
empty answers against the newest version of its framework; after that, always the version it was made
with (worked out in `analysis.py`). They are on the package's one blueprint, `self_evaluation`, made in
`views.py`, which calls `register` (so this module never imports it): /school/<urn>/analysis,
/governor-summary, /report, /export.json and /export.csv.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, url_for
from markupsafe import Markup

from quality_mark import site_map
from quality_mark.analysis import is_reviewed
from quality_mark.model import Criterion, Framework
from quality_mark.spreadsheet import csv_text
from quality_mark.text import printable
from quality_mark.wording import short_date

from ..accounts.auth import school_member
from ..core import clock
from ..core.charts import heading_chart_svg, score_text
from ..core.clock import today
from ..core.content import get_content
from ..core.theme import doc_url
from ..store import get_store
from . import READ
from .analysis import (
    UNKNOWN_PERSON,
    SchoolSelfEvaluation,
    deadline_text,
    export_document,
    export_rows,
    la_average,
    london_time,
    people_names,
    school_self_evaluation,
)

# Pages -----------------------------------------------------------------------------------------------------


def _download(body: str, mimetype: str, evaluation: SchoolSelfEvaluation, extension: str) -> Response:
    filename = f"{evaluation.school['urn']}-{evaluation.cycle.id}-self-evaluation.{extension}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _current() -> SchoolSelfEvaluation:
    return school_self_evaluation(get_store(), get_content(), g.school, today())


def _site_version(framework: Framework) -> int | None:
    """Where the public site keeps this version: None for the current one, else its number."""
    return None if get_content().framework(framework.id).version == framework.version else framework.version


def _question_link(evaluation: SchoolSelfEvaluation, criterion: Criterion) -> str:
    """The criterion's question in the form, or its guidance on the public site while there is no form."""
    anchor = "#" + criterion.id.lower()
    if evaluation.document is not None:
        return (
            url_for("self_evaluation.heading", urn=evaluation.school["urn"], heading_id=criterion.heading_id) + anchor
        )
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
        form_link=_endpoint_link("self_evaluation.overview", evaluation.school["urn"]),
        can_plan="actions.new" in current_app.view_functions,
        **extra,
    )


@school_member(**READ)
def strengths_and_development(urn: str) -> str:
    evaluation = _current()
    average = la_average(get_store(), evaluation.framework) if evaluation.rated else None
    return _render(
        "self_evaluation/analysis.html",
        evaluation,
        la_average=average,
        chart=Markup(heading_chart_svg(evaluation.analysis, average)),
    )


@school_member(**READ)
def governor_summary(urn: str) -> str:
    evaluation = _current()
    day = today()
    return _render(
        "self_evaluation/governor_summary.html",
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


@school_member(**READ)
def report(urn: str) -> str:
    evaluation = _current()
    names = people_names(get_store(), evaluation.document)
    return _render(
        "self_evaluation/report.html",
        evaluation,
        names=names,
        unknown_person=UNKNOWN_PERSON,
        london_time=london_time,
        deadline=deadline_text(evaluation.deadline),
        made_at=london_time(clock.now_london().isoformat()),
        is_reviewed=is_reviewed,
    )


@school_member(**READ)
def export_json(urn: str) -> Response:
    evaluation = _current()
    exported = export_document(evaluation, people_names(get_store(), evaluation.document))
    body = printable(json.dumps(exported, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"
    return _download(body, "application/json", evaluation, "json")


@school_member(**READ)
def export_csv(urn: str) -> Response:
    evaluation = _current()
    rows = export_rows(evaluation, people_names(get_store(), evaluation.document))
    return _download(csv_text(rows), "text/csv", evaluation, "csv")


def register(blueprint: Blueprint) -> None:
    """Put these pages on the self-evaluation's blueprint (under /school/<urn>)."""
    blueprint.add_url_rule("/analysis", "analysis", strengths_and_development, methods=["GET"])
    blueprint.add_url_rule("/governor-summary", "governor_summary", governor_summary, methods=["GET"])
    blueprint.add_url_rule("/report", "report", report, methods=["GET"])
    blueprint.add_url_rule("/export.json", "export_json", export_json, methods=["GET"])
    blueprint.add_url_rule("/export.csv", "export_csv", export_csv, methods=["GET"])
