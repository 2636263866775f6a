"""`python build.py diff OLD NEW`: a reviewer reads, in plain English, what an editor's change does to the
content: criteria added, removed, reworded and moved, scale and threshold changes, dates moved, and so on.

Each test edits a copy of the real content the way an editor might, compares the repository's content (old)
with the copy (new) and checks the exact words printed. Git refs are tested on a real temporary repository.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

import build
from quality_mark.content_diff import content_changes, render_markdown, render_text
from quality_mark.loader import load_content

REPO_ROOT = Path(__file__).resolve().parent.parent
EditContent = Callable[[str, str, str], int]  # the edit_content fixture from conftest.py

PRIMARY = "criteria/primary/v1.yaml"
KEY_DATES = "content/key_dates.yaml"
STAGES = "content/stages.yaml"
CONTACTS = "content/contacts.yaml"
EVIDENCE = "content/evidence.yaml"

SENCO = (
    "          The SENCo (special educational needs co-ordinator) has the time, training, authority and\n"
    "          support to lead SEND provision across the school.\n"
)
SENCO_STATEMENT = (
    "The SENCo (special educational needs co-ordinator) has the time, training, authority and support to lead "
    "SEND provision across the school."
)
LEAD_07 = "Leaders share effective inclusive practice beyond the school and learn from other schools."
PRIMARY_LEAD_07_BLOCK_START = "      - id: PRI-LEAD-07\n"
PRIMARY_LEAD_07_BLOCK_END = "          improve inclusive practice across a group of schools.\n        required: false\n"


def diff(old: Path, new: Path, *options: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `build.py diff OLD NEW` in this process; its exit code, what it printed and what it complained."""
    code = build.main(["diff", str(old), str(new), *options])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def changes_printed(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = diff(REPO_ROOT, content_copy, capsys=capsys)
    assert (code, err) == (0, ""), err
    return out


def remove_block(root: Path, relative: str, start: str, end: str) -> None:
    """Cut the text from `start` (exactly once in the file) to the end of the first `end` after it out of a file
    of the copy."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(start) == 1
    begin = text.index(start)
    path.write_text(text[:begin] + text[text.index(end, begin) + len(end) :], encoding="utf-8")


# Nothing changed -------------------------------------------------------------------------------------------


def test_the_same_content_has_no_changes(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert changes_printed(content_copy, capsys) == "No changes to the content.\n"
    assert diff(REPO_ROOT, content_copy, "--format", "markdown", capsys=capsys) == (
        0,
        "No changes to the content.\n",
        "",
    )


# Criteria and headings ---------------------------------------------------------------------------------


def test_a_reworded_criterion_shows_the_old_and_new_statement(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_content(PRIMARY, SENCO, "          The SENCo has protected time and the authority to lead SEND provision.\n")
    assert changes_printed(content_copy, capsys) == (
        "1 change to the content.\n"
        "\n"
        "Primary schools, version 1\n"
        "- Criterion PRI-LEAD-02 reworded.\n"
        f'    Before: "{SENCO_STATEMENT}"\n'
        '    After: "The SENCo has protected time and the authority to lead SEND provision."\n'
    )


def test_guidance_next_level_examples_and_required_are_each_said_separately(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_content(PRIMARY, "          The SENCo is a qualified teacher", "          The SENCo is an experienced teacher")
    edit_content(PRIMARY, "          The SENCo leads strategically", "          The SENCo leads with vision")
    edit_content(
        PRIMARY,
        "          - SENCo line-management or supervision notes\n",
        "          - Notes of SENCo supervision\n",
    )
    edit_content(
        PRIMARY,
        "improve inclusive practice across a group of schools.\n        required: false",
        "improve inclusive practice across a group of schools.\n        required: true",
    )
    assert changes_printed(content_copy, capsys) == (
        "4 changes to the content.\n"
        "\n"
        "Primary schools, version 1\n"
        "- Guidance for criterion PRI-LEAD-02 changed.\n"
        "- What the next level looks like for criterion PRI-LEAD-02 changed.\n"
        "- Evidence examples for criterion PRI-LEAD-02 changed.\n"
        '    Added: "Notes of SENCo supervision"\n'
        '    Removed: "SENCo line-management or supervision notes"\n'
        "- Criterion PRI-LEAD-07 is now required (it was optional).\n"
    )


def test_added_removed_and_moved_criteria(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    # PRI-LEAD-07 moves to the end of the next heading; a new optional criterion takes a new ID.
    path = content_copy / PRIMARY
    text = path.read_text(encoding="utf-8")
    start = text.index(PRIMARY_LEAD_07_BLOCK_START)
    end = text.index(PRIMARY_LEAD_07_BLOCK_END) + len(PRIMARY_LEAD_07_BLOCK_END)
    block = text[start:end]
    text = text[:start] + text[end:]
    identification_end = text.index("\n  - id: ", text.index("\n  - id: identification") + 1) + 1
    added = block.replace("PRI-LEAD-07", "PRI-LEAD-08").replace(
        "Leaders share effective inclusive practice beyond the school and learn from other schools.",
        "Leaders publish what the school has learned about inclusion.",
    )
    text = text[:identification_end].rstrip("\n") + "\n" + block + "\n" + text[identification_end:]
    text = text.replace("    title: Leadership and management of inclusion\n", "    title: Leading inclusion\n")
    leadership_end = text.index("  - id: identification")
    text = text[:leadership_end].rstrip("\n") + "\n" + added + "\n" + text[leadership_end:]
    path.write_text(text, encoding="utf-8")
    remove_block(
        content_copy,
        PRIMARY,
        "      - id: PRI-LEAD-06\n",
        "          leaders can show a track record of closing gaps.\n        required: true\n",
    )
    out = changes_printed(content_copy, capsys)
    lead_06 = load_content(REPO_ROOT).framework("primary", 1).criterion("PRI-LEAD-06").statement
    assert out == (
        "4 changes to the content.\n"
        "\n"
        "Primary schools, version 1\n"
        '- Heading leadership renamed from "Leadership and management of inclusion" to "Leading inclusion".\n'
        '- New criterion PRI-LEAD-08 (optional) under "Leading inclusion": '
        '"Leaders publish what the school has learned about inclusion."\n'
        f'- Criterion PRI-LEAD-06 removed from "Leadership and management of inclusion": "{lead_06}"\n'
        '- Criterion PRI-LEAD-07 moved from "Leadership and management of inclusion" to '
        '"Identification, assessment and review of need".\n'
    )


def test_scale_thresholds_and_commentary_limit(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_content(PRIMARY, "    label: Embedded\n", "    label: Fully embedded\n")
    edit_content(PRIMARY, "  strength: 3.5\n  development: 2.5\n", "  strength: 3.25\n  development: 2.5\n")
    edit_content(PRIMARY, "commentary_limit: 2000\n", "commentary_limit: 1500\n")
    assert changes_printed(content_copy, capsys) == (
        "3 changes to the content.\n"
        "\n"
        "Primary schools, version 1\n"
        "- Commentary limit changed from 2,000 to 1,500 characters.\n"
        '- Rating level 4 renamed from "Embedded" to "Fully embedded".\n'
        "- The strength threshold changed from 3.5 to 3.25.\n"
    )


# A new version says what changed (criteria/<framework>/v2.yaml and later need a `changes:` block).
NO_CRITERIA_CHANGED = (
    "changes:\n  summary: The criteria in effect from the next school year.\n  log:\n    - See below.\n"
)


def test_a_new_version_is_compared_with_the_one_before_it(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (content_copy / PRIMARY).read_text(encoding="utf-8")
    new_version = (
        text.replace("version: 1\n", "version: 2\n", 1)
        .replace('effective_from: "2026-09-01"', 'effective_from: "2027-09-01"', 1)
        .replace(SENCO, "          The SENCo has protected time and the authority to lead SEND provision.\n")
    ) + NO_CRITERIA_CHANGED
    (content_copy / "criteria/primary/v2.yaml").write_text(new_version, encoding="utf-8")
    criteria = len(load_content(REPO_ROOT).framework("primary", 1).criteria)
    (content_copy / "criteria/secondary/v2.yaml").write_text(
        (content_copy / "criteria/secondary/v1.yaml")
        .read_text(encoding="utf-8")
        .replace("version: 1\n", "version: 2\n", 1)
        .replace('effective_from: "2026-09-01"', 'effective_from: "2027-09-01"', 1)
        + NO_CRITERIA_CHANGED,
        encoding="utf-8",
    )
    secondary = load_content(REPO_ROOT).framework("secondary", 1)
    assert changes_printed(content_copy, capsys) == (
        "3 changes to the content.\n"
        "\n"
        "Primary schools, version 2\n"
        f"- New version 2, effective from 1 September 2027: {criteria} criteria under 6 headings. "
        "Compared with version 1:\n"
        "- Criterion PRI-LEAD-02 reworded.\n"
        f'    Before: "{SENCO_STATEMENT}"\n'
        '    After: "The SENCo has protected time and the authority to lead SEND provision."\n'
        "\n"
        "Secondary schools, version 2\n"
        "- New version 2, effective from 1 September 2027: "
        f"{len(secondary.criteria)} criteria under {len(secondary.headings)} headings. "
        "Otherwise the same as version 1.\n"
    )


# Key dates, stages, contacts and evidence --------------------------------------------------------------


def test_key_dates_moved_added_and_removed(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_content(KEY_DATES, '    registration_opens: "2026-06-11"\n', '    registration_opens: "2026-06-18"\n')
    edit_content(
        KEY_DATES, '    submission_deadline: "2027-09-30T23:59"\n', '    submission_deadline: "2027-10-07T17:00"\n'
    )
    edit_content(
        KEY_DATES,
        '        date: "2027-12-08"\n        time: "14:00"\n',
        '        date: "2027-12-15"\n        time: "14:30"\n',
    )
    remove_block(
        content_copy,
        KEY_DATES,
        '      - id: monitoring-visits\n        title: Monitoring visits open\n        date: "2027-02-22"\n',
        "          teacher or psychologist will agree a date with you.\n        stage: 5\n",
    )
    edit_content(
        KEY_DATES,
        '      - id: panel-meeting\n        title: Quality Mark panel meeting\n        date: "2027-11-17"\n',
        '      - id: drop-in\n        title: SENCo drop-in\n        date: "2027-03-10"\n        time: "15:30"\n'
        "        description: Ask the coordinator anything about the Quality Mark.\n"
        '      - id: panel-meeting\n        title: Quality Mark panel meeting\n        date: "2027-11-17"\n',
    )
    assert changes_printed(content_copy, capsys) == (
        "5 changes to the content.\n"
        "\n"
        "Key dates\n"
        '- Registration for "2026 to 2027" now opens on 18 June 2026 (was 11 June 2026).\n'
        '- Submission deadline for "2026 to 2027" is now 7 October 2027 at 5pm (was 30 September 2027 at 11:59pm).\n'
        '- New event in "2026 to 2027": "SENCo drop-in" on 10 March 2027 at 3:30pm.\n'
        '- Event "Monitoring visits open" removed from "2026 to 2027" (it was on 22 February 2027).\n'
        '- Event "Award ceremony" in "2026 to 2027" moved from 8 December 2027 at 2pm to 15 December 2027 at 2:30pm.\n'
    )


def test_a_cycle_added_and_one_removed(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    path = content_copy / KEY_DATES
    text = path.read_text(encoding="utf-8")
    first = text.index('  - id: "2025-26"')
    second = text.index('  - id: "2026-27"')
    text = text[:first] + text[second:]
    text += (
        '\n  - id: "2027-28"\n    title: 2027 to 2028\n    registration_opens: "2027-06-10"\n'
        '    submission_deadline: "2028-09-29T23:59"\n'
    )
    path.write_text(text, encoding="utf-8")
    assert changes_printed(content_copy, capsys) == (
        "2 changes to the content.\n"
        "\n"
        "Key dates\n"
        '- New cycle "2027 to 2028" (2027-28): registration opens 10 June 2027, deadline 29 September 2028 at '
        "11:59pm, 0 events.\n"
        '- Cycle "2025 to 2026" (2025-26) removed.\n'
    )


def test_stages_contacts_and_evidence(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_content(STAGES, "    title: Write an action plan with STS and EPS\n", "    title: Write an action plan\n")
    stage_3 = (content_copy / STAGES).read_text(encoding="utf-8").index("  - number: 3")
    text = (content_copy / STAGES).read_text(encoding="utf-8")
    hours_at = text.index("    funded_hours: 2\n", stage_3)
    text = text[:hours_at] + "    funded_hours: 3\n" + text[hours_at + len("    funded_hours: 2\n") :]
    (content_copy / STAGES).write_text(text, encoding="utf-8")
    edit_content(CONTACTS, "    email: sts.qualitymark@example.org\n", "    email: specialist.teaching@example.org\n")
    edit_content(EVIDENCE, "    title: Use of reduced timetables\n", "    title: Reduced timetables\n")
    assert changes_printed(content_copy, capsys) == (
        "5 changes to the content.\n"
        "\n"
        "Stages\n"
        '- Stage 3 renamed from "Write an action plan with STS and EPS" to "Write an action plan".\n'
        '- Funded hours for stage 3 ("Write an action plan") changed from 2 hours to 3 hours.\n'
        "- Total funded hours now 8 hours (was 7 hours).\n"
        "\n"
        "Contacts\n"
        "- Email for contact specialist-teaching changed from sts.qualitymark@example.org to "
        "specialist.teaching@example.org.\n"
        "\n"
        "Evidence checklist\n"
        '- Item reduced-timetables renamed from "Use of reduced timetables" to "Reduced timetables".\n'
    )


def test_markdown_for_a_pull_request(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_content(PRIMARY, SENCO, "          The SENCo has protected time and the authority to lead SEND provision.\n")
    edit_content(KEY_DATES, '    registration_opens: "2026-06-11"\n', '    registration_opens: "2026-06-18"\n')
    code, out, err = diff(REPO_ROOT, content_copy, "--format", "markdown", capsys=capsys)
    assert (code, err) == (0, "")
    assert out == (
        "## What changed in the content\n"
        "\n"
        "2 changes to the content.\n"
        "\n"
        "### Primary schools, version 1\n"
        "\n"
        "- Criterion PRI-LEAD-02 reworded.\n"
        f'  - Before: "{SENCO_STATEMENT}"\n'
        '  - After: "The SENCo has protected time and the authority to lead SEND provision."\n'
        "\n"
        "### Key dates\n"
        "\n"
        '- Registration for "2026 to 2027" now opens on 18 June 2026 (was 11 June 2026).\n'
    )


def test_the_changes_are_structured_and_in_a_stable_order(content_copy: Path, edit_content: EditContent) -> None:
    edit_content(KEY_DATES, '    registration_opens: "2026-06-11"\n', '    registration_opens: "2026-06-18"\n')
    edit_content(PRIMARY, SENCO, "          The SENCo leads SEND provision.\n")
    old, new = load_content(REPO_ROOT), load_content(content_copy)
    changes = content_changes(old, new)
    assert [(c.section, c.kind, c.subject) for c in changes] == [
        ("Primary schools, version 1", "criterion-reworded", "PRI-LEAD-02"),
        ("Key dates", "registration-opens-changed", "2026-27"),
    ]
    assert content_changes(old, new) == changes
    assert render_text(content_changes(new, new)) == render_markdown([]) == "No changes to the content.\n"


# Sides that cannot be compared ---------------------------------------------------------------------------


def test_content_that_fails_the_check_is_reported_not_compared(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    line = edit_content(PRIMARY, "commentary_limit: 2000\n", "commentary_limit: lots\n")
    code, out, err = diff(REPO_ROOT, content_copy, capsys=capsys)
    assert (code, out) == (1, "")
    assert err.startswith(f"The content at {content_copy} does not pass the check, so it cannot be compared:\n")
    assert f"{PRIMARY}:{line}" in err


def test_a_missing_folder_or_unknown_ref_is_a_plain_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert diff(REPO_ROOT, missing, capsys=capsys) == (
        2,
        "",
        f"Cannot compare: {missing} is neither a folder nor a git commit, branch or tag in {REPO_ROOT}.\n",
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert diff(empty, REPO_ROOT, capsys=capsys) == (
        2,
        "",
        f"Cannot compare: {empty} is a folder, but it holds no criteria/ or content/ folder.\n",
    )


def test_diff_needs_exactly_two_sides(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build.main(["diff", "HEAD"])
    assert exit_info.value.code == 2
    assert "diff needs two things to compare: OLD and NEW" in capsys.readouterr().err


# Git refs ----------------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def git_repo(content_copy: Path) -> Path:
    """A real git repository holding a copy of the content in one commit."""
    git(content_copy, "init", "--quiet", "--initial-branch", "main")
    git(content_copy, "config", "user.email", "editor@example.org")
    git(content_copy, "config", "user.name", "Content editor")
    git(content_copy, "add", "criteria", "content")
    git(content_copy, "commit", "--quiet", "-m", "The content as published")
    return content_copy


def run_build(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "build.py"), "--root", str(repo), *args],
        capture_output=True,
        text=True,
        cwd=repo,
    )


def test_git_refs_are_compared(git_repo: Path, edit_content: EditContent) -> None:
    edit_content(PRIMARY, SENCO, "          The SENCo has protected time and the authority to lead SEND provision.\n")
    git(git_repo, "commit", "--quiet", "-am", "Reword PRI-LEAD-02")
    git(git_repo, "tag", "reworded")
    # The working folder changes too, after the commit: the refs, not the folder, are compared.
    edit_content(KEY_DATES, '    registration_opens: "2026-06-11"\n', '    registration_opens: "2026-06-18"\n')
    result = run_build(git_repo, "diff", "HEAD~1", "HEAD")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "1 change to the content.\n"
        "\n"
        "Primary schools, version 1\n"
        "- Criterion PRI-LEAD-02 reworded.\n"
        f'    Before: "{SENCO_STATEMENT}"\n'
        '    After: "The SENCo has protected time and the authority to lead SEND provision."\n'
    )
    # A ref against a folder: only the uncommitted change shows.
    folder = run_build(git_repo, "diff", "reworded", str(git_repo))
    assert (folder.returncode, folder.stderr) == (0, "")
    assert folder.stdout == (
        "1 change to the content.\n\nKey dates\n"
        '- Registration for "2026 to 2027" now opens on 18 June 2026 (was 11 June 2026).\n'
    )
    assert run_build(git_repo, "diff", "main", "reworded").stdout == "No changes to the content.\n"


def test_a_bad_ref_is_a_plain_error(git_repo: Path) -> None:
    for ref in ("HEAD~5", "no-such-branch", "--output=/tmp/x"):
        result = run_build(git_repo, "diff", "HEAD", "--", ref)
        assert (result.returncode, result.stdout) == (2, ""), ref
        assert result.stderr == (
            f"Cannot compare: {ref} is neither a folder nor a git commit, branch or tag in {git_repo}.\n"
        ), ref


def test_a_ref_without_content_is_a_plain_error(git_repo: Path) -> None:
    git(git_repo, "rm", "--quiet", "-r", "criteria", "content")
    git(git_repo, "commit", "--quiet", "-m", "Remove everything")
    result = run_build(git_repo, "diff", "HEAD~1", "HEAD")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "Cannot compare: HEAD has no criteria/ or content/ folder.\n"


def test_a_ref_whose_content_fails_the_check(git_repo: Path, edit_content: EditContent) -> None:
    line = edit_content(PRIMARY, "commentary_limit: 2000\n", "commentary_limit: lots\n")
    git(git_repo, "commit", "--quiet", "-am", "Break the limit")
    result = run_build(git_repo, "diff", "HEAD~1", "HEAD")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("The content at HEAD does not pass the check, so it cannot be compared:\n")
    assert f"{PRIMARY}:{line}" in result.stderr
    shutil.rmtree(git_repo / "content")  # the working folder is not what is compared
    assert run_build(git_repo, "diff", "HEAD~1", "HEAD~1").stdout == "No changes to the content.\n"


def test_every_other_kind_of_change_in_plain_english() -> None:
    """Headings, rating levels, stages, cycles, events, contacts, evidence items and pages added, removed or
    renamed, built by changing the loaded model directly (each is also a YAML edit an editor can make)."""
    old = load_content(REPO_ROOT)
    primary = old.framework("primary", 1)
    scale = primary.rating_scale
    new_heading = replace(primary.headings[-1], id="belonging", title="Belonging", criteria=())
    new_primary = replace(
        primary,
        effective_from=date(2026, 9, 7),
        rating_scale=replace(scale, levels=scale.levels[:-1]),
        headings=(replace(primary.headings[0], summary="Shorter."), new_heading),
    )
    secondary = old.framework("secondary", 1)
    dropped = primary.headings[1:]
    cycle = old.key_dates.cycles[-1]
    new_cycle = replace(
        cycle,
        title="2026 to 2027 (extended)",
        events=(replace(cycle.events[0], title="Briefing for leads"), *cycle.events[1:]),
    )
    stages = old.timeline.stages
    extra_stage = replace(stages[-1], number=11, id="celebrate", title="Celebrate", funded_hours=1)
    contact = replace(old.contacts[0], id="data-team", role="Data officer", email="data@example.org")
    item = replace(old.evidence_checklist[0], id="surveys", title="Family surveys")
    page = replace(old.pages[0], slug="glossary", title="Glossary")
    new = replace(
        old,
        frameworks=(new_primary, secondary),
        timeline=replace(old.timeline, stages=(*stages[:-1], extra_stage)),
        key_dates=replace(old.key_dates, cycles=(*old.key_dates.cycles[:-1], new_cycle)),
        contacts=(*old.contacts[1:], contact),
        evidence_checklist=(*old.evidence_checklist[1:], item),
        pages=(*old.pages[1:], page),
    )
    removed = [criterion for heading in dropped for criterion in heading.criteria]
    text = render_text(content_changes(old, new))
    lines = text.splitlines()
    criterion_lines = [line for line in lines if line.startswith("- Criterion ")]
    assert len(criterion_lines) == len(removed)
    assert [line for line in lines if not line.startswith("- Criterion ")] == [
        f"{sum(1 for line in lines if line.startswith('- '))} changes to the content.",
        "",
        "Primary schools, version 1",
        "- Effective from 7 September 2026 (was 1 September 2026).",
        '- Rating level 4 removed: "Embedded".',
        '- New heading "Belonging" (belonging).',
        *[f'- Heading "{heading.title}" ({heading.id}) removed.' for heading in dropped],
        f'- Summary of heading "{primary.headings[0].title}" changed.',
        "",
        "Stages",
        '- New stage 11: "Celebrate", 1 hour funded.',
        f'- Stage 10 removed: "{stages[-1].title}".',
        f"- Total funded hours now {old.timeline.total_funded_hours + 1:g} hours "
        f"(was {old.timeline.total_funded_hours:g} hours).",
        "",
        "Key dates",
        '- Cycle 2026-27 renamed from "2026 to 2027" to "2026 to 2027 (extended)".',
        '- Event "Briefing for school leads" in "2026 to 2027 (extended)" renamed to "Briefing for leads".',
        "",
        "Contacts",
        "- New contact: Data officer, SEND and Inclusion Team, data@example.org (data-team).",
        f"- Contact removed: {old.contacts[0].role}, {old.contacts[0].team}, {old.contacts[0].email} "
        f"({old.contacts[0].id}).",
        "",
        "Evidence checklist",
        '- New item: "Family surveys" (surveys).',
        f'- Item removed: "{old.evidence_checklist[0].title}" ({old.evidence_checklist[0].id}).',
        "",
        "Guidance pages",
        '- New page: "Glossary" (glossary).',
        f'- Page removed: "{old.pages[0].title}" ({old.pages[0].slug}).',
    ]
    assert criterion_lines[0] == (
        f'- Criterion {removed[0].id} removed from "{dropped[0].title}": "{removed[0].statement}"'
    )
