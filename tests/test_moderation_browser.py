"""Moderation in a real browser: a reviewer moderates and returns, the SENCo amends and resubmits, the panel awards.

Every LA page and state passes axe-core at WCAG 2.2 AA; the error summaries move focus to the field.
"""

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

REVIEWER = "la.reviewer@example.org"


def every_criterion(running: Service) -> list[str]:
    from form_service.core.content import get_content

    with running.app.app_context():
        return [c.id for c in get_content().framework("primary").criteria]


def test_review_return_amend_resubmit_panel_and_award_with_every_la_page_passing_axe(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    start_self_evaluation(service.app, ratings=dict.fromkeys(every_criterion(service), 3))
    axe = Axe()
    senco = new_context().new_page()
    sign_in(senco, service, OAKFIELD_SENCO)
    senco.goto(service.url + "/school/900001/self-evaluation/check")
    senco.get_by_role("button", name="Submit the self-evaluation").click()
    expect(heading(senco)).to_contain_text("submitted")

    reviewer = new_context().new_page()
    sign_in(reviewer, service, REVIEWER)
    reviewer.goto(service.url + "/school/900001/")
    reviewer.get_by_role("link", name="Review this school's submission (moderation and panel)").click()
    expect(heading(reviewer)).to_have_text("Review Oakfield Primary School's submission")
    axe(reviewer, "review: submitted")
    reviewer.get_by_role("button", name="Start review").click()
    expect(reviewer.get_by_text("0 of 42")).to_be_visible()
    axe(reviewer, "review: under review, nothing moderated")

    # The first criterion: a moderated rating without a comment is refused, with the summary leading to the field.
    reviewer.get_by_role("link", name=re.compile("^PRI-LEAD-01")).click()
    expect(heading(reviewer)).to_contain_text("PRI-LEAD-01")
    axe(reviewer, "criterion: empty")
    reviewer.get_by_label("Record a moderated rating").check()
    reviewer.get_by_label("2: Developing").check()
    reviewer.get_by_role("button", name="Save decision").click()
    expect(reviewer).to_have_title(re.compile("^Error: PRI-LEAD-01"))
    summary = error_summary(reviewer)
    expect(summary).to_be_focused()
    axe(reviewer, "criterion: with errors")
    summary.get_by_role("link", name="Enter a comment that tells the school why you moderated its rating").click()
    expect(reviewer.get_by_label("Comment for the school")).to_be_focused()
    reviewer.keyboard.type("Please add the provision map to your evidence.")
    reviewer.get_by_role("button", name="Save decision").click()
    expect(reviewer.get_by_role("row", name=re.compile("PRI-LEAD-01"))).to_contain_text("Moderated to 2 (Developing)")

    # The second criterion, by keyboard: agree with a comment.
    reviewer.get_by_role("link", name=re.compile("^PRI-LEAD-02")).click()
    reviewer.get_by_label("Agree with the school's rating").focus()
    reviewer.keyboard.press("Space")
    reviewer.get_by_label("Comment for the school").fill("Good to see governors involved.")
    reviewer.get_by_label("Comment for the school").press("Tab")
    reviewer.keyboard.press("Enter")
    expect(reviewer.get_by_role("row", name=re.compile("PRI-LEAD-02"))).to_contain_text("Agreed")
    axe(reviewer, "review: two criteria moderated")

    reviewer.get_by_role("button", name="Return for amendments").click()
    expect(error_summary(reviewer)).to_be_focused()
    axe(reviewer, "review: return with errors")
    reviewer.get_by_label("What the school needs to change").fill("Please add evidence for PRI-LEAD-01.")
    reviewer.get_by_role("button", name="Return for amendments").click()
    expect(reviewer.get_by_text("Status: Returned for amendments")).to_be_visible()
    axe(reviewer, "review: returned")

    # The SENCo sees what to change, reads the comments, replies, amends and resubmits.
    senco.goto(service.url + "/school/900001/")
    expect(senco.get_by_text("Please add evidence for PRI-LEAD-01.")).to_be_visible()
    senco.get_by_role("link", name="See the local authority's comments on each criterion").click()
    expect(heading(senco)).to_have_text("Feedback from the local authority")
    expect(senco.get_by_text("Please add the provision map to your evidence.")).to_be_visible()
    expect(senco.get_by_text("The local authority's moderated rating: 2 (Developing).")).to_be_visible()
    axe(senco, "school feedback")
    senco.get_by_label("Reply about PRI-LEAD-01").fill("Added it to the evidence list.")
    senco.get_by_role("button", name="Send reply").first.click()
    expect(senco.get_by_text("Added it to the evidence list.")).to_be_visible()
    senco.goto(service.url + "/school/900001/self-evaluation/leadership")
    senco.locator("#pri-lead-01-evidence").fill("Provision map 2026")
    senco.get_by_role("button", name="Save and come back later").click()
    senco.goto(service.url + "/school/900001/self-evaluation/check")
    senco.get_by_role("button", name="Submit the self-evaluation").click()
    expect(heading(senco)).to_contain_text("submitted")

    reviewer.reload()
    reviewer.get_by_role("button", name="Start review").click()
    expect(reviewer.get_by_text("2 of 42")).to_be_visible()  # the ratings did not change: both decisions stand
    reviewer.get_by_role("link", name=re.compile("^PRI-LEAD-01")).click()
    expect(reviewer.get_by_text("Added it to the evidence list.")).to_be_visible()
    reviewer.go_back()
    reviewer.get_by_role("button", name="Send to panel").click()
    expect(error_summary(reviewer)).to_contain_text("40 still to do")
    axe(reviewer, "review: send to panel refused")
    reviewer.get_by_role("button", name=re.compile("^Agree with the school's rating for the 40")).click()
    reviewer.get_by_role("button", name="Send to panel").click()
    expect(heading(reviewer)).to_have_text("Panel decision for Oakfield Primary School")
    axe(reviewer, "panel: empty")
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(error_summary(reviewer)).to_be_focused()
    axe(reviewer, "panel: with errors")
    error_summary(reviewer).get_by_role("link", name=re.compile("^Enter the date")).click()
    expect(reviewer.get_by_label("Day", exact=True)).to_be_focused()
    reviewer.get_by_label("Awarded", exact=True).check()
    reviewer.get_by_label("Reasons for the decision").fill("Inclusion is led well and well evidenced.")
    reviewer.get_by_label("Day", exact=True).fill("20")
    reviewer.get_by_label("Month", exact=True).fill("11")
    reviewer.get_by_label("Year", exact=True).fill("2026")
    reviewer.get_by_label("Panel chair (assistant director or delegate)").check()
    reviewer.get_by_label("Educational psychologist").check()
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(reviewer.get_by_text("Status: Awarded")).to_be_visible()
    expect(reviewer.get_by_role("row", name=re.compile("20 November 2026"))).to_contain_text("20 November 2029")
    axe(reviewer, "review: decided")
    reviewer.goto(service.url + "/la/schools/900001/panel")
    axe(reviewer, "panel: decided")

    senco.goto(service.url + "/school/900001/")
    expect(senco.get_by_text("Panel decision (20 November 2026): Awarded.")).to_be_visible()
    assert "Decision: Awarded" in service_email(service, OAKFIELD_SENCO)
    axe.assert_clean()
    assert len(axe.checked) == 13


def service_email(running: Service, address: str) -> str:
    import email
    from email import policy
    from pathlib import Path

    folder = Path(running.app.config["DATA_DIR"]) / "outbox"
    found = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]
    return [m for m in found if m["To"] == address][-1].get_content()


def test_the_review_works_without_javascript(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    start_self_evaluation(service.app, ratings=dict.fromkeys(every_criterion(service), 3))
    senco = new_context(java_script_enabled=False).new_page()
    sign_in(senco, service, OAKFIELD_SENCO)
    senco.goto(service.url + "/school/900001/self-evaluation/check")
    senco.get_by_role("button", name="Submit the self-evaluation").click()
    reviewer = new_context(java_script_enabled=False).new_page()
    sign_in(reviewer, service, REVIEWER)
    reviewer.goto(service.url + "/la/schools/900001/review")
    reviewer.get_by_role("button", name="Start review").click()
    reviewer.get_by_role("link", name=re.compile("^PRI-LEAD-03")).click()
    reviewer.get_by_label("Record a moderated rating").check()
    reviewer.get_by_label("1: Not yet in place").check()
    reviewer.get_by_label("Comment for the school").fill("We saw no policy.")
    reviewer.get_by_role("button", name="Save decision").click()
    expect(reviewer.get_by_role("row", name=re.compile("PRI-LEAD-03"))).to_contain_text("Moderated to 1")
    reviewer.get_by_label("What the school needs to change").fill("See PRI-LEAD-03.")
    reviewer.get_by_role("button", name="Return for amendments").click()
    expect(reviewer.get_by_text("Status: Returned for amendments")).to_be_visible()
    senco.goto(service.url + "/school/900001/feedback/")
    expect(senco.get_by_text("We saw no policy.")).to_be_visible()
