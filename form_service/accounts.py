"""People and their roles: school admins, contributors and viewers; LA reviewers and admins.

Who may do what is decided here, in plain functions, and checked on the server for every request.
A school's own document is the authority on its members; a user's list of schools is only a shortcut.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from .core import clock
from .store import SQLStore, Store

SchoolRole = Literal["admin", "contributor", "viewer"]
LARole = Literal["reviewer", "admin"]

SCHOOL_ROLES: dict[str, str] = {
    "admin": "School lead (admin): manages the team, edits and submits",
    "contributor": "Contributor: edits answers (for example a departmental lead)",
    "viewer": "Viewer: reads only (for example a governor or senior leader)",
}
SCHOOL_ROLE_NAMES = {"admin": "School lead (admin)", "contributor": "Contributor", "viewer": "Viewer"}
LA_ROLE_NAMES = {"reviewer": "LA reviewer", "admin": "LA admin"}

USERS = "users"
EMAIL_INDEX = "user_by_email"
SCHOOLS = "schools"


class AccountError(Exception):
    """A change that would break a rule (for example leaving a school without an admin); the message says why."""


class AlreadyMember(AccountError):
    """Adding someone who is already in the school's team: their role is changed only by changing it on purpose."""

    def __init__(self, role: SchoolRole) -> None:
        super().__init__(f"Already in the team, as {SCHOOL_ROLE_NAMES[role].lower()}.")
        self.role = role


class RequestGone(AccountError):
    """Approving a request that is no longer waiting (someone else approved or declined it first)."""


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


def remove_account(store: Store, user_id: str) -> None:
    """Remove a user from every school, end their sessions and free their address, in one transaction (all of it
    or none, for example when they are the last lead of a school); the record stays for the audit trail."""

    def change(document: dict) -> None:
        document["removed_at"] = now_utc()
        document["session_version"] = document.get("session_version", 1) + 1
        document["sessions"] = {}

    def release(index: dict | None) -> tuple[dict | None, None]:
        return (None if index and index["user_id"] == user_id else index), None

    with store.transaction():
        user = get_user(store, user_id)
        if user is None:
            return
        for urn in school_urns_of(store, user_id):
            remove_member(store, urn, user_id)
        _change_user(store, user_id, change)
        store.modify(EMAIL_INDEX, user.email, release)


# Schools and their members ----------------------------------------------------------------------------


def get_school(store: Store, urn: str) -> dict[str, Any] | None:
    return store.read(SCHOOLS, urn)


def school_urns_of(store: Store, user_id: str) -> list[str]:
    """The schools where this user is a member, checked against each school's own list."""
    document = store.read(USERS, user_id) or {}
    urns = []
    for urn in document.get("schools", []):
        school = get_school(store, urn)
        if school and user_id in school.get("members", {}):
            urns.append(urn)
    return urns


def school_role(store: Store, urn: str, user_id: str) -> SchoolRole | None:
    school = get_school(store, urn)
    if not school:
        return None
    member = school.get("members", {}).get(user_id)
    return member["role"] if member else None


def _link_user_to_school(store: Store, user_id: str, urn: str, linked: bool) -> None:
    def change(document: dict) -> None:
        schools = [u for u in document.get("schools", []) if u != urn]
        document["schools"] = [*schools, urn] if linked else schools

    _change_user(store, user_id, change)


def _change_school(store: Store, urn: str, change: Any) -> Any:
    def apply(school: dict | None) -> tuple[dict, Any]:
        if school is None:
            raise AccountError("There is no school with that URN in the local authority's list.")
        result = change(school)
        return school, result

    return store.modify(SCHOOLS, urn, apply)


def _check_role(role: str) -> None:
    if role not in SCHOOL_ROLES:
        raise AccountError("Choose a role: school lead (admin), contributor or viewer.")


def _admit(school: dict, user_id: str, role: SchoolRole, added_by: str | None) -> None:
    """Make someone who is not in the team a member with `role`, and clear their request if they made one."""
    members = school.setdefault("members", {})
    if user_id in members:
        raise AlreadyMember(members[user_id]["role"])
    members[user_id] = {"role": role, "added_at": now_utc(), "added_by": added_by}
    school.setdefault("pending", {}).pop(user_id, None)


def add_member(store: Store, urn: str, user_id: str, role: SchoolRole, added_by: str | None) -> None:
    """Make the user a member with `role` (or change their role), and clear any pending request."""
    _check_role(role)

    def change(school: dict) -> None:
        members = school.setdefault("members", {})
        current = members.get(user_id)
        if current and current["role"] == "admin" and role != "admin" and _admin_count(school) == 1:
            raise AccountError("A school must always have a school lead (admin). Make someone else admin first.")
        members[user_id] = {"role": role, "added_at": now_utc(), "added_by": added_by}
        school.setdefault("pending", {}).pop(user_id, None)

    _change_school(store, urn, change)
    _link_user_to_school(store, user_id, urn, True)


def join(store: Store, urn: str, user_id: str, role: SchoolRole, added_by: str | None) -> None:
    """Add someone to the team with `role`. Raises AlreadyMember, changing nothing, if they are in it already:
    a member's role changes only when someone changes it on purpose (`add_member` from "Change role")."""
    _check_role(role)
    _change_school(store, urn, lambda school: _admit(school, user_id, role, added_by))
    _link_user_to_school(store, user_id, urn, True)


def has_lead(school: dict) -> bool:
    """True if the school has a school lead (admin) in its team."""
    return _admin_count(school) > 0


def claim_lead(store: Store, urn: str, user_id: str) -> bool:
    """Make the user the school's lead (admin) if, and only if, it has none yet; True if they now are.

    Checked and changed in one step, so two people registering at once cannot both become the first lead."""

    def change(school: dict) -> bool:
        if has_lead(school) or user_id in school.get("members", {}):
            return False
        _admit(school, user_id, "admin", added_by=None)
        return True

    claimed = _change_school(store, urn, change)
    if claimed:
        _link_user_to_school(store, user_id, urn, True)
    return claimed


def approval_role(school: dict) -> SchoolRole:
    """The role offered first when approving a request: lead of a school that has none, else contributor (a
    school's lead rarely wants a second lead, and can make someone lead later)."""
    return "contributor" if has_lead(school) else "admin"


def approve_request(store: Store, urn: str, user_id: str, role: SchoolRole, by: str) -> None:
    """Make someone whose request is waiting a member with `role`: the one rule, for school admins and the LA."""
    _check_role(role)

    def change(school: dict) -> None:
        if user_id not in school.get("pending", {}):
            raise RequestGone("This request has already been approved or declined.")
        _admit(school, user_id, role, added_by=by)

    _change_school(store, urn, change)
    _link_user_to_school(store, user_id, urn, True)


def remove_member(store: Store, urn: str, user_id: str) -> None:
    def change(school: dict) -> None:
        members = school.setdefault("members", {})
        member = members.get(user_id)
        if member and member["role"] == "admin" and _admin_count(school) == 1:
            raise AccountError("A school must always have a school lead (admin). Make someone else admin first.")
        members.pop(user_id, None)
        school.setdefault("pending", {}).pop(user_id, None)

    _change_school(store, urn, change)
    _link_user_to_school(store, user_id, urn, False)


def hand_over_admin(store: Store, urn: str, from_user_id: str, to_user_id: str, by: str) -> None:
    """Make `to_user_id` admin and `from_user_id` a contributor, in one change, so there is always an admin."""

    def change(school: dict) -> None:
        members = school.setdefault("members", {})
        if to_user_id == from_user_id:  # would make the only admin a contributor: a school with no admin
            raise AccountError("You are already the school lead (admin). Choose someone else in the team.")
        if to_user_id not in members:
            raise AccountError("You can only hand over to someone who is already in the school's team.")
        if members.get(from_user_id, {}).get("role") != "admin":
            raise AccountError("Only a school lead (admin) can hand over the admin role.")
        members[to_user_id] = {**members[to_user_id], "role": "admin", "added_by": by}
        members[from_user_id] = {**members[from_user_id], "role": "contributor", "added_by": by}

    _change_school(store, urn, change)


def request_membership(store: Store, urn: str, user_id: str, job_title: str) -> None:
    """Record a registration that needs approval by the LA or an existing school admin."""

    def change(school: dict) -> None:
        if user_id in school.get("members", {}):
            return
        school.setdefault("pending", {})[user_id] = {"requested_at": now_utc(), "job_title": job_title}

    _change_school(store, urn, change)


def decline_request(store: Store, urn: str, user_id: str) -> None:
    def change(school: dict) -> None:
        school.setdefault("pending", {}).pop(user_id, None)

    _change_school(store, urn, change)


def _admin_count(school: dict) -> int:
    return sum(1 for member in school.get("members", {}).values() if member["role"] == "admin")


def team(store: Store, urn: str) -> list[tuple[User, str]]:
    """(user, role) for every member of a school, admins first, then by name."""
    school = get_school(store, urn) or {}
    people = []
    for user_id, member in school.get("members", {}).items():
        user = get_user(store, user_id)
        if user and not user.removed:
            people.append((user, member["role"]))
    order = {"admin": 0, "contributor": 1, "viewer": 2}
    return sorted(people, key=lambda pair: (order[pair[1]], pair[0].name.lower()))


def la_admins(store: Store) -> list[User]:
    """Every LA admin, by name: the people told about registrations.

    Reads every account: a registration (rare, and rate-limited) is the only caller."""
    found = [User.from_document(document) for _, document in store.scan(USERS) if document.get("la_role") == "admin"]
    return sorted((user for user in found if not user.removed), key=lambda user: user.name.lower())


def pending_requests(store: Store, urn: str) -> list[tuple[User, dict]]:
    school = get_school(store, urn) or {}
    found = []
    for user_id, request in school.get("pending", {}).items():
        user = get_user(store, user_id)
        if user and not user.removed:
            found.append((user, request))
    return sorted(found, key=lambda pair: pair[1]["requested_at"])
