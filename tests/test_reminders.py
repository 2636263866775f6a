"""`flask --app form_service send-reminders`: the dry run lists who would get what; a real run records each reminder
once and queues its email in the outbox in the same transaction, then delivers it, through a real SMTP server on
loopback or the outbox folder; a failed send is reported and tried again by the outbox; the LA's Reminders page
shows the next run and what recent runs sent.

The demo data: Oakfield Primary School (900001) has a school lead and a governor (a viewer); Hillcrest Academy
(900004) a school lead and a contributor; the other six schools have not registered. The 2026-27 deadline is
11:59pm on Thursday 30 September 2027, so 2 September 2027 is the 28-day point.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from form_service import reminders, self_evaluation
from form_service.core.clock import start_of
from form_service.core.content import get_content
from form_service.store import get_store
from tests.browser import free_port
from tests.test_service_accounts import Page, sign_in_as
from tests.test_service_sign_in import CollectingHandler, another_app

OAKFIELD_SENCO = "senco@oakfield-primary.example.org"
OAKFIELD_GOVERNOR = "governor@oakfield-primary.example.org"
HILLCREST_LEAD = "inclusion@hillcrest-academy.example.org"
HILLCREST_MATHS = "maths@hillcrest-academy.example.org"
EVERYONE_EMAILED = sorted([HILLCREST_LEAD, HILLCREST_MATHS, OAKFIELD_SENCO])
POINT_28 = "2027-09-02"
POINT_7 = "2027-09-23"
UNREGISTERED = [
    "Brookside Infant and Nursery School (URN 900006)",
    "Castlegate School (All-through) (URN 900007)",
    "Elm Tree Junior School (URN 900008)",
    "Meadowbank High School (URN 900005)",
    "Riverside Community Primary School (URN 900002)",
    "St Aidan's Church of England Primary School (URN 900003)",
]


def run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["send-reminders", *args])


def stored(app: Any, collection: str) -> dict[str, dict[str, Any]]:
    with app.app_context():
        return dict(get_store().scan(collection))


def give_award(app: Any, urn: str, decided_on: str, expires_on: str) -> None:
    """An awards/<urn> document with one "awarded" decision, in the shape workflow.py documents."""
    decision = {
        "cycle": "2023-24",
        "reference": f"QM-{urn}-2324",
        "outcome": "awarded",
        "reasons": "The evidence shows inclusive practice across the school.",
        "conditions": "",
        "decided_on": decided_on,
        "panel": ["Assistant director", "Specialist teacher"],
        "recorded_by": "la-admin",
        "recorded_at": f"{decided_on}T16:00:00+00:00",
        "expires_on": expires_on,
    }
    with app.app_context():
        get_store().write(reminders.AWARDS, urn, {"decisions": [decision]})


def start_self_evaluation(app: Any, urn: str, answered: bool = True, status: str = "in_progress") -> None:
    with app.app_context():
        store, content = get_store(), get_content()
        school = store.read("schools", urn)
        cycle = self_evaluation.current_cycle(content, date(2027, 9, 1))
        document = self_evaluation.start(store, content, school, cycle)
        document["status"] = status
        if answered:
            document["answers"] = {"PRI-LEAD-01": {"rating": 3, "commentary": "Shared vision.", "evidence": []}}
        self_evaluation.store_whole(store, content, document)


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1; `refuse` holds addresses it answers 550 for."""
    handler = RefusingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


class RefusingHandler(CollectingHandler):
    def __init__(self) -> None:
        super().__init__()
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list) -> str:
        if address in self.refuse:
            return "550 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(address for envelope in self.envelopes for address in envelope.rcpt_tos)


def smtp_app(app: Any, controller: Controller) -> Any:
    return another_app(app, SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False)


# --- the dry run -----------------------------------------------------------------------------------------------


def test_the_dry_run_lists_who_would_receive_what_and_sends_and_records_nothing(app, outbox) -> None:
    result = run(app, "--dry-run", "--today", POINT_28)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == [
        "Dry run: nothing is sent or recorded.",
        "Reminders due on Thursday 2 September 2027 for the 2026 to 2027 cycle "
        "(deadline 11:59pm on Thursday 30 September 2027).",
    ]
    deadline_28 = "  Not started: 28 days before the deadline (11:59pm on Thursday 30 September 2027)"
    assert lines[2:12] == [
        "",
        "Hillcrest Academy (URN 900004)",
        deadline_28,
        f"    Would email Demo Inclusion Lead, Hillcrest <{HILLCREST_LEAD}>, school lead",
        f"    Would email Demo Maths Lead, Hillcrest <{HILLCREST_MATHS}>, contributor",
        "",
        "Oakfield Primary School (URN 900001)",
        deadline_28,
        f"    Would email Demo SENCo, Oakfield <{OAKFIELD_SENCO}>, school lead",
        "",
    ]
    assert lines[12:14] == ["No one to email (not registered, so there is no team):", deadline_28]
    assert lines[14:20] == [f"    {name}" for name in UNREGISTERED]
    assert lines[-1] == "3 emails to 2 schools would be sent; 6 schools have no one to email."
    assert OAKFIELD_GOVERNOR not in result.output  # viewers are not reminded
    assert outbox.messages() == []
    assert stored(app, reminders.SENT) == {} and stored(app, reminders.RUNS) == {}


def test_the_dry_run_says_so_when_nothing_is_due(app) -> None:
    quiet = run(app, "--dry-run", "--today", "2027-06-01")  # before the first point, 56 days before the deadline

    assert quiet.exit_code == 0
    assert "No reminders are due." in quiet.output
    assert quiet.output.rstrip().endswith("0 emails to 0 schools would be sent; 0 schools have no one to email.")


def test_without_today_the_command_plans_for_the_services_today(app) -> None:
    # The test app's today is 23 November 2026: the 2026-27 cycle, nothing due yet.
    result = run(app, "--dry-run")

    assert "Reminders due on Monday 23 November 2026 for the 2026 to 2027 cycle" in result.output
    assert "No reminders are due." in result.output


@pytest.mark.parametrize("bad", ["2027-13-01", "02/09/2027", "tomorrow", "", "9" * 300, "2027-02-30"])
def test_a_today_that_is_not_a_date_is_refused_in_plain_words_and_nothing_happens(app, outbox, bad) -> None:
    result = run(app, "--today", bad)

    assert result.exit_code == 2
    assert "is not a date. Write it as YYYY-MM-DD, for example 2027-09-02." in result.output
    assert "Traceback" not in result.output
    assert outbox.messages() == [] and stored(app, reminders.SENT) == {}


# --- the real run, through SMTP ----------------------------------------------------------------------------------


def test_a_real_run_sends_each_reminder_once_through_smtp_and_a_second_run_sends_nothing(app, smtp_server) -> None:
    controller, handler = smtp_server
    smtp = smtp_app(app, controller)

    first = run(smtp, "--today", POINT_28)

    assert first.exit_code == 0, first.output
    assert "Sent 3 reminders to the outbox." in first.output and "Delivered 3 emails from the outbox." in first.output
    assert handler.recipients() == EVERYONE_EMAILED
    records = stored(app, reminders.SENT)
    assert len(records) == 3 and {record["status"] for record in records.values()} == {"queued"}
    assert sorted(record["email"] for record in records.values()) == EVERYONE_EMAILED

    second = run(smtp, "--today", POINT_28)
    next_day = run(smtp, "--today", "2027-09-03")

    assert (second.exit_code, next_day.exit_code) == (0, 0)
    assert "Sent 0 reminders to the outbox." in second.output
    assert "Sent 0 reminders to the outbox." in next_day.output
    assert len(handler.envelopes) == 3, "a second run sent something again"
    assert run(smtp, "--dry-run", "--today", POINT_28).output.count("Would email") == 0

    at_7_days = run(smtp, "--today", POINT_7)
    assert "Sent 3 reminders to the outbox." in at_7_days.output
    assert len(handler.envelopes) == 6


def test_the_reminder_email_says_the_deadline_and_links_to_the_self_evaluation(app, smtp_server) -> None:
    controller, handler = smtp_server
    start_self_evaluation(app, "900001")

    assert run(smtp_app(app, controller), "--today", POINT_28).exit_code == 0

    by_address = {message["To"]: message for message in handler.messages()}
    not_started = by_address[HILLCREST_LEAD]
    assert not_started["Subject"] == "Start your Quality Mark self-evaluation by 30 September 2027"
    text = not_started.get_content()
    assert text.startswith("Hello Demo Inclusion Lead, Hillcrest,\n\nHillcrest Academy has not started")
    assert "The deadline is 11:59pm on Thursday 30 September 2027, in 28 days." in text
    assert "http://service.test/app/school/900004/self-evaluation/\n" in text
    assert "contact the Quality Mark coordinator (SEND and Inclusion Team) at\ninclusion.mark@example.org" in text

    not_submitted = by_address[OAKFIELD_SENCO]
    assert not_submitted["Subject"] == "Submit your Quality Mark self-evaluation by 30 September 2027"
    text = not_submitted.get_content()
    assert "Oakfield Primary School's SEND and Inclusion Quality Mark self-evaluation has not been submitted" in text
    assert 'As school lead, you submit it from the "Check and submit" page' in text
    assert "http://service.test/app/school/900001/self-evaluation/\n" in text
    assert not re.search(r"\n\n\n", text), "the template leaves empty lines behind:\n" + text


def test_an_award_running_out_is_emailed_with_the_period_from_the_content(app, outbox) -> None:
    give_award(app, "900004", "2024-12-09", "2027-12-09")

    result = run(app, "--today", "2027-06-14")  # 178 days before: the 180-day point

    assert result.exit_code == 0, result.output
    message = outbox.last_to(HILLCREST_MATHS)
    assert message["Subject"] == "Your school's Quality Mark runs out on 9 December 2027"
    text = message.get_content()
    assert (
        "Hillcrest Academy's SEND and Inclusion Quality Mark runs out on Thursday 9 December 2027, in 178 days." in text
    )
    assert "The award lasts 3 years." in text
    assert "http://service.test/app/school/900004/\n" in text
    assert sorted(m["To"] for m in outbox.messages()) == [HILLCREST_LEAD, HILLCREST_MATHS]


def test_a_refused_email_is_reported_and_the_outbox_sends_it_again_later(app, smtp_server) -> None:
    controller, handler = smtp_server
    smtp = smtp_app(app, controller)
    handler.refuse.add(HILLCREST_MATHS)

    first = run(smtp, "--today", POINT_28)

    assert first.exit_code == 0, first.output
    assert "Sent 3 reminders to the outbox." in first.output and "Delivered 2 emails from the outbox." in first.output
    assert "1 email could not be delivered yet; the outbox tries again later" in first.output
    assert f"  {HILLCREST_MATHS} (Start your Quality Mark self-evaluation by 30 September 2027): " in first.output
    assert "550" in first.output
    assert handler.recipients() == [HILLCREST_LEAD, OAKFIELD_SENCO]
    assert sorted(record["email"] for record in stored(app, reminders.SENT).values()) == EVERYONE_EMAILED

    handler.refuse.clear()
    again = run(smtp, "--today", "2027-09-03")  # the reminder is recorded: a later run does not queue it again
    assert "Sent 0 reminders to the outbox." in again.output
    assert handler.recipients() == [HILLCREST_LEAD, OAKFIELD_SENCO]
    smtp.extensions["clock"].advance(timedelta(minutes=2))  # the outbox's retry is due
    retried = smtp.test_cli_runner().invoke(args=["send-outbox"])

    assert retried.exit_code == 0, retried.output
    assert "Sent 1 email." in retried.output
    assert handler.recipients() == EVERYONE_EMAILED


def test_when_the_mail_server_cannot_be_reached_every_reminder_waits_in_the_outbox_until_it_is_back(app) -> None:
    port = free_port()
    smtp = another_app(app, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)

    down = run(smtp, "--today", POINT_28)

    assert down.exit_code == 0, down.output
    assert "Sent 3 reminders to the outbox." in down.output and "Delivered 0 emails from the outbox." in down.output
    assert "3 emails could not be delivered yet; the outbox tries again later" in down.output
    assert len(stored(app, reminders.SENT)) == 3

    handler = RefusingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)  # the mail server is back
    controller.start()
    try:
        smtp.extensions["clock"].advance(timedelta(minutes=2))
        assert run(smtp, "--today", POINT_28).exit_code == 0  # queues nothing new; delivers what waits
    finally:
        controller.stop()
    assert handler.recipients() == EVERYONE_EMAILED


def test_a_run_that_stops_part_way_sent_every_reminder_it_recorded_and_the_next_run_sends_the_rest(
    app, smtp_server
) -> None:
    """A reminder is recorded and its email queued in one transaction: when queueing one email fails for real (the
    database refuses the outbox row), that reminder is not recorded either, so the next run sends it."""
    controller, handler = smtp_server
    smtp = smtp_app(app, controller)
    with app.app_context(), get_store().engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER outbox_refused BEFORE INSERT ON outbox "
            f"WHEN NEW.recipient = '{OAKFIELD_SENCO}' BEGIN SELECT RAISE(ABORT, 'the outbox is full'); END"
        )

    stopped = run(smtp, "--today", POINT_28)

    assert stopped.exit_code != 0
    recorded = stored(app, reminders.SENT)
    assert sorted(record["email"] for record in recorded.values()) == [HILLCREST_LEAD, HILLCREST_MATHS]
    assert {record["status"] for record in recorded.values()} == {"queued"}
    with app.app_context(), get_store().engine.begin() as connection:
        queued = sorted(connection.exec_driver_sql("SELECT recipient FROM outbox WHERE subject LIKE '%self-%'"))
        connection.exec_driver_sql("DROP TRIGGER outbox_refused")
    assert [row[0] for row in queued] == [HILLCREST_LEAD, HILLCREST_MATHS]

    finished = run(smtp, "--today", POINT_28)

    assert finished.exit_code == 0, finished.output
    assert "Sent 1 reminder to the outbox." in finished.output
    assert handler.recipients() == EVERYONE_EMAILED  # each once: the two queued before, and the one left


def test_each_real_run_is_summarised_for_the_reminders_page(app, outbox) -> None:
    assert run(app, "--today", POINT_28).exit_code == 0

    (run_record,) = stored(app, reminders.RUNS).values()

    assert run_record["today"] == POINT_28 and run_record["finished_at"] and run_record["failed"] == []
    assert sorted(entry["email"] for entry in run_record["sent"]) == EVERYONE_EMAILED
    assert len(outbox.messages()) == 3


# --- the LA's Reminders page ------------------------------------------------------------------------------------


def test_the_reminders_page_shows_the_next_run_and_what_recent_runs_sent(app) -> None:
    # The test app's today is 23 November 2026: Hillcrest's award runs out on 9 January 2027 (the 60-day point).
    give_award(app, "900004", "2024-01-09", "2027-01-09")
    reviewer = sign_in_as(app, "la.reviewer@example.org")

    before = Page(reviewer.get("/la/reminders/"))

    assert (before.status, before.title, before.h1) == (200, "Reminders", "Reminders")
    assert "56, 28, 7 and 1 days before the submission deadline" in before.main_text
    assert "365, 180 and 60 days before its award runs out (an award lasts 3 years)" in before.main_text
    due = before.table("To")
    assert [(row["School"], row["Reminder"]) for row in due] == [
        ("Hillcrest Academy", "Award expiring: 60 days before it runs out (Saturday 9 January 2027)")
    ] * 2
    assert [row["To"] for row in due] == [
        f"Demo Inclusion Lead, Hillcrest, school lead {HILLCREST_LEAD}",
        f"Demo Maths Lead, Hillcrest, contributor {HILLCREST_MATHS}",
    ]
    assert "No reminders have been sent yet." in before.main_text

    assert run(app).exit_code == 0
    after = Page(reviewer.get("/la/reminders/"))

    assert "No reminders are due today, Monday 23 November 2026." in after.main_text
    sent = after.table("Result")
    assert [(row["School"], row["Result"]) for row in sent] == [("Hillcrest Academy", "Sent")] * 2


def test_the_reminders_page_shows_failures_and_runs_that_did_not_finish(app) -> None:
    with app.app_context():
        store = get_store()
        store.write(
            reminders.RUNS,
            "2026-11-22.060000000000-aaaaaa",
            {"today": "2026-11-22", "started_at": "2026-11-22T06:00:00+00:00", "finished_at": None, "due": 2},
        )
        store.write(
            reminders.RUNS,
            "2026-11-23.060000000000-bbbbbb",
            {
                "today": "2026-11-23",
                "started_at": "2026-11-23T06:00:00+00:00",
                "finished_at": "2026-11-23T06:00:05+00:00",
                "due": 1,
                "sent": [],
                "failed": [
                    {
                        "urn": "900001",
                        "school": "Oakfield Primary School",
                        "what": "Award expiring: 60 days before it runs out (Saturday 9 January 2027)",
                        "email": OAKFIELD_SENCO,
                        "name": "Demo SENCo, Oakfield",
                        "error": "(550, b'No such mailbox here')",
                    }
                ],
            },
        )
    admin = sign_in_as(app, "la.admin@example.org")

    page = Page(admin.get("/la/reminders/"))

    assert page.status == 200
    (failed,) = page.table("Result")
    assert failed["Result"] == "Not sent: (550, b'No such mailbox here'). It is tried again on the next run."
    assert "Run on 23 November 2026 at 6am" in page.main_text
    assert "This run did not finish." in page.main_text


def test_the_reminders_page_lists_schools_with_no_one_to_email(app) -> None:
    app.extensions["clock"].set(start_of(POINT_28))
    reviewer = sign_in_as(app, "la.reviewer@example.org")

    page = Page(reviewer.get("/la/reminders/"))

    rows = page.table("Why")
    assert len(rows) == 6
    assert {row["Why"] for row in rows} == {"Not registered, so there is no team"}


@pytest.mark.parametrize("address", [OAKFIELD_SENCO, HILLCREST_MATHS, OAKFIELD_GOVERNOR])
def test_school_staff_cannot_see_the_reminders_page(app, address) -> None:
    client = sign_in_as(app, address)

    assert client.get("/la/reminders/").status_code == 403


def test_the_reminders_page_is_in_the_la_sections_for_reviewers_and_admins(app) -> None:
    for address in ("la.reviewer@example.org", "la.admin@example.org"):
        page = Page(sign_in_as(app, address).get("/la/"))
        links = [
            link.attrs.get("href") for nav in page.root.find_all("nav", "qm-sections") for link in nav.find_all("a")
        ]
        assert "/la/reminders/" in links, (address, links)
