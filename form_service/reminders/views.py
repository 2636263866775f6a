"""The LA's Reminders page: what the next run of `send-reminders` would send, what recent runs sent, and any
email the service gave up on."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template

from quality_mark.wording import clock_time, long_date, short_date

from ..accounts.auth import la_only
from ..core.clock import today
from ..core.content import get_content
from ..core.outbox import undelivered
from ..store import get_store
from . import ROLE_WORDS, plan_for, recent_runs
from .plan import deadline_words, describe

blueprint = Blueprint("reminders", __name__, url_prefix="/la/reminders", template_folder="templates")


def _points(days: tuple[int, ...]) -> str:
    """'56, 28, 7 and 1 days'; 'no' when there are none."""
    if not days:
        return "no"
    words = [str(day) for day in days]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"{listed} day" if days == (1,) else f"{listed} days"


@blueprint.get("/")
@la_only("reviewer", "admin")
def overview() -> str:
    store, content = get_store(), get_content()
    day = today()
    cycle, plan = plan_for(store, content, day)
    given_up, retrying = undelivered(store.engine)
    return render_template(
        "reminders/reminders.html",
        plan=plan,
        cycle=cycle,
        deadline=deadline_words(cycle.submission_deadline),
        today=long_date(day),
        runs=recent_runs(store),
        before_deadline=_points(content.reminders.before_deadline),
        before_expiry=_points(content.reminders.before_expiry),
        every_years=content.timeline.reaccreditation.every_years,
        describe=describe,
        role_words=ROLE_WORDS,
        run_time=_run_time,
        given_up=given_up,
        retrying=retrying,
    )


def _run_time(moment: str | datetime) -> str:
    """'23 November 2026 at 6am' (UK time) for a stored UTC timestamp."""
    from quality_mark.model import LONDON

    local = (datetime.fromisoformat(moment) if isinstance(moment, str) else moment).astimezone(LONDON)
    return f"{short_date(local.date())} at {clock_time(local)}"
