"""Year on year: a school's scores per heading in this cycle beside earlier ones, and the LA's averages per
heading per cycle. Read-only. The figures come from `quality_mark.year_on_year`; this module only reads the
store and draws the pages.

What a cycle counts as (the same for the school and the LA):

* once submitted (even if later returned), the latest submission snapshot, with the LA's moderated ratings
  where the LA moderated (`workflow.moderated_ratings`, as insight uses) — except that a school's own page
  shows its work in progress for a cycle it is editing again (in progress, or returned for amendments);
* the LA's page counts submitted self-evaluations only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, g, render_template, request
from markupsafe import Markup
from wtforms import Form, SelectField, ValidationError

from quality_mark.analysis import MINIMUM_GROUP
from quality_mark.model import Content, Cycle, Framework
from quality_mark.spreadsheet import csv_safe, csv_text
from quality_mark.year_on_year import Comparison, CycleRatings, LaComparison, compare, la_compare, la_rows

from .. import self_evaluation, workflow
from ..accounts.auth import la_only, school_member
from ..core.charts import score_text
from ..core.clock import today
from ..core.content import get_content
from ..self_evaluation import READ
from ..self_evaluation.analysis import STATUS_NAMES
from ..store import Store, get_store
from . import index
from .chart import year_on_year_chart_svg
from .index import counted_submission, framework_version

blueprint = Blueprint("year_on_year", __name__, template_folder="templates")

LA_STAFF = ("reviewer", "admin")
MAX_PARAMETER = 100  # characters; anything longer is not one of ours
STATUS_WORDS = STATUS_NAMES | {
    "under_review": "Under review by the LA",
    "at_panel": "At panel",
    "awarded": "Awarded",
    "not_awarded": "Not awarded",
}


def cycles_oldest_first(content: Content) -> list[Cycle]:
    return sorted(content.key_dates.cycles, key=lambda cycle: cycle.registration_opens)


@dataclass(frozen=True)
class SchoolCycles:
    cycles: list[CycleRatings]  # oldest first, all of the most recent cycle's framework
    other_framework: int  # earlier cycles made against another framework (a school that changed phase)


def school_cycles(store: Store, content: Content, urn: str) -> SchoolCycles:
    """Every cycle in which the school has a self-evaluation, oldest first, as the school's page compares them."""
    found: list[CycleRatings] = []
    for cycle in cycles_oldest_first(content):
        meta = store.read(self_evaluation.COLLECTION, self_evaluation.key(urn, cycle.id))
        if meta is None:
            continue
        status = str(meta.get("status"))
        if status in workflow.EDITABLE:
            document = self_evaluation.load(store, urn, cycle.id) or {}
            framework = framework_version(content, meta.get("framework"), meta.get("framework_version"))
            if framework is None:
                continue
            answers = document.get("answers") or {}
            ratings = {cid: a["rating"] for cid, a in answers.items() if isinstance(a, dict) and "rating" in a}
            found.append(CycleRatings(cycle.id, cycle.title, framework, ratings, status, moderated=False))
            continue
        submitted = counted_submission(store, content, meta)
        if submitted is not None:
            framework, ratings, moderated = submitted
            found.append(CycleRatings(cycle.id, cycle.title, framework, ratings, status, moderated))
    if not found:
        return SchoolCycles([], 0)
    framework_id = found[-1].framework.id
    same = [cycle for cycle in found if cycle.framework.id == framework_id]
    return SchoolCycles(same, len(found) - len(same))


# The school's page ------------------------------------------------------------------------------------------


def status_words(cycle: CycleRatings) -> str:
    words = STATUS_WORDS.get(cycle.status, cycle.status.replace("_", " ").capitalize())
    if cycle.status in workflow.EDITABLE:
        return f"{words}: the school's ratings so far"
    return f"{words}: {'ratings as moderated by the LA' if cycle.moderated else 'the school’s own ratings'}"


@blueprint.get("/school/<urn>/year-on-year")
@school_member(**READ)
def school(urn: str) -> str:
    content = get_content()
    found = school_cycles(get_store(), content, urn)
    comparison: Comparison | None = compare(content, found.cycles) if found.cycles else None
    chart = Markup(year_on_year_chart_svg(comparison)) if comparison and len(comparison.cycles) > 1 else None
    return render_template(
        "year_on_year/school.html",
        school=g.school,
        comparison=comparison,
        other_framework=found.other_framework,
        chart=chart,
        score_text=score_text,
        status_words=status_words,
        current_cycle=self_evaluation.current_cycle(content, today()),
    )


# The LA's page ----------------------------------------------------------------------------------------------


def _known(allowed: list[str]) -> Any:
    def check(form: Form, field: SelectField) -> None:
        value = field.data or ""
        if len(value) > MAX_PARAMETER or value not in allowed:
            raise ValidationError("Choose a framework from the list")

    return check


class FrameworkFilter(Form):
    """The framework, read from the query string (a GET form: nothing changes, so no CSRF token)."""

    framework = SelectField("Framework", validate_choice=False)

    def __init__(self, frameworks: list[str], formdata: Any) -> None:
        super().__init__(formdata=formdata)
        self.framework.data = self.framework.data or frameworks[0]
        self.framework.validators = [_known(frameworks)]


@dataclass(frozen=True)
class LaView:
    form: FrameworkFilter
    valid: bool
    framework: Framework  # the newest version, for its title
    comparison: LaComparison


def _la_view() -> LaView:
    content, store = get_content(), get_store()
    framework_ids = list(content.framework_ids())
    form = FrameworkFilter(framework_ids, request.args)
    valid = form.validate()
    framework_id = form.framework.data if valid else framework_ids[0]
    if not valid:
        form.framework.data = framework_id
    cycles = [(cycle.id, cycle.title) for cycle in cycles_oldest_first(content)]
    comparison = la_compare(content, framework_id, cycles, index.submissions(store, content))
    return LaView(form, valid, content.framework(framework_id), comparison)


@blueprint.get("/la/year-on-year")
@la_only(*LA_STAFF)
def la_page() -> tuple[str, int]:
    view = _la_view()
    frameworks = get_content().current_frameworks()
    return render_template(
        "year_on_year/la.html",
        form=view.form,
        framework=view.framework,
        comparison=view.comparison,
        framework_choices=[(None, [(f.id, f.title) for f in frameworks])],
        minimum_group=MINIMUM_GROUP,
        score_text=score_text,
    ), (200 if view.valid else 400)


@blueprint.get("/la/year-on-year.csv")
@la_only(*LA_STAFF)
def la_csv() -> Response | tuple[str, int]:
    view = _la_view()
    if not view.valid:
        return la_page()
    rows = [[csv_safe(cell) for cell in row] for row in la_rows(view.comparison, view.framework.title)]
    filename = f"year-on-year-{view.framework.id}-{today().isoformat()}.csv"
    return Response(
        csv_text(rows), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
