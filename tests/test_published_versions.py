"""`python build.py check --base REF`: a framework version present at REF is published and locked. Changing
what schools rate themselves against needs a new version; a typo may be corrected in place when it is listed
under `corrections:` and stays small. Run against a real temporary git repository, and against a folder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import build
from quality_mark.published import MAX_CORRECTED_CHARACTERS, difference, small_correction
from tests.content_versions import (
    PRIMARY_V1,
    PRIMARY_V2,
    add_primary_v2,
    copy_content,
    criterion_block,
    edit,
    replace_once,
)

LEAD_01 = (
    "          Leaders have a clear, shared vision for inclusion that puts pupils with SEND at the heart\n"
    "          of school life and is understood by staff, governors and families.\n"
)
LEAD_01_TYPO = LEAD_01.replace("understood", "understod")
NEW_VERSION_FIX = (
    "Make this change in a new version: copy criteria/primary/v1.yaml to criteria/primary/v2.yaml, make the "
    "change there, say what changed in its 'changes:' block, and undo it here."
)


def git(root: Path, *arguments: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=Editor", "-c", "user.email=editor@example.org", *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository whose one commit holds the published content (version 1 of each framework)."""
    root = copy_content(tmp_path / "repo")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "Published content")
    return root


# A change to a criterion's wording is reported on its `statement:` (or `guidance:`...) line, where the
# text begins; hence `line - 1` for an edit of the text under it.
def check_against(root: Path, base: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = build.main(["check", "--root", str(root), "--base", base])
    return code, capsys.readouterr().out.splitlines()


CORRECTION = 'corrections:\n  - criterion: PRI-LEAD-01\n    date: "2026-11-20"\n    note: Corrected a spelling.\n'


def test_unchanged_content_passes(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = check_against(repository, "HEAD", capsys)

    assert code == 0
    assert printed[0].startswith("Content OK: ")
    assert printed[0].endswith("No published framework version was changed.")


def test_rewording_a_published_criterion_is_refused(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = edit(repository, PRIMARY_V1, LEAD_01, LEAD_01.replace("clear, shared vision", "shared plan")) - 1

    code, printed = check_against(repository, "HEAD", capsys)

    assert code == 1
    assert printed == [
        f"{PRIMARY_V1}:{line}: The statement of PRI-LEAD-01 changed, but version 1 of primary is published. "
        "Fix: If this only corrects a typo, list PRI-LEAD-01 under 'corrections:' with the date and a note. "
        f"Otherwise: {NEW_VERSION_FIX}"
    ]


def test_a_small_correction_listed_as_such_keeps_the_version(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repository, PRIMARY_V1, "headings:\n", CORRECTION + "headings:\n")
    edit(repository, PRIMARY_V1, LEAD_01, LEAD_01_TYPO)
    git(repository, "commit", "--quiet", "-am", "A typo")
    edit(repository, PRIMARY_V1, LEAD_01_TYPO, LEAD_01)  # the typo fixed, as listed

    code, printed = check_against(repository, "HEAD", capsys)

    assert code == 0, printed


def test_a_big_change_listed_as_a_correction_is_refused_with_the_reason(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repository, PRIMARY_V1, "headings:\n", CORRECTION + "headings:\n")
    line = edit(repository, PRIMARY_V1, LEAD_01, "          Leaders plan for inclusion with staff and governors.\n") - 1

    code, printed = check_against(repository, "HEAD", capsys)

    assert code == 1
    assert len(printed) == 1
    assert printed[0].startswith(
        f"{PRIMARY_V1}:{line}: The statement of PRI-LEAD-01 changed too much to be a correction ("
    )
    assert f"a correction changes at most {MAX_CORRECTED_CHARACTERS} characters" in printed[0]
    assert printed[0].endswith(f"Fix: Keep the correction to the typo. Otherwise: {NEW_VERSION_FIX}")


def _move_lead_06_to_teaching(root: Path) -> int:
    text = (root / PRIMARY_V1).read_text(encoding="utf-8")
    block = criterion_block(text, "PRI-LEAD-06")
    text = replace_once(text, block, "")
    text = replace_once(text, "      - id: PRI-TEACH-01\n", block + "      - id: PRI-TEACH-01\n")
    (root / PRIMARY_V1).write_text(text, encoding="utf-8")
    return text.count("\n", 0, text.index("      - id: PRI-LEAD-06\n")) + 1


def _add_a_criterion(root: Path) -> int:
    block = criterion_block((root / PRIMARY_V1).read_text(encoding="utf-8"), "PRI-LEAD-07")
    return edit(
        root,
        PRIMARY_V1,
        "  - id: identification\n",
        block.replace("PRI-LEAD-07", "PRI-LEAD-08") + "  - id: identification\n",
    )


def _remove_a_criterion(root: Path) -> int:
    text = (root / PRIMARY_V1).read_text(encoding="utf-8")
    (root / PRIMARY_V1).write_text(replace_once(text, criterion_block(text, "PRI-LEAD-06"), ""), encoding="utf-8")
    return text.count("\n", 0, text.index("  - id: leadership\n")) + 1


def _swap_two_criteria(root: Path) -> int:
    text = (root / PRIMARY_V1).read_text(encoding="utf-8")
    first, second = criterion_block(text, "PRI-LEAD-01"), criterion_block(text, "PRI-LEAD-02")
    (root / PRIMARY_V1).write_text(replace_once(text, first + second, second + first), encoding="utf-8")
    return text.count("\n", 0, text.index("  - id: leadership\n")) + 1


def _threshold(root: Path) -> int:
    return edit(root, PRIMARY_V1, "  strength: 3.5\n", "  strength: 3.25\n")


def _rating_label(root: Path) -> int:
    return edit(root, PRIMARY_V1, "    label: Embedded\n", "    label: Fully embedded\n")


def _commentary_limit(root: Path) -> int:
    return edit(root, PRIMARY_V1, "commentary_limit: 2000\n", "commentary_limit: 2500\n")


def _optional(root: Path) -> int:
    block = criterion_block((root / PRIMARY_V1).read_text(encoding="utf-8"), "PRI-LEAD-06")
    line = edit(root, PRIMARY_V1, block, block.replace("        required: true\n", "        required: false\n"))
    return line + block[: block.index("        required:")].count("\n")


def _evidence_example(root: Path) -> int:
    return edit(
        root,
        PRIMARY_V1,
        "          - Records of actions taken in response to findings\n",
        "          - Records of what leaders did about what they found, and when\n",
    )


@pytest.mark.parametrize(
    ("change", "says"),
    [
        pytest.param(
            _add_a_criterion, "its criteria cannot change (PRI-LEAD-08 was added under 'leadership')", id="added"
        ),
        pytest.param(
            _remove_a_criterion, "its criteria cannot change (PRI-LEAD-06 was taken out of 'leadership')", id="removed"
        ),
        pytest.param(
            _move_lead_06_to_teaching,
            "where its criteria sit cannot change (PRI-LEAD-06 moved from 'leadership' to 'teaching')",
            id="moved-heading",
        ),
        pytest.param(
            _swap_two_criteria, "the order of its criteria cannot change (under 'leadership')", id="reordered"
        ),
        pytest.param(_threshold, "its thresholds cannot change", id="threshold"),
        pytest.param(_rating_label, "its rating scale cannot change", id="rating-scale"),
        pytest.param(_commentary_limit, "its commentary limit cannot change", id="commentary-limit"),
        pytest.param(_optional, "whether PRI-LEAD-06 is required cannot change", id="required"),
        pytest.param(_evidence_example, "The evidence examples of PRI-LEAD-06 changed", id="evidence-example"),
    ],
)
def test_a_change_to_a_published_version_is_refused_at_its_line(
    change, says: str, repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = change(repository)
    assert build.main(["check", "--root", str(repository)]) == 0, "the content itself is fine"
    capsys.readouterr()

    code, printed = check_against(repository, "HEAD", capsys)

    assert code == 1
    assert len(printed) == 1, printed
    assert printed[0].startswith(f"{PRIMARY_V1}:{line}: ")
    assert says in printed[0]
    assert printed[0].endswith(NEW_VERSION_FIX)


def test_titles_and_summaries_may_change_freely(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repository, PRIMARY_V1, "title: Primary schools\n", "title: Primary schools and academies\n")
    edit(
        repository, PRIMARY_V1, "    title: Leadership and management of inclusion\n", "    title: Leading inclusion\n"
    )
    edit(
        repository,
        PRIMARY_V1,
        "special educational needs and disabilities (SEND) are welcomed",
        "pupils with SEND are welcomed",
    )

    assert check_against(repository, "HEAD", capsys)[0] == 0


def test_a_published_version_may_not_be_deleted(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repository / "criteria/secondary/v1.yaml").unlink()

    code, printed = check_against(repository, "HEAD", capsys)

    assert code == 1
    assert (
        "criteria/secondary/v1.yaml: Version 1 of secondary is published, so it must stay: schools' answers refer "
        "to it. Fix: Put criteria/secondary/v1.yaml back. To change the criteria, add a new version."
    ) in printed


def test_the_new_version_of_the_editors_change_passes_and_is_named_as_the_place_for_changes(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_primary_v2(repository)
    assert check_against(repository, "HEAD", capsys)[0] == 0, "an unpublished version may say anything"

    line = edit(repository, PRIMARY_V1, "  strength: 3.5\n", "  strength: 3.25\n")
    code, printed = check_against(repository, "HEAD", capsys)

    assert code == 1
    assert printed == [
        f"{PRIMARY_V1}:{line}: Version 1 of primary is published, so its thresholds cannot change. Fix: Make this "
        f"change in version 2 ({PRIMARY_V2}), which is not published yet, and undo it here."
    ]


def test_the_base_may_be_a_folder(repository: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    published = tmp_path / "published"
    shutil.copytree(repository / "criteria", published / "criteria")
    line = _threshold(repository)

    code, printed = check_against(repository, str(published), capsys)

    assert code == 1
    assert printed[0].startswith(f"{PRIMARY_V1}:{line}: Version 1 of primary is published")


def test_an_older_base_without_newer_content_files_still_compares(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repository, "rm", "--quiet", "content/reminders.yaml", "content/evidence.yaml")
    git(repository, "commit", "--quiet", "-m", "Before reminders and evidence existed")
    git(repository, "revert", "--no-edit", "HEAD")
    line = _threshold(repository)

    code, printed = check_against(repository, "HEAD~1", capsys)

    assert code == 1
    assert [text.split(": ")[0] for text in printed] == [f"{PRIMARY_V1}:{line}"]


def test_problems_in_the_content_and_the_lock_are_reported_together(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    threshold = _threshold(repository)
    stages = edit(repository, "content/stages.yaml", "    funded_hours: 3\n", "    funded_hours: two\n")

    code, printed = check_against(repository, "HEAD", capsys)

    assert code == 1
    assert [line.split(": ")[0] for line in printed] == [f"content/stages.yaml:{stages}", f"{PRIMARY_V1}:{threshold}"]
    assert build.main(["check", "--root", str(repository), "--base", "HEAD", "--format", "github"]) == 1
    annotations = capsys.readouterr().out.splitlines()
    assert annotations[1].startswith(f"::error file={PRIMARY_V1},line={threshold}::Version 1 of primary is published")


@pytest.mark.parametrize("base", ["no-such-branch", "--help"])
def test_a_base_that_is_neither_a_folder_nor_a_commit_is_refused(
    base: str, repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build.main(["check", "--root", str(repository), f"--base={base}"]) == 2
    assert f"Cannot check against --base: {base} is neither a folder nor a git commit" in capsys.readouterr().err


# The rule for a correction --------------------------------------------------------------------------------


def test_the_correction_rule() -> None:
    statement = "Leaders have a clear, shared vision for inclusion that is understood by staff and families."
    assert small_correction(statement, statement.replace("understood", "understod"))
    assert small_correction(statement, statement.replace("families", "families and carers"))  # 11 characters
    assert not small_correction(statement, statement.replace("clear, shared vision", "plan"))
    assert not small_correction("SEND policy", "Accessibility plan")
    assert difference("a  b\n c", "a b c").characters == 0, "how lines are wrapped does not count"


@given(st.text(min_size=20, max_size=300), st.integers(min_value=0, max_value=300), st.text(max_size=40))
def test_a_correction_never_adds_more_than_the_limit(text: str, at: int, inserted: str) -> None:
    """However the texts line up, inserting more characters than the limit is never a correction (the count
    ignores how lines are wrapped, so two spaces may fold away)."""
    changed = text[:at] + inserted + text[at:]
    if len(" ".join(inserted.split())) > MAX_CORRECTED_CHARACTERS + 2:
        assert not small_correction(text, changed)


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Z", "C"]), min_size=1), min_size=1))
def test_rewrapping_lines_is_no_change_at_all(words: list[str]) -> None:
    assert difference(" ".join(words), "\n  ".join(words)).characters == 0
    assert small_correction(" ".join(words), "\n".join(words))
