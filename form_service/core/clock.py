"""The service's one clock. Nothing else in the service reads the system clock.

Every "now", "today", timestamp and deadline check asks the clock the app was given (`init_app`). In
production it is the system clock. Tests and demos start it at a moment of their choosing (the `NOW` or
`TODAY` setting, or `QM_NOW` in the environment outside production) and from there it runs on in real time,
so records made one after the other still come in order; a test may also `set` it or `advance` it to cross
a deadline or an idle timeout without waiting.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime, time, timedelta

from flask import Flask, current_app

from quality_mark.model import LONDON

NOON = time(12, 0)


class Clock:
    """The system clock, or the system clock shifted so that it read `start` when the clock was made."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        """This moment, timezone-aware, in UTC."""
        return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        """From now on the clock reads `moment` (an aware datetime), and runs on from there."""
        if moment.tzinfo is None:
            raise ValueError("The clock needs a time with a time zone, for example 2026-11-23T12:00:00+00:00.")
        with self._lock:
            self._offset = moment.astimezone(UTC) - datetime.now(UTC)

    def advance(self, step: timedelta) -> None:
        """Move the clock on (or back, with a negative step) by `step`."""
        with self._lock:
            self._offset += step


def start_of(setting: str) -> datetime:
    """The moment a `NOW` (ISO date and time) or `TODAY` (ISO date: noon in London that day) setting names."""
    if "T" in setting or " " in setting.strip():
        moment = datetime.fromisoformat(setting)
        return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)
    return datetime.combine(date.fromisoformat(setting), NOON, tzinfo=LONDON)


def init_app(app: Flask) -> None:
    """Give the app its clock: `CLOCK` if given one, else one started at `NOW`/`TODAY`/`QM_NOW`, else the system's."""
    clock = app.config.get("CLOCK")
    if clock is None:
        setting = app.config.get("NOW") or app.config.get("TODAY")
        if not setting and app.config["ENV_NAME"] != "production":
            setting = os.environ.get("QM_NOW")
        clock = Clock(start_of(setting) if setting else None)
    app.extensions["clock"] = clock


def clock() -> Clock:
    return current_app.extensions["clock"]


def now() -> datetime:
    """This moment in UTC, by the app's clock."""
    return clock().now()


def now_london() -> datetime:
    """This moment in Europe/London, by the app's clock."""
    return now().astimezone(LONDON)


def today() -> date:
    """Today in Europe/London, by the app's clock."""
    return now_london().date()


def timestamp() -> str:
    """This moment as stored in records: ISO 8601 in UTC, to the second."""
    return now().isoformat(timespec="seconds")


def seconds() -> float:
    """This moment as seconds since the epoch (for rate-limit windows and idle timeouts)."""
    return now().timestamp()
