"""The LA's whole journey with the demo programme, in real Chromium: a reviewer finds a submitted school on the
dashboard, moderates two criteria and returns it; its SENCo amends and resubmits; the reviewer sends it to
panel; the panel awards; the rebuilt public site lists the school. axe-core checks every page on the way."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

import build
from form_service.core.content import get_content
from form_service.programme.demo import seed_programme
from form_service.store import get_store
from tests.browser import Axe, Service, running_service
from tests.test_service_browser import heading, new_context, sign_in  # noqa: F401 - new_context is a fixture

pytestmark = pytest.mark.browser

REVIEWER = "la.reviewer@example.org"
ST_AIDANS = "St Aidan's Church of England Primary School"
ST_AIDANS_SENCO = "senco@st-aidans-primary.example.org"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """The demo programme, served with a site the test builds itself from the service's register."""
    with running_service(tmp_path / "out" / "site", tmp_path / "data") as running:
        with running.app.app_context():
            seed_programme(get_store(), get_content(), date(2026, 11, 23))
        yield running


def rebuild_site(service: Service, tmp_path: Path) -> None:
    assert build.main(["site", "--out", str(tmp_path / "out"), "--register", service.url + "/register.json"]) == 0


def register_names(page: Page, service: Service) -> list[str]:
    page.goto(service.origin + "/")
    page.get_by_role("link", name="Schools with the mark").first.click()
    expect(heading(page)).to_have_text("Schools holding the mark")
    return page.locator("table tbody tr th").all_inner_texts()


def test_from_the_dashboard_to_the_public_register(
    service: Service,
    new_context: Callable[..., BrowserContext],  # noqa: F811
    tmp_path: Path,
) -> None:
    axe = Axe()
    public = new_context().new_page()
    rebuild_site(service, tmp_path)
    before = register_names(public, service)
    assert "Willow Lane Primary School" in before and "Foxglove Primary School" in before  # expiring still holds
    assert "Harbour View High School" not in before and ST_AIDANS not in before  # expired; not yet awarded
    axe(public, "public register before the award")

    # The reviewer finds the submitted school on the dashboard.
    reviewer = new_context().new_page()
    sign_in(reviewer, service, REVIEWER)
    expect(heading(reviewer)).to_have_text("Schools in the programme")
    reviewer.get_by_label("Status").select_option("submitted")
    reviewer.get_by_role("button", name="Show schools").click()
    expect(reviewer.locator("table.qm-programme tbody tr")).to_have_count(1)
    axe(reviewer, "dashboard filtered to submitted")
    reviewer.get_by_role("link", name=ST_AIDANS).click()
    reviewer.get_by_role("link", name="Review this school's submission (moderation and panel)").click()
    axe(reviewer, "review: submitted")
    reviewer.get_by_role("button", name="Start review").click()

    # Two criteria: one agreed, one moderated down with a comment; then returned with a message.
    reviewer.get_by_role("link", name=re.compile("^PRI-LEAD-01")).click()
    reviewer.get_by_label("Agree with the school's rating").check()
    axe(reviewer, "moderating a criterion")
    reviewer.get_by_role("button", name="Save decision").click()
    expect(reviewer.get_by_role("row", name=re.compile("PRI-LEAD-01"))).to_contain_text("Agreed")
    reviewer.get_by_role("link", name=re.compile("^PRI-LEAD-02")).click()
    reviewer.get_by_label("Record a moderated rating").check()
    reviewer.get_by_label("2: Developing").check()
    reviewer.get_by_label("Comment for the school").fill("What has changed for pupils? Please add the impact.")
    reviewer.get_by_role("button", name="Save decision").click()
    expect(reviewer.get_by_role("row", name=re.compile("PRI-LEAD-02"))).to_contain_text("Moderated to 2")
    reviewer.get_by_label("What the school needs to change").fill("Please add the impact for PRI-LEAD-02.")
    reviewer.get_by_role("button", name="Return for amendments").click()
    axe(reviewer, "review: returned")
    reviewer.goto(service.url + "/la/?status=returned")
    expect(reviewer.get_by_role("row", name=re.compile(ST_AIDANS))).to_contain_text("Returned for amendments")

    # The school's SENCo sees what to change, amends and resubmits.
    senco = new_context().new_page()
    sign_in(senco, service, ST_AIDANS_SENCO)
    senco.goto(service.url + "/school/900003/")
    expect(senco.get_by_text("Please add the impact for PRI-LEAD-02.")).to_be_visible()
    senco.goto(service.url + "/school/900003/self-evaluation/leadership")
    commentary = senco.get_by_role("region", name=re.compile(r"^PRI-LEAD-02\b")).get_by_label(re.compile("^Commentary"))
    commentary.fill("Governors now see termly data: pupils with SEND attend 2 points more than last year.")
    senco.get_by_role("button", name="Save and come back later").click()
    senco.goto(service.url + "/school/900003/self-evaluation/check")
    senco.get_by_role("button", name="Submit the self-evaluation").click()
    expect(heading(senco)).to_contain_text("submitted")

    # The reviewer completes the review and sends it to panel; the panel awards.
    reviewer.goto(service.url + "/la/?status=submitted")
    reviewer.get_by_role("link", name=ST_AIDANS).click()
    reviewer.get_by_role("link", name="Review this school's submission (moderation and panel)").click()
    reviewer.get_by_role("button", name="Start review").click()
    reviewer.get_by_role("button", name=re.compile("^Agree with the school's rating for the")).click()
    reviewer.get_by_role("button", name="Send to panel").click()
    axe(reviewer, "review: at panel")
    reviewer.goto(service.url + "/la/schools/900003/panel")
    reviewer.get_by_label("Awarded", exact=True).check()
    reviewer.get_by_label("Reasons for the decision").fill("Inclusion is led well, and its impact is evidenced.")
    reviewer.get_by_label("Day", exact=True).fill("23")
    reviewer.get_by_label("Month", exact=True).fill("11")
    reviewer.get_by_label("Year", exact=True).fill("2026")
    reviewer.get_by_label("Panel chair (assistant director or delegate)").check()
    reviewer.get_by_label("Educational psychologist").check()
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(reviewer.get_by_role("row", name=re.compile("23 November 2026"))).to_contain_text("23 November 2029")
    axe(reviewer, "panel: awarded")
    reviewer.goto(service.url + "/la/?status=awarded")
    expect(reviewer.get_by_role("row", name=re.compile(ST_AIDANS))).to_contain_text("Awarded")

    # The public site, rebuilt from the service's register, lists the school.
    rebuild_site(service, tmp_path)
    after = register_names(public, service)
    assert ST_AIDANS in after and len(after) == len(before) + 1
    axe(public, "public register after the award")
    axe.assert_clean()
