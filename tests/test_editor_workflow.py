"""The editor's pull request: the CI workflow in .github/workflows/content.yml and the guide in content/README.md.

The workflow must be one GitHub Actions accepts, run the same content commands as the Makefile, show a
check's mistakes as annotations on the right file and line, and keep the built site as a preview. The
guide must agree with the workflow and show a message exactly as `build.py check` prints it today.
Commands are run for real, in a copy of the repository, the way the workflow runs them.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import build
from tests.content_versions import add_primary_v2

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "content.yml"
GUIDE = REPO_ROOT / "content" / "README.md"
EditContent = Callable[[str, str, str], int]  # the edit_content fixture from conftest.py

ANNOTATION = re.compile(r"^::error file=(?P<file>[^,:]+),line=(?P<line>[1-9][0-9]*)::(?P<message>.+)$")
MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")

# The guide's worked example: the 2026-27 briefing's date written the British way.
KEY_DATES = "content/key_dates.yaml"
GOOD_DATE = 'date: "2026-09-16"'
BRITISH_DATE = 'date: "16/09/2026"'


def load_workflow() -> dict[str, Any]:
    """The workflow as GitHub reads it. PyYAML follows YAML 1.1, where a bare `on` key means True;
    GitHub reads it as the string "on", so it is put back under that name."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps() -> list[dict[str, Any]]:
    jobs = load_workflow()["jobs"]
    assert len(jobs) == 1, "one job: check, build, upload, in that order"
    return next(iter(jobs.values()))["steps"]


def run_commands() -> list[str]:
    return [step["run"].strip() for step in steps() if "run" in step]


def content_commands(when: str | None = None) -> list[str]:
    """The `run:` commands after installing the packages, for steps with this `if:` condition."""
    return [
        step["run"].strip()
        for step in steps()
        if "run" in step and "pip install" not in step["run"] and step.get("if") == when
    ]


# The conditions the workflow uses: a listing step runs only when the check step before it failed; the
# published-versions check runs only on a pull request.
WHEN_THE_CHECK_FAILED = "failure() && steps.check.outcome == 'failure'"
WHEN_THE_PUBLISHED_CHECK_FAILED = "failure() && steps.published.outcome == 'failure'"
ON_A_PULL_REQUEST = "github.event_name == 'pull_request'"


@dataclass(frozen=True)
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str


def run_workflow_steps(checkout: Path, pull_request_into: str | None = None) -> list[StepRun]:
    """Run the workflow's content commands in `checkout` the way GitHub does: a step without `if:` runs only
    while every step before it succeeded; a listing step runs only when the step it lists for failed; the
    published-versions check only on a pull request (into the branch `pull_request_into`, whose commits are
    at origin/<branch> in the checkout). The actions (checkout, setup-python, upload) and the package
    install are the CI machine's part."""
    ran: list[StepRun] = []
    outcomes: dict[str, int] = {}
    for step in steps():
        if "run" not in step or "pip install" in step["run"]:
            continue
        condition = step.get("if")
        failed = any(run.returncode != 0 for run in ran)
        if condition is None or condition == ON_A_PULL_REQUEST:
            if failed or (condition is not None and pull_request_into is None):
                continue
        else:
            listed = {WHEN_THE_CHECK_FAILED: "check", WHEN_THE_PUBLISHED_CHECK_FAILED: "published"}
            assert condition in listed, f"a condition this test does not know: {condition}"
            if outcomes.get(listed[condition], 0) == 0:
                continue
        command = step["run"].strip().replace("${{ github.base_ref }}", pull_request_into or "")
        assert "${{" not in command, f"an expression this test does not know: {command}"
        result = subprocess.run(python_command(command), cwd=checkout, capture_output=True, text=True)
        ran.append(StepRun(step["name"], result.returncode, result.stdout, result.stderr))
        if "id" in step:
            outcomes[step["id"]] = result.returncode
    return ran


def makefile_recipe(target: str) -> list[str]:
    """The commands of a Makefile target, with the virtualenv's `$(BIN)/` taken off (CI has no .venv)."""
    lines = (REPO_ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if re.match(rf"^{re.escape(target)}\s*:(?!=)", line))
    recipe = []
    for line in lines[header + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().replace("$(BIN)/", ""))
    assert recipe, f"the Makefile's {target!r} target runs nothing"
    return recipe


def python_command(command: str) -> list[str]:
    """A workflow `run:` line as arguments, with `python` meaning this test's interpreter."""
    arguments = shlex.split(command)
    assert arguments[0] == "python", command
    return [sys.executable, *arguments[1:]]


@pytest.fixture
def repository_copy(tmp_path: Path) -> Path:
    """What the workflow's checkout step gives it: the repository's files, without anything built."""
    copy = tmp_path / "checkout"
    shutil.copytree(
        REPO_ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "data", "__pycache__", ".*_cache", "node_modules", "tests", "bench"
        ),
    )
    return copy


# The workflow file ----------------------------------------------------------------------------------------


def test_the_workflow_is_a_github_actions_workflow() -> None:
    workflow = load_workflow()

    assert workflow["name"]
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert workflow["permissions"] == {"contents": "read"}, "the workflow only reads the repository"
    for job in workflow["jobs"].values():
        assert job["runs-on"] == "ubuntu-latest"
        for step in job["steps"]:
            assert step["name"], step
            assert ("uses" in step) != ("run" in step), f"a step either uses an action or runs a command: {step}"
            if "uses" in step:
                assert re.fullmatch(r"actions/[a-z-]+@v[0-9]+", step["uses"]), f"pin actions to a major: {step}"
    assert "secrets." not in WORKFLOW.read_text(encoding="utf-8")


def test_the_workflow_sets_up_python_and_the_pinned_packages() -> None:
    uses = {step["uses"].split("@")[0]: step for step in steps() if "uses" in step}
    assert uses["actions/setup-python"]["with"]["python-version"] == "3.11"
    assert steps()[0]["uses"].startswith("actions/checkout@")
    installs = [command for command in run_commands() if "pip install" in command]
    assert len(installs) == 1
    assert shlex.split(installs[0])[-2:] == ["-r", "requirements.lock"]
    assert (REPO_ROOT / "requirements.lock").is_file()


def test_the_workflow_runs_the_makefile_content_commands_in_order() -> None:
    """`make check` and `make site`, word for word; the check adds only `--format github` for annotations,
    and when it fails, `make check`'s own command lists every mistake (GitHub shows 10 annotations a step)."""
    check, site = makefile_recipe("check"), makefile_recipe("site")
    assert check == ["python build.py check"] and site == ["python build.py site"], (check, site)

    assert content_commands() == [f"{check[0]} --format github", *site]
    assert content_commands(WHEN_THE_CHECK_FAILED) == check
    check_step = next(step for step in steps() if step.get("id") == "check")
    assert check_step["run"].strip() == f"{check[0]} --format github"


def test_on_a_pull_request_published_versions_are_checked_against_the_branch_it_goes_into() -> None:
    """The lock needs the base branch's commits (a full clone), and lists every problem when it fails."""
    checkout = steps()[0]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["fetch-depth"] == 0
    base = '--base "origin/${{ github.base_ref }}"'
    published = next(step for step in steps() if step.get("id") == "published")
    assert published["if"] == ON_A_PULL_REQUEST
    assert published["run"].strip() == f"{makefile_recipe('check')[0]} {base} --format github"
    assert content_commands(WHEN_THE_PUBLISHED_CHECK_FAILED) == [f"{makefile_recipe('check')[0]} {base}"]
    names = [step["name"] for step in steps()]
    assert names.index(published["name"]) < names.index("Build the site (mkdocs build --strict)")


def git(root: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Editor", "-c", "user.email=editor@example.org", *arguments],
        cwd=root,
        check=True,
        capture_output=True,
    )


def pull_request_checkout(repository_copy: Path) -> Path:
    """The copy as a clone of the LA's repository whose main branch holds the published content."""
    git(repository_copy, "init", "--quiet", "--initial-branch=editor-change")
    git(repository_copy, "add", ".")
    git(repository_copy, "commit", "--quiet", "-m", "Published content")
    git(repository_copy, "update-ref", "refs/remotes/origin/main", "HEAD")
    return repository_copy


def test_a_pull_request_that_rewords_a_published_criterion_fails_and_builds_nothing(repository_copy: Path) -> None:
    checkout = pull_request_checkout(repository_copy)
    primary = checkout / "criteria/primary/v1.yaml"
    text = primary.read_text(encoding="utf-8")
    old = "          Leaders have a clear, shared vision for inclusion"
    assert text.count(old) == 1
    primary.write_text(text.replace(old, "          Leaders have a shared plan for inclusion"), encoding="utf-8")
    statement_line = text[: text.index(old)].count("\n")  # the `statement:` line above the text

    ran = run_workflow_steps(checkout, pull_request_into="main")

    assert [(run.name, run.returncode) for run in ran] == [
        ("Check the content (mistakes are shown on the changed lines)", 0),
        ("Check that published framework versions are unchanged (pull requests)", 1),
        ("List every change to a published version with its file and line", 1),
    ]
    (annotation,) = ran[1].stdout.splitlines()
    match = ANNOTATION.match(annotation)
    assert match and (match["file"], int(match["line"])) == ("criteria/primary/v1.yaml", statement_line)
    assert "The statement of PRI-LEAD-01 changed, but version 1 of primary is published." in match["message"]
    assert ran[2].stdout.splitlines() == [f"{match['file']}:{match['line']}: {match['message']}"]
    assert not (checkout / steps()[-1]["with"]["path"]).exists()


def test_a_pull_request_that_adds_a_new_version_passes_and_builds_the_preview(repository_copy: Path) -> None:
    checkout = pull_request_checkout(repository_copy)
    add_primary_v2(checkout)

    ran = run_workflow_steps(checkout, pull_request_into="main")

    assert [run.returncode for run in ran] == [0, 0, 0], [(run.name, run.stdout, run.stderr) for run in ran]
    assert ran[1].stdout.rstrip().endswith("No published framework version was changed.")
    assert (checkout / steps()[-1]["with"]["path"] / "criteria/primary/changes/index.html").is_file()


def test_the_built_site_is_uploaded_as_the_preview() -> None:
    names = [step.get("uses", "").split("@")[0] for step in steps()]
    assert names[-1] == "actions/upload-artifact", "the preview is uploaded last, after the site is built"
    upload = steps()[-1]["with"]
    site_folder = (build.BUILD / "site").relative_to(build.ROOT).as_posix()  # where `build.py site` writes

    assert upload["name"] == "site-preview"
    assert upload["path"] == site_folder == "build/site"
    assert upload["if-no-files-found"] == "error", "a run that built nothing must not look like a preview"


def test_the_workflow_checks_and_builds_the_site_in_a_fresh_checkout(repository_copy: Path) -> None:
    ran = run_workflow_steps(repository_copy)

    assert [run.returncode for run in ran] == [0, 0], [(run.name, run.stdout, run.stderr) for run in ran]
    assert ran[0].stdout.startswith("Content OK: ")
    preview = repository_copy / steps()[-1]["with"]["path"]
    assert (preview / "index.html").is_file()
    assert (preview / "key-dates" / "index.html").is_file()


def test_when_the_check_fails_the_log_lists_every_mistake_and_no_site_is_built(repository_copy: Path) -> None:
    key_dates = repository_copy / KEY_DATES
    key_dates.write_text(key_dates.read_text(encoding="utf-8").replace(GOOD_DATE, BRITISH_DATE), encoding="utf-8")
    stages = repository_copy / "content/stages.yaml"
    text = stages.read_text(encoding="utf-8")
    assert text.count("funded_hours: 3\n") == 1
    stages.write_text(text.replace("funded_hours: 3\n", "funded_hours: two\n"), encoding="utf-8")

    ran = run_workflow_steps(repository_copy)

    assert [run.returncode for run in ran] == [1, 1], "the check fails, the listing runs, the site is not built"
    annotations, listing = ran[0].stdout.splitlines(), ran[1].stdout.splitlines()
    assert len(annotations) == len(listing) == 2
    for annotation, line in zip(annotations, listing, strict=True):
        match = ANNOTATION.match(annotation)
        assert match, annotation
        assert line == f"{match['file']}:{match['line']}: {match['message']}"
    assert not (repository_copy / steps()[-1]["with"]["path"]).exists()


# Annotations ----------------------------------------------------------------------------------------------


def test_the_check_step_annotates_the_broken_line_with_a_path_from_the_repository_root(
    repository_copy: Path,
) -> None:
    key_dates = repository_copy / KEY_DATES
    text = key_dates.read_text(encoding="utf-8")
    assert text.count(GOOD_DATE) == 1
    key_dates.write_text(text.replace(GOOD_DATE, BRITISH_DATE), encoding="utf-8")
    broken_line = text[: text.index(GOOD_DATE)].count("\n") + 1
    (repository_copy / "criteria/primary/notes.txt").write_text("to do\n", encoding="utf-8")
    (check,) = content_commands()[:1]

    result = subprocess.run(python_command(check), cwd=repository_copy, capture_output=True, text=True)

    assert result.returncode == 1
    printed = result.stdout.splitlines()
    assert len(printed) == 2, printed
    annotations = [ANNOTATION.match(line) for line in printed]
    assert all(annotations), printed
    places = {(match["file"], int(match["line"])) for match in annotations if match}
    assert places == {(KEY_DATES, broken_line), ("criteria/primary/notes.txt", 1)}
    for file, _ in places:
        assert not Path(file).is_absolute() and (repository_copy / file).is_file()
    assert "2 problems in 2 files. Nothing was built." in result.stderr


def test_an_annotation_escapes_a_file_name_that_would_end_it_early(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (content_copy / "content/pages/notes, draft: old.txt").write_text("to do\n", encoding="utf-8")

    assert build.main(["check", "--root", str(content_copy), "--format", "github"]) == 1

    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "::error file=content/pages/notes%2C draft%3A old.txt,line=1::"
        "Only Markdown pages (.md) belong in content/pages/. Fix: Rename or move it."
    ]


# The guide ------------------------------------------------------------------------------------------------


def test_the_guide_links_resolve() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    links = MARKDOWN_LINK.findall(guide)

    assert "FORMAT.md" in links
    for link in links:
        if not re.match(r"^[a-z]+:", link):
            assert (GUIDE.parent / link.split("#")[0]).is_file(), f"{link} does not exist next to the guide"


def test_the_guides_example_is_what_the_check_prints_today(
    content_copy: Path, edit_content: EditContent, capsys: pytest.CaptureFixture[str]
) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert GOOD_DATE in guide and BRITISH_DATE in guide
    edit_content(KEY_DATES, GOOD_DATE, BRITISH_DATE)

    assert build.main(["check", "--root", str(content_copy)]) == 1
    as_text = capsys.readouterr().out.splitlines()
    assert build.main(["check", "--root", str(content_copy), "--format", "github"]) == 1
    as_annotations = capsys.readouterr().out.splitlines()

    assert len(as_text) == len(as_annotations) == 1
    assert as_text[0] in guide.splitlines(), f"the guide's example should read:\n{as_text[0]}"
    annotation = ANNOTATION.match(as_annotations[0])
    assert annotation, as_annotations
    assert f"> {annotation['message']}" in guide.splitlines(), f"the annotation says:\n{annotation['message']}"
    assert f"line {annotation['line']} of `{annotation['file']}`" in guide


def test_the_guide_names_the_step_and_the_preview_the_workflow_has() -> None:
    guide = " ".join(GUIDE.read_text(encoding="utf-8").split())  # as it reads, whatever the line breaks
    listing = next(step for step in steps() if step.get("if") == WHEN_THE_CHECK_FAILED)
    upload = steps()[-1]["with"]

    assert f"**{listing['name']}**" in guide
    assert f"`{upload['name']}`" in guide
    assert f"kept for {upload['retention-days']} days" in guide
