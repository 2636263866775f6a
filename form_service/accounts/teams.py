"""Schools' teams: who is a member of a school, in which role, and the requests waiting to join.

A school's own document (collection `schools`, from the LA's import) is the authority on its members and its
waiting requests; each change to it is one `store.modify`, so a school is never left without a lead (admin),
even when two people change its team at once. The person's list of schools is kept beside it as a shortcut.
"""

from __future__ import annotations

from typing import Any, Literal

from ..store import Store
from .people import EMAIL_INDEX, USERS, AccountError, User, _change_user, get_user, now_utc

SchoolRole = Literal["admin", "contributor", "viewer"]

SCHOOL_ROLES: dict[str, str] = {
    "admin": "School lead (admin): manages the team, edits and submits",
    "contributor": "Contributor: edits answers (for example a departmental lead)",
    "viewer": "Viewer: reads only (for example a governor or senior leader)",
}
SCHOOL_ROLE_NAMES = {"admin": "School lead (admin)", "contributor": "Contributor", "viewer": "Viewer"}

SCHOOLS = "schools"


class AlreadyMember(AccountError):
    """Adding someone who is already in the school's team: their role is changed only by changing it on purpose."""

    def __init__(self, role: SchoolRole) -> None:
        super().__init__(f"Already in the team, as {SCHOOL_ROLE_NAMES[role].lower()}.")
        self.role = role


class RequestGone(AccountError):
    """Approving a request that is no longer waiting (someone else approved or declined it first)."""


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


def pending_requests(store: Store, urn: str) -> list[tuple[User, dict]]:
    school = get_school(store, urn) or {}
    found = []
    for user_id, request in school.get("pending", {}).items():
        user = get_user(store, user_id)
        if user and not user.removed:
            found.append((user, request))
    return sorted(found, key=lambda pair: pair[1]["requested_at"])


# Leaving the service: out of every team first, so no school is left without a lead --------------------


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
