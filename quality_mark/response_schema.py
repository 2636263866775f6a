"""JSON Schemas (Draft 2020-12) for a school's self-evaluation response, one per framework version.

The schema is generated from the same model as the public pages, so the form and the site agree. It
allows a response in progress (any subset of criteria answered); `$defs/complete_response` adds what a
submission needs: every required criterion rated and commented on.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .model import Criterion, Framework
from .text import JSON_SCHEMA_PATTERN

DIALECT = "https://json-schema.org/draft/2020-12/schema"
MAX_EVIDENCE_REFERENCES = 20
MAX_EVIDENCE_REFERENCE_LENGTH = 200
TEXT_RULE = (
    " Text holds no control characters but tab, line feed and carriage return, no lone surrogates and neither"
    " U+FFFE nor U+FFFF; it is kept in Unicode normalisation form C."
)


def schema_id(framework: Framework) -> str:
    return f"urn:quality-mark:response:{framework.id}:v{framework.version}"


def _answer_schema(framework: Framework) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "rating": {
                "type": "integer",
                "enum": list(framework.rating_scale.values),
                "description": "; ".join(f"{lvl.value} = {lvl.label}" for lvl in framework.rating_scale.levels),
            },
            "commentary": {
                "type": "string",
                "maxLength": framework.commentary_limit,
                "pattern": JSON_SCHEMA_PATTERN,
                "description": "What the school does and its impact." + TEXT_RULE,
            },
            "evidence": {
                "type": "array",
                "maxItems": MAX_EVIDENCE_REFERENCES,
                "uniqueItems": True,
                "items": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_EVIDENCE_REFERENCE_LENGTH,
                    "pattern": JSON_SCHEMA_PATTERN,
                },
                "description": "References to the evidence that supports the rating." + TEXT_RULE,
            },
        },
    }


def _criterion_property(criterion: Criterion) -> dict[str, Any]:
    return {"$ref": "#/$defs/answer", "title": criterion.id, "description": criterion.statement}


def response_schema(framework: Framework) -> dict[str, Any]:
    """The schema for a response to `framework`; a pure function of the framework's content."""
    criteria = framework.criteria
    required_ids = sorted(c.id for c in criteria if c.required)
    return {
        "$schema": DIALECT,
        "$id": schema_id(framework),
        "title": f"Self-evaluation response: {framework.title}, version {framework.version}",
        "description": f"Content hash {framework.content_hash}. Generated from {framework.source_file}.",
        "type": "object",
        "additionalProperties": False,
        "required": ["framework", "framework_version", "answers"],
        "properties": {
            "framework": {"const": framework.id},
            "framework_version": {"const": framework.version},
            "answers": {
                "type": "object",
                "additionalProperties": False,
                "properties": {c.id: _criterion_property(c) for c in criteria},
            },
        },
        "$defs": {
            "answer": _answer_schema(framework),
            "complete_response": {
                "description": "A response ready to submit: every required criterion has a rating and commentary.",
                "$ref": "#",
                "properties": {
                    "answers": {
                        "required": required_ids,
                        "properties": {
                            criterion_id: {
                                "required": ["rating", "commentary"],
                                "properties": {"commentary": {"pattern": "\\S"}},
                            }
                            for criterion_id in required_ids
                        },
                    }
                },
            },
        },
    }


def dump_schema(schema: dict[str, Any]) -> str:
    """Deterministic text: same schema, same bytes."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def response_validator(schema: dict[str, Any], *, complete: bool = False) -> Draft202012Validator:
    """A validator for a response in progress, or (`complete=True`) for one being submitted."""
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    target = schema["$id"] + ("#/$defs/complete_response" if complete else "")
    return Draft202012Validator({"$ref": target}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
