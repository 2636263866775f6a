"""The key dates as an iCalendar (RFC 5545) feed that Outlook, Google Calendar and Apple Calendar import.

Written with the `icalendar` library, which escapes text, folds long lines and writes the time zone.
Deterministic: the same key dates give the same bytes (DTSTAMP is the content's 'updated' date).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import icalendar

from .model import KeyDates

PRODUCT_ID = "-//SEND and Inclusion Quality Mark//Key dates//EN"
UID_DOMAIN = "send-inclusion-quality-mark"
TIMEZONE = "Europe/London"


def london_timezone() -> icalendar.Timezone:
    """Europe/London since 1996, as two yearly rules: BST from 01:00 on the last Sunday of March to 02:00 on
    the last Sunday of October. (Calendar apps need the rules, not a list of every change.)"""
    zone = icalendar.Timezone()
    zone.add("TZID", TIMEZONE)
    for kind, name, starts, offset_from, offset_to, month in (
        (icalendar.TimezoneDaylight, "BST", datetime(1970, 3, 29, 1), 0, 1, 3),
        (icalendar.TimezoneStandard, "GMT", datetime(1970, 10, 25, 2), 1, 0, 10),
    ):
        observance = kind()
        observance.add("TZOFFSETFROM", timedelta(hours=offset_from))
        observance.add("TZOFFSETTO", timedelta(hours=offset_to))
        observance.add("TZNAME", name)
        observance.add("DTSTART", starts)
        observance.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": "-1SU"})
        zone.add_component(observance)
    return zone


def _event(
    uid: str,
    stamp: date,
    starts: date | datetime,
    summary: str,
    description: str,
    duration: timedelta | None = None,
    alarm: bool = False,
) -> icalendar.Event:
    """An all-day event when `starts` is a date; else one that lasts `duration`, in London time."""
    event = icalendar.Event()
    event.add("UID", f"{uid}@{UID_DOMAIN}")
    event.add("DTSTAMP", datetime.combine(stamp, time(), tzinfo=UTC))
    if isinstance(starts, datetime):
        event.add("DTSTART", starts.replace(tzinfo=None), parameters={"TZID": TIMEZONE})
        event.add("DURATION", duration)
    else:
        event.add("DTSTART", starts)
        event.add("DTEND", starts + timedelta(days=1))
    event.add("SUMMARY", summary)
    event.add("DESCRIPTION", description)
    event.add("TRANSP", "TRANSPARENT")
    if alarm:
        reminder = icalendar.Alarm()
        reminder.add("ACTION", "DISPLAY")
        reminder.add("TRIGGER", timedelta(days=-7))
        reminder.add("DESCRIPTION", f"One week to go: {summary}")
        event.add_component(reminder)
    return event


def calendar_feed(key_dates: KeyDates, site_name: str = "SEND and Inclusion Quality Mark") -> str:
    """Every cycle's registration date, deadline and events as one iCalendar file (CRLF line ends)."""
    stamp = key_dates.updated
    calendar = icalendar.Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODUCT_ID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", f"{site_name}: key dates")
    calendar.add("X-WR-TIMEZONE", TIMEZONE)
    calendar.add_component(london_timezone())
    for cycle in key_dates.cycles:
        calendar.add_component(
            _event(
                f"{cycle.id}-registration-opens",
                stamp,
                cycle.registration_opens,
                f"{site_name}: registration opens ({cycle.title})",
                "Schools can register for the Quality Mark online from today.",
            )
        )
        calendar.add_component(
            _event(
                f"{cycle.id}-submission-deadline",
                stamp,
                cycle.submission_deadline,
                f"{site_name}: self-evaluation deadline ({cycle.title})",
                "Submit your school's self-evaluation by this time (UK time).",
                duration=timedelta(minutes=1),
                alarm=True,
            )
        )
        for event in cycle.events:
            calendar.add_component(
                _event(
                    f"{cycle.id}-{event.id}",
                    stamp,
                    event.starts_at or event.date,
                    f"{site_name}: {event.title}",
                    event.description,
                    duration=timedelta(hours=1),
                )
            )
    return calendar.to_ical().decode("utf-8")
