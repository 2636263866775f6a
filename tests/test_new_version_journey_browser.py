"""An editor's new version of the criteria, from pull request to a school's answers, in a real browser.

The editor's change (tests/content_versions.py) adds a criterion, rewords one and retires one, as version 2
of the primary framework in its own YAML file. It passes the check against the published content, the
site's "What changed" page shows it, and a demo school's in-progress answers move to it with nothing lost:
changed and new criteria flagged, the retired answer kept, read-only, with its old wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

import build
from form_service import self_evaluation
from form_service.core.content import get_content
from form_service.programme.demo import seed_programme
from form_service.store import get_store
from tests.browser import running_service
from tests.content_versions import (
    ADDED,
    ADDED_STATEMENT,
    REPO_ROOT,
    RETIRED,
    REWORDED,
    REWORDED_AFTER,
    REWORDED_BEFORE,
    add_primary_v2,
    copy_content,
)
from tests.test_service_browser import (  # noqa: F401 - fixtures, used by name
    LA_ADMIN,
    Axe,
    heading,
    new_context,
    sign_in,
)

pytestmark = pytest.mark.browser

RIVERSIDE = "900002"  # a demo primary school whose self-evaluation is in progress
RIVERSIDE_SENCO = "senco@riverside-primary.example.org"
TODAY = date(2026, 11, 23)


def texts(document: dict[str, Any]) -> set[str]:
    """Every commentary written in the self-evaluation: in its answers and in the earlier answers kept."""
    found = {answer.get("commentary") for answer in document["answers"].values()}
    found |= {entry["answer"].get("commentary") for entry in document.get("earlier_answers") or []}
    return {text for text in found if text}


def riverside(app: Any) -> dict[str, Any]:
    with app.app_context():
        cycle = self_evaluation.current_cycle(get_content(), TODAY)
        document = self_evaluation.load(get_store(), RIVERSIDE, cycle.id)
    assert document is not None
    return document


def test_an_editors_new_version_passes_the_check_shows_what_changed_and_a_school_moves_to_it_losing_nothing(
    tmp_path: Path,
    new_context: Callable[..., BrowserContext],  # noqa: F811
) -> None:
    # The editor's pull request: version 2 beside version 1, checked against what is published now.
    root = copy_content(tmp_path / "repository")
    add_primary_v2(root)
    assert build.main(["check", "--root", str(root), "--base", str(REPO_ROOT)]) == 0
    assert build.main(["site", "--root", str(root), "--out", str(tmp_path / "build")]) == 0
    site = tmp_path / "build" / "site"
    axe = Axe()

    with running_service(site, tmp_path / "data", CONTENT_ROOT=root) as service:
        with service.app.app_context():
            seed_programme(get_store(), get_content(), TODAY)
        before = riverside(service.app)
        assert before["framework_version"] == 1 and before["status"] == "in_progress"
        assert {RETIRED, REWORDED} <= set(before["answers"])  # the demo school answered both

        # The public "What changed" page, as a parent or school would find it.
        reader = new_context().new_page()
        reader.goto(service.origin + "/criteria/primary/")
        reader.get_by_role("link", name="What changed").first.click()
        expect(heading(reader)).to_have_text("Primary schools: what changed")
        main = reader.locator("main")
        for text in (ADDED, ADDED_STATEMENT, REWORDED, REWORDED_BEFORE, REWORDED_AFTER, RETIRED):
            expect(main).to_contain_text(text)
        axe(reader, "What changed page")

        # The LA moves the school to version 2.
        la = new_context().new_page()
        sign_in(la, service, LA_ADMIN)
        la.goto(service.url + f"/la/schools/{RIVERSIDE}/framework-version")
        axe(la, "move one school: confirm")
        la.get_by_role("button", name="Move this self-evaluation to version 2").click()
        expect(la.get_by_role("status")).to_contain_text("self-evaluation is now on version 2")

        after = riverside(service.app)
        assert after["framework_version"] == 2
        assert texts(before) <= texts(after), "an answer was lost in the move"
        for criterion_id, answer in before["answers"].items():
            if criterion_id != RETIRED:
                assert after["answers"][criterion_id]["commentary"] == answer["commentary"]
        (retired,) = [entry for entry in after["earlier_answers"] if entry["criterion_id"] == RETIRED]
        assert retired["answer"]["commentary"] == before["answers"][RETIRED]["commentary"]
        assert RETIRED not in after["answers"]
        assert after["flags"][REWORDED]["kind"] == "changed" and after["flags"][ADDED]["kind"] == "new"
        assert set(after["flags"]) == {REWORDED, ADDED}  # everything else carried on unchanged

        # The school's SENCo sees what needs checking, and the retired answer read-only.
        senco = new_context().new_page()
        sign_in(senco, service, RIVERSIDE_SENCO)
        senco.goto(service.url + f"/school/{RIVERSIDE}/self-evaluation/")
        expect(senco.locator("#flagged")).to_contain_text("2 criteria need checking")
        expect(senco.get_by_role("heading", name="Answers to criteria no longer in the framework")).to_be_visible()
        axe(senco, "overview after the move")
        senco.goto(service.url + f"/school/{RIVERSIDE}/self-evaluation/leadership")
        expect(senco.locator(f"#{ADDED.lower()}-flag")).to_contain_text("New criterion")
        expect(
            senco.get_by_text(re.compile(re.escape(before["answers"][RETIRED]["commentary"][:40]))).first
        ).to_be_visible()
        axe(senco, "leadership: a new criterion and a retired answer")
        senco.goto(service.url + f"/school/{RIVERSIDE}/self-evaluation/teaching")
        flag = senco.locator(f"#{REWORDED.lower()}-flag")
        expect(flag).to_contain_text("Updated since you last reviewed — check your answer")
        flag.locator("summary").click()
        expect(flag).to_contain_text(REWORDED_BEFORE)
        axe(senco, "teaching: a reworded criterion, what it said before")
        assert_page_keeps_answer(senco, REWORDED, before["answers"][REWORDED]["commentary"])
    axe.assert_clean()
    assert len(axe.checked) == 5


def assert_page_keeps_answer(page: Page, criterion_id: str, commentary: str) -> None:
    expect(page.locator(f"#{criterion_id.lower()}-commentary")).to_have_value(commentary)
