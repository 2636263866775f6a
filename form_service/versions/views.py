"""The LA's pages for framework versions: which versions there are, how many in-progress self-evaluations are
on each, and moving them (all of a framework's, or one school's) to a newer version."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from quality_mark.model import Content, Framework

from .. import accounts, self_evaluation, versions
from ..accounts.auth import client_address, la_only
from ..core import audit, clock
from ..core.clock import today
from ..core.content import get_content
from ..forms import ConfirmForm
from ..store import Store, get_store

blueprint = Blueprint("versions", __name__, url_prefix="/la", template_folder="templates")


def _cycle() -> Any:
    return self_evaluation.current_cycle(get_content(), today())


def _version(content: Content, framework_id: str, version: str) -> Framework:
    """The framework version named in the URL; 404 for anything else (a word, 0, an unknown version)."""
    if framework_id not in content.framework_ids() or not version.isdigit() or len(version) > 4:
        abort(404)
    try:
        return content.framework(framework_id, int(version))
    except KeyError:
        abort(404)


def record_move(store: Store, urn: str, outcome: versions.MoveOutcome, to_version: int) -> None:
    audit.record(
        store,
        g.user.id,
        f"moved the self-evaluation to version {to_version}",
        f"school {urn}",
        client_address(),
        flagged=outcome.flagged,
        kept_read_only=outcome.kept_read_only,
    )


@blueprint.get("/frameworks")
@la_only("reviewer", "admin")
def frameworks() -> str:
    """Each framework's versions with their dates, and how many in-progress self-evaluations are on each."""
    content, store, cycle = get_content(), get_store(), _cycle()
    rows = []
    for framework_id in content.framework_ids():
        on = versions.in_progress_on(store, framework_id, cycle.id)
        framework_versions = content.versions_of(framework_id)
        newest = framework_versions[-1]
        behind = sum(len(urns) for version, urns in on.items() if int(version) < newest.version)
        rows.append((framework_id, framework_versions, {v: len(urns) for v, urns in on.items()}, newest, behind))
    return render_template("versions/frameworks.html", rows=rows, cycle=cycle, form=ConfirmForm(), today=today())


@blueprint.route("/frameworks/<framework_id>/move/<version>", methods=["GET", "POST"])
@la_only("admin")
def move_all(framework_id: str, version: str) -> str | Response | tuple[str, int]:
    """Confirm, then move every in-progress self-evaluation of the framework on an older version."""
    content, store, cycle = get_content(), get_store(), _cycle()
    target = _version(content, framework_id, version)
    on = versions.in_progress_on(store, framework_id, cycle.id)
    waiting = sum(len(urns) for v, urns in on.items() if int(v) < target.version)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if waiting == 0:
            message = f"No in-progress self-evaluations are on a version before {target.version}: nothing to move."
            page = render_template(
                "versions/move_all.html", target=target, waiting=0, cycle=cycle, form=form, error=message
            )
            return page, 400

        def each(urn: str, outcome: versions.MoveOutcome) -> None:
            if outcome.status == "moved":
                record_move(store, urn, outcome, target.version)

        summary = versions.move_all(
            store, content, framework_id, cycle.id, target.version, g.user.id, clock.now(), each
        )
        not_moved = len(summary.outcomes) - summary.count("moved")
        flash(
            f"Moved {summary.count('moved')} in-progress self-evaluation{'s' if summary.count('moved') != 1 else ''} "
            f"to version {target.version}."
            + (f" {not_moved} could not be moved: they had been submitted meanwhile." if not_moved else ""),
            "success",
        )
        return redirect(url_for("versions.moved", framework_id=framework_id, version=target.version))
    return render_template("versions/move_all.html", target=target, waiting=waiting, cycle=cycle, form=form, error=None)


@blueprint.get("/frameworks/<framework_id>/moved/<version>")
@la_only("admin")
def moved(framework_id: str, version: str) -> str:
    """After a move: how many in-progress self-evaluations are on each version now."""
    content, store, cycle = get_content(), get_store(), _cycle()
    target = _version(content, framework_id, version)
    on = versions.in_progress_on(store, framework_id, cycle.id)
    counts = [(framework, len(on.get(str(framework.version), []))) for framework in content.versions_of(framework_id)]
    return render_template("versions/moved.html", target=target, counts=counts, cycle=cycle)


@blueprint.route("/schools/<urn>/framework-version", methods=["GET", "POST"])
@la_only("admin")
def school_version(urn: str) -> str | Response | tuple[str, int]:
    """One school's self-evaluation: which version it is on, and moving it to the newest."""
    content, store, cycle = get_content(), get_store(), _cycle()
    school = accounts.get_school(store, urn)
    if school is None:
        abort(404)
    document = store.read(self_evaluation.COLLECTION, self_evaluation.key(urn, cycle.id))
    newest = content.framework(school["framework"])
    current = self_evaluation.framework_of(content, document) if document else None
    reason = None
    if document is None:
        reason = f"{school['name']} has not started its self-evaluation for {cycle.title}."
    elif current is not None and current.version >= newest.version:
        reason = f"It is already on the newest version ({newest.version})."
    elif document["status"] != "in_progress":
        reason = versions.why_not_moved(document["status"])
    form = ConfirmForm()
    page = {"school": school, "cycle": cycle, "document": document, "current": current, "newest": newest}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if reason:
            return render_template("versions/school_version.html", **page, reason=reason, form=form, error=reason), 400
        with store.transaction():  # the move and its audit entry: both or neither
            outcome = versions.move(store, content, urn, cycle.id, newest.version, g.user.id, clock.now())
            if outcome.status == "moved":
                record_move(store, urn, outcome, newest.version)
        if outcome.status != "moved":
            message = outcome.message or "The self-evaluation could not be moved."
            return render_template(
                "versions/school_version.html", **page, reason=message, form=form, error=message
            ), 400
        flash(
            f"{school['name']}'s self-evaluation is now on version {newest.version}. "
            f"{outcome.flagged} criteria are flagged for the school to check.",
            "success",
        )
        return redirect(url_for("home.school", urn=urn))
    return render_template("versions/school_version.html", **page, reason=reason, form=form, error=None)
