"""Stage tracking and LA-funded hours: the LA records the stages a school reached and the visits and meetings
it had; the hours used are counted against each stage's allowance; the school sees it all, read-only.

The figures are checked against sums worked out by hand from content/stages.yaml (2 hours for the action-plan
meeting at stage 3, 2 for the monitoring visit at stage 5, 3 for the evaluation at stage 7; stages 5 to 9
repeated on reaccreditation). The pages are driven the way a person does (the Flask test client, real CSRF
tokens, real sign-in links), checking what they see and what the store holds afterwards.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from form_service.core import audit
from form_service.programme import funded_hours, stage_input, stages
from form_service.programme.stage_input import ReachedDraft, VisitDraft
from form_service.store import get_store
from tests.test_service_accounts import Page, post, sign_in_as

OAKFIELD, HILLCREST = "900001", "900004"
SENCO = "senco@oakfield-primary.example.org"  # admin of Oakfield
GOVERNOR = "governor@oakfield-primary.example.org"  # viewer of Oakfield
LA_REVIEWER = "la.reviewer@example.org"
LA_ADMIN = "la.admin@example.org"
TODAY = date(2026, 11, 23)  # conftest's TODAY

OVERVIEW = f"/la/schools/{OAKFIELD}/stages"
NEW_VISIT = f"/la/schools/{OAKFIELD}/visits/new"
SCHOOL_VIEW = f"/school/{OAKFIELD}/stages"
NOT_FOUND = "Page not found. Check the web address, or go back to the start."


@pytest.fixture(scope="module")
def timeline() -> Any:
    from quality_mark.loader import load_content
    from tests.conftest import REPO_ROOT

    return load_content(REPO_ROOT).timeline


def visit(stage: int, on: str, hours: float, kind: str = "visit") -> dict[str, Any]:
    return {"id": f"{stage}-{on}", "stage": stage, "kind": kind, "date": on, "hours": hours, "recorded_at": on}


def rows(round_: funded_hours.AccreditationRound) -> dict[int, tuple[float, float, float, float, float]]:
    """stage -> (allowance, used, planned, remaining, over)."""
    return {r.stage.number: (r.allowance, r.used, r.planned, r.remaining, r.over) for r in round_.stages}


# 1. The figures, by hand ---------------------------------------------------------------------------------


def test_the_content_gives_the_allowances_the_issue_names(timeline) -> None:
    funded = {stage.number: stage.funded_hours for stage in timeline.stages if stage.funded_hours}
    assert funded == {3: 2, 5: 2, 7: 3}
    assert timeline.reaccreditation.repeats_stages == (5, 6, 7, 8, 9)


def test_hours_used_planned_remaining_and_over_per_stage_in_the_first_round(timeline) -> None:
    visits = [
        visit(3, "2026-10-01", 2, "meeting"),  # exactly the allowance
        visit(5, "2027-02-01", 1.5),
        visit(5, "2027-03-01", 1),  # 2.5 of 2: half an hour over
        visit(7, "2027-12-01", 2.75, "evaluation"),  # after "today": planned
    ]

    (first,) = funded_hours.accreditation_rounds(visits, timeline, [], date(2027, 6, 1))

    assert rows(first) == {
        3: (2, 2, 0, 0, 0),
        5: (2, 2.5, 0, 0, 0.5),
        7: (3, 0, 2.75, 0.25, 0),
    }
    assert (first.allowance, first.used, first.planned, first.remaining, first.over) == (7, 4.5, 2.75, 0.25, 0.5)
    assert [row.stage.number for row in first.over_stages] == [5]
    assert not first.is_reaccreditation
    assert funded_hours.total_used(visits, date(2027, 6, 1)) == 4.5
    assert funded_hours.total_planned(visits, date(2027, 6, 1)) == 2.75


def test_a_visit_to_a_stage_without_funded_hours_shows_as_over(timeline) -> None:
    (first,) = funded_hours.accreditation_rounds([visit(4, "2026-11-01", 0.5)], timeline, [], TODAY)

    assert rows(first)[4] == (0, 0.5, 0, 0, 0.5)
    assert first.remaining == 7  # stage 4's half hour does not come out of another stage's allowance
    assert first.over == 0.5


def test_an_award_starts_a_reaccreditation_round_in_which_stages_5_to_9_are_funded_again(timeline) -> None:
    awarded_on = date(2027, 12, 15)
    visits = [
        visit(3, "2026-10-01", 2, "meeting"),
        visit(5, "2027-02-01", 2),
        visit(7, "2027-12-15", 3, "evaluation"),  # on the day of the award: still the first round
        visit(5, "2028-01-10", 1),  # after it: the reaccreditation
        visit(3, "2028-02-01", 0.5, "meeting"),  # stage 3 is not repeated: no allowance, so over
    ]

    first, second = funded_hours.accreditation_rounds(visits, timeline, [awarded_on], date(2028, 3, 1))

    assert rows(first) == {3: (2, 2, 0, 0, 0), 5: (2, 2, 0, 0, 0), 7: (3, 3, 0, 0, 0)}
    assert (first.ended_by_award_on, second.after_award_on, second.ended_by_award_on) == (awarded_on, awarded_on, None)
    assert second.is_reaccreditation
    assert rows(second) == {3: (0, 0.5, 0, 0, 0.5), 5: (2, 1, 0, 1, 0), 7: (3, 0, 0, 3, 0)}
    assert (second.allowance, second.used, second.remaining, second.over) == (5, 1.5, 4, 0.5)
    assert [v["date"] for v in second.visits] == ["2028-01-10", "2028-02-01"]
    assert funded_hours.total_used(visits, date(2028, 3, 1)) == 8.5


def test_only_decisions_that_awarded_the_mark_start_a_round() -> None:
    awards = {
        "decisions": [
            {"cycle": "2026-27", "outcome": "not_awarded", "decided_on": "2027-07-01"},
            {"cycle": "2027-28", "outcome": "awarded", "decided_on": "2027-12-15", "expires_on": "2030-12-15"},
            {"cycle": "2030-31", "outcome": "awarded", "decided_on": "2030-12-10", "expires_on": "2033-12-10"},
        ]
    }

    assert funded_hours.award_dates(awards) == [date(2027, 12, 15), date(2030, 12, 10)]
    assert funded_hours.award_dates(None) == []
    assert funded_hours.round_of(date(2027, 12, 15), [date(2027, 12, 15)]) == 1
    assert funded_hours.round_of(date(2027, 12, 16), [date(2027, 12, 15), date(2030, 12, 10)]) == 2
    assert funded_hours.round_of(date(2031, 1, 5), [date(2027, 12, 15), date(2030, 12, 10)]) == 3


def test_the_rule_in_words_uses_the_contents_figures(timeline) -> None:
    rule = funded_hours.rule_in_words(timeline)

    assert "(7 hours in all)" in rule
    assert "stages 5 to 9 have their allowance again (5 hours in all)" in rule
    assert "every 3 years" in rule


# 2. The stages document ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reached", "expected"),
    [
        (None, None),
        ({}, None),
        ({"reached": {}}, None),
        ({"reached": {"3": {"reached_on": "2026-10-01"}}}, 3),
        # Keys are text in JSON: "10" must beat "5" as a number, not as text.
        ({"reached": {"5": {"reached_on": "2027-02-01"}, "10": {"reached_on": "2027-12-20"}}}, 10),
    ],
)
def test_current_stage_is_the_highest_stage_reached(reached, expected) -> None:
    assert stages.current_stage(reached) == expected


def test_changing_or_clearing_a_date_reached_keeps_the_earlier_record() -> None:
    first = ReachedDraft(date(2026, 10, 1), "Action plan agreed")
    document, change = stages.with_reached(None, OAKFIELD, 3, first, "reviewer", "2026-10-01T10:00:00+00:00")
    assert change == "recorded"
    assert stages.with_reached(document, OAKFIELD, 3, first, "admin", "2026-10-02T10:00:00+00:00")[1] == "unchanged"

    document, change = stages.with_reached(
        document, OAKFIELD, 3, ReachedDraft(date(2026, 10, 5), "Met on the 5th"), "admin", "2026-10-06T09:00:00+00:00"
    )
    assert change == "changed"
    document, cleared = stages.without_reached(document, OAKFIELD, 3, "reviewer", "2026-10-07T09:00:00+00:00")

    assert cleared and stages.current_stage(document) is None
    assert [(h["change"], h["reached_on"], h["recorded_by"], h["replaced_by"]) for h in document["history"]] == [
        ("changed", "2026-10-01", "reviewer", "admin"),
        ("cleared", "2026-10-05", "admin", "reviewer"),
    ]
    assert stages.without_reached(document, OAKFIELD, 3, "reviewer", "2026-10-08T09:00:00+00:00")[1] is False


# 3. What may be typed ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "hours"), [("2", 2.0), ("1.5", 1.5), ("0.25", 0.25), (" 24 ", 24.0), ("2.75", 2.75)])
def test_hours_in_quarter_hours_are_accepted(typed, hours) -> None:
    assert stage_input.parse_hours(typed) == (hours, None)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the hours used, for example 2 or 1.5"),
        ("0", "Hours must be more than 0"),
        ("0.0", "Hours must be more than 0"),
        ("-1", "Hours must be more than 0"),
        ("25", "Hours must be 24 or fewer"),
        ("24.25", "Hours must be 24 or fewer"),
        ("abc", "Hours must be a number, for example 2 or 1.5"),
        ("1.3", "Hours must be in quarter hours, for example 1.25, 1.5 or 1.75"),
        ("0.1", "Hours must be in quarter hours, for example 1.25, 1.5 or 1.75"),
        ("NaN", "Hours must be a number, for example 2 or 1.5"),
        ("Infinity", "Hours must be a number, for example 2 or 1.5"),
        ("1e1", "Hours must be a number, for example 2 or 1.5"),
        ("1,5", "Hours must be a number, for example 2 or 1.5"),
        (".", "Hours must be a number, for example 2 or 1.5"),
        ("²", "Hours must be a number, for example 2 or 1.5"),
        ("9" * 500, "Hours must be a number, for example 2 or 1.5"),
    ],
)
def test_hours_that_are_not_quarter_hours_between_0_and_24_are_refused(typed, message) -> None:
    assert stage_input.parse_hours(typed) == (None, message)


REACHED = {"reached_day": "5", "reached_month": "10", "reached_year": "2026", "notes": "Action plan agreed"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"reached_day": "", "reached_month": "", "reached_year": ""},
            "reached_day",
            "Enter the date the stage was reached, for example 27 3 2026",
        ),
        ({"reached_month": ""}, "reached_month", "The date the stage was reached must include a month"),
        (
            {"reached_day": "", "reached_year": ""},
            "reached_day",
            "The date the stage was reached must include a day and a year",
        ),
        (
            {"reached_day": "31", "reached_month": "2"},
            "reached_day",
            "The date the stage was reached must be a real date, for example 27 3 2026",
        ),
        (
            {"reached_month": "13"},
            "reached_month",
            "The date the stage was reached must be a real date, for example 27 3 2026",
        ),
        (
            {"reached_day": "x"},
            "reached_day",
            "The date the stage was reached must be a real date, for example 27 3 2026",
        ),
        ({"reached_year": "26"}, "reached_year", "The year must include 4 numbers, for example 2026"),
        (
            {"reached_year": "1999"},
            "reached_year",
            "The date the stage was reached must be on or after 1 January 2000",
        ),
        (
            {"reached_day": "24", "reached_month": "11"},
            "reached_day",
            "The date the stage was reached must be today or earlier",
        ),
        ({"notes": "x" * 1001}, "notes", "Notes must be 1,000 characters or fewer (you have 1,001)"),
        (
            {"notes": "<script>alert(1)</script>"},
            "notes",
            "Notes must not contain web page code such as <script>",
        ),
    ],
)
def test_a_date_reached_must_be_a_real_date_not_in_the_future(changes, field, message) -> None:
    draft, problems = stage_input.check_reached({**REACHED, **changes}, TODAY)

    assert draft is None
    assert problems == [(field, message)]


def test_a_date_reached_today_with_notes_of_1000_characters_is_accepted() -> None:
    draft, problems = stage_input.check_reached(
        {**REACHED, "reached_day": "23", "reached_month": "11", "notes": "x" * 1000}, TODAY
    )

    assert problems == [] and draft == ReachedDraft(TODAY, "x" * 1000)


VISIT = {
    "stage": "3",
    "kind": "meeting",
    "visit_day": "5",
    "visit_month": "10",
    "visit_year": "2026",
    "hours": "2",
    "attended": "SENCo, specialist teacher, educational psychologist",
    "notes": "Action plan written together.",
}


def test_a_visit_as_typed_becomes_a_draft(timeline) -> None:
    draft, problems = stage_input.check_visit(VISIT, timeline, TODAY)

    assert problems == []
    assert draft == VisitDraft(3, "meeting", date(2026, 10, 5), 2.0, VISIT["attended"], VISIT["notes"])


def test_a_visit_may_be_planned_up_to_two_years_ahead_but_no_further(timeline) -> None:
    planned = {**VISIT, "visit_day": "23", "visit_month": "11", "visit_year": "2028"}
    assert stage_input.check_visit(planned, timeline, TODAY)[1] == []

    draft, problems = stage_input.check_visit({**planned, "visit_day": "24"}, timeline, TODAY)

    assert draft is None
    assert problems == [
        (
            "visit_day",
            "The date of the visit or meeting must be on or before 23 November 2028: "
            "visits can be planned up to 2 years ahead",
        )
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"stage": "0"}, "stage", "Choose the stage the visit or meeting was for"),
        ({"stage": "11"}, "stage", "Choose the stage the visit or meeting was for"),
        ({"stage": "x"}, "stage", "Choose the stage the visit or meeting was for"),
        ({"stage": ""}, "stage", "Choose the stage the visit or meeting was for"),
        (
            {"kind": "party"},
            "kind",
            "Choose what it was: a meeting, a visit, an evaluation of evidence or something else",
        ),
        ({"hours": "0"}, "hours", "Hours must be more than 0"),
        ({"hours": "1.3"}, "hours", "Hours must be in quarter hours, for example 1.25, 1.5 or 1.75"),
        ({"attended": "y" * 201}, "attended", "Who attended must be 200 characters or fewer (you have 201)"),
        ({"notes": "z" * 1001}, "notes", "Notes must be 1,000 characters or fewer (you have 1,001)"),
        (
            {"visit_day": "30", "visit_month": "2"},
            "visit_day",
            "The date of the visit or meeting must be a real date, for example 27 3 2026",
        ),
    ],
)
def test_each_bad_answer_about_a_visit_is_named(timeline, changes, field, message) -> None:
    draft, problems = stage_input.check_visit({**VISIT, **changes}, timeline, TODAY)

    assert draft is None
    assert problems == [(field, message)]


# 4. The pages --------------------------------------------------------------------------------------------


def stored(app: Any, urn: str = OAKFIELD) -> dict[str, Any] | None:
    with app.app_context():
        return stages.load(get_store(), urn)


def audit_actions(app: Any) -> list[str]:
    with app.app_context():
        return [entry["action"] for entry in audit.recent(get_store())]


def add_visit(client: Any, **changes: str) -> Any:
    response = post(client, NEW_VISIT, {**VISIT, **changes})
    assert response.status_code == 302, Page(response).error_summary
    return response


def only_visit_id(app: Any, urn: str = OAKFIELD) -> str:
    (found,) = stored(app, urn)["visits"]
    return found["id"]


def test_an_la_reviewer_records_a_stage_and_the_school_sees_it_read_only(app) -> None:
    reviewer = sign_in_as(app, LA_REVIEWER)
    page = Page(reviewer.get(f"/la/schools/{OAKFIELD}/stages/3"))
    assert (page.status, page.h1) == (200, "Stage 3: Write an action plan with STS and EPS")

    response = post(reviewer, f"/la/schools/{OAKFIELD}/stages/3", REACHED)

    assert response.headers["Location"].endswith(OVERVIEW)
    overview = Page(reviewer.get(OVERVIEW))
    assert "Stage 3, Write an action plan with STS and EPS: reached on 5 October 2026." in overview.messages
    assert "Current stage: 3. Write an action plan with STS and EPS" in overview.main_text
    row = overview.table("Date reached")[2]
    assert row["Stage"] == "3. Write an action plan with STS and EPS"
    assert row["Date reached"] == "5 October 2026"
    assert row["Recorded by"].startswith("Demo LA Reviewer, 23 November 2026 at ")  # by the app's clock
    assert row["Notes"] == "Action plan agreed"
    record = stored(app)["reached"]["3"]
    assert (record["reached_on"], record["notes"]) == ("2026-10-05", "Action plan agreed")
    assert "stages: stage 3 reached recorded" in audit_actions(app)

    for email in (SENCO, GOVERNOR):
        school_page = Page(sign_in_as(app, email).get(SCHOOL_VIEW))
        assert school_page.status == 200
        assert "Your school has reached stage 3: Write an action plan with STS and EPS." in school_page.main_text
        assert school_page.table("Date reached")[2] == {
            "Stage": "3. Write an action plan with STS and EPS",
            "Date reached": "5 October 2026",
            "Notes": "Action plan agreed",
        }
        assert school_page.form_actions() == ["/sign-out"]  # nothing to change
        assert "/la/" not in school_page.html


def test_changing_then_clearing_a_date_reached_keeps_history_and_audits_each_change(app) -> None:
    admin = sign_in_as(app, LA_ADMIN)
    path = f"/la/schools/{OAKFIELD}/stages/5"
    post(admin, path, {**REACHED, "reached_month": "2", "reached_year": "2026"})
    post(admin, path, {**REACHED, "reached_day": "9", "reached_month": "2", "reached_year": "2026", "notes": ""})

    unchanged = post(admin, path, {**REACHED, "reached_day": "9", "reached_month": "2", "reached_year": "2026"})
    assert unchanged.status_code == 302
    assert stored(app)["reached"]["5"]["notes"] == "Action plan agreed"

    assert Page(admin.get(path)).form(path)["reached_day"] == "9"
    cleared = post(admin, path + "/clear")

    assert cleared.headers["Location"].endswith(OVERVIEW)
    document = stored(app)
    assert stages.current_stage(document) is None
    assert [(h["change"], h["reached_on"]) for h in document["history"]] == [
        ("changed", "2026-02-05"),
        ("changed", "2026-02-09"),
        ("cleared", "2026-02-09"),
    ]
    history = Page(admin.get(path)).table("What happened")
    assert [row["Date reached"] for row in history] == ["9 February 2026", "9 February 2026", "5 February 2026"]
    assert history[0]["What happened"].startswith("Cleared by Demo LA Admin")
    actions = audit_actions(app)
    assert actions.count("stages: stage 5 reached changed") == 2
    assert "stages: stage 5 reached recorded" in actions and "stages: stage 5 reached cleared" in actions


def test_an_la_user_records_changes_and_deletes_a_visit_after_confirming(app) -> None:
    reviewer = sign_in_as(app, LA_REVIEWER)
    add_visit(reviewer, hours="1.5")
    add_visit(reviewer, stage="5", kind="visit", visit_day="4", visit_month="2", visit_year="2027", hours="2.5")
    (meeting,) = [v for v in stored(app)["visits"] if v["stage"] == 3]

    overview = Page(reviewer.get(OVERVIEW))
    hours = {row["Stage"]: row for row in overview.table("Allowance")}
    assert hours["3. Write an action plan with STS and EPS"] == {
        "Stage": "3. Write an action plan with STS and EPS",
        "Allowance": "2 hours",
        "Used": "1.5 hours",
        "Planned": "0 hours",
        "Remaining": "0.5 hours",
    }
    assert hours["5. Monitoring visit"]["Planned"] == "2.5 hours"
    assert hours["5. Monitoring visit"]["Remaining"] == "Over by 0.5 hours"
    assert "Funded hours used in every round: 1.5 hours" in overview.list_items
    assert "Planned (visits booked after today): 2.5 hours" in overview.list_items
    assert "0.5 hours over its funded allowance of 2 hours" in overview.main_text
    visits_table = overview.table("Who attended")
    assert [row["Date"] for row in visits_table] == ["5 October 2026", "4 February 2027 Planned"]

    edit_path = f"/la/schools/{OAKFIELD}/visits/{meeting['id']}"
    assert Page(reviewer.get(edit_path)).form(edit_path)["hours"] == "1.5"
    before = stored(app)
    assert post(reviewer, edit_path, {**VISIT, "hours": "1.50"}).status_code == 302
    assert "You did not change anything, so the visit is as it was." in Page(reviewer.get(OVERVIEW)).messages
    assert stored(app) == before and "stages: visit changed" not in audit_actions(app)
    assert post(reviewer, edit_path, {**VISIT, "hours": "2"}).status_code == 302
    assert [v["hours"] for v in stored(app)["visits"] if v["id"] == meeting["id"]] == [2.0]

    confirm = Page(reviewer.get(edit_path + "/delete"))
    assert (confirm.status, confirm.h1) == (200, "Delete this meeting?")
    assert [v["id"] for v in stored(app)["visits"]].count(meeting["id"]) == 1  # looking deletes nothing
    assert post(reviewer, edit_path + "/delete").status_code == 302

    assert [v["stage"] for v in stored(app)["visits"]] == [5]
    assert "The meeting on 5 October 2026 has been deleted." in Page(reviewer.get(OVERVIEW)).messages
    actions = audit_actions(app)
    assert actions.count("stages: visit added") == 2
    assert "stages: visit changed" in actions and "stages: visit deleted" in actions
    assert reviewer.get(edit_path).status_code == 404


def test_after_an_award_the_pages_show_the_reaccreditation_round(app) -> None:
    with app.app_context():
        get_store().write(
            stages.AWARDS,
            OAKFIELD,
            {
                "decisions": [
                    {
                        "cycle": "2025-26",
                        "reference": "QM-900001-2025-26-ABCD",
                        "outcome": "awarded",
                        "reasons": "Strong evidence.",
                        "conditions": "",
                        "decided_on": "2026-01-20",
                        "panel": ["Chair"],
                        "recorded_by": "someone",
                        "recorded_at": "2026-01-20T12:00:00+00:00",
                        "expires_on": "2029-01-20",
                    }
                ]
            },
        )
    reviewer = sign_in_as(app, LA_REVIEWER)
    add_visit(reviewer, stage="5", kind="visit", visit_day="10", visit_month="1", visit_year="2026", hours="2")
    add_visit(reviewer, stage="5", kind="visit", visit_day="10", visit_month="11", visit_year="2026", hours="1")

    page = Page(sign_in_as(app, SENCO).get(SCHOOL_VIEW))

    assert "Reaccreditation after the award on 20 January 2026 (current round)" in page.main_text
    assert "This round ended with the award on 20 January 2026." in page.main_text
    current = {row["Stage"]: row["Remaining"] for row in page.table("Allowance")}
    assert current == {"5. Monitoring visit": "1 hour", "7. STS and EPS evaluate the evidence": "3 hours"}
    assert (
        "Remaining in the current round (Reaccreditation after the award on 20 January 2026): 4 hours of 5 hours"
        in page.list_items
    )


def test_the_school_overview_links_la_staff_to_the_stage_pages(app) -> None:
    link = f'href="/la/schools/{OAKFIELD}/stages"'
    assert link in sign_in_as(app, LA_REVIEWER).get(f"/school/{OAKFIELD}/").get_data(as_text=True)
    assert link not in sign_in_as(app, SENCO).get(f"/school/{OAKFIELD}/").get_data(as_text=True)


# 5. Bad input: a message or a 4xx, and nothing stored ----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"reached_day": "", "reached_month": "", "reached_year": ""}, "reached_day", "Enter the date the stage"),
        ({"reached_day": "31", "reached_month": "4"}, "reached_day", "must be a real date"),
        ({"reached_day": "1", "reached_month": "12"}, "reached_day", "must be today or earlier"),
        ({"notes": "n" * 5000}, "notes", "Notes must be 1,000 characters or fewer"),
        ({"notes": "<img src=x onerror=alert(1)>"}, "notes", "must not contain web page code"),
    ],
)
def test_a_bad_date_reached_is_explained_and_nothing_is_stored(app, changes, field_id, message) -> None:
    reviewer = sign_in_as(app, LA_REVIEWER)

    page = Page(post(reviewer, f"/la/schools/{OAKFIELD}/stages/3", {**REACHED, **changes}))

    assert page.status == 400 and page.title.startswith("Error: Stage 3")
    assert [href for href, _ in page.error_links] == [f"#{field_id}"]
    assert message in page.error_summary
    page.assert_error_links_lead_to_fields()
    assert stored(app) is None


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"stage": "0"}, "stage", "Choose the stage"),
        ({"stage": "11"}, "stage", "Choose the stage"),
        ({"stage": "x"}, "stage", "Choose the stage"),
        ({"kind": ""}, "kind-0", "Choose what it was"),
        ({"visit_day": "", "visit_month": "", "visit_year": ""}, "visit_day", "Enter the date of the visit"),
        ({"visit_day": "29", "visit_month": "2", "visit_year": "2027"}, "visit_day", "must be a real date"),
        ({"visit_year": "2031"}, "visit_day", "visits can be planned up to 2 years ahead"),
        ({"hours": "0"}, "hours", "Hours must be more than 0"),
        ({"hours": "-2"}, "hours", "Hours must be more than 0"),
        ({"hours": "25"}, "hours", "Hours must be 24 or fewer"),
        ({"hours": "abc"}, "hours", "Hours must be a number"),
        ({"hours": "1.3"}, "hours", "Hours must be in quarter hours"),
        ({"hours": ""}, "hours", "Enter the hours used"),
        ({"attended": "a" * 201}, "attended", "Who attended must be 200 characters or fewer"),
        ({"notes": "n" * 20_000}, "notes", "Notes must be 1,000 characters or fewer"),  # the longest any box takes
        ({"notes": "</textarea><script>alert(1)</script>"}, "notes", "must not contain web page code"),
    ],
)
def test_a_bad_visit_is_explained_and_nothing_is_stored(app, changes, field_id, message) -> None:
    reviewer = sign_in_as(app, LA_REVIEWER)

    page = Page(post(reviewer, NEW_VISIT, {**VISIT, **changes}))

    assert page.status == 400 and page.title.startswith("Error: Record a visit or meeting")
    assert [href for href, _ in page.error_links] == [f"#{field_id}"]
    assert message in page.error_summary
    page.assert_error_links_lead_to_fields()
    assert "<script>alert(1)" not in page.html
    assert stored(app) is None


def test_a_bad_change_to_a_visit_keeps_the_visit_as_it_was(app) -> None:
    reviewer = sign_in_as(app, LA_REVIEWER)
    add_visit(reviewer)
    before = stored(app)
    path = f"/la/schools/{OAKFIELD}/visits/{only_visit_id(app)}"

    page = Page(post(reviewer, path, {**VISIT, "hours": "1.3", "stage": "11"}))

    assert page.status == 400 and page.title.startswith("Error: Change a visit or meeting")
    assert [message for _, message in page.error_links] == [
        "Choose the stage the visit or meeting was for",
        "Hours must be in quarter hours, for example 1.25, 1.5 or 1.75",
    ]
    assert stored(app) == before


@pytest.mark.parametrize("stage_number", ["0", "11", "x", "03", "-1", "1" * 50, "３"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unknown_stage_is_not_found(app, stage_number, method) -> None:
    reviewer = sign_in_as(app, LA_REVIEWER)
    path = f"/la/schools/{OAKFIELD}/stages/{stage_number}"

    response = reviewer.get(path) if method == "GET" else post(reviewer, path, REACHED)

    assert response.status_code == 404 and Page(response).title == NOT_FOUND
    assert post(reviewer, path + "/clear").status_code == 404
    assert stored(app) is None


def test_a_visit_of_another_school_or_of_nowhere_is_not_found(app) -> None:
    reviewer = sign_in_as(app, LA_REVIEWER)
    post(reviewer, f"/la/schools/{HILLCREST}/visits/new", VISIT)
    hillcrest_visit = only_visit_id(app, HILLCREST)
    add_visit(reviewer)
    before = (stored(app), stored(app, HILLCREST))

    for visit_id in (hillcrest_visit, "0" * 16, "no-such-visit", "x" * 300):
        for path in (f"/la/schools/{OAKFIELD}/visits/{visit_id}", f"/la/schools/{OAKFIELD}/visits/{visit_id}/delete"):
            assert reviewer.get(path).status_code == 404, path
            assert post(reviewer, path, VISIT).status_code == 404, path

    assert (stored(app), stored(app, HILLCREST)) == before


@pytest.mark.parametrize(
    "path",
    [
        "/la/schools/999999/stages",
        "/la/schools/999999/stages/3",
        "/la/schools/999999/visits/new",
        "/school/999999/stages",
    ],
)
def test_an_unknown_school_is_not_found(app, path) -> None:
    assert sign_in_as(app, LA_ADMIN).get(path).status_code == 404


def test_posts_to_an_unknown_school_store_nothing(app) -> None:
    admin = sign_in_as(app, LA_ADMIN)

    assert post(admin, "/la/schools/999999/stages/3", REACHED).status_code == 404
    assert post(admin, "/la/schools/999999/visits/new", VISIT).status_code == 404
    assert post(admin, "/la/schools/999999/stages/3/clear").status_code == 404
    assert stored(app, "999999") is None


def test_every_change_without_a_csrf_token_is_refused_and_stores_nothing(app) -> None:
    reviewer = sign_in_as(app, LA_REVIEWER)
    post(reviewer, f"/la/schools/{OAKFIELD}/stages/3", REACHED)
    add_visit(reviewer)
    before = stored(app)
    visit_path = f"/la/schools/{OAKFIELD}/visits/{only_visit_id(app)}"

    for path, data in [
        (f"/la/schools/{OAKFIELD}/stages/4", REACHED),
        (f"/la/schools/{OAKFIELD}/stages/3/clear", {}),
        (NEW_VISIT, VISIT),
        (visit_path, {**VISIT, "hours": "1"}),
        (visit_path + "/delete", {}),
    ]:
        response = reviewer.post(path, data=data)
        assert response.status_code == 400, path
        assert "Reload the page and try again" in Page(response).main_text

    assert stored(app) == before


def test_the_visit_form_offers_each_stage_and_kind(app) -> None:
    page = Page(sign_in_as(app, LA_REVIEWER).get(NEW_VISIT + "?stage=5"))

    options = [(o.attrs.get("value"), "selected" in o.attrs) for o in page.root.find_all("option")]
    assert [value for value, _ in options] == ["", *(str(n) for n in range(1, 11))]
    assert [value for value, selected in options if selected] == ["5"]
    with_hours = [o.text for o in page.root.find_all("option") if "funded hours" in o.text]
    assert with_hours == [
        "Stage 3: Write an action plan with STS and EPS (2 funded hours)",
        "Stage 5: Monitoring visit (2 funded hours)",
        "Stage 7: STS and EPS evaluate the evidence (3 funded hours)",
    ]
    unknown = Page(sign_in_as(app, LA_REVIEWER).get(NEW_VISIT + "?stage=11"))
    assert [o.attrs.get("value") for o in unknown.root.find_all("option") if "selected" in o.attrs] == [""]


def test_a_school_cannot_have_more_visits_than_a_document_holds(app, monkeypatch) -> None:
    monkeypatch.setattr(stages, "MAX_VISITS", 2)
    reviewer = sign_in_as(app, LA_REVIEWER)
    add_visit(reviewer)
    add_visit(reviewer, hours="1")
    before = stored(app)

    page = Page(post(reviewer, NEW_VISIT, VISIT))

    assert page.status == 400
    assert "A school can have at most 2 visits and meetings recorded" in page.error_summary
    assert stored(app) == before
