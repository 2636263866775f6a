"""The local authority's side: importing the school list, extensions to a school's deadline, the audit log.

The programme dashboard (/la/) is in `form_service.programme`."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from quality_mark.model import LONDON

from . import accounts, schools, self_evaluation
from .accounts.auth import client_address, la_only
from .core import audit
from .core.clock import today
from .core.content import get_content
from .forms import ConfirmForm, ExtensionForm, ImportForm
from .store import get_store

la = Blueprint("la", __name__, url_prefix="/la")

IMPORTS = "school_imports"


@la.route("/schools/import", methods=["GET", "POST"])
@la_only("admin")
def import_schools() -> str | tuple[str, int]:
    form = ImportForm()
    if form.validate_on_submit():
        upload = request.files.get("schools_file")
        raw = upload.read(schools.MAX_FILE_BYTES + 1) if upload else b""
        frameworks = set(get_content().framework_ids())
        preview = schools.read_gias_csv(raw, frameworks)
        if preview.file_error:
            form.schools_file.errors = [preview.file_error]
            return render_template("la/import.html", form=form), 400
        store = get_store()
        import_id = secrets.token_hex(16)
        store.write(IMPORTS, import_id, {"by": g.user.id, "schools": preview.schools})
        return render_template(
            "la/import_preview.html",
            preview=preview,
            groups=schools.classify(store, preview.schools),
            import_id=import_id,
            form=ConfirmForm(),
        )
    if form.is_submitted():
        form.schools_file.errors = ["Choose the CSV file to import"]
        return render_template("la/import.html", form=form), 400
    return render_template("la/import.html", form=form)


@la.post("/schools/import/<import_id>")
@la_only("admin")
def confirm_import(import_id: str) -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    store = get_store()
    pending = store.read(IMPORTS, import_id) if len(import_id) == 32 and import_id.isalnum() else None
    if pending is None or pending["by"] != g.user.id:
        abort(404)
    with store.transaction():  # the schools, the finished import and the audit entry: all or nothing
        counts = schools.apply_import(store, pending["schools"])
        store.delete(IMPORTS, import_id)
        audit.record(store, g.user.id, "imported schools", "school list", client_address(), **counts)
    flash(
        f"Import complete: {counts['new']} schools added, {counts['changed']} updated, "
        f"{counts['unchanged']} unchanged.",
        "success",
    )
    return redirect(url_for("programme.dashboard"))


@la.get("/audit")
@la_only("admin")
def audit_log() -> str:
    store = get_store()
    entries = audit.recent(store, days=30, limit=500)
    names = {}
    for entry in entries:
        for user_id in (entry["actor"], entry["target"]):
            if user_id not in names and (user := accounts.get_user(store, user_id)):
                names[user_id] = user.name
    return render_template("la/audit.html", entries=entries, names=names)


@la.route("/schools/<urn>/extension", methods=["GET", "POST"])
@la_only("reviewer", "admin")
def extension(urn: str) -> str | Response | tuple[str, int]:
    """Give one school more time: its self-evaluation can be changed and submitted until the new date."""
    store, content = get_store(), get_content()
    school = accounts.get_school(store, urn)
    if school is None:
        abort(404)
    cycle = self_evaluation.current_cycle(content, today())
    form = ExtensionForm()
    if form.validate_on_submit():
        try:
            new_date = date(int(form.year.data), int(form.month.data), int(form.day.data))
        except ValueError:
            form.day.errors = [*form.day.errors, "The new deadline must be a real date, for example 14 10 2027"]
        else:
            until = datetime(new_date.year, new_date.month, new_date.day, 23, 59, tzinfo=LONDON)
            if until <= cycle.submission_deadline:
                form.day.errors = [*form.day.errors, "The new deadline must be after the usual deadline"]
            else:
                with store.transaction():  # the extension and its audit entry: both or neither
                    self_evaluation.start(store, content, school, cycle)
                    self_evaluation.grant_extension(store, urn, cycle.id, until, form.reason.data, g.user.id)
                    audit.record(
                        store,
                        g.user.id,
                        "granted an extension",
                        f"school {urn}",
                        client_address(),
                        until=until.isoformat(),
                        reason=form.reason.data,
                    )
                flash(
                    f"{school['name']} can now submit until 11:59pm on {new_date:%A} {new_date.day} {new_date:%B %Y}.",
                    "success",
                )
                return redirect(url_for("home.school", urn=urn))
    status = 400 if form.is_submitted() else 200
    return render_template("la/extension.html", form=form, school=school, cycle=cycle), status
