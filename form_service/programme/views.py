"""The programme's pages (blueprint `programme`): the LA's dashboard of every school, and stage tracking, where
LA staff record the stages a school has reached and the visits and meetings it had, with the LA-funded hours
used against each stage's allowance; the school sees the same, read-only.

Thin views (validate, act, redirect — otherwise render): the rules live in the package (the dashboard's rows),
`stage_input` (what may be typed), `stages` (the document) and `funded_hours` (the figures). LA reviewers and
admins both record: both are LA staff doing programme work. Every change goes in the audit log.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from quality_mark import wording
from quality_mark.model import Stage

from .. import accounts, programme, self_evaluation, workflow
from ..accounts.auth import client_address, la_only, school_member
from ..core import audit, kept_text
from ..core.clock import today
from ..core.content import get_content
from ..forms import ConfirmForm
from ..store import get_store
from . import funded_hours, stage_input, stages

blueprint = Blueprint("programme", __name__, template_folder="templates")
LA_SCHOOL = "/la/schools/<urn>"  # the LA's pages about one school
SCHOOL = "/school/<urn>"  # the school's own pages

LA_STAFF = ("reviewer", "admin")
READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": LA_STAFF}


class ReachedForm(FlaskForm):
    """The date a stage was reached. `stage_input.check_reached` decides what is valid."""

    reached_day = StringField("Day")
    reached_month = StringField("Month")
    reached_year = StringField("Year")
    notes = TextAreaField("Notes (optional)")


class VisitForm(FlaskForm):
    """A visit or meeting. `stage_input.check_visit` decides what is valid."""

    stage = StringField("Stage")
    kind = RadioField(
        "What it was",
        choices=[SelectChoice(value, label) for value, label in stages.KINDS.items()],
        validate_choice=False,
    )
    visit_day = StringField("Day")
    visit_month = StringField("Month")
    visit_year = StringField("Year")
    hours = StringField("LA-funded hours used")
    attended = StringField("Who attended (optional)")
    notes = TextAreaField("Notes (optional)")


@blueprint.app_template_filter("hours_in_words")
def _hours_in_words(value: float) -> str:
    return wording.hours(float(value))


# --- shared -----------------------------------------------------------------------------------------------


@blueprint.get("/la/")
@la_only("reviewer", "admin")
def dashboard() -> str:
    """Every school in one table: filter and sort by any column, a page at a time."""
    store, content, day = get_store(), get_content(), today()
    rows = programme.rows(store, content, day)  # one query: the summary rows, as committed
    overview = programme.overview_of(rows)
    selection = programme.read_selection(
        request.args.to_dict(), content.framework_ids(), overview.phases, len(content.timeline.stages)
    )
    chosen = programme.select(rows, selection)
    pages = max(1, -(-len(chosen) // programme.PAGE_SIZE))
    page = min(selection.page, pages)
    shown = chosen[(page - 1) * programme.PAGE_SIZE : page * programme.PAGE_SIZE]
    pending = [
        (row, user, waiting) for row in overview.waiting for user, waiting in accounts.pending_requests(store, row.urn)
    ]
    return render_template(
        "programme/dashboard.html",
        rows=shown,
        total=overview.total,
        matching=len(chosen),
        first=(page - 1) * programme.PAGE_SIZE + 1,
        page=page,
        pages=pages,
        selection=selection,
        counts=overview.counts,
        labels=workflow.PROGRAMME_STATUS_LABELS,
        frameworks=content.framework_ids(),
        phases=overview.phases,
        stages=content.timeline.stages,
        cycle=self_evaluation.current_cycle(content, day),
        pending=pending,
        query=functools.partial(_dashboard_link, selection),
        form=ConfirmForm(),
    )


def _dashboard_link(selection: programme.Selection, **changes: str | int) -> str:
    """The dashboard's URL with the same filters and order, changed as asked (a new filter starts at page 1)."""
    params: dict[str, str | int] = {
        "search": selection.search,
        "status": selection.status,
        "framework": selection.framework,
        "phase": selection.phase,
        "stage": selection.stage,
        "sort": "" if selection.sort == "name" else selection.sort,
        "order": "descending" if selection.descending else "",
    } | changes
    return url_for("programme.dashboard", **{name: value for name, value in params.items() if value not in ("", 1)})


def _school(urn: str) -> dict[str, Any]:
    school = accounts.get_school(get_store(), urn)
    if school is None:
        abort(404)
    return school


def _stage(stage_number: str) -> Stage:
    """The stage named in the URL; 404 for anything but the number of a stage in the content."""
    timeline = get_content().timeline
    for stage in timeline.stages:
        if str(stage.number) == stage_number:  # one address per stage: "3", never "03" or "３"
            return stage
    abort(404)


def _names(*records: Any) -> dict[str, str]:
    """Names of the people who recorded things, by user id."""
    store, names = get_store(), {}
    for record in records:
        for field in ("recorded_by", "replaced_by", "updated_by"):
            user_id = record.get(field)
            if user_id and user_id not in names:
                person = accounts.get_user(store, user_id)
                names[user_id] = person.name if person else "someone no longer in the service"
    return names


def _progress(urn: str) -> dict[str, Any]:
    """What both the LA's page and the school's page show: stages reached, visits, and funded hours."""
    store, timeline, day = get_store(), get_content().timeline, today()
    document = stages.load(store, urn)
    visits = stages.visits_of(document)
    rounds = funded_hours.accreditation_rounds(
        visits, timeline, funded_hours.award_dates(stages.load_awards(store, urn)), day
    )
    records = [stages.reached_record(document, stage.number) for stage in timeline.stages]
    return {
        "timeline": timeline,
        "document": document,
        "current": stages.current_stage(document),
        "reached": dict(zip((stage.number for stage in timeline.stages), records, strict=True)),
        "rounds": rounds,
        "total_used": funded_hours.total_used(visits, day),
        "total_planned": funded_hours.total_planned(visits, day),
        "rule": funded_hours.rule_in_words(timeline),
        "names": _names(*(record for record in records if record), *visits),
        "kinds": stages.KINDS,
        "today": day,
        "plan_ahead_years": stage_input.PLAN_AHEAD_YEARS,
    }


def _show_problems(form: FlaskForm, problems: stage_input.Problems) -> None:
    for name, message in problems:
        form[name].errors = [*form[name].errors, message]


def _audit(action: str, urn: str, **details: Any) -> None:
    audit.record(get_store(), g.user.id, action, f"school {urn}", client_address(), **details)


# --- the school's view (read-only) ---------------------------------------------------------------------


@blueprint.get(SCHOOL + "/stages")
@school_member(**READ)
def school_view(urn: str) -> str:
    return render_template("programme/school.html", school=g.school, **_progress(urn))


# --- the LA's pages -------------------------------------------------------------------------------------


@blueprint.get(LA_SCHOOL + "/stages")
@la_only(*LA_STAFF)
def stages_overview(urn: str) -> str:
    return render_template("programme/overview.html", school=_school(urn), **_progress(urn))


def _kept_fields(endpoint: str) -> Any:
    """The fields of this page's form as typed when its post was refused (signed out, page expired), if any."""
    kept = kept_text.restore([endpoint])
    return kept[-1].fields if kept else None


@blueprint.route(LA_SCHOOL + "/stages/<stage_number>", methods=["GET", "POST"])
@kept_text.keeps_typed_text(lambda urn, stage_number: url_for("programme.stage", urn=urn, stage_number=stage_number))
@la_only(*LA_STAFF)
def stage(urn: str, stage_number: str) -> str | Response | tuple[str, int]:
    school, stage = _school(urn), _stage(stage_number)
    store = get_store()
    document = stages.load(store, urn)
    record = stages.reached_record(document, stage.number)
    if request.method == "GET":
        values = {}
        if record:
            reached_on = record["reached_on"]
            values = {
                "reached_day": str(int(reached_on[8:10])),
                "reached_month": str(int(reached_on[5:7])),
                "reached_year": reached_on[:4],
                "notes": record["notes"],
            }
        kept = _kept_fields("programme.stage")
        form = ReachedForm(formdata=kept) if kept else ReachedForm(data=values)
        return _render_stage(school, stage, document, form)
    form = ReachedForm()
    if form.validate_on_submit():
        draft, problems = stage_input.check_reached(request.form, today())
        if draft is not None:
            with store.transaction():  # the change and its audit entry: both or neither
                outcome = stages.record_reached(store, urn, stage.number, draft, g.user.id)
                if outcome != "unchanged":
                    _audit(
                        f"stages: stage {stage.number} reached {outcome}",
                        urn,
                        stage=stage.number,
                        reached_on=draft.reached_on.isoformat(),
                    )
            if outcome == "unchanged":
                flash(f"You did not change anything, so stage {stage.number} is as it was.", "info")
            else:
                flash(
                    f"Stage {stage.number}, {stage.title}: reached on {stage_input.in_words(draft.reached_on)}.",
                    "success",
                )
            return redirect(url_for("programme.stages_overview", urn=urn))
        _show_problems(form, problems)
    return _render_stage(school, stage, document, form), 400


def _render_stage(school: dict, stage: Stage, document: dict | None, form: ReachedForm) -> str:
    record = stages.reached_record(document, stage.number)
    history = stages.history_of(document, stage.number)
    return render_template(
        "programme/stage.html",
        school=school,
        stage=stage,
        record=record,
        history=history,
        names=_names(*([record] if record else []), *history),
        form=form,
        clear_form=ConfirmForm(),
        notes_limit=stages.NOTES_LIMIT,
    )


@blueprint.post(LA_SCHOOL + "/stages/<stage_number>/clear")
@la_only(*LA_STAFF)
def clear(urn: str, stage_number: str) -> Response:
    _school(urn)
    stage = _stage(stage_number)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    store = get_store()
    with store.transaction():  # the change and its audit entry: both or neither
        cleared = stages.clear_reached(store, urn, stage.number, g.user.id)
        if cleared:
            _audit(f"stages: stage {stage.number} reached cleared", urn, stage=stage.number)
    if cleared:
        flash(f"Stage {stage.number}, {stage.title}: the date reached has been cleared.", "success")
    else:
        flash(f"Stage {stage.number} had no date reached to clear.", "info")
    return redirect(url_for("programme.stages_overview", urn=urn))


def _stage_options() -> list[tuple[None, list[tuple[str, str]]]]:
    options = []
    for stage in get_content().timeline.stages:
        funded = f" ({stage.funded_hours:g} funded hours)" if stage.funded_hours else ""
        options.append((str(stage.number), f"Stage {stage.number}: {stage.title}{funded}"))
    return [(None, options)]


def _render_visit(school: dict, form: VisitForm, visit: dict | None = None) -> str:
    return render_template(
        "programme/visit.html",
        school=school,
        form=form,
        visit=visit,
        stage_options=_stage_options(),
        limits={"notes": stages.NOTES_LIMIT, "attended": stages.ATTENDED_LIMIT},
        plan_ahead_years=stage_input.PLAN_AHEAD_YEARS,
        rule=funded_hours.rule_in_words(get_content().timeline),
    )


@blueprint.route(LA_SCHOOL + "/visits/new", methods=["GET", "POST"])
@kept_text.keeps_typed_text(lambda urn: url_for("programme.new_visit", urn=urn))
@la_only(*LA_STAFF)
def new_visit(urn: str) -> str | Response | tuple[str, int]:
    school = _school(urn)
    if request.method == "GET":
        asked = request.args.get("stage", "")
        known = {str(stage.number) for stage in get_content().timeline.stages}
        kept = _kept_fields("programme.new_visit")
        form = VisitForm(formdata=kept) if kept else VisitForm(data={"stage": asked if asked in known else ""})
        return _render_visit(school, form)
    form = VisitForm()
    if form.validate_on_submit():
        draft, problems = stage_input.check_visit(request.form, get_content().timeline, today())
        if draft is not None:
            with get_store().transaction():  # the visit and its audit entry: both or neither
                visit = stages.add_visit(get_store(), urn, draft, g.user.id)
                if visit is not None:
                    _audit("stages: visit added", urn, visit=visit["id"], stage=draft.stage, hours=draft.hours)
            if visit is not None:
                flash(f"The {stages.KINDS[draft.kind].lower()} has been recorded.", "success")
                return redirect(url_for("programme.stages_overview", urn=urn))
            problems = [("stage", f"A school can have at most {stages.MAX_VISITS} visits and meetings recorded")]
        _show_problems(form, problems)
    return _render_visit(school, form), 400


def _visit_or_404(urn: str, visit_id: str) -> dict[str, Any]:
    visit = stages.find_visit(stages.load(get_store(), urn), visit_id)
    if visit is None:
        abort(404)
    return visit


@blueprint.route(LA_SCHOOL + "/visits/<visit_id>", methods=["GET", "POST"])
@kept_text.keeps_typed_text(lambda urn, visit_id: url_for("programme.edit_visit", urn=urn, visit_id=visit_id))
@la_only(*LA_STAFF)
def edit_visit(urn: str, visit_id: str) -> str | Response | tuple[str, int]:
    school = _school(urn)
    visit = _visit_or_404(urn, visit_id)
    if request.method == "GET":
        kept = _kept_fields("programme.edit_visit")
        form = VisitForm(formdata=kept) if kept else VisitForm(data=stages.visit_form_values(visit))
        return _render_visit(school, form, visit)
    form = VisitForm()
    if form.validate_on_submit():
        draft, problems = stage_input.check_visit(request.form, get_content().timeline, today())
        if draft is not None:
            with get_store().transaction():  # the change and its audit entry: both or neither
                outcome = stages.change_visit(get_store(), urn, visit_id, draft, g.user.id)
                if outcome not in ("not_found", "unchanged"):
                    _audit("stages: visit changed", urn, visit=visit_id, stage=draft.stage, hours=draft.hours)
            if outcome == "not_found":
                flash("This visit was deleted by someone else while you were changing it. Nothing was saved.", "error")
            elif outcome == "unchanged":
                flash("You did not change anything, so the visit is as it was.", "info")
            else:
                flash(f"The {stages.KINDS[draft.kind].lower()} has been updated.", "success")
            return redirect(url_for("programme.stages_overview", urn=urn))
        _show_problems(form, problems)
    return _render_visit(school, form, visit), 400


@blueprint.route(LA_SCHOOL + "/visits/<visit_id>/delete", methods=["GET", "POST"])
@la_only(*LA_STAFF)
def delete_visit(urn: str, visit_id: str) -> str | Response:
    school = _school(urn)
    visit = _visit_or_404(urn, visit_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        with get_store().transaction():  # the deletion and its audit entry: both or neither
            removed = stages.delete_visit(get_store(), urn, visit_id)
            if removed is not None:
                _audit("stages: visit deleted", urn, visit=visit_id, stage=removed["stage"], hours=removed["hours"])
        if removed is not None:
            flash(f"The {stages.KINDS[removed['kind']].lower()} on {_day(removed)} has been deleted.", "success")
        else:
            flash("This visit had already been deleted.", "info")
        return redirect(url_for("programme.stages_overview", urn=urn))
    return render_template(
        "programme/visit_delete.html",
        school=school,
        visit=visit,
        stage=get_content().timeline.stage(visit["stage"]),
        kinds=stages.KINDS,
        form=form,
    )


def _day(visit: dict[str, Any]) -> str:
    return stage_input.in_words(date.fromisoformat(visit["date"]))
