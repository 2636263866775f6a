"""When schools are reminded is content the LA edits in content/reminders.yaml: a mistake is reported by
`build.py check` with the file, the line and a fix, and the points reach the content model largest first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import build
from quality_mark.loader import check_content, load_content
from quality_mark.model import ReminderPoints
from quality_mark.problems import ContentProblem

REMINDERS = "content/reminders.yaml"
EditContent = Callable[[str, str, str], int]  # the edit_content fixture from conftest.py
DEADLINE_DAYS = "  days_before: [56, 28, 7, 1]\n"
EXPIRY_DAYS = "  days_before: [365, 180, 60]\n"


def the_problem(problems: list[ContentProblem], words: str, file: str = REMINDERS) -> ContentProblem:
    found = [problem for problem in problems if problem.file == file and words in problem.message]
    listing = "\n".join(str(problem) for problem in problems) or "(no problems at all)"
    assert len(found) == 1, f"expected one problem in {file} saying {words!r}; the check said:\n{listing}"
    return found[0]


def test_the_real_reminder_points_reach_the_model_largest_first(content_copy: Path, edit_content) -> None:
    edit_content(REMINDERS, DEADLINE_DAYS, "  days_before: [1, 7, 56, 28]\n")

    content = load_content(content_copy)

    assert content.reminders == ReminderPoints("inclusion-team", (56, 28, 7, 1), (365, 180, 60))


def test_an_empty_list_turns_those_reminders_off(content_copy: Path, edit_content) -> None:
    edit_content(REMINDERS, EXPIRY_DAYS, "  days_before: []\n")

    assert load_content(content_copy).reminders.before_expiry == ()


@pytest.mark.parametrize(
    ("old", "new", "says", "fix_says"),
    [
        (
            DEADLINE_DAYS,
            "  days_before: [56, 28, 7, 0]\n",
            "'days_before' in reminder 4 is 0, which is too small.",
            "Use a value of at least 1.",
        ),
        (
            DEADLINE_DAYS,
            "  days_before: [56, four weeks, 7, 1]\n",
            "'days_before' in reminder 2 should be a whole number, but it is 'four weeks'.",
            "Expected a whole number of days before the deadline, such as 28.",
        ),
        (
            EXPIRY_DAYS,
            "  days_before: [365, 180, 6000]\n",
            "'days_before' in reminder 3 is 6000, which is too large.",
            "Use a value of at most 3650.",
        ),
        (
            "award_expiry:\n",
            "award_expirey:\n",
            "Unknown key 'award_expirey' in the top of the file.",
            "Did you mean 'award_expiry'?",
        ),
        (
            "contact: inclusion-team",
            "contact: Inclusion Team",
            "'contact' in the top of the file is 'Inclusion Team', which is not in the expected form.",
            "Use the id of a contact in content/contacts.yaml, such as inclusion-team.",
        ),
    ],
    ids=["zero-days", "days-in-words", "too-many-days", "misspelt-key", "contact-not-an-id"],
)
def test_a_mistake_in_the_reminders_is_reported_with_its_line_and_a_fix(
    content_copy: Path,
    edit_content: EditContent,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    says: str,
    fix_says: str,
) -> None:
    line = edit_content(REMINDERS, old, new)

    content, problems = check_content(content_copy)

    assert content is None
    problem = the_problem(problems, says)
    assert problem.line == line
    assert fix_says in problem.fix
    assert build.main(["check", "--root", str(content_copy)]) == 1
    assert str(problem) in capsys.readouterr().out.splitlines()


def test_a_day_listed_twice_is_reported_on_the_second_with_the_first_line(
    content_copy: Path, edit_content: EditContent
) -> None:
    edit_content(REMINDERS, DEADLINE_DAYS, "  days_before:\n    - 56\n    - 28\n    - 7\n    - 28\n")
    text = (content_copy / REMINDERS).read_text("utf-8").splitlines()
    first, second = (number for number, line in enumerate(text, start=1) if line == "    - 28")

    _, problems = check_content(content_copy)

    problem = the_problem(problems, "The reminder 28 days before the deadline is listed twice")
    assert problem.line == second and f"(first on line {first})" in problem.message
    assert problem.fix == "Delete one of the 28s from the list."


def test_a_contact_that_does_not_exist_is_reported(content_copy: Path, edit_content: EditContent) -> None:
    line = edit_content(REMINDERS, "contact: inclusion-team", "contact: quality-mark-team")

    _, problems = check_content(content_copy)

    problem = the_problem(problems, "The reminders name the contact 'quality-mark-team', which is not in")
    assert problem.line == line
    assert "inclusion-team" in problem.fix


def test_an_award_reminder_before_the_award_is_even_made_is_reported(
    content_copy: Path, edit_content: EditContent
) -> None:
    line = edit_content(REMINDERS, EXPIRY_DAYS, "  days_before: [1200, 180, 60]\n")

    _, problems = check_content(content_copy)

    problem = the_problem(problems, "A reminder 1200 days before an award runs out would come before the award is made")
    assert problem.line == line
    assert "an award lasts 3 years" in problem.message
    assert problem.fix == "Use fewer than 1095 days."


def test_the_award_period_comes_from_the_stages_file(content_copy: Path, edit_content: EditContent) -> None:
    edit_content("content/stages.yaml", "  every_years: 3\n", "  every_years: 1\n")

    _, problems = check_content(content_copy)

    problem = the_problem(problems, "A reminder 365 days before an award runs out would come before the award is made")
    assert "an award lasts 1 year (reaccreditation in content/stages.yaml)" in problem.message
    assert problem.fix == "Use fewer than 365 days."


def test_a_deadline_reminder_before_registration_opens_is_reported(
    content_copy: Path, edit_content: EditContent
) -> None:
    edit_content("content/key_dates.yaml", 'registration_opens: "2026-06-11"', 'registration_opens: "2027-08-30"')
    line = edit_content(REMINDERS, DEADLINE_DAYS, "  days_before: [56, 28, 7, 1]\n")

    _, problems = check_content(content_copy)

    problem = the_problem(problems, "A reminder 56 days before the deadline would come before registration opens")
    assert problem.line == line
    assert "in the 2026-27 cycle (registration opens 31 days before its deadline)" in problem.message
    assert problem.fix == "Use at most 31 days, or check the dates in content/key_dates.yaml."


def test_a_missing_reminders_file_is_reported(content_copy: Path) -> None:
    (content_copy / REMINDERS).unlink()

    _, problems = check_content(content_copy)

    problem = the_problem(problems, "This file is missing.")
    assert (problem.line, problem.fix) == (0, f"Create {REMINDERS}.")
