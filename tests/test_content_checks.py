"""`python build.py check`: an editor who makes a mistake in criteria/ or content/ is told the file,
the exact line and what is wrong in plain English, every mistake at once, and nothing is built.

Each test breaks a copy of the real content the way an editor might, then reads what the check says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import build
from quality_mark.loader import check_content, load_content
from quality_mark.problems import ContentError, ContentProblem

REPO_ROOT = Path(__file__).resolve().parent.parent
EditContent = Callable[[str, str, str], int]  # the edit_content fixture from conftest.py

PRIMARY = "criteria/primary/v1.yaml"
SECONDARY = "criteria/secondary/v1.yaml"
STAGES = "content/stages.yaml"
KEY_DATES = "content/key_dates.yaml"
CONTACTS = "content/contacts.yaml"
FAQ = "content/pages/faq.md"
PARENTS = "content/pages/parents.md"

PARENTS_FRONT_MATTER = (
    "---\n"
    "title: What the mark means for parents and carers\n"
    "description: A simple guide for parents and carers to what the SEND and Inclusion Quality Mark means for "
    "their child.\n"
    "order: 2\n"
    "menu_title: For parents\n"
    "---\n"
)
GOVERNORS_NEXT_LEVEL = (
    "        next_level: >-\n"
    "          Governors use first-hand evidence, such as talking with pupils and families, alongside data\n"
    "          to shape the school's strategic priorities for inclusion.\n"
)
AWARD_CEREMONY_2027 = '        date: "2027-12-08"\n        time: "14:00"\n'


def line_number(text: str, needle: str, occurrence: int = 1) -> int:
    """The line (1-based) on which the `occurrence`th `needle` in `text` starts."""
    start = -1
    for _ in range(occurrence):
        start = text.find(needle, start + 1)
        assert start != -1, f"{needle!r} does not occur {occurrence} time(s) in the edited file"
    return text.count("\n", 0, start) + 1


def the_problem(problems: list[ContentProblem], file: str, words: str) -> ContentProblem:
    """The one problem in `file` whose message contains `words`."""
    found = [problem for problem in problems if problem.file == file and words in problem.message]
    listing = "\n".join(str(problem) for problem in problems) or "(no problems at all)"
    assert len(found) == 1, f"expected one problem in {file} saying {words!r}; the check said:\n{listing}"
    return found[0]


@dataclass(frozen=True)
class Mistake:
    """One mistake an editor might make, and what the check must say about it."""

    file: str
    edits: tuple[tuple[str, str], ...]  # (exact old text, new text), applied in order
    where: str  # text on the broken line of the edited file
    says: tuple[str, ...]  # words the problem's message must contain
    fix_says: tuple[str, ...] = ()  # words the suggested fix must contain
    occurrence: int = 1  # n > 1: the broken line is the nth place `where` occurs, repeating the (n-1)th


def mistake(
    name: str,
    file: str,
    old: str,
    new: str,
    where: str,
    *says: str,
    fix_says: tuple[str, ...] = (),
    occurrence: int = 1,
) -> object:
    """A test case for a mistake made by one edit."""
    return pytest.param(Mistake(file, ((old, new),), where, says, fix_says, occurrence), id=name)


MISTAKES = [
    # YAML that cannot be read at all
    mistake(
        "yaml-bad-indentation-in-framework",
        PRIMARY,
        "  - id: leadership\n    title:",
        "  - id: leadership\n   title:",
        "   title: Leadership and management of inclusion",
        "YAML syntax error",
        fix_says=("indentation",),
    ),
    mistake(
        "yaml-bad-indentation-in-stages",
        STAGES,
        "    id: monitoring-visit\n",
        "     id: monitoring-visit\n",
        "     id: monitoring-visit",
        "YAML syntax error",
        fix_says=("indentation",),
    ),
    mistake(
        "yaml-unclosed-quote-in-stages",
        STAGES,
        "    title: Monitoring visit\n",
        '    title: "Monitoring visit\n',
        'title: "Monitoring visit',
        "YAML syntax error",
        fix_says=("quotes",),
    ),
    # keys
    mistake(
        "misspelt-key",
        PRIMARY,
        "      - id: PRI-LEAD-03\n        statement:",
        "      - id: PRI-LEAD-03\n        statment:",
        "statment:",
        "Unknown key 'statment' in criterion 'PRI-LEAD-03'",
        fix_says=("Did you mean 'statement'?",),
    ),
    mistake(
        "unknown-key-in-front-matter",
        PARENTS,
        "menu_title: For parents\n",
        "menu_titel: For parents\n",
        "menu_titel:",
        "Unknown key 'menu_titel'",
        fix_says=("Did you mean 'menu_title'?",),
    ),
    mistake(
        "missing-key",
        PRIMARY,
        GOVERNORS_NEXT_LEVEL,
        "",
        "- id: PRI-LEAD-03",
        "'next_level' is missing in criterion 'PRI-LEAD-03'",
        fix_says=("next_level: ...",),
    ),
    mistake(
        "duplicate-key-in-stage",
        STAGES,
        "    title: Monitoring visit\n",
        "    title: Monitoring visit\n    title: Monitoring visit\n",
        "title: Monitoring visit",
        "The key 'title' appears twice in the same block",
        occurrence=2,
    ),
    mistake(
        "duplicate-key-in-criterion",
        SECONDARY,
        "      - id: SEC-LEAD-03\n",
        "      - id: SEC-LEAD-03\n        id: SEC-LEAD-03\n",
        "id: SEC-LEAD-03",
        "The key 'id' appears twice in the same block",
        occurrence=2,
    ),
    # wrong types
    mistake(
        "version-not-a-number",
        PRIMARY,
        "version: 1\n",
        "version: one\n",
        "version: one",
        "'version' in the top of the file should be a whole number, but it is 'one'",
    ),
    mistake(
        "funded-hours-not-a-number",
        STAGES,
        "    funded_hours: 3\n",
        "    funded_hours: two\n",
        "funded_hours: two",
        "'funded_hours' in stage 'evaluate' should be a number, but it is 'two'",
    ),
    mistake(
        "required-not-true-or-false",
        PRIMARY,
        "        required: true\n      - id: PRI-LEAD-02\n",
        '        required: "maybe"\n      - id: PRI-LEAD-02\n',
        'required: "maybe"',
        "'required' in criterion 'PRI-LEAD-01' should be true or false, but it is 'maybe'",
    ),
    # values in the wrong form
    mistake(
        "criterion-id-in-lower-case",
        PRIMARY,
        "      - id: PRI-LEAD-04\n",
        "      - id: pri-lead-04\n",
        "id: pri-lead-04",
        "'id' in criterion 'pri-lead-04' is 'pri-lead-04', which is not in the expected form",
        fix_says=("PRI-LEAD-01",),
    ),
    mistake(
        "email-not-an-address",
        CONTACTS,
        "    email: send.advice@example.org\n",
        "    email: send.advice at example.org\n",
        "email: send.advice at example.org",
        "'email' in contact 'parent-advice' is 'send.advice at example.org', which is not in the expected form",
    ),
    mistake(
        "event-time-not-a-time",
        KEY_DATES,
        AWARD_CEREMONY_2027,
        '        date: "2027-12-08"\n        time: "2pm"\n',
        'time: "2pm"',
        "'time' in event 'award-ceremony' is '2pm', which is not in the expected form",
        fix_says=("HH:MM",),
    ),
    # IDs used twice
    mistake(
        "duplicate-criterion-id",
        PRIMARY,
        "      - id: PRI-LEAD-02\n",
        "      - id: PRI-LEAD-01\n",
        "- id: PRI-LEAD-01",
        "The criterion ID 'PRI-LEAD-01' is used twice",
        occurrence=2,
    ),
    mistake(
        "duplicate-heading-id",
        PRIMARY,
        "  - id: identification\n",
        "  - id: leadership\n",
        "  - id: leadership\n",
        "The heading ID 'leadership' is used twice",
        occurrence=2,
    ),
    mistake(
        "duplicate-stage-id",
        STAGES,
        "    id: panel\n",
        "    id: evaluate\n",
        "    id: evaluate\n",
        "The stage ID 'evaluate' is used twice",
        occurrence=2,
    ),
    mistake(
        "duplicate-contact-id",
        CONTACTS,
        "  - id: enquiries\n",
        "  - id: parent-advice\n",
        "- id: parent-advice",
        "The contact ID 'parent-advice' is used twice",
        occurrence=2,
    ),
    mistake(
        "duplicate-cycle-id",
        KEY_DATES,
        '  - id: "2026-27"\n',
        '  - id: "2025-26"\n',
        'id: "2025-26"',
        "The cycle ID '2025-26' is used twice",
        occurrence=2,
    ),
    mistake(
        "duplicate-event-id-in-a-cycle",
        KEY_DATES,
        '      - id: panel-meeting\n        title: Quality Mark panel meeting\n        date: "2027-11-17"\n',
        '      - id: monitoring-visits\n        title: Quality Mark panel meeting\n        date: "2027-11-17"\n',
        "- id: monitoring-visits",
        "The event ID 'monitoring-visits' is used twice",
        occurrence=3,  # the first cycle has one too; the repeat is in the second cycle
    ),
    mistake(
        "duplicate-rating-label",
        PRIMARY,
        "    label: Established\n",
        "    label: Developing\n",
        "label: Developing",
        "The rating label 'Developing' is used twice",
        occurrence=2,
    ),
    mistake(
        "criterion-id-of-another-framework",
        SECONDARY,
        "      - id: SEC-LEAD-03\n",
        "      - id: PRI-LEAD-03\n",
        "- id: PRI-LEAD-03",
        "The criterion ID 'PRI-LEAD-03' is already used by the 'primary' framework (criteria/primary/v1.yaml)",
    ),
    # rating scale and thresholds
    mistake(
        "strength-threshold-above-the-scale",
        PRIMARY,
        "  strength: 3.5\n",
        "  strength: 5\n",
        "strength: 5",
        "The strength threshold 5 is outside the rating scale (1 to 4)",
    ),
    mistake(
        "development-threshold-equal-to-strength",
        PRIMARY,
        "  development: 2.5\n",
        "  development: 3.5\n",
        "development: 3.5",
        "The development threshold (3.5) must be below the strength threshold (3.5)",
    ),
    mistake(
        "development-threshold-above-strength",
        SECONDARY,
        "  development: 2.5\n",
        "  development: 3.9\n",
        "development: 3.9",
        "The development threshold (3.9) must be below the strength threshold (3.5)",
    ),
    pytest.param(
        Mistake(
            PRIMARY,
            (("  - value: 4\n", "  - value: 5\n"), ("  - value: 3\n", "  - value: 4\n")),
            "- value: 4",
            ("The rating scale goes from 2 to 4; values must go up by one",),
            fix_says=("Make this value 3",),
        ),
        id="rating-scale-skips-a-value",
    ),
    mistake(
        "commentary-limit-too-small",
        SECONDARY,
        "commentary_limit: 2000\n",
        "commentary_limit: 20\n",
        "commentary_limit: 20",
        "'commentary_limit' in the top of the file is 20, which is too small",
        fix_says=("at least 100",),
    ),
    # dates
    mistake(
        "effective-from-not-a-real-date",
        PRIMARY,
        'effective_from: "2026-09-01"',
        'effective_from: "2026-02-30"',
        "effective_from:",
        "'effective_from' in the top of the file is '2026-02-30', which is not a real date",
    ),
    mistake(
        "registration-opens-in-month-13",
        KEY_DATES,
        'registration_opens: "2026-06-11"',
        'registration_opens: "2026-13-01"',
        'registration_opens: "2026-13-01"',
        "'registration_opens' in cycle '2026-27' is '2026-13-01', which is not a real date",
    ),
    mistake(
        "deadline-on-30-february",
        KEY_DATES,
        'submission_deadline: "2027-09-30T23:59"',
        'submission_deadline: "2027-02-30T23:59"',
        'submission_deadline: "2027-02-30T23:59"',
        "The submission deadline '2027-02-30T23:59' in cycle '2026-27' is not a real date and time",
    ),
    mistake(
        "event-date-not-a-date",
        KEY_DATES,
        'date: "2027-02-22"',
        'date: "not a date"',
        'date: "not a date"',
        "'date' in event 'monitoring-visits' is 'not a date', which is not a real date",
    ),
    mistake(
        "deadline-before-registration-opens",
        KEY_DATES,
        'submission_deadline: "2027-09-30T23:59"',
        'submission_deadline: "2026-06-01T23:59"',
        'submission_deadline: "2026-06-01T23:59"',
        "The submission deadline in cycle '2026-27' is not after registration opens (2026-06-11)",
    ),
    # references between files
    mistake(
        "stage-names-a-missing-contact",
        STAGES,
        "    funded_hours: 3\n    contacts: [specialist-teaching, educational-psychology]\n",
        "    funded_hours: 3\n    contacts: [specialist-teaching, educational-psychologist]\n",
        "educational-psychologist",
        "Stage 'evaluate' names the contact 'educational-psychologist', which is not in content/contacts.yaml",
        fix_says=("educational-psychology",),
    ),
    mistake(
        "stage-names-a-missing-page",
        STAGES,
        "    pages: [index, parents]\n",
        "    pages: [index, parent]\n",
        "pages: [index, parent]",
        "Stage 'award' links to the page 'parent', which is not in content/pages/",
        fix_says=("parents",),
    ),
    mistake(
        "stages-out-of-order",
        STAGES,
        "  - number: 4\n",
        "  - number: 5\n",
        "  - number: 5\n",
        "Stage 'complete-actions' is number 5, but it is stage 4 in the list",
    ),
    mistake(
        "reaccreditation-repeats-a-missing-stage",
        STAGES,
        "  repeats_stages: [5, 6, 7, 8, 9]\n",
        "  repeats_stages: [5, 6, 7, 8, 11]\n",
        "repeats_stages:",
        "Reaccreditation repeats stage 11, but there is no stage 11",
    ),
    mistake(
        "event-in-a-missing-stage",
        KEY_DATES,
        AWARD_CEREMONY_2027
        + "        description: >-\n"
        + "          An assistant director presents the Quality Mark to schools that have achieved it.\n"
        + "          Invitations go to headteachers and school leads.\n"
        + "        stage: 10\n",
        AWARD_CEREMONY_2027
        + "        description: >-\n"
        + "          An assistant director presents the Quality Mark to schools that have achieved it.\n"
        + "          Invitations go to headteachers and school leads.\n"
        + "        stage: 12\n",
        "stage: 12",
        "Event 'award-ceremony' in cycle '2026-27' belongs to stage 12, which does not exist",
    ),
    # guidance pages and the Markdown inside YAML
    mistake(
        "page-links-to-a-missing-page",
        FAQ,
        "[primary criteria](criteria/primary/index.md)",
        "[primary criteria](criteria/tertiary/index.md)",
        "criteria/tertiary/index.md",
        "The link 'criteria/tertiary/index.md' points to a page that does not exist",
        fix_says=("Did you mean 'criteria/primary/index.md'?",),
    ),
    mistake(
        "stage-guidance-links-to-a-missing-page",
        STAGES,
        "Register online once registration opens; the date is on the key dates page.\n",
        "Register online once registration opens; the date is on the [key dates](key-datez.md) page.\n",
        "[key dates](key-datez.md)",
        "The link 'key-datez.md' points to a page that does not exist",
        fix_says=("Did you mean 'key-dates.md'?",),
    ),
    mistake(
        "page-links-to-nothing-like-a-page",
        FAQ,
        "[primary criteria](criteria/primary/index.md)",
        "[primary criteria](zzzz/qqqq.md)",
        "zzzz/qqqq.md",
        "The link 'zzzz/qqqq.md' points to a page that does not exist",
        fix_says=("Link to one of the site's pages",),
    ),
    mistake(
        "page-without-front-matter",
        PARENTS,
        PARENTS_FRONT_MATTER + "\n",
        "",
        "## What is the mark?",
        "The page has no front matter",
        fix_says=("title:", "description:", "order:"),
    ),
    # frameworks in the wrong place
    mistake(
        "framework-id-not-its-folder",
        SECONDARY,
        "id: secondary\n",
        "id: secondry\n",
        "id: secondry",
        "The framework id 'secondry' does not match its folder 'criteria/secondary/'",
    ),
    mistake(
        "version-not-its-file-name",
        SECONDARY,
        "version: 1\n",
        "version: 2\n",
        "version: 2",
        "The version 2 does not match the file name 'v1.yaml'",
    ),
]


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_is_reported_with_its_file_line_and_plain_words(
    mistake: Mistake, content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    for old, new in mistake.edits:
        edit_content(mistake.file, old, new)
    edited = (content_copy / mistake.file).read_text(encoding="utf-8")
    line = line_number(edited, mistake.where, mistake.occurrence)

    content, problems = check_content(content_copy)

    assert content is None
    problem = the_problem(problems, mistake.file, mistake.says[0])
    assert problem.line == line, f"reported on line {problem.line}, but the mistake is on line {line}: {problem}"
    for words in mistake.says:
        assert words in problem.message
    for words in mistake.fix_says:
        assert words in problem.fix
    if mistake.occurrence > 1:  # a repeat also says where the original is
        first = line_number(edited, mistake.where, mistake.occurrence - 1)
        assert f"(first on line {first})" in problem.message
    assert str(problem) == f"{mistake.file}:{line}: {problem.message} Fix: {problem.fix}"

    assert build.main(["check", "--root", str(content_copy)]) == 1
    printed = capsys.readouterr()
    assert str(problem) in printed.out.splitlines()
    assert "Nothing was built." in printed.err


def _stray_framework_file(root: Path) -> None:
    (root / "criteria/primary/draft.yaml").write_text((root / PRIMARY).read_text("utf-8"), encoding="utf-8")


def _framework_outside_a_folder(root: Path) -> None:
    (root / "criteria/v1.yaml").write_text((root / PRIMARY).read_text("utf-8"), encoding="utf-8")


def _contacts_deleted(root: Path) -> None:
    (root / CONTACTS).unlink()


def _contacts_emptied(root: Path) -> None:
    (root / CONTACTS).write_text("# nothing here yet\n", encoding="utf-8")


def _key_dates_saved_as_utf16(root: Path) -> None:
    path = root / KEY_DATES
    path.write_bytes(path.read_text("utf-8").encode("utf-16"))


def _page_that_is_not_markdown(root: Path) -> None:
    (root / "content/pages/notes.txt").write_text("Notes for editors.\n", encoding="utf-8")


def _page_name_with_capitals(root: Path) -> None:
    (root / "content/pages/Parents-Guide.md").write_text((root / PARENTS).read_text("utf-8"), encoding="utf-8")


def _home_page_deleted(root: Path) -> None:
    (root / "content/pages/index.md").unlink()


@pytest.mark.parametrize(
    ("change", "file", "line", "says"),
    [
        pytest.param(
            _stray_framework_file, "criteria/primary/draft.yaml", 0, "not where a framework version belongs", id="draft"
        ),
        pytest.param(
            _framework_outside_a_folder, "criteria/v1.yaml", 0, "not where a framework version belongs", id="no-folder"
        ),
        pytest.param(_contacts_deleted, CONTACTS, 0, "This file is missing", id="missing"),
        pytest.param(_contacts_emptied, CONTACTS, 1, "The file is empty", id="empty"),
        pytest.param(_key_dates_saved_as_utf16, KEY_DATES, 0, "The file is not UTF-8 text", id="utf-16"),
        pytest.param(
            _page_that_is_not_markdown, "content/pages/notes.txt", 0, "Only Markdown pages (.md) belong", id="txt-page"
        ),
        pytest.param(
            _page_name_with_capitals,
            "content/pages/Parents-Guide.md",
            0,
            "The page name 'Parents-Guide' cannot be used in a web address",
            id="page-name-with-capitals",
        ),
        pytest.param(_home_page_deleted, "content/pages/index.md", 0, "The home page is missing", id="no-home-page"),
    ],
)
def test_a_misplaced_missing_or_unreadable_file_is_reported(
    change: Callable[[Path], None],
    file: str,
    line: int,
    says: str,
    content_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    change(content_copy)

    content, problems = check_content(content_copy)

    assert content is None
    problem = the_problem(problems, file, says)
    assert problem.line == line
    assert problem.fix, "every problem says how to fix it"
    where = f"{file}:{line}" if line else file
    assert build.main(["check", "--root", str(content_copy)]) == 1
    assert f"{where}: {problem.message} Fix: {problem.fix}" in capsys.readouterr().out.splitlines()


def test_a_stray_framework_file_is_reported_even_when_it_is_valid(content_copy: Path) -> None:
    _stray_framework_file(content_copy)

    _, problems = check_content(content_copy)

    assert [str(problem) for problem in problems] == [
        "criteria/primary/draft.yaml: This file is not where a framework version belongs, so it would be ignored. "
        "Fix: Put each version at criteria/<framework>/v<version>.yaml, e.g. criteria/primary/v2.yaml."
    ]


def test_every_problem_in_every_file_is_reported_in_one_run(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = {
        PRIMARY: edit_content(PRIMARY, "  strength: 3.5\n", "  strength: 5\n"),
        STAGES: edit_content(STAGES, "    funded_hours: 3\n", "    funded_hours: two\n"),
        KEY_DATES: edit_content(KEY_DATES, 'date: "2027-02-22"', 'date: "2027-02-31"'),
        CONTACTS: edit_content(CONTACTS, "  - id: enquiries\n", "  - id: parent-advice\n"),
        FAQ: edit_content(
            FAQ, "[primary criteria](criteria/primary/index.md)", "[primary](criteria/tertiary/index.md)"
        ),
    }
    # a second mistake in a file that already has one is reported too
    second_in_primary = edit_content(PRIMARY, "      - id: PRI-LEAD-02\n", "      - id: PRI-LEAD-01\n")

    content, problems = check_content(content_copy)

    assert content is None
    reported = {(problem.file, problem.line) for problem in problems}
    for file, line in broken.items():
        assert (file, line) in reported, f"{file}:{line} was not reported; the check said:\n" + "\n".join(
            map(str, problems)
        )
    assert (PRIMARY, second_in_primary) in reported

    assert build.main(["check", "--root", str(content_copy)]) == 1
    printed = capsys.readouterr()
    printed_lines = printed.out.splitlines()
    for file, line in [*broken.items(), (PRIMARY, second_in_primary)]:
        assert any(text.startswith(f"{file}:{line}: ") for text in printed_lines), f"{file}:{line} not printed"
    files = len({problem.file for problem in problems})
    assert f"{len(problems)} problems in {files} files. Nothing was built." in printed.err


def test_load_content_raises_with_every_problem(content_copy: Path, edit_content: EditContent) -> None:
    stages_line = edit_content(STAGES, "    funded_hours: 3\n", "    funded_hours: two\n")
    contacts_line = edit_content(CONTACTS, "  - id: enquiries\n", "  - id: parent-advice\n")

    with pytest.raises(ContentError) as raised:
        load_content(content_copy)

    assert [(problem.file, problem.line) for problem in raised.value.problems] == [
        (CONTACTS, contacts_line),
        (STAGES, stages_line),
    ]
    assert f"{STAGES}:{stages_line}: 'funded_hours' in stage 'evaluate'" in str(raised.value)


def test_github_format_prints_annotations_on_the_broken_lines(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    line = edit_content(STAGES, "    funded_hours: 3\n", "    funded_hours: two\n")
    _stray_framework_file(content_copy)

    assert build.main(["check", "--root", str(content_copy), "--format", "github"]) == 1

    printed = capsys.readouterr().out.splitlines()
    assert printed, "nothing was printed"
    assert all(text.startswith("::error file=") for text in printed), printed
    assert (
        f"::error file={STAGES},line={line}::'funded_hours' in stage 'evaluate' should be a number, but it is 'two'."
        " Fix: Write a number here." in printed
    )
    # GitHub needs a line, so a problem with the whole file points at its first line
    assert any(text.startswith("::error file=criteria/primary/draft.yaml,line=1::This file is not") for text in printed)


@pytest.mark.parametrize("root", ["repository", "copy"])
def test_the_real_content_is_clean(root: str, content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = REPO_ROOT if root == "repository" else content_copy

    content, problems = check_content(folder)

    assert problems == [], "\n".join(str(problem) for problem in problems)
    assert content is not None
    assert build.main(["check", "--root", str(folder)]) == 0
    printed = capsys.readouterr().out.splitlines()
    criteria = sum(len(framework.criteria) for framework in content.frameworks)
    assert len(printed) == 1
    assert printed[0].startswith(f"Content OK: {len(content.frameworks)} framework versions ({criteria} criteria), ")


def test_a_broken_file_does_not_make_links_to_it_look_broken_too(content_copy: Path, edit_content) -> None:
    """One mistake, one message: pages linking to a framework or page that failed are not blamed as well."""
    edit_content(content_copy / "criteria/primary/v1.yaml", "version: 1\n", "version: one\n")
    edit_content(content_copy / "content/pages/parents.md", "order: 2\n", "order: second\n")
    _, problems = check_content(content_copy)
    files = sorted({problem.file for problem in problems})
    assert files == ["content/pages/parents.md", "criteria/primary/v1.yaml"], [str(p) for p in problems]
