"""The LA's Reminders page in a real browser: every state passes axe-core at WCAG 2.2 AA, it is reached and read
by keyboard, and it works with JavaScript off."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from form_service import reminders
from form_service.store import get_store
from tests.test_service_browser import (  # noqa: F401 - fixtures, used by name
    Axe,
    Service,
    heading,
    new_context,
    sign_in,
    site_dir,
    skip_to_content,
    start_service,
    tab_to,
)

pytestmark = pytest.mark.browser

LA_REVIEWER = "la.reviewer@example.org"
POINT_28 = "2027-09-02"  # 28 days before the 2026-27 deadline


def test_the_reminders_page_in_every_state_passes_axe(
    start_service: Callable[..., Service],  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    service = start_service(TODAY=POINT_28)
    axe = Axe()
    page = new_context().new_page()
    sign_in(page, service, LA_REVIEWER)

    page.goto(service.url + "/la/reminders/")
    expect(heading(page)).to_have_text("Reminders")
    expect(page.get_by_role("table", name="Reminders due today and not yet sent").get_by_role("row")).to_have_count(4)
    expect(page.get_by_role("table", name="Schools due a reminder with no one to email")).to_contain_text(
        "Riverside Community Primary School"
    )
    axe(page, "reminders due, none sent yet")

    result = service.app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    with service.app.app_context():
        get_store().write(
            reminders.RUNS,
            "2027-09-01.060000000000-aaaaaa",
            {"today": "2027-09-01", "started_at": "2027-09-01T05:00:00+00:00", "finished_at": None, "due": 1},
        )
    page.reload()
    expect(page.get_by_text("No reminders are due today, Thursday 2 September 2027.")).to_be_visible()
    sent = page.get_by_role("table", name=re.compile("^Reminders from the run on "))
    expect(sent.get_by_role("row", name=re.compile("Hillcrest Academy"))).to_have_count(2)
    expect(page.get_by_text("This run did not finish.")).to_be_visible()
    axe(page, "reminders sent, and a run that did not finish")

    axe.assert_clean()


def test_a_keyboard_user_reaches_the_reminders_page_from_the_la_sections(
    start_service: Callable[..., Service],  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    service = start_service(TODAY=POINT_28)
    page = new_context().new_page()
    sign_in(page, service, LA_REVIEWER)
    page.goto(service.url + "/la/")

    skip_to_content(page)
    tab_to(page, page.get_by_role("navigation", name="Local authority").get_by_role("link", name="Reminders"))
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text("Reminders")
    tab_to(page, page.get_by_role("link", name="Hillcrest Academy").first)
    page.keyboard.press("Enter")
    expect(heading(page)).to_contain_text("Hillcrest Academy")


def test_the_reminders_page_works_without_javascript(
    start_service: Callable[..., Service],  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    service = start_service(TODAY=POINT_28)
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, service, LA_REVIEWER)

    page.goto(service.url + "/la/")
    page.get_by_role("navigation", name="Local authority").get_by_role("link", name="Reminders").click()

    expect(heading(page)).to_have_text("Reminders")
    due = page.get_by_role("table", name="Reminders due today and not yet sent")
    expect(due).to_contain_text("senco@oakfield-primary.example.org")
    expect(due).to_contain_text("Not started: 28 days before the deadline (11:59pm on Thursday 30 September 2027)")
