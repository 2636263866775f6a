"""Check one content file against its schema and say what is wrong in plain English, with the line."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from .problems import ContentProblem
from .yaml_source import Location, SourceDocument

# What one item of each list is called, so a problem can say "in criterion PRI-LEAD-01".
_ITEM_NAMES = {
    "headings": "heading",
    "criteria": "criterion",
    "rating_scale": "rating level",
    "stages": "stage",
    "cycles": "cycle",
    "events": "event",
    "contacts": "contact",
    "items": "evidence item",
    "days_before": "reminder",
    "crosswalk": "crosswalk entry",
    "corrections": "correction",
}

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list (lines starting with '- ')",
    "object": "a block of 'key: value' lines",
}


@cache
def content_schema(name: str) -> dict[str, Any]:
    """The editors' schema for one kind of content file (framework, stages, key_dates, contacts, page)."""
    text = resources.files("quality_mark").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = content_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_document(document: SourceDocument, schema_name: str) -> list[ContentProblem]:
    """Every schema problem in `document`, each as a plain-English ContentProblem."""
    problems: list[ContentProblem] = []
    for error in _validator(schema_name).iter_errors(document.value):
        problems.extend(_explain(error, document))
    return problems


def describe(location: Location, root: Any) -> str:
    """Say where `location` is in words: "criterion 'PRI-LEAD-01'", "the top of the file"."""
    owner = "the top of the file"
    value = root
    parent_key: str | int | None = None
    for step in location:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(step, int) and isinstance(parent_key, str):
            item_name = _ITEM_NAMES.get(parent_key, "item")
            identifier = value.get("id") if isinstance(value, dict) else None
            if identifier is None and isinstance(value, dict):
                identifier = value.get("number", value.get("value"))
            owner = f"{item_name} '{identifier}'" if identifier is not None else f"{item_name} {step + 1}"
        parent_key = step
    return owner


def _field_name(location: Location) -> str:
    for step in reversed(location):
        if isinstance(step, str):
            return step
    return "value"


def _explain(error: jsonschema.ValidationError, document: SourceDocument) -> list[ContentProblem]:
    location: Location = tuple(error.absolute_path)
    where = describe(location, document.value)
    line = document.line_of(location)
    file = document.file
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = schema.get("description", "")

    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(schema.get("properties", {}))
        return [
            ContentProblem(
                file,
                document.line_of((*location, key)),
                f"Unknown key '{key}' in {where}.",
                _did_you_mean(str(key), allowed) + f"Allowed keys here: {', '.join(allowed)}.",
            )
            for key in error.instance
            if key not in allowed
        ]
    if kind == "required" and isinstance(error.instance, dict):
        return [
            ContentProblem(file, line, f"'{key}' is missing in {where}.", f"Add a line '{key}: ...' to {where}.")
            for key in error.validator_value
            if key not in error.instance
        ]

    field = _field_name(location)
    value = error.instance
    shown = _show(value)
    if kind == "type":
        wanted = error.validator_value if isinstance(error.validator_value, str) else error.validator_value[0]
        message = f"'{field}' in {where} should be {_TYPE_WORDS.get(wanted, wanted)}, but it is {shown}."
        fix = f"Write {_TYPE_WORDS.get(wanted, wanted)} here." + (f" Expected {hint}." if hint else "")
    elif kind == "format" and error.validator_value == "date":
        message = f"'{field}' in {where} is {shown}, which is not a real date."
        fix = "Write the date as YYYY-MM-DD, for example 2026-09-30, and check that the day exists."
    elif kind == "pattern":
        message = f"'{field}' in {where} is {shown}, which is not in the expected form."
        fix = f"Use {hint}." if hint else f"Match the pattern {error.validator_value}."
    elif kind in ("minLength", "maxLength"):
        limit = error.validator_value
        size = "short" if kind == "minLength" else "long"
        message = f"'{field}' in {where} is too {size} ({len(value)} characters)."
        fix = f"Write at {'least' if kind == 'minLength' else 'most'} {limit} characters."
    elif kind in ("minItems", "maxItems"):
        limit = error.validator_value
        message = f"'{field}' in {where} has {len(value)} items."
        fix = f"Give at {'least' if kind == 'minItems' else 'most'} {limit}."
    elif kind in ("minimum", "maximum"):
        message = f"'{field}' in {where} is {shown}, which is too {'small' if kind == 'minimum' else 'large'}."
        fix = f"Use a value of at {'least' if kind == 'minimum' else 'most'} {error.validator_value}."
    elif kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        message = f"'{field}' in {where} is {shown}, which is not allowed."
        fix = f"Use one of: {', '.join(_show(option) for option in options)}."
    else:
        message = f"'{field}' in {where} is not valid: {error.message}."
        fix = hint and f"Expected {hint}."
    return [ContentProblem(file, line, message, fix)]


def _did_you_mean(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    return f"Did you mean '{close[0]}'? " if close else ""


def _show(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a block of keys"
    return str(value)
