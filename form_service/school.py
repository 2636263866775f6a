"""The school's side: its home page and its team (invite, change role, remove, hand over, approve)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for

from . import accounts
from .accounts import SCHOOL_ROLE_NAMES, AccountError
from .auth import client_address, school_member, signed_in
from .core import audit
from .core.links import service_link
from .core.outbox import send_email
from .forms import ConfirmForm, InviteForm, RoleForm
from .store import get_store

school = Blueprint("school", __name__, url_prefix="/school")

# Who may manage a school's team: its admins, and LA admins (LA reviewers may look, not change).
MANAGE = {"roles": ("admin",), "la_roles": ("admin",)}
READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}


@school.get("/")
@signed_in
def my_schools() -> str | Response:
    if g.user.is_la:
        return redirect(url_for("programme.dashboard"))
    store = get_store()
    schools = [accounts.get_school(store, urn) for urn in accounts.school_urns_of(store, g.user.id)]
    schools = [s for s in schools if s]
    if len(schools) == 1:
        return redirect(url_for("school.home", urn=schools[0]["urn"]))
    return render_template("school/my_schools.html", schools=schools)


@school.get("/<urn>/")
@school_member(**READ)
def home(urn: str) -> str:
    return render_template("school/home.html", school=g.school, role=g.school_role, can_manage=_can_manage())


def _can_manage() -> bool:
    return g.school_role == "admin" or g.user.la_role == "admin"


@school.get("/<urn>/team")
@school_member(**READ)
def team(urn: str) -> str:
    return _team_page(urn)


def _approval_form(person_id: str, school: dict, from_request: bool = False) -> RoleForm:
    """The role to give someone whose request is waiting, offered as radios beside their request on the team page.
    Each request's form has its own prefix, so the radios' ids never clash."""
    prefix = f"request-{person_id}"
    if from_request:
        return RoleForm(prefix=prefix)
    return RoleForm(formdata=None, prefix=prefix, data={"role": accounts.approval_role(school)})


def _team_page(urn: str, refused: tuple[str, RoleForm] | None = None) -> str:
    """The team page; `refused` is (person id, their approval form) when an approval came back with errors."""
    store = get_store()
    forms = {} if refused is None else {refused[0]: refused[1]}
    pending = [
        (person, waiting, forms.get(person.id) or _approval_form(person.id, g.school))
        for person, waiting in accounts.pending_requests(store, urn)
    ]
    return render_template(
        "school/team.html",
        school=g.school,
        members=accounts.team(store, urn),
        pending=pending,
        refused=refused[1] if refused else None,
        can_manage=_can_manage(),
        role_names=SCHOOL_ROLE_NAMES,
        form=ConfirmForm(),
    )


@school.route("/<urn>/team/invite", methods=["GET", "POST"])
@school_member(**MANAGE)
def invite(urn: str) -> str | Response | tuple[str, int]:
    form = InviteForm()
    if form.validate_on_submit():
        store = get_store()
        try:
            # The account (if new), the membership, the audit entry and the email: all or nothing.
            with store.transaction():
                person = accounts.ensure_user(store, form.email.data, form.name.data)
                if person.is_la:
                    raise LAAccount(person)
                accounts.join(store, urn, person.id, form.role.data, added_by=g.user.id)
                audit.record(
                    store, g.user.id, f"added to team as {form.role.data}", person.id, client_address(), school=urn
                )
                _email_added(person, form.role.data, f"You have been added to {g.school['name']}'s Quality Mark team")
        except LAAccount:
            form.email.errors = [*form.email.errors, "This is a local authority account: it cannot join a school team"]
            return render_template("school/invite.html", form=form, school=g.school), 400
        except accounts.AlreadyMember as member:
            # Inviting someone again never changes their role: that is "Change role", on purpose.
            role_name = SCHOOL_ROLE_NAMES[member.role].lower()
            form.email.errors = [
                *form.email.errors,
                f"{person.name} is already in the team, as {role_name}. To change what they can do, change their role",
            ]
            return render_template("school/invite.html", form=form, school=g.school, member=person), 400
        except AccountError as error:
            form.role.errors = [*form.role.errors, str(error)]
            return render_template("school/invite.html", form=form, school=g.school), 400
        flash(
            f"{person.name} has been added as {SCHOOL_ROLE_NAMES[form.role.data].lower()}. We have emailed them.",
            "success",
        )
        return redirect(url_for("school.team", urn=urn))
    status = 400 if form.is_submitted() else 200
    return render_template("school/invite.html", form=form, school=g.school), status


def _member_or_404(urn: str, user_id: str) -> tuple[accounts.User, str]:
    store = get_store()
    role = accounts.school_role(store, urn, user_id)
    person = accounts.get_user(store, user_id)
    if role is None or person is None:
        abort(404)
    return person, role


@school.route("/<urn>/team/<user_id>/role", methods=["GET", "POST"])
@school_member(**MANAGE)
def change_role(urn: str, user_id: str) -> str | Response | tuple[str, int]:
    person, role = _member_or_404(urn, user_id)
    form = RoleForm(data={"role": role})
    if form.validate_on_submit():
        store = get_store()
        try:
            with store.transaction():  # the change and its audit entry: both or neither
                accounts.add_member(store, urn, user_id, form.role.data, added_by=g.user.id)
                audit.record(
                    store,
                    g.user.id,
                    f"role changed from {role} to {form.role.data}",
                    user_id,
                    client_address(),
                    school=urn,
                )
        except AccountError as error:
            form.role.errors = [*form.role.errors, str(error)]
            return render_template("school/change_role.html", form=form, school=g.school, person=person), 400
        flash(f"{person.name} is now {SCHOOL_ROLE_NAMES[form.role.data].lower()}.", "success")
        return redirect(url_for("school.team", urn=urn))
    status = 400 if form.is_submitted() else 200
    return render_template("school/change_role.html", form=form, school=g.school, person=person), status


@school.route("/<urn>/team/<user_id>/remove", methods=["GET", "POST"])
@school_member(**MANAGE)
def remove(urn: str, user_id: str) -> str | Response | tuple[str, int]:
    person, role = _member_or_404(urn, user_id)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        store = get_store()
        try:
            with store.transaction():  # the removal, the ended sessions and the audit entry: all or nothing
                accounts.remove_member(store, urn, user_id)
                accounts.end_all_sessions(store, user_id)
                audit.record(store, g.user.id, "removed from team", user_id, client_address(), school=urn)
        except AccountError as problem:
            error = str(problem)
        else:
            flash(f"{person.name} has been removed from the team.", "success")
            return redirect(url_for("school.team", urn=urn))
    status = 400 if error or form.is_submitted() else 200
    return render_template(
        "school/remove.html", form=form, school=g.school, person=person, role=role, error=error
    ), status


@school.route("/<urn>/team/<user_id>/hand-over", methods=["GET", "POST"])
@school_member(roles=("admin",), la_roles=())
def hand_over(urn: str, user_id: str) -> str | Response | tuple[str, int]:
    person, _ = _member_or_404(urn, user_id)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        store = get_store()
        try:
            with store.transaction():  # the change and its audit entry: both or neither
                accounts.hand_over_admin(store, urn, g.user.id, user_id, by=g.user.id)
                audit.record(store, g.user.id, "handed over school admin", user_id, client_address(), school=urn)
        except AccountError as problem:
            error = str(problem)
        else:
            flash(f"{person.name} is now the school lead (admin). You are a contributor.", "success")
            return redirect(url_for("school.team", urn=urn))
    status = 400 if error or form.is_submitted() else 200
    return render_template("school/hand_over.html", form=form, school=g.school, person=person, error=error), status


@school.post("/<urn>/requests/<user_id>/<decision>")
@school_member(**MANAGE)
def decide_request(urn: str, user_id: str, decision: str) -> Response | tuple[str, int]:
    """Approve (with the role the approver chose) or decline a registration: school admins and LA admins alike."""
    store = get_store()
    if decision not in ("approve", "decline") or user_id not in (g.school.get("pending") or {}):
        abort(404)
    person = accounts.get_user(store, user_id)
    if person is None or person.removed or person.is_la:
        accounts.decline_request(store, urn, user_id)
        abort(404)
    if decision == "decline":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        with store.transaction():  # the change and its audit entry: both or neither
            accounts.decline_request(store, urn, user_id)
            audit.record(store, g.user.id, "registration declined", user_id, client_address(), school=urn)
        flash(f"{person.name}'s request has been declined.", "success")
        return redirect(url_for("school.team", urn=urn))
    form = _approval_form(user_id, g.school, from_request=True)
    if not form.validate_on_submit():
        return _team_page(urn, refused=(user_id, form)), 400
    role = form.role.data
    try:
        with store.transaction():  # the approval, its audit entry and the email: all or nothing
            accounts.approve_request(store, urn, user_id, role, by=g.user.id)
            audit.record(store, g.user.id, "registration approved", user_id, client_address(), school=urn, role=role)
            _email_added(person, role, f"You can now sign in for {g.school['name']}")
    except AccountError as problem:  # approved or declined by someone else a moment ago
        flash(f"{person.name}: {problem}", "error")
        return redirect(url_for("school.team", urn=urn))
    flash(f"{person.name} is approved as {SCHOOL_ROLE_NAMES[role].lower()}.", "success")
    return redirect(url_for("school.team", urn=urn))


class LAAccount(Exception):
    """Inviting a local authority account into a school's team: refused, changing nothing."""

    def __init__(self, person: accounts.User) -> None:
        super().__init__(person.email)
        self.person = person


def _email_added(person: accounts.User, role: str, subject: str) -> None:
    """Tell someone they are in the school's team now, in which role, and how to sign in."""
    send_email(
        person.email,
        subject,
        "added_to_team",
        user=person,
        by_name=g.user.name,
        school=g.school,
        role_name=SCHOOL_ROLE_NAMES[role],
        sign_in_link=service_link("public.sign_in"),
    )
