"""The public register in a real browser: the panel awards, the site is rebuilt from the running service, and
a parent finds the school on "Schools holding the mark", a page that passes axe-core at WCAG 2.2 AA, works by
keyboard and without JavaScript, shows hostile names as plain text, and whose open data links download."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

import build
from form_service.register.views import AWARDS
from form_service.store import get_store
from quality_mark.model import LONDON
from quality_mark.register import CSV_COLUMNS
from tests.browser import Axe, Service, running_service

pytestmark = pytest.mark.browser

OAKFIELD, HILLCREST = "900001", "900004"
HOSTILE = '<img src=x onerror="window.hacked=1"> **not bold** [link](javascript:window.hacked=2)'
CSV_LINK = "Download the list as a spreadsheet (CSV)"
JSON_LINK = "Download the list as JSON"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """A running service whose site folder is built by the test itself (tmp_path/out/site)."""
    with running_service(tmp_path / "out" / "site", tmp_path / "data") as running:
        yield running


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        # axe-core is injected as an inline script, which the site's CSP refuses; bypassing it also means the
        # check that a hostile school name never runs rests on escaping alone.
        context = browser.new_context(
            **{"viewport": {"width": 1280, "height": 900}, "accept_downloads": True, "bypass_csp": True, **options}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def panel_awards(service: Service, urn: str, decided_on: date) -> None:
    """The panel's award, as the award pages record it (an `awards/<urn>` document; built elsewhere)."""
    decision = {
        "cycle": "2026-27",
        "reference": f"QM-{urn}-2026-27",
        "outcome": "awarded",
        "reasons": "Strong, well-evidenced practice across every heading.",
        "conditions": "",
        "decided_on": decided_on.isoformat(),
        "panel": ["Assistant director", "Educational psychologist"],
        "recorded_by": "la-reviewer",
        "recorded_at": f"{decided_on.isoformat()}T15:00:00+00:00",
        "expires_on": decided_on.replace(year=decided_on.year + 3).isoformat(),
    }
    with service.app.app_context():
        get_store().write(AWARDS, urn, {"decisions": [decision]})


def rename(service: Service, urn: str, name: str) -> None:
    with service.app.app_context():
        get_store().modify("schools", urn, lambda current: ({**current, "name": name}, None))


def rebuild_site(service: Service, tmp_path: Path) -> None:
    """`build.py site` taking the register from the running service, into the folder the service serves."""
    assert build.main(["site", "--out", str(tmp_path / "out"), "--register", service.url + "/register.json"]) == 0


def test_the_panel_awards_and_the_school_appears_on_the_rebuilt_public_register(
    service: Service, new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    rebuild_site(service, tmp_path)
    axe = Axe()
    page = new_context().new_page()
    page.goto(service.origin + "/")
    page.get_by_role("link", name="Schools with the mark").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schools holding the mark")
    expect(page.get_by_text("No school holds the mark at the moment.")).to_be_visible()
    axe(page, "the register with no schools")

    panel_awards(service, OAKFIELD, date(2026, 11, 20))
    panel_awards(service, HILLCREST, date(2026, 10, 14))
    rename(service, HILLCREST, HOSTILE)
    rebuild_site(service, tmp_path)
    page.reload()

    table = page.get_by_role("table", name="2 schools hold the mark")
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader")).to_have_text([HOSTILE, "Oakfield Primary School"])
    oakfield = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Oakfield Primary School"))
    expect(oakfield.get_by_role("cell")).to_have_text(["Primary", "20 November 2026", "20 November 2029"])
    today = service.app.extensions["clock"].now().astimezone(LONDON).date()  # the register is dated by the service
    expect(page.locator("main p").filter(has_text="Last updated:")).to_contain_text(f"{today.day} {today:%B %Y} at")
    assert page.evaluate("() => window.hacked") is None, "a school name ran as a script"
    assert page.locator("main img").count() == 0
    axe(page, "the register with two schools")

    # The open data downloads, by keyboard.
    page.get_by_role("link", name=CSV_LINK).focus()
    with page.expect_download() as csv_download:
        page.keyboard.press("Enter")
    assert csv_download.value.suggested_filename == "schools-holding-the-mark.csv"
    rows = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text("utf-8-sig"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert [row[1] for row in rows[1:]] == [HOSTILE, "Oakfield Primary School"]
    with page.expect_download() as json_download:
        page.get_by_role("link", name=JSON_LINK).click()
    published = json.loads(Path(json_download.value.path()).read_text("utf-8"))
    assert [school["urn"] for school in published["schools"]] == [HILLCREST, OAKFIELD]

    # On a phone, with the menu open, the page still passes.
    phone = new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True).new_page()
    phone.goto(service.origin + "/schools-holding-the-mark/")
    axe(phone, "the register on a phone")
    phone.get_by_role("button", name="Open the menu").click()
    expect(phone.locator("#__drawer")).to_be_checked()
    expect(phone.locator(".md-sidebar--primary").get_by_text("Schools with the mark").first).to_be_visible()
    axe(phone, "the register on a phone with the menu open")
    axe.assert_clean()


def test_the_register_reads_without_javascript(
    service: Service, new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    panel_awards(service, OAKFIELD, date(2026, 11, 20))
    rebuild_site(service, tmp_path)
    page = new_context(java_script_enabled=False).new_page()

    page.goto(service.origin + "/parents/")
    page.get_by_role("link", name="schools holding the mark").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Schools holding the mark")
    expect(page.get_by_role("rowheader", name="Oakfield Primary School")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name=CSV_LINK).click()
    assert "Oakfield Primary School" in Path(download.value.path()).read_text("utf-8-sig")
