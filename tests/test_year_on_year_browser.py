"""Year on year in a real browser: both pages pass axe-core at WCAG 2.2 AA, work by keyboard, and work with
JavaScript off, on the demo programme and on a school whose criteria changed version between cycles."""

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
    error_summary,
    heading,
    new_context,
    service,
    sign_in,
    site_dir,
    start_service,
    tab_to,
)
from tests.test_year_on_year import give_oakfield_two_versions

pytestmark = pytest.mark.browser

LA_REVIEWER = "la.reviewer@example.org"
OAKFIELD_SENCO = "senco@oakfield-primary.example.org"


def test_the_la_compares_cycles_by_keyboard_and_every_page_passes_axe(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    with service.app.app_context():
        seed_programme(get_store(), get_content(), date(2026, 11, 23))
    axe = Axe()
    page = new_context().new_page()
    sign_in(page, service, LA_REVIEWER)

    page.goto(service.url + "/la/")
    page.get_by_role("navigation", name="Local authority").get_by_role("link", name="Year on year").click()
    expect(heading(page)).to_have_text("Year on year across schools")
    leadership = page.get_by_role("table", name="Leadership and management of inclusion")
    expect(leadership.get_by_role("row", name=re.compile("^2025 to 2026"))).to_contain_text("fewer than 5")
    axe(page, "LA year on year, primary")

    tab_to(page, page.get_by_label("Framework"))
    page.keyboard.press("ArrowDown")  # secondary
    tab_to(page, page.get_by_role("button", name="Show"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"framework=secondary"))
    axe(page, "LA year on year, secondary")

    page.goto(service.url + "/la/year-on-year?framework=%3Cb%3Etertiary")
    expect(error_summary(page)).to_contain_text("Choose a framework from the list")
    axe(page, "LA year on year, unknown framework")

    # Kingsmead: submitted in 2025-26 (moderated), at panel in 2026-27, from the LA's view of the school.
    page.goto(service.url + "/school/900013/")
    link = page.get_by_role("link", name="Year on year: this cycle beside earlier ones")
    tab_to(page, link, limit=80)
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Year on year")
    expect(page.get_by_role("img", name=re.compile("^Score for each heading in each cycle"))).to_be_visible()
    table = page.get_by_role("table", name="Leadership and management of inclusion").first
    expect(table.get_by_role("row", name=re.compile("^2026 to 2027"))).to_contain_text("This cycle")
    cycles = page.get_by_role("table", name="Cycles compared")
    expect(cycles.get_by_role("row", name=re.compile("^2025 to 2026"))).to_contain_text(
        "ratings as moderated by the LA"
    )
    axe(page, "Kingsmead year on year")

    page.goto(service.url + "/school/900011/year-on-year")  # Foxglove: reaccreditation in progress
    cycles = page.get_by_role("table", name="Cycles compared")
    expect(cycles.get_by_role("row", name=re.compile("^2026 to 2027"))).to_contain_text("the school's ratings so far")
    axe(page, "Foxglove year on year")
    page.goto(service.url + "/school/900009/year-on-year")  # Willow Lane: one cycle
    expect(page.get_by_text("has a self-evaluation for one cycle only")).to_be_visible()
    axe(page, "Willow Lane, one cycle")
    axe.assert_clean()


def test_changed_criteria_are_marked_in_words_and_the_pages_work_without_javascript(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    give_oakfield_two_versions(service.app)
    axe = Axe()
    school = new_context(java_script_enabled=False).new_page()
    sign_in(school, service, OAKFIELD_SENCO)
    school.goto(service.url + "/school/900001/analysis")
    school.get_by_role("link", name="Year on year: this cycle beside earlier ones").click()
    expect(heading(school)).to_have_text("Year on year")
    row = school.get_by_role("row", name=re.compile("^PRI-LEAD-01 "))
    expect(row).to_contain_text("Not comparable — the criterion changed in version 2")
    expect(school.get_by_role("row", name=re.compile("^PRI-TEACH-01 "))).to_contain_text("changed in version 3")
    expect(school.get_by_role("row", name=re.compile("^PRI-LEAD-08 "))).to_contain_text("Not in version 1")
    checked = new_context(storage_state=school.context.storage_state()).new_page()
    checked.goto(school.url)
    axe(checked, "a school whose criteria changed version")

    la = new_context(java_script_enabled=False).new_page()
    sign_in(la, service, LA_REVIEWER)
    la.goto(service.url + "/la/year-on-year")
    la.get_by_label("Framework").select_option("secondary")
    la.get_by_role("button", name="Show").click()
    expect(la.get_by_text("No school has submitted a self-evaluation against the secondary")).to_be_visible()
    la.get_by_label("Framework").select_option("primary")
    la.get_by_role("button", name="Show").click()
    # Oakfield alone, version 1, moderated: (1 + 2 + 3 + 4 + 1 + 2 + 1) / 7 = 2.
    table = la.get_by_role("table", name="Leadership and management of inclusion")
    expect(table.get_by_role("row", name="2025 to 2026 1 1 fewer than 5: do not share 2")).to_be_visible()
    with la.expect_download() as download:
        la.get_by_role("link", name="Download this table as a spreadsheet (CSV)").click()
    assert download.value.suggested_filename.startswith("year-on-year-primary-")
    axe.assert_clean()
