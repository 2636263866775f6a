"""Insight in a real browser: every page and state passes axe-core at WCAG 2.2 AA, the filters work by keyboard
and without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests import insight_world
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

pytestmark = pytest.mark.browser

LA_REVIEWER = "la.reviewer@example.org"


def test_the_la_uses_every_insight_page_by_keyboard_and_each_passes_axe(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    insight_world.build(service.app)
    axe = Axe()
    page = new_context().new_page()
    sign_in(page, service, LA_REVIEWER)

    page.goto(service.url + "/la/")
    page.get_by_role("navigation", name="Local authority").get_by_role("link", name="Insight").click()
    expect(heading(page)).to_have_text("Heading scores by school")
    expect(page.get_by_role("row", name=re.compile("^Ash Primary"))).to_contain_text("3.71 Strength")
    axe(page, "heatmap")

    phase = page.get_by_label("Phase")
    tab_to(page, phase)
    page.keyboard.press("ArrowDown")  # Nursery, the first phase after "All phases"
    tab_to(page, page.get_by_role("button", name="Show"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"phase=Nursery"))
    expect(page.get_by_role("table")).to_contain_text("Fir Nursery")
    expect(page.get_by_text("Fewer than 5 schools:")).to_be_visible()
    axe(page, "heatmap, a small group")

    page.goto(service.url + "/la/insight?framework=tertiary")
    expect(error_summary(page)).to_contain_text("Choose a framework from the list")
    axe(page, "heatmap with an unknown framework")

    page.get_by_role("navigation", name="Insight").get_by_role("link", name="Ratings per criterion").click()
    expect(heading(page)).to_have_text("Ratings per criterion")
    axe(page, "ratings per criterion")

    page.get_by_role("navigation", name="Insight").get_by_role("link", name="Best practice").click()
    expect(heading(page)).to_have_text("Best practice")
    axe(page, "best practice, nothing chosen")
    page.get_by_label("Heading or criterion").select_option("primary/leadership")
    tab_to(page, page.get_by_role("button", name="Show schools"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("row", name=re.compile("^1 Fir Nursery"))).to_be_visible()
    axe(page, "best practice for a heading")

    page.get_by_role("link", name="Fir Nursery").first.click()
    page.goto(service.url + "/la/insight/schools/910004")
    expect(heading(page)).to_have_text("Damson Primary: schools that could help")
    axe(page, "schools that could help")
    axe.assert_clean()


def test_the_filters_work_without_javascript(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    insight_world.build(service.app)
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, service, LA_REVIEWER)

    page.goto(service.url + "/la/insight/distributions")
    page.get_by_label("Framework").select_option("secondary")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("table").first).to_contain_text("SEC-LEAD-01")

    page.goto(service.url + "/la/insight/best-practice")
    page.get_by_role("button", name="Show schools").click()
    expect(error_summary(page)).to_contain_text("Choose a heading or criterion from the list")
    page.get_by_label("Heading or criterion").select_option("secondary/SEC-TEACH-01")
    page.get_by_role("button", name="Show schools").click()
    expect(page.get_by_role("row", name=re.compile("^1 "))).to_contain_text("Hazel High")
