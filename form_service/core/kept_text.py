"""What a person typed into a form whose post was refused, kept so it comes back on the page: never thrown away.

A post is refused when the person is no longer signed in (idle too long, signed out everywhere, removed) or its
CSRF token no longer matches the session (the page was open while they signed out and in again). When the view
the form was posted to is marked with `keeps_typed_text`, the posted fields are kept here, in the store under a
random id that only this browser's session holds, for `KEEP_FOR`, and the person is sent to sign in (or straight
back to the page). When that person next opens the page, the page puts the kept text back into its fields and
says so at the top; nothing is saved until they press a save button, and every save still checks the revision
the text was based on, so kept text never silently overwrites a newer answer.

A refused CSRF check can also be a forged cross-site post: that is kept only when the browser says the form was
sent from this service (Origin, or Referer when there is no Origin), so no other site can plant text here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session
from werkzeug.datastructures import MultiDict

from ..store import expires, get_store
from . import clock

F = TypeVar("F", bound=Callable[..., Any])

COLLECTION = "kept_text"
SESSION_KEY = "kept_text"
KEEP_FOR = timedelta(days=7)
MAX_CHARACTERS = 200_000  # every field together: a heading page of long commentaries is well under this
MAX_FIELDS = 400
MAX_PER_SESSION = 10  # forms kept for one browser at once; the oldest goes first
# A post that reached its view with one of these answers was saved, or shown again with every word in place.
SHOWN_OR_SAVED = {200, 201, 204, 301, 302, 303, 307, 308, 400, 409, 422}

expires(COLLECTION, lambda record: datetime.fromisoformat(record["expires_at"]).timestamp())

REASONS = {
    "signed_out": "you had been signed out",
    "expired_page": "the page had expired",
}


@dataclass(frozen=True)
class Kept:
    """One refused post: where it was sent, the view's arguments, and the fields it carried."""

    id: str
    action: str
    endpoint: str
    view_args: dict[str, str]
    fields: MultiDict[str, str]
    files: tuple[str, ...]
    reason: str
    kept_at: datetime


def keeps_typed_text(page: Callable[..., str | None], whole_page: bool = False) -> Callable[[F], F]:
    """Mark a view whose form carries typed text. `page(**view_args)` is the address of the page that shows
    the form again (None when there is none). `whole_page`: the form holds every field of its page, so once it
    is posted any text kept for that page is out of date."""

    def decorate(view: F) -> F:
        view.kept_text_page = page  # type: ignore[attr-defined]
        view.kept_text_whole_page = whole_page  # type: ignore[attr-defined]
        return view

    return decorate


def _view() -> Any:
    return current_app.view_functions.get(request.endpoint or "")


def _page_of_post() -> str | None:
    page_of = getattr(_view(), "kept_text_page", None)
    if page_of is None or request.method != "POST":
        return None
    return page_of(**(request.view_args or {}))


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def sent_from_here() -> bool:
    """Whether the browser says this post was sent from a page of this service (not another site)."""
    said = request.headers.get("Origin") or ""
    if not said or said == "null":
        said = _origin_of(request.headers.get("Referer") or "")
    if not said or said == "://":
        return False
    ours = {_origin_of(request.host_url), _origin_of(current_app.config["SERVICE_URL"])}
    return said.lower().rstrip("/") in ours


def _posted_fields() -> list[tuple[str, str]] | None:
    """The posted fields worth keeping (not the CSRF token), or None when there are too many or they are too long."""
    fields = [(name, value) for name, values in request.form.lists() for value in values if name not in ("csrf_token",)]
    if len(fields) > MAX_FIELDS or sum(len(name) + len(value) for name, value in fields) > MAX_CHARACTERS:
        return None
    return fields


def _record_of(key: str) -> dict[str, Any] | None:
    record = get_store().read(COLLECTION, key)
    if record is None:
        return None
    if datetime.fromisoformat(record["expires_at"]) < clock.now():
        get_store().delete(COLLECTION, key)
        return None
    return record


def _held() -> list[str]:
    held = session.get(SESSION_KEY)
    return [key for key in held if isinstance(key, str)] if isinstance(held, list) else []


def _remove_expired() -> None:
    get_store().purge_expired(COLLECTION, clock.seconds())


def keep(user_id: str | None, reason: str) -> str | None:
    """Keep the fields of the current post, for `user_id` (None: whoever signs in next in this browser).

    Returns the address of the page to show them on, or None when this post is not one that is kept."""
    page = _page_of_post()
    fields = _posted_fields() if page else None
    if page is None or fields is None:
        return None
    store, now = get_store(), clock.now()
    _remove_expired()
    held = []
    for key in _held():
        record = _record_of(key)
        if record is not None and record["action"] == request.path:
            store.delete(COLLECTION, key)  # the same form posted again: this post is the newer text
        elif record is not None:
            held.append(key)
    key = secrets.token_urlsafe(24)
    store.write(
        COLLECTION,
        key,
        {
            "user_id": user_id,
            "page": page,
            "action": request.path,
            "endpoint": request.endpoint,
            "view_args": dict(request.view_args or {}),
            "fields": [list(pair) for pair in fields],
            "files": [file.filename for file in request.files.values() if file and file.filename][:10],
            "reason": reason,
            "kept_at": now.isoformat(timespec="seconds"),
            "expires_at": (now + KEEP_FOR).isoformat(timespec="seconds"),
        },
    )
    held.append(key)
    for dropped in held[:-MAX_PER_SESSION]:
        store.delete(COLLECTION, dropped)
    session[SESSION_KEY] = held[-MAX_PER_SESSION:]
    return page


def _kept(key: str, record: dict[str, Any]) -> Kept:
    return Kept(
        id=key,
        action=record["action"],
        endpoint=record["endpoint"],
        view_args=record["view_args"],
        fields=MultiDict([tuple(pair) for pair in record["fields"]]),
        files=tuple(record.get("files") or ()),
        reason=record["reason"],
        kept_at=datetime.fromisoformat(record["kept_at"]),
    )


def _current_page() -> str:
    return request.script_root + request.path


def _mine(record: dict[str, Any]) -> bool:
    user = g.get("user")
    return user is not None and record["user_id"] in (None, user.id)


def kept_for_page(page: str | None = None) -> list[Kept]:
    """What was kept for this page (the one being shown, unless named) for the person signed in, oldest first."""
    page = page or _current_page()
    found = []
    for key in _held():
        record = _record_of(key)
        if record is not None and record["page"] == page and _mine(record):
            found.append(_kept(key, record))
    return found


def restore(endpoints: Iterable[str], page: str | None = None) -> list[Kept]:
    """For the page being shown: the kept posts to `endpoints` to put back into its fields (oldest first).

    The page then says, at the top, that the text was kept and is not saved yet (see base.html)."""
    wanted = set(endpoints)
    found = [kept for kept in kept_for_page(page) if kept.endpoint in wanted]
    if found:
        g.kept_text = {
            "page": page or _current_page(),
            "reasons": sorted({REASONS[k.reason] for k in found}),
            "has_text": any(kept.fields for kept in found),
        }
        g.kept_files = [name for kept in found for name in kept.files]
    return found


def forget(page: str, action: str | None = None) -> None:
    """Forget what was kept for the person signed in for `page` (only what was posted to `action`, if given)."""
    store, held = get_store(), []
    for key in _held():
        record = _record_of(key)
        if record is None:
            continue
        if record["page"] == page and _mine(record) and action in (None, record["action"]):
            store.delete(COLLECTION, key)
        else:
            held.append(key)
    if held:
        session[SESSION_KEY] = held
    else:
        session.pop(SESSION_KEY, None)


def init_app(app: Flask) -> None:
    @app.after_request
    def forget_what_was_posted(response: Response) -> Response:
        """A form posted again, and saved or shown back with what was typed: what was kept for it is out of date."""
        if (
            request.method == "POST"
            and _held()
            and g.get("user") is not None
            and not g.get("post_refused")
            and response.status_code in SHOWN_OR_SAVED
        ):
            page = _page_of_post()
            if page is not None:
                whole = getattr(_view(), "kept_text_whole_page", False)
                forget(page, None if whole else request.path)
        return response
