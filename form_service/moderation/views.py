"""The pages of moderation (blueprint `moderation`): the LA's review of a submission, the panel decision, and the
school's feedback page.

LA pages (LA reviewers and admins: this is programme work, not LA settings):

* ``/la/schools/<urn>/review``: the latest submission as submitted, criterion by criterion, with the status,
  its history and the buttons Start review, Agree with the rest, Return for amendments and Send to panel;
* ``/la/schools/<urn>/review/<criterion_id>``: one criterion, its conversation and the moderation form;
* ``/la/schools/<urn>/panel``: the panel decision form.

School page: ``/school/<urn>/feedback``, the LA's message, decisions and comments for
the school's own self-evaluation, where school admins and contributors reply. Plain forms: POST, redirect.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from quality_mark.wording import short_date

from .. import accounts, moderation, self_evaluation, workflow
from ..accounts.auth import client_address, la_only, school_member
from ..core import audit, kept_text
from ..core.clock import today
from ..core.content import get_content
from ..core.links import service_link
from ..core.outbox import send_email
from ..forms import ConfirmForm
from ..store import get_store
from .rules import (
    COMMENT_LIMIT,
    DECISIONS,
    MESSAGE_LIMIT,
    OUTCOMES,
    PANEL_ROLES,
    clean_text,
    decisions_standing,
    panel_errors,
    text_errors,
)

# The LA's review under /la/schools/<urn>, the school's view of the LA's feedback under /school/<urn>/feedback.
blueprint = Blueprint("moderation", __name__, template_folder="templates")
REVIEW = "/la/schools/<urn>"
FEEDBACK = "/school/<urn>/feedback"

STATUS_LABELS = {
    "in_progress": "In progress",
    "submitted": "Submitted, waiting for review",
    "under_review": "Under review",
    "returned": "Returned for amendments",
    "at_panel": "At panel",
    "awarded": "Awarded",
    "not_awarded": "Not yet awarded",
}
ACTION_LABELS = {
    "submit": "Submitted by the school",
    "start_review": "Review started",
    "return": "Returned for amendments",
    "send_to_panel": "Sent to panel",
    "award": "Panel awarded the mark",
    "not_award": "Panel decided not yet to award the mark",
}


@blueprint.app_template_global("review_notice")
def review_notice(urn: str) -> dict[str, Any]:
    """For the school's pages: its self-evaluation's status, the LA's message if returned, the panel's decision."""
    store = get_store()
    evaluation = store.read(self_evaluation.COLLECTION, self_evaluation.key(urn, _cycle_id()))
    decisions = (store.read(moderation.AWARDS, urn) or {}).get("decisions") or []
    this_cycle = [d for d in decisions if d.get("cycle") == (evaluation or {}).get("cycle")]
    return {"evaluation": evaluation, "panel_decision": this_cycle[-1] if this_cycle else None}


@blueprint.app_template_filter("iso_date")
def iso_date(value: str) -> str:
    """'2026-11-23' as '23 November 2026'."""
    return short_date(date.fromisoformat(value))


def _cycle_id() -> str:
    return self_evaluation.current_cycle(get_content(), today()).id


def _school_or_404(urn: str) -> dict[str, Any]:
    school = accounts.get_school(get_store(), urn) if urn.isdigit() and len(urn) <= 8 else None
    if school is None:
        abort(404)
    return school


def _names(user_ids: set[str]) -> dict[str, str]:
    store = get_store()
    found = {}
    for user_id in user_ids:
        person = accounts.get_user(store, user_id) if user_id else None
        found[user_id] = person.name if person else "A former user"
    return found


def _context(urn: str) -> dict[str, Any]:
    """What the review pages show: the school, its self-evaluation, latest submission, moderation and awards."""
    store, content = get_store(), get_content()
    school = _school_or_404(urn)
    cycle_id = _cycle_id()
    evaluation = store.read(self_evaluation.COLLECTION, self_evaluation.key(urn, cycle_id))
    submission = moderation.latest_submission(store, evaluation)
    framework = moderation.submission_framework(content, submission) if submission else None
    record = moderation.load(store, urn, cycle_id)
    standing = decisions_standing(record, submission["answers"]) if submission else {}
    transitions = (evaluation or {}).get("transitions") or []
    return {
        "school": school,
        "evaluation": evaluation,
        "submission": submission,
        "framework": framework,
        "moderation": record,
        "standing": standing,
        "remaining": workflow.unmoderated([c.id for c in framework.criteria], {"criteria": standing})
        if framework
        else [],
        "transitions": transitions,
        "awards": (store.read(moderation.AWARDS, urn) or {}).get("decisions") or [],
        "names": _names({t["by"] for t in transitions}),
        "status_labels": STATUS_LABELS,
        "action_labels": ACTION_LABELS,
        "decisions": DECISIONS,
        "outcomes": OUTCOMES,
        "panel_roles": PANEL_ROLES,
        "form": ConfirmForm(),
    }


def _csrf_or_400() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _school_admins(urn: str) -> list[accounts.User]:
    return [person for person, role in accounts.team(get_store(), urn) if role == "admin"]


@blueprint.get(REVIEW + "/review")
@la_only("reviewer", "admin")
def overview(urn: str) -> str:
    kept = kept_text.restore(["moderation.return_for_amendments"])
    posted = {"message": kept[-1].fields.get("message", "")} if kept else {}
    return render_template("moderation/review.html", errors=[], error_links=[], posted=posted, **_context(urn))


def _review_refused(urn: str, refusal: moderation.ModerationRefused, posted: dict[str, str]) -> tuple[str, int]:
    errors = [
        (field or "review-actions", message) for field, messages in refusal.errors.items() for message in messages
    ]
    return render_template(
        "moderation/review.html", errors=errors, error_links=errors, posted=posted, **_context(urn)
    ), 400


@blueprint.post(REVIEW + "/review/start")
@la_only("reviewer", "admin")
def start(urn: str) -> Response | tuple[str, int]:
    _csrf_or_400()
    _school_or_404(urn)
    store = get_store()
    try:
        with store.transaction():  # the change and its audit entry: both or neither
            moderation.start_review(store, urn, _cycle_id(), g.user.id)
            audit.record(store, g.user.id, "started the review", f"school {urn}", client_address(), cycle=_cycle_id())
    except moderation.ModerationRefused as refusal:
        return _review_refused(urn, refusal, {})
    flash("Review started. The school's self-evaluation stays read-only while you review it.", "success")
    return redirect(url_for("moderation.overview", urn=urn))


@blueprint.post(REVIEW + "/review/agree-with-the-rest")
@la_only("reviewer", "admin")
def agree_rest(urn: str) -> Response | tuple[str, int]:
    _csrf_or_400()
    _school_or_404(urn)
    store = get_store()
    try:
        with store.transaction():  # the change and its audit entry: both or neither
            agreed = moderation.agree_with_the_rest(store, get_content(), urn, _cycle_id(), g.user.id)
            audit.record(
                store, g.user.id, "agreed with the school's ratings", f"school {urn}", client_address(), criteria=agreed
            )
    except moderation.ModerationRefused as refusal:
        return _review_refused(urn, refusal, {})
    flash(f"You agreed with the school's rating for {len(agreed)} more criteria.", "success")
    return redirect(url_for("moderation.overview", urn=urn))


@blueprint.post(REVIEW + "/review/return")
@kept_text.keeps_typed_text(lambda urn: url_for("moderation.overview", urn=urn))
@la_only("reviewer", "admin")
def return_for_amendments(urn: str) -> Response | tuple[str, int]:
    _csrf_or_400()
    school = _school_or_404(urn)
    store = get_store()
    message = clean_text(request.form.get("message"))
    problems = text_errors(
        message, "The message to the school", MESSAGE_LIMIT, "Enter a message telling the school what to change"
    )
    try:
        if problems:
            raise moderation.ModerationRefused({"message": problems})
        with store.transaction():  # the change, its audit entry and the emails to the school: all or nothing
            moderation.return_for_amendments(store, urn, _cycle_id(), message, g.user.id)
            audit.record(
                store, g.user.id, "returned for amendments", f"school {urn}", client_address(), cycle=_cycle_id()
            )
            for person in _school_admins(urn):
                send_email(
                    person.email,
                    f"{school['name']}: self-evaluation returned for amendments",
                    "returned",
                    user=person,
                    school=school,
                    message=message,
                    link=service_link("moderation.feedback", urn=urn),
                )
    except moderation.ModerationRefused as refusal:
        return _review_refused(urn, refusal, {"message": message})
    flash(
        f"{school['name']}'s self-evaluation has been returned for amendments. We have emailed the school.", "success"
    )
    return redirect(url_for("moderation.overview", urn=urn))


@blueprint.post(REVIEW + "/review/send-to-panel")
@la_only("reviewer", "admin")
def send_to_panel(urn: str) -> Response | tuple[str, int]:
    _csrf_or_400()
    school = _school_or_404(urn)
    store = get_store()
    try:
        with store.transaction():  # the change and its audit entry: both or neither
            moderation.send_to_panel(store, get_content(), urn, _cycle_id(), g.user.id)
            audit.record(store, g.user.id, "sent to panel", f"school {urn}", client_address(), cycle=_cycle_id())
    except moderation.ModerationRefused as refusal:
        return _review_refused(urn, refusal, {})
    flash(f"{school['name']}'s submission has been sent to panel.", "success")
    return redirect(url_for("moderation.panel", urn=urn))


def _criterion_posted(form: Any) -> dict[str, Any]:
    """What the moderation form of one criterion sent (the rating as a number where it is one)."""
    rating_text = form.get("rating", "")
    rating: Any = int(rating_text) if rating_text.isdigit() and len(rating_text) < 3 else rating_text or None
    return {"decision": form.get("decision", ""), "rating": rating, "comment": clean_text(form.get("comment"))}


def _panel_posted(form: Any) -> dict[str, Any]:
    """What the panel decision form sent."""
    return {
        "outcome": form.get("outcome", ""),
        "reasons": clean_text(form.get("reasons")),
        "conditions": clean_text(form.get("conditions")),
        "day": form.get("day", "")[:10],
        "month": form.get("month", "")[:10],
        "year": form.get("year", "")[:10],
        "panel": form.getlist("panel")[:20],
    }


@blueprint.route(REVIEW + "/review/<criterion_id>", methods=["GET", "POST"])
@kept_text.keeps_typed_text(
    lambda urn, criterion_id: url_for("moderation.criterion", urn=urn, criterion_id=criterion_id)
)
@la_only("reviewer", "admin")
def criterion(urn: str, criterion_id: str) -> str | Response | tuple[str, int]:
    context = _context(urn)
    framework = context["framework"]
    if framework is None:
        abort(404)
    try:
        item = framework.criterion(criterion_id)
    except KeyError:
        abort(404)
    errors: dict[str, list[str]] = {}
    posted: dict[str, Any] = {}
    if request.method == "GET" and (kept := kept_text.restore(["moderation.criterion"])):
        posted = _criterion_posted(kept[-1].fields)
    if request.method == "POST":
        _csrf_or_400()
        posted = _criterion_posted(request.form)
        store = get_store()
        try:
            with store.transaction():  # the decision and its audit entry: both or neither
                stored = moderation.record_decision(
                    store,
                    get_content(),
                    urn,
                    _cycle_id(),
                    item.id,
                    posted["decision"],
                    posted["rating"],
                    posted["comment"],
                    g.user.id,
                    g.user.name,
                )
                audit.record(
                    store,
                    g.user.id,
                    "moderated a criterion",
                    f"school {urn}",
                    client_address(),
                    criterion=item.id,
                    decision=stored["decision"],
                    rating=stored["rating"],
                )
        except moderation.ModerationRefused as refusal:
            errors = refusal.errors
        else:
            flash(f"Your decision on {item.id} is saved.", "success")
            return redirect(url_for("moderation.overview", urn=urn) + f"#{item.id.lower()}")
    error_links = [
        (
            {"decision": "decision-agree", "rating": f"rating-{framework.rating_scale.levels[0].value}"}.get(
                field, field or "decision-agree"
            ),
            message,
        )
        for field, messages in errors.items()
        for message in messages
    ]
    comments = context["moderation"].get("comments", {}).get(item.id, [])
    page = render_template(
        "moderation/criterion.html",
        criterion=item,
        heading=framework.heading_of(item.id),
        answer=context["submission"]["answers"].get(item.id) or {},
        decision=context["moderation"].get("criteria", {}).get(item.id),
        comments=comments,
        errors=errors,
        error_links=error_links,
        posted=posted,
        comment_limit=COMMENT_LIMIT,
        **context,
    )
    return (page, 400) if errors else page


@blueprint.route(REVIEW + "/panel", methods=["GET", "POST"])
@kept_text.keeps_typed_text(lambda urn: url_for("moderation.panel", urn=urn))
@la_only("reviewer", "admin")
def panel(urn: str) -> str | Response | tuple[str, int]:
    context = _context(urn)
    school = context["school"]
    errors: dict[str, list[str]] = {}
    posted: dict[str, Any] = {"panel": []}
    if request.method == "GET" and (kept := kept_text.restore(["moderation.panel"])):
        posted = _panel_posted(kept[-1].fields)
    if request.method == "POST":
        _csrf_or_400()
        posted = _panel_posted(request.form)
        errors, decided_on = panel_errors(
            posted["outcome"],
            posted["reasons"],
            posted["conditions"],
            (posted["day"], posted["month"], posted["year"]),
            posted["panel"],
            today(),
        )
        if not errors and decided_on is not None:
            store = get_store()
            try:
                # The decision (and any award), its audit entry and the emails to the school: all or nothing.
                with store.transaction():
                    decision = moderation.record_panel_decision(
                        store,
                        urn,
                        _cycle_id(),
                        posted["outcome"],
                        posted["reasons"],
                        posted["conditions"],
                        decided_on,
                        posted["panel"],
                        get_content().timeline.reaccreditation.every_years,
                        g.user.id,
                    )
                    audit.record(
                        store,
                        g.user.id,
                        "recorded the panel decision",
                        f"school {urn}",
                        client_address(),
                        outcome=decision["outcome"],
                        decided_on=decision["decided_on"],
                    )
                    for person in _school_admins(urn):
                        send_email(
                            person.email,
                            f"{school['name']}: Quality Mark panel decision",
                            "panel_decision",
                            user=person,
                            school=school,
                            decision=decision,
                            outcome_label=OUTCOMES[decision["outcome"]],
                            panel_roles=[PANEL_ROLES[role] for role in decision["panel"]],
                            link=service_link("home.school", urn=urn),
                        )
            except moderation.ModerationRefused as refusal:
                errors = refusal.errors
            else:
                flash(f"The panel decision for {school['name']} is recorded. We have emailed the school.", "success")
                return redirect(url_for("moderation.overview", urn=urn))
    targets = {"outcome": "outcome-awarded", "panel": "panel-chair", "": "panel-status"}
    error_links = [(targets.get(field, field), message) for field, messages in errors.items() for message in messages]
    page = render_template("moderation/panel.html", errors=errors, error_links=error_links, posted=posted, **context)
    return (page, 400) if errors else page


# --- the school's side ------------------------------------------------------------------------------------------

READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}
REPLY = {"roles": ("admin", "contributor"), "la_roles": ()}


def _feedback_page(urn: str, errors: dict[str, str], posted: dict[str, str]) -> str:
    store, content = get_store(), get_content()
    cycle_id = _cycle_id()
    evaluation = store.read(self_evaluation.COLLECTION, self_evaluation.key(urn, cycle_id))
    submission = moderation.latest_submission(store, evaluation)
    framework = moderation.submission_framework(content, submission) if submission else None
    record = moderation.load(store, urn, cycle_id)
    status = (evaluation or {}).get("status")
    # The school sees moderation once the LA has returned the work or the panel has decided, or while it is
    # under review (the conversation is already under way then).
    visible = status in ("under_review", "returned", "at_panel", "awarded", "not_awarded")
    return render_template(
        "moderation/feedback.html",
        school=g.school,
        evaluation=evaluation,
        submission=submission,
        framework=framework,
        moderation=record if visible else {"criteria": {}, "comments": {}},
        decisions_shown=visible,
        can_reply=g.school_role in REPLY["roles"] and status in ("under_review", "returned"),
        errors=errors,
        posted=posted,
        status_labels=STATUS_LABELS,
        comment_limit=COMMENT_LIMIT,
        form=ConfirmForm(),
    )


@blueprint.get(FEEDBACK + "/")
@school_member(**READ)
def feedback(urn: str) -> str:
    # Replies typed when the post was refused (signed out, page expired) go back in their boxes, unsent.
    kept = kept_text.restore(["moderation.reply"]) if g.school_role in REPLY["roles"] else []
    return _feedback_page(urn, {}, {entry.view_args["criterion_id"]: entry.fields.get("text", "") for entry in kept})


@blueprint.post(FEEDBACK + "/<criterion_id>")
@kept_text.keeps_typed_text(lambda urn, criterion_id: url_for("moderation.feedback", urn=urn))
@school_member(**REPLY)
def reply(urn: str, criterion_id: str) -> Response | tuple[str, int]:
    _csrf_or_400()
    text = clean_text(request.form.get("text"))
    store = get_store()
    submission = moderation.latest_submission(
        store, store.read(self_evaluation.COLLECTION, self_evaluation.key(urn, _cycle_id()))
    )
    if submission is None or criterion_id not in {
        c.id for c in moderation.submission_framework(get_content(), submission).criteria
    }:
        abort(404)
    problems = text_errors(text, "Your reply", COMMENT_LIMIT, "Enter your reply")
    try:
        if problems:
            raise moderation.ModerationRefused({"text": problems})
        with store.transaction():  # the reply and its audit entry: both or neither
            moderation.add_comment(store, urn, _cycle_id(), criterion_id, "school", g.user.id, g.user.name, text)
            audit.record(
                store, g.user.id, "replied to a comment", f"school {urn}", client_address(), criterion=criterion_id
            )
    except moderation.ModerationRefused as refusal:
        message = next(message for messages in refusal.errors.values() for message in messages)
        return _feedback_page(urn, {criterion_id: message}, {criterion_id: text}), 400
    flash("Your reply is saved. The local authority will see it.", "success")
    return redirect(url_for("moderation.feedback", urn=urn) + f"#{criterion_id.lower()}")
