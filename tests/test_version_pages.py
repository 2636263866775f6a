"""The web side of moving to a new framework version: the LA's pages, the school's flags, "This is still
right", the JSON confirm endpoint, the command, and every bad input on them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from form_service import self_evaluation
from form_service.core import audit
from form_service.store import get_store
from tests.test_service_accounts import LA_ADMIN, LA_REVIEWER, SENCO_A, Page, csrf_token, location_path, post
from tests.test_version_moves import ANSWERS, OAKFIELD, answered, cycle, load, move, with_v2

RIVERSIDE = "900002"  # a demo primary school that has not started


@pytest.fixture
def moved_world(app: Any) -> Any:
    """Oakfield answered on version 1, with version 2 of the primary framework published."""
    with_v2(app)
    answered(app)
    return app


def signed_in(app: Any, sign_in: Any, client: Any, email: str) -> Any:
    sign_in(email)
    return client


def test_the_frameworks_page_lists_versions_dates_and_counts_and_offers_the_move(moved_world, client, sign_in):
    signed_in(moved_world, sign_in, client, LA_ADMIN)

    page = Page(client.get("/la/frameworks"))

    assert page.status == 200 and page.h1 == "Framework versions"
    rows = page.table("In-progress self-evaluations on it")
    assert rows[0]["Version"] == "Version 1" and rows[0]["In-progress self-evaluations on it"] == "1"
    assert rows[1]["Takes effect"] == "1 September 2027 (not yet)"
    assert "Move 1 in-progress self-evaluation to version 2" in page.main_text
    assert "/la/frameworks/primary/move/2" in page.html


def test_the_la_moves_a_framework_after_confirming_and_sees_the_counts(moved_world, client, sign_in):
    signed_in(moved_world, sign_in, client, LA_ADMIN)
    confirm = Page(client.get("/la/frameworks/primary/move/2"))
    assert "1 in-progress self-evaluation is on an older version" in confirm.main_text

    response = post(client, "/la/frameworks/primary/move/2")

    assert location_path(response) == "/la/frameworks/primary/moved/2"
    result = Page(client.get("/la/frameworks/primary/moved/2"))
    assert "Moved 1 in-progress self-evaluation to version 2." in result.messages
    assert [row["In-progress self-evaluations"] for row in result.table("In-progress self-evaluations")] == ["0", "1"]
    assert load(moved_world)["framework_version"] == 2
    with moved_world.app_context():
        [entry] = [e for e in audit.recent(get_store()) if e["action"] == "moved the self-evaluation to version 2"]
    assert entry["target"] == f"school {OAKFIELD}"

    again = Page(post(client, "/la/frameworks/primary/move/2"))
    assert again.status == 400 and again.title.startswith("Error:")
    assert "nothing to move" in again.error_summary
    again.assert_error_links_lead_to_fields()


@pytest.mark.parametrize(
    "path",
    [
        "/la/frameworks/nursery/move/2",
        "/la/frameworks/primary/move/9",
        "/la/frameworks/primary/move/two",
        "/la/frameworks/primary/move/-1",
        "/la/frameworks/primary/move/99999999999",
        "/la/frameworks/primary/moved/7",
        "/la/frameworks/%3Cscript%3E/move/2",
    ],
)
def test_an_unknown_framework_or_version_is_not_found(moved_world, client, sign_in, path):
    signed_in(moved_world, sign_in, client, LA_ADMIN)
    before = load(moved_world)

    assert client.get(path).status_code == 404
    assert post(client, path).status_code in (404, 405)
    assert load(moved_world) == before


def test_moving_without_the_csrf_token_is_refused_and_changes_nothing(moved_world, client, sign_in):
    signed_in(moved_world, sign_in, client, LA_ADMIN)
    before = load(moved_world)

    responses = [
        client.post("/la/frameworks/primary/move/2", data={}),
        client.post(f"/la/schools/{OAKFIELD}/framework-version", data={"csrf_token": "forged"}),
    ]

    assert [response.status_code for response in responses] == [400, 400]
    assert load(moved_world) == before


def test_the_la_moves_one_school_from_its_page_and_is_told_why_not_when_it_cannot(moved_world, client, sign_in):
    signed_in(moved_world, sign_in, client, LA_ADMIN)
    home = Page(client.get(f"/school/{OAKFIELD}/"))
    assert f"/la/schools/{OAKFIELD}/framework-version" in home.html

    response = post(client, f"/la/schools/{OAKFIELD}/framework-version")

    assert location_path(response) == f"/school/{OAKFIELD}/"
    assert load(moved_world)["framework_version"] == 2
    already = Page(post(client, f"/la/schools/{OAKFIELD}/framework-version"))
    assert already.status == 400 and "already on the newest version (2)" in already.error_summary
    not_started = Page(post(client, f"/la/schools/{RIVERSIDE}/framework-version"))
    assert not_started.status == 400 and "has not started its self-evaluation" in not_started.error_summary
    assert client.get("/la/schools/999999/framework-version").status_code == 404


def test_a_submitted_self_evaluation_is_not_moved_and_the_page_says_why(moved_world, client, sign_in):
    with moved_world.app_context():
        get_store().modify(
            self_evaluation.COLLECTION,
            f"{OAKFIELD}-{cycle(moved_world).id}",
            lambda d: (d | {"status": "submitted"}, None),
        )
    signed_in(moved_world, sign_in, client, LA_ADMIN)

    page = Page(client.get(f"/la/schools/{OAKFIELD}/framework-version"))
    refused = Page(post(client, f"/la/schools/{OAKFIELD}/framework-version"))

    assert "because it has been submitted: only self-evaluations in progress move" in page.main_text
    assert refused.status == 400
    assert load(moved_world)["framework_version"] == 1
    assert "Every in-progress self-evaluation is on the newest version." in Page(client.get("/la/frameworks")).main_text


def test_a_reviewer_sees_the_frameworks_page_but_cannot_move(moved_world, client, sign_in):
    signed_in(moved_world, sign_in, client, LA_REVIEWER)

    page = Page(client.get("/la/frameworks"))

    assert page.status == 200 and "An LA admin can move it" in page.main_text
    assert client.get("/la/frameworks/primary/move/2").status_code == 403
    assert post(client, "/la/frameworks/primary/move/2").status_code == 403
    assert load(moved_world)["framework_version"] == 1


# The school's side --------------------------------------------------------------------------------------------


def test_the_senco_sees_flags_earlier_answers_and_confirms_one(moved_world, client, sign_in):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)

    overview = Page(client.get(f"/school/{OAKFIELD}/self-evaluation/"))
    leadership = Page(client.get(f"/school/{OAKFIELD}/self-evaluation/leadership"))
    teaching = Page(client.get(f"/school/{OAKFIELD}/self-evaluation/teaching"))

    assert "6 criteria need checking" in overview.main_text
    assert "PRI-TRANS-08: New criterion" in overview.list_items
    assert (
        "Answers to criteria no longer in the framework" in overview.main_text
        and "Retired answer" in overview.main_text
    )
    assert "Updated since you last reviewed — check your answer" in leadership.main_text
    assert "What it said before" in leadership.main_text
    assert "Retired answer" in leadership.main_text  # on the heading it came from
    assert "Your earlier answer to PRI-TEACH-01" in teaching.main_text and "First merged" in teaching.main_text

    revision = load(moved_world)["answers"]["PRI-TEACH-08"]["revision"]
    response = client.post(
        f"/school/{OAKFIELD}/self-evaluation/confirm/PRI-TEACH-08",
        data={"csrf_token": csrf_token(client), "revision": str(revision)},
    )

    assert location_path(response) == f"/school/{OAKFIELD}/self-evaluation/teaching"
    assert "PRI-TEACH-08" not in load(moved_world)["flags"]
    assert (
        "You confirmed your answer to PRI-TEACH-08 is still right."
        in Page(client.get(response.headers["Location"])).messages
    )
    assert "5 criteria need checking" in Page(client.get(f"/school/{OAKFIELD}/self-evaluation/")).main_text


@pytest.mark.parametrize(
    ("criterion", "revision", "status", "message"),
    [
        ("PRI-LEAD-01", "2", 302, "already been confirmed or changed"),  # not flagged
        ("PRI-TEACH-08", "0", 302, "Someone changed this answer"),  # stale revision
        ("PRI-TEACH-08", "abc", 302, "Someone changed this answer"),
        ("PRI-TEACH-08", "", 302, "Someone changed this answer"),
        ("NO-SUCH-ONE", "1", 404, None),
        ("PRI-LEAD-07", "1", 404, None),  # retired: not in version 2
        ("x" * 500, "1", 404, None),
    ],
)
def test_confirming_with_bad_input_changes_nothing(moved_world, client, sign_in, criterion, revision, status, message):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)
    before = load(moved_world)

    response = client.post(
        f"/school/{OAKFIELD}/self-evaluation/confirm/{criterion}",
        data={"csrf_token": csrf_token(client), "revision": revision},
    )

    assert response.status_code == status
    if message:
        assert any(message in text for text in Page(client.get(response.headers["Location"])).messages)
    assert load(moved_world)["flags"] == before["flags"]


def test_confirming_without_the_csrf_token_is_refused(moved_world, client, sign_in):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)
    before = load(moved_world)

    no_token = client.post(f"/school/{OAKFIELD}/self-evaluation/confirm/PRI-TEACH-08", data={"revision": "1"})

    assert no_token.status_code == 400
    assert load(moved_world) == before


def test_submission_is_refused_while_flags_remain_with_the_reason(moved_world, client, sign_in):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)

    check = Page(client.get(f"/school/{OAKFIELD}/self-evaluation/check"))
    response = post(client, f"/school/{OAKFIELD}/self-evaluation/submit")

    assert "You can submit when you have confirmed or changed every flagged answer." in check.main_text
    assert f"/school/{OAKFIELD}/self-evaluation/submit" not in check.form_actions()
    assert location_path(response) == f"/school/{OAKFIELD}/self-evaluation/check"
    messages = Page(client.get(f"/school/{OAKFIELD}/self-evaluation/check")).messages
    assert any("6 criteria need checking: confirm or change each flagged answer" in m for m in messages)
    assert load(moved_world)["status"] == "in_progress"


def test_a_flagged_criterion_does_not_count_as_reviewed_until_cleared(moved_world, client, sign_in):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)

    def reviewed() -> str:
        text = Page(client.get(f"/school/{OAKFIELD}/self-evaluation/leadership")).main_text
        return re.search(r"(\d+) of \d+ criteria reviewed", text).group(1)

    assert reviewed() == "1"  # PRI-LEAD-01 only: PRI-LEAD-02 is flagged
    revision = load(moved_world)["answers"]["PRI-LEAD-02"]["revision"]
    client.post(
        f"/school/{OAKFIELD}/self-evaluation/confirm/PRI-LEAD-02",
        data={"csrf_token": csrf_token(client), "revision": str(revision)},
    )
    assert reviewed() == "2"


def test_the_api_confirms_a_flag_and_refuses_bad_requests(moved_world, client, sign_in):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)
    token = csrf_token(client)
    url = f"/api/schools/{OAKFIELD}/self-evaluation/answers/PRI-VOICE-08/confirm"
    revision = load(moved_world)["answers"]["PRI-VOICE-08"]["revision"]

    def send(body: Any, headers: dict | None = None, path: str = url) -> Any:
        return client.post(path, json=body, headers={"X-CSRFToken": token} if headers is None else headers)

    assert send({"base_revision": revision}, headers={}).status_code == 400  # no CSRF token
    assert send(["not", "an", "object"]).status_code == 400
    assert send({"base_revision": "1"}).status_code == 400
    assert send({"base_revision": True}).status_code == 400
    assert send({"base_revision": revision, "rating": 4}).status_code == 400
    assert send({"base_revision": revision + 5}).status_code == 409
    assert send({"base_revision": 1}, path=url.replace("PRI-VOICE-08", "NOPE")).status_code == 404
    assert client.post(url, data="x" * 70_000, headers={"X-CSRFToken": token}).status_code in (400, 413)
    assert "PRI-VOICE-08" in load(moved_world)["flags"]

    ok = send({"base_revision": revision})

    assert ok.status_code == 200 and ok.get_json() == {"status": "confirmed"}
    assert send({"base_revision": revision}).status_code == 409  # already confirmed
    assert "PRI-VOICE-08" not in client.get(f"/api/schools/{OAKFIELD}/self-evaluation").get_json()["flags"]


def test_the_overview_says_answers_come_from_the_last_submission(app, client, sign_in):
    from tests.test_version_moves import award

    with_v2(app, effective_from=date(2026, 11, 1))
    award(app, OAKFIELD, ANSWERS)
    signed_in(app, sign_in, client, SENCO_A)

    post(client, f"/school/{OAKFIELD}/self-evaluation/start")
    page = Page(client.get(f"/school/{OAKFIELD}/self-evaluation/"))

    assert "These answers come from your last submission (QM-900001-202526-ABCDEF, 2025-26)" in page.main_text
    assert "Still true? Confirm or change your answer" in page.main_text
    assert load(app)["framework_version"] == 2


# The command -----------------------------------------------------------------------------------------------------


def test_the_command_moves_in_progress_self_evaluations_with_a_dry_run_first(moved_world):
    runner = moved_world.test_cli_runner()

    dry = runner.invoke(args=["move-to-version", "--framework", "primary", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"Would move {OAKFIELD} from version 1 to version 2." in dry.output
    assert load(moved_world)["framework_version"] == 1

    done = runner.invoke(args=["move-to-version", "--framework", "primary", "--urn", OAKFIELD])
    assert done.exit_code == 0, done.output
    assert f"{OAKFIELD}: Moved to version 2." in done.output
    assert load(moved_world)["framework_version"] == 2

    again = runner.invoke(args=["move-to-version", "--framework", "primary", "--urn", OAKFIELD])
    assert again.exit_code != 0 and "no in-progress primary self-evaluation" in again.output
    unknown = runner.invoke(args=["move-to-version", "--framework", "nursery"])
    assert unknown.exit_code != 0 and "There is no framework 'nursery'" in unknown.output
    bad_version = runner.invoke(args=["move-to-version", "--framework", "primary", "--version", "7"])
    assert bad_version.exit_code != 0 and "primary has no version 7" in bad_version.output


def heading_form(app: Any, heading_id: str, client: Any) -> dict[str, str]:
    """What the heading page's form posts when nothing on it is changed."""
    document = load(app)
    with app.app_context():
        from form_service.core.content import get_content

        framework = get_content().framework("primary", document["framework_version"])
    data = {"csrf_token": csrf_token(client)}
    for criterion in framework.heading(heading_id).criteria:
        answer = document["answers"].get(criterion.id) or {}
        data[f"{criterion.id}-rating"] = str(answer.get("rating") or "")
        data[f"{criterion.id}-commentary"] = answer.get("commentary") or ""
        data[f"{criterion.id}-evidence"] = "\n".join(answer.get("evidence") or [])
        data[f"{criterion.id}-revision"] = str(answer.get("revision") or 0)
    return data


def other_criterion(form: dict[str, str]) -> str:
    """A criterion of the posted heading other than PRI-TEACH-08, the flagged one confirmed."""
    return next(name.removesuffix("-revision") for name in form if name.endswith("-revision") and "08" not in name)


def test_this_is_still_right_without_javascript_also_saves_what_was_typed_elsewhere_on_the_page(
    moved_world, client, sign_in
):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)
    data = heading_form(moved_world, "teaching", client)
    other = other_criterion(data)
    data[f"{other}-commentary"] = "Typed just now, without JavaScript, before pressing the button."
    data["revision"] = data["PRI-TEACH-08-revision"]  # the button's own value

    response = client.post(f"/school/{OAKFIELD}/self-evaluation/confirm/PRI-TEACH-08", data=data)

    assert location_path(response) == f"/school/{OAKFIELD}/self-evaluation/teaching"
    document = load(moved_world)
    assert document["answers"][other]["commentary"] == data[f"{other}-commentary"]
    assert "PRI-TEACH-08" not in document["flags"]


def test_this_is_still_right_with_a_mistake_elsewhere_on_the_page_shows_it_and_keeps_every_word(
    moved_world, client, sign_in
):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)
    data = heading_form(moved_world, "teaching", client)
    other = other_criterion(data)
    data[f"{other}-commentary"] = "Too long. " * 400  # past the commentary limit
    data["revision"] = data["PRI-TEACH-08-revision"]
    before = load(moved_world)

    response = client.post(f"/school/{OAKFIELD}/self-evaluation/confirm/PRI-TEACH-08", data=data)

    assert response.status_code == 400
    page = Page(response)
    assert "There is a problem" in page.main_text
    assert "Too long. Too long." in response.get_data(as_text=True)  # what was typed is on the page again
    after = load(moved_world)
    assert after["answers"].get(other) == before["answers"].get(other)
    assert "PRI-TEACH-08" in after["flags"]  # nothing confirmed while the page has a mistake


def flagged_in(app: Any, heading_id: str) -> set[str]:
    document = load(app)
    with app.app_context():
        from form_service.core.content import get_content

        framework = get_content().framework("primary", document["framework_version"])
    return {c.id for c in framework.heading(heading_id).criteria if c.id in document["flags"]}


def test_every_flagged_answer_on_a_page_is_confirmed_together_and_nothing_else(moved_world, client, sign_in):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)
    heading_id = next(
        h
        for h in ("leadership", "identification", "teaching", "voice", "wellbeing", "transitions")
        if len(flagged_in(moved_world, h)) > 1
    )
    page = Page(client.get(f"/school/{OAKFIELD}/self-evaluation/{heading_id}"))
    assert "Every flagged answer on this page is still right" in page.main_text
    elsewhere = set(load(moved_world)["flags"]) - flagged_in(moved_world, heading_id)
    before = load(moved_world)["answers"]

    response = client.post(
        f"/school/{OAKFIELD}/self-evaluation/confirm-heading/{heading_id}",
        data=heading_form(moved_world, heading_id, client),
    )

    assert location_path(response) == f"/school/{OAKFIELD}/self-evaluation/{heading_id}"
    after = load(moved_world)
    assert flagged_in(moved_world, heading_id) == set() and set(after["flags"]) == elsewhere
    assert {cid: a["commentary"] for cid, a in after["answers"].items()} == {
        cid: a["commentary"] for cid, a in before.items()
    }  # confirming changes no answer
    assert "still right." in " ".join(Page(client.get(response.headers["Location"])).messages)


def test_confirming_a_page_together_skips_an_answer_someone_changed_meanwhile(moved_world, client, sign_in):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)
    heading_id = next(
        h
        for h in ("leadership", "identification", "teaching", "voice", "wellbeing", "transitions")
        if len(flagged_in(moved_world, h)) > 1
    )
    form = heading_form(moved_world, heading_id, client)
    changed = sorted(flagged_in(moved_world, heading_id))[0]
    form[f"{changed}-revision"] = str(int(form[f"{changed}-revision"]) - 1)  # the page showed an older revision

    response = client.post(f"/school/{OAKFIELD}/self-evaluation/confirm-heading/{heading_id}", data=form)

    assert location_path(response) == f"/school/{OAKFIELD}/self-evaluation/{heading_id}"
    assert flagged_in(moved_world, heading_id) == {changed}  # the others are confirmed; that one is not
    messages = " ".join(Page(client.get(response.headers["Location"])).messages)
    assert f"{changed}: Someone changed this answer after you opened the page" in messages


def test_confirming_a_page_needs_the_csrf_token_and_a_real_heading(moved_world, client, sign_in):
    move(moved_world)
    signed_in(moved_world, sign_in, client, SENCO_A)
    before = load(moved_world)["flags"]
    assert client.post(f"/school/{OAKFIELD}/self-evaluation/confirm-heading/leadership").status_code == 400
    token = {"csrf_token": csrf_token(client)}
    assert client.post(f"/school/{OAKFIELD}/self-evaluation/confirm-heading/nowhere", data=token).status_code == 404
    assert load(moved_world)["flags"] == before
