"""What LA staff type about a school's stages and visits, checked: a draft to store, or the problems to show.

Pure: plain functions of what was typed, the content's timeline and today's date (Europe/London), so the
rules can be tested without a browser. Each problem names the form field it is about (the error summary
links to it) and says what to do, in plain English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from quality_mark.model import Timeline

from ..core.form_fields import Problems, checked_text, field_text
from .stages import ATTENDED_LIMIT, KINDS, NOTES_LIMIT, ReachedDraft, VisitDraft

# Nobody ran this Quality Mark before 2000: an earlier year is a typing mistake (e.g. 0202 for 2026).
EARLIEST = date(2000, 1, 1)
# Visits may be planned ahead, but not further than this: a year of 2062 is a typing mistake.
PLAN_AHEAD_YEARS = 2
MAX_HOURS = Decimal(24)

_DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")  # ASCII digits only: str.isdigit() also accepts "²"
_YEAR = re.compile(r"[0-9]{4}")
_NUMBER = re.compile(r"[+-]?[0-9]{0,6}(?:\.[0-9]{0,6})?")
# Something a browser would read as the start of a tag or comment; a lone "<" as in "< 90%" is allowed.


def in_words(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def latest_visit_date(today: date) -> date:
    try:
        return today.replace(year=today.year + PLAN_AHEAD_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + PLAN_AHEAD_YEARS, day=28)


def check_date(raw: Mapping[str, Any], prefix: str, what: str) -> tuple[date | None, Problems]:
    """A date from the fields `<prefix>_day`, `_month` and `_year` (not before 2000), or the one problem to show.

    `what` names the date in messages ("The date the stage was reached"); the problem is linked to the
    part at fault.
    """
    names = (f"{prefix}_day", f"{prefix}_month", f"{prefix}_year")
    texts = {name: field_text(raw, name, one_line=True) for name in names}
    day_text, month_text, year_text = texts.values()
    if not any(texts.values()):
        return None, [(names[0], f"Enter {what[0].lower()}{what[1:]}, for example 27 3 2026")]
    missing = [name for name, text in texts.items() if not text]
    if missing:
        parts = " and a ".join(name.removeprefix(prefix + "_") for name in missing)
        return None, [(missing[0], f"{what} must include a {parts}")]
    not_real = f"{what} must be a real date, for example 27 3 2026"
    if not _DAY_OR_MONTH.fullmatch(day_text):
        return None, [(names[0], not_real)]
    if not _DAY_OR_MONTH.fullmatch(month_text) or not 1 <= int(month_text) <= 12:
        return None, [(names[1], not_real)]
    if not _YEAR.fullmatch(year_text):
        return None, [(names[2], "The year must include 4 numbers, for example 2026")]
    try:
        when = date(int(year_text), int(month_text), int(day_text))
    except ValueError:
        return None, [(names[0], not_real)]
    if when < EARLIEST:
        return None, [(names[2], f"{what} must be on or after {in_words(EARLIEST)}")]
    return when, []


def check_reached(raw: Mapping[str, Any], today: date) -> tuple[ReachedDraft | None, Problems]:
    """The date a stage was reached (not in the future: today is Europe/London's) and optional notes."""
    problems: Problems = []
    reached_on, date_problems = check_date(raw, "reached", "The date the stage was reached")
    if reached_on is not None and reached_on > today:
        reached_on, date_problems = None, [("reached_day", "The date the stage was reached must be today or earlier")]
    problems += date_problems
    notes = checked_text(problems, raw, "notes", "Notes", NOTES_LIMIT, one_line=False)
    if problems or reached_on is None:
        return None, problems
    return ReachedDraft(reached_on, notes), []


def parse_hours(text: str) -> tuple[float | None, str | None]:
    """Hours as typed ("2", "1.5", "0.25"): the number, or the message to show."""
    text = text.strip()
    if not text:
        return None, "Enter the hours used, for example 2 or 1.5"
    if not _NUMBER.fullmatch(text) or not any(character.isdigit() for character in text):
        return None, "Hours must be a number, for example 2 or 1.5"
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, "Hours must be a number, for example 2 or 1.5"
    if value <= 0:
        return None, "Hours must be more than 0"
    if value > MAX_HOURS:
        return None, "Hours must be 24 or fewer"
    if (value * 4) % 1:
        return None, "Hours must be in quarter hours, for example 1.25, 1.5 or 1.75"
    return float(value), None


def check_visit(raw: Mapping[str, Any], timeline: Timeline, today: date) -> tuple[VisitDraft | None, Problems]:
    """A visit or meeting as typed; the draft, or every problem in the order of the page."""
    problems: Problems = []
    stage_text = field_text(raw, "stage", one_line=True)
    numbers = {str(stage.number): stage.number for stage in timeline.stages}
    stage = numbers.get(stage_text)
    if stage is None:
        problems.append(("stage", "Choose the stage the visit or meeting was for"))
    kind = field_text(raw, "kind", one_line=True)
    if kind not in KINDS:
        problems.append(("kind", "Choose what it was: a meeting, a visit, an evaluation of evidence or something else"))
    latest = latest_visit_date(today)
    on, date_problems = check_date(raw, "visit", "The date of the visit or meeting")
    if on is not None and on > latest:
        ahead = f"must be on or before {in_words(latest)}: visits can be planned up to {PLAN_AHEAD_YEARS} years ahead"
        on, date_problems = None, [("visit_day", f"The date of the visit or meeting {ahead}")]
    problems += date_problems
    hours, hours_problem = parse_hours(field_text(raw, "hours", one_line=True))
    if hours_problem:
        problems.append(("hours", hours_problem))
    attended = checked_text(problems, raw, "attended", "Who attended", ATTENDED_LIMIT, one_line=True)
    notes = checked_text(problems, raw, "notes", "Notes", NOTES_LIMIT, one_line=False)
    if problems or stage is None or on is None or hours is None:
        return None, problems
    return VisitDraft(stage, kind, on, hours, attended, notes), []
