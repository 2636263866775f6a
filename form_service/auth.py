"""Who is signed in, and what they may do. Every view states its rule; the rule is checked on the server."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for

from . import accounts, clock
from .accounts import User
from .store import get_store

F = TypeVar("F", bound=Callable[..., Any])
MAX_URN = 20  # characters: URNs are six or seven digits; anything much longer is not one


def client_address() -> str:
    return request.remote_addr or "unknown"


def start_session(user: User) -> None:
    """A new session (never the one from before sign-in), recorded on the server so it can be ended."""
    session.clear()
    session_id = secrets.token_urlsafe(24)
    user = accounts.add_session(get_store(), user.id, session_id)
    session["user_id"] = user.id
    session["session_id"] = session_id
    session["session_version"] = user.session_version
    session["last_seen"] = int(clock.seconds())
    session.permanent = False


def end_session() -> None:
    """Sign out: the server forgets this session, so a copied cookie no longer works."""
    if session.get("user_id") and session.get("session_id"):
        accounts.end_session(get_store(), session["user_id"], session["session_id"])
    session.clear()


def init_app(app: Flask) -> None:
    @app.before_request
    def load_user() -> None:
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
            session.clear()
            return
        if clock.seconds() - session.get("last_seen", 0) > idle_limit:
            session.clear()
            flash("You were signed out because you had not done anything for a while. Sign in again.", "info")
            return
        session["last_seen"] = int(clock.seconds())
        g.user = user


def this_address() -> str:
    """Where this request went, from the origin's root: with the mount point (/app) and the query, if any."""
    query = request.query_string.decode("utf-8", "replace")
    return request.script_root + request.path + (f"?{query}" if query else "")


def signed_in(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            if request.blueprint == "api":
                abort(401)  # the API answers in JSON; a redirect to a sign-in page means nothing to a script
            return redirect(url_for("public.sign_in", next=this_address() if request.method == "GET" else None))
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
