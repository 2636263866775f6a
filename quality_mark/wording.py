"""Dates, times and numbers written the way a public service writes them (GOV.UK style)."""

from __future__ import annotations

from datetime import date, datetime


def long_date(day: date) -> str:
    """'Wednesday 30 September 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """'30 September 2026'."""
    return f"{day.day} {day:%B %Y}"


def clock_time(moment: datetime) -> str:
    """'11:59pm', '9am', '4:30pm'."""
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def hours(value: float) -> str:
    """'2 hours', '1 hour', '1.5 hours'."""
    number = f"{value:g}"
    return f"{number} hour" if value == 1 else f"{number} hours"
