"""Which reminders are due on a given day: the planner on hand-made schools, dates and records of what was sent.

The cycle's deadline is 11:59pm on Thursday 30 September 2027; the LA's points are 56, 28, 7 and 1 days before
it, and 365, 180 and 60 days before an award runs out (as in content/reminders.yaml).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from form_service.reminders.plan import (
    NoOneToEmail,
    Recipient,
    ReminderPlan,
    SchoolState,
    deadline_key,
    describe,
    expiry_key,
    plan_reminders,
)
from quality_mark.model import LONDON, Cycle, ReminderPoints

DEADLINE = datetime(2027, 9, 30, 23, 59, tzinfo=LONDON)
CYCLE = Cycle("2026-27", "2026 to 2027", date(2026, 6, 11), DEADLINE, ())
POINTS = ReminderPoints("inclusion-team", (56, 28, 7, 1), (365, 180, 60))

LEAD = Recipient("lead-id", "senco@oakfield.example.org", "Sam Lead", "admin")
MATHS = Recipient("maths-id", "maths@oakfield.example.org", "Ash Maths", "contributor")
GOVERNOR = Recipient("governor-id", "governor@oakfield.example.org", "Gil Governor", "viewer")
TEAM = (LEAD, MATHS, GOVERNOR)
EMAILED = ["maths@oakfield.example.org", "senco@oakfield.example.org"]


def days_before(days: int, target: date | None = None) -> date:
    """The day `days` before `target` (by default the deadline day)."""
    return (target or DEADLINE.date()) - timedelta(days=days)


def school(
    status: str | None = None,
    answers: bool = False,
    team: tuple[Recipient, ...] = TEAM,
    awarded_on: str | None = None,
    extension_until: str | None = None,
    urn: str = "900001",
    name: str = "Oakfield Primary School",
    outcome: str = "awarded",
) -> SchoolState:
    """A school in the shapes workflow.py documents: its self-evaluation (if begun) and its awards (if any)."""
    evaluation: dict[str, Any] | None = None
    if status is not None:
        evaluation = {"urn": urn, "cycle": "2026-27", "status": status, "answers": {}}
        if answers:
            evaluation["answers"] = {
                "PRI-LEAD-01": {"rating": 3, "commentary": "Our vision is shared.", "evidence": []}
            }
        if extension_until:
            evaluation["extension_until"] = extension_until
    awards = None
    if awarded_on:
        decided = date.fromisoformat(awarded_on)
        decision = {"cycle": "2023-24", "reference": "QM-1", "outcome": outcome, "decided_on": awarded_on}
        if outcome == "awarded":
            decision["expires_on"] = decided.replace(year=decided.year + 3).isoformat()
        awards = {"decisions": [decision]}
    return SchoolState(urn, name, evaluation, awards, team)


def plan(today: date, *schools: SchoolState, sent: set[str] | None = None) -> ReminderPlan:
    return plan_reminders(today, CYCLE, POINTS, schools, sent or set())


def due(result: ReminderPlan) -> list[tuple[str, str, int, str]]:
    """(URN, kind, days before, recipient email) of each reminder due."""
    return [(r.urn, r.kind, r.days_before, r.recipient.email) for r in result.reminders]


def reminders_to_oakfield(kind: str, days: int) -> list[tuple[str, str, int, str]]:
    return [("900001", kind, days, email) for email in EMAILED]


# --- before the deadline ----------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [56, 28, 7, 1])
def test_a_school_that_has_not_started_is_reminded_on_each_points_day(days: int) -> None:
    result = plan(days_before(days), school())

    assert due(result) == reminders_to_oakfield("not_started", days)
    assert result.no_one_to_email == ()


@pytest.mark.parametrize("days", [56, 28, 7, 1])
def test_a_school_that_has_started_and_not_submitted_is_reminded_on_each_points_day(days: int) -> None:
    assert due(plan(days_before(days), school("in_progress", answers=True))) == reminders_to_oakfield(
        "not_submitted", days
    )


def test_a_self_evaluation_opened_but_with_no_answers_counts_as_not_started() -> None:
    assert due(plan(days_before(7), school("in_progress"))) == reminders_to_oakfield("not_started", 7)


def test_a_school_whose_submission_was_returned_is_reminded_to_submit_again() -> None:
    assert due(plan(days_before(7), school("returned", answers=True))) == reminders_to_oakfield("not_submitted", 7)


@pytest.mark.parametrize("status", ["submitted", "under_review", "at_panel", "awarded", "not_awarded"])
def test_a_school_that_has_submitted_gets_no_deadline_reminder(status: str) -> None:
    result = plan(days_before(7), school(status, answers=True))

    assert result.reminders == () and result.no_one_to_email == ()


def test_viewers_such_as_governors_are_not_emailed() -> None:
    recipients = {r.recipient.email for r in plan(days_before(28), school()).reminders}

    assert GOVERNOR.email not in recipients and recipients == set(EMAILED)


def test_nothing_is_due_before_the_first_point() -> None:
    assert plan(days_before(57), school()).reminders == ()


def test_a_point_stays_due_until_the_next_points_day_so_a_missed_run_still_sends_it() -> None:
    # The 28-day point's window runs from 2 September to 22 September; a scheduler down for days still sends it.
    for today in (days_before(28), days_before(20), days_before(8)):
        assert due(plan(today, school())) == reminders_to_oakfield("not_started", 28), today


def test_a_run_missed_across_several_points_sends_only_the_latest_never_the_stale_ones() -> None:
    # Nothing ran since before the 56-day point: on the 5th day before the deadline only the 7-day point is sent.
    assert due(plan(days_before(5), school())) == reminders_to_oakfield("not_started", 7)


def test_the_last_point_is_due_on_the_deadline_day_and_nothing_after_it() -> None:
    assert due(plan(DEADLINE.date(), school())) == reminders_to_oakfield("not_started", 1)
    assert plan(DEADLINE.date() + timedelta(days=1), school("in_progress", answers=True)).reminders == ()


def test_a_reminder_already_sent_is_not_due_again() -> None:
    sent = {deadline_key("900001", "2026-27", DEADLINE, 28, person.user_id) for person in (LEAD, MATHS)}

    assert plan(days_before(27), school(), sent=sent).reminders == ()
    assert due(plan(days_before(7), school(), sent=sent)) == reminders_to_oakfield("not_started", 7)


def test_a_reminder_sent_to_one_person_is_still_due_to_another() -> None:
    sent = {deadline_key("900001", "2026-27", DEADLINE, 28, LEAD.user_id)}

    assert due(plan(days_before(28), school(), sent=sent)) == [("900001", "not_started", 28, MATHS.email)]


def test_a_school_that_starts_between_points_is_not_told_again_at_the_same_point() -> None:
    """'Not started' and 'not submitted' share the points: one reminder per point, whichever applies."""
    sent = {deadline_key("900001", "2026-27", DEADLINE, 28, person.user_id) for person in (LEAD, MATHS)}

    assert plan(days_before(20), school("in_progress", answers=True), sent=sent).reminders == ()
    assert due(plan(days_before(7), school("in_progress", answers=True), sent=sent)) == reminders_to_oakfield(
        "not_submitted", 7
    )


# --- extensions -----------------------------------------------------------------------------------------------

EXTENDED = "2027-10-14T23:59:00+01:00"  # 14 days after the usual deadline


def test_a_school_with_an_extension_is_reminded_against_its_own_deadline() -> None:
    extended = school("in_progress", answers=True, extension_until=EXTENDED)
    others = school("in_progress", answers=True, urn="900004", name="Hillcrest Academy")

    result = plan(date(2027, 10, 7), extended, others)

    assert due(result) == reminders_to_oakfield("not_submitted", 7)
    (reminder, _) = result.reminders
    assert reminder.deadline == datetime(2027, 10, 14, 23, 59, tzinfo=LONDON)
    assert describe(reminder) == "Not submitted: 7 days before the deadline (11:59pm on Thursday 14 October 2027)"


def test_an_extension_after_a_point_was_sent_starts_a_new_series_against_the_new_deadline() -> None:
    sent = {deadline_key("900001", "2026-27", DEADLINE, 1, person.user_id) for person in (LEAD, MATHS)}
    extended = school("in_progress", answers=True, extension_until=EXTENDED)

    assert due(plan(date(2027, 10, 1), extended, sent=sent)) == reminders_to_oakfield("not_submitted", 28)
    assert plan(date(2027, 10, 15), extended, sent=sent).reminders == ()


# --- schools no one can be emailed at --------------------------------------------------------------------------


def test_a_school_that_has_not_registered_is_listed_as_no_one_to_email() -> None:
    result = plan(days_before(28), school(team=(), urn="900002", name="Riverside Community Primary School"))

    assert result.reminders == ()
    assert result.no_one_to_email == (
        NoOneToEmail("900002", "Riverside Community Primary School", "not_started", 28, False, deadline=DEADLINE),
    )
    assert result.no_one_to_email[0].reason == "not registered, so there is no team"


def test_a_team_of_viewers_only_is_listed_as_no_one_to_email_with_its_own_reason() -> None:
    (item,) = plan(days_before(28), school(team=(GOVERNOR,))).no_one_to_email

    assert item.registered and item.reason == "the team has no school lead or contributor, only viewers"


# --- awards running out ------------------------------------------------------------------------------------------

AWARDED_ON = "2024-12-09"  # runs out on 9 December 2027
EXPIRES = date(2027, 12, 9)


@pytest.mark.parametrize("days", [365, 180, 60])
def test_a_school_is_reminded_on_each_points_day_before_its_award_runs_out(days: int) -> None:
    result = plan(days_before(days, EXPIRES), school(awarded_on=AWARDED_ON))

    assert due(result) == reminders_to_oakfield("award_expiring", days)
    assert result.reminders[0].expires_on == EXPIRES


def test_the_last_award_point_is_due_until_the_day_before_it_runs_out_and_never_after() -> None:
    assert due(plan(date(2027, 12, 8), school(awarded_on=AWARDED_ON))) == reminders_to_oakfield("award_expiring", 60)
    assert plan(EXPIRES, school(awarded_on=AWARDED_ON)).reminders == ()


def test_an_award_reminder_already_sent_is_not_due_again_and_the_next_point_is() -> None:
    sent = {expiry_key("900001", EXPIRES, 365, person.user_id) for person in (LEAD, MATHS)}

    assert plan(days_before(300, EXPIRES), school(awarded_on=AWARDED_ON), sent=sent).reminders == ()
    assert due(plan(days_before(180, EXPIRES), school(awarded_on=AWARDED_ON), sent=sent)) == reminders_to_oakfield(
        "award_expiring", 180
    )


def test_a_school_whose_reaccreditation_is_with_the_la_gets_no_award_reminder() -> None:
    assert plan(days_before(60, EXPIRES), school("under_review", answers=True, awarded_on=AWARDED_ON)).reminders == ()


def test_a_decision_not_to_award_or_a_decision_dated_later_sends_no_award_reminder() -> None:
    assert plan(days_before(60, EXPIRES), school(awarded_on=AWARDED_ON, outcome="not_awarded")).reminders == ()
    assert plan(date(2024, 12, 8), school(awarded_on="2024-12-09")).reminders == ()


def test_an_award_running_out_before_next_years_deadline_means_taking_part_this_cycle() -> None:
    # Runs out 9 December 2027, before the 2028 deadline: reaccreditation is this cycle, so "not started" applies.
    result = plan(days_before(28), school(awarded_on=AWARDED_ON))

    assert due(result) == reminders_to_oakfield("award_expiring", 180) + reminders_to_oakfield("not_started", 28)


def test_a_school_whose_award_runs_past_next_years_deadline_is_not_asked_to_start_this_cycle() -> None:
    recent = "2025-12-10"  # runs out 10 December 2028, after the 2028 deadline

    assert plan(days_before(28), school(awarded_on=recent)).reminders == ()
    # ...but once it has begun, it is reminded to submit like everyone else
    assert due(plan(days_before(28), school("in_progress", answers=True, awarded_on=recent))) == (
        reminders_to_oakfield("not_submitted", 28)
    )


def test_an_unregistered_school_with_an_award_running_out_is_listed_as_no_one_to_email() -> None:
    (item,) = plan(days_before(180, EXPIRES), school(team=(), awarded_on=AWARDED_ON)).no_one_to_email

    assert (item.kind, item.days_before, item.expires_on) == ("award_expiring", 180, EXPIRES)
    assert describe(item) == "Award expiring: 180 days before it runs out (Thursday 9 December 2027)"


def test_reminders_are_listed_by_school_name_then_kind_then_recipient() -> None:
    schools = (
        school(urn="900004", name="Hillcrest Academy", team=(MATHS, LEAD)),
        school(),
        school(urn="900003", name="Ashgrove School", awarded_on="2024-11-10", team=(LEAD,)),
    )

    result = plan(days_before(28), *schools)

    assert [(r.school_name, r.kind, r.recipient.email) for r in result.reminders] == [
        ("Ashgrove School", "award_expiring", LEAD.email),
        ("Ashgrove School", "not_started", LEAD.email),
        ("Hillcrest Academy", "not_started", MATHS.email),
        ("Hillcrest Academy", "not_started", LEAD.email),
        ("Oakfield Primary School", "not_started", MATHS.email),
        ("Oakfield Primary School", "not_started", LEAD.email),
    ]
