"""Stages and funded hours in a real browser: an LA reviewer records a stage and a visit by keyboard alone, and
again with JavaScript off; every page and state (empty, errors, filled, reaccreditation) passes axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from form_service.programme import stages
from form_service.store import get_store
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
    skip_to_content,
    start_service,
    tab_to,
)

pytestmark = pytest.mark.browser

LA_REVIEWER = "la.reviewer@example.org"
OVERVIEW_HEADING = "Stages and funded hours"


def give_award(running: Service, decided_on: str) -> None:
    """The panel's decision, as the award pages store it (awards/<urn>, see workflow.py)."""
    with running.app.app_context():
        get_store().write(
            stages.AWARDS,
            "900001",
            {
                "decisions": [
                    {
                        "cycle": "2025-26",
                        "reference": "QM-900001-2025-26-TEST",
                        "outcome": "awarded",
                        "reasons": "Clear progress across the school.",
                        "conditions": "",
                        "decided_on": decided_on,
                        "panel": ["Chair of the panel"],
                        "recorded_by": "panel",
                        "recorded_at": decided_on + "T12:00:00+00:00",
                        "expires_on": "2029-01-20",
                    }
                ]
            },
        )


def stage_row(page: Page, name: str) -> Locator:
    """A row of the table of stages reached (the hours tables have rows for some stages too)."""
    table = page.get_by_role("table", name=re.compile("date each was reached$"))
    return table.get_by_role("row", name=re.compile("^" + re.escape(name)))


def type_into(page: Page, label: str, text: str) -> None:
    """Tab to the field labelled `label` and type, as a keyboard user does."""
    tab_to(page, page.get_by_label(label, exact=True))
    page.keyboard.type(text)


def test_a_keyboard_user_records_a_stage_and_a_visit_with_every_page_passing_axe(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    axe = Axe()
    page = new_context().new_page()
    sign_in(page, service, LA_REVIEWER)

    page.goto(service.url + "/school/900001/")
    skip_to_content(page)
    tab_to(page, page.get_by_role("link", name="Record stages, visits and funded hours"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(OVERVIEW_HEADING)
    expect(page.get_by_text("No stage has been recorded for Oakfield Primary School yet.")).to_be_visible()
    axe(page, "stages overview, empty")

    skip_to_content(page)
    tab_to(page, page.get_by_role("link", name="Record the date stage 3 was reached"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Stage 3: Write an action plan with STS and EPS")
    axe(page, "record a stage")

    skip_to_content(page)
    tab_to(page, page.get_by_role("button", name="Save date reached"))
    page.keyboard.press("Enter")
    summary = error_summary(page)
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: Stage 3"))
    axe(page, "record a stage, with errors")

    type_into(page, "Day", "5")
    page.keyboard.press("Tab")
    page.keyboard.type("10")
    page.keyboard.press("Tab")
    page.keyboard.type("2026")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Notes (optional)")).to_be_focused()
    page.keyboard.type("Action plan agreed with the SENCo and two departmental leads.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save date reached")).to_be_focused()
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(OVERVIEW_HEADING)
    expect(page.get_by_role("status")).to_contain_text("reached on 5 October 2026")
    expect(stage_row(page, "3. Write an action plan")).to_contain_text("5 October 2026")

    skip_to_content(page)
    tab_to(page, page.get_by_role("link", name="Record a visit or meeting"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Record a visit or meeting")
    axe(page, "record a visit")

    skip_to_content(page)
    tab_to(page, page.get_by_role("button", name="Save visit or meeting"))
    page.keyboard.press("Enter")
    expect(error_summary(page)).to_be_focused()
    axe(page, "record a visit, with errors")
    expect(error_summary(page).get_by_role("link", name=re.compile("^Enter the hours used"))).to_be_visible()
    page.keyboard.press("Tab")  # from the summary to its first link, which leads to the first field at fault
    expect(error_summary(page).get_by_role("link", name=re.compile("^Choose the stage"))).to_be_focused()
    page.keyboard.press("Enter")
    stage = page.get_by_label("Stage", exact=True)
    expect(stage).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(stage).to_have_value("3")
    page.keyboard.press("Tab")
    meeting = page.get_by_role("radio", name="Meeting")
    expect(meeting).to_be_focused()
    page.keyboard.press("Space")
    expect(meeting).to_be_checked()
    type_into(page, "Day", "5")
    page.keyboard.press("Tab")
    page.keyboard.type("10")
    page.keyboard.press("Tab")
    page.keyboard.type("2026")
    page.keyboard.press("Tab")
    expect(page.get_by_label("LA-funded hours used")).to_be_focused()
    page.keyboard.type("2.5")
    page.keyboard.press("Tab")
    page.keyboard.type("SENCo, specialist teacher")
    page.keyboard.press("Tab")
    page.keyboard.type("Wrote the action plan together.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save visit or meeting")).to_be_focused()
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text(OVERVIEW_HEADING)
    expect(page.get_by_role("status")).to_have_text("The meeting has been recorded.")
    expect(page.get_by_role("row", name=re.compile("^5 October 2026 3 Meeting"))).to_contain_text("2.5 hours")
    expect(page.get_by_text("0.5 hours over its funded allowance of 2 hours")).to_be_visible()
    axe(page, "stages overview, filled, one stage over its allowance")

    tab_to(page, page.get_by_role("link", name="Change the meeting on 5 October 2026"), limit=80)
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Change a visit or meeting")
    expect(page.get_by_label("LA-funded hours used")).to_have_value("2.5")
    axe(page, "change a visit")
    page.go_back()

    tab_to(page, page.get_by_role("link", name="Delete the meeting on 5 October 2026"), limit=80)
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Delete this meeting?")
    axe(page, "delete a visit")
    skip_to_content(page)
    tab_to(page, page.get_by_role("link", name="Cancel"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(OVERVIEW_HEADING)

    give_award(service, "2026-01-20")
    school = new_context().new_page()
    sign_in(school, service, OAKFIELD_SENCO)
    school.get_by_role("navigation", name="Oakfield Primary School").get_by_role(
        "link", name="Stages and funded hours"
    ).click()
    expect(heading(school)).to_have_text(OVERVIEW_HEADING)
    expect(school.get_by_role("heading", name=re.compile("^Reaccreditation after the award"))).to_be_visible()
    expect(school.get_by_role("link", name=re.compile("^(Change|Delete|Record)"))).to_have_count(0)
    axe(school, "the school's view, in a reaccreditation round")
    axe.assert_clean()


def test_recording_a_stage_and_a_visit_works_without_javascript(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, service, LA_REVIEWER)
    page.goto(service.url + "/la/schools/900001/stages")
    expect(heading(page)).to_have_text(OVERVIEW_HEADING)

    page.get_by_role("link", name="Record the date stage 5 was reached").click()
    page.get_by_label("Day", exact=True).fill("24")
    page.get_by_label("Month", exact=True).fill("11")
    page.get_by_label("Year", exact=True).fill("2026")
    page.get_by_role("button", name="Save date reached").click()
    expect(error_summary(page)).to_contain_text("The date the stage was reached must be today or earlier")
    page.get_by_label("Day", exact=True).fill("23")
    page.get_by_role("button", name="Save date reached").click()
    expect(stage_row(page, "5. Monitoring visit")).to_contain_text("23 November 2026")

    page.get_by_role("link", name="Record a visit or meeting").click()
    page.get_by_label("Stage", exact=True).select_option("5")
    page.get_by_role("radio", name="Visit").check()
    page.get_by_label("Day", exact=True).fill("23")
    page.get_by_label("Month", exact=True).fill("11")
    page.get_by_label("Year", exact=True).fill("2026")
    page.get_by_label("LA-funded hours used").fill("1.3")
    page.get_by_role("button", name="Save visit or meeting").click()
    expect(error_summary(page)).to_contain_text("Hours must be in quarter hours")
    page.get_by_label("LA-funded hours used").fill("1.75")
    page.get_by_role("button", name="Save visit or meeting").click()
    expect(page.get_by_role("status")).to_have_text("The visit has been recorded.")
    expect(page.get_by_role("row", name=re.compile("^5. Monitoring visit 2 hours"))).to_contain_text("0.25 hours")

    page.get_by_role("link", name="Delete the visit on 23 November 2026").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("The visit on 23 November 2026 has been deleted.")
    expect(page.get_by_text("No visits or meetings recorded in this round yet.")).to_be_visible()

    page.get_by_role("link", name="Change the date stage 5 was reached").click()
    page.get_by_role("button", name="Clear the date reached").click()
    expect(page.get_by_role("status")).to_contain_text("the date reached has been cleared")
    expect(page.get_by_text("No stage has been recorded for Oakfield Primary School yet.")).to_be_visible()
