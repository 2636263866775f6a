"""The public site in a real browser: every page passes axe-core at WCAG 2.2 AA, works by keyboard and
without JavaScript, and its search finds criteria. The site is served as `make run` serves it, with the
service's security headers; one test checks that it works under its own Content Security Policy (axe-core is
injected as a script, so the tests that run it bypass the policy)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

import build
from form_service.core.security import CONTENT_SECURITY_POLICY
from form_service.site_files import StaticSite
from quality_mark.model import LONDON
from tests.browser import axe_violations, describe_violations, live_server, static_server
from tests.content_versions import add_primary_v2, add_secondary_v2_with_split_and_merge, copy_content

pytestmark = pytest.mark.browser


def sample_register(path: Path) -> Path:
    """A register of two schools holding the mark today, so the register page is checked with its table."""
    today = datetime.now(LONDON).date()
    schools = [
        {
            "urn": urn,
            "name": name,
            "phase": phase,
            "framework": phase.lower(),
            "awarded_on": str(today),
            "expires_on": str(today + timedelta(days=1095)),
        }
        for urn, name, phase in [
            ("900001", "Oakfield Primary School", "Primary"),
            ("900004", "Hillcrest Academy", "Secondary"),
        ]
    ]
    path.write_text(json.dumps({"updated": datetime.now(LONDON).isoformat(timespec="seconds"), "schools": schools}))
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The built site served on loopback, and the path of every page in it."""
    out = tmp_path_factory.mktemp("site-build")
    assert build.main(["site", "--out", str(out), "--register", str(sample_register(out / "register.json"))]) == 0
    folder = out / "site"
    pages = sorted(
        "/" + path.parent.relative_to(folder).as_posix().removeprefix(".") + ("/" if path.parent != folder else "")
        for path in folder.glob("**/index.html")
    )
    pages = ["/" if page in ("//", "/./") else page for page in pages]
    with live_server(StaticSite(folder)) as base_url:
        yield base_url, pages


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that may have axe-core injected: that needs `bypass_csp`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def test_the_site_has_every_page(site: tuple[str, list[str]]) -> None:
    _, pages = site
    for expected in ("/", "/parents/", "/how-to-apply/", "/faq/", "/stages/", "/key-dates/", "/contacts/"):
        assert expected in pages
    assert "/schools-holding-the-mark/" in pages
    assert "/criteria/primary/leadership/" in pages
    assert "/criteria/secondary/checklist/" in pages
    assert "/criteria/primary/changes/" in pages and "/criteria/secondary/changes/" in pages
    assert len(pages) >= 24


def test_every_page_passes_axe_at_wcag_22_aa(site: tuple[str, list[str]], page: Page) -> None:
    base_url, pages = site
    failures = {}
    for path in pages:
        response = page.goto(base_url + path)
        assert response is not None and response.ok, path
        violations = axe_violations(page)
        if violations:
            failures[path] = describe_violations(violations)
    assert not failures, "\n".join(f"{path}\n{text}" for path, text in failures.items())


def test_pages_pass_axe_on_a_phone_with_the_menu_open(site: tuple[str, list[str]], browser: Browser) -> None:
    base_url, _ = site
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = context.new_page()
    try:
        for path in ("/", "/criteria/primary/teaching/", "/stages/"):
            page.goto(base_url + path)
            assert not axe_violations(page), describe_violations(axe_violations(page))
        page.locator("label.md-header__button[for='__drawer']").click()
        page.wait_for_timeout(300)
        violations = axe_violations(page)
        assert not violations, describe_violations(violations)
    finally:
        context.close()


# Records every Content Security Policy violation in the page (init scripts run whatever the policy says).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = event.sourceFile || event.documentURI;
  window.__violations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in ${where}`);
});
"""


def search_for(page: Page, words: str) -> Any:
    """Type `words` into the site's search; returns the results (visible once the search has answered)."""
    search = page.get_by_role("combobox", name="Search").or_(page.locator("input.md-search__input")).first
    search.click()
    results = page.locator(".md-search-result__item")
    # The theme's search worker drops a query typed before its index has loaded (the test is faster than a
    # person), so type again until the index answers: up to about 45 seconds on a busy machine.
    for _ in range(15):
        search.fill("")
        search.press_sequentially(words)
        try:
            results.first.wait_for(state="visible", timeout=3_000)
            break
        except PlaywrightTimeoutError:
            continue
    return results


def test_the_site_works_under_its_own_content_security_policy(site: tuple[str, list[str]], browser: Browser) -> None:
    """No `bypass_csp`: every page, the 404 page and the search, as a visitor's browser runs them."""
    base_url, pages = site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    problems: list[str] = []
    missing_page = base_url + "/no/such/page/"

    def on_console(message: Any) -> None:
        # The one error expected: the browser reports the 404 of the missing page this test opens.
        if message.type == "error" and message.location.get("url") != missing_page:
            problems.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        for path in [*pages, missing_page.removeprefix(base_url)]:
            response = page.goto(base_url + path)
            assert response is not None and response.status == (404 if path.startswith("/no/") else 200), path
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
            # The theme's scripts ran: its storage helpers exist, and the bundle marked the page as scripted.
            assert page.evaluate("() => typeof __md_get === 'function' && typeof __md_scope === 'object'"), path
            expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
            # The site's own script made the menu and search labels into buttons.
            expect(page.locator("label[for='__drawer'][role='button'][aria-label='Open the menu']")).to_have_count(1)
            problems.extend(f"{path}: {violation}" for violation in page.evaluate("() => window.__violations"))

        page.goto(base_url + "/")
        results = search_for(page, "reduced timetables")
        expect(results.first).to_be_visible()
        problems.extend(page.evaluate("() => window.__violations"))
    finally:
        context.close()

    assert not problems, "\n".join(problems)


def test_search_finds_a_criterion_and_its_results_pass_axe(site: tuple[str, list[str]], page: Page) -> None:
    base_url, _ = site
    page.goto(base_url + "/")
    results = search_for(page, "reduced timetables")
    expect(results.first).to_be_visible()
    assert results.count() >= 1
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


def test_keyboard_users_can_skip_to_the_content_and_reach_every_tab(site: tuple[str, list[str]], page: Page) -> None:
    base_url, _ = site
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    skip = page.evaluate("() => document.activeElement.textContent.trim()")
    assert skip.lower().startswith("skip to content")
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.textContent.trim()"))
    for tab in ("Criteria", "Stages", "Key dates", "Contacts"):
        assert tab in reached, f"{tab} was not reached by Tab: {reached}"
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == reached[-2]


def test_keyboard_users_on_a_phone_can_open_the_menu(site: tuple[str, list[str]], browser: Browser) -> None:
    base_url, _ = site
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        page.goto(base_url + "/")
        menu = page.get_by_role("button", name="Open the menu")
        for _ in range(5):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Open the menu":
                break
        expect(menu).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#__drawer")).to_be_checked()
        expect(page.locator(".md-sidebar--primary").get_by_role("link", name="Stages").first).to_be_visible()
        page.reload()
        page.get_by_role("button", name="Open the menu").focus()
        page.keyboard.press("Space")
        expect(page.locator("#__drawer")).to_be_checked()
    finally:
        context.close()


def test_the_site_reads_without_javascript(site: tuple[str, list[str]], browser: Browser) -> None:
    base_url, _ = site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(base_url + "/criteria/primary/leadership/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Leadership and management of inclusion")
        expect(page.get_by_role("heading", name="PRI-LEAD-01")).to_be_visible()
        page.get_by_role("link", name="Stages").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("The stages")
    finally:
        context.close()


def test_the_stage_timeline_and_checklist_print(site: tuple[str, list[str]], page: Page, tmp_path: Path) -> None:
    base_url, _ = site
    page.goto(base_url + "/criteria/secondary/checklist/")
    page.emulate_media(media="print")
    expect(page.locator(".md-header")).to_be_hidden()
    pdf = tmp_path / "checklist.pdf"
    page.pdf(path=str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_what_changed_pages_of_a_new_version_pass_axe(tmp_path_factory: pytest.TempPathFactory, page: Page) -> None:
    """The real content has one version of each framework (its What changed page is among every page above);
    this builds the editor's new versions (tests/content_versions.py), whose pages have every kind of list."""
    root = copy_content(tmp_path_factory.mktemp("versions") / "repo")
    add_primary_v2(root)
    add_secondary_v2_with_split_and_merge(root)
    out = root / "out"
    assert build.main(["site", "--root", str(root), "--out", str(out)]) == 0
    with static_server(out / "site") as base_url:
        for path in ("/criteria/primary/changes/", "/criteria/secondary/changes/", "/criteria/primary/v1/teaching/"):
            response = page.goto(base_url + path)
            assert response is not None and response.ok, path
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            violations = axe_violations(page)
            assert not violations, f"{path}\n{describe_violations(violations)}"
        # the version line's link leads there by keyboard
        page.goto(base_url + "/criteria/primary/teaching/")
        link = page.locator(".qm-version a")
        link.focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(base_url + "/criteria/primary/changes/")
