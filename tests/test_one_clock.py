"""One clock: nothing in the service reads the system time except the clock the app is given, and everything
that depends on the date follows that clock, on any day, across the boundaries of every cycle in the content.

The days come from the content's own key dates (the day before and the day registration opens, the deadline
day and the day after it), so the test keeps meaning the same thing when an LA changes its dates.
"""

from __future__ import annotations

import ast
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from form_service import self_evaluation
from form_service.core.clock import Clock, start_of
from form_service.store import get_store
from quality_mark.loader import load_content
from quality_mark.model import LONDON
from tests.conftest import REPO_ROOT
from tests.test_self_evaluation_form import heading_form
from tests.test_service_accounts import Page, last_email_to, post, service_links, sign_in_as

OAKFIELD = "900001"
SENCO = "senco@oakfield-primary.example.org"
LA_REVIEWER = "la.reviewer@example.org"
BASE = f"/school/{OAKFIELD}/self-evaluation"

# Calls that read the system's time. Only the clock may make them.
SYSTEM_TIME = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
SYSTEM_TIME |= {("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime")}
MAY_READ_SYSTEM_TIME = {"form_service/core/clock.py"}


def system_time_calls(path: Path) -> list[str]:
    """`name.attr(...)` calls in `path` that read the system's time, as "file:line name.attr"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and (node.func.value.id, node.func.attr) in SYSTEM_TIME
        ):
            found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.func.value.id}.{node.func.attr}")
    return found


def test_nothing_but_the_clock_reads_the_system_time() -> None:
    sources = [*sorted((REPO_ROOT / "form_service").rglob("*.py")), *sorted((REPO_ROOT / "quality_mark").rglob("*.py"))]
    assert len(sources) > 50
    offenders = [
        call
        for path in sources
        if str(path.relative_to(REPO_ROOT)) not in MAY_READ_SYSTEM_TIME
        for call in system_time_calls(path)
    ]
    assert offenders == []


def test_the_check_finds_a_call_that_reads_the_system_time() -> None:
    # the one file that does, read as any other would be
    clock_module = REPO_ROOT / "form_service" / "core" / "clock.py"
    assert {call.split(" ")[1] for call in system_time_calls(clock_module)} == {"datetime.now"}


def test_a_clock_started_at_a_moment_runs_on_from_it() -> None:
    clock = Clock(datetime(2027, 9, 30, 23, 59, tzinfo=LONDON))
    first = clock.now()
    assert first.astimezone(LONDON).replace(microsecond=0) in {
        datetime(2027, 9, 30, 23, 59, second, tzinfo=LONDON) for second in (0, 1)
    }
    assert clock.now() >= first
    clock.advance(timedelta(minutes=2))
    assert clock.now().astimezone(LONDON).date() == date(2027, 10, 1)
    clock.set(datetime(2026, 1, 1, tzinfo=LONDON))
    assert clock.now().astimezone(LONDON).date() == date(2026, 1, 1)
    with pytest.raises(ValueError, match="time zone"):
        clock.set(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("setting", "moment"),
    [
        ("2027-10-15", datetime(2027, 10, 15, 12, tzinfo=LONDON)),
        ("2027-03-28", datetime(2027, 3, 28, 12, tzinfo=LONDON)),  # the day the clocks go forward
        ("2027-10-15T08:30:00+00:00", datetime(2027, 10, 15, 9, 30, tzinfo=LONDON)),
        ("2027-10-15T08:30:00", datetime(2027, 10, 15, 8, 30, tzinfo=LONDON)),
    ],
)
def test_a_setting_names_a_moment_in_london(setting: str, moment: datetime) -> None:
    assert start_of(setting) == moment


# Days across the boundaries of the content's cycles ---------------------------------------------------------

CONTENT = load_content(REPO_ROOT)


def boundary_days() -> list[date]:
    days: set[date] = set()
    for cycle in CONTENT.key_dates.cycles:
        opens, deadline = cycle.registration_opens, cycle.submission_deadline.date()
        days |= {opens - timedelta(days=1), opens, deadline, deadline + timedelta(days=1)}
    return sorted(days)


def registration_open_on(day: date) -> bool:
    return any(c.registration_opens <= day <= c.submission_deadline.date() for c in CONTENT.key_dates.cycles)


def on_day(app_for: Any, day: date) -> Any:
    return app_for(day.isoformat())


@pytest.fixture
def app_for(tmp_path: Path) -> Any:
    """A fresh service, with the demo data seeded on the day given, whose clock starts at noon that day."""
    from form_service import create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig

    def make(today: str) -> Any:
        application = create_app(
            TestConfig,
            {
                "DATA_DIR": tmp_path / today,
                "CONTENT_ROOT": REPO_ROOT,
                "SITE_DIR": tmp_path / "no-site",
                "SERVICE_URL": "http://service.test/app",
                "TODAY": today,
            },
        )
        with application.app_context():
            seed_demo(application)
        return application

    return make


def in_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@pytest.mark.parametrize("day", boundary_days(), ids=str)
def test_on_any_day_the_service_works_to_its_clock(app_for: Any, day: date) -> None:
    app = on_day(app_for, day)

    register_page = Page(app.test_client().get("/register"))
    expected_heading = "Register your school" if registration_open_on(day) else "Registration is not open yet"
    assert (register_page.status, register_page.h1) == (200, expected_heading)

    reviewer = sign_in_as(app, LA_REVIEWER)
    reached = {"reached_day": str(day.day), "reached_month": str(day.month), "reached_year": str(day.year)}
    response = post(reviewer, f"/la/schools/{OAKFIELD}/stages/3", {**reached, "notes": "Agreed"})
    assert response.status_code == 302, Page(response).main_text
    row = Page(reviewer.get(f"/la/schools/{OAKFIELD}/stages")).table("Date reached")[2]
    assert row["Date reached"] == in_words(day)
    assert row["Recorded by"].startswith(f"Demo LA Reviewer, {in_words(day)}")

    tomorrow = day + timedelta(days=1)
    refused = post(
        reviewer,
        f"/la/schools/{OAKFIELD}/stages/4",
        {"reached_day": str(tomorrow.day), "reached_month": str(tomorrow.month), "reached_year": str(tomorrow.year)},
    )
    assert refused.status_code == 400  # a stage cannot be reached tomorrow, whatever the system's date


@pytest.mark.parametrize("cycle", CONTENT.key_dates.cycles, ids=lambda cycle: cycle.id)
def test_answers_can_be_changed_until_the_deadline_and_not_a_minute_after(app_for: Any, cycle: Any) -> None:
    deadline = cycle.submission_deadline
    app = on_day(app_for, deadline.date())
    clock = app.extensions["clock"]
    clock.set(deadline - timedelta(seconds=40))
    senco = sign_in_as(app, SENCO)
    with app.app_context():
        assert self_evaluation.current_cycle(CONTENT, deadline.date()).id == cycle.id
    overview = Page(senco.get(BASE + "/"))
    assert overview.status == 200
    started = post(senco, BASE + "/start")
    assert started.status_code == 302
    heading = started.headers["Location"].rstrip("/").rsplit("/", 1)[1]

    saved = senco.post(f"{BASE}/{heading}", data=heading_form(senco, heading, commentary="Before the deadline."))
    assert saved.status_code == 302
    clock.advance(timedelta(seconds=60))  # 20 seconds past the deadline, the same day
    late = senco.post(f"{BASE}/{heading}", data=heading_form(senco, heading, commentary="After the deadline."))

    assert late.status_code in (302, 400, 403, 409)
    with app.app_context():
        answers = self_evaluation.load(get_store(), OAKFIELD, cycle.id)["answers"]
    assert {answer["commentary"] for answer in answers.values()} == {"Before the deadline."}
    assert "The deadline has passed" in Page(senco.get(BASE + "/check")).main_text


def test_sign_in_links_and_idle_sessions_run_out_by_the_clock(app_for: Any) -> None:
    app = app_for("2027-10-15")
    clock = app.extensions["clock"]
    client = app.test_client()
    post(client, "/sign-in", {"email": SENCO})
    link = next(path for path in service_links(last_email_to(app, SENCO)) if path.startswith("/sign-in/continue"))
    clock.advance(timedelta(minutes=app.config["SIGN_IN_LINK_MINUTES"] + 1))
    expired = Page(client.get(link))
    assert expired.status == 400 and "expired" in expired.main_text

    senco = sign_in_as(app, SENCO)
    assert senco.get(f"/school/{OAKFIELD}/").status_code == 200
    clock.advance(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1))
    assert senco.get(f"/school/{OAKFIELD}/").status_code == 200  # in use: renewed
    clock.advance(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1))
    signed_out = senco.get(f"/school/{OAKFIELD}/")
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]
