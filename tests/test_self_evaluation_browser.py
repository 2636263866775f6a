"""The self-evaluation form in a real browser: saving as you type, lost connections, two tabs, personal data,
no JavaScript, the keyboard, checking and submitting, and axe-core on every page and state.

The service runs with the built site on one origin over real HTTP, as in test_service_browser.py. The
journeys run under the service's own Content Security Policy (no `bypass_csp`), so they prove that autosave
works under it; only the axe-core test bypasses the policy, to inject axe.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route, expect

from form_service.core.content import get_content
from tests.browser import Axe, build_site, running_service
from tests.browser import Service as BaseService

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"

SENCO = "senco@oakfield-primary.example.org"
URN = "900001"
SELF_EVALUATION = f"/school/{URN}/self-evaluation"
API = f"/api/schools/{URN}/self-evaluation"
LEADERSHIP = "Leadership and management of inclusion"
IDENTIFICATION = "Identification, assessment and review of need"
COMMENTARY = "Commentary: what the school does and its impact"

SAVED = re.compile(r"^Saved at \d\d:\d\d$")
OFFLINE = re.compile(r"^Not saved: no connection\. Your text is kept on this device")
REFERENCE = re.compile(r"^QM-900001-202627-[A-HJ-NP-Z2-9]{6}$")


# The service: site and service on one origin, on a free loopback port ------------------------------------


class Service(BaseService):
    """The running service, with the self-evaluation's own addresses."""

    def heading_url(self, heading_id: str) -> str:
        return f"{self.url}{SELF_EVALUATION}/{heading_id}"

    def required_criteria(self) -> list[str]:
        with self.app.app_context():
            framework = get_content().framework("primary")
        return [c.id for heading in framework.headings for c in heading.criteria if c.required]


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("site-build"))


@pytest.fixture
def service(site_dir: Path, tmp_path: Path) -> Iterator[Service]:
    """A fresh service (its own data folder, demo people and schools) on a free port."""
    with running_service(site_dir, tmp_path / "data", service_class=Service) as running:
        yield running


# The browser ----------------------------------------------------------------------------------------------


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts (a person with no cookies), closed after the test.

    They keep the service's Content Security Policy unless asked: only contexts that inject axe need
    `bypass_csp=True`.
    """
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        settings = {"viewport": {"width": 1280, "height": 900}, "timezone_id": "Europe/London", **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


class HeldSaves:
    """Holds the form's saves (PUTs to the API) until `release`, so a test can see the "Saving…" state."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.held: list[Route] = []
        self.holding = True
        page.route("**/app/api/schools/*/self-evaluation/answers/*", self._arrived)

    def _arrived(self, route: Route) -> None:
        if self.holding and route.request.method == "PUT":
            self.held.append(route)
        else:
            route.continue_()

    def release(self) -> None:
        """Let the held saves through, and stop intercepting (an intercepted request ignores `set_offline`)."""
        self.holding = False
        for route in self.held:
            route.continue_()
        self.held.clear()
        self.page.unroute_all(behavior="wait")


def console_errors(page: Page) -> list[str]:
    """Errors the page logs from now on (a script blocked by the CSP, an exception in autosave.js)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


# What a person does and sees -------------------------------------------------------------------------------


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def sign_in(page: Page, service: Service, address: str = SENCO) -> None:
    """Ask for a sign-in link, open it from the email and press Continue, as a person does."""
    page.goto(service.url + "/sign-in")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(heading(page)).to_have_text("Check your email")
    page.goto(service.link_in_email(address))
    expect(heading(page)).to_have_text("Continue signing in")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def open_overview(page: Page, service: Service) -> None:
    page.goto(service.url + SELF_EVALUATION + "/")
    expect(heading(page)).to_have_text("Self-evaluation")


def start_self_evaluation(page: Page, service: Service) -> None:
    open_overview(page, service)
    page.get_by_role("button", name="Start the self-evaluation").click()
    expect(heading(page)).to_have_text(LEADERSHIP)


def criterion(page: Page, criterion_id: str) -> Locator:
    """One criterion's part of a heading page (a region named by its ID and statement)."""
    return page.get_by_role("region", name=re.compile("^" + re.escape(criterion_id) + r"\b"))


def rating(page: Page, criterion_id: str, value: int) -> Locator:
    return criterion(page, criterion_id).get_by_role("radio", name=re.compile(f"^{value}: "))


def commentary(page: Page, criterion_id: str) -> Locator:
    return criterion(page, criterion_id).get_by_label(COMMENTARY)


def save_status(page: Page) -> Locator:
    """The autosave status line, announced politely to screen readers."""
    return page.get_by_role("status").and_(page.locator("#autosave-status"))


def progress(page: Page) -> Locator:
    return page.get_by_text(re.compile(r"^\d+ of \d+ criteria reviewed\.$"))


def overview_row(page: Page, title: str) -> Locator:
    """The cells of a heading's row in the overview's progress table."""
    return page.get_by_role("row", name=re.compile("^" + re.escape(title))).get_by_role("cell")


def restore_offer(page: Page) -> Locator:
    return page.locator("#restore-offer")


def answer(page: Page, criterion_id: str, value: int, text: str) -> None:
    """Choose a rating and type commentary, a key at a time, as a person does."""
    rating(page, criterion_id, value).check()
    commentary(page, criterion_id).press_sequentially(text)


def saved_answers(page: Page, service: Service) -> dict[str, Any]:
    """What the server holds now, through the JSON API (the same session as the page)."""
    response = page.request.get(service.url + API)
    assert response.ok, response.text()
    return response.json()["answers"]


def saved_commentary(page: Page, service: Service, criterion_id: str) -> str | None:
    stored = saved_answers(page, service).get(criterion_id)
    return stored["commentary"] if stored else None


def kept_on_device(page: Page, criterion_id: str) -> dict[str, Any] | None:
    """What autosave.js keeps in this browser's local storage for a criterion until the server has it."""
    prefix = page.locator("form[data-qm-autosave]").get_attribute("data-storage-key")
    return page.evaluate("key => JSON.parse(localStorage.getItem(key) || 'null')", f"{prefix}:{criterion_id}")


def fill_required_through_the_api(page: Page, service: Service) -> None:
    """Save a rating and commentary for every required criterion, as the form's script would."""
    form = page.locator("form[data-qm-autosave]")
    token, template = form.get_attribute("data-csrf"), form.get_attribute("data-api-url")
    assert token and template
    revisions = {cid: stored["revision"] for cid, stored in saved_answers(page, service).items()}
    for criterion_id in service.required_criteria():
        response = page.request.put(
            service.origin + template.replace("CRITERION", criterion_id),
            data={
                "rating": 3,
                "commentary": f"What we do for {criterion_id}.",
                "evidence": [],
                "base_revision": revisions.get(criterion_id, 0),
            },
            headers={"X-CSRFToken": token},
        )
        assert response.ok, f"{criterion_id}: {response.status} {response.text()}"


def error_summary(page: Page) -> Locator:
    return page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until `target` has focus (fails if it is not reached within `limit` presses)."""
    reached = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
        reached.append(page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))
    pytest.fail(f"Tab never reached {target}; it reached: {reached}")


def assert_focus_not_hidden(page: Page) -> None:
    """Some of the focused control is on screen and not under the sticky header or status (WCAG 2.2, 2.4.11)."""
    hidden = page.evaluate(
        """() => {
          const element = document.activeElement;
          const box = element.getBoundingClientRect();
          const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, innerHeight);
          if (bottom <= top) return `off screen (from y=${Math.round(box.top)} to ${Math.round(box.bottom)})`;
          const x = box.left + Math.min(box.width / 2, 12);
          const seen = [top + 2, (top + bottom) / 2, bottom - 2].map(y => document.elementFromPoint(x, y));
          const shows = seen.some(found => found && (element.contains(found) || found.control === element));
          return shows ? null : `covered by ${seen[1] ? seen[1].outerHTML.slice(0, 80) : 'nothing'}`;
        }"""
    )
    assert hidden is None, f"the focused control is hidden: {hidden}"


def screenshot(page: Page, name: str) -> None:
    """Pictures for people to look at (build/screenshots, git-ignored): not assertions."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")  # sticky parts (header, save status) drawn where they belong
    page.screenshot(path=SCREENSHOTS / name, full_page=True)


# 1. Saving as you type, over two visits ---------------------------------------------------------------------


def test_answers_save_as_you_type_and_are_there_on_the_next_visit(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context()  # the service's own Content Security Policy applies
    page = context.new_page()
    errors = console_errors(page)
    sign_in(page, service)
    start_self_evaluation(page, service)
    expect(progress(page)).to_have_text("0 of 7 criteria reviewed.")
    expect(save_status(page)).to_have_text("")

    # The saves are held back a moment so the "Saving…" state can be seen; no button is pressed.
    held = HeldSaves(page)
    answer(page, "PRI-LEAD-01", 3, "Inclusion is in the school development plan and reviewed each term.")
    answer(page, "PRI-LEAD-02", 2, "The SENCo is on the senior leadership team;\ngovernors receive termly reports.")
    expect(save_status(page)).to_have_text("Saving…")
    held.release()
    expect(save_status(page)).to_have_text(SAVED)
    expect(progress(page)).to_have_text("2 of 7 criteria reviewed.")
    stored = saved_answers(page, service)
    assert stored["PRI-LEAD-01"]["rating"] == 3
    assert stored["PRI-LEAD-02"]["commentary"].endswith("governors receive termly reports.")
    screenshot(page, "self-evaluation-heading-saved.png")

    page.reload()
    expect(heading(page)).to_have_text(LEADERSHIP)
    expect(rating(page, "PRI-LEAD-01", 3)).to_be_checked()
    expect(rating(page, "PRI-LEAD-02", 2)).to_be_checked()
    expect(commentary(page, "PRI-LEAD-01")).to_have_value(
        "Inclusion is in the school development plan and reviewed each term."
    )
    expect(commentary(page, "PRI-LEAD-02")).to_have_value(
        "The SENCo is on the senior leadership team;\ngovernors receive termly reports."
    )
    expect(progress(page)).to_have_text("2 of 7 criteria reviewed.")
    expect(restore_offer(page)).to_be_hidden()

    # The next heading, then the page is closed; the second visit finds everything.
    page.get_by_role("link", name=IDENTIFICATION).click()
    expect(heading(page)).to_have_text(IDENTIFICATION)
    expect(progress(page)).to_have_text("0 of 7 criteria reviewed.")
    answer(page, "PRI-IDEN-01", 4, "Staff use a graduated approach: assess, plan, do, review.")
    expect(progress(page)).to_have_text("1 of 7 criteria reviewed.")
    answer(page, "PRI-IDEN-02", 1, "Early identification in Reception is not yet consistent.")
    expect(progress(page)).to_have_text("2 of 7 criteria reviewed.")
    expect(save_status(page)).to_have_text(SAVED)
    assert not errors, errors
    page.close()

    page = context.new_page()
    errors = console_errors(page)
    page.goto(service.heading_url("identification"))
    expect(rating(page, "PRI-IDEN-01", 4)).to_be_checked()
    expect(rating(page, "PRI-IDEN-02", 1)).to_be_checked()
    expect(commentary(page, "PRI-IDEN-01")).to_have_value("Staff use a graduated approach: assess, plan, do, review.")
    expect(commentary(page, "PRI-IDEN-02")).to_have_value("Early identification in Reception is not yet consistent.")
    expect(progress(page)).to_have_text("2 of 7 criteria reviewed.")
    page.reload()
    expect(commentary(page, "PRI-IDEN-02")).to_have_value("Early identification in Reception is not yet consistent.")
    page.goto(service.heading_url("leadership"))
    expect(rating(page, "PRI-LEAD-02", 2)).to_be_checked()

    open_overview(page, service)
    expect(page.get_by_text("4 of 42", exact=True)).to_be_visible()
    expect(overview_row(page, LEADERSHIP)).to_have_text([LEADERSHIP, "2 of 7", "In progress"])
    expect(overview_row(page, IDENTIFICATION)).to_have_text([IDENTIFICATION, "2 of 7", "In progress"])
    assert not errors, errors


# 2. The connection drops mid-typing -------------------------------------------------------------------------


def test_text_typed_without_a_connection_is_kept_and_saved_later(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context()
    page = context.new_page()
    sign_in(page, service)
    start_self_evaluation(page, service)

    context.set_offline(True)
    first = "Typed on the train: our provision map is reviewed every half term."
    commentary(page, "PRI-LEAD-01").press_sequentially(first)
    expect(save_status(page)).to_have_text(OFFLINE)
    expect(save_status(page)).to_contain_text("will be saved when the connection is back")
    kept = kept_on_device(page, "PRI-LEAD-01")
    assert kept is not None and kept["answer"]["commentary"] == first

    # Back online: it saves by itself.
    context.set_offline(False)
    expect(save_status(page)).to_have_text(SAVED)
    assert saved_commentary(page, service, "PRI-LEAD-01") == first
    assert kept_on_device(page, "PRI-LEAD-01") is None
    page.reload()
    expect(commentary(page, "PRI-LEAD-01")).to_have_value(first)

    # Typed offline, then the page is closed before the connection came back.
    context.set_offline(True)
    second = "Written offline: the SENCo has protected time each week."
    commentary(page, "PRI-LEAD-02").fill(second)
    expect(save_status(page)).to_have_text(OFFLINE)
    page.close()
    context.set_offline(False)

    page = context.new_page()
    page.goto(service.heading_url("leadership"))
    offer = restore_offer(page)
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("You have text that was not saved for PRI-LEAD-02")
    expect(commentary(page, "PRI-LEAD-02")).to_have_value("")
    assert saved_commentary(page, service, "PRI-LEAD-02") is None
    offer.get_by_role("button", name="Restore it").click()
    expect(offer).to_be_hidden()
    expect(commentary(page, "PRI-LEAD-02")).to_have_value(second)
    expect(commentary(page, "PRI-LEAD-02")).to_be_focused()
    expect(save_status(page)).to_have_text(SAVED)
    assert saved_commentary(page, service, "PRI-LEAD-02") == second
    assert saved_commentary(page, service, "PRI-LEAD-01") == first
    page.reload()
    expect(restore_offer(page)).to_be_hidden()
    expect(commentary(page, "PRI-LEAD-02")).to_have_value(second)


# 3. Two tabs editing the same criterion ---------------------------------------------------------------------


def test_two_tabs_editing_one_answer_never_overwrite_each_other_silently(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context()
    first = context.new_page()
    sign_in(first, service)
    start_self_evaluation(first, service)
    second = context.new_page()
    second.goto(service.heading_url("leadership"))
    expect(heading(second)).to_have_text(LEADERSHIP)

    commentary(first, "PRI-LEAD-01").fill("From the first tab: inclusion is led by the head.")
    expect(save_status(first)).to_have_text(SAVED)
    assert saved_commentary(first, service, "PRI-LEAD-01") == "From the first tab: inclusion is led by the head."

    commentary(second, "PRI-LEAD-01").fill("From the second tab: inclusion is everyone's job.")
    conflict = criterion(second, "PRI-LEAD-01")
    expect(conflict.get_by_text("Someone else saved this answer while you were editing.")).to_be_visible()
    expect(conflict).to_contain_text("From the first tab: inclusion is led by the head.")
    expect(save_status(second)).to_have_text(
        "Not saved: someone else changed PRI-LEAD-01. Choose which version to keep."
    )
    screenshot(second, "self-evaluation-conflict.png")
    assert saved_commentary(second, service, "PRI-LEAD-01") == "From the first tab: inclusion is led by the head."

    conflict.get_by_role("button", name="Keep mine").click()
    expect(save_status(second)).to_have_text(SAVED)
    expect(conflict.get_by_role("button", name="Keep mine")).to_have_count(0)
    expect(commentary(second, "PRI-LEAD-01")).to_be_focused()
    expect(commentary(second, "PRI-LEAD-01")).to_have_value("From the second tab: inclusion is everyone's job.")
    assert saved_commentary(second, service, "PRI-LEAD-01") == "From the second tab: inclusion is everyone's job."

    # Again, from the first tab (which still shows its own text): this time it takes the other version.
    commentary(first, "PRI-LEAD-01").fill("From the first tab, again.")
    conflict = criterion(first, "PRI-LEAD-01")
    expect(conflict.get_by_text("Someone else saved this answer while you were editing.")).to_be_visible()
    assert saved_commentary(first, service, "PRI-LEAD-01") == "From the second tab: inclusion is everyone's job."
    conflict.get_by_role("button", name="Use theirs").click()
    expect(commentary(first, "PRI-LEAD-01")).to_have_value("From the second tab: inclusion is everyone's job.")
    expect(commentary(first, "PRI-LEAD-01")).to_be_focused()
    expect(save_status(first)).to_have_text("Their version of PRI-LEAD-01 is shown.")
    assert saved_commentary(first, service, "PRI-LEAD-01") == "From the second tab: inclusion is everyone's job."

    # The first tab now edits on top of that version, with no conflict.
    commentary(first, "PRI-LEAD-01").press_sequentially(" Agreed by both.")
    expect(save_status(first)).to_have_text(SAVED)
    assert saved_answers(first, service)["PRI-LEAD-01"] | {"updated_at": None} == {
        "rating": None,
        "commentary": "From the second tab: inclusion is everyone's job. Agreed by both.",
        "evidence": [],
        "revision": 3,
        "updated_at": None,
    }


# 4. Personal data -------------------------------------------------------------------------------------------


def test_text_that_looks_like_personal_data_is_saved_only_when_the_person_says_so(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    sign_in(page, service)
    start_self_evaluation(page, service)

    rating(page, "PRI-LEAD-01", 2).check()
    commentary(page, "PRI-LEAD-01").press_sequentially("UPN A123456789012")
    section = criterion(page, "PRI-LEAD-01")
    expect(section).to_contain_text(
        "This looks like it contains a unique pupil number (UPN). Do not include information that identifies a pupil."
    )
    confirm = section.get_by_role("button", name="It does not identify a pupil: save it")
    expect(confirm).to_be_visible()
    expect(save_status(page)).to_have_text("Not saved: PRI-LEAD-01 may contain a pupil's personal data.")
    page.wait_for_timeout(1_500)  # longer than autosave waits: still nothing is saved
    assert "PRI-LEAD-01" not in saved_answers(page, service)
    expect(progress(page)).to_have_text("0 of 7 criteria reviewed.")

    confirm.click()
    expect(save_status(page)).to_have_text(SAVED)
    expect(confirm).to_have_count(0)
    expect(section).not_to_contain_text("This looks like it contains")
    assert saved_commentary(page, service, "PRI-LEAD-01") == "UPN A123456789012"
    expect(progress(page)).to_have_text("1 of 7 criteria reviewed.")


# 5. Without JavaScript --------------------------------------------------------------------------------------


def test_the_form_works_without_javascript(service: Service, new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, service)
    start_self_evaluation(page, service)
    expect(page.get_by_text("Without JavaScript, use the buttons at the end of the page.")).to_be_visible()

    rating(page, "PRI-LEAD-01", 3).check()
    commentary(page, "PRI-LEAD-01").fill("Leaders check provision each term.")
    rating(page, "PRI-LEAD-02", 4).check()
    commentary(page, "PRI-LEAD-02").fill("Governors visit and report back.")
    criterion(page, "PRI-LEAD-02").get_by_label("Evidence references (optional)").fill("Governor visit notes\n\n")
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text(IDENTIFICATION)
    stored = saved_answers(page, service)
    assert stored["PRI-LEAD-01"]["commentary"] == "Leaders check provision each term."
    assert stored["PRI-LEAD-02"]["rating"] == 4 and stored["PRI-LEAD-02"]["evidence"] == ["Governor visit notes"]

    rating(page, "PRI-IDEN-01", 2).check()
    commentary(page, "PRI-IDEN-01").fill("Assessment tools are being rolled out.")
    page.get_by_role("button", name="Save and come back later").click()
    expect(heading(page)).to_have_text("Self-evaluation")
    expect(page.get_by_role("status")).to_have_text(
        "Your answers are saved. You can come back at any time before the deadline."
    )
    expect(overview_row(page, LEADERSHIP)).to_have_text([LEADERSHIP, "2 of 7", "In progress"])
    expect(overview_row(page, IDENTIFICATION)).to_have_text([IDENTIFICATION, "1 of 7", "In progress"])

    # Too long a commentary: the browser lets it through (maxlength is twice the limit), the server explains.
    page.get_by_role("link", name=LEADERSHIP).click()
    expect(heading(page)).to_have_text(LEADERSHIP)
    expect(commentary(page, "PRI-LEAD-01")).to_have_value("Leaders check provision each term.")
    too_long = "x" * 2_001
    rating(page, "PRI-LEAD-03", 3).check()
    commentary(page, "PRI-LEAD-03").fill(too_long)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text(LEADERSHIP)
    expect(page).to_have_title(re.compile("^Error: "))
    summary = error_summary(page)
    expect(summary).to_be_visible()
    assert summary.evaluate("e => e.getBoundingClientRect().top") < heading(page).evaluate(
        "e => e.getBoundingClientRect().top"
    ), "the error summary is not at the top of the page"
    expect(criterion(page, "PRI-LEAD-03")).to_contain_text("Commentary must be 2,000 characters or fewer")
    expect(commentary(page, "PRI-LEAD-03")).to_have_value(too_long)
    expect(rating(page, "PRI-LEAD-03", 3)).to_be_checked()
    summary.get_by_role("link", name="Commentary must be 2,000 characters or fewer").click()
    expect(commentary(page, "PRI-LEAD-03")).to_be_focused()
    expect(commentary(page, "PRI-LEAD-03")).to_have_accessible_description(
        re.compile("Commentary must be 2,000 characters or fewer")
    )
    assert "PRI-LEAD-03" not in saved_answers(page, service)

    commentary(page, "PRI-LEAD-03").fill("Now short enough.")
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text(IDENTIFICATION)
    assert saved_commentary(page, service, "PRI-LEAD-03") == "Now short enough."


# 6. Keyboard only -------------------------------------------------------------------------------------------


def test_a_keyboard_user_rates_comments_and_saves(service: Service, new_context: Callable[..., BrowserContext]) -> None:
    page = new_context().new_page()
    sign_in(page, service)
    start_self_evaluation(page, service)

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    tab_to(page, rating(page, "PRI-LEAD-01", 1))
    assert_focus_not_hidden(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(rating(page, "PRI-LEAD-01", 3)).to_be_focused()
    expect(rating(page, "PRI-LEAD-01", 3)).to_be_checked()
    page.keyboard.press("Tab")
    expect(commentary(page, "PRI-LEAD-01")).to_be_focused()
    page.keyboard.type("Typed with the keyboard alone.")
    assert_focus_not_hidden(page)
    expect(save_status(page)).to_have_text(SAVED)

    save = page.get_by_role("button", name="Save and continue")
    tab_to(page, save)
    assert_focus_not_hidden(page)
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(IDENTIFICATION)
    stored = saved_answers(page, service)
    assert stored["PRI-LEAD-01"]["rating"] == 3
    assert stored["PRI-LEAD-01"]["commentary"] == "Typed with the keyboard alone."

    # Backwards too: Shift+Tab from the buttons keeps each focused control clear of the sticky status line.
    page.goto(service.heading_url("leadership"))
    commentary(page, "PRI-LEAD-02").fill("Shift+Tab check.")
    expect(save_status(page)).to_have_text(SAVED)
    page.get_by_role("button", name="Save and come back later").focus()
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        assert_focus_not_hidden(page)


# 7. Check your answers and submit ---------------------------------------------------------------------------


def test_check_your_answers_then_submit_and_the_form_becomes_read_only(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    sign_in(page, service)
    start_self_evaluation(page, service)

    open_overview(page, service)
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(heading(page)).to_have_text("Check your answers before submitting")
    expect(page.get_by_role("heading", name="36 required criteria need a rating and commentary")).to_be_visible()
    expect(page.get_by_role("button", name="Submit the self-evaluation")).to_have_count(0)

    page.goto(service.heading_url("leadership"))
    fill_required_through_the_api(page, service)
    open_overview(page, service)
    expect(page.get_by_text("36 of 42", exact=True)).to_be_visible()
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(heading(page)).to_have_text("Check your answers before submitting")
    expect(page.get_by_role("heading", name=re.compile("required criteri"))).to_have_count(0)
    expect(page.get_by_text("What we do for PRI-TRANS-06.")).to_be_visible()
    page.get_by_role("button", name="Submit the self-evaluation").click()

    expect(heading(page)).to_have_text("Self-evaluation submitted")
    reference = page.locator(".qm-panel").get_by_text(REFERENCE)
    expect(reference).to_be_visible()
    screenshot(page, "self-evaluation-submitted.png")
    number = reference.inner_text()

    page.get_by_role("link", name="Back to the self-evaluation").click()
    expect(page.get_by_role("status")).to_contain_text(f"Submitted: reference {number}.")
    expect(page.get_by_role("button", name="Start the self-evaluation")).to_have_count(0)
    for heading_id in ("leadership", "transitions"):
        page.goto(service.heading_url(heading_id))
        expect(page.get_by_role("textbox")).to_have_count(0)
        expect(page.get_by_role("radio")).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(0)
        expect(save_status(page)).to_have_count(0)
    expect(criterion(page, "PRI-TRANS-01")).to_contain_text("What we do for PRI-TRANS-01.")
    expect(criterion(page, "PRI-TRANS-01")).to_contain_text("3: Established")


# 8. axe-core on every page and state ------------------------------------------------------------------------


def test_every_page_and_state_of_the_form_passes_axe(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    axe = Axe()
    context = new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, service)
    open_overview(page, service)
    expect(page.get_by_role("button", name="Start the self-evaluation")).to_be_visible()
    axe(page, "overview before start")

    page.get_by_role("button", name="Start the self-evaluation").click()
    expect(heading(page)).to_have_text(LEADERSHIP)
    axe(page, "heading page, empty")

    held = HeldSaves(page)
    rating(page, "PRI-LEAD-01", 3).check()
    commentary(page, "PRI-LEAD-01").fill("We review provision termly.")
    expect(save_status(page)).to_have_text("Saving…")
    axe(page, "heading page, saving")
    held.release()
    expect(save_status(page)).to_have_text(SAVED)
    axe(page, "heading page, saved")

    open_overview(page, service)
    expect(overview_row(page, LEADERSHIP)).to_have_text([LEADERSHIP, "1 of 7", "In progress"])
    axe(page, "overview in progress")

    page.goto(service.heading_url("leadership"))
    context.set_offline(True)
    commentary(page, "PRI-LEAD-02").fill("Typed with no connection.")
    expect(save_status(page)).to_have_text(OFFLINE)
    axe(page, "heading page, not saved (offline)")
    page.close()
    context.set_offline(False)

    page = context.new_page()
    page.goto(service.heading_url("leadership"))
    expect(restore_offer(page)).to_be_visible()
    axe(page, "heading page, restore offer")
    restore_offer(page).get_by_role("button", name="Restore it").click()
    expect(save_status(page)).to_have_text(SAVED)

    other = context.new_page()
    other.goto(service.heading_url("leadership"))
    commentary(other, "PRI-LEAD-01").fill("Another tab's version.")
    expect(save_status(other)).to_have_text(SAVED)
    commentary(page, "PRI-LEAD-01").fill("This tab's version.")
    expect(criterion(page, "PRI-LEAD-01").get_by_role("button", name="Keep mine")).to_be_visible()
    axe(page, "heading page, conflict choice")
    criterion(page, "PRI-LEAD-01").get_by_role("button", name="Keep mine").click()
    expect(save_status(page)).to_have_text(SAVED)

    commentary(page, "PRI-LEAD-03").fill("UPN A123456789012")
    expect(criterion(page, "PRI-LEAD-03").get_by_role("button", name=re.compile("does not identify"))).to_be_visible()
    axe(page, "heading page, personal data warning")

    # Without JavaScript axe cannot run in the page, so the page the browser received is shown again, exactly
    # as received and without its scripts, in a page where axe can run.
    no_js = new_context(java_script_enabled=False, storage_state=context.storage_state()).new_page()
    no_js.goto(service.heading_url("leadership"))
    commentary(no_js, "PRI-LEAD-04").fill("x" * 2_001)
    no_js.get_by_role("button", name="Save and continue").click()
    expect(error_summary(no_js)).to_be_visible()
    received = re.sub(r"<script\b[^>]*>.*?</script>", "", no_js.content(), flags=re.DOTALL)
    page.route(no_js.url, lambda route: route.fulfill(status=400, content_type="text/html", body=received))
    page.goto(no_js.url)
    expect(error_summary(page)).to_be_visible()
    axe(page, "heading page, error summary (no JavaScript)")
    page.unroute(no_js.url)

    page.goto(service.url + SELF_EVALUATION + "/check")
    expect(page.get_by_role("heading", name=re.compile("required criteria need"))).to_be_visible()
    axe(page, "check your answers, with missing items")

    page.goto(service.heading_url("leadership"))
    fill_required_through_the_api(page, service)
    page.goto(service.url + SELF_EVALUATION + "/check")
    expect(page.get_by_role("button", name="Submit the self-evaluation")).to_be_visible()
    axe(page, "check your answers, complete")

    page.get_by_role("button", name="Submit the self-evaluation").click()
    expect(page.locator(".qm-panel").get_by_text(REFERENCE)).to_be_visible()
    axe(page, "submitted confirmation")

    page.goto(service.heading_url("leadership"))
    expect(page.get_by_role("textbox")).to_have_count(0)
    axe(page, "read-only heading page")

    assert len(axe.checked) == 14, axe.checked
    axe.assert_clean()
