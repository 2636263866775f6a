"""The school's evidence checklist: notes and files against each checklist item, for the current cycle.

Works without JavaScript: every form is an ordinary POST (the upload is multipart), answered by a
redirect back to the item, or by the page again with the problem explained.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from quality_mark.model import LONDON, Cycle, EvidenceItem
from quality_mark.personal_data import describe as describe_personal_data
from quality_mark.site_pages import NO_PUPIL_NAMES
from quality_mark.wording import clock_time, short_date

from .. import accounts, self_evaluation
from ..accounts.auth import client_address, school_member
from ..core import audit, kept_text
from ..core.clock import today
from ..core.content import get_content
from ..core.errors import error_response
from ..forms import ConfirmForm
from ..store import get_store
from . import (
    LOCKED_MESSAGE,
    NOTES_LIMIT,
    EvidenceLocked,
    Limits,
    UploadRefused,
    content_disposition,
    delete_file,
    download_name,
    file_bytes,
    find_file,
    item_record,
    load,
    locked,
    receive,
    refuse_early,
    save_notes,
    size_text,
    store_received,
    used_bytes,
)
from .file_types import ALLOWED_TYPES_TEXT, FILE_TYPES

blueprint = Blueprint("evidence", __name__, url_prefix="/school/<urn>", template_folder="templates")

READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}
EDIT = {"roles": ("admin", "contributor"), "la_roles": ()}


def _cycle() -> Cycle:
    return self_evaluation.current_cycle(get_content(), today())


def _limits() -> Limits:
    return Limits(current_app.config["UPLOAD_MAX_BYTES"], current_app.config["UPLOAD_SCHOOL_MAX_BYTES"])


def _item_or_404(item_id: str) -> EvidenceItem:
    try:
        return get_content().evidence_item(item_id)
    except KeyError:
        abort(404)


def _newest_first() -> list[str]:
    cycles = sorted(get_content().key_dates.cycles, key=lambda cycle: cycle.registration_opens, reverse=True)
    return [cycle.id for cycle in cycles]


def _other_cycles_bytes(urn: str, cycle_id: str) -> int:
    store = get_store()
    return sum(used_bytes(load(store, urn, other)) for other in _newest_first() if other != cycle_id)


def _locked_response() -> tuple[Response | str, int]:
    return error_response(403, LOCKED_MESSAGE)


@blueprint.errorhandler(413)
def too_large(error: Exception) -> tuple[Response | str, int]:
    limit = size_text(current_app.config["UPLOAD_MAX_BYTES"])
    return error_response(
        413, f"The file is too large: each file must be smaller than {limit}. Go back and choose another."
    )


def _checklist_page(urn: str, item_id: str) -> str:
    return url_for("evidence.checklist", urn=urn)


@blueprint.get("/evidence")
@school_member(**READ)
def checklist(urn: str) -> str:
    # Notes typed when the post was refused (signed out, page expired) go back in their boxes, unsaved; a file
    # chosen then cannot be kept, and the page says which to choose again.
    kept = kept_text.restore(["evidence.notes", "evidence.upload"]) if g.school_role in EDIT["roles"] else []
    typed = {entry.view_args["item_id"]: entry.fields.get("notes", "") for entry in kept if "notes" in entry.fields}
    return _render(urn, posted_notes=typed)


@blueprint.post("/evidence/<item_id>/notes")
@kept_text.keeps_typed_text(_checklist_page)
@school_member(**EDIT)
def notes(urn: str, item_id: str) -> Response | str | tuple[Response | str, int]:
    item = _item_or_404(item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    text = request.form.get("notes", "")
    try:
        result = save_notes(
            get_store(),
            urn,
            _cycle().id,
            item.id,
            text,
            g.user.id,
            allow_personal_data=request.form.get("action") == "save-anyway",
            today=today(),
        )
    except EvidenceLocked:
        return _locked_response()
    if result.status in ("too_long", "not_text"):
        problem = result.problem or f"Notes must be {NOTES_LIMIT:,} characters or fewer"
        return _render(urn, notes_errors={item.id: problem}, posted_notes={item.id: text}), 400
    if result.status == "personal_data":
        warning = describe_personal_data(result.personal_data)
        return _render(urn, notes_warnings={item.id: warning}, posted_notes={item.id: text}), 400
    if result.status == "saved":
        flash(f"{item.title}: your notes are saved.", "success")
    return redirect(url_for("evidence.checklist", urn=urn, _anchor=item.id))


@blueprint.post("/evidence/<item_id>/files")
@kept_text.keeps_typed_text(_checklist_page)
@school_member(**EDIT)
def upload(urn: str, item_id: str) -> Response | str | tuple[Response | str, int]:
    item = _item_or_404(item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    cycle_id = _cycle().id
    chosen = request.files.get("file")
    filename = chosen.filename if chosen else None
    store = get_store()
    try:
        refuse_early(store, urn, cycle_id, filename)
        # Read and checked before the transaction, so other saves never wait for an upload to be read.
        received = receive(chosen.stream if chosen else io.BytesIO(), filename, _limits())
        other_cycles_bytes = _other_cycles_bytes(urn, cycle_id)
        with store.transaction():  # the file, its metadata and the audit entry: all or nothing
            entry = store_received(
                store, urn, cycle_id, item.id, received, g.user.id, _limits(), other_cycles_bytes=other_cycles_bytes
            )
            audit.record(
                store,
                g.user.id,
                "uploaded evidence",
                f"school {urn}",
                client_address(),
                school=urn,
                item=item.id,
                file=entry["id"],
                type=entry["type"],
                size=entry["size"],
            )
    except EvidenceLocked:
        return _locked_response()
    except UploadRefused as refused:
        return _render(urn, upload_errors={item.id: str(refused)}), 400
    flash(f"{item.title}: {entry['name']} has been added.", "success")
    return redirect(url_for("evidence.checklist", urn=urn, _anchor=item.id))


@blueprint.get("/evidence/files/<file_id>")
@school_member(**READ)
def download(urn: str, file_id: str) -> Response:
    found = find_file(get_store(), urn, _newest_first(), file_id)
    if found is None:
        abort(404)
    entry = found[2]
    data = file_bytes(get_store(), urn, entry)
    if data is None:
        abort(404)
    file_type = FILE_TYPES[entry["type"]]
    response = send_file(
        io.BytesIO(data),
        mimetype=file_type.mimetype,
        conditional=False,
        etag=False,
        max_age=0,
        last_modified=datetime.fromisoformat(entry["uploaded_at"]),
    )
    response.headers["Content-Disposition"] = content_disposition(download_name(entry["name"], file_type))
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Should a browser ever show the file rather than save it, it runs nothing and reaches nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@blueprint.route("/evidence/files/<file_id>/delete", methods=["GET", "POST"])
@school_member(**EDIT)
def delete(urn: str, file_id: str) -> Response | str | tuple[Response | str, int]:
    store = get_store()
    cycle_id = _cycle().id
    found = find_file(store, urn, [cycle_id], file_id)
    if found is None:
        abort(404)
    _, item_id, entry = found
    if locked(store, urn, cycle_id):
        return _locked_response()
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            with store.transaction():  # the file, its metadata and the audit entry: all or nothing
                removed = delete_file(store, urn, cycle_id, file_id)
                if removed is not None:
                    audit.record(
                        store,
                        g.user.id,
                        "deleted evidence",
                        f"school {urn}",
                        client_address(),
                        school=urn,
                        item=item_id,
                        file=file_id,
                    )
        except EvidenceLocked:
            return _locked_response()
        if removed is None:
            abort(404)
        flash(f"{entry['name']} has been deleted.", "success")
        return redirect(url_for("evidence.checklist", urn=urn, _anchor=item_id))
    return render_template(
        "evidence/delete.html",
        school=g.school,
        entry=entry,
        item_id=item_id,
        item_title=_item_title(item_id),
        form=form,
    )


def _item_title(item_id: str) -> str:
    try:
        return get_content().evidence_item(item_id).title
    except KeyError:
        return item_id.replace("-", " ").capitalize()


def _london(moment: str) -> str:
    local = datetime.fromisoformat(moment).astimezone(LONDON)
    return f"{short_date(local.date())} at {clock_time(local)}"


def _render(
    urn: str,
    *,
    notes_errors: dict[str, str] | None = None,
    notes_warnings: dict[str, str] | None = None,
    upload_errors: dict[str, str] | None = None,
    posted_notes: dict[str, str] | None = None,
) -> str:
    """The checklist page; the dicts hold, by item id, a problem to show and what the person typed."""
    notes_errors, notes_warnings = notes_errors or {}, notes_warnings or {}
    upload_errors, posted_notes = upload_errors or {}, posted_notes or {}
    store, content, cycle = get_store(), get_content(), _cycle()
    document = load(store, urn, cycle.id)
    is_locked = locked(store, urn, cycle.id)
    names: dict[str, str] = {}

    def person(user_id: str) -> str:
        if user_id not in names:
            user = accounts.get_user(store, user_id)
            names[user_id] = user.name if user else "A former team member"
        return names[user_id]

    def files(record: dict[str, Any]) -> list[dict[str, str]]:
        return [
            {
                "id": entry["id"],
                "name": entry["name"],
                "kind": f"{FILE_TYPES[entry['type']].label}, {size_text(entry['size'])}",
                "added": f"{person(entry['uploaded_by'])}, {_london(entry['uploaded_at'])}",
            }
            for entry in record["files"]
        ]

    rows = []
    for item in content.evidence_checklist:
        record = item_record(document, item.id)
        rows.append(
            {
                "item": item,
                "notes": record["notes"],
                "shown_notes": posted_notes.get(item.id, record["notes"]),
                "files": files(record),
                "notes_error": notes_errors.get(item.id),
                "notes_warning": notes_warnings.get(item.id),
                "upload_error": upload_errors.get(item.id),
            }
        )
    # Evidence given against an item the LA has since taken off the checklist is still shown, never lost.
    checklist_ids = {item.id for item in content.evidence_checklist}
    retired = [
        {"id": item_id, "title": _item_title(item_id), "notes": record.get("notes", ""), "files": files(record)}
        for item_id, record in (document or {}).get("items", {}).items()
        if item_id not in checklist_ids and (record.get("files") or record.get("notes"))
    ]
    error_links = [(f"{item_id}-file", message) for item_id, message in upload_errors.items()]
    error_links += [(f"{item_id}-notes", message) for item_id, message in {**notes_errors, **notes_warnings}.items()]
    limits = _limits()
    used = used_bytes(document) + _other_cycles_bytes(urn, cycle.id)
    return render_template(
        "evidence/checklist.html",
        school=g.school,
        cycle=cycle,
        rows=rows,
        retired=retired,
        locked=is_locked,
        can_edit=g.school_role in EDIT["roles"] and not is_locked,
        error_links=error_links,
        allowed_types=ALLOWED_TYPES_TEXT,
        file_limit=size_text(limits.file_bytes),
        school_limit=size_text(limits.school_bytes),
        used=size_text(used),
        notes_limit=f"{NOTES_LIMIT:,}",
        no_pupil_names=NO_PUPIL_NAMES,
        form=ConfirmForm(),
    )
