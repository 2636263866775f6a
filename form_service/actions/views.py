"""The school's action plan pages: the plan, add, change and delete an action, and the plan to print or download.

Thin views (validate, act, redirect — otherwise render); the rules live in the package, `form_service.actions`.
School admins and contributors change the plan until the self-evaluation is submitted; viewers and LA staff
only read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from quality_mark.analysis import analyse
from quality_mark.model import LONDON, Criterion, Cycle, Framework

from .. import accounts, actions, self_evaluation
from ..accounts.auth import client_address, school_member
from ..core import audit, kept_text
from ..core.clock import today
from ..core.content import get_content
from ..store import get_store

blueprint = Blueprint("actions", __name__, url_prefix="/school/<urn>", template_folder="templates")

READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}
# The plan is the school's own: LA staff read it (and see it in the submission) but never change it.
EDIT = {"roles": ("admin", "contributor"), "la_roles": ()}


class ActionForm(FlaskForm):
    """The fields of an action. `actions.check` decides what is valid, so the rules can be tested without HTTP."""

    criterion = StringField("Area for development it addresses (optional)")
    what = TextAreaField("What the school will do")
    lead = StringField("Who leads it")
    by_when_day = StringField("Day")
    by_when_month = StringField("Month")
    by_when_year = StringField("Year")
    success_criteria = TextAreaField("How you will know it has worked")
    status = RadioField(
        "Status",
        choices=[SelectChoice(value, label) for value, label in actions.STATUSES.items()],
        validate_choice=False,
    )
    revision = HiddenField()


class DeleteForm(FlaskForm):
    revision = HiddenField()


@dataclass(frozen=True)
class PlanSetting:
    """What every page of the plan needs to know about the school's cycle."""

    cycle: Cycle
    evaluation: dict[str, Any] | None  # the self-evaluation document, if started
    framework: Framework
    locked: bool

    @property
    def developments(self) -> tuple[Criterion, ...]:
        if self.evaluation is None:
            return ()
        return analyse(self.framework, self.evaluation.get("answers", {})).developments


def _setting(urn: str) -> PlanSetting:
    content = get_content()
    cycle = self_evaluation.current_cycle(content, today())
    evaluation = self_evaluation.load(get_store(), urn, cycle.id)
    framework = actions.framework_for(content, g.school, evaluation)
    return PlanSetting(cycle, evaluation, framework, actions.is_locked(evaluation))


def _can_edit(setting: PlanSetting) -> bool:
    return g.school_role in EDIT["roles"] and not setting.locked


def _locked_page(setting: PlanSetting) -> tuple[str, int]:
    return render_template("actions/locked.html", school=g.school, message=actions.LOCKED, setting=setting), 403


def _criterion_groups(setting: PlanSetting) -> list[tuple[str, list[tuple[str, str]]]]:
    """The select's options: every criterion of the framework under its heading, areas for development marked."""
    developments = {criterion.id for criterion in setting.developments}
    groups = []
    for heading in setting.framework.headings:
        options = []
        for criterion in heading.criteria:
            statement = " ".join(criterion.statement.split())
            short = statement if len(statement) <= 90 else statement[:88].rstrip() + "…"
            marker = " (area for development)" if criterion.id in developments else ""
            options.append((criterion.id, f"{criterion.id}{marker}: {short}"))
        groups.append((heading.title, options))
    return groups


def _show_problems(form: ActionForm, problems: actions.Problems) -> None:
    for name, message in problems:
        form[name].errors = [*form[name].errors, message]


def _render_form(setting: PlanSetting, form: ActionForm, action: dict | None = None, **extra: Any) -> str:
    chosen = actions.criterion_or_none(setting.framework, (form.criterion.data or "").strip())
    return render_template(
        "actions/form.html",
        school=g.school,
        setting=setting,
        form=form,
        action=action,
        criterion=chosen,
        heading=setting.framework.heading(chosen.heading_id) if chosen else None,
        criterion_groups=_criterion_groups(setting),
        statuses=actions.STATUSES,
        limits={"what": actions.WHAT_LIMIT, "lead": actions.LEAD_LIMIT, "success": actions.SUCCESS_LIMIT},
        **extra,
    )


def _person_name(user_id: str | None) -> str:
    person = accounts.get_user(get_store(), user_id) if user_id else None
    return person.name if person else "someone"


def _moment_in_words(moment: str) -> str:
    local = datetime.fromisoformat(moment).astimezone(LONDON)
    return f"{actions.in_words(local.date())} at {local.strftime('%H:%M')}"


@blueprint.app_template_filter("date_in_words")
def _date_in_words(value: str) -> str:
    return actions.in_words(value)


# --- the plan --------------------------------------------------------------------------------------------


@blueprint.get("/actions")
@school_member(**READ)
def plan(urn: str) -> str:
    setting = _setting(urn)
    document = actions.load(get_store(), urn, setting.cycle.id)
    return render_template(
        "actions/plan.html",
        school=g.school,
        setting=setting,
        actions_list=actions.actions_of(document),
        framework=setting.framework,
        unplanned=actions.unplanned_developments(setting.developments, document),
        can_edit=_can_edit(setting),
        statuses=actions.STATUSES,
        today=today(),
        is_overdue=actions.is_overdue,
        criterion_of=lambda action: actions.criterion_or_none(setting.framework, action.get("criterion_id")),
        analysis_endpoint=(
            "self_evaluation.analysis" if "self_evaluation.analysis" in current_app.view_functions else None
        ),
    )


def _kept_form(endpoint: str) -> ActionForm | None:
    """The action as typed when its post was refused (signed out, page expired), to show it again unsaved.
    Its revision is the one the person started from, so saving it cannot overwrite a newer change unseen."""
    kept = kept_text.restore([endpoint])
    return ActionForm(formdata=kept[-1].fields) if kept else None


@blueprint.route("/actions/new", methods=["GET", "POST"])
@kept_text.keeps_typed_text(lambda urn: url_for("actions.new", urn=urn))
@school_member(**EDIT)
def new(urn: str) -> str | Response | tuple[str, int]:
    setting = _setting(urn)
    if setting.locked:
        return _locked_page(setting)
    if request.method == "GET":
        # A link from an area for development names its criterion; an unknown one is ignored.
        asked = request.args.get("criterion", "")
        known = actions.criterion_or_none(setting.framework, asked)
        form = _kept_form("actions.new") or ActionForm(
            data={"criterion": known.id if known else "", "status": "not_started"}
        )
        return _render_form(setting, form)
    form = ActionForm()
    if form.validate_on_submit():
        draft, problems = actions.check(request.form, setting.framework, setting.cycle)
        if draft is not None:
            store = get_store()
            with store.transaction():  # the action and its audit entry: both or neither
                result = actions.add(
                    store, urn, setting.cycle, setting.framework, draft, g.user.id, locked=setting.locked
                )
                if result.status == "saved" and result.action:
                    audit.record(
                        store,
                        g.user.id,
                        "action plan: action added",
                        result.action["id"],
                        client_address(),
                        school=urn,
                        cycle=setting.cycle.id,
                        criterion=draft.criterion_id,
                    )
            if result.status == "saved" and result.action:
                flash("The action has been added to the plan.", "success")
                return redirect(url_for("actions.plan", urn=urn))
            problems = [("what", message) for message in result.messages]
        _show_problems(form, problems)
    return _render_form(setting, form), 400


def _action_or_locked(urn: str, action_id: str) -> tuple[PlanSetting, dict[str, Any], tuple[str, int] | None]:
    """The action (404 if there is none) and, when the plan can no longer change, the page that says so."""
    setting = _setting(urn)
    action = actions.find(actions.load(get_store(), urn, setting.cycle.id), action_id)
    if action is None:
        abort(404)
    return setting, action, _locked_page(setting) if setting.locked else None


@blueprint.route("/actions/<action_id>", methods=["GET", "POST"])
@kept_text.keeps_typed_text(lambda urn, action_id: url_for("actions.edit", urn=urn, action_id=action_id))
@school_member(**EDIT)
def edit(urn: str, action_id: str) -> str | Response | tuple[str, int]:
    setting, action, locked = _action_or_locked(urn, action_id)
    if locked is not None:
        return locked
    store = get_store()
    if request.method == "GET":
        form = _kept_form("actions.edit") or ActionForm(data=actions.form_values(action))
        return _render_form(setting, form, action)
    form = ActionForm()
    if not form.validate_on_submit():
        return _render_form(setting, form, action), 400
    draft, problems = actions.check(request.form, setting.framework, setting.cycle)
    if draft is None:
        _show_problems(form, problems)
        return _render_form(setting, form, action), 400
    revision = int(form.revision.data) if (form.revision.data or "").isdigit() else None
    with store.transaction():  # the change and its audit entry: both or neither
        result = actions.update(
            store, urn, setting.cycle.id, action_id, draft, revision, g.user.id, locked=setting.locked
        )
        if result.status == "saved" and result.action:
            audit.record(
                store,
                g.user.id,
                "action plan: action changed",
                action_id,
                client_address(),
                school=urn,
                cycle=setting.cycle.id,
                revision=result.action["revision"],
            )
    if result.status == "saved" and result.action:
        flash("The action has been updated.", "success")
        return redirect(url_for("actions.plan", urn=urn))
    if result.status == "unchanged":
        flash("You did not change anything, so the action is as it was.", "info")
        return redirect(url_for("actions.plan", urn=urn))
    if result.status == "conflict" and result.action:
        # Keep what this person typed, show the version that won, and let them save again knowingly.
        form.revision.data = str(result.action["revision"])
        newer = result.action
        return _render_form(
            setting,
            form,
            newer,
            conflict=newer,
            conflict_by=_person_name(newer.get("updated_by")),
            conflict_at=_moment_in_words(newer["updated_at"]),
        ), 409
    if result.status == "locked":
        return _locked_page(setting)
    flash("This action was deleted by someone else while you were changing it. Your changes were not saved.", "error")
    return redirect(url_for("actions.plan", urn=urn))


@blueprint.route("/actions/<action_id>/delete", methods=["GET", "POST"])
@school_member(**EDIT)
def delete(urn: str, action_id: str) -> str | Response | tuple[str, int]:
    setting, action, locked = _action_or_locked(urn, action_id)
    if locked is not None:
        return locked
    store = get_store()
    form = DeleteForm(data={"revision": str(action["revision"])})
    error = None
    if request.method == "POST" and form.validate_on_submit():
        revision = int(form.revision.data) if (form.revision.data or "").isdigit() else None
        with store.transaction():  # the deletion and its audit entry: both or neither
            result = actions.delete(store, urn, setting.cycle.id, action_id, revision, locked=setting.locked)
            if result.status == "saved":
                audit.record(
                    store,
                    g.user.id,
                    "action plan: action deleted",
                    action_id,
                    client_address(),
                    school=urn,
                    cycle=setting.cycle.id,
                )
        if result.status == "saved":
            flash("The action has been deleted.", "success")
            return redirect(url_for("actions.plan", urn=urn))
        if result.status == "locked":
            return _locked_page(setting)
        if result.status == "not_found":
            flash("This action had already been deleted.", "info")
            return redirect(url_for("actions.plan", urn=urn))
        action = result.action or action
        form.revision.data = str(action["revision"])
        changed_by, changed_at = _person_name(action.get("updated_by")), _moment_in_words(action["updated_at"])
        error = (
            f"{changed_by} changed this action on {changed_at}, after you opened this page. "
            "Check the action below before you delete it."
        )
    return render_template(
        "actions/delete.html",
        school=g.school,
        form=form,
        action=action,
        error=error,
        criterion=actions.criterion_or_none(setting.framework, action.get("criterion_id")),
        statuses=actions.STATUSES,
    ), (409 if error else 200)


# --- printing and downloading ---------------------------------------------------------------------------


@blueprint.get("/actions.csv")
@school_member(**READ)
def export_csv(urn: str) -> Response:
    setting = _setting(urn)
    document = actions.load(get_store(), urn, setting.cycle.id)
    text = actions.to_csv(setting.framework, actions.actions_of(document))
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="action-plan-{urn}-{setting.cycle.id}.csv"'
    return response


@blueprint.get("/actions/document")
@school_member(**READ)
def export_document(urn: str) -> str:
    setting = _setting(urn)
    document = actions.load(get_store(), urn, setting.cycle.id)
    return render_template(
        "actions/document.html",
        school=g.school,
        setting=setting,
        framework=setting.framework,
        groups=actions.grouped_by_heading(setting.framework, actions.actions_of(document)),
        statuses=actions.STATUSES,
        today=today(),
        criterion_of=lambda action: actions.criterion_or_none(setting.framework, action.get("criterion_id")),
    )
