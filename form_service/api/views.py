"""The JSON API's endpoints (blueprint `api`, under /app/api/): the self-evaluation's answers, saved one criterion
at a time.

Every write carries the CSRF token in the X-CSRFToken header and the revision it was based on. Answers
are checked with the JSON Schema generated from the same YAML as the form and the public site.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_wtf.csrf import generate_csrf

from quality_mark.personal_data import describe as describe_personal_data

from .. import self_evaluation
from ..accounts.auth import school_member
from ..core.clock import today
from ..core.content import get_content
from ..store import get_store
from .openapi import openapi_document

blueprint = Blueprint("api", __name__, url_prefix="/api")

READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}
EDIT = {"roles": ("admin", "contributor"), "la_roles": ()}
ANSWER_KEYS = {"rating", "commentary", "evidence", "base_revision", "confirm_personal_data"}
MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 8  # an answer nests two deep (an object holding a list of text)
TOO_DEEP = "The request nests lists or objects too deeply. Send one JSON object, as the API description shows."


def problem(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=message, status=status, **extra), status


def unknown_fields_message(unknown: list[str], shown: int = 3, longest: int = 40) -> str:
    """Names the first few unknown fields, each cut short: an error never repeats a large body back."""
    names = [name if len(name) <= longest else name[: longest - 1] + "…" for name in unknown[:shown]]
    more = f" and {len(unknown) - shown:,} more" if len(unknown) > shown else ""
    label = "Unknown field" if len(unknown) == 1 else "Unknown fields"
    return f"{label}: {', '.join(names)}{more}. Send rating, commentary, evidence and base_revision."


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (text or a number is 0), without recursion."""
    deepest, waiting = 0, [(value, 0)]
    while waiting:
        item, depth = waiting.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            waiting.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _json_object(too_large: str, not_an_object: str) -> dict[str, Any] | tuple[Response, int]:
    """The request's body as a JSON object, or the problem to answer with: too large, not a JSON object, or
    nested more deeply than any answer is (Python's parser gives up past about a thousand levels)."""
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        return problem(413, too_large)
    if not request.is_json:
        return problem(400, not_an_object)
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:  # sent without a Content-Length
        return problem(413, too_large)
    try:
        body = json.loads(raw)
    except RecursionError:
        return problem(400, TOO_DEEP)
    except ValueError:  # not JSON, or not UTF-8
        return problem(400, not_an_object)
    if _depth(body) > MAX_DEPTH:
        return problem(400, TOO_DEEP)
    return body if isinstance(body, dict) else problem(400, not_an_object)


def _base_revision(body: dict[str, Any]) -> int | None:
    """The body's base_revision if it is a whole number of 0 or more, else None. True and false are not numbers;
    470.0 is 470 (JSON, and JSON Schema's "integer", do not tell them apart)."""
    value = body.get("base_revision")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _public_answer(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {name: answer.get(name) for name in ("rating", "commentary", "evidence", "revision", "updated_at")}


@blueprint.get("/schools/<urn>/self-evaluation")
@school_member(**READ)
def read_self_evaluation(urn: str) -> Response | tuple[Response, int]:
    cycle = self_evaluation.current_cycle(get_content(), today())
    document = self_evaluation.load(get_store(), urn, cycle.id)
    if document is None:
        return problem(404, "This school has not started its self-evaluation for this cycle.")
    return jsonify(
        urn=urn,
        cycle=cycle.id,
        framework=document["framework"],
        framework_version=document["framework_version"],
        content_hash=document["content_hash"],
        status=document["status"],
        answers={cid: _public_answer(answer) for cid, answer in document["answers"].items()},
        flags={cid: {"kind": flag.get("kind")} for cid, flag in (document.get("flags") or {}).items()},
    )


@blueprint.post("/schools/<urn>/self-evaluation/answers/<criterion_id>/confirm")
@school_member(**EDIT)
def confirm_answer(urn: str, criterion_id: str) -> Response | tuple[Response, int]:
    """ "This is still right": clear a flagged criterion's flag without changing its answer."""
    not_an_object = "Send a JSON object with base_revision: the revision of the answer you are confirming."
    body = _json_object("The request is too large.", not_an_object)
    if isinstance(body, tuple):
        return body
    if set(body) - {"base_revision"}:
        return problem(400, not_an_object)
    base_revision = _base_revision(body)
    if base_revision is None:
        return problem(400, "Send base_revision: the revision of the answer you are confirming (0 for none).")
    cycle = self_evaluation.current_cycle(get_content(), today())
    status, message = self_evaluation.confirm_answer(
        get_store(), get_content(), cycle, urn, criterion_id, base_revision, g.user.id
    )
    if status == "confirmed":
        return jsonify(status="confirmed")
    code = {"unknown_criterion": 404, "not_started": 404, "locked": 403, "conflict": 409, "not_flagged": 409}[status]
    return problem(code, (message or "Not confirmed") + ".")


@blueprint.put("/schools/<urn>/self-evaluation/answers/<criterion_id>")
@school_member(**EDIT)
def save_answer(urn: str, criterion_id: str) -> Response | tuple[Response, int]:
    body = _json_object("The answer is too large to save.", "Send the answer as a JSON object.")
    if isinstance(body, tuple):
        return body
    unknown = sorted(set(body) - ANSWER_KEYS)
    if unknown:
        return problem(400, unknown_fields_message(unknown))
    base_revision = _base_revision(body)
    if base_revision is None:
        return problem(400, "Send base_revision: the revision of the answer you started from (0 for a new answer).")
    if not isinstance(body.get("confirm_personal_data", False), bool):
        return problem(400, "Send confirm_personal_data as true or false, or leave it out.")
    cycle = self_evaluation.current_cycle(get_content(), today())
    answer = {name: body[name] for name in ("rating", "commentary", "evidence") if name in body}
    answer.setdefault("commentary", "")
    answer.setdefault("evidence", [])
    result = self_evaluation.save_answer(
        get_store(),
        get_content(),
        cycle,
        urn,
        criterion_id,
        answer,
        base_revision,
        g.user.id,
        allow_personal_data=body.get("confirm_personal_data") is True,
        today=today(),
    )
    if result.status in ("saved", "unchanged"):
        return jsonify(status=result.status, answer=_public_answer(result.answer))
    if result.status == "conflict":
        return problem(
            409,
            "Someone else changed this answer after you opened it. Choose which version to keep.",
            current=_public_answer(result.answer),
        )
    if result.status in ("unknown_criterion", "not_started"):
        return problem(404, result.errors[0])
    if result.status == "locked":
        return problem(403, result.errors[0])
    if result.status == "personal_data":
        return problem(422, describe_personal_data(result.personal_data), personal_data=result.personal_data, errors=[])
    return problem(422, "The answer was not saved: " + "; ".join(result.errors) + ".", errors=result.errors)


@blueprint.get("/session")
def session_info() -> Response:
    """Whether this browser is signed in, and a CSRF token for its current session.

    After someone signs in again in another tab, the form's token belongs to the old session; autosave
    asks here for a new one instead of failing for ever. Only pages of this origin can read it."""
    return jsonify(signed_in=g.user is not None, csrf_token=generate_csrf() if g.user is not None else None)


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """An OpenAPI 3.1 description of this API (answers use the framework's own JSON Schema)."""
    return jsonify(openapi_document(get_content(), current_app.config["SESSION_COOKIE_NAME"]))
