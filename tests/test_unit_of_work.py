"""A change, its audit entry and the emails it causes commit together or not at all, on each engine.

The fault is real: a trigger in the database, made by the test, refuses every INSERT into the audit log. With it,
each action below stores nothing, queues no email and shows an error page (never a success page for a change that
was not made); without it, the same action stores its change, one audit row and its emails.
Accounts: two people creating an account for one address at once end with one account and no orphan document.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from form_service import accounts, moderation
from form_service.core.content import get_content
from form_service.store import audit_entries, documents, get_store, outbox
from tests.audit_fault import REFUSAL, break_audit_log, mend_audit_log
from tests.conftest import Outbox, SignIn
from tests.test_moderation import CYCLE, OAKFIELD, PANEL, REVIEW, REVIEWER, SCHOOL, SENCO, post, status_of
from tests.test_service_accounts import register
from tests.test_store import ENGINES

SORRY = "Sorry, something went wrong on our side."
NEWCOMER = "sam.newcomer@gmail.com"


@pytest.fixture(params=ENGINES)
def app(request: pytest.FixtureRequest, tmp_path: Path, service_on: Any) -> Any:
    """The service with the demo data, on SQLite and then on PostgreSQL."""
    return service_on(request.param, tmp_path / "data")


def person(app: Any, email: str) -> Any:
    """A browser of its own, signed in as `email`."""
    client = app.test_client()
    SignIn(client, Outbox(Path(app.config["DATA_DIR"]) / "outbox"))(email)
    return client


def everything(app: Any) -> dict[str, Any]:
    """Every document, every audit row and every queued email, to compare before and after."""
    with app.app_context(), get_store().engine.connect() as connection:
        return {
            "documents": connection.execute(
                sa.select(documents.c.collection, documents.c.key, documents.c.body).order_by(
                    documents.c.collection, documents.c.key
                )
            ).all(),
            "audit": connection.execute(sa.select(audit_entries).order_by(audit_entries.c.id)).all(),
            "outbox": connection.execute(sa.select(outbox).order_by(outbox.c.id)).all(),
        }


def audit_actions(app: Any) -> list[str]:
    with app.app_context(), get_store().engine.connect() as connection:
        return list(connection.execute(sa.select(audit_entries.c.action).order_by(audit_entries.c.id)).scalars())


def subjects_to(app: Any, address: str) -> list[str]:
    """The subjects of every email queued for `address`, oldest first."""
    with app.app_context(), get_store().engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(outbox.c.subject).where(outbox.c.recipient == address).order_by(outbox.c.id)
            ).scalars()
        )


def refused_whole(app: Any, send: Any) -> None:
    """With the audit log refusing entries, `send()` shows the error page and changes nothing at all."""
    before = everything(app)
    with app.app_context():
        break_audit_log(get_store().engine)
    try:
        response = send()
    finally:
        with app.app_context():
            mend_audit_log(get_store().engine)
    page = response.get_data(as_text=True)
    assert response.status_code == 500, page
    assert SORRY in page and REFUSAL not in page
    assert everything(app) == before


def answer_everything(school: Any) -> None:
    """The SENCo starts the self-evaluation and answers every criterion (through the heading pages)."""
    with school.application.app_context():
        headings = [heading.id for heading in get_content().framework("primary").headings]
    assert post(school, SCHOOL + "/start", token_from=SCHOOL + "/").status_code == 302
    for heading_id in headings:
        page = school.get(f"{SCHOOL}/{heading_id}").get_data(as_text=True)
        data = {}
        for criterion_id, revision in re.findall(r'name="([A-Z]+-[A-Z]+-\d+)-revision" value="(\d+)"', page):
            data |= {
                f"{criterion_id}-revision": revision,
                f"{criterion_id}-rating": "3",
                f"{criterion_id}-commentary": "We do this well.",
                f"{criterion_id}-evidence": "Provision map",
            }
        assert post(school, f"{SCHOOL}/{heading_id}", data).status_code == 302


def submit(school: Any) -> Any:
    return post(school, SCHOOL + "/submit", token_from=SCHOOL + "/check")


def submissions(app: Any) -> list[str]:
    with app.app_context():
        return get_store().keys("submissions")


# --- submitting a self-evaluation ------------------------------------------------------------------------------


def test_a_submission_whose_audit_entry_fails_is_not_made_and_emails_nobody(app: Any) -> None:
    school = person(app, SENCO)
    answer_everything(school)

    refused_whole(app, lambda: submit(school))
    assert status_of(app) == "in_progress" and submissions(app) == []

    done = submit(school)
    assert done.status_code == 302 and done.headers["Location"].endswith(SCHOOL + "/submitted")
    assert status_of(app) == "submitted" and len(submissions(app)) == 1
    assert audit_actions(app).count("submitted the self-evaluation") == 1
    [subject] = [s for s in subjects_to(app, SENCO) if "self-evaluation submitted" in s]
    assert submissions(app)[0].upper() in subject


# --- moderation: return for amendments, and the award -----------------------------------------------------------


@pytest.fixture
def reviewer(app: Any) -> Any:
    """Oakfield has submitted and the LA reviewer has started the review: the reviewer's browser."""
    school = person(app, SENCO)
    answer_everything(school)
    assert submit(school).status_code == 302
    reviewer = person(app, REVIEWER)
    assert post(reviewer, REVIEW + "/start", token_from=REVIEW).status_code == 302
    return reviewer


def test_a_return_for_amendments_whose_audit_entry_fails_is_not_made_and_emails_nobody(app: Any, reviewer: Any) -> None:
    def send_back() -> Any:
        return post(reviewer, REVIEW + "/return", {"message": "Add the provision map."}, token_from=REVIEW)

    refused_whole(app, send_back)
    assert status_of(app) == "under_review"

    assert send_back().status_code == 302
    assert status_of(app) == "returned"
    assert audit_actions(app).count("returned for amendments") == 1
    assert subjects_to(app, SENCO)[-1] == "Oakfield Primary School: self-evaluation returned for amendments"


def test_an_award_whose_audit_entry_fails_is_not_made_and_emails_nobody(app: Any, reviewer: Any) -> None:
    assert post(reviewer, REVIEW + "/agree-with-the-rest", token_from=REVIEW).status_code == 302
    assert post(reviewer, REVIEW + "/send-to-panel", token_from=REVIEW).status_code == 302
    decision = {
        "outcome": "awarded",
        "reasons": "Strong, well-evidenced practice.",
        "day": "20",
        "month": "11",
        "year": "2026",
        "panel": ["chair", "educational_psychologist"],
    }

    refused_whole(app, lambda: post(reviewer, PANEL, decision))
    assert status_of(app) == "at_panel"
    with app.app_context():
        assert get_store().read(moderation.AWARDS, OAKFIELD) is None

    assert post(reviewer, PANEL, decision).status_code == 302
    assert status_of(app) == "awarded"
    with app.app_context():
        [award] = get_store().read(moderation.AWARDS, OAKFIELD)["decisions"]
    assert award["outcome"] == "awarded" and award["cycle"] == CYCLE
    assert audit_actions(app).count("recorded the panel decision") == 1
    assert subjects_to(app, SENCO)[-1] == "Oakfield Primary School: Quality Mark panel decision"


# --- the school's team: adding someone, approving a registration --------------------------------------------------


def user_with(app: Any, email: str) -> accounts.User | None:
    with app.app_context():
        return accounts.find_user_by_email(get_store(), email)


def test_adding_a_team_member_whose_audit_entry_fails_makes_no_account_and_emails_nobody(app: Any) -> None:
    lead = person(app, SENCO)
    invite = {"name": "Gwen Governor", "email": "gwen@gmail.com", "role": "viewer"}

    refused_whole(app, lambda: post(lead, f"/school/{OAKFIELD}/team/invite", invite, token_from=SCHOOL + "/"))
    assert user_with(app, "gwen@gmail.com") is None

    added = post(lead, f"/school/{OAKFIELD}/team/invite", invite, token_from=SCHOOL + "/")
    assert added.status_code == 302
    gwen = user_with(app, "gwen@gmail.com")
    assert gwen is not None
    with app.app_context():
        assert accounts.school_role(get_store(), OAKFIELD, gwen.id) == "viewer"
    assert audit_actions(app).count("added to team as viewer") == 1
    assert subjects_to(app, "gwen@gmail.com") == ["You have been added to Oakfield Primary School's Quality Mark team"]


def test_approving_a_registration_whose_audit_entry_fails_changes_nothing_and_emails_nobody(app: Any) -> None:
    register(app.test_client(), OAKFIELD, "Sam Newcomer", "Assistant SENCo", NEWCOMER)
    newcomer = user_with(app, NEWCOMER)
    assert newcomer is not None
    lead = person(app, SENCO)
    approve = f"/school/{OAKFIELD}/requests/{newcomer.id}/approve"
    choice = {f"request-{newcomer.id}-role": "contributor"}
    told_before = subjects_to(app, NEWCOMER)

    refused_whole(app, lambda: post(lead, approve, choice, token_from=SCHOOL + "/"))
    with app.app_context():
        store = get_store()
        assert accounts.school_role(store, OAKFIELD, newcomer.id) is None
        assert [user.email for user, _ in accounts.pending_requests(store, OAKFIELD)] == [NEWCOMER]

    assert post(lead, approve, choice, token_from=SCHOOL + "/").status_code == 302
    with app.app_context():
        assert accounts.school_role(get_store(), OAKFIELD, newcomer.id) == "contributor"
    assert audit_actions(app).count("registration approved") == 1
    assert subjects_to(app, NEWCOMER) == [*told_before, "You can now sign in for Oakfield Primary School"]


# --- signing in and out -----------------------------------------------------------------------------------------


def test_a_sign_in_whose_audit_entry_fails_signs_nobody_in_and_leaves_the_link_usable(app: Any) -> None:
    browser = app.test_client()
    outbox_folder = Outbox(Path(app.config["DATA_DIR"]) / "outbox")
    signing_in = SignIn(browser, outbox_folder)
    assert browser.post("/sign-in", data={"email": SENCO, "csrf_token": signing_in.csrf("/sign-in")}).status_code == 302
    token = outbox_folder.link_to(SENCO).rpartition("token=")[2]
    page = "/sign-in/continue?token=" + token

    def press_continue() -> Any:
        return browser.post("/sign-in/continue", data={"token": token, "csrf_token": signing_in.csrf(page)})

    refused_whole(app, press_continue)
    assert browser.get(f"/school/{OAKFIELD}/").status_code != 200  # not signed in

    assert press_continue().status_code == 302  # the link was not used up
    assert browser.get(f"/school/{OAKFIELD}/").status_code == 200
    assert audit_actions(app).count("signed in") == 1


def test_a_sign_out_whose_audit_entry_fails_leaves_the_person_signed_in(app: Any) -> None:
    browser = person(app, SENCO)

    refused_whole(app, lambda: post(browser, "/sign-out", token_from=SCHOOL + "/"))
    assert browser.get(f"/school/{OAKFIELD}/").status_code == 200

    assert post(browser, "/sign-out", token_from=SCHOOL + "/").status_code == 302
    assert browser.get(f"/school/{OAKFIELD}/").status_code != 200
    assert audit_actions(app).count("signed out") == 1


# --- accounts: one address, one account, decided by the database ------------------------------------------------


def test_people_creating_an_account_for_one_address_at_once_end_with_one_account_and_no_orphan(app: Any) -> None:
    with app.app_context():
        store = get_store()
        users_before = len(store.keys(accounts.USERS))
    deletions: list[object] = []

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def watch(_connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM DOCUMENTS") and accounts.USERS in repr(parameters):
            deletions.append(parameters)

    threads_per_address, addresses = 6, 8
    made: dict[str, list[str]] = {}
    failures: list[BaseException] = []

    for number in range(addresses):
        email = f"twin{number}@school.example.org"
        start = threading.Barrier(threads_per_address)

        def create(email: str = email, start: threading.Barrier = start) -> None:
            try:
                start.wait()
                with app.app_context():
                    user = accounts.ensure_user(store, email, "Twin")
                made.setdefault(email, []).append(user.id)
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=create) for _ in range(threads_per_address)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert failures == []
    with store.engine.connect() as connection:
        users = connection.execute(
            sa.select(documents.c.key, documents.c.body).where(documents.c.collection == accounts.USERS)
        ).all()
    # No account was made and then taken back: no user document was ever deleted.
    assert deletions == []
    assert len(users) == users_before + addresses
    for email, ids in made.items():
        assert len(ids) == threads_per_address and len(set(ids)) == 1, (email, ids)
        assert store.read(accounts.EMAIL_INDEX, email) == {"user_id": ids[0]}
        assert store.read(accounts.USERS, ids[0])["email"] == email


def test_an_account_whose_address_is_taken_by_the_time_it_is_stored_is_not_made(app: Any) -> None:
    """The index row's primary key decides: a claim that finds the address taken leaves no user document."""
    with app.app_context():
        store = get_store()
        before = len(store.keys(accounts.USERS))
        assert store.create(accounts.EMAIL_INDEX, "taken@school.example.org", {"user_id": "someone"}) is True
        with store.transaction():
            store.write("notes", "kept", {"text": "the rest of the transaction stays"})
            assert store.create(accounts.EMAIL_INDEX, "taken@school.example.org", {"user_id": "other"}) is False
        assert store.read(accounts.EMAIL_INDEX, "taken@school.example.org") == {"user_id": "someone"}
        assert store.read("notes", "kept") == {"text": "the rest of the transaction stays"}
        assert len(store.keys(accounts.USERS)) == before


def test_removing_an_account_refused_part_way_changes_nothing(app: Any) -> None:
    """`remove_account` is one transaction: refused at its second school (which it would leave without a lead), it
    undoes its removal from the first too."""
    hillcrest, hillcrest_lead = "900004", "inclusion@hillcrest-academy.example.org"
    with app.app_context():
        store = get_store()
        pat = accounts.ensure_user(store, "pat@school.example.org", "Pat")
        accounts.add_member(store, OAKFIELD, pat.id, "contributor", added_by=None)
        accounts.add_member(store, hillcrest, pat.id, "admin", added_by=None)
        lead = accounts.find_user_by_email(store, hillcrest_lead)
        assert lead is not None
        accounts.add_member(store, hillcrest, lead.id, "contributor", added_by=None)  # Pat is Hillcrest's only lead
        assert accounts.school_urns_of(store, pat.id) == [OAKFIELD, hillcrest]
        before = everything(app)

        with pytest.raises(accounts.AccountError, match="must always have a school lead"):
            accounts.remove_account(store, pat.id)

        assert everything(app) == before
        assert accounts.school_role(store, OAKFIELD, pat.id) == "contributor"


# --- the audit log in backups ---------------------------------------------------------------------------------------


def test_a_backup_holds_the_audit_log_and_restores_it_into_the_other_engine(
    app: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from form_service.core import audit
    from tests.test_store import new_store, other_engine

    def rows(engine: sa.Engine) -> list[dict[str, Any]]:
        with engine.connect() as connection:
            found = connection.execute(sa.select(audit_entries).order_by(audit_entries.c.id)).all()
        return [{**row._mapping, "at": row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)} for row in found]

    with app.app_context():
        source = get_store()
        audit.record(source, "someone", "recorded the panel decision", "school 900001", "127.0.0.1", n=[1, {"x": "é"}])
        before = rows(source.engine)
        assert len(before) >= 2 and before[-1]["details"] == {"n": [1, {"x": "é"}]}

        source.backup(tmp_path / "backup.tar.gz")
        target = new_store(other_engine(source), tmp_path, request, "target")
        target.restore(tmp_path / "backup.tar.gz")

        assert rows(target.engine) == before
        audit.record(target, "someone", "signed in", "someone", "127.0.0.1")
        after = rows(target.engine)
    assert after[:-1] == before and after[-1]["id"] > before[-1]["id"]  # numbering carries on after the restore
