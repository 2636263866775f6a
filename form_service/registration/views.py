"""The pages of registration (blueprint `registration`), open to anyone: registering a school lead or a colleague.

``/register`` shows the form; ``/register/check`` (POST) shows the answers back to check, storing nothing;
posting ``/register`` again registers the person: the school's first lead at once when their address proves it
(see `form_service.registration`), otherwise a request that the school's lead or the LA approves, everyone who
needs to know told by email. ``/schools`` lists the schools that can register, with their URNs. While
registration is closed, each of the register pages says when it opens.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from .. import accounts, registration
from ..accounts.auth import client_address
from ..accounts.sign_in import issue_token, within_rate_limit
from ..core import audit, clock
from ..core.content import get_content
from ..core.links import service_link
from ..core.outbox import send_email
from ..core.security import csrf
from ..forms import RegistrationForm
from ..store import Store, get_store

blueprint = Blueprint("registration", __name__, template_folder="templates")

REGISTER_LIMIT_PER_EMAIL = (5, 60 * 60)
REGISTER_LIMIT_PER_CLIENT = (30, 60 * 60)


def _registration_closed() -> str | None:
    """The 'not open yet' page when registration is closed today, else None."""
    window = registration.registration_window(get_content(), clock.today())
    return None if window.is_open else render_template("registration/registration_closed.html", window=window)


def _check_school(form: RegistrationForm) -> dict | None:
    """The school for the URN, or None with an error on the field."""
    school = accounts.get_school(get_store(), form.urn.data)
    if school is None:
        form.urn.errors = [
            *form.urn.errors,
            "We cannot find a school with that URN in the local authority's list. Check the number, "
            "or contact the Quality Mark team",
        ]
    return school


@blueprint.get("/register")
def register() -> str:
    closed = _registration_closed()
    if closed:
        return closed
    form = RegistrationForm(formdata=None)
    return render_template("registration/register.html", form=form)


@blueprint.post("/register/check")
@csrf.exempt  # Writes nothing: it only checks the answers and shows them back with a CSRF-protected form.
def register_check() -> str | tuple[str, int]:
    closed = _registration_closed()
    if closed:
        return closed
    form = RegistrationForm(meta={"csrf": False})
    if request.form.get("change"):
        return render_template("registration/register.html", form=form)
    if not form.validate() or (school := _check_school(form)) is None:
        return render_template("registration/register.html", form=form), 400
    confirm = RegistrationForm(formdata=None, data=form.data)
    return render_template("registration/register_check.html", form=confirm, school=school)


@blueprint.post("/register")
def register_confirm() -> str | tuple[str, int]:
    closed = _registration_closed()
    if closed:
        return closed
    form = RegistrationForm()
    if not form.validate_on_submit() or (school := _check_school(form)) is None:
        return render_template("registration/register.html", form=form), 400
    store = get_store()
    email = accounts.normalise_email(form.email.data)
    # Each registration sends email (to the registrant and the school's admins): limit it like sign-in.
    allowed = within_rate_limit(store, f"register:email:{email}", *REGISTER_LIMIT_PER_EMAIL)
    allowed = within_rate_limit(store, f"register:client:{client_address()}", *REGISTER_LIMIT_PER_CLIENT) and allowed
    if not allowed:
        return render_template("registration/register.html", form=form, rate_limited=True), 429
    try:
        # The account, the request or membership, the audit entry and every email: all or nothing.
        with store.transaction():
            result = _register(store, school, form, email)
    except registration.LocalAuthorityAccount:
        return _answer_la_account(store, school, email)
    except accounts.AccountError as error:
        form.email.errors = [*form.email.errors, str(error)]
        return render_template("registration/register.html", form=form), 400
    user = result.user
    return render_template(
        "registration/registered.html",
        outcome=result.outcome,
        school=school,
        email=user.email,
        has_lead=result.school_has_lead,
    )


def _register(store: Store, school: dict, form: RegistrationForm, email: str) -> registration.Registration:
    """Register the person, tell those who need to know, and record it in the audit log."""
    result = registration.register(store, form.urn.data, form.name.data, form.job_title.data, email)
    user = result.user
    if result.outcome == "pending":
        told = _ask_for_approval(store, school, user, result.school_has_lead)
        details = {"asked": "school lead and LA" if result.school_has_lead else "LA", "told": told}
    elif result.outcome == "admin":
        details = {"because": result.because, "told": _tell_la_about_new_lead(store, school, user, result.because)}
    else:
        details = {}
    audit.record(
        store, user.id, f"registered ({result.outcome})", f"school {school['urn']}", client_address(), **details
    )
    if result.outcome != "pending":
        token = issue_token(store, user.id, current_app.config["SIGN_IN_LINK_MINUTES"])
        link = service_link("accounts.continue_sign_in", token=token)
        send_email(user.email, "Your school is registered: sign in", "registered", user=user, school=school, link=link)
    return result


def _ask_for_approval(store: Store, school: dict, user: accounts.User, has_lead: bool) -> list[str]:
    """Email the registrant, the school's admins and the LA admins about a request; returns the ids of those asked."""
    send_email(
        user.email, "We have your registration", "registration_pending", user=user, school=school, has_lead=has_lead
    )
    link = service_link("accounts.team", urn=school["urn"])
    admins = [person for person, role in accounts.team(store, school["urn"]) if role == "admin"]
    approvers = [*admins, *accounts.la_admins(store)]
    for approver in approvers:
        send_email(
            approver.email,
            f"{user.name} asked to join {school['name']}",
            "registration_request",
            approver=approver,
            is_la=approver.is_la,
            has_lead=has_lead,
            user=user,
            school=school,
            link=link,
        )
    return [person.id for person in approvers]


def _tell_la_about_new_lead(
    store: Store, school: dict, user: accounts.User, because: registration.Trust | None
) -> list[str]:
    """Email the LA admins that someone became a school's first lead at once; returns their ids."""
    la_admins = accounts.la_admins(store)
    for la_admin in la_admins:
        send_email(
            la_admin.email,
            f"{user.name} is now school lead of {school['name']}",
            "new_school_lead",
            la_admin=la_admin,
            user=user,
            school=school,
            because=because,
            link=service_link("accounts.team", urn=school["urn"]),
        )
    return [person.id for person in la_admins]


def _answer_la_account(store: Store, school: dict, email: str) -> str:
    """The page anyone registering for this school with an address the school does not trust sees, so the page
    never tells which addresses are LA accounts; the email to the address says why nothing happened."""
    with store.transaction():  # the email and the audit entry: both or neither
        send_email(
            email,
            "Registering for a school with a local authority account",
            "registration_la_account",
            school=school,
            register_link=service_link("registration.register"),
        )
        la_user = accounts.find_user_by_email(store, email)
        actor = la_user.id if la_user else None
        audit.record(
            store, actor, "registration refused: local authority account", f"school {school['urn']}", client_address()
        )
    return render_template(
        "registration/registered.html",
        outcome="pending",
        school=school,
        email=email,
        has_lead=accounts.has_lead(school),
    )


@blueprint.get("/schools")
def school_list() -> str:
    """The schools that can register, with their URNs, for anyone who does not know theirs."""
    schools = sorted((school for _, school in get_store().scan(accounts.SCHOOLS)), key=lambda s: s["name"])
    return render_template("registration/school_list.html", schools=schools)
