"""The action plan: a school plans what it will do about its areas for development, for its development plan.

Each test follows what a person does (the Flask test client, real CSRF tokens, real sign-in links) and
checks what they see on the page, what they download, or what the store holds afterwards.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from form_service import accounts, actions, self_evaluation
from form_service.core import audit
from form_service.core.content import get_content
from form_service.store import get_store
from quality_mark.spreadsheet import csv_safe
from tests.test_service_accounts import Page, csrf_token

OAKFIELD, HILLCREST = "900001", "900004"
SENCO = "senco@oakfield-primary.example.org"  # admin of Oakfield
GOVERNOR = "governor@oakfield-primary.example.org"  # viewer of Oakfield
HILLCREST_LEAD = "inclusion@hillcrest-academy.example.org"  # admin of Hillcrest
HILLCREST_MATHS = "maths@hillcrest-academy.example.org"  # contributor of Hillcrest
LA_REVIEWER = "la.reviewer@example.org"
LA_ADMIN = "la.admin@example.org"
CYCLE = "2026-27"  # the cycle on conftest's TODAY (23 November 2026); it opened on 11 June 2026

PLAN = f"/school/{OAKFIELD}/actions"
NEW = f"{PLAN}/new"
NOT_ALLOWED = "You do not have permission to do that."
NOT_FOUND = "Page not found. Check the web address, or go back to the start."


# Helpers -------------------------------------------------------------------------------------------------


def a_valid_action(**changes: str) -> dict[str, str]:
    fields = {
        "criterion": "PRI-LEAD-02",
        "what": "Give the SENCo a day a week for strategic work, protected in the timetable",
        "lead": "Headteacher",
        "by_when_day": "27",
        "by_when_month": "3",
        "by_when_year": "2027",
        "success_criteria": "The SENCo's time log shows one day a week spent on whole-school SEND work.",
        "status": "not_started",
    }
    return {**fields, **changes}


def post(client: Any, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def stored_plan(app: Any, urn: str = OAKFIELD) -> dict[str, Any] | None:
    with app.app_context():
        return actions.load(get_store(), urn, CYCLE)


def stored_actions(app: Any, urn: str = OAKFIELD) -> list[dict[str, Any]]:
    plan = stored_plan(app, urn)
    return plan["actions"] if plan else []


def primary_framework(app: Any) -> Any:
    with app.app_context():
        return get_content().framework("primary")


def user_id(app: Any, email: str) -> str:
    with app.app_context():
        user = accounts.find_user_by_email(get_store(), email)
        assert user is not None
        return user.id


def audit_actions(app: Any) -> list[str]:
    with app.app_context():
        return [entry["action"] for entry in audit.recent(get_store())]


def start_self_evaluation(app: Any, urn: str = OAKFIELD, ratings: dict[str, int] | None = None) -> None:
    """The school's self-evaluation, begun as the service begins it, with these ratings saved."""
    with app.app_context():
        store, content = get_store(), get_content()
        cycle = content.key_dates.cycle(CYCLE)
        self_evaluation.start(store, content, accounts.get_school(store, urn), cycle)

        framework = content.framework(accounts.get_school(store, urn)["framework"])
        for criterion_id, rating in (ratings or {}).items():

            def rate(part: dict | None, criterion_id: str = criterion_id, rating: int = rating) -> tuple[dict, None]:
                part = part or {"answers": {}, "history": {}}
                part["answers"][criterion_id] = {
                    "rating": rating,
                    "commentary": "What we do now.",
                    "evidence": [],
                    "revision": 1,
                }
                return part, None

            heading_id = framework.heading_of(criterion_id).id
            store.modify(self_evaluation.ANSWERS, self_evaluation.part_key(urn, CYCLE, heading_id), rate)


def set_self_evaluation_status(app: Any, status: str, urn: str = OAKFIELD) -> None:
    start_self_evaluation(app, urn)
    with app.app_context():

        def change(document: dict | None) -> tuple[dict | None, None]:
            assert document is not None
            document["status"] = status
            return document, None

        get_store().modify(self_evaluation.COLLECTION, self_evaluation.key(urn, CYCLE), change)


def sign_out(client: Any) -> None:
    assert post(client, "/sign-out", {}).status_code == 302


def add_action(client: Any, **changes: str) -> dict[str, str]:
    """Add an action through the form; returns what was typed."""
    typed = a_valid_action(**changes)
    response = post(client, NEW, typed)
    assert response.status_code == 302, Page(response).error_summary
    return typed


def links(page: Page) -> dict[str, str]:
    """The main content's links, as {text: href}."""
    return {link.text: link.attrs.get("href", "") for main in page.root.find_all("main") for link in main.find_all("a")}


def selected_criterion(page: Page) -> str:
    return next(
        (option.attrs.get("value", "") for option in page.root.find_all("option") if "selected" in option.attrs), ""
    )


def field_value(page: Page, name: str) -> str:
    for element in page.root.iter():
        if element.attrs.get("name") == name:
            return element.text if element.tag == "textarea" else element.attrs.get("value", "")
    raise AssertionError(f"no field {name} on {page.title!r}")


# Planning an action --------------------------------------------------------------------------------------


def test_a_senco_plans_an_action_from_an_area_for_development(app, client, sign_in) -> None:
    start_self_evaluation(app, ratings={"PRI-LEAD-02": 1, "PRI-LEAD-01": 4})
    sign_in(SENCO)

    plan = Page(client.get(PLAN))
    assert plan.status == 200
    assert "There are no actions in the plan yet" in plan.main_text
    assert "An action plan sets out what the school will do about its areas for development" in plan.main_text
    assert "Areas for development without an action" in plan.main_text
    plan_link = links(plan)["Plan an action for PRI-LEAD-02"]
    assert plan_link == f"{NEW}?criterion=PRI-LEAD-02"
    assert "Plan an action for PRI-LEAD-01" not in links(plan)  # a strength, not an area for development

    form = Page(client.get(plan_link))
    assert form.status == 200
    assert form.h1 == "Add an action"
    assert selected_criterion(form) == "PRI-LEAD-02"
    criterion = primary_framework(app).criterion("PRI-LEAD-02")
    guidance = " ".join(criterion.next_level.split())
    assert " ".join(criterion.statement.split()) in form.main_text
    assert f"To reach the next level: {guidance}" in form.main_text
    assert field_value(form, "status") == "not_started"

    typed = a_valid_action(criterion="PRI-LEAD-02")
    response = post(client, NEW, typed)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(PLAN)

    plan = Page(client.get(PLAN))
    assert "The action has been added to the plan." in plan.messages
    assert plan.table("Lead") == [
        {
            "What the school will do": typed["what"],
            "Area for development": "Leadership and management of inclusion (PRI-LEAD-02)",
            "Lead": "Headteacher",
            "By when": "27 March 2027",
            "Status": "Not started",
            "Change": "Change action: Give the SENCo a day a week for strategic work,...",
        }
    ]
    assert "Areas for development without an action" not in plan.main_text

    (stored,) = stored_actions(app)
    assert {name: stored[name] for name in ("criterion_id", "what", "lead", "by_when", "status", "revision")} == {
        "criterion_id": "PRI-LEAD-02",
        "what": typed["what"],
        "lead": "Headteacher",
        "by_when": "2027-03-27",
        "status": "not_started",
        "revision": 1,
    }
    assert stored["created_by"] == stored["updated_by"] == user_id(app, SENCO)
    assert len(stored["id"]) >= 12
    assert "action plan: action added" in audit_actions(app)


def test_an_action_need_not_address_one_criterion_and_a_contributor_can_add_one(app, client, sign_in) -> None:
    sign_in(HILLCREST_MATHS)
    response = post(client, f"/school/{HILLCREST}/actions/new", a_valid_action(criterion="", by_when_month="Sept"))
    assert response.status_code == 302
    (stored,) = stored_actions(app, HILLCREST)
    assert stored["criterion_id"] is None
    assert stored["by_when"] == "2027-09-27"
    plan = Page(client.get(f"/school/{HILLCREST}/actions"))
    assert plan.table("Lead")[0]["Area for development"] == "None"


@pytest.mark.parametrize("criterion", ["PRI-NOPE-99", "<script>alert(1)</script>", "SEC-LEAD-01", ""])
def test_an_unknown_criterion_in_the_link_is_ignored(app, client, sign_in, criterion) -> None:
    sign_in(SENCO)
    page = Page(client.get(NEW, query_string={"criterion": criterion}))
    assert page.status == 200
    assert selected_criterion(page) == ""
    assert "To reach the next level" not in page.main_text


# Every mistake is explained, and nothing is stored ------------------------------------------------------

LONG = "x" * 20

MISTAKES = [
    ({"what": ""}, "what", "Enter what the school will do"),
    ({"what": "   \r\n  "}, "what", "Enter what the school will do"),
    ({"lead": ""}, "lead", "Enter who leads the action, for example SENCo or Head of Year 7"),
    ({"success_criteria": ""}, "success_criteria", "Enter how you will know the action has worked"),
    (
        {"by_when_day": "", "by_when_month": "", "by_when_year": ""},
        "by_when_day",
        "Enter the date the action should be done by, for example 27 3 2027",
    ),
    ({"by_when_day": ""}, "by_when_day", "The date the action should be done by must include a day"),
    (
        {"by_when_month": "", "by_when_year": ""},
        "by_when_month",
        "The date the action should be done by must include a month and a year",
    ),
    ({"status": ""}, "status-0", "Choose the action's status: not started, in progress, done or dropped"),
    ({"what": "w" * 501}, "what", "What you will do must be 500 characters or fewer (you have 501)"),
    ({"lead": "l" * 101}, "lead", "Who leads it must be 100 characters or fewer (you have 101)"),
    (
        {"success_criteria": "s" * 1001},
        "success_criteria",
        "How you will know it has worked must be 1,000 characters or fewer (you have 1,001)",
    ),
    (
        {"by_when_day": "31", "by_when_month": "2", "by_when_year": "2027"},
        "by_when_day",
        "The date the action should be done by must be a real date",
    ),
    (
        {"by_when_day": "10", "by_when_month": "6", "by_when_year": "2026"},
        "by_when_day",
        "The date the action should be done by must be on or after 11 June 2026, when this Quality Mark cycle began",
    ),
    ({"by_when_day": "tw"}, "by_when_day", "The date the action should be done by must be a real date"),
    ({"by_when_day": "²"}, "by_when_day", "The date the action should be done by must be a real date"),
    ({"by_when_month": "13"}, "by_when_month", "The date the action should be done by must be a real date"),
    ({"by_when_month": "Smarch"}, "by_when_month", "The date the action should be done by must be a real date"),
    ({"by_when_year": "27"}, "by_when_year", "The year must include 4 numbers, for example 2027"),
    ({"by_when_year": "9" * 5000}, "by_when_year", "The year must include 4 numbers, for example 2027"),
    ({"status": "finished"}, "status-0", "Choose the action's status: not started, in progress, done or dropped"),
    ({"criterion": "PRI-NOPE-99"}, "criterion", "Choose an area for development from the list, or choose none"),
    ({"criterion": "SEC-LEAD-01"}, "criterion", "Choose an area for development from the list, or choose none"),
    (
        {"what": "<script>alert('plan')</script>"},
        "what",
        "What you will do must not contain web page code such as <script>",
    ),
    (
        {"lead": "SENCo<img src=x onerror=alert(1)>"},
        "lead",
        "Who leads it must not contain web page code such as <script>",
    ),
]


@pytest.mark.parametrize(("changes", "field_id", "message"), MISTAKES)
def test_a_mistake_is_explained_next_to_the_field_and_nothing_is_stored(
    app, client, sign_in, changes, field_id, message
) -> None:
    sign_in(SENCO)
    page = Page(post(client, NEW, a_valid_action(**changes)))
    assert page.status == 400
    assert page.title.startswith("Error: ")
    assert (f"#{field_id}", message) in page.error_links
    page.assert_error_links_lead_to_fields()
    assert message in page.main_text.replace(page.error_summary, "")  # also next to the field
    assert stored_plan(app) is None


def test_several_mistakes_are_listed_in_the_order_of_the_page(app, client, sign_in) -> None:
    sign_in(SENCO)
    page = Page(post(client, NEW, {"criterion": "", "status": "not_started"}))
    assert page.status == 400
    assert [href for href, _ in page.error_links] == ["#what", "#lead", "#by_when_day", "#success_criteria"]


def test_hostile_text_is_shown_back_escaped_never_run(app, client, sign_in) -> None:
    sign_in(SENCO)
    hostile = "<script>alert('plan')</script>"
    response = post(client, NEW, a_valid_action(what=hostile, success_criteria='"><b>bold</b>'))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert hostile not in html
    assert "&lt;script&gt;alert(&#39;plan&#39;)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
    assert field_value(Page(response), "what") == hostile  # what they typed is kept for them to correct
    assert stored_plan(app) is None


def test_a_plain_less_than_sign_is_fine(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client, success_criteria="Persistent absence of pupils with SEND < 10% by July")
    plan = Page(client.get(f"{PLAN}/document"))
    assert "Persistent absence of pupils with SEND < 10% by July" in plan.main_text


# Changing and deleting ------------------------------------------------------------------------------------


def edit_path(app: Any) -> str:
    (action,) = stored_actions(app)
    return f"{PLAN}/{action['id']}"


def the_form_on(page: Page, path: str) -> dict[str, str]:
    """What pressing Save on the page sends: its inputs, textareas and selected options."""
    sent = page.form(path)
    for form in page.root.find_all("form"):
        if form.attrs.get("action") == path:
            for area in form.find_all("textarea"):
                sent[area.attrs["name"]] = area.text
            for choice in form.find_all("select"):
                sent[choice.attrs["name"]] = next(
                    (o.attrs["value"] for o in choice.find_all("option") if "selected" in o.attrs), ""
                )
    return sent


def test_a_senco_changes_an_action(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    path = edit_path(app)
    page = Page(client.get(path))
    assert page.h1 == "Change an action"
    sent = the_form_on(page, path)
    assert sent["revision"] == "1"
    assert (sent["by_when_day"], sent["by_when_month"], sent["by_when_year"]) == ("27", "3", "2027")
    response = client.post(path, data={**sent, "status": "in_progress", "lead": "Deputy headteacher"})
    assert response.status_code == 302
    (stored,) = stored_actions(app)
    assert (stored["status"], stored["lead"], stored["revision"]) == ("in_progress", "Deputy headteacher", 2)
    assert "action plan: action changed" in audit_actions(app)
    assert Page(client.get(PLAN)).table("Lead")[0]["Status"] == "In progress"


def test_an_edit_based_on_an_older_version_is_refused_and_shows_the_newer_one(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    path = edit_path(app)
    first_tab = the_form_on(Page(client.get(path)), path)
    second_tab = the_form_on(Page(client.get(path)), path)

    assert client.post(path, data={**first_tab, "what": "Version from the first tab"}).status_code == 302

    page = Page(client.post(path, data={**second_tab, "what": "Version from the second tab"}))
    assert page.status == 409
    assert (
        "#latest-version",
        "Someone else changed this action while you were editing it. Your changes have not been saved yet.",
    ) in page.error_links
    page.assert_error_links_lead_to_fields()
    assert "The action as it is saved now" in page.main_text
    assert "Version from the first tab" in page.main_text
    assert "Demo SENCo, Oakfield changed it on " in page.main_text
    (stored,) = stored_actions(app)
    assert (stored["what"], stored["revision"]) == ("Version from the first tab", 2)

    # Having seen the newer version, they may still choose to save theirs.
    again = the_form_on(page, path)
    assert again["what"] == "Version from the second tab"
    assert again["revision"] == "2"
    assert client.post(path, data=again).status_code == 302
    (stored,) = stored_actions(app)
    assert (stored["what"], stored["revision"]) == ("Version from the second tab", 3)


def test_an_edit_without_a_revision_is_treated_as_stale(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    response = post(client, edit_path(app), a_valid_action(what="Changed without a revision"))
    assert response.status_code == 409
    assert stored_actions(app)[0]["what"] == a_valid_action()["what"]


def test_an_unknown_action_is_not_found(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    assert client.get(f"{PLAN}/nosuchaction").status_code == 404
    assert post(client, f"{PLAN}/nosuchaction", a_valid_action()).status_code == 404
    assert client.get(f"{PLAN}/nosuchaction/delete").status_code == 404


def test_deleting_an_action_asks_for_confirmation_first(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    path = edit_path(app)
    edit_page = Page(client.get(path))
    assert links(edit_page)["Delete this action"] == f"{path}/delete"

    confirm = Page(client.get(f"{path}/delete"))
    assert confirm.status == 200
    assert confirm.h1 == "Delete this action?"
    assert a_valid_action()["what"] in confirm.main_text
    assert len(stored_actions(app)) == 1  # opening the page deletes nothing

    response = client.post(f"{path}/delete", data=confirm.form(f"{path}/delete"))
    assert response.status_code == 302
    assert stored_actions(app) == []
    assert "action plan: action deleted" in audit_actions(app)
    assert "The action has been deleted." in Page(client.get(PLAN)).messages


def test_deleting_an_action_someone_has_just_changed_asks_again(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    path = edit_path(app)
    confirm = Page(client.get(f"{path}/delete"))
    client.post(path, data={**the_form_on(Page(client.get(path)), path), "what": "Changed meanwhile"})
    page = Page(client.post(f"{path}/delete", data=confirm.form(f"{path}/delete")))
    assert page.status == 409
    assert "changed this action" in page.error_summary
    assert "Changed meanwhile" in page.main_text
    assert len(stored_actions(app)) == 1


# Downloading and printing ---------------------------------------------------------------------------------


def test_the_spreadsheet_has_a_row_per_action_and_cannot_run_formulas(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client, what='=cmd|" /C calc"!A0', lead="@SENCo", criterion="PRI-LEAD-01")
    add_action(
        client, what="Review the SEN register each term", lead="-SENCo", success_criteria="+1 review", criterion=""
    )

    response = client.get(f"{PLAN}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="action-plan-{OAKFIELD}-{CYCLE}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert len(rows) == 2
    by_criterion = {row["Criterion"]: row for row in rows}
    assert by_criterion["PRI-LEAD-01"]["What the school will do"] == '\'=cmd|" /C calc"!A0'
    assert by_criterion["PRI-LEAD-01"]["Who leads it"] == "'@SENCo"
    assert by_criterion["PRI-LEAD-01"]["Heading"] == "Leadership and management of inclusion"
    assert by_criterion[""]["Who leads it"] == "'-SENCo"
    assert by_criterion[""]["How we will know it has worked"] == "'+1 review"
    assert by_criterion[""]["What the school will do"] == "Review the SEN register each term"
    assert by_criterion[""]["By when"] == "2027-03-27"
    assert by_criterion[""]["Status"] == "Not started"


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+44 1234", "'+44 1234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Train staff", "Train staff"),
        ("", ""),
    ],
)
def test_a_spreadsheet_cell_is_never_a_formula(cell: str, shown: str) -> None:
    assert csv_safe(cell) == shown


def test_the_document_lists_the_actions_under_their_headings(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client, what="Identification action", criterion="PRI-IDEN-01")
    add_action(client, what="Leadership action", criterion="PRI-LEAD-03")
    add_action(client, what="Action for no one criterion", criterion="")

    page = Page(client.get(f"{PLAN}/document"))
    assert page.status == 200
    title = "Oakfield Primary School: SEND and inclusion action plan 2026 to 2027"
    assert page.title == title
    assert page.h1 == title
    sections = {
        section.find_all("h2")[0].text: [row.find_all("td")[0].text for row in section.find_all("tr")[1:]]
        for section in page.root.find_all("section")
    }
    framework = primary_framework(app)
    leadership, identification = framework.heading("leadership").title, framework.heading("identification").title
    assert list(sections) == [leadership, identification, "Other actions"]
    assert sections[leadership][0].startswith("Leadership action For PRI-LEAD-03:")
    assert sections[identification][0].startswith("Identification action For PRI-IDEN-01:")
    assert sections["Other actions"] == ["Action for no one criterion"]
    assert links(page)["Download as a spreadsheet (CSV)"] == f"{PLAN}.csv"
    assert "Print or save as PDF" in page.main_text


def test_the_plan_links_to_its_document_and_spreadsheet(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    found = links(Page(client.get(PLAN)))
    assert found["Download as a spreadsheet (CSV)"] == f"{PLAN}.csv"
    assert found["The plan as a document to print or save as PDF"] == f"{PLAN}/document"


# Who may do what ------------------------------------------------------------------------------------------


def test_a_governor_can_read_the_plan_but_not_change_it(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    path = edit_path(app)
    sign_out(client)
    sign_in(GOVERNOR)

    plan = Page(client.get(PLAN))
    assert plan.status == 200
    assert plan.table("Lead")[0]["What the school will do"] == a_valid_action()["what"]
    assert "Change" not in plan.table("Lead")[0]
    assert "Add an action" not in links(plan)
    assert client.get(f"{PLAN}.csv").status_code == 200
    assert client.get(f"{PLAN}/document").status_code == 200

    for page in (Page(client.get(NEW)), Page(post(client, NEW, a_valid_action(what="By the governor")))):
        assert page.status == 403
        assert NOT_ALLOWED in page.main_text
    assert post(client, path, a_valid_action(what="By the governor")).status_code == 403
    assert post(client, f"{path}/delete", {"revision": "1"}).status_code == 403
    assert [action["what"] for action in stored_actions(app)] == [a_valid_action()["what"]]


def test_another_schools_team_cannot_see_the_plan(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    path = edit_path(app)
    sign_out(client)
    sign_in(HILLCREST_LEAD)
    for address in (PLAN, NEW, path, f"{PLAN}.csv", f"{PLAN}/document", f"{path}/delete"):
        page = Page(client.get(address))
        assert page.status == 404, address
        assert NOT_FOUND in page.main_text
    assert post(client, NEW, a_valid_action()).status_code == 404
    assert len(stored_actions(app)) == 1


@pytest.mark.parametrize("la_person", [LA_REVIEWER, LA_ADMIN])
def test_local_authority_staff_read_a_plan_but_never_change_it(app, client, sign_in, la_person) -> None:
    sign_in(SENCO)
    add_action(client)
    path = edit_path(app)
    sign_out(client)
    sign_in(la_person)

    plan = Page(client.get(PLAN))
    assert plan.status == 200
    assert plan.table("Lead")[0]["Lead"] == "Headteacher"
    assert "Add an action" not in links(plan)
    assert client.get(f"{PLAN}.csv").status_code == 200
    assert client.get(f"{PLAN}/document").status_code == 200
    assert client.get(NEW).status_code == 403
    assert post(client, NEW, a_valid_action(what="By the LA")).status_code == 403
    assert post(client, path, a_valid_action(what="By the LA")).status_code == 403
    assert post(client, f"{path}/delete", {"revision": "1"}).status_code == 403
    assert [action["what"] for action in stored_actions(app)] == [a_valid_action()["what"]]


def test_signed_out_people_are_sent_to_sign_in(client) -> None:
    response = client.get(PLAN)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_the_plan_is_read_only_once_the_self_evaluation_is_submitted(app, client, sign_in) -> None:
    sign_in(SENCO)
    add_action(client)
    path = edit_path(app)
    edit_form = the_form_on(Page(client.get(path)), path)
    delete_form = Page(client.get(f"{path}/delete")).form(f"{path}/delete")
    set_self_evaluation_status(app, "submitted")

    plan = Page(client.get(PLAN))
    assert plan.status == 200
    assert "The self-evaluation has been submitted, so this plan can no longer be changed" in plan.main_text
    assert "Add an action" not in links(plan)
    assert "Change" not in plan.table("Lead")[0]

    for response in (
        post(client, NEW, a_valid_action(what="After submission")),
        client.post(path, data={**edit_form, "what": "After submission"}),
        client.post(f"{path}/delete", data=delete_form),
    ):
        page = Page(response)
        assert page.status == 403
        assert page.h1 == "The action plan cannot be changed"
        assert actions.LOCKED in page.main_text
    assert [action["what"] for action in stored_actions(app)] == [a_valid_action()["what"]]


def test_a_returned_self_evaluation_opens_the_plan_again(app, client, sign_in) -> None:
    set_self_evaluation_status(app, "returned")
    sign_in(SENCO)
    add_action(client)
    assert len(stored_actions(app)) == 1


def test_every_change_needs_the_forms_csrf_token(app, client, sign_in) -> None:
    sign_in(SENCO)
    response = client.post(NEW, data=a_valid_action())
    assert response.status_code == 400
    assert "Reload the page and try again" in Page(response).main_text
    assert stored_plan(app) is None
    add_action(client)
    path = edit_path(app)
    assert client.post(path, data={**a_valid_action(what="No token"), "revision": "1"}).status_code == 400
    assert client.post(f"{path}/delete", data={"revision": "1"}).status_code == 400
    assert [action["what"] for action in stored_actions(app)] == [a_valid_action()["what"]]


# The rules, without a browser -----------------------------------------------------------------------------


def test_actions_are_checked_against_the_self_evaluations_framework_version(app) -> None:
    with app.app_context():
        content = get_content()
        school = accounts.get_school(get_store(), OAKFIELD)
        pinned = {"framework": "secondary", "framework_version": 1}
        assert actions.framework_for(content, school, None).id == "primary"
        assert actions.framework_for(content, school, pinned).id == "secondary"
        cycle = content.key_dates.cycle(CYCLE)
        draft, problems = actions.check(a_valid_action(criterion="SEC-LEAD-01"), content.framework("secondary"), cycle)
        assert problems == []
        assert draft is not None and draft.criterion_id == "SEC-LEAD-01"


def test_dates_are_shown_in_words() -> None:
    assert actions.in_words("2027-03-07") == "7 March 2027"
