"""Hostile text: every way in (the JSON API, the forms, the LA's school list, uploaded file names) accepts the
same text and refuses the rest plainly; and whatever is already stored, no page or export fails because of it.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from form_service import accounts, actions, evidence, schools, self_evaluation
from form_service.core.content import get_content
from form_service.store import get_store
from quality_mark import text
from tests.test_evidence import pdf
from tests.test_moderation import fill_in_and_submit, person, post
from tests.test_self_evaluation_api import CRITERION, OAKFIELD, SENCO, csrf, started, stored
from tests.test_service_accounts import FRAMEWORKS, gias_csv, gias_row

CYCLE = "2026-27"
REVIEWER = "la.reviewer@example.org"
LA_ADMIN = "la.admin@example.org"
REFUSED = "must not include hidden control characters or broken characters"

# Characters no text may hold, by what they are. A lone surrogate can only arrive as a JSON escape: a form's
# bytes are read as UTF-8, which cannot spell one (they arrive as U+FFFD and are kept as such).
HOSTILE = {
    "lone surrogate": "\ud800",
    "bell": "\x07",
    "escape": "\x1b",
    "vertical tab": "\x0b",
    "delete": "\x7f",
    "next line (C1)": "\x85",
    "not a character": "\uffff",
}
FORM_HOSTILE = {name: character for name, character in HOSTILE.items() if name != "lone surrogate"}


def put_json(client: Any, token: str, body: dict[str, Any], criterion: str = CRITERION) -> Any:
    """A save through the API, sent as JSON text (a lone surrogate travels as a \\u escape)."""
    return client.put(
        f"/api/schools/{OAKFIELD}/self-evaluation/answers/{criterion}",
        data=json.dumps(body),
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
    )


@pytest.fixture
def senco(app: Any, client: Any, sign_in: Any) -> tuple[Any, str]:
    started(app)
    sign_in(SENCO)
    return client, csrf(client)


# The JSON API -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("character", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("where", ["commentary", "evidence"])
def test_the_api_refuses_text_no_page_could_show_and_stores_nothing(
    app: Any, senco: tuple[Any, str], character: str, where: str
) -> None:
    client, token = senco
    body: dict[str, Any] = {"rating": 3, "commentary": "Shared vision.", "evidence": ["Vision"], "base_revision": 0}
    if where == "commentary":
        body["commentary"] = f"Shared {character} vision."
    else:
        body["evidence"] = [f"Vision {character} statement"]
    response = put_json(client, token, body)
    assert response.status_code == 422
    label = "Commentary" if where == "commentary" else "Each evidence reference"
    assert f"{label} {REFUSED}" in response.get_json()["error"]
    assert stored(app)["answers"] == {}


def test_the_api_keeps_tabs_and_line_breaks_and_stores_composed_characters(app: Any, senco: tuple[Any, str]) -> None:
    client, token = senco
    body = {"rating": 3, "commentary": "Cafe\u0301 club:\tTuesdays\r\nand Thursdays", "evidence": ["Cafe\u0301 rota"]}
    response = put_json(client, token, {**body, "base_revision": 0})
    assert response.status_code == 200
    answer = stored(app)["answers"][CRITERION]
    assert answer["commentary"] == "Caf\u00e9 club:\tTuesdays\nand Thursdays"
    assert answer["evidence"] == ["Caf\u00e9 rota"]


@pytest.mark.parametrize("depth", [200, 1_000, 5_000])
def test_a_deeply_nested_body_is_a_plain_400_not_a_server_error(app: Any, senco: tuple[Any, str], depth: int) -> None:
    client, token = senco
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production: a failure would be a 500 page
    nested = '{"rating": 3, "commentary": "x", "base_revision": 0, "evidence": ' + "[" * depth + "]" * depth + "}"
    for path, method in [
        (f"/api/schools/{OAKFIELD}/self-evaluation/answers/{CRITERION}", client.put),
        (f"/api/schools/{OAKFIELD}/self-evaluation/answers/{CRITERION}/confirm", client.post),
    ]:
        response = method(path, data=nested, headers={"X-CSRFToken": token, "Content-Type": "application/json"})
        assert response.status_code in (400, 422), response.status_code
        assert response.is_json and response.get_json()["error"]
    assert stored(app)["answers"] == {}


# The forms ----------------------------------------------------------------------------------------------------


def heading_form(client: Any, heading_id: str = "leadership") -> dict[str, str]:
    page = client.get(f"/school/{OAKFIELD}/self-evaluation/{heading_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    revisions = re.findall(r'name="([A-Z]+-[A-Z]+-\d+)-revision" value="(\d+)"', page)
    return {"csrf_token": token} | {f"{criterion_id}-revision": revision for criterion_id, revision in revisions}


@pytest.mark.parametrize("character", FORM_HOSTILE.values(), ids=FORM_HOSTILE.keys())
@pytest.mark.parametrize("field", ["commentary", "evidence"])
def test_the_self_evaluation_form_refuses_the_same_text_next_to_the_field(
    app: Any, senco: tuple[Any, str], character: str, field: str
) -> None:
    client, _ = senco
    form = heading_form(client) | {
        f"{CRITERION}-rating": "3",
        f"{CRITERION}-commentary": "Shared vision.",
        f"{CRITERION}-evidence": "Vision statement",
    }
    form[f"{CRITERION}-{field}"] = f"Shared {character} vision"
    response = client.post(f"/school/{OAKFIELD}/self-evaluation/leadership", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    label = "Commentary" if field == "commentary" else "Each evidence reference"
    assert f"{label} {REFUSED}" in page
    assert 'class="govuk-error-summary' in page or "There is a problem" in page
    assert stored(app)["answers"] == {}


def test_the_form_keeps_tabs_and_line_breaks(app: Any, senco: tuple[Any, str]) -> None:
    client, _ = senco
    form = heading_form(client) | {
        f"{CRITERION}-rating": "3",
        f"{CRITERION}-commentary": "Cafe\u0301 club:\tTuesdays\r\nand Thursdays",
        f"{CRITERION}-evidence": "Rota\r\n\r\n  Cafe\u0301 minutes  ",
    }
    assert client.post(f"/school/{OAKFIELD}/self-evaluation/leadership", data=form).status_code == 302
    answer = stored(app)["answers"][CRITERION]
    assert answer["commentary"] == "Caf\u00e9 club:\tTuesdays\nand Thursdays"
    assert answer["evidence"] == ["Rota", "Caf\u00e9 minutes"]


@pytest.mark.parametrize("character", FORM_HOSTILE.values(), ids=FORM_HOSTILE.keys())
def test_the_action_plan_evidence_notes_and_registration_refuse_the_same_text(
    app: Any, client: Any, sign_in: Any, character: str
) -> None:
    sign_in(SENCO)
    plan = f"/school/{OAKFIELD}/actions"
    action = {
        "criterion": "PRI-LEAD-02",
        "what": "Protect the SENCo's time",
        "lead": "Headteacher",
        "by_when_day": "27",
        "by_when_month": "3",
        "by_when_year": "2027",
        "success_criteria": f"Time log {character} kept",
        "status": "not_started",
        "csrf_token": sign_in.csrf(plan + "/new"),
    }
    response = client.post(plan + "/new", data=action)
    assert response.status_code == 400
    assert f"How you will know it has worked {REFUSED}" in response.get_data(as_text=True)
    with app.app_context():
        assert actions.load(get_store(), OAKFIELD, CYCLE) is None

    notes = {
        "notes": f"Attendance {character} figures",
        "action": "save",
        "csrf_token": sign_in.csrf(f"/school/{OAKFIELD}/evidence"),
    }
    response = client.post(f"/school/{OAKFIELD}/evidence/attendance/notes", data=notes)
    assert response.status_code == 400
    assert f"Notes {REFUSED}" in response.get_data(as_text=True)
    with app.app_context():
        assert evidence.item_record(evidence.load(get_store(), OAKFIELD, CYCLE), "attendance")["notes"] == ""

    details = {"urn": "900002", "name": f"Sam {character} Jones", "job_title": "SENCo"}
    response = app.test_client().post(
        "/register/check", data=details | {"email": "sam.jones@riverside-primary.example.org"}
    )
    assert f"Full name {REFUSED}" in response.get_data(as_text=True)
    assert "Check your details" not in response.get_data(as_text=True)


# The LA's school list and uploaded file names ------------------------------------------------------------------


@pytest.mark.parametrize("character", FORM_HOSTILE.values(), ids=FORM_HOSTILE.keys())
@pytest.mark.parametrize("column", ["EstablishmentName", "LA (name)", "TypeOfEstablishment (name)", "SchoolWebsite"])
def test_a_school_list_row_with_such_text_is_refused_with_its_line(character: str, column: str) -> None:
    row = gias_row("910001", "Ash Primary", **{column: f"Ash {character} Primary"})
    preview = schools.read_gias_csv(gias_csv([row]), FRAMEWORKS)
    assert preview.schools == []
    [(line, urn, message)] = preview.row_errors
    assert (line, urn) == (2, "910001")
    assert REFUSED in message


def test_a_school_list_keeps_accented_names_composed() -> None:
    preview = schools.read_gias_csv(gias_csv([gias_row("910001", "Saint Be\u0301de's  Primary")]), FRAMEWORKS)
    assert [school["name"] for school in preview.schools] == ["Saint B\u00e9de's Primary"]


@pytest.mark.parametrize("character", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_uploaded_file_name_with_such_text_is_refused(character: str) -> None:
    with pytest.raises(evidence.UploadRefused):
        evidence.display_name(f"Attendance {character}.pdf")


def test_an_upload_named_so_is_refused_plainly(app: Any, client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    form = {
        "file": (io.BytesIO(pdf()), "Attendance \uffff.pdf"),
        "csrf_token": sign_in.csrf(f"/school/{OAKFIELD}/evidence"),
    }
    response = client.post(
        f"/school/{OAKFIELD}/evidence/attendance/files", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "characters we cannot accept" in response.get_data(as_text=True)
    with app.app_context():
        assert evidence.item_record(evidence.load(get_store(), OAKFIELD, CYCLE), "attendance")["files"] == []


def test_the_rule_is_one_rule_and_the_json_schema_says_it() -> None:
    pattern = re.compile(text.JSON_SCHEMA_PATTERN)
    for character in FORM_HOSTILE.values():
        assert text.problem(f"a{character}b", "Notes") and not pattern.match(f"a{character}b")
    for fine in ["Caf\u00e9\tclub\r\nline two", "\U0001f44d\u200d", "\u05e9\u05dc\u05d5\u05dd"]:
        assert text.problem(fine, "Notes") is None and pattern.match(fine)
    assert text.printable("a\ud800b\x07c\n\td") == "a\ufffdb\ufffdc\n\td"


# Whatever is stored, every page still works --------------------------------------------------------------------

STORED = "Shared \ud800 vision \x07 with \x1b[31m colour \x0b \x7f \x85 \uffff end"
SHOWN = "Shared \ufffd vision \ufffd with \ufffd[31m colour \ufffd \ufffd \ufffd \ufffd end"


def _store_hostile_answers(app: Any, urn: str = OAKFIELD) -> None:
    """Hostile text in every answer, school name, action and note, written by the domain layer (as an older
    version of the service, or a restored backup, might have left it), with no check on the way."""
    with app.app_context():
        store, content = get_store(), get_content()
        document = self_evaluation.load(store, urn, CYCLE)
        framework = self_evaluation.framework_of(content, document)
        document["answers"] = {
            criterion.id: {
                "rating": 3,
                "commentary": STORED,
                "evidence": [STORED, "Plain"],
                "revision": 1,
                "updated_at": "2026-11-20T10:00:00+00:00",
            }
            for criterion in framework.criteria
        }
        document["history"] = {}
        self_evaluation.store_whole(store, content, document)
        store.modify(accounts.SCHOOLS, urn, lambda school: ({**school, "name": "Oakfield " + STORED}, None))
        cycle = content.key_dates.cycle(CYCLE)
        draft = actions.ActionDraft(
            "PRI-LEAD-01", "Act " + STORED, "Lead " + STORED, cycle.submission_deadline.date(), STORED, "not_started"
        )
        assert actions.add(store, urn, cycle, framework, draft, "someone", locked=False).status == "saved"

        def note(document: dict | None) -> tuple[dict, None]:
            document = document or {"urn": urn, "cycle": CYCLE, "items": {}, "created_at": "2026-11-20T10:00:00"}
            document["items"]["attendance"] = {"notes": STORED, "files": []}
            return document, None

        store.modify(evidence.COLLECTION, evidence.key(urn, CYCLE), note)


def _pages(app: Any, prefix: str, **values: str) -> list[str]:
    """Every page (GET) under `prefix` whose only variables are among `values`, filled in."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.rule.startswith(prefix) and set(rule.arguments) <= set(values):
            paths.append(rule.build({name: values[name] for name in rule.arguments})[1])
    return sorted(paths)


def _assert_no_page_fails(app: Any, client: Any, paths: list[str]) -> dict[str, Any]:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production: a failure is a 500 page
    failed, responses = {}, {}
    for path in paths:
        response = client.get(path)
        responses[path] = response
        if response.status_code >= 500:
            failed[path] = response.status_code
    assert failed == {}, f"pages that failed: {failed}"
    return responses


def test_stored_hostile_text_never_breaks_the_schools_pages_and_can_be_fixed(
    app: Any, client: Any, sign_in: Any
) -> None:
    started(app)
    _store_hostile_answers(app)
    sign_in(SENCO)
    values = {"urn": OAKFIELD, "heading_id": "leadership", "criterion_id": CRITERION, "stage_number": "1"}
    paths = _pages(app, "/school/", **values) + _pages(app, "/api/", **values)
    for expected in ["/self-evaluation/leadership", "/self-evaluation/check", "/report", "/export.csv", "/export.json"]:
        assert f"/school/{OAKFIELD}{expected}" in paths
    responses = _assert_no_page_fails(app, client, paths)

    form_page = responses[f"/school/{OAKFIELD}/self-evaluation/leadership"].get_data(as_text=True)
    assert SHOWN in form_page  # shown, with what cannot be shown marked, in the box where it can be fixed
    assert SHOWN in responses[f"/school/{OAKFIELD}/self-evaluation/check"].get_data(as_text=True)
    assert SHOWN in responses[f"/school/{OAKFIELD}/export.csv"].get_data(as_text=True)

    fixed = heading_form(client) | {f"{CRITERION}-rating": "3", f"{CRITERION}-commentary": "Shared vision."}
    response = client.post(f"/school/{OAKFIELD}/self-evaluation/leadership", data=fixed)
    assert response.status_code in (302, 400)  # the other criteria on the page still hold what they held
    assert stored(app)["answers"][CRITERION]["commentary"] == "Shared vision."


def test_stored_hostile_text_never_breaks_the_las_pages_or_exports(app: Any, outbox: Any) -> None:
    school = person(app, outbox, SENCO)
    fill_in_and_submit(school)
    _store_hostile_answers(app)
    with app.app_context():
        store = get_store()
        reference = self_evaluation.load(store, OAKFIELD, CYCLE)["submissions"][-1]
        answers = self_evaluation.load(store, OAKFIELD, CYCLE)["answers"]
        store.modify(
            self_evaluation.SUBMISSIONS, reference.lower(), lambda snapshot: ({**snapshot, "answers": answers}, None)
        )
    reviewer = person(app, outbox, REVIEWER)
    assert post(reviewer, f"/la/schools/{OAKFIELD}/review/start", token_from=f"/la/schools/{OAKFIELD}/review")
    values = {"urn": OAKFIELD, "criterion_id": CRITERION, "stage_number": "1"}
    responses = _assert_no_page_fails(app, reviewer, _pages(app, "/la/", **values))
    review = responses[f"/la/schools/{OAKFIELD}/review/{CRITERION}"].get_data(as_text=True)
    assert SHOWN in review

    admin = person(app, outbox, LA_ADMIN)
    responses = _assert_no_page_fails(app, admin, _pages(app, "/la/", **values))
    workbook = load_workbook(io.BytesIO(responses["/la/exports/schools.xlsx"].get_data()))
    names = [row[1] for row in workbook.active.iter_rows(values_only=True)]
    assert "Oakfield " + SHOWN in names
    assert "Oakfield " + SHOWN in responses["/la/exports/schools.csv"].get_data().decode("utf-8-sig")
    _assert_no_page_fails(app, school, _pages(app, "/school/", **values | {"heading_id": "leadership"}))
    _assert_no_page_fails(app, app.test_client(), ["/register", "/schools", "/register.json", "/register.csv"])
