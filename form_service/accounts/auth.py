"""Who is signed in, and what they may do. Every view states its rule; the rule is checked on the server.

Every area's views take their rules from here (`signed_in`, `la_only`, `school_member`). It reads people, their
sessions and schools' teams, so it lives beside them in `accounts` rather than in the core, which stands on
nothing outside itself. Also here: where someone goes once signed in (`home_for`, `safe_next`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError

from quality_mark.model import LONDON
from quality_mark.wording import clock_time

from .. import accounts
from ..core import clock, kept_text
from ..core.errors import error_response, wants_json
from ..store import get_store
from .people import User

F = TypeVar("F", bound=Callable[..., Any])
MAX_URN = 20  # characters: URNs are six or seven digits; anything much longer is not one


SIGNED_OUT_FOR_IDLING = "You were signed out because you had not done anything for a while. Sign in again."
SIGNED_OUT_ELSEWHERE = "You have been signed out. Sign in again."
KEPT_WHILE_SIGNED_OUT = (
    "We kept what you typed. Sign in again and it will be back on the page for you to check and save."
)


def client_address() -> str:
    return request.remote_addr or "unknown"


def _empty_session() -> None:
    """Empty the session, keeping only the text kept from refused posts (it outlives signing out and in)."""
    kept = session.get(kept_text.SESSION_KEY)
    session.clear()
    if kept:
        session[kept_text.SESSION_KEY] = kept


def _renew() -> None:
    session["last_seen"] = int(clock.seconds())


def signed_out_at() -> datetime | None:
    """When the signed-in person will be signed out if nothing reaches the service before then (UK time)."""
    if g.get("user") is None or "last_seen" not in session:
        return None
    ends = session["last_seen"] + current_app.config["SESSION_IDLE_MINUTES"] * 60
    return datetime.fromtimestamp(ends, LONDON)


def start_session(user: User) -> None:
    """A new session (never the one from before sign-in), recorded on the server so it can be ended."""
    _empty_session()
    session_id = secrets.token_urlsafe(24)
    user = accounts.add_session(get_store(), user.id, session_id)
    session["user_id"] = user.id
    session["session_id"] = session_id
    session["session_version"] = user.session_version
    _renew()
    session.permanent = False


def end_session() -> None:
    """Sign out: the server forgets this session, so a copied cookie no longer works."""
    if session.get("user_id") and session.get("session_id"):
        accounts.end_session(get_store(), session["user_id"], session["session_id"])
    _empty_session()


def load_user() -> None:
    """Who is signed in (`g.user`), renewing their session; an ended or idle session is emptied, and whose it
    was is noted in `g.signed_out_user_id` (so text they had typed can be kept for them)."""
    g.user = None
    user_id = session.get("user_id")
    if not user_id:
        return
    user = accounts.get_user(get_store(), user_id)
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if (
        user is None
        or user.removed
        or user.session_version != session.get("session_version")
        or session.get("session_id") not in user.session_ids
    ):
        _empty_session()
        g.signed_out_user_id = user_id
        if user is not None and not user.removed:
            flash(SIGNED_OUT_ELSEWHERE, "info")
        return
    if clock.seconds() - session.get("last_seen", 0) > idle_limit:
        _empty_session()
        g.signed_out_user_id = user_id
        flash(SIGNED_OUT_FOR_IDLING, "info")
        return
    _renew()
    g.user = user


def keep_refused_post(reason: str) -> Any | None:
    """When the refused post carries typed text (see kept_text), keep it and answer with where to go next:
    back to the page if the person is still signed in, else to sign in and then back to the page."""
    if "user" not in g:
        load_user()  # a CSRF failure is found before the session is looked at
    user_id = g.user.id if g.user is not None else g.get("signed_out_user_id")
    page = kept_text.keep(user_id, reason)
    if page is None:
        return None
    g.post_refused = True
    if g.user is not None:
        return redirect(page, 303)  # the page says what was kept, and why
    flash(KEPT_WHILE_SIGNED_OUT, "info")
    session["after_sign_in"] = page  # as the sign-in page does with `next`: back to the page once signed in
    return redirect(url_for("accounts.sign_in", next=page), 303)


def init_app(app: Flask) -> None:
    app.before_request(load_user)
    kept_text.init_app(app)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> Response | tuple[Response | str, int]:
        if "user" not in g:
            load_user()  # the CSRF check runs before the session is looked at
        if request.blueprint == "api" and g.user is None:
            # No session, so no token could be right: the API says so, as it does to any call signed out.
            return error_response(401)
        # A form of typed text, sent from one of our pages: keep the text and show it again, never lose it.
        if request.method == "POST" and not wants_json() and kept_text.sent_from_here():
            kept = keep_refused_post("expired_page")
            if kept is not None:
                return kept
        return error_response(
            400, "Your session has expired or the form was sent from elsewhere. Reload the page and try again."
        )

    @app.context_processor
    def session_times() -> dict[str, Any]:
        """For pages: when the person will be signed out ('3:42pm', UK time), and the app clock's now, in
        milliseconds, for service.js to keep that time right as the session is renewed."""
        ends = signed_out_at()
        return {"signed_out_at": clock_time(ends) if ends else None, "clock_now_ms": int(clock.seconds() * 1000)}


def this_address() -> str:
    """Where this request went, from the origin's root: with the mount point (/app) and the query, if any."""
    query = request.query_string.decode("utf-8", "replace")
    return request.script_root + request.path + (f"?{query}" if query else "")


def home_for(user: accounts.User) -> str:
    """Where a person goes once signed in: LA staff to the dashboard of every school, others to their schools."""
    return url_for("programme.dashboard") if user.is_la else url_for("home.my_schools")


def safe_next(target: str | None) -> str | None:
    """Only a path on this service, from the origin's root and so under its mount point (/app/): never
    another host (no open redirect), nor a page of the site beside the service."""
    if not target:
        return None
    parts = urlsplit(target)
    # Browsers read "/\host" as "//host", another site: refuse backslashes and control characters too.
    if parts.scheme or parts.netloc or not target.startswith(request.script_root + "/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(character) < 32 for character in target) or len(target) > 500:
        return None
    return target


def signed_in(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            if request.blueprint == "api":
                abort(401)  # the API answers in JSON; a redirect to a sign-in page means nothing to a script
            if request.method == "POST" and (kept := keep_refused_post("signed_out")) is not None:
                return kept
            return redirect(url_for("accounts.sign_in", next=this_address() if request.method == "GET" else None))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def la_only(*roles: str) -> Callable[[F], F]:
    """Only LA staff with one of `roles` ('reviewer', 'admin'); anyone else gets 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        @signed_in
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.user.la_role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def school_member(roles: tuple[str, ...], la_roles: tuple[str, ...]) -> Callable[[F], F]:
    """Members of the school named by the `urn` in the URL with one of `roles`, or LA staff with `la_roles`."""

    def decorate(view: F) -> F:
        @wraps(view)
        @signed_in
        def wrapper(*args: Any, urn: str, **kwargs: Any) -> Any:
            store = get_store()
            # No URN is this long; the store refuses keys over 200 characters, which would be a server error.
            school = accounts.get_school(store, urn) if len(urn) <= MAX_URN else None
            if school is None:
                abort(404)
            role = accounts.school_role(store, urn, g.user.id)
            if role in roles or g.user.la_role in la_roles:
                g.school, g.school_role = school, role
                return view(*args, urn=urn, **kwargs)
            abort(403 if role or g.user.is_la else 404)

        return wrapper  # type: ignore[return-value]

    return decorate


def can_manage_team() -> bool:
    """Whether the person may change the team of the school in the URL (after `school_member`): its admins, and
    LA admins (LA reviewers may look, not change)."""
    return g.school_role == "admin" or g.user.la_role == "admin"
