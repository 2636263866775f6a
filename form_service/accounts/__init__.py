"""People and their roles: school admins, contributors and viewers; LA reviewers and admins; signing in.

Who may do what is decided here, in plain functions, and checked on the server for every request.
A school's own document is the authority on its members; a user's list of schools is only a shortcut.

* `people.py`: accounts, LA roles and signed-in sessions;
* `teams.py`: each school's team, the requests waiting to join it, and removing an account;
* `sign_in.py`: single-use sign-in links, and the rate limits that sign-in and registration count attempts in;
* `auth.py`: who is signed in for this request, their session, and the rule each view states (`signed_in`,
  `la_only`, `school_member`);
* `views.py`: the pages (blueprint `accounts`): signing in and out, keeping a session alive, discarding text kept
  from a refused post, and the school's team under /school/<urn>/team (invite, change role, remove, hand over,
  approve or decline a request), their templates under `templates/accounts/`.

The functions of `people.py` and `teams.py` are all here, as `accounts.get_user`, `accounts.team` and so on, so
their callers need not know which of the two holds which.
"""

from __future__ import annotations

from .people import (
    EMAIL_INDEX,
    LA_ROLE_NAMES,
    MAX_SESSIONS,
    USERS,
    AccountError,
    LARole,
    User,
    add_session,
    end_all_sessions,
    end_session,
    ensure_user,
    find_user_by_email,
    get_user,
    la_admins,
    normalise_email,
    now_utc,
    set_la_role,
)
from .teams import (
    SCHOOL_ROLE_NAMES,
    SCHOOL_ROLES,
    SCHOOLS,
    AlreadyMember,
    RequestGone,
    SchoolRole,
    add_member,
    approval_role,
    approve_request,
    claim_lead,
    decline_request,
    get_school,
    hand_over_admin,
    has_lead,
    join,
    pending_requests,
    remove_account,
    remove_member,
    request_membership,
    school_role,
    school_urns_of,
    team,
)

__all__ = [
    "EMAIL_INDEX",
    "LA_ROLE_NAMES",
    "MAX_SESSIONS",
    "SCHOOLS",
    "SCHOOL_ROLES",
    "SCHOOL_ROLE_NAMES",
    "USERS",
    "AccountError",
    "AlreadyMember",
    "LARole",
    "RequestGone",
    "SchoolRole",
    "User",
    "add_member",
    "add_session",
    "approval_role",
    "approve_request",
    "claim_lead",
    "decline_request",
    "end_all_sessions",
    "end_session",
    "ensure_user",
    "find_user_by_email",
    "get_school",
    "get_user",
    "hand_over_admin",
    "has_lead",
    "join",
    "la_admins",
    "normalise_email",
    "now_utc",
    "pending_requests",
    "remove_account",
    "remove_member",
    "request_membership",
    "school_role",
    "school_urns_of",
    "set_la_role",
    "team",
]
