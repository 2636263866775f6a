"""Never losing typed text, and never interrupting someone at work, in a real browser (headless Chromium).

Without JavaScript: a heading page saved after the session ended sends the person to sign in, and the page
they come back to has what they typed in its boxes, unsaved, with a notice. With JavaScript and a clock the
test controls (Playwright's `page.clock`, with the service's clock moved on alongside): half an hour of typing,
or of reading and pressing keys, never brings the "signed out soon" warning; doing nothing does. axe-core
checks each new state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from form_service.core.clock import Clock
from quality_mark.model import LONDON
from quality_mark.wording import clock_time
from tests.browser import Axe, Service, build_site, running_service

pytestmark = pytest.mark.browser

SENCO = "senco@oakfield-primary.example.org"
URN = "900001"
SELF_EVALUATION = f"/school/{URN}/self-evaluation"
API = f"/api/schools/{URN}/self-evaluation"
LEADERSHIP = "Leadership and management of inclusion"
IDENTIFICATION = "Identification, assessment and review of need"
COMMENTARY = "Commentary: what the school does and its impact"
TYPED = "Leaders check the provision map each half term and act on what it shows."
SAVED = re.compile(r"^Saved at \d\d:\d\d$")
IDLE_MINUTES = 30  # the service's default SESSION_IDLE_MINUTES; the warning shows 2 minutes before


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("site-build"))


@pytest.fixture
def service(site_dir: Path, tmp_path: Path) -> Iterator[Service]:
    with running_service(site_dir, tmp_path / "data") as running:
        assert running.app.config["SESSION_IDLE_MINUTES"] == IDLE_MINUTES
        yield running


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts (a person with no cookies) under the service's own Content Security Policy."""
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


# What a person does and sees ----------------------------------------------------------------------------------


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def service_clock(service: Service) -> Clock:
    return service.app.extensions["clock"]


def sign_in(page: Page, service: Service, landing: str | None = None) -> None:
    """Ask for a sign-in link (unless already on the sign-in page), open it from the email, press Continue."""
    if landing is None:
        page.goto(service.url + "/sign-in")
    expect(heading(page)).to_have_text("Sign in")
    page.get_by_label("Email address").fill(SENCO)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(heading(page)).to_have_text("Check your email")
    page.goto(service.link_in_email(SENCO))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def start_self_evaluation(page: Page, service: Service) -> None:
    page.goto(service.url + SELF_EVALUATION + "/")
    page.get_by_role("button", name="Start the self-evaluation").click()
    expect(heading(page)).to_have_text(LEADERSHIP)


def criterion(page: Page, criterion_id: str) -> Locator:
    return page.get_by_role("region", name=re.compile("^" + re.escape(criterion_id) + r"\b"))


def commentary(page: Page, criterion_id: str) -> Locator:
    return criterion(page, criterion_id).get_by_label(COMMENTARY)


def session_end(page: Page) -> Locator:
    return page.locator("#session-end")


def kept_notice(page: Page) -> Locator:
    return page.get_by_role("region", name="We kept what you typed")


def warning(page: Page) -> Locator:
    return page.get_by_role("dialog", name="You will be signed out soon")


def saved_answers(page: Page, service: Service) -> dict[str, Any]:
    response = page.request.get(service.url + API)
    assert response.ok, response.text()
    return response.json()["answers"]


def ends_about(service: Service, renewed_minutes_ago: int = 0) -> set[str]:
    """When the session ends if nothing more reaches the service, by the service's clock, for a session last
    renewed that many minutes ago (to the minute, either side: the clock runs on while the test does)."""
    ends = service_clock(service).now() + timedelta(minutes=IDLE_MINUTES - renewed_minutes_ago)
    return {clock_time((ends + timedelta(minutes=step)).astimezone(LONDON)) for step in (-1, 0, 1)}


def check_with_axe(axe: Axe, page: Page, new_context: Callable[..., BrowserContext], state: str) -> None:
    """axe-core on the page this person without JavaScript sees now: the page exactly as received (its scripts
    taken out), served at its own address in a page where axe can run."""
    received = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.DOTALL)
    checker = new_context(bypass_csp=True).new_page()
    checker.route(page.url, lambda route: route.fulfill(status=200, content_type="text/html", body=received))
    checker.goto(page.url)
    expect(heading(checker)).to_have_text(heading(page).inner_text())
    axe(checker, state)
    checker.close()


# Without JavaScript ------------------------------------------------------------------------------------------


def test_without_javascript_text_typed_as_the_session_ends_comes_back_after_signing_in(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    axe = Axe()
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, service)
    start_self_evaluation(page, service)
    expect(session_end(page)).to_have_text(
        re.compile(r"^You will be signed out at \d{1,2}(:\d\d)?[ap]m if you do not save\.$")
    )
    assert session_end(page).locator("strong").inner_text() in ends_about(service)

    criterion(page, "PRI-LEAD-01").get_by_role("radio", name=re.compile("^3: ")).check()
    commentary(page, "PRI-LEAD-01").fill(TYPED)
    service_clock(service).advance(timedelta(minutes=IDLE_MINUTES + 1))  # a long think before pressing save
    page.get_by_role("button", name="Save and continue").click()

    expect(heading(page)).to_have_text("Sign in")
    expect(page.get_by_role("status").filter(has_text="We kept what you typed")).to_have_text(
        "We kept what you typed. Sign in again and it will be back on the page for you to check and save."
    )
    expect(page.get_by_text("You were signed out because you had not done anything for a while.")).to_be_visible()
    check_with_axe(axe, page, new_context, "sign in, with what was typed kept")

    sign_in(page, service, landing="sign in")
    expect(heading(page)).to_have_text(LEADERSHIP)
    expect(kept_notice(page)).to_be_visible()
    expect(kept_notice(page)).to_contain_text("It was not saved because you had been signed out.")
    expect(commentary(page, "PRI-LEAD-01")).to_have_value(TYPED)
    expect(criterion(page, "PRI-LEAD-01").get_by_role("radio", name=re.compile("^3: "))).to_be_checked()
    assert saved_answers(page, service) == {}, "nothing is saved until the person saves it"
    check_with_axe(axe, page, new_context, "heading page, with the kept text back in its boxes")

    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text(IDENTIFICATION)
    assert saved_answers(page, service)["PRI-LEAD-01"]["commentary"] == TYPED
    page.go_back()
    page.reload()
    expect(kept_notice(page)).to_have_count(0)
    axe.assert_clean()


# With JavaScript: the timeout warning --------------------------------------------------------------------------


def open_heading_page_with_a_controlled_clock(
    service: Service, new_context: Callable[..., BrowserContext], **options: Any
) -> Page:
    page = new_context(**options).new_page()
    page.clock.install()
    sign_in(page, service)
    start_self_evaluation(page, service)
    # Only once service.js has made its dialog (and set its timer) does moving the clock on mean anything.
    expect(page.locator("dialog.qm-timeout")).to_be_attached()
    return page


def pass_minutes(page: Page, service: Service, minutes: int) -> None:
    """Time passes for the browser and the service alike."""
    page.clock.fast_forward(f"{minutes:02d}:00")
    service_clock(service).advance(timedelta(minutes=minutes))


def test_half_an_hour_of_typing_with_saves_as_you_type_never_brings_the_timeout_warning(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    page = open_heading_page_with_a_controlled_clock(service, new_context)  # under the service's own CSP
    box = commentary(page, "PRI-LEAD-01")
    first_end = session_end(page).locator("strong").all_inner_texts()

    for minute in range(0, 30, 2):  # a few words, saved as typed, every two minutes for half an hour
        expect(warning(page), f"the warning interrupted typing after {minute} minutes").to_be_hidden()
        with page.expect_response(lambda r: "/answers/PRI-LEAD-01" in r.url and r.request.method == "PUT") as put:
            box.press_sequentially(f" {minute}")
        assert put.value.status == 200
        expect(page.locator("#autosave-status")).to_have_text(SAVED)
        pass_minutes(page, service, 2)

    expect(warning(page)).to_be_hidden()
    shown_end = session_end(page).locator("strong")
    assert first_end and shown_end.inner_text() != first_end[0]
    assert shown_end.inner_text() in ends_about(service, renewed_minutes_ago=2), "the time shown moves on with saves"
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(heading(page)).to_have_text(LEADERSHIP)
    assert saved_answers(page, service)["PRI-LEAD-01"]["commentary"].endswith(" 28")


def test_half_an_hour_of_reading_and_pressing_keys_keeps_the_session_alive(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    page = open_heading_page_with_a_controlled_clock(service, new_context)
    keep_alives: list[int] = []
    page.on("response", lambda r: keep_alives.append(r.status) if r.url.endswith("/session/keep-alive") else None)

    for _ in range(10):  # reading the guidance: a key or a click every three minutes, nothing typed
        page.keyboard.press("Tab")
        criterion(page, "PRI-LEAD-01").locator("summary").first.click()
        pass_minutes(page, service, 3)

    expect(warning(page)).to_be_hidden()
    assert keep_alives and set(keep_alives) == {200}, f"keep-alives answered {keep_alives}"
    assert len(keep_alives) <= 10, "at most one keep-alive every few minutes, not one a key"
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_doing_nothing_still_brings_the_warning_and_then_signs_out(
    service: Service, new_context: Callable[..., BrowserContext]
) -> None:
    page = open_heading_page_with_a_controlled_clock(service, new_context, bypass_csp=True)  # for axe

    page.clock.fast_forward("28:30")

    expect(warning(page)).to_be_visible()
    axe = Axe()
    axe(page, "heading page, timeout warning after doing nothing")
    service_clock(service).advance(timedelta(minutes=IDLE_MINUTES + 1))
    page.reload()
    expect(heading(page)).to_have_text("Sign in")
    expect(page.get_by_text("You were signed out because you had not done anything for a while.")).to_be_visible()
    axe.assert_clean()
