"""The pages of accounts (blueprint `accounts`): signing in and out, and the school's team.

Anyone: ``/sign-in`` (ask for a link by email), ``/sign-in/check-email``, ``/sign-in/continue`` (the emailed link
opens it; pressing Continue signs in), ``/sign-out``. Signed in: ``/sign-out/everywhere``, ``/session/keep-alive``
(service.js, while the person is active) and ``/kept-text/discard``.

The school's team, under ``/school/<urn>``: ``team`` (school members and LA staff read it), ``team/invite``,
``team/<user_id>/role``, ``team/<user_id>/remove`` (school admins and LA admins), ``team/<user_id>/hand-over``
(the school's own admin only) and ``requests/<user_id>/approve`` or ``decline``.

Thin views (validate, act, redirect — otherwise render); the rules live in the package, `form_service.accounts`.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from quality_mark.wording import clock_time

from .. import accounts
from ..core import audit, kept_text
from ..core.links import service_link
from ..core.outbox import send_email
from ..forms import ConfirmForm, ContinueForm, InviteForm, RoleForm, SignInForm
from ..store import get_store
from .auth import (
    can_manage_team,
    client_address,
    end_session,
    home_for,
    safe_next,
    school_member,
    signed_in,
    signed_out_at,
    start_session,
)
from .people import AccountError
from .sign_in import TOKEN_PROBLEMS, check_token, consume_token, issue_token, within_rate_limit
from .teams import SCHOOL_ROLE_NAMES

blueprint = Blueprint("accounts", __name__, template_folder="templates")
TEAM = "/school/<urn>"  # the school's team, beside the school's other pages

SIGN_IN_LIMIT_PER_EMAIL = (5, 15 * 60)
SIGN_IN_LIMIT_PER_CLIENT = (30, 15 * 60)

# Who may manage a school's team: its admins, and LA admins (LA reviewers may look, not change).
MANAGE = {"roles": ("admin",), "la_roles": ("admin",)}
READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}


# Sign-in ------------------------------------------------------------------------------------------------


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str | Response:
    if g.user is not None:
        return redirect(home_for(g.user))
    form = SignInForm()
    if request.method == "GET" and (wanted := safe_next(request.args.get("next"))):
        # Remembered in this browser, so the person lands where they were going after the emailed link.
        session["after_sign_in"] = wanted
    if form.validate_on_submit():
        store = get_store()
        email = accounts.normalise_email(form.email.data)
        allowed = within_rate_limit(store, f"sign-in:email:{email}", *SIGN_IN_LIMIT_PER_EMAIL)
        allowed = within_rate_limit(store, f"sign-in:client:{client_address()}", *SIGN_IN_LIMIT_PER_CLIENT) and allowed
        if not allowed:
            return render_template("accounts/sign_in.html", form=form, rate_limited=True), 429
        user = accounts.find_user_by_email(store, email)
        # Known and unknown addresses get the same answer, and each gets an email, so neither the page
        # nor its timing tells anyone whether an address has an account.
        with store.transaction():  # the token and the email carrying it: both or neither
            if user:
                token = issue_token(store, user.id, current_app.config["SIGN_IN_LINK_MINUTES"])
                link = service_link("accounts.continue_sign_in", token=token)
                send_email(email, "Your sign-in link", "sign_in", user=user, link=link)
            else:
                # A token for nobody: the same store write as for a known address, and it can never sign in.
                issue_token(store, None, current_app.config["SIGN_IN_LINK_MINUTES"])
                send_email(
                    email,
                    "Signing in to the Quality Mark service",
                    "sign_in_unknown",
                    register_link=service_link("registration.register"),
                )
        return redirect(url_for("accounts.check_email"))
    return render_template("accounts/sign_in.html", form=form)


@blueprint.get("/sign-in/check-email")
def check_email() -> str:
    return render_template("accounts/check_email.html")


@blueprint.route("/sign-in/continue", methods=["GET", "POST"])
def continue_sign_in() -> str | Response | tuple[str, int]:
    """The emailed link opens this page; only pressing Continue (a POST) signs in, because mail
    scanners open links before people do."""
    store = get_store()
    form = ContinueForm()
    if request.method == "GET":
        token = request.args.get("token", "")
        problem = check_token(store, token)
        if problem:
            return render_template("accounts/sign_in_problem.html", message=TOKEN_PROBLEMS[problem]), 400
        form.token.data = token
        return render_template("accounts/continue.html", form=form)
    if not form.validate_on_submit():
        return render_template("accounts/sign_in_problem.html", message=TOKEN_PROBLEMS["unknown"]), 400
    wanted = safe_next(session.get("after_sign_in"))
    with store.transaction():  # the used token, the new session and the audit entry: all or nothing
        user_id, problem = consume_token(store, form.token.data)
        user = accounts.get_user(store, user_id) if user_id else None
        if user is not None and not user.removed:
            start_session(user)
            audit.record(store, user.id, "signed in", user.id, client_address())
    if user is None or user.removed:
        return render_template("accounts/sign_in_problem.html", message=TOKEN_PROBLEMS[problem or "unknown"]), 400
    # `wanted` is a path within the service (as `request.path` gives it); the service's mount (/app) goes first.
    return redirect(wanted or home_for(user))


@blueprint.post("/sign-out")
def sign_out() -> Response:
    store = get_store()
    with store.transaction():  # the ended session and the audit entry: both or neither
        if g.user is not None:
            audit.record(store, g.user.id, "signed out", g.user.id, client_address())
        end_session()
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.sign_in"))


@blueprint.post("/sign-out/everywhere")
@signed_in
def sign_out_everywhere() -> Response:
    store = get_store()
    with store.transaction():  # the ended sessions and the audit entry: both or neither
        accounts.end_all_sessions(store, g.user.id)
        audit.record(store, g.user.id, "signed out everywhere", g.user.id, client_address())
        end_session()
    flash("You have signed out on every device.", "success")
    return redirect(url_for("accounts.sign_in"))


@blueprint.post("/session/keep-alive")
@signed_in
def keep_alive() -> Response:
    """Called by service.js while the person is active, and by the timeout warning's "Stay signed in" button;
    the request itself renews the session."""
    ends = signed_out_at()
    return jsonify(
        status="ok",
        idle_minutes=current_app.config["SESSION_IDLE_MINUTES"],
        signed_out_at=clock_time(ends) if ends else None,
    )


@blueprint.post("/kept-text/discard")
@signed_in
def discard_kept_text() -> Response:
    """The person does not want the text kept from a refused post: forget it, and show the page as saved."""
    page = safe_next(request.form.get("page"))
    if page is None:
        return redirect(home_for(g.user))
    kept_text.forget(page)
    flash("The text we kept has been discarded. The page shows what is saved.", "success")
    return redirect(page)


# The school's team --------------------------------------------------------------------------------------


@blueprint.get(TEAM + "/team")
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
        "accounts/team.html",
        school=g.school,
        members=accounts.team(store, urn),
        pending=pending,
        refused=refused[1] if refused else None,
        can_manage=can_manage_team(),
        role_names=SCHOOL_ROLE_NAMES,
        form=ConfirmForm(),
    )


@blueprint.route(TEAM + "/team/invite", methods=["GET", "POST"])
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
            return render_template("accounts/invite.html", form=form, school=g.school), 400
        except accounts.AlreadyMember as member:
            # Inviting someone again never changes their role: that is "Change role", on purpose.
            role_name = SCHOOL_ROLE_NAMES[member.role].lower()
            form.email.errors = [
                *form.email.errors,
                f"{person.name} is already in the team, as {role_name}. To change what they can do, change their role",
            ]
            return render_template("accounts/invite.html", form=form, school=g.school, member=person), 400
        except AccountError as error:
            form.role.errors = [*form.role.errors, str(error)]
            return render_template("accounts/invite.html", form=form, school=g.school), 400
        flash(
            f"{person.name} has been added as {SCHOOL_ROLE_NAMES[form.role.data].lower()}. We have emailed them.",
            "success",
        )
        return redirect(url_for("accounts.team", urn=urn))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/invite.html", form=form, school=g.school), status


def _member_or_404(urn: str, user_id: str) -> tuple[accounts.User, str]:
    store = get_store()
    role = accounts.school_role(store, urn, user_id)
    person = accounts.get_user(store, user_id)
    if role is None or person is None:
        abort(404)
    return person, role


@blueprint.route(TEAM + "/team/<user_id>/role", methods=["GET", "POST"])
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
            return render_template("accounts/change_role.html", form=form, school=g.school, person=person), 400
        flash(f"{person.name} is now {SCHOOL_ROLE_NAMES[form.role.data].lower()}.", "success")
        return redirect(url_for("accounts.team", urn=urn))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/change_role.html", form=form, school=g.school, person=person), status


@blueprint.route(TEAM + "/team/<user_id>/remove", methods=["GET", "POST"])
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
            return redirect(url_for("accounts.team", urn=urn))
    status = 400 if error or form.is_submitted() else 200
    return render_template(
        "accounts/remove.html", form=form, school=g.school, person=person, role=role, error=error
    ), status


@blueprint.route(TEAM + "/team/<user_id>/hand-over", methods=["GET", "POST"])
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
            return redirect(url_for("accounts.team", urn=urn))
    status = 400 if error or form.is_submitted() else 200
    return render_template("accounts/hand_over.html", form=form, school=g.school, person=person, error=error), status


@blueprint.post(TEAM + "/requests/<user_id>/<decision>")
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
        return redirect(url_for("accounts.team", urn=urn))
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
        return redirect(url_for("accounts.team", urn=urn))
    flash(f"{person.name} is approved as {SCHOOL_ROLE_NAMES[role].lower()}.", "success")
    return redirect(url_for("accounts.team", urn=urn))


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
        sign_in_link=service_link("accounts.sign_in"),
    )
