"""People: their accounts, LA roles and signed-in sessions.

A person's document (collection `users`) holds their details, their LA role if any, the schools they belong
to (a shortcut: each school's own document is the authority on its members, see `teams.py`) and the ids of
their signed-in sessions, so that signing out really ends a session. `user_by_email` finds a person by address.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from ..core import clock
from ..store import SQLStore, Store

LARole = Literal["reviewer", "admin"]
LA_ROLE_NAMES = {"reviewer": "LA reviewer", "admin": "LA admin"}

USERS = "users"
EMAIL_INDEX = "user_by_email"


class AccountError(Exception):
    """A change that would break a rule (for example leaving a school without an admin); the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def now_utc() -> str:
    return clock.timestamp()


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    job_title: str
    la_role: LARole | None
    session_version: int
    removed: bool
    session_ids: frozenset[str] = frozenset()

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> User:
        return cls(
            id=document["id"],
            email=document["email"],
            name=document["name"],
            job_title=document.get("job_title", ""),
            la_role=document.get("la_role"),
            session_version=document.get("session_version", 1),
            removed=bool(document.get("removed_at")),
            session_ids=frozenset(document.get("sessions", {})),
        )

    @property
    def is_la(self) -> bool:
        return self.la_role is not None


def get_user(store: Store, user_id: str) -> User | None:
    document = store.read(USERS, user_id)
    return User.from_document(document) if document else None


def find_user_by_email(store: Store, email: str) -> User | None:
    index = store.read(EMAIL_INDEX, normalise_email(email))
    if not index:
        return None
    user = get_user(store, index["user_id"])
    return user if user and not user.removed else None


def ensure_user(store: SQLStore, email: str, name: str, job_title: str = "", la_role: LARole | None = None) -> User:
    """The active user with this email, created if there is none. An existing user keeps their details.

    One transaction: the address's index row (`user_by_email`, keyed by the address) and the user document are
    stored together or not at all. Of two people creating an account for one address at once, the index row's
    primary key lets exactly one claim it; the other gets the winner's account, and no user document is ever
    made for the loser."""
    email = normalise_email(email)
    with store.transaction():
        existing = find_user_by_email(store, email)
        if existing:
            if la_role and existing.la_role != la_role:
                return set_la_role(store, existing.id, la_role)
            return existing
        if store.read(EMAIL_INDEX, email) is not None:
            store.delete(EMAIL_INDEX, email)  # left by an account that is gone: the address is free again
        user_id = uuid.uuid4().hex
        if not store.create(EMAIL_INDEX, email, {"user_id": user_id}):
            winner = find_user_by_email(store, email)  # claimed by another writer a moment ago
            if winner is None:
                raise AccountError("That email address is being registered at this moment. Try again.")
            return winner
        return _new_user(store, user_id, email, name, job_title, la_role)


def _new_user(store: Store, user_id: str, email: str, name: str, job_title: str, la_role: LARole | None) -> User:
    document = {
        "id": user_id,
        "email": email,
        "name": name.strip(),
        "job_title": job_title.strip(),
        "la_role": la_role,
        "schools": [],
        "session_version": 1,
        "created_at": now_utc(),
        "removed_at": None,
    }
    store.write(USERS, user_id, document)
    return User.from_document(document)


def _change_user(store: Store, user_id: str, change: Any) -> User:
    def apply(document: dict | None) -> tuple[dict, User]:
        if document is None:
            raise AccountError("That person no longer has an account.")
        change(document)
        return document, User.from_document(document)

    return store.modify(USERS, user_id, apply)


def set_la_role(store: Store, user_id: str, la_role: LARole | None) -> User:
    def change(document: dict) -> None:
        document["la_role"] = la_role
        document["session_version"] = document.get("session_version", 1) + 1
        document["sessions"] = {}

    return _change_user(store, user_id, change)


MAX_SESSIONS = 20  # per person: the oldest is dropped when a 21st device signs in


def add_session(store: Store, user_id: str, session_id: str) -> User:
    """Record a signed-in session on the server, so that signing out really ends it."""

    def change(document: dict) -> None:
        sessions = document.setdefault("sessions", {})
        sessions[session_id] = now_utc()
        for oldest in sorted(sessions, key=sessions.get)[:-MAX_SESSIONS]:
            del sessions[oldest]

    return _change_user(store, user_id, change)


def end_session(store: Store, user_id: str, session_id: str) -> None:
    """This session stops working, even if someone kept a copy of its cookie."""

    def change(document: dict) -> None:
        document.setdefault("sessions", {}).pop(session_id, None)

    _change_user(store, user_id, change)


def end_all_sessions(store: Store, user_id: str) -> User:
    """Every session of this user stops working at its next request."""

    def change(document: dict) -> None:
        document["session_version"] = document.get("session_version", 1) + 1
        document["sessions"] = {}

    return _change_user(store, user_id, change)


def la_admins(store: Store) -> list[User]:
    """Every LA admin, by name: the people told about registrations.

    Reads every account: a registration (rare, and rate-limited) is the only caller."""
    found = [User.from_document(document) for _, document in store.scan(USERS) if document.get("la_role") == "admin"]
    return sorted((user for user in found if not user.removed), key=lambda user: user.name.lower())
