"""Moving a demo school to a new framework version, in a real browser: the LA moves it, the SENCo sees the
flags, confirms one, changes one and reads an earlier answer; axe-core on every state; by mouse with
JavaScript, with JavaScript off, and by keyboard alone."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.test_service_browser import (  # noqa: F401 - fixtures, used by name
    LA_ADMIN,
    OAKFIELD_SENCO,
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
from tests.test_version_moves import answered, load, with_v2

pytestmark = pytest.mark.browser

OAKFIELD = "900001"


def press(page: Page, target: Locator, by_keyboard: bool, key: str = "Enter") -> None:
    """Follow a link or press a button: with the mouse, or by tabbing to it and pressing `key`."""
    if by_keyboard:
        tab_to(page, target, limit=200)
        page.keyboard.press(key)
    else:
        target.click()


@pytest.mark.parametrize("way", ["mouse", "no JavaScript", "keyboard"])
def test_the_la_moves_a_school_and_the_senco_confirms_and_changes_flagged_answers(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
    way: str,
) -> None:
    with_v2(service.app)
    answered(service.app)
    by_keyboard = way == "keyboard"
    options = {"java_script_enabled": False} if way == "no JavaScript" else {}
    checker = Axe()

    def axe(page: Page, state: str) -> None:
        # axe-core is a script: with JavaScript off it cannot run (the same pages are checked in the other ways).
        if way != "no JavaScript":
            checker(page, state)

    la = new_context(**options).new_page()
    sign_in(la, service, LA_ADMIN)
    la.goto(service.url + "/la/frameworks")
    expect(heading(la)).to_have_text("Framework versions")
    axe(la, "framework versions")
    la.goto(service.url + "/la/frameworks/primary/move/2")
    expect(heading(la)).to_have_text("Move self-evaluations to version 2")
    axe(la, "move a framework: confirm")
    la.goto(service.url + f"/school/{OAKFIELD}/")
    press(la, la.get_by_role("link", name=re.compile("^Criteria version")), by_keyboard)
    expect(heading(la)).to_have_text("Criteria version for Oakfield Primary School")
    axe(la, "move one school: confirm")
    press(la, la.get_by_role("button", name="Move this self-evaluation to version 2"), by_keyboard)
    expect(heading(la)).to_have_text("Oakfield Primary School")
    expect(la.get_by_role("status")).to_contain_text("self-evaluation is now on version 2")
    axe(la, "school page after the move")
    la.goto(service.url + f"/la/schools/{OAKFIELD}/framework-version")
    expect(la.locator("#reason")).to_have_text("It is already on the newest version (2).")
    axe(la, "move one school: already moved")

    senco = new_context(**options).new_page()
    sign_in(senco, service, OAKFIELD_SENCO)
    senco.goto(service.url + f"/school/{OAKFIELD}/self-evaluation/")
    flagged = senco.locator("#flagged")
    expect(flagged).to_contain_text("6 criteria need checking")
    expect(senco.get_by_role("heading", name="Answers to criteria no longer in the framework")).to_be_visible()
    expect(senco.get_by_text("Retired answer").first).to_be_visible()
    axe(senco, "overview with flags")

    press(senco, flagged.get_by_role("link", name="PRI-LEAD-02"), by_keyboard)
    expect(heading(senco)).to_have_text(re.compile("Leadership"))
    flag = senco.locator("#pri-lead-02-flag")
    expect(flag).to_contain_text("Updated since you last reviewed — check your answer")
    press(senco, flag.locator("summary"), by_keyboard)
    expect(flag.get_by_text(re.compile("^PRI-LEAD-02: "))).to_be_visible()
    axe(senco, "heading with a flag, what it said before open")
    press(senco, flag.get_by_role("button", name=re.compile("^This is still right")), by_keyboard)
    expect(senco.get_by_role("status").first).to_contain_text(
        "You confirmed your answer to PRI-LEAD-02 is still right."
    )
    expect(senco.locator("#pri-lead-02-flag")).to_have_count(0)
    axe(senco, "heading after confirming")

    senco.goto(service.url + f"/school/{OAKFIELD}/self-evaluation/teaching")
    expect(senco.locator("#pri-teach-08-flag")).to_contain_text("Updated since you last reviewed")
    expect(senco.get_by_text("Your earlier answer to PRI-TEACH-01")).to_be_visible()
    axe(senco, "heading with earlier answers")
    commentary = senco.locator("#pri-teach-08-commentary")
    if by_keyboard:
        tab_to(senco, commentary, limit=200)
        senco.keyboard.press("Control+End")
        senco.keyboard.type(" Checked against the new criterion.")
    else:
        commentary.fill("Both merged criteria are met: checked against the new criterion.")
    press(senco, senco.get_by_role("button", name="Save and continue"), by_keyboard)
    expect(heading(senco)).not_to_have_text(re.compile("Teaching"))

    document = load(service.app)
    assert "PRI-LEAD-02" not in document["flags"] and "PRI-TEACH-08" not in document["flags"]
    assert "checked against the new criterion" in document["answers"]["PRI-TEACH-08"]["commentary"].lower()
    assert document["history"]["PRI-LEAD-02"][-1]["confirmed"] == "changed"
    senco.goto(service.url + f"/school/{OAKFIELD}/self-evaluation/check")
    expect(senco.locator("#flagged")).to_contain_text("4 criteria need checking")
    axe(senco, "check your answers with flags")
    checker.assert_clean()
    assert len(checker.checked) == (0 if way == "no JavaScript" else 10)


@pytest.mark.parametrize("by_keyboard", [False, True], ids=["mouse", "keyboard"])
def test_the_la_moves_every_in_progress_self_evaluation_of_a_framework_and_sees_the_counts(
    service: Service,  # noqa: F811
    new_context: Callable[..., BrowserContext],  # noqa: F811
    by_keyboard: bool,
) -> None:
    with_v2(service.app)
    answered(service.app)
    axe = Axe()
    la = new_context().new_page()
    sign_in(la, service, LA_ADMIN)

    la.goto(service.url + "/la/")
    press(la, la.get_by_role("link", name="Framework versions"), by_keyboard)
    expect(heading(la)).to_have_text("Framework versions")
    press(la, la.get_by_role("link", name=re.compile("^Move 1 in-progress self-evaluation to version 2")), by_keyboard)
    expect(heading(la)).to_have_text("Move self-evaluations to version 2")
    press(la, la.get_by_role("button", name="Move 1 self-evaluation to version 2"), by_keyboard)
    expect(heading(la)).to_have_text("Self-evaluations moved to version 2")
    expect(la.get_by_role("status")).to_contain_text("Moved 1 in-progress self-evaluation to version 2.")
    expect(la.get_by_role("row", name=re.compile("Version 2"))).to_contain_text("1")
    axe(la, "moved: the counts")

    la.goto(service.url + "/la/frameworks")
    expect(la.get_by_text("Every in-progress self-evaluation is on the newest version.").first).to_be_visible()
    axe(la, "framework versions after the move")
    assert load(service.app)["framework_version"] == 2
    axe.assert_clean()
