"""Which reminder emails are due today: a pure function of the dates, each school's state and what was sent.

Pure: no store, no Flask. The package (`form_service.reminders`) gathers the inputs, sends what
`plan_reminders` returns and records it.

Three kinds of reminder, each sent at the points (whole days before a date) the LA sets in content/reminders.yaml:

* **not started**: a registered school has not begun this cycle's self-evaluation (no document, or no answers);
* **not submitted**: a school has begun, or had its submission returned for amendments, and not (re)submitted;
* **award expiring**: a school's award runs out (``expires_on`` of its latest award).

Windows. A point is due from its day until the day of the next (smaller) point, and never after the deadline
day or on or after the day an award runs out. Only the latest point whose day has come is ever due, so a run
missed for a few days still sends that point, but never an earlier, stale one as well.

Deadline reminders form one series per school, cycle and deadline: "not started" and "not submitted" share
each point, so a school that starts between two points is not told twice at one point. A school with an
extension is reminded against its own deadline (a new series: the reminder keys carry the deadline date).
A school whose award runs past the following year's deadline is not asked to take part in this cycle (it
hears about its award running out instead); once it has begun, it is reminded to submit like everyone else.
An award-expiry reminder is not sent while the school's submission for this cycle is with the LA.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from quality_mark.model import LONDON, Cycle, ReminderPoints
from quality_mark.wording import clock_time, long_date

from ..workflow import award_expiry, latest_award

Kind = Literal["not_started", "not_submitted", "award_expiring"]

KIND_LABELS: dict[str, str] = {
    "not_started": "Not started",
    "not_submitted": "Not submitted",
    "award_expiring": "Award expiring",
}

# Statuses in which the school has nothing to submit for this cycle: its submission is with the LA, or decided.
_SUBMITTED = ("submitted", "under_review", "at_panel", "awarded", "not_awarded")
_WITH_THE_LA = ("submitted", "under_review", "at_panel")
# Who is emailed: the people who can act on a reminder. Viewers (governors, senior leaders) only read.
EMAILED_ROLES = ("admin", "contributor")


@dataclass(frozen=True)
class Recipient:
    user_id: str
    email: str
    name: str
    role: str  # "admin" or "contributor"


@dataclass(frozen=True)
class SchoolState:
    """What the planner needs to know about one school, read from the store by the caller."""

    urn: str
    name: str
    evaluation: dict[str, Any] | None  # self_evaluations/<urn>-<cycle>, None if not begun
    awards: dict[str, Any] | None  # awards/<urn>, None if never decided
    team: tuple[Recipient, ...]  # every current member with their role (viewers are not emailed)


@dataclass(frozen=True)
class Reminder:
    """One email due: who gets it, about what, and the key that records it was sent (once only)."""

    urn: str
    school_name: str
    kind: Kind
    days_before: int
    recipient: Recipient
    key: str
    deadline: datetime | None = None  # deadline reminders: the school's deadline (Europe/London)
    expires_on: date | None = None  # award reminders: the day the award runs out

    @property
    def target_date(self) -> date:
        assert self.deadline is not None or self.expires_on is not None
        return self.deadline.date() if self.deadline is not None else self.expires_on  # type: ignore[return-value]


@dataclass(frozen=True)
class NoOneToEmail:
    """A reminder that is due, for a school with no one who can be emailed (not registered, or only viewers)."""

    urn: str
    school_name: str
    kind: Kind
    days_before: int
    registered: bool  # False: no members at all; True: members, but none who can be emailed (only viewers)
    deadline: datetime | None = None
    expires_on: date | None = None

    @property
    def reason(self) -> str:
        if not self.registered:
            return "not registered, so there is no team"
        return "the team has no school lead or contributor, only viewers"


@dataclass(frozen=True)
class ReminderPlan:
    today: date
    reminders: tuple[Reminder, ...]
    no_one_to_email: tuple[NoOneToEmail, ...]


def due_point(days_before: Iterable[int], target: date, today: date, last_day: date) -> int | None:
    """The latest point (days before `target`) whose day has come, or None before the first or after `last_day`."""
    if today > last_day:
        return None
    come = [days for days in days_before if target - timedelta(days=days) <= today]
    return min(come) if come else None


def school_deadline(evaluation: dict[str, Any] | None, cycle: Cycle) -> datetime:
    """The cycle's deadline, or the school's own if the LA extended it (as `self_evaluation.deadline_for`)."""
    extension = (evaluation or {}).get("extension_until")
    return datetime.fromisoformat(extension).astimezone(LONDON) if extension else cycle.submission_deadline


def deadline_kind(school: SchoolState, deadline: datetime, today: date) -> Kind | None:
    """Whether the school is to be reminded of the deadline, and as which kind, or None."""
    evaluation = school.evaluation or {}
    status = evaluation.get("status")
    if status in _SUBMITTED:
        return None
    if status == "returned" or (status == "in_progress" and evaluation.get("answers")):
        return "not_submitted"
    award = latest_award(school.awards)
    if award is not None and date.fromisoformat(award["decided_on"]) <= today:
        next_deadline = award_expiry(deadline.date(), 1)
        if date.fromisoformat(award["expires_on"]) > next_deadline:
            return None
    return "not_started"


def deadline_key(urn: str, cycle_id: str, deadline: datetime, days: int, user_id: str) -> str:
    return f"{urn}.{cycle_id}.deadline.{deadline.date().isoformat()}.{days}.{user_id}"


def expiry_key(urn: str, expires_on: date, days: int, user_id: str) -> str:
    return f"{urn}.award.{expires_on.isoformat()}.{days}.{user_id}"


def plan_reminders(
    today: date,
    cycle: Cycle,
    points: ReminderPoints,
    schools: Iterable[SchoolState],
    sent: Container[str],
) -> ReminderPlan:
    """Every reminder due `today` and not yet sent (its key is not in `sent`), and the due ones no one can get.

    `sent` holds the keys of reminders already recorded (sent, or being sent by a run that may have stopped).
    """
    reminders: list[Reminder] = []
    unreachable: list[NoOneToEmail] = []
    for school in schools:
        recipients = [person for person in school.team if person.role in EMAILED_ROLES]
        deadline = school_deadline(school.evaluation, cycle)
        kind = deadline_kind(school, deadline, today)
        days = due_point(points.before_deadline, deadline.date(), today, deadline.date()) if kind else None
        if kind and days is not None:
            if not recipients:
                unreachable.append(
                    NoOneToEmail(school.urn, school.name, kind, days, bool(school.team), deadline=deadline)
                )
            for person in recipients:
                key = deadline_key(school.urn, cycle.id, deadline, days, person.user_id)
                if key not in sent:
                    reminders.append(Reminder(school.urn, school.name, kind, days, person, key, deadline=deadline))
        award = latest_award(school.awards)
        if award is None or date.fromisoformat(award["decided_on"]) > today:
            continue
        if (school.evaluation or {}).get("status") in _WITH_THE_LA:
            continue
        expires_on = date.fromisoformat(award["expires_on"])
        days = due_point(points.before_expiry, expires_on, today, expires_on - timedelta(days=1))
        if days is None:
            continue
        if not recipients:
            unreachable.append(
                NoOneToEmail(school.urn, school.name, "award_expiring", days, bool(school.team), expires_on=expires_on)
            )
        for person in recipients:
            key = expiry_key(school.urn, expires_on, days, person.user_id)
            if key not in sent:
                reminders.append(
                    Reminder(school.urn, school.name, "award_expiring", days, person, key, expires_on=expires_on)
                )
    reminders.sort(key=lambda r: (r.school_name.lower(), r.urn, r.kind, r.recipient.email))
    unreachable.sort(key=lambda r: (r.school_name.lower(), r.urn, r.kind))
    return ReminderPlan(today, tuple(reminders), tuple(unreachable))


# --- wording ------------------------------------------------------------------------------------------------


def deadline_words(deadline: datetime) -> str:
    """'11:59pm on Thursday 30 September 2027'."""
    local = deadline.astimezone(LONDON)
    return f"{clock_time(local)} on {long_date(local.date())}"


def describe(reminder: Reminder | NoOneToEmail) -> str:
    """What the reminder is about, in plain English.

    'Not started: 28 days before the deadline (11:59pm on Thursday 30 September 2027)'
    'Award expiring: 180 days before it runs out (Thursday 9 December 2027)'
    """
    label = KIND_LABELS[reminder.kind]
    if reminder.deadline is not None:
        return f"{label}: {days_words(reminder.days_before)} before the deadline ({deadline_words(reminder.deadline)})"
    assert reminder.expires_on is not None
    return f"{label}: {days_words(reminder.days_before)} before it runs out ({long_date(reminder.expires_on)})"


def days_words(days: int) -> str:
    """'1 day', '28 days'."""
    return f"{days} day" if days == 1 else f"{days} days"


def days_left(today: date, target: date) -> str:
    """'today', 'tomorrow', 'in 28 days'."""
    days = (target - today).days
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
