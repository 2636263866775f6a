"""The evidence checklist is content an LA editor changes in content/evidence.yaml: a mistake is reported
with the file, the line and a fix, and the public site lists every item on its "Evidence checklist" page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import build
from quality_mark import site_map
from quality_mark.loader import check_content, load_content
from quality_mark.problems import ContentProblem
from quality_mark.site_pages import site_nav, site_pages

REPO_ROOT = Path(__file__).resolve().parent.parent
EVIDENCE = "content/evidence.yaml"
EditContent = Callable[[str, str, str], int]  # the edit_content fixture from conftest.py


def the_problem(problems: list[ContentProblem], words: str) -> ContentProblem:
    found = [problem for problem in problems if problem.file == EVIDENCE and words in problem.message]
    listing = "\n".join(str(problem) for problem in problems) or "(no problems at all)"
    assert len(found) == 1, f"expected one problem in {EVIDENCE} saying {words!r}; the check said:\n{listing}"
    return found[0]


def test_an_evidence_item_id_used_twice_is_reported_on_its_line(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    first = edit_content(EVIDENCE, "  - id: attendance\n", "  - id: attendance\n")
    line = edit_content(EVIDENCE, "  - id: attainment\n", "  - id: attendance\n")

    content, problems = check_content(content_copy)

    assert content is None
    problem = the_problem(problems, "The evidence item ID 'attendance' is used twice")
    assert problem.line == line
    assert f"(first on line {first})" in problem.message
    assert "an ID must never be reused" in problem.fix
    assert build.main(["check", "--root", str(content_copy)]) == 1
    assert str(problem) in capsys.readouterr().out.splitlines()


def test_an_evidence_item_in_a_stage_that_does_not_exist_is_reported_on_its_line(
    content_copy: Path, edit_content: EditContent
) -> None:
    old = "      - Internal progress data summarised by year group or subject\n    stage: 6\n"
    line = edit_content(EVIDENCE, old, old.replace("stage: 6", "stage: 12")) + 1

    _, problems = check_content(content_copy)

    problem = the_problem(problems, "Evidence item 'attainment' belongs to stage 12, which does not exist")
    assert problem.line == line
    assert "Use a stage number from content/stages.yaml (1 to 10), or remove 'stage:'" in problem.fix


def test_an_unknown_key_is_reported_with_the_key_it_was_meant_to_be(
    content_copy: Path, edit_content: EditContent
) -> None:
    line = (
        edit_content(
            EVIDENCE,
            "      key stage the school teaches, and what the school has learned from the figures.\n    examples:\n",
            "      key stage the school teaches, and what the school has learned from the figures.\n    exampels:\n",
        )
        + 1
    )

    _, problems = check_content(content_copy)

    unknown = the_problem(problems, "Unknown key 'exampels' in evidence item 'attainment'")
    assert unknown.line == line
    assert unknown.fix.startswith("Did you mean 'examples'?")
    assert the_problem(problems, "'examples' is missing in evidence item 'attainment'")


def test_a_stage_written_as_words_is_reported(content_copy: Path, edit_content: EditContent) -> None:
    old = "      - Examples of how advice from a panel changed the school's practice\n    stage: 6\n"
    line = edit_content(EVIDENCE, old, old.replace("stage: 6", "stage: six")) + 1

    _, problems = check_content(content_copy)

    problem = the_problem(problems, "'stage' in evidence item 'panel-referrals' should be a whole number")
    assert problem.line == line


def test_a_missing_checklist_is_reported(content_copy: Path) -> None:
    (content_copy / EVIDENCE).unlink()

    content, problems = check_content(content_copy)

    assert content is None
    assert ContentProblem(EVIDENCE, 0, "This file is missing.", f"Create {EVIDENCE}.") in problems


def test_the_real_checklist_is_clean_and_has_the_warwickshire_items() -> None:
    content, problems = check_content(REPO_ROOT)

    assert problems == [], "\n".join(map(str, problems))
    assert content is not None
    assert [item.id for item in content.evidence_checklist] == [
        "attendance",
        "exclusions-and-suspensions",
        "reduced-timetables",
        "attainment",
        "provision-map",
        "panel-referrals",
    ]
    for item in content.evidence_checklist:
        assert item.description and item.examples and item.no_pupil_names
        assert item.stage == content.timeline.stage(6).number
    assert content.evidence_item("provision-map").guidance.startswith("Remove any column that names pupils")
    with pytest.raises(KeyError):
        content.evidence_item("no-such-item")


def test_the_site_has_an_evidence_checklist_page_listing_every_item() -> None:
    content = load_content(REPO_ROOT)

    page = site_pages(content)[site_map.EVIDENCE]

    assert 'title: "Evidence checklist"' in page
    assert "# Evidence checklist" in page
    for item in content.evidence_checklist:
        assert f"## {item.title} {{ #{item.id} }}" in page
        assert f"- [{item.title}](#{item.id})" in page
        assert " ".join(item.description.split()) in " ".join(page.split())
        for example in item.examples:
            assert f"- {example}\n" in page
    assert "(stages.md#stage-6)" in page
    assert page.count("**Do not identify pupils.**") == len(content.evidence_checklist)
    # it sits under Stages in the navigation, and the stages page links to it
    stages_entry = next(entry["Stages"] for entry in site_nav(content) if "Stages" in entry)
    assert stages_entry == [site_map.STAGES, {"Evidence checklist": site_map.EVIDENCE}]
    assert f"[evidence checklist]({site_map.EVIDENCE})" in site_pages(content)[site_map.STAGES]


def test_editors_can_link_to_the_checklist(content_copy: Path, edit_content: EditContent) -> None:
    edit_content(
        "content/pages/faq.md", "[primary criteria](criteria/primary/index.md)", "[the checklist](evidence.md)"
    )

    _, problems = check_content(content_copy)

    assert problems == [], "\n".join(map(str, problems))
