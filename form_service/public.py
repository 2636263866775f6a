"""Pages anyone can open: start, health check, sign-in and out, and registering a school."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
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

from . import accounts, registration
from .auth import client_address, end_session, signed_in, signed_out_at, start_session
from .core import audit, clock, kept_text
from .core.content import get_content
from .core.links import service_link
from .core.outbox import send_email
from .core.security import csrf
from .forms import ContinueForm, RegistrationForm, SignInForm
from .sign_in import TOKEN_PROBLEMS, check_token, consume_token, issue_token, within_rate_limit
from .store import Store, get_store

public = Blueprint("public", __name__)

SIGN_IN_LIMIT_PER_EMAIL = (5, 15 * 60)
SIGN_IN_LIMIT_PER_CLIENT = (30, 15 * 60)
REGISTER_LIMIT_PER_EMAIL = (5, 60 * 60)
REGISTER_LIMIT_PER_CLIENT = (30, 60 * 60)


def home_for(user: accounts.User) -> str:
    return url_for("programme.dashboard") if user.is_la else url_for("school.my_schools")


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


@public.get("/")
def start() -> str:
    return render_template("start.html", content=get_content())


@public.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the store is reachable and writable; 503 otherwise. Says which content is loaded."""
    content = get_content()
    store_ok = get_store().ping()
    body = {
        "status": "ok" if store_ok else "unavailable",
        "store": "ok" if store_ok else "unreachable",
        "content": {framework.id: framework.version for framework in content.current_frameworks()},
    }
    return jsonify(body), 200 if store_ok else 503


# Sign-in ------------------------------------------------------------------------------------------------


@public.route("/sign-in", methods=["GET", "POST"])
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
            return render_template("sign_in.html", form=form, rate_limited=True), 429
        user = accounts.find_user_by_email(store, email)
        # Known and unknown addresses get the same answer, and each gets an email, so neither the page
        # nor its timing tells anyone whether an address has an account.
        with store.transaction():  # the token and the email carrying it: both or neither
            if user:
                token = issue_token(store, user.id, current_app.config["SIGN_IN_LINK_MINUTES"])
                link = service_link("public.continue_sign_in", token=token)
                send_email(email, "Your sign-in link", "sign_in", user=user, link=link)
            else:
                # A token for nobody: the same store write as for a known address, and it can never sign in.
                issue_token(store, None, current_app.config["SIGN_IN_LINK_MINUTES"])
                send_email(
                    email,
                    "Signing in to the Quality Mark service",
                    "sign_in_unknown",
                    register_link=service_link("public.register"),
                )
        return redirect(url_for("public.check_email"))
    return render_template("sign_in.html", form=form)


@public.get("/sign-in/check-email")
def check_email() -> str:
    return render_template("check_email.html")


@public.route("/sign-in/continue", methods=["GET", "POST"])
def continue_sign_in() -> str | Response | tuple[str, int]:
    """The emailed link opens this page; only pressing Continue (a POST) signs in, because mail
    scanners open links before people do."""
    store = get_store()
    form = ContinueForm()
    if request.method == "GET":
        token = request.args.get("token", "")
        problem = check_token(store, token)
        if problem:
            return render_template("sign_in_problem.html", message=TOKEN_PROBLEMS[problem]), 400
        form.token.data = token
        return render_template("continue.html", form=form)
    if not form.validate_on_submit():
        return render_template("sign_in_problem.html", message=TOKEN_PROBLEMS["unknown"]), 400
    wanted = safe_next(session.get("after_sign_in"))
    with store.transaction():  # the used token, the new session and the audit entry: all or nothing
        user_id, problem = consume_token(store, form.token.data)
        user = accounts.get_user(store, user_id) if user_id else None
        if user is not None and not user.removed:
            start_session(user)
            audit.record(store, user.id, "signed in", user.id, client_address())
    if user is None or user.removed:
        return render_template("sign_in_problem.html", message=TOKEN_PROBLEMS[problem or "unknown"]), 400
    # `wanted` is a path within the service (as `request.path` gives it); the service's mount (/app) goes first.
    return redirect(wanted or home_for(user))


@public.post("/sign-out")
def sign_out() -> Response:
    store = get_store()
    with store.transaction():  # the ended session and the audit entry: both or neither
        if g.user is not None:
            audit.record(store, g.user.id, "signed out", g.user.id, client_address())
        end_session()
    flash("You have signed out.", "success")
    return redirect(url_for("public.sign_in"))


@public.post("/sign-out/everywhere")
@signed_in
def sign_out_everywhere() -> Response:
    store = get_store()
    with store.transaction():  # the ended sessions and the audit entry: both or neither
        accounts.end_all_sessions(store, g.user.id)
        audit.record(store, g.user.id, "signed out everywhere", g.user.id, client_address())
        end_session()
    flash("You have signed out on every device.", "success")
    return redirect(url_for("public.sign_in"))


@public.post("/session/keep-alive")
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


@public.post("/kept-text/discard")
@signed_in
def discard_kept_text() -> Response:
    """The person does not want the text kept from a refused post: forget it, and show the page as saved."""
    page = safe_next(request.form.get("page"))
    if page is None:
        return redirect(home_for(g.user))
    kept_text.forget(page)
    flash("The text we kept has been discarded. The page shows what is saved.", "success")
    return redirect(page)


# Registration -------------------------------------------------------------------------------------------


def _registration_closed() -> str | None:
    """The 'not open yet' page when registration is closed today, else None."""
    window = registration.registration_window(get_content(), clock.today())
    return None if window.is_open else render_template("registration_closed.html", window=window)


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


@public.get("/register")
def register() -> str:
    closed = _registration_closed()
    if closed:
        return closed
    form = RegistrationForm(formdata=None)
    return render_template("register.html", form=form)


@public.post("/register/check")
@csrf.exempt  # Writes nothing: it only checks the answers and shows them back with a CSRF-protected form.
def register_check() -> str | tuple[str, int]:
    closed = _registration_closed()
    if closed:
        return closed
    form = RegistrationForm(meta={"csrf": False})
    if request.form.get("change"):
        return render_template("register.html", form=form)
    if not form.validate() or (school := _check_school(form)) is None:
        return render_template("register.html", form=form), 400
    confirm = RegistrationForm(formdata=None, data=form.data)
    return render_template("register_check.html", form=confirm, school=school)


@public.post("/register")
def register_confirm() -> str | tuple[str, int]:
    closed = _registration_closed()
    if closed:
        return closed
    form = RegistrationForm()
    if not form.validate_on_submit() or (school := _check_school(form)) is None:
        return render_template("register.html", form=form), 400
    store = get_store()
    email = accounts.normalise_email(form.email.data)
    # Each registration sends email (to the registrant and the school's admins): limit it like sign-in.
    allowed = within_rate_limit(store, f"register:email:{email}", *REGISTER_LIMIT_PER_EMAIL)
    allowed = within_rate_limit(store, f"register:client:{client_address()}", *REGISTER_LIMIT_PER_CLIENT) and allowed
    if not allowed:
        return render_template("register.html", form=form, rate_limited=True), 429
    try:
        # The account, the request or membership, the audit entry and every email: all or nothing.
        with store.transaction():
            result = _register(store, school, form, email)
    except registration.LocalAuthorityAccount:
        return _answer_la_account(store, school, email)
    except accounts.AccountError as error:
        form.email.errors = [*form.email.errors, str(error)]
        return render_template("register.html", form=form), 400
    user = result.user
    return render_template(
        "registered.html", outcome=result.outcome, school=school, email=user.email, has_lead=result.school_has_lead
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
        link = service_link("public.continue_sign_in", token=token)
        send_email(user.email, "Your school is registered: sign in", "registered", user=user, school=school, link=link)
    return result


def _ask_for_approval(store: Store, school: dict, user: accounts.User, has_lead: bool) -> list[str]:
    """Email the registrant, the school's admins and the LA admins about a request; returns the ids of those asked."""
    send_email(
        user.email, "We have your registration", "registration_pending", user=user, school=school, has_lead=has_lead
    )
    link = service_link("school.team", urn=school["urn"])
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
            link=service_link("school.team", urn=school["urn"]),
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
            register_link=service_link("public.register"),
        )
        la_user = accounts.find_user_by_email(store, email)
        actor = la_user.id if la_user else None
        audit.record(
            store, actor, "registration refused: local authority account", f"school {school['urn']}", client_address()
        )
    return render_template(
        "registered.html", outcome="pending", school=school, email=email, has_lead=accounts.has_lead(school)
    )


@public.get("/schools")
def school_list() -> str:
    """The schools that can register, with their URNs, for anyone who does not know theirs."""
    schools = sorted((school for _, school in get_store().scan(accounts.SCHOOLS)), key=lambda s: s["name"])
    return render_template("school_list.html", schools=schools)
