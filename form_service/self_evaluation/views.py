"""The self-evaluation form: one page per heading, check your answers, submit, confirmation; and, on the same
blueprint (`self_evaluation`, under /school/<urn>), the analysis pages of `analysis_views.py`.

Works without JavaScript (each heading page is a normal form with "Save and continue" and "Save and
come back later"); static/autosave.js adds saving as you type through the JSON API (`form_service.api`).
Thin views: reading and saving a heading's form, and drawing the page, are in `form_page.py`.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from quality_mark.analysis import analyse, is_reviewed
from quality_mark.carry_over import FLAG_TEXT
from quality_mark.model import LONDON

from .. import accounts, self_evaluation
from ..accounts.auth import client_address, school_member
from ..core import audit, clock, kept_text
from ..core.clock import today
from ..core.content import get_content
from ..core.links import service_link
from ..core.outbox import send_email
from ..forms import ConfirmForm
from ..store import get_store
from . import EDIT, READ, SUBMIT, analysis_views
from .form_page import (
    can_edit,
    counted,
    document_of,
    flagged_criteria,
    framework_for,
    kept_answers,
    next_heading,
    no_longer_asked,
    render_heading,
    revision_of,
    save_page,
    this_cycle,
)

blueprint = Blueprint("self_evaluation", __name__, url_prefix="/school/<urn>", template_folder="templates")


@blueprint.get("/self-evaluation/")
@school_member(**READ)
def overview(urn: str) -> str:
    document = document_of(urn)
    framework = framework_for(urn, document)
    return render_template(
        "self_evaluation/overview.html",
        school=g.school,
        document=document,
        framework=framework,
        analysis=analyse(framework, counted(document)),
        flagged=flagged_criteria(framework, document),
        flag_text=FLAG_TEXT,
        no_longer_asked=no_longer_asked(framework, document),
        cycle=this_cycle(),
        deadline=self_evaluation.deadline_for(document, this_cycle()) if document else this_cycle().submission_deadline,
        can_start=document is None and g.school_role in ("admin", "contributor"),
        can_edit=can_edit(document),
        form=ConfirmForm(),
    )


@blueprint.post("/self-evaluation/start")
@school_member(**EDIT)
def start(urn: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    store = get_store()
    with store.transaction():  # the self-evaluation and its audit entry: both or neither
        document = self_evaluation.start(store, get_content(), g.school, this_cycle(), today())
        audit.record(store, g.user.id, "started the self-evaluation", f"school {urn}", client_address())
    first = framework_for(urn, document).headings[0]
    return redirect(url_for("self_evaluation.heading", urn=urn, heading_id=first.id))


def _heading_page(urn: str, heading_id: str) -> str:
    return url_for("self_evaluation.heading", urn=urn, heading_id=heading_id)


def _heading_page_of(urn: str, criterion_id: str) -> str | None:
    """The heading page a criterion is on (where its form is), if there is one."""
    document = self_evaluation.load(get_store(), urn, this_cycle().id) if len(urn) <= 20 else None
    if document is None:
        return None
    try:
        return _heading_page(urn, self_evaluation.framework_of(get_content(), document).heading_of(criterion_id).id)
    except KeyError:
        return None


@blueprint.route("/self-evaluation/<heading_id>", methods=["GET", "POST"])
@kept_text.keeps_typed_text(_heading_page, whole_page=True)
@school_member(**READ)
def heading(urn: str, heading_id: str) -> str | Response | tuple[str, int]:
    document = document_of(urn)
    if document is None:
        return redirect(url_for("self_evaluation.overview", urn=urn))
    framework = framework_for(urn, document)
    try:
        section = framework.heading(heading_id)
    except KeyError:
        abort(404)
    editable = can_edit(document)
    if request.method == "GET" or not editable:
        if request.method == "POST":
            abort(403)
        answers_kept, bases = kept_answers(section) if editable else ({}, {})
        return render_heading(urn, document, framework, section, editable, answers_kept, {}, bases)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    document, with_errors = save_page(urn, document, framework, section)
    if with_errors:
        return with_errors
    if request.form.get("then") == "later":
        flash("Your answers are saved. You can come back at any time before the deadline.", "success")
        return redirect(url_for("self_evaluation.overview", urn=urn))
    following = next_heading(framework, section)
    if following is None:
        return redirect(url_for("self_evaluation.check", urn=urn))
    return redirect(url_for("self_evaluation.heading", urn=urn, heading_id=following.id))


@blueprint.get("/self-evaluation/check")
@school_member(**READ)
def check(urn: str) -> str | Response:
    document = document_of(urn)
    if document is None:
        return redirect(url_for("self_evaluation.overview", urn=urn))
    framework = framework_for(urn, document)
    analysis = analyse(framework, counted(document))
    deadline = self_evaluation.deadline_for(document, this_cycle())
    flagged = flagged_criteria(framework, document)
    return render_template(
        "self_evaluation/check.html",
        school=g.school,
        document=document,
        framework=framework,
        analysis=analysis,
        missing=analysis.missing_required(counted(document)),
        flagged=flagged,
        flag_text=FLAG_TEXT,
        no_longer_asked=no_longer_asked(framework, document),
        deadline=deadline,
        past_deadline=clock.now() > deadline,
        can_submit=g.school_role == "admin" and document["status"] in self_evaluation.EDITABLE,
        is_reviewed=is_reviewed,
        form=ConfirmForm(),
    )


@blueprint.post("/self-evaluation/confirm/<criterion_id>")
@kept_text.keeps_typed_text(_heading_page_of, whole_page=True)
@school_member(**EDIT)
def confirm(urn: str, criterion_id: str) -> Response | tuple[str, int]:
    """ "This is still right": clear the criterion's flag without changing its answer (a button on the heading
    page, posted with the revision of the answer the person saw)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        revision = int(request.form.get("revision", ""))
    except ValueError:
        revision = -1
    store, content = get_store(), get_content()
    document = document_of(urn)
    if document is not None and can_edit(document) and f"{criterion_id}-revision" in request.form:
        # The button sits in the heading's form: save what the page holds first, so nothing typed
        # elsewhere on it is lost (without JavaScript there was no autosave).
        framework = framework_for(urn, document)
        try:
            section = framework.heading_of(criterion_id)
        except KeyError:
            abort(404)
        document, with_errors = save_page(urn, document, framework, section)
        if with_errors:
            return with_errors
        if criterion_id not in (document.get("flags") or {}):
            flash("Your answers are saved.", "success")  # the answer was changed, which settles its flag
            return redirect(
                url_for("self_evaluation.heading", urn=urn, heading_id=section.id) + f"#{criterion_id.lower()}"
            )
    with store.transaction():  # the confirmation and its audit entry: both or neither
        status, message = self_evaluation.confirm_answer(
            store, content, this_cycle(), urn, criterion_id, revision, g.user.id
        )
        if status == "confirmed":
            audit.record(
                store,
                g.user.id,
                "confirmed an answer is still right",
                f"school {urn}",
                client_address(),
                criterion=criterion_id,
            )
    if status in ("unknown_criterion", "not_started"):
        abort(404)
    if status == "locked":
        abort(403)
    document = document_of(urn)
    framework = framework_for(urn, document)
    heading_id = framework.heading_of(criterion_id).id
    if status == "confirmed":
        flash(f"You confirmed your answer to {criterion_id} is still right.", "success")
    else:
        flash(f"{criterion_id}: {message}.", "error")
    return redirect(url_for("self_evaluation.heading", urn=urn, heading_id=heading_id) + f"#{criterion_id.lower()}")


@blueprint.post("/self-evaluation/confirm-heading/<heading_id>")
@kept_text.keeps_typed_text(_heading_page, whole_page=True)
@school_member(**EDIT)
def confirm_heading(urn: str, heading_id: str) -> Response | tuple[str, int]:
    """ "Every flagged answer on this page is still right": save the heading's form, then clear the flag of
    each flagged answer still as the person saw it (each checked against the revision on their page)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    document = document_of(urn)
    if document is None:
        abort(404)
    framework = framework_for(urn, document)
    try:
        section = framework.heading(heading_id)
    except KeyError:
        abort(404)
    if not can_edit(document):
        abort(403)
    document, with_errors = save_page(urn, document, framework, section)
    if with_errors:
        return with_errors
    store, content, cycle = get_store(), get_content(), this_cycle()
    confirmed, refused = [], []
    with store.transaction():  # the confirmations and their audit entry: all or none
        for criterion in section.criteria:
            if criterion.id not in (document.get("flags") or {}):
                continue
            status, message = self_evaluation.confirm_answer(
                store, content, cycle, urn, criterion.id, revision_of(criterion.id), g.user.id
            )
            if status == "confirmed":
                confirmed.append(criterion.id)
            else:
                refused.append(f"{criterion.id}: {message}")
        if confirmed:
            audit.record(
                store,
                g.user.id,
                "confirmed answers are still right",
                f"school {urn}",
                client_address(),
                heading=section.id,
                criteria=confirmed,
            )
    if confirmed:
        count = len(confirmed)
        flash(f"You confirmed {count} {'answer is' if count == 1 else 'answers are'} still right.", "success")
    for message in refused:
        flash(f"{message}.", "error")
    return redirect(url_for("self_evaluation.heading", urn=urn, heading_id=section.id))


@blueprint.post("/self-evaluation/submit")
@school_member(**SUBMIT)
def submit(urn: str) -> Response | tuple[str, int]:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    store, content, cycle = get_store(), get_content(), this_cycle()
    moment = clock.now()
    reference = self_evaluation.new_reference(urn, cycle.id)

    # The submission, its audit entry and the emails to the school's leads: all or nothing.
    with store.transaction():
        outcome, message = self_evaluation.submit(store, content, cycle, urn, g.user.id, moment, reference)
        if outcome == "ok":
            audit.record(
                store,
                g.user.id,
                "submitted the self-evaluation",
                f"school {urn}",
                client_address(),
                reference=reference,
            )
            for person, role in accounts.team(store, urn):
                if role == "admin":
                    send_email(
                        person.email,
                        f"{g.school['name']}: self-evaluation submitted ({reference})",
                        "submitted",
                        user=person,
                        school=g.school,
                        reference=reference,
                        by=g.user.name,
                        link=service_link("self_evaluation.submitted", urn=urn),
                    )
    if outcome != "ok":
        flash(message, "error")
        return redirect(url_for("self_evaluation.check", urn=urn))
    return redirect(url_for("self_evaluation.submitted", urn=urn))


@blueprint.get("/self-evaluation/submitted")
@school_member(**READ)
def submitted(urn: str) -> str | Response:
    document = document_of(urn)
    if document is None or not document.get("submissions"):
        return redirect(url_for("self_evaluation.overview", urn=urn))
    submitted_at = datetime.fromisoformat(document["submitted_at"]).astimezone(LONDON)
    return render_template(
        "self_evaluation/submitted.html",
        school=g.school,
        reference=document["submissions"][-1],
        submitted_at=submitted_at,
        cycle=this_cycle(),
    )


analysis_views.register(blueprint)
