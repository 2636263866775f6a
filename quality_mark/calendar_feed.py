"""The key dates as an iCalendar (RFC 5545) feed that Outlook, Google Calendar and Apple Calendar import.

Deterministic: the same key dates give the same bytes (DTSTAMP is the content's 'updated' date).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .model import KeyDates

PRODUCT_ID = "-//SEND and Inclusion Quality Mark//Key dates//EN"
UID_DOMAIN = "send-inclusion-quality-mark"

# Europe/London since 1996: BST from 01:00 on the last Sunday of March to 02:00 on the last Sunday of October.
_LONDON_TIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def escape_text(text: str) -> str:
    """RFC 5545 TEXT escaping."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    limit = 75
    for character in line:
        if len((current + character).encode("utf-8")) > limit:
            parts.append(current)
            current = character
            limit = 74  # continuation lines start with a space
        else:
            current += character
    parts.append(current)
    return "\r\n ".join(parts)


def _all_day(day: date) -> list[str]:
    return [f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}"]


def _timed(moment: datetime, duration: str) -> list[str]:
    return [f"DTSTART;TZID=Europe/London:{moment:%Y%m%dT%H%M%S}", f"DURATION:{duration}"]


def _event(uid: str, stamp: date, when: list[str], summary: str, description: str, alarm: bool = False) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}@{UID_DOMAIN}",
        f"DTSTAMP:{stamp:%Y%m%d}T000000Z",
        *when,
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        "TRANSP:TRANSPARENT",
    ]
    if alarm:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-P7D",
            f"DESCRIPTION:{escape_text('One week to go: ' + summary)}",
            "END:VALARM",
        ]
    return [*lines, "END:VEVENT"]


def calendar_feed(key_dates: KeyDates, site_name: str = "SEND and Inclusion Quality Mark") -> str:
    """Every cycle's registration date, deadline and events as one iCalendar file (CRLF line ends)."""
    stamp = key_dates.updated
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(site_name + ': key dates')}",
        "X-WR-TIMEZONE:Europe/London",
        *_LONDON_TIMEZONE,
    ]
    for cycle in key_dates.cycles:
        lines += _event(
            f"{cycle.id}-registration-opens",
            stamp,
            _all_day(cycle.registration_opens),
            f"{site_name}: registration opens ({cycle.title})",
            "Schools can register for the Quality Mark online from today.",
        )
        lines += _event(
            f"{cycle.id}-submission-deadline",
            stamp,
            _timed(cycle.submission_deadline, "PT1M"),
            f"{site_name}: self-evaluation deadline ({cycle.title})",
            "Submit your school's self-evaluation by this time (UK time).",
            alarm=True,
        )
        for event in cycle.events:
            starts = event.starts_at
            when = _timed(starts, "PT1H") if starts else _all_day(event.date)
            lines += _event(f"{cycle.id}-{event.id}", stamp, when, f"{site_name}: {event.title}", event.description)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
