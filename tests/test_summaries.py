"""Summary rows (form_service/summaries.py): the dashboard, exports, insight and year on year read rows the store
keeps in the transaction of every write. They must always say what working the figures out from the documents
says, on both engines, after any mix of changes; a transaction that fails changes none of them; and a second
application on the same database shows a change made through the first at once.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from form_service import accounts, moderation, programme, self_evaluation, summaries, workflow
from form_service.accounts import auth
from form_service.core.content import get_content
from form_service.insight import index as insight_index
from form_service.programme import stages as stages_module
from form_service.store import SQLStore, get_store
from form_service.year_on_year import index as year_on_year_index
from tests.test_store import ENGINES

TODAY = date(2026, 11, 23)
LA_REVIEWER = "la.reviewer@example.org"


def summary_tables(store: SQLStore) -> dict[str, list[tuple]]:
    """Every summary row, table by table, in key order."""

    def read(connection: Any) -> dict[str, list[tuple]]:
        return {
            table.name: [
                tuple(row) for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in summaries.TABLES
        }

    return store.query(read)


def rows_from_documents(store: SQLStore, content: Any, day: date) -> dict[str, programme.ProgrammeRow]:
    """Every school's dashboard row worked out from its documents (`read_facts`), not from the summary rows."""
    cycle = self_evaluation.current_cycle(content, day)
    found = {}
    for urn in store.keys(accounts.SCHOOLS):
        facts = programme.read_facts(store, content, cycle, urn)
        assert facts is not None
        found[urn] = programme.row_for(facts, cycle, day)
    return found


def insight_from_documents(store: SQLStore, content: Any) -> dict[str, dict[str, Any]]:
    """What insight shows of each school, from the documents: its newest cycle with a submission, that submission's
    ratings as moderated, and its heading scores."""
    from quality_mark.insight import heading_scores

    found = {}
    for urn in store.keys(accounts.SCHOOLS):
        for cycle in sorted(content.key_dates.cycles, key=lambda c: c.registration_opens, reverse=True):
            document = self_evaluation.load(store, urn, cycle.id)
            if document and document.get("submissions"):
                snapshot = moderation.latest_submission(store, document)
                decisions = store.read(moderation.COLLECTION, self_evaluation.key(urn, cycle.id))
                framework = content.framework(snapshot["framework"], snapshot["framework_version"])
                ratings = workflow.moderated_ratings(snapshot["answers"], decisions)
                found[urn] = {
                    "cycle": cycle.id,
                    "reference": snapshot.get("reference"),
                    "ratings": ratings,
                    "heading_scores": heading_scores(framework, ratings),
                }
                break
    return found


def assert_rows_match_documents(store: SQLStore, content: Any) -> None:
    for day in (TODAY, TODAY + timedelta(days=200), TODAY + timedelta(days=800)):
        assert {row.urn: row for row in programme.rows(store, content, day)} == rows_from_documents(
            store, content, day
        ), day
    shown = {
        row["urn"]: {name: row[name] for name in ("cycle", "reference", "ratings", "heading_scores")}
        for row in insight_index.all_rows(store, content)
    }
    assert shown == insight_from_documents(store, content)
    by_key = dict(year_on_year_index.every_submission(store, content))
    assert sorted(
        (s.urn, s.cycle_id, s.framework.version, sorted(s.ratings.items()))
        for s in year_on_year_index.submissions(store, content)
    ) == sorted((s.urn, s.cycle_id, s.framework.version, sorted(s.ratings.items())) for s in by_key.values())
    # And the rows kept change by change are exactly the rows worked out afresh from every document.
    kept = summary_tables(store)
    store.run(summaries.rebuild)
    assert summary_tables(store) == kept


# --- a random mix of changes ---------------------------------------------------------------------------------


def moment(rng: random.Random) -> str:
    return (datetime(2026, 9, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(120_000))).isoformat()


def random_change(store: SQLStore, content: Any, rng: random.Random, urns: list[str]) -> str:
    """One change of the kinds the service makes, to a random school; returns what it was."""
    cycle = self_evaluation.current_cycle(content, TODAY)
    urn = rng.choice(urns)
    kind = rng.choice(
        ["save", "save", "save", "submit", "award", "stage", "member", "moderate", "status", "extension", "remove"]
    )
    school = accounts.get_school(store, urn)
    if school is None:
        kind = "restore school"
    if kind == "restore school":
        store.write(accounts.SCHOOLS, urn, {"urn": urn, "name": f"School {urn}", "framework": "primary"})
    elif kind == "save":
        document = self_evaluation.start(store, content, school, cycle, TODAY)
        framework = self_evaluation.framework_of(content, document)
        criterion = rng.choice(framework.criteria).id
        base = document["answers"].get(criterion, {}).get("revision", 0)
        answer = {"rating": rng.randint(1, 4), "commentary": rng.choice(["", "Established practice."]), "evidence": []}
        self_evaluation.save_answer(store, content, cycle, urn, criterion, answer, base, "someone", today=TODAY)
    elif kind == "submit":
        document = self_evaluation.start(store, content, school, cycle, TODAY)
        reference = f"QM-{urn}-{cycle.id.replace('-', '')}-{rng.randrange(16**6):06X}"
        if document["status"] in workflow.EDITABLE and not document.get("flags"):
            at = datetime(2026, 11, 20, tzinfo=UTC)
            self_evaluation.submit(store, content, cycle, urn, "someone", at, reference)
    elif kind == "award":
        decided = TODAY - timedelta(days=rng.randrange(-30, 1300))
        decision = {
            "outcome": rng.choice(["awarded", "awarded", "not_awarded"]),
            "decided_on": decided.isoformat(),
            "expires_on": workflow.award_expiry(decided, 3).isoformat(),
            "recorded_at": moment(rng),
        }
        store.modify(
            workflow.AWARDS,
            urn,
            lambda awards: ({"urn": urn, "decisions": [*(awards or {}).get("decisions", []), decision]}, None),
        )
    elif kind == "stage":
        number = str(rng.randint(1, len(content.timeline.stages)))

        def reach(document: dict | None) -> tuple[dict, None]:
            document = document or {"urn": urn, "reached": {}}
            record = None if rng.random() < 0.3 else {"reached_on": "2026-10-05", "recorded_at": moment(rng)}
            document["reached"][number] = record
            return document, None

        store.modify(stages_module.COLLECTION, urn, reach)
    elif kind == "member":

        def team(document: dict | None) -> tuple[dict, None]:
            members = dict(document.get("members") or {})
            pending = dict(document.get("pending") or {})
            if members and rng.random() < 0.4:
                members.pop(rng.choice(sorted(members)))
            elif rng.random() < 0.5:
                pending[f"user-{rng.randrange(100)}"] = {"requested_at": moment(rng), "job_title": "SENCo"}
            else:
                members[f"user-{rng.randrange(100)}"] = {"role": "admin", "added_at": moment(rng), "added_by": None}
            return {**document, "members": members, "pending": pending}, None

        store.modify(accounts.SCHOOLS, urn, team)
    elif kind in ("moderate", "status", "extension"):
        key = self_evaluation.key(urn, cycle.id)
        document = store.read(self_evaluation.COLLECTION, key)
        if document is None:
            return "nothing"
        if kind == "moderate" and document.get("submissions"):
            framework = self_evaluation.framework_of(content, document)
            criterion = rng.choice(framework.criteria).id

            def moderate(decisions: dict | None) -> tuple[dict, None]:
                decisions = decisions or {"criteria": {}, "comments": {}}
                decisions["criteria"][criterion] = {"decision": "moderate", "rating": rng.randint(1, 4)}
                return decisions, None

            store.modify(moderation.COLLECTION, key, moderate)
        elif kind == "status":
            status = rng.choice(["in_progress", "under_review", "returned", "at_panel", "awarded", "not_awarded"])
            store.modify(self_evaluation.COLLECTION, key, lambda d: ({**d, "status": status}, None))
        elif kind == "extension":
            until = datetime(2027, 10, rng.randint(1, 28), 23, 59, tzinfo=UTC).isoformat()
            store.modify(self_evaluation.COLLECTION, key, lambda d: ({**d, "extension_until": until}, None))
    elif kind == "remove":
        store.delete(accounts.SCHOOLS, urn)
    return kind


@pytest.mark.parametrize("engine", ENGINES)
def test_summary_rows_say_what_the_documents_say_after_a_random_mix_of_changes(
    engine: str, service_on: Any, tmp_path: Path
) -> None:
    from form_service.commands import seed_demo

    app = service_on(engine, tmp_path / "data", seed=False)
    with app.app_context():
        seed_demo(app, programme=True)  # schools at every stage: submitted, moderated, awarded, expired
        store, content = get_store(), get_content()
        urns = store.keys(accounts.SCHOOLS)
        assert insight_index.all_rows(store, content)
        assert_rows_match_documents(store, content)
        rng = random.Random(12)
        made: list[str] = []
        for _ in range(4):
            for _ in range(60):
                made.append(random_change(store, content, rng, urns))
            # Some changes together in one transaction, as a unit of work makes them.
            with store.transaction():
                for _ in range(5):
                    made.append(random_change(store, content, rng, urns))
            assert_rows_match_documents(store, content)
        assert {"save", "submit", "award", "stage", "member", "moderate", "status", "remove"} <= set(made)


# --- failed transactions -------------------------------------------------------------------------------------


class Undone(Exception):
    pass


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failed_transaction_leaves_the_summary_rows_as_they_were(
    engine: str, service_on: Any, tmp_path: Path
) -> None:
    app = service_on(engine, tmp_path / "data")
    with app.app_context():
        store, content = get_store(), get_content()
        cycle = self_evaluation.current_cycle(content, TODAY)
        school = accounts.get_school(store, "900001")
        document = self_evaluation.start(store, content, school, cycle, TODAY)
        criterion = self_evaluation.framework_of(content, document).criteria[0].id
        answer = {"rating": 3, "commentary": "Established practice.", "evidence": []}
        before = summary_tables(store)
        assert before["school_summaries"] and before["evaluation_summaries"]

        with pytest.raises(Undone), store.transaction():
            self_evaluation.save_answer(store, content, cycle, "900001", criterion, answer, 0, "someone")
            store.modify(accounts.SCHOOLS, "900001", lambda d: ({**d, "members": {}, "name": "Gone"}, None))
            store.delete(accounts.SCHOOLS, "900002")
            raise Undone
        assert summary_tables(store) == before

        # An inner block that fails is undone with its rows; the rest of the transaction commits with its own.
        with store.transaction():
            self_evaluation.save_answer(store, content, cycle, "900001", criterion, answer, 0, "someone")
            with pytest.raises(Undone), store.transaction():
                store.delete(accounts.SCHOOLS, "900002")
                raise Undone
        rows = {row.urn: row for row in programme.rows(store, content, TODAY)}
        assert rows["900001"].reviewed == 1 and "900002" in rows
        assert_rows_match_documents(store, content)


# --- two applications on one database ------------------------------------------------------------------------


def signed_in_client(app: Any, email: str) -> Any:
    from flask import session

    with app.app_context():
        user = accounts.find_user_by_email(get_store(), email)
    with app.test_request_context():
        auth.start_session(user)
        signed = dict(session)
    client = app.test_client()
    with client.session_transaction() as client_session:
        client_session.update(signed)
    return client


def dashboard_row(client: Any, urn: str) -> str:
    page = client.get(f"/la/?search={urn}").get_data(as_text=True)
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return " ".join(body.split())


def test_the_dashboard_of_a_second_application_shows_a_save_made_through_the_first_at_once(
    service_on: Any, tmp_path: Path
) -> None:
    from form_service import create_app
    from form_service.config import TestConfig

    a = service_on("postgresql", tmp_path / "a")
    b = create_app(TestConfig, {**a.config, "DATA_DIR": tmp_path / "b", "SITE_DIR": tmp_path / "b" / "no-site"})
    assert b.config["DATABASE_URL"] == a.config["DATABASE_URL"]
    reviewer_b = signed_in_client(b, LA_REVIEWER)
    before = dashboard_row(reviewer_b, "900001")  # host B has shown the row before the change
    assert "Registered" in before

    with a.app_context():
        store, content = get_store(), get_content()
        cycle = self_evaluation.current_cycle(content, TODAY)
        document = self_evaluation.start(store, content, accounts.get_school(store, "900001"), cycle, TODAY)
        criterion = self_evaluation.framework_of(content, document).criteria[0].id
        answer = {"rating": 3, "commentary": "Established practice.", "evidence": []}
        result = self_evaluation.save_answer(store, content, cycle, "900001", criterion, answer, 0, "someone")
        assert result.status == "saved"

    after = dashboard_row(reviewer_b, "900001")
    assert "In progress" in after and "2%" in after  # 1 of 42 criteria reviewed
    with b.app_context():
        get_store().engine.dispose()


# --- backup and restore ----------------------------------------------------------------------------------------


def test_a_restore_into_the_other_engine_works_the_summary_rows_out_again_from_the_documents(
    service_on: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from form_service.commands import seed_demo
    from form_service.store import open_store
    from tests.test_store import url_of

    app = service_on("sqlite", tmp_path / "data", seed=False)
    with app.app_context():
        seed_demo(app, programme=True)
        store, content = get_store(), get_content()
        kept = summary_tables(store)
        shown = programme.rows(store, content, TODAY)
        counts = store.backup_counted(tmp_path / "backup.tar.gz")
    assert not set(counts) & {table.name for table in summaries.TABLES}  # derived rows are not in the backup

    restored = open_store(database_url=url_of("postgresql", tmp_path, request, "restored"))
    request.addfinalizer(restored.engine.dispose)
    restored.restore(tmp_path / "backup.tar.gz")
    assert summary_tables(restored) == kept
    assert programme.rows(restored, content, TODAY) == shown
