"""The LA's insight across schools: heatmap, rating distributions, best practice, school-to-school matching, and
the exports. Read-only, LA reviewers and admins only. Filters are GET forms, so every page works without
JavaScript and can be bookmarked; anything not in the lists gets a plain message (400), never an error page.

Figures come from the insight summary (`insight_index`, one row per school that has submitted) and the pure
functions in `quality_mark.insight`. The LA sees every group and small groups are marked; the shareable
summary, meant for schools and others beyond the LA, hides any group of fewer than five schools.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from wtforms import Form, SelectField, ValidationError

from quality_mark import insight
from quality_mark.analysis import MINIMUM_GROUP
from quality_mark.model import Framework
from quality_mark.spreadsheet import csv_safe, csv_text

from .. import accounts, self_evaluation
from ..accounts.auth import la_only
from ..core.charts import score_text
from ..core.clock import today
from ..core.content import get_content
from ..store import get_store
from . import exports, index

blueprint = Blueprint("insight", __name__, url_prefix="/la", template_folder="templates")

LA_STAFF = ("reviewer", "admin")
ROWS_PER_PAGE = 200
MAX_PARAMETER = 100  # characters; anything longer is not one of ours


def _in(allowed: Any, message: str) -> Any:
    def check(form: Form, field: SelectField) -> None:
        value = field.data or ""
        if len(value) > MAX_PARAMETER or value not in allowed():
            raise ValidationError(message)

    return check


class FilterForm(Form):
    """Framework and phase, read from the query string (a GET form: nothing changes, so no CSRF token)."""

    framework = SelectField("Framework", validate_choice=False)
    phase = SelectField("Phase", validate_choice=False)

    def __init__(self, frameworks: list[str], phases: dict[str, list[str]], formdata: Any) -> None:
        super().__init__(formdata=formdata)
        self.framework.data = self.framework.data or frameworks[0]
        self.phase.data = self.phase.data or ""
        self.framework.validators = [_in(lambda: frameworks, "Choose a framework from the list")]
        self.phase.validators = [
            _in(lambda: ["", *phases.get(self.framework.data, [])], "Choose a phase from the list, or all phases")
        ]


class BestPracticeForm(Form):
    topic = SelectField("Heading or criterion", validate_choice=False)

    def __init__(self, topics: list[str], formdata: Any) -> None:
        super().__init__(formdata=formdata)
        self.topic.validators = [_in(lambda: topics, "Choose a heading or criterion from the list")]


@dataclass(frozen=True)
class Filtered:
    form: FilterForm
    framework: Framework
    phase: str
    schools: list[insight.SchoolRatings]
    phases: list[str]  # of the chosen framework
    valid: bool


def _filtered() -> Filtered:
    content = get_content()
    all_schools = index.all_schools(get_store(), get_content())
    framework_ids = list(content.framework_ids())
    phases = {framework_id: insight.phases(all_schools, framework_id) for framework_id in framework_ids}
    form = FilterForm(framework_ids, phases, request.args)
    valid = form.validate()
    framework_id = form.framework.data if not form.framework.errors else framework_ids[0]
    phase = form.phase.data if valid else ""
    if not valid:
        form.framework.data, form.phase.data = framework_id, phase
    framework = content.framework(framework_id)
    chosen = insight.in_filter(all_schools, framework_id, phase or None)
    return Filtered(form, framework, phase, chosen, phases[framework_id], valid)


def _filter_choices(filtered: Filtered) -> dict[str, Any]:
    return {
        "framework_choices": [(None, [(f.id, f.title) for f in get_content().current_frameworks()])],
        "phase_choices": [(None, [(phase, phase) for phase in filtered.phases])],
    }


def _render(template: str, filtered: Filtered | None = None, status: int = 200, **extra: Any) -> tuple[str, int]:
    context: dict[str, Any] = {"minimum_group": MINIMUM_GROUP, "score_text": score_text, "is_small": insight.is_small}
    if filtered is not None:
        context |= {"filtered": filtered, "form": filtered.form, "framework": filtered.framework}
        context |= _filter_choices(filtered)
    return render_template(template, **context, **extra), status


@blueprint.get("/insight")
@la_only(*LA_STAFF)
def heatmap() -> tuple[str, int]:
    filtered = _filtered()
    rows = insight.heatmap(filtered.framework, filtered.schools)
    pages = max(1, math.ceil(len(rows) / ROWS_PER_PAGE))
    page_text = request.args.get("page", "1")
    page = int(page_text) if page_text.isdigit() and len(page_text) < 7 else 0
    if not 1 <= page <= pages:
        abort(404)
    shown = rows[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE]
    return _render(
        "insight/heatmap.html",
        filtered,
        status=200 if filtered.valid else 400,
        rows=shown,
        total=len(rows),
        page=page,
        pages=pages,
        means=insight.heading_means(filtered.framework, filtered.schools),
        judgement_word=lambda score: insight.judgement_word(filtered.framework, score),
    )


@blueprint.get("/insight/distributions")
@la_only(*LA_STAFF)
def distributions() -> tuple[str, int]:
    filtered = _filtered()
    return _render(
        "insight/distributions.html",
        filtered,
        status=200 if filtered.valid else 400,
        distributions=insight.distributions(filtered.framework, filtered.schools),
    )


def _topics() -> list[tuple[str, list[tuple[str, str]]]]:
    """The best-practice choices, grouped: each framework's headings, then each heading's criteria."""
    groups = []
    for framework in get_content().current_frameworks():
        groups.append(
            (f"{framework.title}: headings", [(f"{framework.id}/{h.id}", h.title) for h in framework.headings])
        )
        for heading in framework.headings:
            options = [(f"{framework.id}/{c.id}", f"{c.id}: {_shorten(c.statement)}") for c in heading.criteria]
            groups.append((f"{framework.title}: {heading.title}", options))
    return groups


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


@blueprint.get("/insight/best-practice")
@la_only(*LA_STAFF)
def best_practice() -> tuple[str, int]:
    groups = _topics()
    form = BestPracticeForm([value for _, options in groups for value, _ in options], request.args)
    ranking, framework, topic_title = None, None, None
    asked = "topic" in request.args
    if asked and form.validate():
        framework_id, topic_id = form.topic.data.split("/", 1)
        framework = get_content().framework(framework_id)
        schools = insight.in_filter(index.all_schools(get_store(), get_content()), framework_id, None)
        if any(heading.id == topic_id for heading in framework.headings):
            ranking = insight.best_practice(framework, schools, heading_id=topic_id)
            topic_title = framework.heading(topic_id).title
        else:
            ranking = insight.best_practice(framework, schools, criterion_id=topic_id)
            topic_title = f"{topic_id}: {framework.criterion(topic_id).statement}"
    return _render(
        "insight/best_practice.html",
        status=400 if form.errors else 200,
        form=form,
        groups=groups,
        ranking=ranking,
        framework=framework,
        topic_title=topic_title,
        judgement_word=lambda score: insight.judgement_word(framework, score) if framework else "",
    )


@blueprint.get("/insight/schools/<urn>")
@la_only(*LA_STAFF)
def school(urn: str) -> tuple[str, int]:
    store, content = get_store(), get_content()
    details = accounts.get_school(store, urn) if len(urn) <= 7 and urn.isdigit() else None
    if details is None:
        abort(404)
    rows = index.all_schools(store, content)
    this = next((row for row in rows if row.urn == urn), None)
    framework = matches = None
    if this is not None:
        framework = content.framework(this.framework)
        matches = insight.matches(framework, this, rows)
    return _render(
        "insight/school.html",
        school=details,
        summary=this,
        framework=framework,
        matches=matches,
        judgement_word=lambda score: insight.judgement_word(framework, score) if framework else "",
    )


# Exports --------------------------------------------------------------------------------------------------


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _export_rows() -> list[list[exports.Cell]]:
    store, content, day = get_store(), get_content(), today()
    cycle = self_evaluation.current_cycle(content, day)
    records = exports.read_records(store, content, day)
    return exports.export_table(content, cycle, records, day)


@blueprint.get("/exports/schools.csv")
@la_only(*LA_STAFF)
def schools_csv() -> Response:
    return _download(exports.csv_bytes(_export_rows()), "text/csv", f"schools-{today().isoformat()}.csv")


@blueprint.get("/exports/schools.xlsx")
@la_only(*LA_STAFF)
def schools_xlsx() -> Response:
    body = exports.xlsx_bytes(_export_rows(), "Schools")
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(body, mimetype, f"schools-{today().isoformat()}.xlsx")


@blueprint.get("/exports/shareable-summary.csv")
@la_only(*LA_STAFF)
def shareable_summary() -> Response:
    """Figures the LA may share beyond itself: groups of fewer than five schools are not shown."""
    schools = index.all_schools(get_store(), get_content())
    rows: list[list[str]] = []
    for number, framework in enumerate(get_content().current_frameworks()):
        summary = insight.shareable_summary(framework, schools)
        rows.extend(summary if number == 0 else summary[1:])
    safe = [[csv_safe(cell) for cell in row] for row in rows]
    return _download(csv_text(safe), "text/csv", f"shareable-summary-{today().isoformat()}.csv")
