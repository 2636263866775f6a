"""The self-evaluation's JSON API: every bad input gets a clear 4xx and nothing is stored."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from form_service import self_evaluation
from form_service.store import get_store

OAKFIELD = "900001"  # primary; senco@ is its admin, governor@ its viewer
HILLCREST = "900004"  # secondary
SENCO = "senco@oakfield-primary.example.org"
GOVERNOR = "governor@oakfield-primary.example.org"
HILLCREST_LEAD = "inclusion@hillcrest-academy.example.org"
CRITERION = "PRI-LEAD-01"


def csrf(client: Any) -> str:
    page = client.get(f"/school/{OAKFIELD}/self-evaluation/").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def started(app: Any, urn: str = OAKFIELD) -> dict:
    with app.app_context():
        from form_service.accounts import get_school
        from form_service.core.content import get_content

        content = get_content()
        cycle = self_evaluation.current_cycle(content, date(2026, 11, 23))  # the app fixture's TODAY
        return self_evaluation.start(get_store(), content, get_school(get_store(), urn), cycle)


def stored(app: Any, urn: str = OAKFIELD) -> dict:
    with app.app_context():
        return self_evaluation.load(get_store(), urn, "2026-27")


def put(client: Any, body: Any, token: str | None, criterion: str = CRITERION, urn: str = OAKFIELD, **kwargs: Any):
    headers = {"X-CSRFToken": token} if token else {}
    return client.put(f"/api/schools/{urn}/self-evaluation/answers/{criterion}", json=body, headers=headers, **kwargs)


@pytest.fixture
def senco(app: Any, client: Any, sign_in: Any) -> tuple[Any, str]:
    started(app)
    sign_in(SENCO)
    return client, csrf(client)


def test_a_saved_answer_comes_back_with_its_revision(app: Any, senco: tuple[Any, str]) -> None:
    client, token = senco
    response = put(
        client,
        {"rating": 3, "commentary": "Shared vision.", "evidence": ["Vision statement"], "base_revision": 0},
        token,
    )
    assert response.status_code == 200
    assert response.get_json()["answer"]["revision"] == 1
    got = client.get(f"/api/schools/{OAKFIELD}/self-evaluation").get_json()
    assert got["answers"][CRITERION]["commentary"] == "Shared vision."
    assert got["framework"] == "primary" and got["framework_version"] == 1
    assert stored(app)["history"][CRITERION][0]["rating"] == 3


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (
            {"rating": 5, "commentary": "x", "base_revision": 0},
            422,
            "Choose a rating from 1 (Not yet in place) to 4 (Embedded)",
        ),
        ({"rating": 0, "commentary": "x", "base_revision": 0}, 422, "Choose a rating from 1"),
        ({"rating": "3", "commentary": "x", "base_revision": 0}, 422, "Choose a rating from 1"),
        ({"rating": 2.5, "commentary": "x", "base_revision": 0}, 422, "Choose a rating from 1"),
        ({"rating": True, "commentary": "x", "base_revision": 0}, 422, "Choose a rating from 1"),
        ({"rating": 3, "commentary": 42, "base_revision": 0}, 422, "Commentary must be text"),
        (
            {"rating": 3, "commentary": "x" * 2001, "base_revision": 0},
            422,
            "Commentary must be 2,000 characters or fewer",
        ),
        (
            {"rating": 3, "commentary": "x", "evidence": "a string", "base_revision": 0},
            422,
            "Evidence references must be a list",
        ),
        (
            {"rating": 3, "commentary": "x", "evidence": ["a"] * 2 + ["b"], "base_revision": 0},
            422,
            "Each evidence reference must be different",
        ),
        (
            {"rating": 3, "commentary": "x", "evidence": [str(n) for n in range(21)], "base_revision": 0},
            422,
            "at most 20",
        ),
        (
            {"rating": 3, "commentary": "x", "evidence": ["y" * 201], "base_revision": 0},
            422,
            "between 1 and 200 characters",
        ),
        ({"commentary": "", "evidence": {}, "base_revision": 0}, 422, "Evidence references must be a list"),
        ({"rating": None, "commentary": None, "base_revision": 0}, 422, "Commentary must be text"),
        ({"rating": 3, "commentary": "x"}, 400, "Send base_revision"),
        ({"rating": 3, "commentary": "x", "base_revision": -1}, 400, "Send base_revision"),
        ({"rating": 3, "commentary": "x", "base_revision": "0"}, 400, "Send base_revision"),
        ({"rating": 3, "commentary": "x", "base_revision": 0, "owner": "me"}, 400, "Unknown field: owner"),
        (["not", "an", "object"], 400, "Send the answer as a JSON object"),
        (
            {"rating": 3, "commentary": "Pupil A123456789012 has an EHCP", "base_revision": 0},
            422,
            "unique pupil number",
        ),
        ({"rating": 3, "commentary": "Call mum on 07700 900123", "base_revision": 0}, 422, "a phone number"),
    ],
)
def test_bad_answers_are_refused_plainly_and_nothing_is_stored(
    app: Any, senco: tuple[Any, str], body: Any, status: int, says: str
) -> None:
    client, token = senco
    response = put(client, body, token)
    assert response.status_code == status
    assert says in response.get_json()["error"]
    assert stored(app)["answers"] == {}


def test_unknown_fields_are_named_briefly_however_many_are_sent(app: Any, senco: tuple[Any, str]) -> None:
    client, token = senco
    body = {"rating": 3, "commentary": "x", "base_revision": 0}
    body.update({f"field-{number:04}-" + "x" * 20: 1 for number in range(1500)})  # about 50 KB of names

    response = put(client, body, token)

    error = response.get_json()["error"]
    assert response.status_code == 400
    assert error.startswith("Unknown fields: field-0000-xxxx")
    assert "and 1,497 more" in error
    assert len(error) < 400
    assert stored(app)["answers"] == {}


def test_personal_data_is_saved_only_when_the_person_confirms(app: Any, senco: tuple[Any, str]) -> None:
    client, token = senco
    body = {"rating": 3, "commentary": "Born 3 May 2015, see notes", "base_revision": 0}
    assert put(client, body, token).get_json()["personal_data"] == ["birth_date"]
    assert stored(app)["answers"] == {}
    assert put(client, {**body, "confirm_personal_data": True}, token).status_code == 200


def test_unknown_criteria_schools_and_bodies_that_are_not_json(app: Any, senco: tuple[Any, str]) -> None:
    client, token = senco
    body = {"rating": 3, "commentary": "x", "base_revision": 0}
    assert put(client, body, token, criterion="SEC-LEAD-01").status_code == 404  # another framework's criterion
    assert put(client, body, token, criterion="NOPE").status_code == 404
    assert put(client, body, token, urn="999999").status_code == 404
    not_json = client.put(
        f"/api/schools/{OAKFIELD}/self-evaluation/answers/{CRITERION}",
        data="rating=3",
        headers={"X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_json.status_code == 400
    huge = client.put(
        f"/api/schools/{OAKFIELD}/self-evaluation/answers/{CRITERION}",
        data=b"{" + b" " * (70 * 1024) + b"}",
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and "too large" in huge.get_json()["error"]
    assert stored(app)["answers"] == {}


def test_a_save_without_the_csrf_token_is_refused(app: Any, senco: tuple[Any, str]) -> None:
    client, _ = senco
    response = put(client, {"rating": 3, "commentary": "x", "base_revision": 0}, None)
    assert response.status_code == 400
    assert "session has expired" in response.get_json()["error"]
    assert stored(app)["answers"] == {}


def test_a_stale_revision_is_a_conflict_with_the_newer_answer(app: Any, senco: tuple[Any, str]) -> None:
    client, token = senco
    assert put(client, {"rating": 3, "commentary": "Tab one", "base_revision": 0}, token).status_code == 200
    clash = put(client, {"rating": 2, "commentary": "Tab two", "base_revision": 0}, token)
    assert clash.status_code == 409
    assert clash.get_json()["current"]["commentary"] == "Tab one"
    assert stored(app)["answers"][CRITERION]["commentary"] == "Tab one"
    keep_mine = put(client, {"rating": 2, "commentary": "Tab two", "base_revision": 1}, token)
    assert keep_mine.status_code == 200 and keep_mine.get_json()["answer"]["revision"] == 2


def test_colleagues_editing_different_criteria_both_land(app: Any, senco: tuple[Any, str]) -> None:
    client, token = senco
    assert put(client, {"rating": 3, "commentary": "One", "base_revision": 0}, token).status_code == 200
    assert (
        put(client, {"rating": 4, "commentary": "Two", "base_revision": 0}, token, criterion="PRI-LEAD-02").status_code
        == 200
    )
    assert set(stored(app)["answers"]) == {"PRI-LEAD-01", "PRI-LEAD-02"}


def test_viewers_other_schools_and_signed_out_people_cannot_save(app: Any, client: Any, sign_in: Any) -> None:
    started(app)
    body = {"rating": 3, "commentary": "x", "base_revision": 0}
    signed_out = put(client, body, "whatever")
    assert signed_out.status_code in (400, 401)
    sign_in(GOVERNOR)
    token = csrf(client)
    assert put(client, body, token).status_code == 403
    client.post("/sign-out", data={"csrf_token": token})
    sign_in(HILLCREST_LEAD)
    page = client.get(f"/school/{HILLCREST}/").get_data(as_text=True)
    other_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert put(client, body, other_token).status_code == 404
    assert client.get(f"/api/schools/{OAKFIELD}/self-evaluation").status_code == 404
    assert stored(app)["answers"] == {}


def test_no_changes_after_submission_or_after_the_deadline(app: Any, senco: tuple[Any, str]) -> None:
    client, token = senco
    with app.app_context():
        get_store().modify(
            self_evaluation.COLLECTION, f"{OAKFIELD}-2026-27", lambda d: ({**d, "status": "submitted"}, None)
        )
    submitted = put(client, {"rating": 3, "commentary": "x", "base_revision": 0}, token)
    assert submitted.status_code == 403 and "submitted" in submitted.get_json()["error"]
    with app.app_context():
        get_store().modify(
            self_evaluation.COLLECTION,
            f"{OAKFIELD}-2026-27",
            lambda d: ({**d, "status": "in_progress", "extension_until": "2026-01-01T00:00:00+00:00"}, None),
        )
    late = put(client, {"rating": 3, "commentary": "x", "base_revision": 0}, token)
    assert late.status_code == 403 and "deadline has passed" in late.get_json()["error"]
    assert stored(app)["answers"] == {}


def test_signed_out_api_calls_get_json_not_a_sign_in_page(client: Any) -> None:
    response = client.get(f"/api/schools/{OAKFIELD}/self-evaluation")
    assert response.status_code == 401
    assert response.is_json and "signed out" in response.get_json()["error"]


def test_the_openapi_document_describes_the_save_call(client: Any) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    put_call = document["paths"]["/schools/{urn}/self-evaluation/answers/{criterion_id}"]["put"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(put_call["responses"])
    assert document["components"]["schemas"]["Answer"]["properties"]["rating"]["enum"] == [1, 2, 3, 4]


def test_a_page_signed_in_again_elsewhere_can_get_a_fresh_token(app: Any, senco: tuple[Any, str], sign_in: Any) -> None:
    client, old_token = senco
    client.post("/sign-out", data={"csrf_token": old_token})  # in another tab: signed out, then in again,
    sign_in(SENCO)  # which starts a new session, so the open page's token no longer matches
    body = {"rating": 3, "commentary": "Kept while signed out", "base_revision": 0}
    assert put(client, body, old_token).status_code == 400
    fresh = client.get("/api/session").get_json()
    assert fresh["signed_in"] is True and fresh["csrf_token"]
    assert put(client, body, fresh["csrf_token"]).status_code == 200


def test_signed_out_browsers_get_no_token(client: Any) -> None:
    assert client.get("/api/session").get_json() == {"signed_in": False, "csrf_token": None}


# The OpenAPI document says what a client meets --------------------------------------------------------------


def test_the_openapi_document_names_the_session_cookie_the_service_sets(
    app: Any, client: Any, sign_in: Any, tmp_path: Any
) -> None:
    from form_service import create_app
    from form_service.config import ProductionConfig
    from tests.conftest import REPO_ROOT

    def cookie_scheme(document: dict[str, Any]) -> dict[str, Any]:
        [scheme] = [s for s in document["components"]["securitySchemes"].values() if s["in"] == "cookie"]
        return scheme

    sign_in(SENCO)
    named = cookie_scheme(client.get("/api/openapi.json").get_json())["name"]
    assert named == "qm_session" and client.get_cookie(named) is not None
    production = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": "s" * 64,
            "DATA_DIR": tmp_path / "prod",
            "CONTENT_ROOT": REPO_ROOT,
            "TRUSTED_HOSTS": ["service.test"],
        },
    )
    document = production.test_client().get("/api/openapi.json", base_url="https://service.test").get_json()
    assert cookie_scheme(document)["name"] == "__Host-session" == production.config["SESSION_COOKIE_NAME"]


def request_schema_validator(document: dict[str, Any], path: str, method: str) -> Any:
    """A validator for the JSON body of `method` `path`, as the OpenAPI document describes it."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:api", Resource.from_contents(document, DRAFT202012))
    pointer = "/paths/" + path.replace("~", "~0").replace("/", "~1") + f"/{method}/requestBody"
    pointer += "/content/application~1json/schema"
    return Draft202012Validator({"$ref": "urn:api#" + pointer}, registry=registry)


SAVE_PATH = "/schools/{urn}/self-evaluation/answers/{criterion_id}"


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 3, "commentary": "Shared vision.", "evidence": ["Vision statement"], "base_revision": 0},
        {"rating": None, "commentary": "Not rated yet", "evidence": [], "base_revision": 0},  # as autosave sends it
        {"base_revision": 0, "commentary": "Sure", "confirm_personal_data": True},
    ],
)
def test_a_body_the_api_accepts_is_one_its_document_allows(app: Any, senco: tuple[Any, str], body: Any) -> None:
    client, token = senco
    document = client.get("/api/openapi.json").get_json()
    errors = [error.message for error in request_schema_validator(document, SAVE_PATH, "put").iter_errors(body)]
    assert errors == []
    assert put(client, body, token).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 3, "commentary": "x", "base_revision": 0, "owner": "me"},
        {"rating": 3, "commentary": "x"},
        {"rating": 3, "commentary": "x", "base_revision": 0, "confirm_personal_data": "yes"},
        {"rating": 3, "commentary": "x", "evidence": [""], "base_revision": 0},
    ],
)
def test_a_body_the_document_refuses_the_api_refuses(app: Any, senco: tuple[Any, str], body: Any) -> None:
    client, token = senco
    document = client.get("/api/openapi.json").get_json()
    assert not request_schema_validator(document, SAVE_PATH, "put").is_valid(body)
    assert put(client, body, token).status_code in (400, 422)
    assert stored(app)["answers"] == {}


@pytest.mark.parametrize(
    ("path", "method", "allowed"),
    [
        ("/api/openapi.json", "POST", {"GET", "HEAD", "OPTIONS"}),
        (f"/api/schools/{OAKFIELD}/self-evaluation/answers/{CRITERION}", "GET", {"PUT", "OPTIONS"}),
        (f"/api/schools/{OAKFIELD}/self-evaluation", "DELETE", {"GET", "HEAD", "OPTIONS"}),
        ("/sign-out", "GET", {"POST", "OPTIONS"}),
    ],
)
def test_a_method_not_allowed_says_which_are(client: Any, path: str, method: str, allowed: set[str]) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert {name.strip() for name in response.headers["Allow"].split(",")} == allowed


def test_a_write_without_a_session_is_told_it_is_signed_out(client: Any) -> None:
    body = {"rating": 3, "commentary": "x", "base_revision": 0}
    for response in [
        put(client, body, None),
        put(client, body, "not-a-token"),
        client.post(f"/api/schools/{OAKFIELD}/self-evaluation/answers/{CRITERION}/confirm", json={"base_revision": 0}),
    ]:
        assert response.status_code == 401
        assert response.is_json and "signed out" in response.get_json()["error"]


def test_whole_numbers_written_with_a_point_are_whole_numbers(app: Any, senco: tuple[Any, str]) -> None:
    client, token = senco
    response = put(client, {"rating": 3.0, "commentary": "Shared vision.", "base_revision": 0.0}, token)
    assert response.status_code == 200
    assert stored(app)["answers"][CRITERION]["rating"] == 3
    assert isinstance(stored(app)["answers"][CRITERION]["rating"], int)
