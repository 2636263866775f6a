"""The key-dates calendar (key-dates.ics) that schools add to Outlook, Google Calendar or Apple Calendar:
read back with a real iCalendar parser, every date is there once, at the right UK time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

import build
from quality_mark.calendar_feed import calendar_feed
from quality_mark.loader import load_content
from quality_mark.model import Content, Cycle, KeyDates, KeyEvent

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def feed(content: Content) -> str:
    return calendar_feed(content.key_dates)


@pytest.fixture(scope="module")
def calendar(feed: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(feed)


def events(calendar: icalendar.Calendar) -> list[icalendar.Event]:
    return [component for component in calendar.walk("VEVENT")]


def event_with_uid(calendar: icalendar.Calendar, uid: str) -> icalendar.Event:
    found = [event for event in events(calendar) if str(event["UID"]) == uid]
    assert len(found) == 1, f"expected one event {uid}"
    return found[0]


def test_the_feed_is_an_icalendar_2_file_with_a_product_id(calendar: icalendar.Calendar) -> None:
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).strip()
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_the_feed_defines_the_europe_london_time_zone(calendar: icalendar.Calendar) -> None:
    zones = calendar.walk("VTIMEZONE")

    assert [str(zone["TZID"]) for zone in zones] == ["Europe/London"]
    offsets = {component.name: component["TZOFFSETTO"].td for component in zones[0].subcomponents}
    assert offsets == {"DAYLIGHT": timedelta(hours=1), "STANDARD": timedelta(0)}


def test_there_is_one_event_per_registration_date_deadline_and_key_event(
    content: Content, calendar: icalendar.Calendar
) -> None:
    cycles = content.key_dates.cycles
    expected = sum(2 + len(cycle.events) for cycle in cycles)

    found = events(calendar)

    assert len(found) == expected
    uids = [str(event["UID"]) for event in found]
    assert len(set(uids)) == len(uids), "every UID is unique"
    for cycle in cycles:
        event_with_uid(calendar, f"{cycle.id}-registration-opens@send-inclusion-quality-mark")
        event_with_uid(calendar, f"{cycle.id}-submission-deadline@send-inclusion-quality-mark")
        for key_event in cycle.events:
            found_event = event_with_uid(calendar, f"{cycle.id}-{key_event.id}@send-inclusion-quality-mark")
            assert str(found_event["SUMMARY"]).endswith(key_event.title)
            assert str(found_event["DESCRIPTION"]) == key_event.description


def test_the_deadline_is_2359_uk_time_which_is_2259_utc_in_september(
    content: Content, calendar: icalendar.Calendar
) -> None:
    for cycle in content.key_dates.cycles:
        deadline = event_with_uid(calendar, f"{cycle.id}-submission-deadline@send-inclusion-quality-mark")
        start = deadline["DTSTART"]

        assert start.params["TZID"] == "Europe/London"
        moment = start.dt
        assert isinstance(moment, datetime)
        assert moment.tzinfo is not None
        assert moment.utcoffset() == timedelta(hours=1), "British Summer Time"
        assert (moment.month, moment.day, moment.hour, moment.minute) == (9, 30, 23, 59)
        assert moment.astimezone(UTC) == datetime(moment.year, 9, 30, 22, 59, tzinfo=UTC)
        assert moment == cycle.submission_deadline
        assert [alarm["TRIGGER"].dt for alarm in deadline.walk("VALARM")] == [timedelta(days=-7)]


def test_dates_without_a_time_are_all_day_events(content: Content, calendar: icalendar.Calendar) -> None:
    cycle = content.key_dates.cycles[0]
    registration = event_with_uid(calendar, f"{cycle.id}-registration-opens@send-inclusion-quality-mark")

    assert registration["DTSTART"].dt == cycle.registration_opens
    assert not isinstance(registration["DTSTART"].dt, datetime)
    assert registration["DTEND"].dt == cycle.registration_opens + timedelta(days=1)

    all_day = [e for c in content.key_dates.cycles for e in c.events if e.time is None]
    timed = [e for c in content.key_dates.cycles for e in c.events if e.time is not None]
    assert all_day and timed
    for cycle in content.key_dates.cycles:
        for key_event in cycle.events:
            start = event_with_uid(calendar, f"{cycle.id}-{key_event.id}@send-inclusion-quality-mark")["DTSTART"].dt
            if key_event.time is None:
                assert type(start) is date and start == key_event.date
            else:
                assert isinstance(start, datetime) and start == key_event.starts_at


def test_every_line_ends_with_crlf_and_is_at_most_75_octets(feed: str) -> None:
    data = feed.encode("utf-8")

    assert data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    for line in lines[:-1]:
        assert b"\n" not in line and b"\r" not in line, line
        assert len(line) <= 75, line


def test_text_with_commas_semicolons_and_new_lines_reads_back_the_same() -> None:
    description = (
        "Bring: your action plan, the toolkit; and evidence.\n"
        "Second line, with a back\\slash and accents: café, naïve – “quoted” – "
        "long enough that the line must be folded more than once to stay within 75 octets."
    )
    title = "Panel; review, and feedback"
    key_dates = KeyDates(
        updated=date(2026, 11, 1),
        cycles=(
            Cycle(
                id="2030-31",
                title="2030 to 2031",
                registration_opens=date(2030, 6, 11),
                submission_deadline=datetime(2031, 1, 31, 23, 59, tzinfo=LONDON),
                events=(KeyEvent("review", title, date(2030, 11, 5), "09:30", description, 8),),
            ),
        ),
    )
    feed = calendar_feed(key_dates)

    calendar = icalendar.Calendar.from_ical(feed)

    unfolded = feed.replace("\r\n ", "").split("\r\n")
    # RFC 5545 escaping, checked on the raw text: calendar apps are stricter than the lenient parser used here
    escaped = (
        "DESCRIPTION:Bring: your action plan\\, the toolkit\\; and evidence.\\nSecond line\\, with a back\\\\slash"
    )
    assert any(line.startswith(escaped) for line in unfolded), unfolded
    event = event_with_uid(calendar, "2030-31-review@send-inclusion-quality-mark")
    assert str(event["DESCRIPTION"]) == description
    assert str(event["SUMMARY"]).endswith(f": {title}")
    assert event["DTSTART"].dt == datetime(2030, 11, 5, 9, 30, tzinfo=LONDON)
    winter_deadline = event_with_uid(calendar, "2030-31-submission-deadline@send-inclusion-quality-mark")
    assert winter_deadline["DTSTART"].dt.astimezone(UTC) == datetime(2031, 1, 31, 23, 59, tzinfo=UTC), "GMT"
    assert all(len(line) <= 75 for line in feed.encode("utf-8").split(b"\r\n"))


def test_the_same_key_dates_give_the_same_bytes(content: Content, feed: str) -> None:
    assert calendar_feed(load_content().key_dates) == feed
    assert f"DTSTAMP:{content.key_dates.updated:%Y%m%d}T000000Z" in feed


def test_the_built_site_serves_the_same_feed(tmp_path: Path, feed: str) -> None:
    out = tmp_path / "out"

    assert build.main(["site", "--out", str(out)]) == 0

    built = (out / "site" / "key-dates.ics").read_bytes()
    assert built == feed.encode("utf-8")
    assert len(events(icalendar.Calendar.from_ical(built))) == feed.count("BEGIN:VEVENT")
