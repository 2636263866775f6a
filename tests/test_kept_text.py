"""No typed text is ever lost: a form posted after the session ended, or with a CSRF token that no longer
matches, keeps what was typed, and the page gives it back (after signing in again), unsaved, with a notice.

Everything goes through the real app with its test client, as a person without JavaScript would: the clock
is the app's own, moved on past the idle limit; "sign out everywhere" is pressed on another device; the
stored answers are read from the real store to show nothing was saved behind the person's back.
"""

from __future__ import annotations

import html
import io
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from form_service import accounts, actions, evidence, moderation, self_evaluation
from form_service.core.security import LONGEST_FIELD
from form_service.store import get_store
from quality_mark.model import LONDON
from tests.conftest import Outbox
from tests.test_moderation import FEEDBACK, REVIEW, REVIEWER, fill_in_and_submit, moderate, person

OAKFIELD, HILLCREST = "900001", "900004"
SENCO = "senco@oakfield-primary.example.org"  # admin (school lead) of Oakfield
HILLCREST_LEAD = "inclusion@hillcrest-academy.example.org"  # admin of Hillcrest
HILLCREST_MATHS = "maths@hillcrest-academy.example.org"  # contributor at Hillcrest
CYCLE = "2026-27"
BASE = f"/school/{OAKFIELD}/self-evaluation"
LEADERSHIP = f"{BASE}/leadership"
ORIGIN = {"Origin": "http://localhost"}  # what a browser says when it posts a form of this service

# Kept text is stored in this collection for a week; a post carrying more than this many characters is not kept.
KEPT_IN = "kept_text"
KEPT_FOR = timedelta(days=7)
MOST_KEPT = 200_000
KEPT = "We kept what you typed"
KEPT_AT_SIGN_IN = "We kept what you typed. Sign in again and it will be back on the page for you to check and save."
NOT_SAVED_YET = "It is back in the form below, but it is not saved yet: check it and save."
CSRF_REFUSED = "Your session has expired or the form was sent from elsewhere"
COMMENTARY = "Leaders check the provision map each half term and act on what it shows.\nGovernors see the results."


# What a person does and sees ---------------------------------------------------------------------------------


def text(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def words(response: TestResponse) -> str:
    """The page's text as a person reads it: no tags, spaces as one."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split()).replace(" .", ".")


def csrf_on(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no form on {path}"
    return match.group(1)


def sign_in_again(client: FlaskClient, outbox: Outbox, address: str) -> TestResponse:
    """Sign in as a person does (ask for a link, open it, press Continue); the answer to Continue."""
    client.post("/sign-in", data={"email": address, "csrf_token": csrf_on(client, "/sign-in")})
    token = parse_qs(urlsplit(outbox.link_to(address)).query)["token"][0]
    page = "/sign-in/continue?token=" + token
    response = client.post("/sign-in/continue", data={"token": token, "csrf_token": csrf_on(client, page)})
    assert response.status_code == 302, text(response)
    return response


def start(client: FlaskClient) -> None:
    response = client.post(BASE + "/start", data={"csrf_token": csrf_on(client, BASE + "/")})
    assert response.status_code == 302 and response.headers["Location"] == LEADERSHIP


def heading_form(client: FlaskClient, path: str = LEADERSHIP) -> dict[str, str]:
    """The heading page's form as it stands (CSRF token, revisions, what the fields hold)."""
    return form_on(client.get(path))


def form_on(response: TestResponse) -> dict[str, str]:
    """What pressing a button on this heading page would post: the fields as the page shows them."""
    page = response.get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)}
    for criterion_id, revision in re.findall(r'name="([A-Z]+-[A-Z]+-\d+)-revision" value="(\d+)"', page):
        data[f"{criterion_id}-revision"] = revision
        commentary = re.search(rf'name="{criterion_id}-commentary"[^>]*>([^<]*)</textarea>', page, re.S)
        data[f"{criterion_id}-commentary"] = html.unescape(commentary.group(1)) if commentary else ""
        rating = re.search(rf'name="{criterion_id}-rating" type="radio" value="(\d)" checked', page)
        if rating:
            data[f"{criterion_id}-rating"] = rating.group(1)
    return data


def typed(form: dict[str, str], criterion_id: str = "PRI-LEAD-01", commentary: str = COMMENTARY) -> dict[str, str]:
    return {**form, f"{criterion_id}-rating": "3", f"{criterion_id}-commentary": commentary, "then": "continue"}


def shown_commentary(response: TestResponse, criterion_id: str = "PRI-LEAD-01") -> str:
    page = response.get_data(as_text=True)
    found = re.search(rf'name="{criterion_id}-commentary"[^>]*>([^<]*)</textarea>', page, re.S)
    assert found, f"no commentary box for {criterion_id}"
    return html.unescape(found.group(1)).removeprefix("\n").replace("\r\n", "\n")


def answers(app: Flask) -> dict[str, Any]:
    with app.app_context():
        document = self_evaluation.load(get_store(), OAKFIELD, CYCLE)
        return document["answers"] if document else {}


def kept_records(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return [record for _, record in get_store().scan(KEPT_IN)]


def idle_past_the_limit(app: Flask) -> None:
    app.extensions["clock"].advance(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=30))


def signed_in(client: FlaskClient) -> bool:
    return client.get(f"/school/{OAKFIELD}/").status_code == 200


@pytest.fixture
def senco(client: FlaskClient, sign_in: Any) -> FlaskClient:
    """The SENCo, signed in, with the self-evaluation started and its first heading page open."""
    sign_in(SENCO)
    start(client)
    return client


# 1. Signed out for being idle -----------------------------------------------------------------------------------


def test_text_typed_when_the_session_timed_out_comes_back_after_signing_in_again(
    app: Flask, senco: FlaskClient, outbox: Outbox
) -> None:
    form = heading_form(senco)
    idle_past_the_limit(app)  # typing for half an hour, without JavaScript: nothing reaches the service

    refused = senco.post(LEADERSHIP, data=typed(form))

    assert refused.status_code == 303
    assert refused.headers["Location"] == "/sign-in?next=" + LEADERSHIP
    sign_in_page = text(senco.get(refused.headers["Location"]))
    assert "You were signed out because you had not done anything for a while" in sign_in_page
    assert KEPT_AT_SIGN_IN in sign_in_page
    assert answers(app) == {}, "nothing is saved until the person has checked it"

    back = sign_in_again(senco, outbox, SENCO)
    assert back.headers["Location"] == LEADERSHIP
    page = senco.get(LEADERSHIP)
    assert KEPT in text(page) and NOT_SAVED_YET in text(page)
    assert "It was not saved because you had been signed out." in text(page)
    assert shown_commentary(page) == COMMENTARY
    assert 'name="PRI-LEAD-01-rating" type="radio" value="3" checked' in page.get_data(as_text=True)
    assert answers(app) == {}

    saved = senco.post(LEADERSHIP, data={**heading_form(senco), "then": "continue"})

    assert saved.status_code == 302
    assert answers(app)["PRI-LEAD-01"]["commentary"] == COMMENTARY
    again = senco.get(LEADERSHIP)
    assert KEPT not in text(again), "once saved, the kept text is forgotten"
    assert kept_records(app) == []


def test_a_session_in_use_is_renewed_by_each_page_so_only_idleness_signs_out(app: Flask, senco: FlaskClient) -> None:
    for _ in range(4):  # two hours of work, a page every 20 minutes
        app.extensions["clock"].advance(timedelta(minutes=20))
        assert senco.get(LEADERSHIP).status_code == 200
    assert signed_in(senco)
    idle_past_the_limit(app)
    assert not signed_in(senco)


# 2. The form's CSRF token no longer matches ---------------------------------------------------------------------


@pytest.mark.parametrize("token", ["missing", "bad", "from before signing out and in again"])
def test_text_sent_with_a_csrf_token_that_does_not_match_comes_back_on_the_page(
    app: Flask, senco: FlaskClient, outbox: Outbox, token: str
) -> None:
    form = typed(heading_form(senco))
    if token == "missing":
        del form["csrf_token"]
    elif token == "bad":
        form["csrf_token"] = form["csrf_token"][:-4] + "AAAA"
    else:  # in another tab: sign out, then in again (a new session has a new CSRF token)
        senco.post("/sign-out", data={"csrf_token": csrf_on(senco, "/")})
        sign_in_again(senco, outbox, SENCO)

    refused = senco.post(LEADERSHIP, data=form, headers=ORIGIN)

    assert refused.status_code == 303 and refused.headers["Location"] == LEADERSHIP
    assert answers(app) == {}
    page = senco.get(LEADERSHIP)
    assert "It was not saved because the page had expired." in text(page)
    assert shown_commentary(page) == COMMENTARY
    assert senco.post(LEADERSHIP, data={**heading_form(senco), "then": "later"}).status_code == 302
    assert answers(app)["PRI-LEAD-01"]["commentary"] == COMMENTARY


def test_text_kept_under_the_forms_earlier_view_names_comes_back_all_the_same(app: Flask, senco: FlaskClient) -> None:
    """Kept text names the view it was posted to. The form's views were `answers.*` before they moved into the
    self-evaluation's package: what was kept under those names comes back, for as long as it is kept."""
    form = typed(heading_form(senco))
    del form["csrf_token"]
    assert senco.post(LEADERSHIP, data=form, headers=ORIGIN).status_code == 303
    with app.app_context():
        store = get_store()
        for key, record in store.scan(KEPT_IN):
            assert record["endpoint"] == "self_evaluation.heading"
            store.write(KEPT_IN, key, {**record, "endpoint": "answers.heading"})

    page = senco.get(LEADERSHIP)

    assert "It was not saved because the page had expired." in text(page)
    assert shown_commentary(page) == COMMENTARY
    assert answers(app) == {}


def test_a_form_posted_from_another_site_is_refused_and_nothing_it_sent_is_kept(app: Flask, senco: FlaskClient) -> None:
    form = typed(heading_form(senco))
    del form["csrf_token"]

    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {}):
        refused = senco.post(LEADERSHIP, data=form, headers=headers)
        assert refused.status_code == 400
        assert CSRF_REFUSED in text(refused)

    assert kept_records(app) == []
    assert KEPT not in text(senco.get(LEADERSHIP))
    assert shown_commentary(senco.get(LEADERSHIP)) == ""


# 3. Signed out everywhere, from another device -----------------------------------------------------------------


def test_text_typed_on_a_device_signed_out_from_another_comes_back_after_signing_in_again(
    app: Flask, senco: FlaskClient, outbox: Outbox
) -> None:
    laptop = senco
    form = typed(heading_form(laptop))
    phone = person(app, outbox, SENCO)
    assert phone.post("/sign-out/everywhere", data={"csrf_token": csrf_on(phone, "/")}).status_code == 302

    refused = laptop.post(LEADERSHIP, data=form)

    assert refused.status_code == 303 and refused.headers["Location"].startswith("/sign-in?next=")
    assert KEPT_AT_SIGN_IN in text(laptop.get(refused.headers["Location"]))
    assert answers(app) == {}
    sign_in_again(laptop, outbox, SENCO)
    page = laptop.get(LEADERSHIP)
    assert KEPT in text(page)
    assert shown_commentary(page) == COMMENTARY


# 4. Never saved over a newer answer ------------------------------------------------------------------------------


def test_kept_text_is_never_saved_over_an_answer_changed_since(app: Flask, senco: FlaskClient, outbox: Outbox) -> None:
    form = heading_form(senco)
    idle_past_the_limit(app)
    assert senco.post(LEADERSHIP, data=typed(form)).status_code == 303
    colleague = person(app, outbox, SENCO)  # the same school lead, on another computer, saves first
    newer = "Our newer answer, saved from the other computer."
    assert colleague.post(LEADERSHIP, data=typed(heading_form(colleague), commentary=newer)).status_code == 302

    sign_in_again(senco, outbox, SENCO)
    page = senco.get(LEADERSHIP)
    assert shown_commentary(page) == COMMENTARY
    assert 'name="PRI-LEAD-01-revision" value="0"' in page.get_data(as_text=True), "based on what they first saw"

    conflict = senco.post(LEADERSHIP, data={**heading_form(senco), "then": "continue"})

    assert conflict.status_code == 400
    assert "Someone else saved this answer while you were editing." in text(conflict)
    assert newer in text(conflict) and shown_commentary(conflict) == COMMENTARY
    assert answers(app)["PRI-LEAD-01"]["commentary"] == newer
    # Having seen both versions, the person keeps theirs: the page now carries the newer revision.
    final = senco.post(LEADERSHIP, data={**form_on(conflict), "then": "continue"})
    assert final.status_code == 302
    assert answers(app)["PRI-LEAD-01"]["commentary"] == COMMENTARY


# 5. Only for the person who typed it; discarded on request; not kept for ever -------------------------------


def test_kept_text_comes_back_only_to_the_person_who_typed_it(app: Flask, client: FlaskClient, outbox: Outbox) -> None:
    sign_in_again(client, outbox, HILLCREST_LEAD)
    overview = f"/school/{HILLCREST}/self-evaluation"
    first = client.post(overview + "/start", data={"csrf_token": csrf_on(client, overview + "/")})
    heading = first.headers["Location"]
    form = heading_form(client, heading)
    criterion_id = next(name.removesuffix("-revision") for name in form if name.endswith("-revision"))
    idle_past_the_limit(app)
    assert client.post(heading, data=typed(form, criterion_id)).status_code == 303

    sign_in_again(client, outbox, HILLCREST_MATHS)  # a colleague signs in on the same computer
    theirs = client.get(heading)
    assert theirs.status_code == 200
    assert KEPT not in text(theirs) and shown_commentary(theirs, criterion_id) == ""
    client.post("/sign-out", data={"csrf_token": csrf_on(client, "/")})

    sign_in_again(client, outbox, HILLCREST_LEAD)
    assert shown_commentary(client.get(heading), criterion_id) == COMMENTARY


def test_discarding_the_kept_text_shows_the_page_as_saved(app: Flask, senco: FlaskClient, outbox: Outbox) -> None:
    form = typed(heading_form(senco))
    idle_past_the_limit(app)
    senco.post(LEADERSHIP, data=form)
    sign_in_again(senco, outbox, SENCO)
    page = senco.get(LEADERSHIP).get_data(as_text=True)
    discard = re.search(
        r'<form method="post" action="(/kept-text/discard)".*?value="([^"]+)".*?value="([^"]+)"', page, re.S
    )
    assert discard, "no way to discard the kept text"

    response = senco.post(discard.group(1), data={"csrf_token": discard.group(2), "page": discard.group(3)})

    assert response.status_code == 302 and response.headers["Location"] == LEADERSHIP
    after = senco.get(LEADERSHIP)
    assert "The text we kept has been discarded. The page shows what is saved." in text(after)
    assert KEPT not in text(after) and shown_commentary(after) == ""
    assert kept_records(app) == [] and answers(app) == {}


def test_kept_text_is_forgotten_after_a_week(app: Flask, senco: FlaskClient, outbox: Outbox) -> None:
    form = typed(heading_form(senco))
    idle_past_the_limit(app)
    senco.post(LEADERSHIP, data=form)
    app.extensions["clock"].advance(KEPT_FOR + timedelta(minutes=1))
    sign_in_again(senco, outbox, SENCO)

    assert KEPT not in text(senco.get(LEADERSHIP))
    assert kept_records(app) == []


def test_more_than_any_form_holds_is_not_kept(app: Flask, senco: FlaskClient) -> None:
    # Every box within the longest a box takes, but together more than any form holds.
    form = heading_form(senco)
    boxes = [name for name in form if name.endswith(("-commentary", "-evidence"))] + [f"more-{n}" for n in range(20)]
    each = MOST_KEPT // len(boxes) + 1
    assert each <= LONGEST_FIELD
    huge = typed(form) | {name: "x" * each for name in boxes}
    idle_past_the_limit(app)

    refused = senco.post(LEADERSHIP, data=huge)

    assert refused.status_code == 302 and refused.headers["Location"] == "/sign-in"
    assert kept_records(app) == []


# 6. When the session will end ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "first", "later"),
    [
        (datetime(2026, 11, 23, 15, 12, 20, tzinfo=LONDON), "3:42pm", "4:02pm"),
        (datetime(2027, 5, 4, 9, 0, 5, tzinfo=LONDON), "9:30am", "9:50am"),  # summer time: London's, not UTC
    ],
)
def test_form_pages_say_when_the_session_ends_if_nothing_is_saved(
    app: Flask, client: FlaskClient, sign_in: Any, moment: datetime, first: str, later: str
) -> None:
    app.extensions["clock"].set(moment)
    sign_in(SENCO)
    new_action = f"/school/{OAKFIELD}/actions/new"

    page = words(client.get(new_action))

    assert f"You will be signed out at {first} if you do not save." in page
    app.extensions["clock"].advance(timedelta(minutes=20))
    assert f"You will be signed out at {later} if you do not save." in words(client.get(new_action))
    assert "You will be signed out at" not in words(client.get(f"/school/{OAKFIELD}/")), "said only above forms"


# 7. The other forms that take free text --------------------------------------------------------------------------


def test_an_action_typed_when_signed_out_comes_back_after_signing_in_again(
    app: Flask, senco: FlaskClient, outbox: Outbox
) -> None:
    new = f"/school/{OAKFIELD}/actions/new"
    action = {
        "criterion": "PRI-LEAD-02",
        "what": "Give the SENCo a day a week for strategic work, protected in the timetable",
        "lead": "Headteacher",
        "by_when_day": "27",
        "by_when_month": "3",
        "by_when_year": "2027",
        "success_criteria": "The SENCo's time log shows one day a week spent on whole-school SEND work.",
        "status": "not_started",
        "csrf_token": csrf_on(senco, new),
    }
    idle_past_the_limit(app)

    assert senco.post(new, data=action).headers["Location"] == "/sign-in?next=" + new
    assert sign_in_again(senco, outbox, SENCO).headers["Location"] == new
    page = text(senco.get(new))

    assert KEPT in page
    assert action["what"] in page and action["success_criteria"] in page and 'value="Headteacher"' in page
    with app.app_context():
        assert actions.load(get_store(), OAKFIELD, CYCLE) is None
    saved = senco.post(new, data={**action, "csrf_token": csrf_on(senco, new)})
    assert saved.status_code == 302
    with app.app_context():
        assert [a["what"] for a in actions.load(get_store(), OAKFIELD, CYCLE)["actions"]] == [action["what"]]
    assert KEPT not in text(senco.get(new))


def test_a_reply_to_the_local_authority_typed_when_signed_out_comes_back(app: Flask, outbox: Outbox) -> None:
    school = person(app, outbox, SENCO)
    reviewer = person(app, outbox, REVIEWER)
    fill_in_and_submit(school)
    assert reviewer.post(REVIEW + "/start", data={"csrf_token": csrf_on(reviewer, REVIEW)}).status_code == 302
    assert (
        moderate(reviewer, "PRI-LEAD-01", decision="moderate", rating="2", comment="Show us the map.").status_code
        == 302
    )
    returned = reviewer.post(
        REVIEW + "/return", data={"message": "See comments", "csrf_token": csrf_on(reviewer, REVIEW)}
    )
    assert returned.status_code == 302
    reply = "The provision map is in the evidence, under attendance."
    token = csrf_on(school, FEEDBACK)
    idle_past_the_limit(app)

    refused = school.post(FEEDBACK + "PRI-LEAD-01", data={"text": reply, "csrf_token": token})

    assert refused.status_code == 303
    sign_in_again(school, outbox, SENCO)
    page = school.get(FEEDBACK).get_data(as_text=True)
    assert KEPT in html.unescape(page)
    assert re.search(r'id="pri-lead-01-reply" name="text"[^>]*>' + re.escape(html.escape(reply)), page)
    with app.app_context():
        comments = moderation.load(get_store(), OAKFIELD, CYCLE)["comments"]["PRI-LEAD-01"]
    assert [c["text"] for c in comments] == ["Show us the map."]


def test_evidence_notes_typed_when_signed_out_come_back_and_a_file_is_asked_for_again(
    app: Flask, senco: FlaskClient, outbox: Outbox
) -> None:
    page = f"/school/{OAKFIELD}/evidence"
    token = csrf_on(senco, page)
    notes = "Attendance for pupils with EHC plans is reviewed each month by the SENCo."
    idle_past_the_limit(app)

    assert (
        senco.post(f"{page}/attendance/notes", data={"notes": notes, "action": "save", "csrf_token": token}).status_code
        == 303
    )
    sign_in_again(senco, outbox, SENCO)
    shown = text(senco.get(page))
    assert KEPT in shown
    assert re.search(r'id="attendance-notes" name="notes"[^>]*>\s*' + re.escape(notes), shown)
    with app.app_context():
        assert evidence.load(get_store(), OAKFIELD, CYCLE) is None

    upload = {"file": (io.BytesIO(b"%PDF-1.4 not much"), "attendance-policy.pdf"), "csrf_token": csrf_on(senco, page)}
    idle_past_the_limit(app)
    senco.post(f"{page}/attendance/files", data=upload, content_type="multipart/form-data")
    sign_in_again(senco, outbox, SENCO)
    assert "Files cannot be kept: choose attendance-policy.pdf again to upload it." in text(senco.get(page))


def test_an_la_reviewers_comment_typed_when_signed_out_comes_back(app: Flask, outbox: Outbox) -> None:
    school = person(app, outbox, SENCO)
    reviewer = person(app, outbox, REVIEWER)
    fill_in_and_submit(school)
    assert reviewer.post(REVIEW + "/start", data={"csrf_token": csrf_on(reviewer, REVIEW)}).status_code == 302
    criterion = f"{REVIEW}/PRI-LEAD-01"
    comment = "The provision map does not show the impact of the speech and language groups."
    token = csrf_on(reviewer, criterion)
    idle_past_the_limit(app)

    refused = reviewer.post(
        criterion, data={"decision": "moderate", "rating": "2", "comment": comment, "csrf_token": token}
    )

    assert refused.status_code == 303
    sign_in_again(reviewer, outbox, REVIEWER)
    page = text(reviewer.get(criterion))
    assert KEPT in page and comment in page
    with app.app_context():
        assert not (moderation.load(get_store(), OAKFIELD, CYCLE).get("criteria") or {}).get("PRI-LEAD-01")


def test_the_text_is_kept_for_the_person_and_nobody_else_is_named_in_it(app: Flask, senco: FlaskClient) -> None:
    """What is stored: the fields posted (never the CSRF token), for whom, where, and until when."""
    form = typed(heading_form(senco))
    idle_past_the_limit(app)
    senco.post(LEADERSHIP, data=form)

    (record,) = kept_records(app)
    with app.app_context():
        senco_id = accounts.find_user_by_email(get_store(), SENCO).id
    assert record["user_id"] == senco_id
    assert record["page"] == LEADERSHIP and record["action"] == LEADERSHIP
    assert ["PRI-LEAD-01-commentary", COMMENTARY] in record["fields"]
    assert not any(name == "csrf_token" for name, _ in record["fields"])
    kept_at, expires_at = datetime.fromisoformat(record["kept_at"]), datetime.fromisoformat(record["expires_at"])
    assert expires_at - kept_at == KEPT_FOR
