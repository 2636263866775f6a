"""Reminder emails: read each school's state, send the reminders `plan` says are due, once each.

`flask --app form_service send-reminders` is run by a scheduler (once a day is enough); `--dry-run` lists who
would receive what and sends and records nothing.

Once only, and never claimed without being sent. Each reminder has a key (school, cycle or award, point,
recipient). A run claims the key in `reminders_sent` (an atomic `store.modify`, status "queued") and queues the
reminder's email in the outbox in the same transaction: both commit, or neither does. A second run, or two runs
at once, find the claim and queue nothing; a run that stops part-way has queued every reminder it claimed, and the
next run queues the rest. The outbox delivers the emails (the command sends what is due before it ends; after
that `send-outbox` or a worker's background sender), trying again with backoff while the mail server refuses or
cannot be reached, and lists any it gives up on on the LA's Reminders page. See core/outbox.py for what a crash
between sending and recording does (the email is sent again: at least once).

Each real run also writes a summary to `reminder_runs/<date>.<time>` (what was sent, what failed), which the
LA's Reminders page lists.

Which reminders are due on a day is worked out by `plan.py`, a pure function of the schools and the content;
the LA's Reminders page (blueprint `reminders`, under /la/reminders) is in `views.py`, its template under
`templates/reminders/`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import click
from flask import Flask, current_app, render_template

from quality_mark.model import Content, Cycle
from quality_mark.wording import long_date, short_date

from .. import accounts, self_evaluation
from ..core import clock, mail, outbox
from ..core.content import get_content
from ..store import SQLStore, Store, get_store
from ..workflow import AWARDS
from .plan import Recipient, Reminder, ReminderPlan, SchoolState, days_left, deadline_words, describe, plan_reminders

SENT = "reminders_sent"
RUNS = "reminder_runs"
ROLE_WORDS = {"admin": "school lead", "contributor": "contributor", "viewer": "viewer"}
RECENT_RUNS = 30


def school_states(store: Store, cycle: Cycle) -> Iterator[SchoolState]:
    """Every school in the LA's list with its self-evaluation for `cycle`, its awards and its team."""
    for urn, school in store.scan(accounts.SCHOOLS):
        yield SchoolState(
            urn=urn,
            name=school.get("name", urn),
            evaluation=self_evaluation.load(store, urn, cycle.id),
            awards=store.read(AWARDS, urn),
            team=tuple(Recipient(user.id, user.email, user.name, role) for user, role in accounts.team(store, urn)),
        )


def plan_for(store: Store, content: Content, today: date) -> tuple[Cycle, ReminderPlan]:
    """The cycle schools work in today, and the reminders due today that have not been sent."""
    cycle = self_evaluation.current_cycle(content, today)
    sent = set(store.keys(SENT))
    return cycle, plan_reminders(today, cycle, content.reminders, school_states(store, cycle), sent)


# --- the emails ---------------------------------------------------------------------------------------------


def compose(reminder: Reminder, today: date, content: Content) -> mail.Email:
    """The email for one reminder. Needs an app context (templates) and a request context (links)."""
    from ..core.links import service_link

    contact = content.contact(content.reminders.contact_id)
    context: dict[str, Any] = {
        "reminder": reminder,
        "name": reminder.recipient.name,
        "school_name": reminder.school_name,
        "when": days_left(today, reminder.target_date),
        "contact": contact,
    }
    if reminder.kind == "award_expiring":
        template = "reminder_award_expiring"
        subject = f"Your school's Quality Mark runs out on {short_date(reminder.target_date)}"
        context |= {
            "expires": long_date(reminder.target_date),
            "every_years": content.timeline.reaccreditation.every_years,
            "link": service_link("home.school", urn=reminder.urn),
        }
    else:
        verb = "Start" if reminder.kind == "not_started" else "Submit"
        template = f"reminder_{reminder.kind}"
        # Short enough for one line (no folded Subject header): "Start your ... by 30 September 2027".
        subject = f"{verb} your Quality Mark self-evaluation by {short_date(reminder.target_date)}"
        assert reminder.deadline is not None
        context |= {
            "deadline": deadline_words(reminder.deadline),
            "link": service_link("self_evaluation.overview", urn=reminder.urn),
        }
    text = render_template(f"email/{template}.txt", **context)
    return mail.Email(to=reminder.recipient.email, subject=subject, text=text, written_at=clock.now())


# --- sending once ---------------------------------------------------------------------------------------------


@dataclass
class RunReport:
    queued: list[Reminder] = field(default_factory=list)  # claimed, and its email in the outbox
    already_claimed: list[Reminder] = field(default_factory=list)  # another run claimed it meanwhile


def _now() -> str:
    return clock.timestamp()


def _record(reminder: Reminder, status: str) -> dict[str, Any]:
    return {
        "key": reminder.key,
        "urn": reminder.urn,
        "school": reminder.school_name,
        "kind": reminder.kind,
        "days_before": reminder.days_before,
        "date": reminder.target_date.isoformat(),
        "user_id": reminder.recipient.user_id,
        "email": reminder.recipient.email,
        "status": status,
        "claimed_at": _now(),
    }


def claim(store: Store, reminder: Reminder) -> bool:
    """Record that `reminder` is sent (its email queued); False if it is already recorded. Call it in the
    transaction that queues the email (see `queue_reminder`)."""

    def take(current: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
        if current is not None:
            return current, False
        return _record(reminder, "queued"), True

    return store.modify(SENT, reminder.key, take)


def queue_reminder(store: SQLStore, reminder: Reminder, email: mail.Email) -> bool:
    """Claim the reminder and queue its email in the outbox, in one transaction; False (nothing queued) if another
    run has claimed it."""
    with store.transaction():
        if not claim(store, reminder):
            return False
        outbox.queue(store, email)
        return True


def _entry(reminder: Reminder, error: str | None = None) -> dict[str, Any]:
    entry = {
        "urn": reminder.urn,
        "school": reminder.school_name,
        "what": describe(reminder),
        "email": reminder.recipient.email,
        "name": reminder.recipient.name,
    }
    return entry | {"error": error} if error else entry


def send_reminders(store: SQLStore, emails: list[tuple[Reminder, mail.Email]], today: date) -> RunReport:
    """Queue the email of each reminder this run can claim (claim and email in one transaction); record the run."""
    report = RunReport()
    run_key = f"{today.isoformat()}.{clock.now():%H%M%S%f}-{secrets.token_hex(3)}"
    run: dict[str, Any] = {"today": today.isoformat(), "started_at": _now(), "finished_at": None, "due": len(emails)}
    store.write(RUNS, run_key, run)
    for reminder, email in emails:
        if queue_reminder(store, reminder, email):
            report.queued.append(reminder)
        else:
            report.already_claimed.append(reminder)
    # "sent": handed to the outbox, which delivers it (any it gives up on is listed on the Reminders page).
    run |= {"finished_at": _now(), "sent": [_entry(reminder) for reminder in report.queued], "failed": []}
    store.write(RUNS, run_key, run)
    return report


def recent_runs(store: Store, limit: int = RECENT_RUNS) -> list[dict[str, Any]]:
    """The newest runs first, each with what it sent and what failed."""
    runs = []
    for key in reversed(store.keys(RUNS)[-limit:]):
        document = store.read(RUNS, key)
        if document is not None:
            runs.append(document)
    return runs


# --- the command ---------------------------------------------------------------------------------------------


def _parse_today(_: click.Context, __: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"'{value[:40]}' is not a date. Write it as YYYY-MM-DD, for example 2027-09-02."
        ) from None


def plan_lines(plan: ReminderPlan, cycle: Cycle, verb: str) -> list[str]:
    """The plan in plain English, grouped by school; `verb` is 'Would email' or 'Emailing'."""
    lines = [
        f"Reminders due on {long_date(plan.today)} for the {cycle.title} cycle "
        f"(deadline {deadline_words(cycle.submission_deadline)})."
    ]
    if not plan.reminders and not plan.no_one_to_email:
        return [*lines, "No reminders are due."]
    current = None
    for reminder in plan.reminders:
        heading = (reminder.urn, describe(reminder))
        if heading != current:
            current = heading
            lines += ["", f"{reminder.school_name} (URN {reminder.urn})", f"  {describe(reminder)}"]
        person = reminder.recipient
        lines.append(f"    {verb} {person.name} <{person.email}>, {ROLE_WORDS.get(person.role, person.role)}")
    groups: dict[tuple[str, str], list[str]] = {}
    for item in plan.no_one_to_email:
        groups.setdefault((item.reason, describe(item)), []).append(f"{item.school_name} (URN {item.urn})")
    for (reason, what), names in sorted(groups.items()):
        lines += ["", f"No one to email ({reason}):", f"  {what}"]
        lines += [f"    {name}" for name in names]
    return lines


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def init_app(app: Flask) -> None:
    @app.cli.command("send-reminders")
    @click.option("--dry-run", is_flag=True, help="List who would receive what; send and record nothing.")
    @click.option(
        "--today",
        metavar="YYYY-MM-DD",
        callback=_parse_today,
        help="Plan as if it were this day (Europe/London). Default: today.",
    )
    def send_reminders_command(dry_run: bool, today: date | None) -> None:
        """Email the reminders due today (not started, not submitted, award expiring), each once."""
        from ..core.clock import today as service_today

        store, content = get_store(), get_content()
        day = today or service_today()
        cycle, plan = plan_for(store, content, day)
        schools = len({reminder.urn for reminder in plan.reminders})
        unreachable = len({item.urn for item in plan.no_one_to_email})
        if dry_run:
            click.echo("Dry run: nothing is sent or recorded.")
            for line in plan_lines(plan, cycle, "Would email"):
                click.echo(line)
            click.echo(
                f"\n{_count(len(plan.reminders), 'email', 'emails')} to {_count(schools, 'school', 'schools')} "
                f"would be sent; {_count(unreachable, 'school has', 'schools have')} no one to email."
            )
            return
        for line in plan_lines(plan, cycle, "Emailing"):
            click.echo(line)
        with current_app.test_request_context():  # for links built with url_for
            emails = [(reminder, compose(reminder, day, content)) for reminder in plan.reminders]
        report = send_reminders(store, emails, day)
        click.echo(f"\nSent {_count(len(report.queued), 'reminder', 'reminders')} to the outbox.")
        if report.already_claimed:
            click.echo(
                f"{_count(len(report.already_claimed), 'reminder was', 'reminders were')} "
                "already sent by another run meanwhile."
            )
        delivered = outbox.send_due_now(current_app._get_current_object())  # type: ignore[attr-defined]
        click.echo(f"Delivered {_count(len(delivered.sent), 'email', 'emails')} from the outbox.")
        waiting = [*delivered.failed, *delivered.given_up]
        if waiting:
            click.echo(
                f"{_count(len(waiting), 'email', 'emails')} could not be delivered yet; the outbox tries again "
                "later (flask --app form_service send-outbox):",
                err=True,
            )
            for email, error in waiting:
                click.echo(f"  {email.to} ({email.subject}): {error}", err=True)
