"""What a valid answer is: its stored shape, and what is wrong with one, in plain English.

Pure: no store, no Flask. Checked with the framework's generated JSON Schema (`quality_mark.response_schema`),
the same one the API's description and the public site use, and the text rule (`quality_mark.text`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from quality_mark import text
from quality_mark.model import Framework
from quality_mark.response_schema import response_schema

COMMENTARY, EVIDENCE_REFERENCE = "Commentary", "Each evidence reference"  # what a text problem calls each


def normalise_answer(raw: dict[str, Any]) -> dict[str, Any]:
    """The stored shape of an answer: rating (or absent), commentary, evidence references, their text kept as
    `quality_mark.text` keeps it (line breaks as line feeds, normalisation form C), otherwise as sent: whether it
    is acceptable is for `answer_errors` to say. The form splits its evidence box into lines itself."""

    def kept(value: Any) -> Any:
        return text.checked(value, "", multiline=True)[0] if isinstance(value, str) else value

    answer: dict[str, Any] = {}
    if raw.get("rating") is not None:
        answer["rating"] = _whole(raw["rating"])
    answer["commentary"] = kept(raw.get("commentary", ""))
    evidence = raw.get("evidence", [])
    answer["evidence"] = [kept(item) for item in evidence] if isinstance(evidence, list) else evidence
    return answer


def _whole(value: Any) -> Any:
    """A whole number written with a point (3.0, as JSON may) as the whole number it is; anything else as is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def text_errors(raw: dict[str, Any]) -> list[str]:
    """What is wrong with the text of an answer as it was received (see `quality_mark.text`)."""
    commentary, evidence = raw.get("commentary"), raw.get("evidence")
    problems = [text.problem(commentary, COMMENTARY) if isinstance(commentary, str) else None]
    if isinstance(evidence, list):
        problems += [text.problem(item, EVIDENCE_REFERENCE) for item in evidence if isinstance(item, str)]
    return list(dict.fromkeys(problem for problem in problems if problem))


@cache
def _answer_validator(framework: Framework) -> Any:
    """A validator for one answer: the generated schema's `$defs/answer`, which every criterion refers to."""
    return Draft202012Validator(
        response_schema(framework)["$defs"]["answer"], format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def answer_errors(framework: Framework, answer: dict[str, Any]) -> list[str]:
    """Plain-English problems with one answer, checked with the framework's generated JSON Schema (whose
    patterns say which characters text may hold) and the text rule (which also refuses lone surrogates)."""
    messages = text_errors(answer)
    for error in sorted(_answer_validator(framework).iter_errors(answer), key=lambda e: list(e.absolute_path)):
        path = [str(step) for step in error.absolute_path]
        messages.append(_explain(framework, path[0] if path else "", error))
    return list(dict.fromkeys(messages))


def _explain(framework: Framework, field_name: str, error: Any) -> str:
    scale = framework.rating_scale
    if field_name == "rating":
        lowest, highest = scale.levels[0], scale.levels[-1]
        return f"Choose a rating from {lowest.value} ({lowest.label}) to {highest.value} ({highest.label})"
    if error.validator == "pattern":
        return text.problem(error.instance, COMMENTARY if field_name == "commentary" else EVIDENCE_REFERENCE) or ""
    if field_name == "commentary":
        if error.validator == "maxLength":
            return f"Commentary must be {framework.commentary_limit:,} characters or fewer"
        return "Commentary must be text"
    if field_name == "evidence":
        if error.validator == "maxItems":
            return f"Give at most {error.validator_value} evidence references"
        if error.validator == "uniqueItems":
            return "Each evidence reference must be different"
        if error.validator in ("maxLength", "minLength"):
            return "Each evidence reference must be between 1 and 200 characters"
        return "Evidence references must be a list of text"
    if error.validator == "additionalProperties":
        return "Only a rating, commentary and evidence can be saved for a criterion"
    return "The answer could not be read. Reload the page and try again"
