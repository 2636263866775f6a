"""The OpenAPI 3.1 description of the JSON API, served at /app/api/openapi.json: what a client meets, exactly.

Answers are described with each framework's own generated JSON Schema (`quality_mark.response_schema`), so the
description, the form and the server's checks agree. The suite runs schemathesis against the running service
with this description (tests/test_api_conformance.py): a difference between the two fails it.
"""

from __future__ import annotations

from typing import Any

from quality_mark.model import Content, Framework
from quality_mark.response_schema import response_schema

CSRF_HEADER = "X-CSRFToken"
ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _answer_schema(frameworks: tuple[Framework, ...]) -> dict[str, Any]:
    """One answer as the frameworks' generated schemas describe it; where frameworks differ (ratings, the
    length of commentary), what any of them allows (the server then checks the school's own)."""
    schemas = [response_schema(framework)["$defs"]["answer"] for framework in frameworks]
    answer = {**schemas[0], "properties": dict(schemas[0]["properties"])}
    ratings = sorted({value for schema in schemas for value in schema["properties"]["rating"]["enum"]})
    answer["properties"]["rating"] = {**answer["properties"]["rating"], "enum": ratings}
    longest = max(schema["properties"]["commentary"]["maxLength"] for schema in schemas)
    answer["properties"]["commentary"] = {**answer["properties"]["commentary"], "maxLength": longest}
    return answer


def _schemas(answer: dict[str, Any], criterion_ids: list[str]) -> dict[str, Any]:
    rating, commentary, evidence = (answer["properties"][name] for name in ("rating", "commentary", "evidence"))
    stored_answer = {
        "type": "object",
        "description": "An answer as stored; text is as it was saved, so it is not checked against the rule again.",
        "required": ["rating", "commentary", "evidence", "revision", "updated_at"],
        "properties": {
            "rating": {"type": ["integer", "null"], "description": "null: not rated yet"},
            "commentary": {"type": "string"},
            "evidence": {"type": "array", "items": {"type": "string"}},
            "revision": {"type": "integer", "minimum": 0},
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error", "status"],
            "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
        },
        "Answer": answer,
        "AnswerToSave": {
            "type": "object",
            "additionalProperties": False,
            "required": ["base_revision"],
            "examples": [
                {
                    "rating": rating["enum"][-1],
                    "commentary": "Every class has a pupil voice group; its ideas changed our anti-bullying policy.",
                    "evidence": ["Pupil voice minutes", "Anti-bullying policy"],
                    "base_revision": 0,
                }
            ],
            "properties": {
                "rating": {
                    "enum": [*rating["enum"], None],
                    "description": rating["description"] + "; null or absent: not rated yet",
                },
                "commentary": commentary,
                "evidence": evidence,
                "base_revision": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The revision of the answer this one replaces (0 for the first answer)",
                },
                "confirm_personal_data": {
                    "type": "boolean",
                    "description": "true: save text that looks like a pupil's personal data (the person checked it)",
                },
            },
        },
        "StoredAnswer": stored_answer,
        "SelfEvaluation": {
            "type": "object",
            "required": ["urn", "cycle", "framework", "framework_version", "content_hash", "status", "answers"],
            "properties": {
                "urn": {"type": "string"},
                "cycle": {"type": "string"},
                "framework": {"type": "string"},
                "framework_version": {"type": "integer"},
                "content_hash": {"type": "string"},
                "status": {"type": "string"},
                "answers": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/StoredAnswer"}},
                "flags": {
                    "type": "object",
                    "description": "Criteria to look at again (after a move to a new version of the criteria)",
                    "additionalProperties": {"type": "object", "properties": {"kind": {"type": ["string", "null"]}}},
                },
            },
        },
        "CriterionId": {"type": "string", "enum": criterion_ids},
    }


def _errors(*codes: int) -> dict[str, Any]:
    said = {
        400: "Not a JSON object, unknown fields, no base_revision, or the session's CSRF token missing or wrong",
        401: "Not signed in (no session, or it has ended)",
        403: "Not allowed for this person, or the self-evaluation is submitted or past its deadline",
        404: "No such school (for this person), criterion, or self-evaluation begun",
        409: "Someone saved a newer revision, or there is nothing to confirm",
        413: "Too large",
    }
    return {str(code): _json(ERROR, said[code]) for code in codes}


def openapi_document(content: Content, session_cookie: str) -> dict[str, Any]:
    """The description of the API; `session_cookie` is the name of the session cookie the service sets."""
    frameworks = content.current_frameworks()
    criterion_ids = [criterion.id for framework in frameworks for criterion in framework.criteria]
    path_parameters = [
        {"name": "urn", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]{6,7}$"}},
        {
            "name": "criterion_id",
            "in": "path",
            "required": True,
            "schema": {"$ref": "#/components/schemas/CriterionId"},
        },
    ]
    writes = [{"session": [], "csrf": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SEND and Inclusion Quality Mark: self-evaluation API",
            "version": "1",
            "description": "Used by the self-evaluation form to save as you type. Sign in through the service "
            f"(the session cookie is {session_cookie}); send the session's CSRF token in the {CSRF_HEADER} "
            "header with every write (GET /session gives it). Text holds no control characters but tab, line "
            "feed and carriage return, no lone surrogates, and neither U+FFFE nor U+FFFF.",
        },
        "servers": [{"url": "/app/api"}],
        "components": {
            "schemas": _schemas(_answer_schema(frameworks), criterion_ids),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": session_cookie},
                "csrf": {
                    "type": "apiKey",
                    "in": "header",
                    "name": CSRF_HEADER,
                    "description": "The CSRF token of the signed-in session (from GET /session, or any form)",
                },
            },
        },
        "security": [{"session": []}],
        "paths": {
            "/session": {
                "get": {
                    "summary": "Whether this browser is signed in, and the CSRF token of its session",
                    "security": [{}],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["signed_in", "csrf_token"],
                                "properties": {
                                    "signed_in": {"type": "boolean"},
                                    "csrf_token": {"type": ["string", "null"]},
                                },
                            },
                            "Signed in or not; the token is null when not",
                        )
                    },
                }
            },
            "/schools/{urn}/self-evaluation": {
                "get": {
                    "summary": "The school's self-evaluation for the current cycle",
                    "parameters": path_parameters[:1],
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/SelfEvaluation"}, "The answers, each with its revision"
                        ),
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/schools/{urn}/self-evaluation/answers/{criterion_id}": {
                "put": {
                    "summary": "Save one criterion's answer",
                    "security": writes,
                    "parameters": path_parameters,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AnswerToSave"}}},
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status", "answer"],
                                "properties": {
                                    "status": {"enum": ["saved", "unchanged"]},
                                    "answer": {
                                        "anyOf": [{"$ref": "#/components/schemas/StoredAnswer"}, {"type": "null"}]
                                    },
                                },
                            },
                            "Saved, or unchanged (the answer is as stored now; null if there is none)",
                        ),
                        **_errors(400, 401, 403, 404),
                        "409": _json(
                            {
                                "allOf": [ERROR],
                                "properties": {
                                    "current": {
                                        "anyOf": [{"$ref": "#/components/schemas/StoredAnswer"}, {"type": "null"}]
                                    }
                                },
                            },
                            "Someone saved a newer revision: `current` holds it",
                        ),
                        **_errors(413),
                        "422": _json(
                            {
                                "allOf": [ERROR],
                                "properties": {
                                    "errors": {"type": "array", "items": {"type": "string"}},
                                    "personal_data": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                            "Not valid (`errors` says why), or looks like a pupil's personal data (`personal_data`"
                            " says what: send it again with confirm_personal_data if it is not)",
                        ),
                    },
                }
            },
            "/schools/{urn}/self-evaluation/answers/{criterion_id}/confirm": {
                "post": {
                    "summary": "This is still right: clear a flagged criterion's flag, keeping its answer",
                    "security": writes,
                    "parameters": path_parameters,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["base_revision"],
                                    "properties": {"base_revision": {"type": "integer", "minimum": 0}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status"],
                                "properties": {"status": {"const": "confirmed"}},
                            },
                            "Confirmed",
                        ),
                        **_errors(400, 401, 403, 404, 409, 413),
                    },
                }
            },
        },
    }
