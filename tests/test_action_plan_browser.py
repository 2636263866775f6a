"""The action plan in a real browser: every page and state passes axe-core at WCAG 2.2 AA, and it prints cleanly."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.test_action_plan import start_self_evaluation
from tests.test_service_browser import (  # noqa: F401 - fixtures, used by name
    OAKFIELD_SENCO,
    Axe,
    Service,
    error_summary,
    heading,
    new_context,
    service,
    sign_in,
    site_dir,
    start_service,
)

pytestmark = pytest.mark.browser

OAKFIELD = "Oakfield Primary School"


def test_a_senco_plans_an_action_and_prints_the_plan_with_every_page_passing_axe(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    start_self_evaluation(service.app, ratings={"PRI-LEAD-02": 1})
    axe = Axe()
    page = new_context().new_page()
    sign_in(page, service, OAKFIELD_SENCO)

    page.goto(service.url + "/school/900001/actions")
    expect(heading(page)).to_have_text("Action plan 2026 to 2027")
    axe(page, "empty action plan")

    page.get_by_role("link", name="Plan an action for PRI-LEAD-02").click()
    expect(heading(page)).to_have_text("Add an action")
    expect(page.get_by_label("Area for development it addresses (optional)")).to_have_value("PRI-LEAD-02")
    axe(page, "add an action")

    page.get_by_role("button", name="Save action").click()
    summary = error_summary(page)
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: Add an action"))
    axe(page, "add an action with errors")
    for message, label in [
        ("Enter what the school will do", "What the school will do"),
        ("Enter who leads the action", "Who leads it"),
        ("Enter the date the action should be done by", "Day"),
        ("Enter how you will know the action has worked", "How you will know it has worked"),
    ]:
        summary.get_by_role("link", name=re.compile(re.escape(message))).click()
        expect(page.get_by_label(label, exact=True)).to_be_focused()

    page.get_by_label("What the school will do").fill("Protect one day a week for the SENCo's strategic work")
    page.get_by_label("Who leads it").fill("Headteacher")
    page.get_by_label("Day", exact=True).fill("27")
    page.get_by_label("Month", exact=True).fill("3")
    page.get_by_label("Year", exact=True).fill("2027")
    page.get_by_label("How you will know it has worked").fill("The SENCo's time log shows it, every week.")
    page.get_by_role("button", name="Save action").click()
    expect(heading(page)).to_have_text("Action plan 2026 to 2027")
    expect(page.get_by_role("row", name=re.compile("Protect one day a week"))).to_contain_text("27 March 2027")
    axe(page, "action plan with an action")

    page.get_by_role("link", name=re.compile("^Change action")).click()
    expect(heading(page)).to_have_text("Change an action")
    axe(page, "change an action")
    page.get_by_role("link", name="Delete this action").click()
    expect(heading(page)).to_have_text("Delete this action?")
    axe(page, "delete an action")
    page.get_by_role("link", name="Cancel").click()

    page.goto(service.url + "/school/900001/actions/document")
    title = f"{OAKFIELD}: SEND and inclusion action plan 2026 to 2027"
    expect(heading(page)).to_have_text(title)
    axe(page, "action plan document")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name="Leadership and management of inclusion")).to_be_visible()
    for hidden in ("Download as a spreadsheet (CSV)", "Sign out"):
        expect(page.get_by_text(hidden)).to_be_hidden()
    expect(page.get_by_role("navigation", name=OAKFIELD)).to_be_hidden()
    assert page.pdf()[:4] == b"%PDF"
    axe.assert_clean()
