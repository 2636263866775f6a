"""Open data anyone may fetch without signing in: the register of schools holding the mark, as JSON and CSV.

`build.py site --register <service>/app/register.json` takes the register in, so the static site stays
static; `flask --app form_service export-register` writes the same JSON to a file.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request, session

from quality_mark.model import LONDON
from quality_mark.register import register_csv, register_json

from .. import accounts
from ..core import clock
from ..store import Store, get_store, replace_file
from ..workflow import AWARDS
from .entries import register_document

blueprint = Blueprint("register", __name__)


# Awards change a few times a year; five minutes of caching is harmless and spares the store.
CACHE_SECONDS = 300


def current_register(store: Store, now: datetime) -> dict[str, Any]:
    """The register as the store has it at `now`.

    Reads only the schools that have an awards document, so the cost follows the number of award holders,
    not the number of schools.
    """
    today = now.astimezone(LONDON).date()
    awards = dict(store.scan(AWARDS))
    schools = [school for urn in awards if (school := accounts.get_school(store, urn)) is not None]
    return register_document(schools, awards, today, now)


def _published(body: str, mimetype: str, register: dict[str, Any], filename: str) -> Response:
    # A response anyone may cache must never carry a session cookie; fetching open data is not activity
    # that keeps a signed-in session alive either.
    session.modified = False
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # Open data: any website may read it. Cached briefly by anyone (it holds nothing private); the ETag
    # follows the schools listed, not the time, so an unchanged register answers 304 Not Modified.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    listed = register_json({"schools": register["schools"]}).encode("utf-8", "surrogatepass")
    response.set_etag(hashlib.sha256(listed).hexdigest()[:32], weak=True)
    return response.make_conditional(request)


@blueprint.get("/register.json")
def register_as_json() -> Response:
    register = current_register(get_store(), clock.now_london())
    return _published(register_json(register), "application/json", register, "schools-holding-the-mark.json")


@blueprint.get("/register.csv")
def register_as_csv() -> Response:
    register = current_register(get_store(), clock.now_london())
    return _published(register_csv(register), "text/csv", register, "schools-holding-the-mark.csv")


def write_durably(path: Path, text: str) -> None:
    """Write `text` to `path` so that `path` is always either the old file or the whole new one."""
    replace_file(path, text.encode("utf-8"), mode=0o644)
