"""The form service in a real browser, served with the built site on one origin over real HTTP.

Each test drives Debian's Chromium the way a person would (roles and labels, not CSS selectors) and runs
axe-core at WCAG 2.2 AA on every page and state it passes through. The service sends a Content Security
Policy without inline scripts, so contexts that inject axe bypass it; one test checks the policy itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect

from tests.browser import Axe, Service, axe_violations, build_site, describe_violations, running_service

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
DEMO_SCHOOLS_CSV = REPO_ROOT / "form_service" / "demo" / "schools.csv"

RIVERSIDE = "Riverside Community Primary School"
NEW_SENCO = "newsenco@riverside-primary.example.org"
GOVERNOR = "governor@riverside-primary.example.org"
OAKFIELD_SENCO = "senco@oakfield-primary.example.org"
NEWCOMER_OAKFIELD = "newcomer@oakfield-primary.example.org"
LA_ADMIN = "la.admin@example.org"


# The service: site and service on one origin, on a free loopback port ------------------------------------


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("site-build"))


@pytest.fixture
def start_service(site_dir: Path, tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Start a fresh service (its own data folder, demo people and schools); settings may be overridden."""
    with ExitStack() as stack:

        def start(**overrides: Any) -> Service:
            data_dir = tmp_path / f"data-{len(list(tmp_path.glob('data-*')))}"
            return stack.enter_context(running_service(site_dir, data_dir, **overrides))

        yield start


@pytest.fixture
def service(start_service: Callable[..., Service]) -> Service:
    return start_service()


# The browser ----------------------------------------------------------------------------------------------


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts (a person with no cookies), closed after the test. Axe needs `bypass_csp`."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "bypass_csp": True, **options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def sign_in(page: Page, service: Service, address: str, axe: Axe | None = None) -> None:
    """Ask for a sign-in link, open it from the email and press Continue, as a person does."""
    page.goto(service.url + "/sign-in")
    expect(heading(page)).to_have_text("Sign in")
    if axe:
        axe(page, "sign in")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(heading(page)).to_have_text("Check your email")
    if axe:
        axe(page, "check your email")
    continue_signing_in(page, service, address, axe)


def continue_signing_in(page: Page, service: Service, address: str, axe: Axe | None = None) -> None:
    page.goto(service.link_in_email(address))
    expect(heading(page)).to_have_text("Continue signing in")
    if axe:
        axe(page, "continue signing in")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def register(page: Page, urn: str, name: str, job_title: str, address: str) -> None:
    page.get_by_label("School URN").fill(urn)
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Job title").fill(job_title)
    page.get_by_label("Work email address").fill(address)
    page.get_by_role("button", name="Continue").click()


def add_colleague(page: Page, name: str, address: str, role: str) -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(address)
    page.get_by_role("radio", name=re.compile("^" + role)).check()
    page.get_by_role("button", name="Add colleague").click()


def error_summary(page: Page) -> Locator:
    return page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))


# 1. The whole journey, with JavaScript ------------------------------------------------------------------


def test_register_sign_in_and_build_a_team_with_every_page_passing_axe(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    axe = Axe()
    page = new_context().new_page()

    # The service's start page leads to registration.
    page.goto(service.url + "/")
    expect(heading(page)).to_have_text("Your school's self-evaluation")
    axe(page, "start")
    page.get_by_role("link", name="Register your school").click()
    expect(heading(page)).to_have_text("Register your school")
    assert page.url == service.url + "/register"
    axe(page, "register")

    # Sending the form empty shows the error summary, focused, and each of its links focuses its field.
    page.get_by_role("button", name="Continue").click()
    summary = error_summary(page)
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: Register your school"))
    axe(page, "register with errors")
    for message, label in [
        ("Enter the school's URN", "School URN"),
        ("Enter your full name", "Full name"),
        ("Enter your job title", "Job title"),
        ("Enter your email address", "Work email address"),
    ]:
        summary.get_by_role("link", name=re.compile(re.escape(message))).click()
        expect(page.get_by_label(label)).to_be_focused()

    register(page, "900002", "Demo New SENCo", "SENCo", NEW_SENCO)
    expect(heading(page)).to_have_text("Check your details")
    expect(page.get_by_text(f"{RIVERSIDE} (URN 900002)")).to_be_visible()
    expect(page.get_by_text(NEW_SENCO)).to_be_visible()
    axe(page, "check your details")
    page.get_by_role("button", name="Register").click()
    expect(heading(page)).to_have_text("Registration complete")
    expect(page.get_by_text(f"You are now the school lead for {RIVERSIDE}")).to_be_visible()
    axe(page, "registration complete")

    # The emailed link, then Continue, signs the new school lead in on the school's page.
    continue_signing_in(page, service, NEW_SENCO, axe)
    assert page.url == service.url + "/school/900002/"
    expect(heading(page)).to_have_text(RIVERSIDE)
    expect(page.get_by_text("School lead (admin)")).to_be_visible()
    axe(page, "school home (school lead)")

    page.get_by_role("link", name="Manage the school's team").click()
    expect(heading(page)).to_have_text("Team")
    expect(page.get_by_role("row", name=re.compile("Demo New SENCo \\(you\\)"))).to_be_visible()
    axe(page, "team")

    page.get_by_role("link", name="Add a colleague").click()
    expect(heading(page)).to_have_text("Add a colleague")
    axe(page, "add a colleague")
    page.get_by_role("button", name="Add colleague").click()
    summary = error_summary(page)
    expect(summary).to_be_focused()
    axe(page, "add a colleague with errors")
    summary.get_by_role("link", name="Choose what this person can do").click()
    expect(page.get_by_role("radio").first).to_be_focused()
    summary.get_by_role("link", name="Enter the person's full name").click()
    expect(page.get_by_label("Full name")).to_be_focused()

    add_colleague(page, "Demo Governor, Riverside", GOVERNOR, "Viewer")
    expect(heading(page)).to_have_text("Team")
    expect(page.get_by_role("status")).to_have_text(
        "Demo Governor, Riverside has been added as viewer. We have emailed them."
    )
    governor_row = page.get_by_role("row", name=re.compile("Demo Governor, Riverside"))
    expect(governor_row).to_contain_text("Viewer")
    expect(governor_row).to_contain_text(GOVERNOR)
    axe(page, "team with a success message")

    # The governor signs in on their own device and can only look.
    governor = new_context().new_page()
    sign_in(governor, service, GOVERNOR, axe)
    assert governor.url == service.url + "/school/900002/"
    expect(heading(governor)).to_have_text(RIVERSIDE)
    expect(governor.get_by_text("Your role: Viewer")).to_be_visible()
    axe(governor, "school home (viewer)")
    governor.get_by_role("link", name="See the school's team").click()
    expect(heading(governor)).to_have_text("Team")
    expect(governor.get_by_role("row", name=re.compile("Demo New SENCo"))).to_contain_text("School lead (admin)")
    for control in ("Add a colleague", "Change role", "Remove", "Make school lead"):
        expect(governor.get_by_role("link", name=re.compile(control))).to_have_count(0)
        expect(governor.get_by_role("button", name=re.compile(control))).to_have_count(0)
    axe(governor, "team (viewer)")
    response = governor.goto(service.url + "/school/900002/team/invite")
    assert response is not None and response.status == 403
    expect(heading(governor)).to_have_text("There is a problem")
    expect(governor.get_by_text("You do not have permission")).to_be_visible()
    axe(governor, "403 page")
    response = governor.goto(service.url + "/nope")
    assert response is not None and response.status == 404
    expect(heading(governor)).to_have_text("Page not found")
    axe(governor, "404 page")

    # The local authority's pages.
    la = new_context().new_page()
    sign_in(la, service, LA_ADMIN)
    assert la.url == service.url + "/la/"
    expect(heading(la)).to_have_text("Schools in the programme")
    expect(la.get_by_role("row", name=re.compile(RIVERSIDE))).to_contain_text("Registered")
    axe(la, "LA dashboard")
    la.get_by_role("navigation", name="Local authority").get_by_role("link", name="Import schools").click()
    expect(heading(la)).to_have_text("Import the school list")
    axe(la, "LA import")
    la.get_by_label("Schools file (CSV, up to 5 MB)").set_input_files(DEMO_SCHOOLS_CSV)
    la.get_by_role("button", name="Check the file").click()
    expect(heading(la)).to_have_text("Check the import")
    expect(la.get_by_text("8 schools unchanged")).to_be_visible()
    axe(la, "LA import preview")
    la.goto(service.url + "/la/audit")
    expect(heading(la)).to_have_text("Audit log")
    expect(la.get_by_role("row", name=re.compile("added to team as viewer"))).to_contain_text(
        "Demo Governor, Riverside"
    )
    axe(la, "LA audit log")

    assert len(axe.checked) == 22, axe.checked
    axe.assert_clean()


# 2. Without JavaScript ----------------------------------------------------------------------------------


def test_the_journey_works_without_javascript(service: Service, new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(service.url + "/")
    page.get_by_role("link", name="Register your school").click()
    expect(heading(page)).to_have_text("Register your school")

    page.get_by_role("button", name="Continue").click()
    expect(error_summary(page)).to_contain_text("Enter the school's URN")
    register(page, "900002", "Demo New SENCo", "SENCo", NEW_SENCO)
    expect(heading(page)).to_have_text("Check your details")
    page.get_by_role("button", name="Register").click()
    expect(heading(page)).to_have_text("Registration complete")

    continue_signing_in(page, service, NEW_SENCO)
    assert page.url == service.url + "/school/900002/"
    page.get_by_role("link", name="Manage the school's team").click()
    page.get_by_role("link", name="Add a colleague").click()
    expect(heading(page)).to_have_text("Add a colleague")
    add_colleague(page, "Demo Governor, Riverside", GOVERNOR, "Viewer")
    expect(page.get_by_role("status")).to_contain_text("Demo Governor, Riverside has been added as viewer")
    expect(page.get_by_role("row", name=re.compile("Demo Governor, Riverside"))).to_contain_text("Viewer")

    governor = new_context(java_script_enabled=False).new_page()
    sign_in(governor, service, GOVERNOR)
    expect(heading(governor)).to_have_text(RIVERSIDE)
    governor.get_by_role("button", name="Sign out").click()
    expect(heading(governor)).to_have_text("Sign in")
    expect(governor.get_by_role("status")).to_have_text("You have signed out.")


# 3. Keyboard only ---------------------------------------------------------------------------------------


def tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab until `target` has focus (fails if it is not reached within `limit` presses)."""
    reached = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
        reached.append(page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))
    pytest.fail(f"Tab never reached {target}; it reached: {reached}")


def skip_to_content(page: Page) -> None:
    """The first Tab stop is the skip link; it becomes visible, and Enter moves focus to the main content."""
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is off screen: {box}"
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def test_a_keyboard_user_signs_in_and_adds_a_colleague(service: Service, page: Page) -> None:
    page.goto(service.url + "/")
    skip_to_content(page)
    tab_to(page, page.get_by_role("link", name="Sign in"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Sign in")

    skip_to_content(page)
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(OAKFIELD_SENCO)
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Check your email")

    page.goto(service.link_in_email(OAKFIELD_SENCO))  # the person opens the link in their email
    skip_to_content(page)
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Space")
    expect(heading(page)).to_have_text("Oakfield Primary School")

    skip_to_content(page)
    tab_to(page, page.get_by_role("link", name="Manage the school's team"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Team")
    tab_to(page, page.get_by_role("link", name="Add a colleague"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Add a colleague")

    skip_to_content(page)
    tab_to(page, page.get_by_label("Full name"))
    page.keyboard.type("Demo Deputy Head, Oakfield")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type("deputy@oakfield-primary.example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_role("radio").first).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    viewer = page.get_by_role("radio", name=re.compile("^Viewer"))
    expect(viewer).to_be_focused()
    expect(viewer).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add colleague")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Demo Deputy Head, Oakfield has been added as viewer")


# 3b. A request to join a school that has a lead ----------------------------------------------------------


def test_the_school_lead_approves_a_newcomer_on_the_team_page_choosing_their_role(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    """An address on the school's own domain no longer makes a newcomer lead of a school that has one: the lead
    is asked, and approves on the team page with a role (radios, contributor offered first), by keyboard too."""
    axe = Axe()
    newcomer = new_context().new_page()
    newcomer.goto(service.url + "/register")
    register(newcomer, "900001", "Demo Newcomer, Oakfield", "Teaching assistant", NEWCOMER_OAKFIELD)
    newcomer.get_by_role("button", name="Register").click()
    expect(heading(newcomer)).to_have_text("Registration received")
    expect(newcomer.get_by_text("has gone to the school's existing lead and to the local authority")).to_be_visible()
    expect(newcomer.get_by_text(re.compile("link in your email"))).to_have_count(0)
    axe(newcomer, "registration received (request to the school's lead)")

    lead = new_context().new_page()
    lead.goto(service.link_in_email(OAKFIELD_SENCO, "/school/900001/team"))  # the link in the email about it
    expect(heading(lead)).to_have_text("Sign in")
    sign_in(lead, service, OAKFIELD_SENCO)
    lead.goto(service.url + "/school/900001/team")
    expect(lead.get_by_role("heading", name="Waiting for approval")).to_be_visible()
    request = lead.get_by_role("region", name="Demo Newcomer, Oakfield")
    roles = request.get_by_role("group", name="If you approve Demo Newcomer, Oakfield, what can they do?")
    expect(roles.get_by_role("radio", name=re.compile("^Contributor"))).to_be_checked()
    axe(lead, "team with a request waiting")
    lead.set_viewport_size({"width": 375, "height": 740})  # on a phone, nothing widens the page (WCAG 1.4.10)
    widths = lead.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the team page is {widths[0]}px wide on a {widths[1]}px screen"
    lead.set_viewport_size({"width": 1280, "height": 900})

    roles.get_by_role("radio", name=re.compile("^Contributor")).focus()
    lead.keyboard.press("ArrowDown")
    expect(roles.get_by_role("radio", name=re.compile("^Viewer"))).to_be_checked()
    lead.keyboard.press("Tab")
    approve = request.get_by_role("button", name="Approve Demo Newcomer, Oakfield")
    expect(approve).to_be_focused()
    lead.keyboard.press("Enter")
    expect(lead.get_by_role("status")).to_have_text("Demo Newcomer, Oakfield is approved as viewer.")
    expect(lead.get_by_role("row", name=re.compile("Demo Newcomer, Oakfield"))).to_contain_text("Viewer")
    expect(lead.get_by_role("heading", name="Waiting for approval")).to_have_count(0)
    axe(lead, "team after approving")

    # Adding them again says they are in the team already, changes nothing, and leads to "Change role".
    lead.get_by_role("link", name="Add a colleague").click()
    add_colleague(lead, "Demo Newcomer, Oakfield", NEWCOMER_OAKFIELD, "School lead")
    expect(error_summary(lead)).to_contain_text("is already in the team, as viewer")
    axe(lead, "add a colleague: already in the team")
    lead.get_by_role("link", name="change Demo Newcomer, Oakfield's role").click()
    expect(heading(lead)).to_have_text("Change Demo Newcomer, Oakfield's role")
    expect(lead.get_by_role("radio", name=re.compile("^Viewer"))).to_be_checked()

    assert len(axe.checked) == 4, axe.checked
    axe.assert_clean()


# 4. The service looks like part of the site ------------------------------------------------------------


def test_service_pages_look_like_the_guidance_site(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    # Without bypassing the CSP: the service's pages must work under their own policy.
    page = new_context(bypass_csp=False).new_page()
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            console_errors.append(f"{message.text} ({message.location['url']})") if message.type == "error" else None
        ),
    )

    def look(path: str) -> dict[str, Any]:
        page.goto(service.origin + path)
        return {
            "header": page.locator(".md-header").evaluate("e => getComputedStyle(e).backgroundColor"),
            "tabs background": page.locator(".md-tabs").evaluate("e => getComputedStyle(e).backgroundColor"),
            "font": page.locator("body").evaluate("e => getComputedStyle(e).fontFamily"),
            "tabs": [text.strip() for text in page.locator(".md-tabs__link").all_inner_texts()],
        }

    site = look("/")
    responses.clear()
    app = look("/app/")
    assert app["header"] == site["header"] != "rgba(0, 0, 0, 0)"
    assert app["tabs background"] == site["tabs background"]
    assert app["font"] == site["font"]
    for tab in ("Home", "For parents", "Criteria", "Stages", "Key dates", "Contacts"):
        assert tab in site["tabs"]
    assert app["tabs"] == [*site["tabs"], "Self-evaluation"]

    loaded = {
        response.url.removeprefix(service.origin): response.status
        for response in responses
        if response.request.resource_type == "stylesheet"
    }
    assert any(path.startswith("/assets/stylesheets/main.") for path in loaded), loaded
    assert "/stylesheets/extra.css" in loaded and "/app/static/service.css" in loaded, loaded
    failed = {path: status for path, status in loaded.items() if status != 200}
    assert not failed, f"stylesheets that did not load: {failed}"
    failed = {response.url: response.status for response in responses if not response.ok}
    assert not failed, f"requests that failed on the service's start page: {failed}"
    assert not console_errors, console_errors

    # The site's tabs on a service page lead to the site.
    page.get_by_role("link", name="Criteria", exact=True).click()
    expect(heading(page)).to_have_text(re.compile("criteria", re.IGNORECASE))
    assert page.url == service.origin + "/criteria/"


def test_service_pages_fit_a_phone_screen(service: Service, new_context: Callable[..., BrowserContext]) -> None:
    """At 375 CSS pixels nothing widens the page (WCAG 1.4.10 reflow: tables scroll inside themselves)."""
    page = new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True).new_page()
    axe = Axe()

    def fits(state: str) -> None:
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{state}: the page is {widths[0]}px wide on a {widths[1]}px screen"
        axe(page, state)

    page.goto(service.url + "/")
    fits("start on a phone")
    page.goto(service.url + "/register")
    page.get_by_role("button", name="Continue").click()
    expect(error_summary(page)).to_be_focused()
    fits("register with errors on a phone")
    sign_in(page, service, OAKFIELD_SENCO)
    page.goto(service.url + "/school/900001/team")
    expect(heading(page)).to_have_text("Team")
    fits("team on a phone")
    axe.assert_clean()


# 5. The session timeout warning -------------------------------------------------------------------------


def test_the_timeout_warning_lets_a_person_stay_signed_in(start_service: Callable[..., Service], page: Page) -> None:
    service = start_service(SESSION_IDLE_MINUTES=3)  # the warning shows 2 minutes before: after 1 minute
    page.clock.install()
    sign_in(page, service, OAKFIELD_SENCO)
    expect(heading(page)).to_have_text("Oakfield Primary School")
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_hidden()
    # Only once service.js has made its dialog (and set its timer) does moving the clock on mean anything.
    expect(page.locator("dialog.qm-timeout")).to_be_attached()

    page.clock.fast_forward("01:05")
    expect(dialog).to_be_visible()
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    with page.expect_response(lambda response: response.url.endswith("/app/session/keep-alive")) as keep_alive:
        stay.click()
    assert keep_alive.value.request.method == "POST"
    assert keep_alive.value.status == 200
    expect(dialog).to_be_hidden()
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


# 6. Screenshots for people to look at (not an assertion) -------------------------------------------------


def test_save_screenshots_of_service_pages(service: Service, new_context: Callable[..., BrowserContext]) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = new_context().new_page()
    page.goto(service.url + "/")
    page.screenshot(path=SCREENSHOTS / "service-start.png", full_page=True)
    page.goto(service.url + "/register")
    page.get_by_role("button", name="Continue").click()
    expect(error_summary(page)).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "service-register-errors.png", full_page=True)

    sign_in(page, service, OAKFIELD_SENCO)
    page.goto(service.url + "/school/900001/team")
    expect(heading(page)).to_have_text("Team")
    page.screenshot(path=SCREENSHOTS / "service-team.png", full_page=True)

    la = new_context().new_page()
    sign_in(la, service, LA_ADMIN)
    expect(heading(la)).to_have_text("Schools in the programme")
    la.screenshot(path=SCREENSHOTS / "service-la-dashboard.png", full_page=True)
