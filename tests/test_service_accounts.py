"""Accounts in the form service: registering a school, school teams, who may do what, the school list
import and the audit log.

Each test follows what a person does in a browser (the Flask test client, with real CSRF tokens and real
sign-in links from the outbox) and checks what they see on the page or what the store holds afterwards.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from form_service import accounts, registration, schools, self_evaluation
from form_service.core import audit
from form_service.core.content import get_content
from form_service.la import IMPORTS
from form_service.store import get_store

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_SCHOOLS_CSV = REPO_ROOT / "form_service" / "demo" / "schools.csv"
SERVICE_URL = "http://service.test/app"  # as in conftest's `app`

SCHOOL_A, SCHOOL_B = "900001", "900004"  # Oakfield Primary School, Hillcrest Academy
SENCO_A = "senco@oakfield-primary.example.org"  # admin of A
GOVERNOR_A = "governor@oakfield-primary.example.org"  # viewer of A
ADMIN_B = "inclusion@hillcrest-academy.example.org"  # admin of B
MATHS_B = "maths@hillcrest-academy.example.org"  # contributor of B
LA_ADMIN = "la.admin@example.org"
LA_REVIEWER = "la.reviewer@example.org"

NOT_ALLOWED = "You do not have permission to do that."
NOT_FOUND = "Page not found. Check the web address, or go back to the start."
LAST_ADMIN = "A school must always have a school lead (admin). Make someone else admin first."
CANNOT_FIND_SCHOOL = (
    "We cannot find a school with that URN in the local authority's list. Check the number, "
    "or contact the Quality Mark team"
)
BAD_EMAIL = "Enter an email address in the correct format, like name@school.example.org"
BAD_URN = "Enter the school's URN as 6 or 7 digits, for example 123456"


# What a person sees: a small HTML reader ----------------------------------------------------------------

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "h1", "h2", "h3", "br", "form"}
BLOCK_TAGS |= {"main", "article", "header", "footer", "nav", "fieldset", "legend", "label", "title"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self._strings()).split())

    def _strings(self):
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                space = " " if child.tag in BLOCK_TAGS else ""
                yield space
                yield from child._strings()
                yield space

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, class_: str | None = None) -> list[Element]:
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and (class_ is None or class_ in element.attrs.get("class", "").split())
        ]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class Page:
    """A response as a person reads it: title, heading, error summary, messages, tables and forms."""

    def __init__(self, response: Any) -> None:
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        builder = _TreeBuilder()
        builder.feed(self.html)
        self.root = builder.root

    def _first(self, tag: str) -> str:
        found = self.root.find_all(tag)
        return found[0].text if found else ""

    @property
    def title(self) -> str:
        return self._first("title").removesuffix(" - SEND and Inclusion Quality Mark")

    @property
    def h1(self) -> str:
        return self._first("h1")

    @property
    def main_text(self) -> str:
        return self._first("main")

    @property
    def error_links(self) -> list[tuple[str, str]]:
        """(href, message) for each link in the error summary."""
        return [
            (link.attrs["href"], link.text)
            for summary in self.root.find_all(class_="qm-error-summary")
            for link in summary.find_all("a")
        ]

    @property
    def ids(self) -> set[str]:
        return {element.attrs["id"] for element in self.root.iter() if "id" in element.attrs}

    def assert_error_links_lead_to_fields(self) -> None:
        assert self.error_links, "no error summary"
        for href, message in self.error_links:
            assert href.removeprefix("#") in self.ids, (
                f"the error {message!r} links to {href}, which is not on the page"
            )

    @property
    def error_summary(self) -> str:
        return " ".join(summary.text for summary in self.root.find_all(class_="qm-error-summary"))

    @property
    def messages(self) -> list[str]:
        return [note.text for note in self.root.find_all("div", "qm-notification")]

    @property
    def list_items(self) -> list[str]:
        """The bullet points in the page's main content."""
        return [item.text for main in self.root.find_all("main") for item in main.find_all("li")]

    def table(self, column: str) -> list[dict[str, str]]:
        """The rows of the first table with a column headed `column`, as {heading: cell text}."""
        for table in self.root.find_all("table"):
            headings = [cell.text for cell in table.find_all("th") if cell.attrs.get("scope") == "col"]
            if column in headings:
                return [
                    dict(
                        zip(headings, (cell.text for cell in row.find_all() if cell.tag in ("td", "th")), strict=False)
                    )
                    for body in table.find_all("tbody")
                    for row in body.find_all("tr")
                ]
        raise AssertionError(f"no table with a {column!r} column on the page {self.title!r}")

    def form(self, action: str) -> dict[str, str]:
        """What pressing the button of the form posting to `action` sends (hidden and filled-in fields)."""
        for form in self.root.find_all("form"):
            if form.attrs.get("action") == action:
                return {
                    element.attrs["name"]: element.attrs.get("value", "")
                    for element in form.find_all("input")
                    if element.attrs.get("name")
                    and (element.attrs.get("type") not in ("radio", "checkbox") or "checked" in element.attrs)
                }
        raise AssertionError(f"no form posting to {action} on the page {self.title!r}")

    def form_actions(self) -> list[str]:
        return [form.attrs.get("action", "") for form in self.root.find_all("form")]


# Acting like a person: CSRF tokens, sign-in links, posting forms ----------------------------------------


def csrf_token(client: Any) -> str:
    """The session's CSRF token, from a page that carries it (the header's sign-out form, or sign-in)."""
    for path in ("/", "/sign-in"):
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no page with a CSRF token")


def post(client: Any, path: str, data: dict[str, str | None] | None = None) -> Any:
    """Submit a form the way the browser does, with the session's CSRF token; None values are left out."""
    fields = {name: value for name, value in (data or {}).items() if value is not None}
    return client.post(path, data={**fields, "csrf_token": csrf_token(client)})


def location_path(response: Any) -> str:
    return urlsplit(response.headers["Location"]).path


def emails(app: Any) -> list:
    import email
    from email import policy

    folder = Path(app.config["DATA_DIR"]) / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in files]


def service_links(message: Any) -> list[str]:
    """The paths (as the test client sees them, without /app) of the service links in an email."""
    return [
        link.removeprefix(SERVICE_URL)
        for link in re.findall(r"https?://\S+", message.get_content())
        if link.startswith(SERVICE_URL)
    ]


def last_email_to(app: Any, address: str) -> Any:
    found = [message for message in emails(app) if message["To"] == address]
    assert found, f"no email to {address}"
    return found[-1]


def press_continue(client: Any, link_path: str) -> Any:
    """Open a sign-in link from an email and press Continue."""
    page = Page(client.get(link_path))
    assert page.status == 200, page.main_text
    return client.post("/sign-in/continue", data=page.form("/sign-in/continue"))


def sign_in_as(app: Any, address: str) -> Any:
    """A new browser, signed in as `address`: ask for a link, open it from the email, press Continue."""
    client = app.test_client()
    response = client.post("/sign-in", data={"email": address, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    link = next(path for path in service_links(last_email_to(app, address)) if path.startswith("/sign-in/continue"))
    response = press_continue(client, link)
    assert response.status_code == 302, Page(response).main_text
    return client


def register(client: Any, urn: str, name: str, job_title: str, email: str) -> Page:
    """Fill in 'Register your school', check the answers, press Register."""
    check = Page(
        client.post("/register/check", data={"urn": urn, "name": name, "job_title": job_title, "email": email})
    )
    assert (check.status, check.title) == (200, "Check your details"), check.error_summary
    return Page(client.post("/register", data=check.form("/register")))


# What the store holds ----------------------------------------------------------------------------------


def user_id(app: Any, email: str) -> str:
    with app.app_context():
        user = accounts.find_user_by_email(get_store(), email)
    assert user is not None, f"no account for {email}"
    return user.id


def role_at(app: Any, urn: str, email: str) -> str | None:
    with app.app_context():
        store = get_store()
        user = accounts.find_user_by_email(store, email)
        return accounts.school_role(store, urn, user.id) if user else None


def team_of(app: Any, urn: str) -> dict[str, str]:
    """email -> role for every member of the school."""
    with app.app_context():
        return {user.email: role for user, role in accounts.team(get_store(), urn)}


def pending_at(app: Any, urn: str) -> list[str]:
    with app.app_context():
        return [user.email for user, _ in accounts.pending_requests(get_store(), urn)]


def accounts_with_email(app: Any, email: str) -> int:
    with app.app_context():
        return sum(1 for _, user in get_store().scan(accounts.USERS) if user["email"] == email)


def everything_stored(app: Any) -> dict[str, Any]:
    """Every user and school document, to show that a refused request changed nothing."""
    with app.app_context():
        store = get_store()
        return {
            "users": dict(store.scan(accounts.USERS)),
            "schools": dict(store.scan(accounts.SCHOOLS)),
            "imports": dict(store.scan(IMPORTS)),
        }


def school_document(app: Any, urn: str) -> dict[str, Any] | None:
    with app.app_context():
        return accounts.get_school(get_store(), urn)


def audit_entries(app: Any) -> list[dict[str, Any]]:
    with app.app_context():
        return audit.recent(get_store())


def make_app(folder: Path, today: str = "2026-11-23") -> Any:
    """A service like conftest's `app` (demo schools and people), for a module's shared app or another day."""
    from form_service import create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig

    application = create_app(
        TestConfig,
        {
            "DATA_DIR": folder / "data",
            "CONTENT_ROOT": REPO_ROOT,
            "SITE_DIR": folder / "no-site",
            "SERVICE_URL": SERVICE_URL,
            "TODAY": today,
        },
    )
    with application.app_context():
        seed_demo(application)
    return application


# A service shared by many tests ---------------------------------------------------------------------------

SIGNED_IN_ACTORS = {
    "school A admin": SENCO_A,
    "school A contributor": "deputy@oakfield-primary.example.org",
    "school A viewer": GOVERNOR_A,
    "school B admin": ADMIN_B,
    "LA reviewer": LA_REVIEWER,
    "LA admin": LA_ADMIN,
}


@dataclass
class World:
    """One service shared by the tests that change nothing (or only what is set aside for them), with a
    browser signed in for each kind of person: it saves making a fresh service for each of them."""

    app: Any
    browsers: dict[str, Any]
    ids: dict[str, str]

    def request(self, actor: str, method: str, path: str, data: dict[str, str] | None = None) -> Any:
        browser = self.browsers[actor]
        return browser.get(path) if method == "GET" else post(browser, path, data)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    app = make_app(tmp_path_factory.mktemp("world"))
    with app.app_context():
        store = get_store()
        deputy = accounts.ensure_user(store, SIGNED_IN_ACTORS["school A contributor"], "Demo Deputy, Oakfield")
        accounts.add_member(store, SCHOOL_A, deputy.id, "contributor", added_by=None)
        ids = {email: accounts.find_user_by_email(store, email).id for email in (SENCO_A, GOVERNOR_A, MATHS_B)}
        for urn, email in [(SCHOOL_A, "one@gmail.com"), (SCHOOL_A, "two@gmail.com"), (SCHOOL_B, "b@gmail.com")]:
            registered = registration.register(store, urn, "Applicant", "SENCo", email)
            assert registered.outcome == "pending"
            ids[email] = registered.user.id
        ids["import"] = secrets.token_hex(16)
        la_admin = accounts.find_user_by_email(store, LA_ADMIN)
        store.write(IMPORTS, ids["import"], {"by": la_admin.id, "schools": []})  # an upload waiting to be confirmed
        # School A has started its self-evaluation, so its pages answer the same whichever test runs first.
        content = get_content()
        self_evaluation.start(
            store,
            content,
            accounts.get_school(store, SCHOOL_A),
            self_evaluation.current_cycle(content, date(2026, 11, 23)),
        )
    browsers = {"signed out": app.test_client()}
    browsers |= {actor: sign_in_as(app, email) for actor, email in SIGNED_IN_ACTORS.items()}
    return World(app, browsers, ids)


# GIAS files ------------------------------------------------------------------------------------------------

GIAS_COLUMNS = [
    "URN",
    "LA (name)",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
    "Postcode",
    "SchoolWebsite",
    "ContactEmail",
]
FRAMEWORKS = {"primary", "secondary"}


def demo_row(urn: str) -> dict[str, str]:
    """A row of the demo schools file exactly as it was imported."""
    with DEMO_SCHOOLS_CSV.open(encoding="utf-8", newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["URN"] == urn)


def gias_row(urn: str, name: str, **values: str) -> dict[str, str]:
    row = {
        "URN": urn,
        "LA (name)": "Demo Shire",
        "EstablishmentName": name,
        "TypeOfEstablishment (name)": "Community school",
        "EstablishmentStatus (name)": "Open",
        "PhaseOfEducation (name)": "Primary",
        "Postcode": "AB9 1XY",
        "SchoolWebsite": "",
        "ContactEmail": "",
    }
    aliases = {"phase": "PhaseOfEducation (name)", "status": "EstablishmentStatus (name)", "postcode": "Postcode"}
    aliases |= {"website": "SchoolWebsite", "email": "ContactEmail"}
    row.update({aliases.get(key, key): value for key, value in values.items()})
    return row


def gias_csv(rows: list[dict[str, str]], columns: list[str] = GIAS_COLUMNS, encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def upload(client: Any, raw: bytes, filename: str = "edubasealldata.csv") -> Page:
    response = client.post(
        "/la/schools/import",
        data={"csrf_token": csrf_token(client), "schools_file": (io.BytesIO(raw), filename)},
        content_type="multipart/form-data",
    )
    return Page(response)


def confirm_path(preview: Page) -> str:
    [action] = [action for action in preview.form_actions() if action.startswith("/la/schools/import/")]
    return action


def import_schools(app: Any, rows: list[dict[str, str]]) -> None:
    """Add schools the way `flask import-schools` does (for tests about something else)."""
    with app.app_context():
        preview = schools.read_gias_csv(gias_csv(rows), FRAMEWORKS)
        assert not preview.row_errors and not preview.file_error
        schools.apply_import(get_store(), preview.schools)


# 1. Registration ---------------------------------------------------------------------------------------------


def test_the_schools_known_contact_becomes_admin_at_once_and_can_sign_in_from_the_email(app, client, outbox) -> None:
    page = register(
        client, "900002", "Riverside Office", "School business manager", "Office@Riverside-Primary.example.org"
    )

    assert page.title == "Registration complete"
    assert "You are now the school lead for Riverside Community Primary School" in page.main_text
    assert role_at(app, "900002", "office@riverside-primary.example.org") == "admin"
    email = outbox.last_to("office@riverside-primary.example.org")
    assert email["Subject"] == "Your school is registered: sign in"

    [link] = [path for path in service_links(email) if path.startswith("/sign-in/continue?token=")]
    assert location_path(press_continue(client, link)) == "/school/"
    home = Page(client.get("/school/900002/"))
    assert home.h1 == "Riverside Community Primary School"
    assert "Your role: School lead (admin)" in home.main_text


@pytest.mark.parametrize(
    ("urn", "email"),
    [
        pytest.param("900002", "newsenco@riverside-primary.example.org", id="domain of website and contact"),
        pytest.param("900003", "head@st-aidans.example.org", id="domain of website, no contact email"),
        pytest.param("900003", "senco@staff.st-aidans.example.org", id="subdomain of the school's domain"),
    ],
)
def test_someone_on_the_schools_own_domain_becomes_admin_at_once(app, client, outbox, urn, email) -> None:
    page = register(client, urn, "New SENCo", "SENCo", email)

    assert page.title == "Registration complete"
    assert role_at(app, urn, email) == "admin"
    assert pending_at(app, urn) == []
    assert outbox.last_to(email)["Subject"] == "Your school is registered: sign in"


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("oakfield.senco@gmail.com", id="public mail domain"),
        pytest.param("senco@oakfield-academy-trust.example.net", id="unrelated domain"),
        pytest.param("senco@oakfield-primary.example.org.example.net", id="school domain as a prefix"),
        pytest.param("senco@fake-oakfield-primary.example.org", id="school domain as a suffix without a dot"),
        pytest.param(ADMIN_B, id="another school's contact"),
    ],
)
def test_anyone_else_waits_for_approval_and_the_schools_admins_are_told(app, client, outbox, email) -> None:
    team_before = team_of(app, SCHOOL_A)

    page = register(client, SCHOOL_A, "Sam Newcomer", "Assistant SENCo", email)

    assert page.title == "Registration received"
    assert "has gone to the school's existing lead and to the local authority" in page.main_text
    assert email in page.main_text
    assert outbox.last_to(email)["Subject"] == "We have your registration"
    to_admin = outbox.last_to(SENCO_A)
    # an existing account keeps its own name
    name = "Demo Inclusion Lead, Hillcrest" if email == ADMIN_B else "Sam Newcomer"
    assert to_admin["Subject"] == f"{name} asked to join Oakfield Primary School"
    assert "/school/900001/team" in service_links(to_admin)
    assert role_at(app, SCHOOL_A, email) is None
    assert pending_at(app, SCHOOL_A) == [email]
    assert team_of(app, SCHOOL_A) == team_before  # knowing the URN takes nothing over


def test_a_pending_person_sees_the_school_only_once_its_admin_approves(app, client, outbox, sign_in) -> None:
    register(app.test_client(), SCHOOL_A, "Sam Newcomer", "Assistant SENCo", "sam.newcomer@gmail.com")
    newcomer = sign_in_as(app, "sam.newcomer@gmail.com")

    assert newcomer.get("/school/900001/").status_code == 404
    assert newcomer.get("/school/900001/team").status_code == 404
    assert "You are not part of any school's team yet" in Page(newcomer.get("/school/")).main_text

    sign_in(SENCO_A)
    team_page = Page(client.get("/school/900001/team"))
    assert "Sam Newcomer Job title Assistant SENCo Email sam.newcomer@gmail.com" in team_page.main_text
    approve = f"/school/900001/requests/{user_id(app, 'sam.newcomer@gmail.com')}/approve"
    assert approve in team_page.form_actions()

    response = client.post(approve, data=team_page.form(approve))  # with the role offered first: contributor

    assert location_path(response) == "/school/900001/team"
    assert "Sam Newcomer is approved as contributor." in Page(client.get("/school/900001/team")).messages
    assert outbox.last_to("sam.newcomer@gmail.com")["Subject"] == "You can now sign in for Oakfield Primary School"
    assert role_at(app, SCHOOL_A, "sam.newcomer@gmail.com") == "contributor"
    assert pending_at(app, SCHOOL_A) == []
    home = Page(newcomer.get("/school/900001/"))
    assert (home.status, home.h1) == (200, "Oakfield Primary School")


def test_declining_a_request_removes_it_and_lets_nobody_in(app, client, sign_in) -> None:
    register(app.test_client(), SCHOOL_A, "Sam Newcomer", "Assistant SENCo", "sam.newcomer@gmail.com")
    sign_in(SENCO_A)

    response = post(client, f"/school/900001/requests/{user_id(app, 'sam.newcomer@gmail.com')}/decline")

    assert location_path(response) == "/school/900001/team"
    team_page = Page(client.get("/school/900001/team"))
    assert "Sam Newcomer's request has been declined." in team_page.messages
    assert "Waiting for approval" not in team_page.main_text
    assert pending_at(app, SCHOOL_A) == []
    assert role_at(app, SCHOOL_A, "sam.newcomer@gmail.com") is None
    assert sign_in_as(app, "sam.newcomer@gmail.com").get("/school/900001/").status_code == 404


def test_nobody_takes_over_a_school_that_has_an_admin_by_knowing_its_urn(app, client) -> None:
    before = team_of(app, SCHOOL_A)

    page = register(client, SCHOOL_A, "Demo SENCo, Oakfield", "SENCo", "oakfield.senco.real@outlook.com")

    assert page.title == "Registration received"
    assert team_of(app, SCHOOL_A) == before == {SENCO_A: "admin", GOVERNOR_A: "viewer"}
    intruder = sign_in_as(app, "oakfield.senco.real@outlook.com")
    assert intruder.get("/school/900001/team").status_code == 404


@pytest.mark.parametrize(
    ("school", "email", "outcome"),
    [
        pytest.param({"email": "office@gmail.com"}, "office@gmail.com", "admin", id="the exact public contact address"),
        pytest.param({"email": "office@gmail.com"}, "someone.else@gmail.com", "pending", id="same public domain"),
        pytest.param({"email": "Office@GMail.com"}, "OFFICE@gmail.com", "admin", id="contact address in any case"),
        pytest.param({"website": "https://www.example.org/"}, "head@example.org", "pending", id="example.org site"),
        pytest.param({"email": "office@example.org"}, "head@example.org", "pending", id="example.org contact"),
        pytest.param({"website": "http://gmail.com"}, "anyone@gmail.com", "pending", id="public mail site"),
    ],
)
def test_public_mail_domains_and_example_org_never_count_as_a_schools_domain(app, client, school, email, outcome):
    import_schools(app, [gias_row("900100", "Gmail Primary School", **school)])

    page = register(client, "900100", "Pat Person", "SENCo", email)

    assert page.title == {"admin": "Registration complete", "pending": "Registration received"}[outcome]
    assert role_at(app, "900100", email) == ("admin" if outcome == "admin" else None)
    assert pending_at(app, "900100") == ([] if outcome == "admin" else [email.lower()])


@pytest.mark.parametrize(
    ("school", "email", "trusted"),
    [
        ({"contact_email": "office@oak.example.org"}, "office@oak.example.org", True),
        ({"contact_email": "office@oak.example.org"}, "senco@oak.example.org", True),
        ({"website": "https://www.oak.example.org/about"}, "senco@oak.example.org", True),
        ({"website": "oak.example.org:8080"}, "senco@oak.example.org", True),
        ({"website": "https://www.oak.example.org"}, "senco@staff.oak.example.org", True),
        ({"website": "https://www.oak.example.org"}, "senco@notoak.example.org", False),
        ({"website": "https://www.oak.example.org"}, "senco@oak.example.org.evil.net", False),
        ({"contact_email": "office@gmail.com"}, "office@gmail.com", True),
        ({"contact_email": "office@gmail.com"}, "other@gmail.com", False),
        ({"website": "https://example.org"}, "anyone@example.org", False),
        ({"website": "https://www.example.com"}, "anyone@example.com", False),
        ({"contact_email": "head@hotmail.co.uk"}, "other@hotmail.co.uk", False),
        ({}, "anyone@oak.example.org", False),
    ],
)
def test_who_counts_as_trusted_for_a_school(school, email, trusted) -> None:
    assert registration.is_trusted_registrant(school, email) is trusted


def test_registering_twice_with_the_same_email_makes_one_account(app, outbox) -> None:
    for address in ("sam.newcomer@gmail.com", " Sam.Newcomer@GMAIL.com "):
        assert register(app.test_client(), SCHOOL_A, "Sam Newcomer", "SENCo", address).title == "Registration received"
    for _ in range(2):
        page = register(app.test_client(), "900002", "Office", "Manager", "office@riverside-primary.example.org")
    assert "You are already part of Riverside Community Primary School's team" in page.main_text

    assert accounts_with_email(app, "sam.newcomer@gmail.com") == 1
    assert pending_at(app, SCHOOL_A) == ["sam.newcomer@gmail.com"]
    assert accounts_with_email(app, "office@riverside-primary.example.org") == 1
    assert team_of(app, "900002") == {"office@riverside-primary.example.org": "admin"}


@pytest.fixture
def closed_app(tmp_path: Path) -> Any:
    """The service on a day before the first registration period opens."""
    return make_app(tmp_path, today="2025-01-01")


def test_before_registration_opens_the_page_says_when_and_posts_do_nothing(closed_app) -> None:
    client = closed_app.test_client()
    answers = {
        "urn": "900002",
        "name": "Early Bird",
        "job_title": "SENCo",
        "email": "early@riverside-primary.example.org",
    }
    before = everything_stored(closed_app)

    pages = [
        Page(client.get("/register")),
        Page(client.post("/register/check", data=answers)),
        Page(post(client, "/register", answers)),
    ]

    for page in pages:
        assert page.title == "Registration is not open"
        assert "Registration for 2025 to 2026 opens on Wednesday 11 June 2025." in page.main_text
        assert "/register/check" not in page.form_actions()
    assert everything_stored(closed_app) == before
    assert emails(closed_app) == []


VALID_REGISTRATION = {
    "urn": "900002",
    "name": "Nia Newcomer",
    "job_title": "SENCo",
    "email": "newsenco@riverside-primary.example.org",
}
BAD_REGISTRATIONS = [
    pytest.param({"urn": ""}, [("#urn", "Enter the school's URN, for example 123456")], id="no URN"),
    pytest.param({"name": ""}, [("#name", "Enter your full name")], id="no name"),
    pytest.param({"job_title": " "}, [("#job_title", "Enter your job title, for example SENCo")], id="no job title"),
    pytest.param({"email": None}, [("#email", "Enter your email address")], id="no email"),
    pytest.param(
        {"urn": "", "name": "", "job_title": "", "email": ""},
        [
            ("#urn", "Enter the school's URN, for example 123456"),
            ("#name", "Enter your full name"),
            ("#job_title", "Enter your job title, for example SENCo"),
            ("#email", "Enter your email address"),
        ],
        id="nothing filled in",
    ),
    pytest.param({"urn": "9OOOO2"}, [("#urn", BAD_URN)], id="URN not digits"),
    pytest.param({"urn": "90000"}, [("#urn", BAD_URN)], id="5-digit URN"),
    pytest.param({"urn": "999999"}, [("#urn", CANNOT_FIND_SCHOOL)], id="unknown URN"),
    pytest.param({"email": "newsenco.riverside-primary.example.org"}, [("#email", BAD_EMAIL)], id="email without @"),
    pytest.param(
        {"email": "newsenco@riverside-primary.example.org\r\nBcc: everyone@example.net"},
        [("#email", BAD_EMAIL)],
        id="header injection in email",
    ),
    pytest.param({"name": "N" * 300}, [("#name", "Full name must be 100 characters or fewer")], id="300-char name"),
    pytest.param(
        {"name": "<script>alert(1)</script>"},
        [("#name", "Full name must not contain < or >")],
        id="script in name",
    ),
]


@pytest.mark.parametrize("step", ["/register/check", "/register"])
@pytest.mark.parametrize(("change", "errors"), BAD_REGISTRATIONS)
def test_bad_registration_answers_are_shown_back_with_errors_and_nothing_happens(world, step, change, errors):
    app, client = world.app, world.app.test_client()
    before, emails_before = everything_stored(app), len(emails(app))
    answers = {**VALID_REGISTRATION, **change}

    if step == "/register":
        response = post(client, step, answers)
    else:
        response = client.post(step, data={name: value for name, value in answers.items() if value is not None})

    page = Page(response)
    assert page.status == 400
    assert page.title == "Error: Register your school"
    assert page.error_links == errors
    page.assert_error_links_lead_to_fields()
    assert "<script>alert(1)" not in page.html
    assert everything_stored(app) == before
    assert len(emails(app)) == emails_before


def test_checking_answers_stores_nothing_and_needs_no_csrf_token(app, client) -> None:
    before = everything_stored(app)

    page = Page(client.post("/register/check", data=VALID_REGISTRATION))

    assert (page.status, page.title) == (200, "Check your details")
    assert "Riverside Community Primary School (URN 900002)" in page.main_text
    assert page.form("/register")["csrf_token"]
    assert everything_stored(app) == before
    assert emails(app) == []


def test_registering_without_a_csrf_token_is_refused(app, client) -> None:
    page = Page(client.post("/register", data=VALID_REGISTRATION))

    assert page.status == 400
    assert "Reload the page and try again" in page.main_text
    assert accounts_with_email(app, VALID_REGISTRATION["email"]) == 0


# 2. School teams -----------------------------------------------------------------------------------------------

MANAGERS = [pytest.param(SENCO_A, id="school admin"), pytest.param(LA_ADMIN, id="LA admin")]


def roles_on_team_page(page: Page) -> dict[str, str]:
    return {row["Email"]: row["Role"] for row in page.table("Role")}


@pytest.mark.parametrize("manager", MANAGERS)
def test_inviting_a_colleague_as_viewer(app, client, outbox, sign_in, manager) -> None:
    sign_in(manager)
    form_page = Page(client.get("/school/900001/team/invite"))
    assert (form_page.status, form_page.title) == (200, "Add a colleague")

    response = post(
        client,
        "/school/900001/team/invite",
        {"name": "Pat Trustee", "email": "Pat.Trustee@gmail.com", "role": "viewer"},
    )

    assert location_path(response) == "/school/900001/team"
    team_page = Page(client.get("/school/900001/team"))
    assert "Pat Trustee has been added as viewer. We have emailed them." in team_page.messages
    assert roles_on_team_page(team_page)["pat.trustee@gmail.com"] == "Viewer"
    email = outbox.last_to("pat.trustee@gmail.com")
    assert email["Subject"] == "You have been added to Oakfield Primary School's Quality Mark team"
    assert "to Oakfield Primary School's team for the SEND and Inclusion Quality Mark, as Viewer." in " ".join(
        email.get_content().split()
    )
    assert service_links(email) == ["/sign-in"]  # where to sign in, never a token anyone could reuse

    home = Page(sign_in_as(app, "pat.trustee@gmail.com").get("/school/900001/"))
    assert "Your role: Viewer" in home.main_text


@pytest.mark.parametrize("manager", MANAGERS)
def test_changing_a_role(app, client, sign_in, manager) -> None:
    sign_in(manager)
    governor = user_id(app, GOVERNOR_A)
    form_page = Page(client.get(f"/school/900001/team/{governor}/role"))
    assert form_page.title == "Change Demo Governor, Oakfield's role"
    assert form_page.form(f"/school/900001/team/{governor}/role")["role"] == "viewer"

    response = post(client, f"/school/900001/team/{governor}/role", {"role": "contributor"})

    assert location_path(response) == "/school/900001/team"
    team_page = Page(client.get("/school/900001/team"))
    assert "Demo Governor, Oakfield is now contributor." in team_page.messages
    assert roles_on_team_page(team_page)[GOVERNOR_A] == "Contributor"
    assert role_at(app, SCHOOL_A, GOVERNOR_A) == "contributor"


@pytest.mark.parametrize("manager", MANAGERS)
def test_removing_someone_takes_them_off_the_team_and_signs_them_out(app, client, sign_in, manager) -> None:
    governor_browser = sign_in_as(app, GOVERNOR_A)
    sign_in(manager)

    response = post(client, f"/school/900001/team/{user_id(app, GOVERNOR_A)}/remove")

    assert location_path(response) == "/school/900001/team"
    team_page = Page(client.get("/school/900001/team"))
    assert "Demo Governor, Oakfield has been removed from the team." in team_page.messages
    assert GOVERNOR_A not in roles_on_team_page(team_page)
    assert role_at(app, SCHOOL_A, GOVERNOR_A) is None
    assert location_path(governor_browser.get("/school/900001/")) == "/sign-in"
    assert sign_in_as(app, GOVERNOR_A).get("/school/900001/").status_code == 404


def test_handing_over_admin_makes_the_old_admin_a_contributor(app, client, sign_in) -> None:
    sign_in(SENCO_A)
    governor = user_id(app, GOVERNOR_A)
    post(client, f"/school/900001/team/{governor}/role", {"role": "contributor"})
    assert f"/school/900001/team/{governor}/hand-over" in Page(client.get("/school/900001/team")).html

    response = post(client, f"/school/900001/team/{governor}/hand-over")

    assert location_path(response) == "/school/900001/team"
    team_page = Page(client.get("/school/900001/team"))
    assert "Demo Governor, Oakfield is now the school lead (admin). You are a contributor." in team_page.messages
    assert roles_on_team_page(team_page) == {GOVERNOR_A: "School lead (admin)", SENCO_A: "Contributor"}
    assert "Add a colleague" not in team_page.main_text
    assert team_of(app, SCHOOL_A) == {GOVERNOR_A: "admin", SENCO_A: "contributor"}
    assert (
        post(client, "/school/900001/team/invite", {"name": "X", "email": "x@gmail.com", "role": "viewer"}).status_code
        == 403
    )


def test_an_admin_cannot_hand_over_to_themselves(app, client, sign_in) -> None:
    """Handing over to yourself would make you a contributor and leave the school with no admin."""
    sign_in(SENCO_A)

    page = Page(post(client, f"/school/900001/team/{user_id(app, SENCO_A)}/hand-over"))

    assert page.status == 400
    assert page.title.startswith("Error:")
    assert team_of(app, SCHOOL_A) == {SENCO_A: "admin", GOVERNOR_A: "viewer"}


@pytest.mark.parametrize("manager", MANAGERS)
@pytest.mark.parametrize(
    ("action", "data", "title"),
    [
        pytest.param("remove", {}, "Error: Remove Demo SENCo, Oakfield", id="remove"),
        pytest.param("role", {"role": "viewer"}, "Error: Change Demo SENCo, Oakfield's role", id="make viewer"),
        pytest.param(
            "role", {"role": "contributor"}, "Error: Change Demo SENCo, Oakfield's role", id="make contributor"
        ),
    ],
)
def test_the_last_admin_cannot_be_removed_or_demoted(app, client, sign_in, manager, action, data, title) -> None:
    sign_in(manager)
    before = everything_stored(app)

    page = Page(post(client, f"/school/900001/team/{user_id(app, SENCO_A)}/{action}", data))

    assert page.status == 400
    assert page.title == title
    assert LAST_ADMIN in page.error_summary
    if action == "role":
        assert page.error_links == [("#role-0", LAST_ADMIN)]  # the first radio: a fieldset cannot take focus
    assert everything_stored(app) == before


def test_the_la_admin_manages_any_schools_team(app, client, sign_in, outbox) -> None:
    sign_in(LA_ADMIN)
    maths = user_id(app, MATHS_B)

    post(client, "/school/900004/team/invite", {"name": "Gwen Governor", "email": "gwen@gmail.com", "role": "viewer"})
    post(client, f"/school/900004/team/{maths}/role", {"role": "viewer"})
    post(client, f"/school/900004/team/{user_id(app, 'gwen@gmail.com')}/remove")

    assert team_of(app, SCHOOL_B) == {ADMIN_B: "admin", MATHS_B: "viewer"}
    assert outbox.last_to("gwen@gmail.com")["Subject"] == "You have been added to Hillcrest Academy's Quality Mark team"
    team_page = Page(client.get("/school/900004/team"))
    assert "Make school lead" not in team_page.main_text  # only the school's own admin hands over


def test_an_la_reviewer_sees_a_team_but_cannot_change_it(app, client, sign_in) -> None:
    register(app.test_client(), SCHOOL_A, "Sam Newcomer", "SENCo", "sam.newcomer@gmail.com")
    sign_in(LA_REVIEWER)
    before = everything_stored(app)
    governor = user_id(app, GOVERNOR_A)

    team_page = Page(client.get("/school/900001/team"))
    assert roles_on_team_page(team_page) == {SENCO_A: "School lead (admin)", GOVERNOR_A: "Viewer"}
    assert "Add a colleague" not in team_page.main_text
    for path, data in [
        ("/school/900001/team/invite", {"name": "Pat", "email": "pat@gmail.com", "role": "viewer"}),
        (f"/school/900001/team/{governor}/role", {"role": "admin"}),
        (f"/school/900001/team/{governor}/remove", {}),
        (f"/school/900001/requests/{user_id(app, 'sam.newcomer@gmail.com')}/approve", {}),
    ]:
        page = Page(post(client, path, data))
        assert (page.status, page.title) == (403, NOT_ALLOWED), path
    assert everything_stored(app) == before


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        pytest.param({"name": ""}, [("#name", "Enter the person's full name")], id="no name"),
        pytest.param({"email": ""}, [("#email", "Enter the person's email address")], id="no email"),
        pytest.param({"email": "pat at gmail.com"}, [("#email", BAD_EMAIL)], id="bad email"),
        pytest.param({"role": None}, [("#role-0", "Choose what this person can do")], id="no role"),
        pytest.param({"role": "owner"}, [("#role-0", "Not a valid choice.")], id="unknown role"),
        pytest.param(
            {"name": "<b>Pat</b>"},
            [("#name", "Full name must not contain < or >")],
            id="markup in name",
        ),
        pytest.param(
            {"email": LA_REVIEWER},
            [("#email", "This is a local authority account: it cannot join a school team")],
            id="LA account",
        ),
        pytest.param(
            {"email": SENCO_A},
            [
                (
                    "#email",
                    "Demo SENCo, Oakfield is already in the team, as school lead (admin). To change what they can do, "
                    "change their role",
                )
            ],
            id="someone already in the team",
        ),
    ],
)
def test_inviting_with_bad_answers_shows_errors_and_stores_nothing(world, change, errors):
    app, client = world.app, world.browsers["school A admin"]
    before, emails_before = everything_stored(app), len(emails(app))

    page = Page(
        post(
            client, "/school/900001/team/invite", {"name": "Pat", "email": "pat@gmail.com", "role": "viewer", **change}
        )
    )

    assert page.status == 400
    assert page.title == "Error: Add a colleague"
    assert page.error_links == errors
    page.assert_error_links_lead_to_fields()
    assert everything_stored(app) == before
    assert len(emails(app)) == emails_before


# 3. Who may do what ---------------------------------------------------------------------------------------------

SIGN_IN, OK, REFUSED, DONE = "redirect to sign-in", "200", "400 with the reason", "done, redirected"
ACTORS = ["signed out", *SIGNED_IN_ACTORS]

# Every route under /school/<urn>/ and /la/, for school A (900001). POSTs that someone may make are built so
# that they either change nothing (answers that are refused, like removing the last admin) or change only
# something set aside for that person, so the cases never depend on each other.
# fmt: off
#                                                          A admin  A contrib A viewer  B admin  LA review LA admin
EXPECTED = {
    ("GET",  "/school/<urn>/"):                             (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/team"):                         (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/team/invite"):                  (OK,      403,      403,      404,     403,      OK),
    ("POST", "/school/<urn>/team/invite"):                  (REFUSED, 403,      403,      404,     403,      REFUSED),
    ("GET",  "/school/<urn>/team/<user_id>/role"):          (OK,      403,      403,      404,     403,      OK),
    ("POST", "/school/<urn>/team/<user_id>/role"):          (REFUSED, 403,      403,      404,     403,      REFUSED),
    ("GET",  "/school/<urn>/team/<user_id>/remove"):        (OK,      403,      403,      404,     403,      OK),
    ("POST", "/school/<urn>/team/<user_id>/remove"):        (REFUSED, 403,      403,      404,     403,      REFUSED),
    ("GET",  "/school/<urn>/team/<user_id>/hand-over"):     (OK,      403,      403,      404,     403,      403),
    ("POST", "/school/<urn>/team/<user_id>/hand-over"):     (REFUSED, 403,      403,      404,     403,      403),
    ("POST", "/school/<urn>/requests/<user_id>/<decision>"): (DONE,   403,      403,      404,     403,      DONE),
    ("GET",  "/school/<urn>/self-evaluation/"):             (OK,      OK,       OK,       404,     OK,       OK),
    ("POST", "/school/<urn>/self-evaluation/start"):        (DONE,    DONE,     403,      404,     403,      403),
    ("GET",  "/school/<urn>/self-evaluation/<heading_id>"): (OK,      OK,       OK,       404,     OK,       OK),
    ("POST", "/school/<urn>/self-evaluation/<heading_id>"): (DONE,    DONE,     403,      404,     403,      403),
    ("GET",  "/school/<urn>/self-evaluation/check"):        (OK,      OK,       OK,       404,     OK,       OK),
    ("POST", "/school/<urn>/self-evaluation/submit"):       (DONE,    403,      403,      404,     403,      403),
    ("GET",  "/school/<urn>/self-evaluation/submitted"):    (DONE,    DONE,     DONE,     404,     DONE,     DONE),
    ("GET",  "/school/<urn>/analysis"):                     (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/governor-summary"):             (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/year-on-year"):                 (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/report"):                       (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/export.json"):                  (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/export.csv"):                   (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/actions"):                      (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/actions/new"):                  (OK,      OK,       403,      404,     403,      403),
    ("POST", "/school/<urn>/actions/new"):                  (REFUSED, REFUSED,  403,      404,     403,      403),
    ("GET",  "/school/<urn>/actions/<action_id>"):          (404,     404,      403,      404,     403,      403),
    ("POST", "/school/<urn>/actions/<action_id>"):          (404,     404,      403,      404,     403,      403),
    ("GET",  "/school/<urn>/actions/<action_id>/delete"):   (404,     404,      403,      404,     403,      403),
    ("POST", "/school/<urn>/actions/<action_id>/delete"):   (404,     404,      403,      404,     403,      403),
    ("GET",  "/school/<urn>/actions.csv"):                  (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/actions/document"):             (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/school/<urn>/evidence"):                     (OK,      OK,       OK,       404,     OK,       OK),
    ("POST", "/school/<urn>/evidence/<item_id>/notes"):     (DONE,    DONE,     403,      404,     403,      403),
    ("POST", "/school/<urn>/evidence/<item_id>/files"):     (REFUSED, REFUSED,  403,      404,     403,      403),
    ("GET",  "/school/<urn>/evidence/files/<file_id>"):     (404,     404,      404,      404,     404,      404),
    ("GET",  "/school/<urn>/evidence/files/<file_id>/delete"): (404,  404,      403,      404,     403,      403),
    ("POST", "/school/<urn>/evidence/files/<file_id>/delete"): (404,  404,      403,      404,     403,      403),
    ("GET",  "/school/<urn>/stages"):                       (OK,      OK,       OK,       404,     OK,       OK),
    ("GET",  "/la/"):                                       (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/schools/<urn>/extension"):                (403,     403,      403,      403,     OK,       OK),
    ("POST", "/la/schools/<urn>/extension"):                (403,     403,      403,      403,     REFUSED,  REFUSED),
    ("GET",  "/la/audit"):                                  (403,     403,      403,      403,     403,      OK),
    ("GET",  "/la/schools/import"):                         (403,     403,      403,      403,     403,      OK),
    ("POST", "/la/schools/import"):                         (403,     403,      403,      403,     403,      REFUSED),
    ("POST", "/la/schools/import/<import_id>"):             (403,     403,      403,      403,     403,      DONE),
    ("GET",  "/la/schools/<urn>/stages"):                   (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/schools/<urn>/stages/<stage_number>"):    (403,     403,      403,      403,     OK,       OK),
    ("POST", "/la/schools/<urn>/stages/<stage_number>"):    (403,     403,      403,      403,     REFUSED,  REFUSED),
    ("POST", "/la/schools/<urn>/stages/<stage_number>/clear"): (403,  403,      403,      403,     DONE,     DONE),
    ("GET",  "/la/schools/<urn>/visits/new"):               (403,     403,      403,      403,     OK,       OK),
    ("POST", "/la/schools/<urn>/visits/new"):               (403,     403,      403,      403,     REFUSED,  REFUSED),
    ("GET",  "/la/schools/<urn>/visits/<visit_id>"):        (403,     403,      403,      403,     404,      404),
    ("POST", "/la/schools/<urn>/visits/<visit_id>"):        (403,     403,      403,      403,     404,      404),
    ("GET",  "/la/schools/<urn>/visits/<visit_id>/delete"): (403,     403,      403,      403,     404,      404),
    ("POST", "/la/schools/<urn>/visits/<visit_id>/delete"): (403,     403,      403,      403,     404,      404),
    ("GET",  "/la/insight"):                                (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/insight/distributions"):                  (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/insight/best-practice"):                  (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/insight/schools/<urn>"):                  (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/exports/schools.csv"):                    (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/exports/schools.xlsx"):                   (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/exports/shareable-summary.csv"):          (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/reminders/"):                             (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/year-on-year"):                           (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/year-on-year.csv"):                       (403,     403,      403,      403,     OK,       OK),
    # Moderation and the panel (school A has started, not submitted: every step is refused with the reason).
    ("GET",  "/la/schools/<urn>/review"):                   (403,     403,      403,      403,     OK,       OK),
    ("POST", "/la/schools/<urn>/review/start"):             (403,     403,      403,      403,     REFUSED,  REFUSED),
    ("POST", "/la/schools/<urn>/review/agree-with-the-rest"): (403,   403,      403,      403,     REFUSED,  REFUSED),
    ("POST", "/la/schools/<urn>/review/return"):            (403,     403,      403,      403,     REFUSED,  REFUSED),
    ("POST", "/la/schools/<urn>/review/send-to-panel"):     (403,     403,      403,      403,     REFUSED,  REFUSED),
    ("GET",  "/la/schools/<urn>/review/<criterion_id>"):    (403,     403,      403,      403,     404,      404),
    ("POST", "/la/schools/<urn>/review/<criterion_id>"):    (403,     403,      403,      403,     404,      404),
    ("GET",  "/la/schools/<urn>/panel"):                    (403,     403,      403,      403,     OK,       OK),
    ("POST", "/la/schools/<urn>/panel"):                    (403,     403,      403,      403,     REFUSED,  REFUSED),
    ("GET",  "/school/<urn>/feedback/"):                    (OK,      OK,       OK,       404,     OK,       OK),
    ("POST", "/school/<urn>/feedback/<criterion_id>"):      (404,     404,      403,      404,     403,      403),
    # Framework versions (school A is on the only version there is: moving is refused with the reason).
    ("POST", "/school/<urn>/self-evaluation/confirm/<criterion_id>"): (DONE, DONE, 403,     404,     403,      403),
    ("POST", "/school/<urn>/self-evaluation/confirm-heading/<heading_id>"): (DONE, DONE, 403, 404,  403,      403),
    ("GET",  "/la/frameworks"):                             (403,     403,      403,      403,     OK,       OK),
    ("GET",  "/la/frameworks/<framework_id>/move/<version>"): (403,   403,      403,      403,     403,      OK),
    ("POST", "/la/frameworks/<framework_id>/move/<version>"): (403,   403,      403,      403,     403,      REFUSED),
    ("GET",  "/la/frameworks/<framework_id>/moved/<version>"): (403,  403,      403,      403,     403,      OK),
    ("GET",  "/la/schools/<urn>/framework-version"):        (403,     403,      403,      403,     403,      OK),
    ("POST", "/la/schools/<urn>/framework-version"):        (403,     403,      403,      403,     403,      REFUSED),
}
# fmt: on


def expected(method: str, rule: str, actor: str) -> str | int:
    return SIGN_IN if actor == "signed out" else EXPECTED[method, rule][list(SIGNED_IN_ACTORS).index(actor)]


def case(world: World, method: str, rule: str, actor: str) -> tuple[str, dict[str, str]]:
    """The path and answers for one route, for school A: targets the last admin where that changes nothing."""
    pending_for = {"school A admin": "one@gmail.com", "LA admin": "two@gmail.com"}  # each declines their own
    values = {
        "urn": SCHOOL_A,
        "user_id": world.ids[SENCO_A],
        "import_id": world.ids["import"],
        "decision": "decline",
        "heading_id": "leadership",
        "action_id": "no-such-action",  # refused or not found before any action is looked at
        "item_id": "attendance",  # empty notes change nothing; an upload without a file is refused
        "file_id": "0" * 32,  # refused or not found before any file is looked at
        "stage_number": "3",  # clearing a stage that was never reached changes nothing
        "visit_id": "no-such-visit",  # not found before any visit is looked at
        "criterion_id": "PRI-LEAD-01",  # nothing submitted yet: nothing to moderate or reply to; nothing flagged
        "framework_id": "primary",
        "version": "1",  # the only version: nothing to move to it
    }
    if "<decision>" in rule:
        values["user_id"] = world.ids[pending_for.get(actor, "one@gmail.com")]
    path = re.sub(r"<(\w+)>", lambda match: values[match.group(1)], rule)
    data = {"role": "viewer"} if rule.endswith("/role") else {}  # demoting the only admin is refused
    return path, data


def test_the_permission_table_covers_every_school_and_la_route(world) -> None:
    routes = {
        (method, rule.rule)
        for rule in world.app.url_map.iter_rules()
        if rule.rule.startswith(("/school/<urn>", "/la/"))
        for method in sorted(rule.methods & {"GET", "POST"})
    }
    assert routes == set(EXPECTED)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "rule"), list(EXPECTED), ids=[f"{m} {r}" for m, r in EXPECTED])
def test_who_may_use_each_route(world, method, rule, actor) -> None:
    path, data = case(world, method, rule, actor)
    want = expected(method, rule, actor)

    response = world.request(actor, method, path, data)

    if want == SIGN_IN:
        # 303 where a form of typed text was posted: the text is kept for after signing in (kept_text)
        assert response.status_code in (302, 303) and location_path(response) == "/sign-in"
    elif want == DONE:
        assert response.status_code == 302 and location_path(response) != "/sign-in"
    elif want == REFUSED:  # the page itself answered: its form with the reason, not a permission error
        page = Page(response)
        assert page.status == 400 and page.title.startswith("Error:"), page.main_text
    elif want == OK:
        assert response.status_code == 200
    else:
        assert response.status_code == want
        assert Page(response).title == {403: NOT_ALLOWED, 404: NOT_FOUND}[want]


@pytest.mark.parametrize(
    ("actor", "method", "path"),
    [
        ("school A admin", "GET", "/school/900001/team/{maths}/role"),
        ("school A admin", "POST", "/school/900001/team/{maths}/role"),
        ("school A admin", "POST", "/school/900001/team/{maths}/remove"),
        ("school A admin", "GET", "/school/900001/team/{maths}/hand-over"),
        ("school A admin", "POST", "/school/900001/team/{maths}/hand-over"),
        ("school A admin", "POST", "/school/900001/requests/{b_applicant}/approve"),
        ("school A admin", "POST", "/school/900001/requests/{maths}/approve"),
        ("school A admin", "POST", "/school/900001/requests/{one}/promote"),
        ("school A admin", "GET", "/school/900001/team/{nobody}/role"),
        ("school A admin", "POST", "/school/900001/team/{nobody}/remove"),
        ("school A admin", "POST", "/school/900001/team/{one}/remove"),
        ("school A admin", "GET", "/school/999999/team"),
        ("LA admin", "POST", "/school/900001/team/{maths}/role"),
        ("LA admin", "POST", "/school/900001/team/{maths}/remove"),
        ("LA admin", "POST", "/school/900001/requests/{b_applicant}/approve"),
        ("LA admin", "POST", "/school/900001/requests/{nobody}/decline"),
        ("LA admin", "GET", "/school/999999/"),
        ("LA admin", "POST", "/la/schools/import/{nobody}"),
        ("LA admin", "POST", "/la/schools/import/not-an-import"),
        ("LA reviewer", "GET", "/school/999999/team"),
        ("LA reviewer", "GET", "/la/schools/999999/review"),
        ("LA reviewer", "POST", "/la/schools/999999/review/start"),
        ("LA reviewer", "GET", "/la/schools/999999/panel"),
        ("LA reviewer", "GET", "/la/schools/not-a-urn/review"),
    ],
)
def test_ids_from_another_school_or_nowhere_are_not_found(world, actor, method, path) -> None:
    ids = {
        "maths": world.ids[MATHS_B],
        "b_applicant": world.ids["b@gmail.com"],
        "one": world.ids["one@gmail.com"],
        "nobody": secrets.token_hex(16),
    }
    before = everything_stored(world.app)

    response = world.request(actor, method, path.format(**ids), {"role": "viewer"})

    assert response.status_code == 404
    assert everything_stored(world.app) == before


SCHOOL_B_ROUTES = [(method, rule) for method, rule in EXPECTED if rule.startswith("/school/")]


@pytest.mark.parametrize("actor", ["school A admin", "school A contributor", "school A viewer"])
@pytest.mark.parametrize(("method", "rule"), SCHOOL_B_ROUTES, ids=[f"{m} {r}" for m, r in SCHOOL_B_ROUTES])
def test_school_a_never_reads_or_changes_school_b(world, actor, method, rule) -> None:
    values = {"urn": SCHOOL_B, "user_id": world.ids[MATHS_B], "decision": "approve", "heading_id": "leadership"}
    values["action_id"] = "no-such-action"
    values |= {"item_id": "attendance", "file_id": "0" * 32, "criterion_id": "PRI-LEAD-01"}
    if "<decision>" in rule:
        values["user_id"] = world.ids["b@gmail.com"]
    path = re.sub(r"<(\w+)>", lambda match: values[match.group(1)], rule)
    before = school_document(world.app, SCHOOL_B)

    response = world.request(actor, method, path, {"name": "Spy", "email": "spy@gmail.com", "role": "admin"})

    assert response.status_code == 404
    assert "Hillcrest" not in response.get_data(as_text=True)
    assert school_document(world.app, SCHOOL_B) == before


# 4. Importing the school list -------------------------------------------------------------------------------------

NEW_SCHOOLS = [
    gias_row("900101", "Willow Lane Primary School", postcode="AB9 1AA", email="office@willow-lane.example.org"),
    gias_row(
        "900102", "Harbour High School", phase="Secondary", postcode="AB9 2BB", website="https://harbour.example.org"
    ),
]


def test_importing_a_gias_file_shows_a_preview_then_stores_only_when_confirmed(app, client, sign_in) -> None:
    sign_in(LA_ADMIN)
    schools_before = everything_stored(app)["schools"]

    preview = upload(client, gias_csv([*NEW_SCHOOLS, demo_row(SCHOOL_A)]))

    assert (preview.status, preview.title) == (200, "Check the import")
    assert preview.list_items[:5] == [
        "2 new schools",
        "0 schools with changed details",
        "1 schools unchanged",
        "0 rows with problems (not imported)",
        "0 closed schools skipped",
    ]
    assert [(row["School"], row["Change"]) for row in preview.table("Phase")] == [
        ("Willow Lane Primary School", "New"),
        ("Harbour High School", "New"),
    ]
    assert everything_stored(app)["schools"] == schools_before

    response = post(client, confirm_path(preview))

    assert location_path(response) == "/la/"
    dashboard = Page(client.get("/la/"))
    assert "Import complete: 2 schools added, 0 updated, 1 unchanged." in dashboard.messages
    assert "Willow Lane Primary School" in dashboard.main_text
    willow = school_document(app, "900101")
    assert willow["framework"] == "primary"
    assert willow["contact_email"] == "office@willow-lane.example.org"
    assert school_document(app, "900102")["framework"] == "secondary"


def test_importing_the_same_file_again_changes_nothing(app, client, sign_in) -> None:
    sign_in(LA_ADMIN)
    raw = gias_csv([*NEW_SCHOOLS, demo_row(SCHOOL_A)])
    post(client, confirm_path(upload(client, raw)))
    schools_after_first = everything_stored(app)["schools"]

    again = upload(client, raw)

    assert again.list_items[:3] == ["0 new schools", "0 schools with changed details", "3 schools unchanged"]
    post(client, confirm_path(again))
    assert "Import complete: 0 schools added, 0 updated, 3 unchanged." in Page(client.get("/la/")).messages
    assert everything_stored(app)["schools"] == schools_after_first


def test_a_renamed_school_shows_as_changed_and_keeps_its_team(app, client, sign_in) -> None:
    register(app.test_client(), SCHOOL_A, "Sam Newcomer", "SENCo", "sam.newcomer@gmail.com")
    sign_in(LA_ADMIN)
    team_before, pending_before = team_of(app, SCHOOL_A), pending_at(app, SCHOOL_A)

    preview = upload(client, gias_csv([{**demo_row(SCHOOL_A), "EstablishmentName": "Oakfield Primary and Nursery"}]))

    assert preview.list_items[:3] == ["0 new schools", "1 schools with changed details", "0 schools unchanged"]
    assert preview.table("Phase") == [
        {"School": "Oakfield Primary and Nursery", "URN": "900001", "Phase": "Primary", "Change": "Details updated"}
    ]
    assert school_document(app, SCHOOL_A)["name"] == "Oakfield Primary School"

    post(client, confirm_path(preview))

    assert school_document(app, SCHOOL_A)["name"] == "Oakfield Primary and Nursery"
    assert team_of(app, SCHOOL_A) == team_before == {SENCO_A: "admin", GOVERNOR_A: "viewer"}
    assert pending_at(app, SCHOOL_A) == pending_before == ["sam.newcomer@gmail.com"]
    assert Page(sign_in_as(app, SENCO_A).get("/school/900001/")).h1 == "Oakfield Primary and Nursery"


def test_bad_rows_are_listed_with_their_lines_and_only_good_rows_are_imported(app, client, sign_in) -> None:
    sign_in(LA_ADMIN)
    rows = [
        gias_row("900201", "Good Primary School"),  # line 2
        gias_row("12AB", "Bad URN School"),
        gias_row("900201", "Copy of Good Primary School"),
        gias_row("900203", "Pupil Referral Unit", phase="Not applicable"),
        gias_row("900204", "Nowhere School", postcode="NOT A POSTCODE"),
        gias_row("900205", "No Email School", email="office-at-school"),
        gias_row("900206", "Closed School", status="Closed"),
        gias_row("900207", "Another Good School", phase="Nursery"),  # line 9
    ]

    preview = upload(client, gias_csv(rows))

    assert preview.list_items[:5] == [
        "2 new schools",
        "0 schools with changed details",
        "0 schools unchanged",
        "5 rows with problems (not imported)",
        "1 closed schools skipped",
    ]
    assert [(row["Line"], row["URN"], row["Problem"]) for row in preview.table("Problem")] == [
        ("3", "12AB", "The URN must be 6 or 7 digits."),
        ("4", "900201", "This URN is already on line 2."),
        ("5", "900203", "The phase 'Not applicable' has no Quality Mark framework."),
        ("6", "900204", "The postcode 'NOT A POSTCODE' is not a UK postcode."),
        ("7", "900205", "The contact email 'office-at-school' is not an email address."),
    ]
    post(client, confirm_path(preview))
    imported = {urn for urn in everything_stored(app)["schools"] if urn.startswith("9002")}
    assert imported == {"900201", "900207"}
    assert school_document(app, "900201")["name"] == "Good Primary School"


EMPTY_FILE = "The file is empty. Choose the CSV file you downloaded from Get Information about Schools."


@pytest.mark.parametrize(
    ("filename", "raw", "message"),
    [
        pytest.param(
            "schools.csv",
            gias_csv([NEW_SCHOOLS[0]], columns=[c for c in GIAS_COLUMNS if c != "URN"]),
            "The file is missing the column URN. Use the full 'all establishment data' export from Get Information "
            "about Schools.",
            id="no URN column",
        ),
        pytest.param("schools.csv", b"", EMPTY_FILE, id="empty file"),
        pytest.param("", b"", EMPTY_FILE, id="no file chosen"),
        pytest.param(
            "schools.xlsx",
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
            "The file must be a CSV file. Save it as 'CSV (comma delimited)' and try again.",
            id="a spreadsheet, not CSV",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_message(world, filename, raw, message) -> None:
    app, client = world.app, world.browsers["LA admin"]
    before = everything_stored(app)

    page = upload(client, raw, filename)

    assert page.status == 400
    assert page.title == "Error: Import the school list"
    assert page.error_links == [("#schools_file", message)]
    page.assert_error_links_lead_to_fields()
    assert everything_stored(app) == before


def test_a_windows_1252_file_is_read_with_its_curly_quotes(app, client, sign_in) -> None:
    sign_in(LA_ADMIN)
    raw = gias_csv([gias_row("900301", "Saint Mary’s Catholic Primary School")], encoding="cp1252")
    assert b"Mary\x92s" in raw

    preview = upload(client, raw)
    assert preview.table("Phase")[0]["School"] == "Saint Mary’s Catholic Primary School"
    post(client, confirm_path(preview))

    assert school_document(app, "900301")["name"] == "Saint Mary’s Catholic Primary School"


def test_an_import_can_be_confirmed_only_by_the_la_admin_who_uploaded_it_and_only_once(app, client, sign_in) -> None:
    with app.app_context():
        accounts.ensure_user(get_store(), "second.admin@example.org", "Second LA Admin", la_role="admin")
    sign_in(LA_ADMIN)
    confirm = confirm_path(upload(client, gias_csv(NEW_SCHOOLS)))

    other_admin = sign_in_as(app, "second.admin@example.org")
    assert post(other_admin, confirm).status_code == 404
    assert school_document(app, "900101") is None

    assert location_path(post(client, confirm)) == "/la/"
    assert school_document(app, "900101") is not None
    assert post(client, confirm).status_code == 404


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(b"", "The file is empty.", id="empty"),
        pytest.param(b" \r\n\r\n", "The file is empty.", id="blank lines"),
        pytest.param(b"URN,Name\x00\x00\x00", "The file must be a CSV file.", id="binary"),
        pytest.param(b"x" * (schools.MAX_FILE_BYTES + 1), "The file is larger than 5 MB.", id="too large"),
        pytest.param(
            gias_csv([], columns=[c for c in GIAS_COLUMNS if c != "URN"]), "missing the column URN.", id="no URN"
        ),
        pytest.param(
            gias_csv([], columns=["URN", "EstablishmentName"]),
            "missing the columns PhaseOfEducation (name), Postcode.",
            id="two columns missing",
        ),
    ],
)
def test_read_gias_csv_refuses_files_it_cannot_use(raw, message) -> None:
    preview = schools.read_gias_csv(raw, FRAMEWORKS)

    assert message in preview.file_error
    assert preview.schools == []


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        pytest.param({"URN": "12AB"}, "The URN must be 6 or 7 digits.", id="letters in URN"),
        pytest.param({"URN": "90010"}, "The URN must be 6 or 7 digits.", id="5-digit URN"),
        pytest.param({"URN": ""}, "The URN must be 6 or 7 digits.", id="no URN"),
        pytest.param(
            {"EstablishmentName": ""}, "The school name is missing or longer than 200 characters.", id="no name"
        ),
        pytest.param(
            {"phase": "Not applicable"}, "The phase 'Not applicable' has no Quality Mark framework.", id="phase"
        ),
        pytest.param({"phase": ""}, "The phase 'blank' has no Quality Mark framework.", id="no phase"),
        pytest.param({"postcode": "AB1"}, "The postcode 'AB1' is not a UK postcode.", id="postcode"),
        pytest.param({"email": "office@"}, "The contact email 'office@' is not an email address.", id="email"),
        pytest.param(
            {"URN": "x", "postcode": ""},
            "The URN must be 6 or 7 digits; the postcode 'blank' is not a UK postcode.",
            id="two problems",
        ),
    ],
)
def test_read_gias_csv_reports_each_bad_row_with_its_line(row, problem) -> None:
    good = gias_row("900400", "Good School")
    preview = schools.read_gias_csv(gias_csv([good, gias_row("900401", "Bad School", **row)]), FRAMEWORKS)

    assert preview.row_errors == [(3, row.get("URN", "900401"), problem)]
    assert [school["urn"] for school in preview.schools] == ["900400"]


def test_read_gias_csv_reads_good_rows_tidied() -> None:
    raw = gias_csv(
        [
            gias_row(
                " 900500 ", " Oak Primary ", postcode="ab1 2cd", email=" Office@Oak.Example.org ", phase="PRIMARY"
            ),
            gias_row("900501", "Old School", status="Closed"),
            gias_row("9005020", "Seven Digit Secondary", phase="All-through", website="https://www.seven.example.org"),
        ]
    )

    preview = schools.read_gias_csv(raw, FRAMEWORKS)

    assert preview.file_error is None and preview.row_errors == []
    assert preview.skipped == [(3, "900501", "the school is closed")]
    assert preview.schools == [
        {
            "urn": "900500",
            "name": "Oak Primary",
            "phase": "PRIMARY",
            "framework": "primary",
            "la_name": "Demo Shire",
            "type": "Community school",
            "postcode": "AB1 2CD",
            "website": "",
            "contact_email": "office@oak.example.org",
        },
        {
            "urn": "9005020",
            "name": "Seven Digit Secondary",
            "phase": "All-through",
            "framework": "secondary",
            "la_name": "Demo Shire",
            "type": "Community school",
            "postcode": "AB9 1XY",
            "website": "https://www.seven.example.org",
            "contact_email": "",
        },
    ]


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        pytest.param(
            gias_csv([gias_row("900600", "Saint Mary’s School")], encoding="cp1252"), "Saint Mary’s School", id="cp1252"
        ),
        pytest.param(
            b"\xef\xbb\xbf" + gias_csv([gias_row("900600", "Ysgol Gymraeg Bro Dâr")]),
            "Ysgol Gymraeg Bro Dâr",
            id="UTF-8 with a byte-order mark",
        ),
        pytest.param(gias_csv([gias_row("900600", "Saint Mary’s School")]), "Saint Mary’s School", id="UTF-8"),
    ],
)
def test_read_gias_csv_decodes_excel_and_utf8_files(raw, name) -> None:
    preview = schools.read_gias_csv(raw, FRAMEWORKS)

    assert preview.file_error is None
    assert [school["name"] for school in preview.schools] == [name]


def test_read_gias_csv_refuses_phases_without_a_framework_in_the_content() -> None:
    raw = gias_csv([gias_row("900700", "High School", phase="Secondary")])

    preview = schools.read_gias_csv(raw, {"primary"})

    assert preview.row_errors == [(2, "900700", "The phase 'Secondary' has no Quality Mark framework.")]


# 5. The audit log ----------------------------------------------------------------------------------------------------


def test_every_account_change_is_in_the_audit_log_without_any_sign_in_token(app, client, sign_in, outbox) -> None:
    started = app.extensions["clock"].now()
    register(app.test_client(), SCHOOL_A, "Sam Newcomer", "SENCo", "sam.newcomer@gmail.com")
    register(app.test_client(), "900002", "Riverside Office", "Manager", "office@riverside-primary.example.org")
    sign_in(SENCO_A)
    sam, governor = user_id(app, "sam.newcomer@gmail.com"), user_id(app, GOVERNOR_A)
    post(client, f"/school/900001/requests/{sam}/approve", {f"request-{sam}-role": "contributor"})
    post(client, "/school/900001/team/invite", {"name": "Pat Trustee", "email": "pat@gmail.com", "role": "viewer"})
    pat = user_id(app, "pat@gmail.com")
    post(client, f"/school/900001/team/{pat}/role", {"role": "contributor"})
    post(client, f"/school/900001/team/{governor}/remove")
    post(client, f"/school/900001/team/{pat}/hand-over")
    la_admin = sign_in_as(app, LA_ADMIN)
    post(la_admin, confirm_path(upload(la_admin, gias_csv(NEW_SCHOOLS))))

    senco, la = user_id(app, SENCO_A), user_id(app, LA_ADMIN)
    office = user_id(app, "office@riverside-primary.example.org")
    entries = audit_entries(app)
    logged = {(entry["actor"], entry["action"], entry["target"]) for entry in entries}
    assert {
        (sam, "registered (pending)", "school 900001"),
        (office, "registered (admin)", "school 900002"),
        (senco, "signed in", senco),
        (senco, "registration approved", sam),
        (senco, "added to team as viewer", pat),
        (senco, "role changed from viewer to contributor", pat),
        (senco, "removed from team", governor),
        (senco, "handed over school admin", pat),
        (la, "signed in", la),
        (la, "imported schools", "school list"),
    } <= logged
    import_entry = next(entry for entry in entries if entry["action"] == "imported schools")
    assert import_entry["details"] == {"new": 2, "changed": 0, "unchanged": 0}
    for entry in entries:
        if entry["actor"] == "anonymous":
            continue  # the demo data, made from the command line
        at = datetime.fromisoformat(entry["at"])
        assert entry["at"].endswith("+00:00") and at.utcoffset() == timedelta(0)
        assert started - timedelta(seconds=2) <= at <= app.extensions["clock"].now() + timedelta(seconds=2)
        assert entry["from"] == "127.0.0.1"

    tokens = {token for message in outbox.messages() for token in re.findall(r"token=([\w-]+)", message.get_content())}
    assert len(tokens) >= 3  # the registration link and two sign-ins
    with app.app_context():
        logged_text = json.dumps(audit.recent(get_store(), days=3650))
    assert not [token for token in tokens if token in logged_text]


def test_the_la_admin_reads_the_audit_log(app, client, sign_in) -> None:
    register(app.test_client(), SCHOOL_A, "Sam Newcomer", "SENCo", "sam.newcomer@gmail.com")
    sign_in(SENCO_A)
    sam = user_id(app, "sam.newcomer@gmail.com")
    post(client, f"/school/900001/requests/{sam}/approve", {f"request-{sam}-role": "contributor"})

    page = Page(sign_in_as(app, LA_ADMIN).get("/la/audit"))

    assert (page.status, page.h1) == (200, "Audit log")
    rows = page.table("What")
    assert {
        "Who": "Demo SENCo, Oakfield",
        "What": "registration approved (900001)",
        "To whom": "Sam Newcomer",
        "From": "127.0.0.1",
    }.items() <= rows[1].items()  # newest first: the LA admin's own sign-in is on top
    assert rows[0]["What"] == "signed in" and rows[0]["Who"] == "Demo LA Admin"
    assert {"registered (pending)", "signed in", "registration approved (900001)"} <= {row["What"] for row in rows}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", row["When (UTC)"]) for row in rows)


# Who may register into a school: the stricter rules ----------------------------------------------------


def test_a_local_authority_account_cannot_register_into_a_school(app: Any, client: Any) -> None:
    before = everything_stored(app)

    page = register(client, "900003", "Demo LA Admin", "Coordinator", LA_ADMIN)

    assert (page.status, page.title) == (200, "Registration received")  # as for any address (see test_school_takeover)
    assert role_at(app, "900003", LA_ADMIN) is None
    assert pending_at(app, "900003") == []
    assert everything_stored(app) == before


def test_registrations_are_rate_limited_per_address(app: Any, client: Any) -> None:
    address = "someone@gmail.com"
    statuses = [register(client, "900003", "Demo Repeat", "SENCo", address).status for _ in range(6)]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    assert sum(1 for message in emails(app) if message["To"] == address) == 5


@pytest.mark.parametrize(
    ("website", "email", "trusted"),
    [
        ("https://www.oakfield-primary.example.org", "new.lead@oakfield-primary.example.org", True),
        ("https://sites.google.com/view/oakfield", "someone@sites.google.com", False),
        ("https://oakfield.wordpress.com", "someone@oakfield.wordpress.com", False),
        ("https://www.council.gov.uk/oakfield", "officer@council.gov.uk", False),
        ("https://schools.trust.example.org/oakfield", "anyone@schools.trust.example.org", False),
    ],
)
def test_only_a_school_s_own_domain_makes_someone_its_lead_at_once(website: str, email: str, trusted: bool) -> None:
    from form_service.registration import is_trusted_registrant

    school = {"urn": "900001", "website": website, "contact_email": ""}
    # A trust or council hosting several schools' websites on one domain: no single school owns it.
    sister = {"urn": "900099", "website": "https://schools.trust.example.org/elm", "contact_email": ""}
    assert is_trusted_registrant(school, email, [school, sister]) is trusted
