"""The LA's programme dashboard in a real browser: axe-core on every state, sorting and filtering by keyboard,
and the same with JavaScript off."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import BrowserContext, expect

from form_service.core.content import get_content
from form_service.programme.demo import seed_programme
from form_service.store import get_store
from tests.test_service_browser import (  # noqa: F401 - fixtures, used by name
    Axe,
    Service,
    heading,
    new_context,
    service,
    sign_in,
    site_dir,
    start_service,
    tab_to,
)

pytestmark = pytest.mark.browser

LA_REVIEWER = "la.reviewer@example.org"


@pytest.fixture
def programme_service(service: Service) -> Service:  # noqa: F811
    with service.app.app_context():
        seed_programme(get_store(), get_content(), date(2026, 11, 23))
    return service


def rows(page):  # the table body's rows
    return page.locator("table.qm-programme tbody tr")


@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without JavaScript"])
def test_a_reviewer_filters_and_sorts_the_schools_by_keyboard(
    programme_service: Service,
    new_context: Callable[..., BrowserContext],  # noqa: F811
    javascript: bool,
) -> None:
    # axe-core runs in the page, so it checks the pages with JavaScript on; without it they are the same HTML.
    checker = Axe()

    def axe(page: object, state: str) -> None:
        if javascript:
            checker(page, state)

    page = new_context(java_script_enabled=javascript).new_page()
    sign_in(page, programme_service, LA_REVIEWER)
    page.goto(programme_service.url + "/la/")
    expect(heading(page)).to_have_text("Schools in the programme")
    expect(rows(page)).to_have_count(13)
    axe(page, "every school")

    # Sort by progress: tab to the column's link and press Enter.
    page.get_by_role("link", name=re.compile(r"^Reviewed\W+select to sort")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("columnheader", name=re.compile("^Reviewed"))).to_have_attribute("aria-sort", "ascending")
    expect(rows(page).last).to_contain_text("100%")
    axe(page, "sorted by progress")

    # Filter to the submitted schools with the form, by keyboard.
    page.get_by_label("Status").focus()
    page.get_by_label("Status").select_option("submitted")
    page.get_by_role("button", name="Show schools").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Showing 1 to 1 of 1 school (filtered from 13).")).to_be_visible()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("St Aidan's Church of England Primary School")
    axe(page, "filtered to submitted")

    page.get_by_label("School name or URN").fill("no such school")
    page.get_by_role("button", name="Show schools").click()
    expect(page.get_by_text("No schools match these filters.")).to_be_visible()
    axe(page, "nothing matches")

    page.goto(programme_service.url + "/la/?status=lost&sort=nonsense")
    expect(page.get_by_role("status").first).to_contain_text("There is no status called 'lost'")
    axe(page, "a query it does not understand")

    page.goto(programme_service.url + "/la/")
    page.get_by_role("link", name="St Aidan's Church of England Primary School").click()
    expect(heading(page)).to_contain_text("St Aidan's")
    checker.assert_clean()
    assert checker.checked == [] if not javascript else len(checker.checked) == 5


@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without JavaScript"])
def test_a_school_renewing_its_mark_confirms_a_page_of_pre_filled_answers_by_keyboard(
    programme_service: Service,
    new_context: Callable[..., BrowserContext],  # noqa: F811
    javascript: bool,
) -> None:
    checker = Axe()
    page = new_context(java_script_enabled=javascript).new_page()
    sign_in(page, programme_service, "senco@foxglove-primary.example.org")
    page.goto(programme_service.url + "/school/900011/self-evaluation/")
    expect(page.locator("#flagged")).to_contain_text("to check")
    if javascript:
        checker(page, "overview: answers to check, by heading")
    page.locator("#flagged").get_by_role("link").last.click()  # the last heading with answers to check
    button = page.get_by_role("button", name="Every flagged answer on this page is still right")
    flagged = page.locator("[data-qm-flag]").count()
    assert flagged > 1
    if javascript:
        checker(page, "a heading with pre-filled answers to confirm")
    tab_to(page, button, limit=400)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text(f"You confirmed {flagged} answers are still right.")
    expect(page.locator("[data-qm-flag]")).to_have_count(0)
    if javascript:
        checker(page, "the heading after confirming")
    checker.assert_clean()
