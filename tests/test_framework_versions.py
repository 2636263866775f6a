"""Framework versions in the content: an editor's new version passes the check and shows on the site's What
changed page; every unsafe change to versions, crosswalks, corrections and cycles is refused with its file,
line and a fix.

The editor's change is the shared fixture in tests/content_versions.py, on a copy of the repository's content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

import build
from quality_mark import site_map, versions
from quality_mark.loader import check_content, load_content
from quality_mark.model import CrosswalkEntry
from tests.content_versions import (
    ADDED,
    ADDED_STATEMENT,
    MERGED_FROM,
    MERGED_TO,
    PRIMARY_LOG,
    PRIMARY_SUMMARY,
    PRIMARY_V1,
    PRIMARY_V2,
    REPLACED_FROM,
    REPLACED_TO,
    RETIRED,
    RETIRED_NOTE,
    REWORDED,
    REWORDED_AFTER,
    REWORDED_BEFORE,
    SECONDARY_V2,
    SPLIT_FROM,
    SPLIT_TO,
    add_primary_v2,
    add_secondary_v2_with_split_and_merge,
    copy_content,
    criterion_block,
    edit,
    replace_once,
)
from tests.test_content_checks import line_number, the_problem
from tests.test_site_build import page_text

KEY_DATES = "content/key_dates.yaml"


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """A copy of the content with the editor's new versions of both frameworks."""
    root = copy_content(tmp_path / "repo")
    add_primary_v2(root)
    add_secondary_v2_with_split_and_merge(root)
    return root


# The editor's change passes and shows on the site --------------------------------------------------------


def test_the_editors_new_versions_pass_the_check(edited: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(["check", "--root", str(edited)]) == 0
    assert capsys.readouterr().out.startswith("Content OK: 4 framework versions")

    content = load_content(edited)
    primary = content.framework("primary")
    assert (primary.version, primary.effective_from) == (2, date(2027, 9, 1))
    assert primary.changes is not None and content.framework("primary", 1).changes is None
    assert primary.changes.summary == PRIMARY_SUMMARY
    assert primary.changes.log == PRIMARY_LOG
    assert primary.changes.crosswalk == (CrosswalkEntry((RETIRED,), (), "retired", RETIRED_NOTE),)
    assert primary.criterion(REWORDED).statement == REWORDED_AFTER
    assert content.framework("primary", 1).criterion(REWORDED).statement == REWORDED_BEFORE
    assert primary.heading_of(ADDED).id == "leadership"

    routes = versions.routes(content, "primary", 1, 2)
    assert routes[RETIRED] == ()
    assert [route.steps for route in routes[REWORDED]] == [("reworded",)]
    assert versions.new_criteria(content, "primary", 1, 2) == (ADDED,)
    secondary = versions.routes(content, "secondary", 1, 2)
    assert sorted(route.target_id for route in secondary[SPLIT_FROM]) == sorted(SPLIT_TO)
    assert [route.target_id for old in MERGED_FROM for route in secondary[old]] == [MERGED_TO, MERGED_TO]
    assert [(route.target_id, route.steps) for route in secondary[REPLACED_FROM]] == [(REPLACED_TO, ("replaced",))]


@pytest.fixture
def built(edited: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert build.main(["site", "--root", str(edited), "--out", str(out)]) == 0  # mkdocs build --strict
    return out


def test_the_what_changed_page_shows_the_added_reworded_and_retired_criteria(built: Path) -> None:
    page = " ".join(page_text(built, site_map.changes_path("primary")).split())

    assert "Primary schools: what changed" in page
    assert "Version 2, from 1 September 2027" in page and "Version 1, from 1 September 2026" in page
    assert page.index("Version 2, from") < page.index("Version 1, from"), "newest version first"
    assert PRIMARY_SUMMARY in page
    for line in PRIMARY_LOG:
        assert line in page
    assert f"{ADDED}</a> under “Leadership and management of inclusion”: “{ADDED_STATEMENT}”" in page
    assert f"Before: “{REWORDED_BEFORE}”" in page and f"Now: “{REWORDED_AFTER}”" in page
    assert f"{RETIRED}</a> was retired." in page
    old_wording = load_content(build.ROOT).framework("primary", 1).criterion(RETIRED).statement
    assert f"It said: “{old_wording}”" in page
    assert RETIRED_NOTE in page
    # the retired criterion links to the earlier version's page, where it still is
    assert f'href="../v1/leadership/#{RETIRED.lower()}"' in page
    assert f'href="../leadership/#{ADDED.lower()}"' in page


def test_the_what_changed_page_shows_splits_merges_and_replacements(built: Path) -> None:
    page = " ".join(page_text(built, site_map.changes_path("secondary")).split())

    assert f"{SPLIT_FROM}</a> was split into" in page
    assert all(f"{new_id}</a>" in page for new_id in SPLIT_TO)
    assert f"{MERGED_FROM[0]}</a> and " in page and f"{MERGED_FROM[1]}</a> were merged into" in page
    assert f"{MERGED_FROM[0]} said:" in page and f"{MERGED_FROM[1]} said:" in page
    assert f"{REPLACED_FROM}</a> was replaced by" in page


def test_the_what_changed_page_is_linked_from_the_framework_its_pages_and_the_navigation(built: Path) -> None:
    index = page_text(built, site_map.framework_index("primary"))
    heading = page_text(built, site_map.heading_path("primary", "teaching"))
    earlier = page_text(built, site_map.heading_path("primary", "teaching", 1))

    assert 'href="changes/">what changed between versions</a>' in index
    assert 'href="../changes/">What changed</a>' in heading
    assert 'href="../../changes/">What changed</a>' in earlier
    assert 'class="qm-version"' in heading


def test_a_framework_with_one_version_says_so(tmp_path: Path) -> None:
    root = copy_content(tmp_path / "repo")
    out = tmp_path / "out"
    assert build.main(["site", "--root", str(root), "--out", str(out)]) == 0

    page = " ".join(page_text(out, site_map.changes_path("primary")).split())

    assert (
        "There is only one version of the primary schools criteria: version 1, in effect from 1 September 2026. "
        "Nothing has changed since it was published." in page
    )


# Unsafe changes to versions, each with its file and line ---------------------------------------------------


@dataclass(frozen=True)
class Unsafe:
    """An unsafe change: edits to files of the edited content, the text on the line the check must name, the
    words of its message and of its fix."""

    file: str
    edits: tuple[tuple[str, str, str], ...]  # (file, exact old text, new text)
    where: str
    says: tuple[str, ...]
    fix_says: tuple[str, ...] = ()


def unsafe(name: str, file: str, old: str, new: str, where: str, *says: str, fix_says: tuple[str, ...] = ()) -> object:
    return pytest.param(Unsafe(file, ((file, old, new),), where, says, fix_says), id=name)


RETIRED_ENTRY = f"    - from: [{RETIRED}]\n      how: retired\n"
UNSAFE = [
    unsafe(
        "removed-without-a-crosswalk-entry",
        PRIMARY_V2,
        RETIRED_ENTRY,
        "    - from: [PRI-LEAD-05]\n      to: [PRI-LEAD-01]\n      how: merged\n",
        "  crosswalk:",
        f"{RETIRED} was in version 1 but is not in version 2.",
        fix_says=("Add it to the crosswalk in 'changes:'", "so schools' answers to it are kept"),
    ),
    unsafe(
        "crosswalk-to-an-unknown-id",
        SECONDARY_V2,
        f"      to: [{REPLACED_TO}]\n",
        "      to: [SEC-WEL-08]\n",
        "      to: [SEC-WEL-08]",
        "The crosswalk names SEC-WEL-08 under 'to', but version 2 has no criterion SEC-WEL-08.",
        fix_says=(f"Did you mean '{REPLACED_TO}'?",),
    ),
    unsafe(
        "crosswalk-from-an-unknown-id",
        SECONDARY_V2,
        f"    - from: [{REPLACED_FROM}]\n",
        "    - from: [SEC-WELL-17]\n",
        "    - from: [SEC-WELL-17]",
        "The crosswalk names SEC-WELL-17 under 'from', but version 1 has no criterion SEC-WELL-17.",
        fix_says=(f"Did you mean '{REPLACED_FROM}'?",),
    ),
    unsafe(
        "crosswalk-from-the-same-id-twice",
        SECONDARY_V2,
        f"    - from: [{REPLACED_FROM}]\n",
        f"    - from: [{SPLIT_FROM}]\n",
        f"    - from: [{SPLIT_FROM}]\n      to: [{REPLACED_TO}]",  # the second entry naming it
        f"The crosswalk says twice what happened to {SPLIT_FROM} (first on line",
    ),
    unsafe(
        "retired-but-still-there",
        PRIMARY_V2,
        RETIRED_ENTRY,
        RETIRED_ENTRY + "    - from: [PRI-LEAD-05]\n      how: retired\n",
        "    - from: [PRI-LEAD-05]",
        "The crosswalk says PRI-LEAD-05 was retired, but it is still in version 2.",
    ),
    unsafe(
        "retired-with-a-replacement",
        PRIMARY_V2,
        RETIRED_ENTRY,
        f"    - from: [{RETIRED}]\n      to: [{ADDED}]\n      how: retired\n",
        f"      to: [{ADDED}]",
        "A retired criterion has no criterion that takes its place",
        fix_says=("how: replaced",),
    ),
    unsafe(
        "split-into-one",
        SECONDARY_V2,
        f"      to: [{', '.join(SPLIT_TO)}]\n",
        f"      to: [{SPLIT_TO[0]}]\n",
        f"      to: [{SPLIT_TO[0]}]",
        "'how: split' takes two or more criteria in 'to', but this entry has 1.",
    ),
    unsafe(
        "replaced-without-to",
        SECONDARY_V2,
        f"      to: [{REPLACED_TO}]\n      how: replaced\n",
        "      how: replaced\n",
        "      how: replaced",
        "A replaced criterion needs 'to:'",
    ),
    unsafe(
        "unknown-how",
        SECONDARY_V2,
        "      how: replaced\n",
        "      how: renamed\n",
        "      how: renamed",
        "'how' in crosswalk entry 3 is 'renamed', which is not allowed.",
        fix_says=("'replaced', 'split', 'merged', 'retired'",),
    ),
    unsafe(
        "no-changes-in-a-later-version",
        PRIMARY_V2,
        "changes:\n  summary: >-\n",
        "notes:\n  summary: >-\n",
        "notes:",
        "Unknown key 'notes'",
    ),
    unsafe(
        "changes-without-a-log",
        PRIMARY_V2,
        "  log:\n",
        "  history:\n",
        "changes:",
        "'log' is missing",
    ),
    unsafe(
        "changes-in-version-1",
        PRIMARY_V1,
        "headings:\n",
        "changes:\n  summary: The first version of the criteria.\n  log:\n    - First version.\nheadings:\n",
        "changes:",
        "Version 1 of primary is the first version, so there is nothing it changed from.",
        fix_says=("Delete the 'changes:' block",),
    ),
    unsafe(
        "effective-before-the-previous-version",
        PRIMARY_V2,
        'effective_from: "2027-09-01"\n',
        'effective_from: "2026-08-01"\n',
        'effective_from: "2026-08-01"',
        "Version 2 of primary takes effect on 2026-08-01, which is not after version 1 (2026-09-01).",
    ),
    unsafe(
        "a-correction-to-an-unknown-criterion",
        PRIMARY_V2,
        "changes:\n",
        'corrections:\n  - criterion: PRI-LEAD-6\n    date: "2027-10-01"\n    note: Corrected a spelling.\nchanges:\n',
        "  - criterion: PRI-LEAD-6",
        "The correction names PRI-LEAD-6, which is not a criterion of version 2.",
    ),
]


@pytest.mark.parametrize("case", UNSAFE)
def test_an_unsafe_version_change_is_refused_with_its_file_and_line(
    case: Unsafe, edited: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for file, old, new in case.edits:
        edit(edited, file, old, new)
    line = line_number((edited / case.file).read_text(encoding="utf-8"), case.where)

    content, problems = check_content(edited)

    assert content is None
    problem = the_problem(problems, case.file, case.says[0])
    assert problem.line == line, f"reported on line {problem.line}, not {line}: {problem}"
    for words in case.fix_says:
        assert words in problem.fix
    assert problem.fix
    assert build.main(["check", "--root", str(edited)]) == 1
    assert str(problem) in capsys.readouterr().out.splitlines()


def test_a_later_version_without_changes_says_what_to_add(edited: Path) -> None:
    path = edited / PRIMARY_V2
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("changes:\n")], encoding="utf-8")

    _, problems = check_content(edited)

    problem = the_problem(problems, PRIMARY_V2, "Version 2 of primary does not say what changed since version 1.")
    assert problem.line == line_number(text, "version: 2")
    assert "'summary:'" in problem.fix and "'log:'" in problem.fix
    # and the criterion that left is still reported, at the same place
    assert the_problem(problems, PRIMARY_V2, f"{RETIRED} was in version 1").line == problem.line


def test_a_gap_in_the_version_numbers_is_refused(edited: Path) -> None:
    (edited / PRIMARY_V2).rename(edited / "criteria/primary/v3.yaml")
    edit(edited, "criteria/primary/v3.yaml", "version: 2\n", "version: 3\n")

    _, problems = check_content(edited)

    problem = the_problem(problems, "criteria/primary/v3.yaml", "Version 3 of primary has no version 2 before it")
    assert problem.line == 3
    assert problem.fix == "Rename the file to criteria/primary/v2.yaml and set 'version: 2'."


def test_an_id_that_left_never_comes_back(edited: Path) -> None:
    v2 = (edited / PRIMARY_V2).read_text(encoding="utf-8")
    retired_block = criterion_block((edited / PRIMARY_V1).read_text(encoding="utf-8"), RETIRED)
    v3 = v2[: v2.index("changes:\n")].replace("version: 2\n", "version: 3\n").replace("2027-09-01", "2028-09-01")
    v3 = replace_once(v3, "  - id: identification\n", retired_block + "  - id: identification\n")
    v3 += "changes:\n  summary: Leaders check how pupils are doing again.\n  log:\n    - Brought back a criterion.\n"
    (edited / "criteria/primary/v3.yaml").write_text(v3, encoding="utf-8")

    _, problems = check_content(edited)

    problem = the_problem(problems, "criteria/primary/v3.yaml", f"{RETIRED} left the framework in version 2")
    assert problem.line == line_number(v3, f"      - id: {RETIRED}")
    assert "a criterion ID keeps its meaning forever" in problem.message
    assert "new ID" in problem.fix


# Cycles ----------------------------------------------------------------------------------------------------

CYCLE_2026 = '  - id: "2026-27"\n    title: 2026 to 2027\n    registration_opens: "2026-06-11"\n'


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        pytest.param(
            CYCLE_2026,
            CYCLE_2026.replace("    registration_opens", '    starts: "2026-08-01"\n    registration_opens'),
            'starts: "2026-08-01"',
            "Cycle 2026-27's dates overlap cycle 2025-26: it starts on 1 August 2026, before cycle 2025-26 ends on "
            "31 August 2026.",
            id="overlap",
        ),
        pytest.param(
            CYCLE_2026,
            CYCLE_2026.replace('"2026-06-11"', '"2025-06-11"'),
            'registration_opens: "2025-06-11"',
            "Registration for cycle 2026-27 opens on 11 June 2025, not after it opened for cycle 2025-26",
            id="registration-not-later",
        ),
        pytest.param(
            '    submission_deadline: "2027-09-30T23:59"\n',
            '    submission_deadline: "2026-09-30T23:59"\n',
            'submission_deadline: "2026-09-30T23:59"',
            "The submission deadline of cycle 2026-27 (30 September 2026) is not after cycle 2025-26's",
            id="deadline-not-later",
        ),
        pytest.param(
            '  - id: "2026-27"\n',
            '  - id: "2024-25"\n',
            '  - id: "2024-25"',
            "Cycle 2024-25 starts on 1 September 2024, not after cycle 2025-26",
            id="out-of-order",
        ),
        pytest.param(
            CYCLE_2026,
            CYCLE_2026.replace("    registration_opens", '    ends: "2026-07-31"\n    registration_opens'),
            'ends: "2026-07-31"',
            "Cycle 2026-27 ends on 31 July 2026, which is not after it starts (1 September 2026).",
            id="ends-before-it-starts",
        ),
    ],
)
def test_cycles_that_overlap_or_go_backwards_are_refused(
    old: str, new: str, where: str, says: str, tmp_path: Path
) -> None:
    root = copy_content(tmp_path / "repo")
    line = edit(root, KEY_DATES, old, new) + new[: new.index(where)].count("\n")

    _, problems = check_content(root)

    problem = the_problem(problems, KEY_DATES, says)
    assert problem.line == line, str(problem)
    assert problem.fix


def test_a_deadline_before_its_cycle_starts_is_refused(tmp_path: Path) -> None:
    root = copy_content(tmp_path / "repo")
    line = edit(
        root,
        KEY_DATES,
        '    registration_opens: "2025-06-11"\n    submission_deadline: "2026-09-30T23:59"\n',
        '    registration_opens: "2025-06-11"\n    submission_deadline: "2025-08-30T23:59"\n',
    )

    _, problems = check_content(root)

    problem = the_problem(problems, KEY_DATES, "The submission deadline of cycle 2025-26 (30 August 2025) is not after")
    assert problem.line == line + 1


def test_a_cycle_covers_its_academic_year_unless_told_otherwise(tmp_path: Path) -> None:
    root = copy_content(tmp_path / "repo")
    edit(root, KEY_DATES, CYCLE_2026, CYCLE_2026 + '    starts: "2026-09-07"\n    ends: "2027-08-20"\n')

    cycles = load_content(root).key_dates.cycles

    assert [(cycle.id, cycle.starts, cycle.ends) for cycle in cycles] == [
        ("2025-26", date(2025, 9, 1), date(2026, 8, 31)),
        ("2026-27", date(2026, 9, 7), date(2027, 8, 20)),
    ]
