"""The JSON Schema for a school's self-evaluation response: the same bytes every time, committed as
golden files so any change is seen in review, valid Draft 2020-12, and strict about what a school sends.

If a content change is meant to change a schema, regenerate the golden files and commit them:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_response_schema.py
"""

from __future__ import annotations

import copy
import difflib
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import build
from quality_mark.loader import load_content
from quality_mark.model import Content, Framework
from quality_mark.response_schema import (
    MAX_EVIDENCE_REFERENCE_LENGTH,
    MAX_EVIDENCE_REFERENCES,
    dump_schema,
    response_schema,
    response_validator,
)

GOLDEN = Path(__file__).resolve().parent / "golden"
FRAMEWORKS = [("primary", 1), ("secondary", 1)]
REGENERATE = "UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_response_schema.py"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def primary(content: Content) -> Framework:
    return content.framework("primary", 1)


def golden_file(framework: Framework) -> Path:
    return GOLDEN / f"{framework.id}-v{framework.version}.schema.json"


def complete_response(framework: Framework) -> dict[str, Any]:
    """A response ready to submit: every required criterion rated, with commentary and evidence."""
    return {
        "framework": framework.id,
        "framework_version": framework.version,
        "answers": {
            criterion.id: {
                "rating": framework.rating_scale.highest,
                "commentary": f"What we do for {criterion.id} and the difference it makes.",
                "evidence": [f"{criterion.id} evidence folder"],
            }
            for criterion in framework.criteria
            if criterion.required
        },
    }


def errors(schema: dict[str, Any], response: Any, *, complete: bool = False) -> set[tuple[str, tuple]]:
    """(validator keyword, path in the response) for every error in the response."""
    return {
        (error.validator, tuple(error.absolute_path))
        for error in response_validator(schema, complete=complete).iter_errors(response)
    }


@pytest.mark.parametrize(("framework_id", "version"), FRAMEWORKS)
def test_the_schema_is_the_committed_golden_file(content: Content, framework_id: str, version: int) -> None:
    framework = content.framework(framework_id, version)
    generated = dump_schema(response_schema(framework)).encode("utf-8")
    path = golden_file(framework)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(generated)

    committed = path.read_bytes() if path.exists() else b""

    if committed != generated:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.decode("utf-8").splitlines(keepends=True),
                    generated.decode("utf-8").splitlines(keepends=True),
                    f"tests/golden/{path.name} (committed)",
                    "generated now",
                )
            )[:40]
        )
        pytest.fail(
            f"The response schema for {framework_id} v{version} is not the committed golden file "
            f"tests/golden/{path.name}. Schools' software relies on it, so a change must be deliberate.\n"
            f"If the content change is intentional, regenerate the golden files with\n    {REGENERATE}\n"
            f"and commit them (a published version's schema should not change: add a new version instead).\n"
            f"{diff}"
        )


def test_there_is_a_golden_file_for_every_framework_version(content: Content) -> None:
    assert sorted(path.name for path in GOLDEN.glob("*.schema.json")) == sorted(
        golden_file(framework).name for framework in content.frameworks
    )
    assert sorted((f.id, f.version) for f in content.frameworks) == FRAMEWORKS


def test_generating_twice_gives_the_same_bytes(content: Content) -> None:
    again = load_content()
    for framework in content.frameworks:
        first = dump_schema(response_schema(framework))
        assert dump_schema(response_schema(framework)) == first
        assert dump_schema(response_schema(again.framework(framework.id, framework.version))) == first


def test_build_schemas_writes_the_golden_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"

    assert build.main(["schemas", "--out", str(out)]) == 0

    written = sorted(path.relative_to(out).as_posix() for path in out.glob("**/*.json"))
    assert written == ["schemas/primary/v1.json", "schemas/secondary/v1.json"]
    for framework_id, version in FRAMEWORKS:
        built = (out / "schemas" / framework_id / f"v{version}.json").read_bytes()
        assert built == (GOLDEN / f"{framework_id}-v{version}.schema.json").read_bytes()
    assert "Wrote out/schemas/primary/v1.json" in capsys.readouterr().out


@pytest.mark.parametrize(("framework_id", "version"), FRAMEWORKS)
def test_the_schema_is_valid_draft_2020_12(content: Content, framework_id: str, version: int) -> None:
    schema = response_schema(content.framework(framework_id, version))

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:quality-mark:response:{framework_id}:v{version}"


@pytest.mark.parametrize(("framework_id", "version"), FRAMEWORKS)
def test_a_response_in_progress_is_valid(content: Content, framework_id: str, version: int) -> None:
    framework = content.framework(framework_id, version)
    schema = response_schema(framework)
    first = framework.criteria[0]
    just_started = {"framework": framework_id, "framework_version": version, "answers": {}}
    one_answer = {
        "framework": framework_id,
        "framework_version": version,
        "answers": {first.id: {"rating": 2, "commentary": "We have started.", "evidence": ["Staff survey, May"]}},
    }
    rating_only = {"framework": framework_id, "framework_version": version, "answers": {first.id: {"rating": 1}}}

    for response in (just_started, one_answer, rating_only):
        assert errors(schema, response) == set(), response
    assert errors(schema, one_answer, complete=True), "one answer is not a complete response"


@pytest.mark.parametrize(("framework_id", "version"), FRAMEWORKS)
def test_a_complete_response_is_ready_to_submit(content: Content, framework_id: str, version: int) -> None:
    framework = content.framework(framework_id, version)
    schema = response_schema(framework)
    response = complete_response(framework)
    optional = [criterion.id for criterion in framework.criteria if not criterion.required]

    assert optional, "the framework has optional criteria, which a complete response may leave out"
    assert errors(schema, response, complete=True) == set()
    assert errors(schema, response) == set()

    response["answers"][optional[0]] = {"rating": 3, "commentary": "We also do this."}
    assert errors(schema, response, complete=True) == set()


def _set(path: tuple, value: Any) -> Any:
    def change(response: dict[str, Any]) -> None:
        target = response
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _delete(key: str) -> Any:
    def change(response: dict[str, Any]) -> None:
        del response[key]

    return change


ANSWER = ("answers", "PRI-LEAD-01")
TOO_MANY = [f"Document {number}" for number in range(MAX_EVIDENCE_REFERENCES + 1)]


@pytest.mark.parametrize(
    ("change", "validator", "path"),
    [
        pytest.param(_set((*ANSWER, "rating"), 0), "enum", (*ANSWER, "rating"), id="rating-0"),
        pytest.param(_set((*ANSWER, "rating"), 5), "enum", (*ANSWER, "rating"), id="rating-5"),
        pytest.param(_set((*ANSWER, "rating"), "3"), "type", (*ANSWER, "rating"), id="rating-as-text"),
        pytest.param(_set((*ANSWER, "rating"), 2.5), "type", (*ANSWER, "rating"), id="rating-2.5"),
        pytest.param(
            _set(("answers", "PRI-LEAD-99"), {"rating": 3}),
            "additionalProperties",
            ("answers",),
            id="unknown-criterion",
        ),
        pytest.param(
            _set(("answers", "SEC-LEAD-01"), {"rating": 3}),
            "additionalProperties",
            ("answers",),
            id="other-frameworks-criterion",
        ),
        pytest.param(_set((*ANSWER, "score"), 3), "additionalProperties", ANSWER, id="unknown-key-in-answer"),
        pytest.param(_set(("framework",), "secondary"), "const", ("framework",), id="wrong-framework"),
        pytest.param(_set(("framework_version",), 2), "const", ("framework_version",), id="wrong-version"),
        pytest.param(_set((*ANSWER, "evidence"), "Policy"), "type", (*ANSWER, "evidence"), id="evidence-not-a-list"),
        pytest.param(
            _set((*ANSWER, "evidence"), ["Policy", "Policy"]), "uniqueItems", (*ANSWER, "evidence"), id="evidence-twice"
        ),
        pytest.param(_set((*ANSWER, "evidence"), TOO_MANY), "maxItems", (*ANSWER, "evidence"), id="too-much-evidence"),
        pytest.param(
            _set((*ANSWER, "evidence"), ["x" * (MAX_EVIDENCE_REFERENCE_LENGTH + 1)]),
            "maxLength",
            (*ANSWER, "evidence", 0),
            id="evidence-reference-too-long",
        ),
        pytest.param(_set((*ANSWER, "evidence"), [""]), "minLength", (*ANSWER, "evidence", 0), id="evidence-empty"),
        pytest.param(_set((*ANSWER, "commentary"), 42), "type", (*ANSWER, "commentary"), id="commentary-not-text"),
        pytest.param(_delete("answers"), "required", (), id="no-answers"),
        pytest.param(_set(("school_name",), "Example Primary"), "additionalProperties", (), id="extra-top-level-key"),
        pytest.param(_set((*ANSWER,), "Established"), "type", ANSWER, id="answer-not-a-block"),
    ],
)
def test_an_invalid_response_fails_with_the_right_validator(
    primary: Framework, change: Any, validator: str, path: tuple
) -> None:
    schema = response_schema(primary)
    response = copy.deepcopy(complete_response(primary))
    change(response)

    in_progress = errors(schema, response)

    assert (validator, path) in in_progress, in_progress
    assert (validator, path) in errors(schema, response, complete=True)


def test_commentary_may_be_as_long_as_the_limit_but_no_longer(primary: Framework) -> None:
    schema = response_schema(primary)
    response = complete_response(primary)
    limit = primary.commentary_limit

    response["answers"]["PRI-LEAD-01"]["commentary"] = "x" * limit
    assert errors(schema, response) == set()

    response["answers"]["PRI-LEAD-01"]["commentary"] = "x" * (limit + 1)
    assert errors(schema, response) == {("maxLength", ("answers", "PRI-LEAD-01", "commentary"))}


def test_a_response_missing_a_required_criterion_is_not_complete(primary: Framework) -> None:
    schema = response_schema(primary)
    response = complete_response(primary)
    del response["answers"]["PRI-LEAD-03"]

    assert errors(schema, response) == set(), "it is fine while the school is still working"
    complete = list(response_validator(schema, complete=True).iter_errors(response))
    assert [(e.validator, tuple(e.absolute_path)) for e in complete] == [("required", ("answers",))]
    assert "'PRI-LEAD-03' is a required property" in complete[0].message


def test_a_rating_without_commentary_is_not_complete(primary: Framework) -> None:
    schema = response_schema(primary)
    response = complete_response(primary)
    del response["answers"]["PRI-LEAD-03"]["commentary"]

    assert errors(schema, response) == set()
    assert errors(schema, response, complete=True) == {("required", ("answers", "PRI-LEAD-03"))}


def test_whitespace_is_not_commentary_in_a_complete_response(primary: Framework) -> None:
    schema = response_schema(primary)
    response = complete_response(primary)
    response["answers"]["PRI-LEAD-03"]["commentary"] = " \n\t "

    assert errors(schema, response) == set()
    assert errors(schema, response, complete=True) == {("pattern", ("answers", "PRI-LEAD-03", "commentary"))}
