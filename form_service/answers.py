"""The self-evaluation form: one page per heading, check your answers, submit, confirmation.

Works without JavaScript (each heading page is a normal form with "Save and continue" and "Save and
come back later"); static/autosave.js adds saving as you type through the JSON API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from quality_mark.analysis import analyse, is_reviewed
from quality_mark.carry_over import FLAG_TEXT
from quality_mark.model import LONDON, Framework, Heading
from quality_mark.personal_data import describe as describe_personal_data
from quality_mark.personal_data import personal_data_found

from . import accounts, self_evaluation
from .accounts.auth import client_address, school_member
from .core import audit, clock, kept_text
from .core.clock import today
from .core.content import get_content
from .core.links import service_link
from .core.outbox import send_email
from .forms import ConfirmForm
from .store import get_store

answers = Blueprint("answers", __name__, url_prefix="/school/<urn>/self-evaluation")

READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}
EDIT = {"roles": ("admin", "contributor"), "la_roles": ()}
SUBMIT = {"roles": ("admin",), "la_roles": ()}
SUBMISSIONS = self_evaluation.SUBMISSIONS
ANSWER_FIELDS = self_evaluation.ANSWER_FIELDS


def _cycle():
    return self_evaluation.current_cycle(get_content(), today())


def _document(urn: str) -> dict[str, Any] | None:
    return self_evaluation.load(get_store(), urn, _cycle().id)


def _can_edit(document: dict[str, Any] | None) -> bool:
    return (
        document is not None
        and g.school_role in ("admin", "contributor")
        and document["status"] in self_evaluation.EDITABLE
        and clock.now() <= self_evaluation.deadline_for(document, _cycle())
    )


def _framework(urn: str, document: dict[str, Any] | None) -> Framework:
    content = get_content()
    if document:
        return self_evaluation.framework_of(content, document)
    return self_evaluation.starting_version(content, g.school["framework"], today())


def _counted(document: dict[str, Any] | None) -> dict[str, Any]:
    """The answers that count as reviewed so far: a flagged answer counts only once it is confirmed or changed."""
    if not document:
        return {}
    flags = document.get("flags") or {}
    return {cid: answer for cid, answer in document["answers"].items() if cid not in flags}


def _flagged(framework: Framework, document: dict[str, Any] | None) -> list[tuple[Any, dict[str, Any]]]:
    """(criterion, flag) for each flagged criterion, in the framework's order."""
    flags = (document or {}).get("flags") or {}
    return [(criterion, flags[criterion.id]) for criterion in framework.criteria if criterion.id in flags]


def _no_longer_asked(framework: Framework, document: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Earlier answers whose criterion has no place in this version (retired): shown read-only."""
    ids = {criterion.id for criterion in framework.criteria}
    return [e for e in (document or {}).get("earlier_answers") or [] if not set(e.get("went_to") or []) & ids]


@answers.get("/")
@school_member(**READ)
def overview(urn: str) -> str:
    document = _document(urn)
    framework = _framework(urn, document)
    return render_template(
        "answers/overview.html",
        school=g.school,
        document=document,
        framework=framework,
        analysis=analyse(framework, _counted(document)),
        flagged=_flagged(framework, document),
        flag_text=FLAG_TEXT,
        no_longer_asked=_no_longer_asked(framework, document),
        cycle=_cycle(),
        deadline=self_evaluation.deadline_for(document, _cycle()) if document else _cycle().submission_deadline,
        can_start=document is None and g.school_role in ("admin", "contributor"),
        can_edit=_can_edit(document),
        form=ConfirmForm(),
    )


@answers.post("/start")
@school_member(**EDIT)
def start(urn: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    store = get_store()
    with store.transaction():  # the self-evaluation and its audit entry: both or neither
        document = self_evaluation.start(store, get_content(), g.school, _cycle(), today())
        audit.record(store, g.user.id, "started the self-evaluation", f"school {urn}", client_address())
    first = _framework(urn, document).headings[0]
    return redirect(url_for("answers.heading", urn=urn, heading_id=first.id))


def _posted_answer(criterion_id: str, form: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What the form sent (this request's, unless given) for one criterion, in the stored shape (the schema
    decides if it is valid)."""
    form = request.form if form is None else form
    rating_text = form.get(f"{criterion_id}-rating", "")
    try:
        rating: Any = int(rating_text) if rating_text else None
    except ValueError:
        rating = rating_text
    # One reference a line: blank lines dropped, space around each removed. Only line breaks end a line (not
    # str.splitlines, which would also split at control characters and so hide them from the text rule).
    lines = re.split(r"\r\n|\r|\n", form.get(f"{criterion_id}-evidence", ""))
    evidence = [line.strip(" \t") for line in lines if line.strip(" \t")]
    return {"rating": rating, "commentary": form.get(f"{criterion_id}-commentary", ""), "evidence": evidence}


def _revision(criterion_id: str, form: Mapping[str, str] | None = None) -> int:
    form = request.form if form is None else form
    try:
        return int(form.get(f"{criterion_id}-revision", "0"))
    except ValueError:
        return -1


def _heading_page(urn: str, heading_id: str) -> str:
    return url_for("answers.heading", urn=urn, heading_id=heading_id)


def _heading_page_of(urn: str, criterion_id: str) -> str | None:
    """The heading page a criterion is on (where its form is), if there is one."""
    document = self_evaluation.load(get_store(), urn, _cycle().id) if len(urn) <= 20 else None
    if document is None:
        return None
    try:
        return _heading_page(urn, self_evaluation.framework_of(get_content(), document).heading_of(criterion_id).id)
    except KeyError:
        return None


# The forms of a heading page: each carries every field on the page (the buttons share one form).
HEADING_FORMS = ("answers.heading", "answers.confirm", "answers.confirm_heading")


def _kept_answers(section: Heading) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Answers typed on this page whose post was refused (signed out, page expired): the text to put back in
    the fields, and the revisions it was based on, so saving it can never silently overwrite a newer answer."""
    answers_kept: dict[str, dict[str, Any]] = {}
    bases: dict[str, int] = {}
    for kept in kept_text.restore(HEADING_FORMS):  # oldest first: the newest text wins
        for criterion in section.criteria:
            if f"{criterion.id}-revision" in kept.fields:
                answers_kept[criterion.id] = _posted_answer(criterion.id, kept.fields)
                bases[criterion.id] = _revision(criterion.id, kept.fields)
    return answers_kept, bases


def _save_heading(
    urn: str, framework: Framework, section: Heading
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Save every criterion of the heading page's form: what was posted, and the problems by criterion."""
    problems: dict[str, dict[str, Any]] = {}
    posted: dict[str, dict[str, Any]] = {}
    store, content = get_store(), get_content()
    for criterion in section.criteria:
        answer = _posted_answer(criterion.id)
        posted[criterion.id] = answer
        result = self_evaluation.save_answer(
            store,
            content,
            _cycle(),
            urn,
            criterion.id,
            answer,
            _revision(criterion.id),
            g.user.id,
            allow_personal_data=bool(request.form.get(f"{criterion.id}-personal-data-checked")),
            today=today(),
        )
        if result.status in ("saved", "unchanged"):
            continue
        problems[criterion.id] = {"status": result.status, "errors": result.errors, "theirs": result.answer}
        if result.status == "personal_data":
            problems[criterion.id]["errors"] = [describe_personal_data(result.personal_data)]
        problems[criterion.id]["fields"] = _errors_by_field(framework, criterion.id, answer, problems[criterion.id])
    return posted, problems


def _save_page(
    urn: str, document: dict[str, Any], framework: Framework, section: Heading
) -> tuple[dict[str, Any], tuple[str, int] | None]:
    """Save the heading page's form: the self-evaluation as it now is, and the page shown again with its
    errors (every word kept) if anything on it could not be saved."""
    posted, problems = _save_heading(urn, framework, section)
    document = _document(urn) or document
    if problems:
        return document, (_render_heading(urn, document, framework, section, True, posted, problems), 400)
    return document, None


@answers.route("/<heading_id>", methods=["GET", "POST"])
@kept_text.keeps_typed_text(_heading_page, whole_page=True)
@school_member(**READ)
def heading(urn: str, heading_id: str) -> str | Response | tuple[str, int]:
    document = _document(urn)
    if document is None:
        return redirect(url_for("answers.overview", urn=urn))
    framework = _framework(urn, document)
    try:
        section = framework.heading(heading_id)
    except KeyError:
        abort(404)
    editable = _can_edit(document)
    if request.method == "GET" or not editable:
        if request.method == "POST":
            abort(403)
        answers_kept, bases = _kept_answers(section) if editable else ({}, {})
        return _render_heading(urn, document, framework, section, editable, answers_kept, {}, bases)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    document, with_errors = _save_page(urn, document, framework, section)
    if with_errors:
        return with_errors
    if request.form.get("then") == "later":
        flash("Your answers are saved. You can come back at any time before the deadline.", "success")
        return redirect(url_for("answers.overview", urn=urn))
    following = _next_heading(framework, section)
    if following is None:
        return redirect(url_for("answers.check", urn=urn))
    return redirect(url_for("answers.heading", urn=urn, heading_id=following.id))


def _errors_by_field(
    framework: Framework, criterion_id: str, answer: dict[str, Any], problem: dict[str, Any]
) -> dict[str, list[str]]:
    """Each message about one criterion, under the field it is about (rating, commentary or evidence), so
    it can be shown next to that field and the error summary can link to it."""
    if problem["status"] == "conflict":
        return {"commentary": []}  # their version is shown above the fields; the person edits their commentary
    normalised = self_evaluation.normalise_answer(answer)
    if problem["status"] == "personal_data":
        in_commentary = personal_data_found(str(normalised.get("commentary", "")), today())
        return {"commentary" if in_commentary else "evidence": problem["errors"]}
    fields: dict[str, list[str]] = {}
    if problem["status"] == "invalid":
        for name in ANSWER_FIELDS:
            if name in normalised:
                messages = self_evaluation.answer_errors(framework, {name: normalised[name]})
                if messages:
                    fields[name] = messages
    placed = {message for messages in fields.values() for message in messages}
    others = [message for message in problem["errors"] if message not in placed]
    if others:
        fields.setdefault("rating", []).extend(others)
    return fields


def _error_target(framework: Framework, criterion_id: str, field_name: str) -> str:
    """The id of the control an error summary link moves focus to (a group of radios: its first radio)."""
    if field_name == "rating":
        return f"{criterion_id.lower()}-rating-{framework.rating_scale.levels[0].value}"
    return f"{criterion_id.lower()}-{field_name}"


def _next_heading(framework: Framework, section: Heading) -> Heading | None:
    ids = [h.id for h in framework.headings]
    position = ids.index(section.id)
    return framework.headings[position + 1] if position + 1 < len(ids) else None


def _render_heading(
    urn: str,
    document: dict[str, Any],
    framework: Framework,
    section: Heading,
    editable: bool,
    posted: dict[str, dict[str, Any]],
    problems: dict[str, dict[str, Any]],
    bases: dict[str, int] | None = None,
) -> str:
    """The heading page. `posted`: text to show in place of the saved answers, `bases`: the revisions it was
    based on (when not the saved ones), `problems`: why some of it could not be saved."""
    stored = document["answers"]
    error_links = [
        (_error_target(framework, criterion_id, field_name), message)
        for criterion_id, problem in problems.items()
        for field_name, messages in problem["fields"].items()
        for message in (messages or ["Someone else changed this answer while you were editing it"])
    ]
    names = {}
    earlier: dict[str, list[dict[str, Any]]] = {}
    for entry in document.get("earlier_answers") or []:
        for target in entry.get("went_to") or []:
            earlier.setdefault(target, []).append(entry)
    retired_here = [e for e in _no_longer_asked(framework, document) if e.get("heading_id") == section.id]
    for answer in stored.values():
        if answer.get("updated_by") and answer["updated_by"] not in names:
            person = accounts.get_user(get_store(), answer["updated_by"])
            names[answer["updated_by"]] = person.name if person else "A former team member"
    return render_template(
        "answers/heading.html",
        school=g.school,
        document=document,
        framework=framework,
        section=section,
        editable=editable,
        stored=stored,
        posted=posted,
        problems=problems,
        bases=bases or {},
        error_links=error_links,
        names=names,
        next_heading=_next_heading(framework, section),
        analysis=analyse(framework, _counted(document)),
        flags=document.get("flags") or {},
        flag_text=FLAG_TEXT,
        earlier=earlier,
        retired_here=retired_here,
        form=ConfirmForm(),
        london=LONDON,
        api_url=url_for("api.save_answer", urn=urn, criterion_id="CRITERION") if editable else None,
    )


@answers.get("/check")
@school_member(**READ)
def check(urn: str) -> str | Response:
    document = _document(urn)
    if document is None:
        return redirect(url_for("answers.overview", urn=urn))
    framework = _framework(urn, document)
    analysis = analyse(framework, _counted(document))
    deadline = self_evaluation.deadline_for(document, _cycle())
    flagged = _flagged(framework, document)
    return render_template(
        "answers/check.html",
        school=g.school,
        document=document,
        framework=framework,
        analysis=analysis,
        missing=analysis.missing_required(_counted(document)),
        flagged=flagged,
        flag_text=FLAG_TEXT,
        no_longer_asked=_no_longer_asked(framework, document),
        deadline=deadline,
        past_deadline=clock.now() > deadline,
        can_submit=g.school_role == "admin" and document["status"] in self_evaluation.EDITABLE,
        is_reviewed=is_reviewed,
        form=ConfirmForm(),
    )


@answers.post("/confirm/<criterion_id>")
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
    document = _document(urn)
    if document is not None and _can_edit(document) and f"{criterion_id}-revision" in request.form:
        # The button sits in the heading's form: save what the page holds first, so nothing typed
        # elsewhere on it is lost (without JavaScript there was no autosave).
        framework = _framework(urn, document)
        try:
            section = framework.heading_of(criterion_id)
        except KeyError:
            abort(404)
        document, with_errors = _save_page(urn, document, framework, section)
        if with_errors:
            return with_errors
        if criterion_id not in (document.get("flags") or {}):
            flash("Your answers are saved.", "success")  # the answer was changed, which settles its flag
            return redirect(url_for("answers.heading", urn=urn, heading_id=section.id) + f"#{criterion_id.lower()}")
    with store.transaction():  # the confirmation and its audit entry: both or neither
        status, message = self_evaluation.confirm_answer(
            store, content, _cycle(), urn, criterion_id, revision, g.user.id
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
    document = _document(urn)
    framework = _framework(urn, document)
    heading_id = framework.heading_of(criterion_id).id
    if status == "confirmed":
        flash(f"You confirmed your answer to {criterion_id} is still right.", "success")
    else:
        flash(f"{criterion_id}: {message}.", "error")
    return redirect(url_for("answers.heading", urn=urn, heading_id=heading_id) + f"#{criterion_id.lower()}")


@answers.post("/confirm-heading/<heading_id>")
@kept_text.keeps_typed_text(_heading_page, whole_page=True)
@school_member(**EDIT)
def confirm_heading(urn: str, heading_id: str) -> Response | tuple[str, int]:
    """ "Every flagged answer on this page is still right": save the heading's form, then clear the flag of
    each flagged answer still as the person saw it (each checked against the revision on their page)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    document = _document(urn)
    if document is None:
        abort(404)
    framework = _framework(urn, document)
    try:
        section = framework.heading(heading_id)
    except KeyError:
        abort(404)
    if not _can_edit(document):
        abort(403)
    document, with_errors = _save_page(urn, document, framework, section)
    if with_errors:
        return with_errors
    store, content, cycle = get_store(), get_content(), _cycle()
    confirmed, refused = [], []
    with store.transaction():  # the confirmations and their audit entry: all or none
        for criterion in section.criteria:
            if criterion.id not in (document.get("flags") or {}):
                continue
            status, message = self_evaluation.confirm_answer(
                store, content, cycle, urn, criterion.id, _revision(criterion.id), g.user.id
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
    return redirect(url_for("answers.heading", urn=urn, heading_id=section.id))


@answers.post("/submit")
@school_member(**SUBMIT)
def submit(urn: str) -> Response | tuple[str, int]:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    store, content, cycle = get_store(), get_content(), _cycle()
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
                        link=service_link("answers.submitted", urn=urn),
                    )
    if outcome != "ok":
        flash(message, "error")
        return redirect(url_for("answers.check", urn=urn))
    return redirect(url_for("answers.submitted", urn=urn))


@answers.get("/submitted")
@school_member(**READ)
def submitted(urn: str) -> str | Response:
    document = _document(urn)
    if document is None or not document.get("submissions"):
        return redirect(url_for("answers.overview", urn=urn))
    submitted_at = datetime.fromisoformat(document["submitted_at"]).astimezone(LONDON)
    return render_template(
        "answers/submitted.html",
        school=g.school,
        reference=document["submissions"][-1],
        submitted_at=submitted_at,
        cycle=_cycle(),
    )
