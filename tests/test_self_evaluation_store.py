"""How a self-evaluation is stored: one small document per heading, and no save slips in after a submission."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from form_service import accounts, self_evaluation
from form_service.core.content import get_content
from form_service.store import get_store
from quality_mark.loader import load_content
from quality_mark.model import LONDON

OAKFIELD = "900001"
CYCLE_DAY = date(2026, 11, 23)  # the app fixture's TODAY
ANSWER = {"rating": 3, "commentary": "Staff adapt teaching for every pupil.", "evidence": ["Provision map"]}


def begin(app: Any) -> tuple[Any, Any, Any]:
    store, content = get_store(), get_content()
    cycle = self_evaluation.current_cycle(content, CYCLE_DAY)
    self_evaluation.start(store, content, accounts.get_school(store, OAKFIELD), cycle)
    return store, content, cycle


def save(store: Any, content: Any, cycle: Any, criterion_id: str, base: int = 0, **answer: Any):
    return self_evaluation.save_answer(
        store, content, cycle, OAKFIELD, criterion_id, ANSWER | answer, base, "user-1", today=CYCLE_DAY
    )


def stored_rows(store: Any) -> dict[tuple[str, str], str]:
    """Every stored document's body, by (collection, key), as the database holds it."""
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT collection, key, body FROM documents").all()
    return {(collection, key): body for collection, key, body in rows}


def test_a_save_rewrites_only_the_document_of_its_heading(app: Any) -> None:
    with app.app_context():
        store, content, cycle = begin(app)
        framework = content.framework("primary")
        for heading in framework.headings:
            assert save(store, content, cycle, heading.criteria[0].id).status == "saved"
        assert len(store.keys(self_evaluation.ANSWERS)) == len(framework.headings) == 6
        before = stored_rows(store)

        assert save(store, content, cycle, "PRI-LEAD-02").status == "saved"

        after = stored_rows(store)
        changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
        heading = framework.heading_of("PRI-LEAD-02").id
        assert changed == [(self_evaluation.ANSWERS, f"{OAKFIELD}-2026-27-{heading}")]
        document = self_evaluation.load(store, OAKFIELD, cycle.id)
        assert len(document["answers"]) == 7
        assert document["answers"]["PRI-LEAD-02"]["commentary"] == ANSWER["commentary"]
        assert [entry["revision"] for entry in document["history"]["PRI-LEAD-02"]] == [1]


def test_a_criterion_of_another_framework_is_unknown_and_nothing_is_stored(app: Any) -> None:
    with app.app_context():
        store, content, cycle = begin(app)
        secondary = content.framework("secondary").criteria[0].id
        result = save(store, content, cycle, secondary)
        assert result.status == "unknown_criterion"
        assert store.keys(self_evaluation.ANSWERS) == []
        assert self_evaluation.load(store, OAKFIELD, cycle.id)["answers"] == {}


def test_a_save_waits_for_a_submission_in_progress_and_is_then_refused(app: Any) -> None:
    with app.app_context():
        store, content, cycle = begin(app)
        document = self_evaluation.load(store, OAKFIELD, cycle.id)
        holding, release = threading.Event(), threading.Event()
        outcome: dict[str, Any] = {}

        def submit() -> None:
            def lock_it() -> None:
                holding.set()
                release.wait(10)
                # What a submission does while it holds every heading: it locks the self-evaluation.
                store.modify(
                    self_evaluation.COLLECTION,
                    self_evaluation.key(OAKFIELD, cycle.id),
                    lambda current: ({**current, "status": "submitted"}, None),
                )

            with app.app_context():
                self_evaluation.holding_every_part(store, document, lock_it)

        def late_save() -> None:
            with app.app_context():
                outcome["result"] = save(store, content, cycle, "PRI-LEAD-01")

        submitter = threading.Thread(target=submit)
        submitter.start()
        assert holding.wait(10)
        saver = threading.Thread(target=late_save)
        saver.start()
        saver.join(0.5)
        assert saver.is_alive(), "a save went through while a submission held the self-evaluation"
        release.set()
        submitter.join(10)
        saver.join(10)
        assert outcome["result"].status == "locked"
        assert self_evaluation.load(store, OAKFIELD, cycle.id)["answers"] == {}


def test_schools_keep_their_cycle_until_its_deadline_even_when_the_next_one_opens_for_registration() -> None:
    content = load_content()
    latest = content.key_dates.cycles[-1]  # 2026-27: registration 11 June 2026, deadline 30 September 2027
    following = replace(
        latest,
        id="2027-28",
        title="2027 to 2028",
        registration_opens=date(2027, 6, 10),
        submission_deadline=datetime(2028, 9, 29, 23, 59, tzinfo=LONDON),
    )
    content = replace(content, key_dates=replace(content.key_dates, cycles=(*content.key_dates.cycles, following)))

    def cycle_on(day: date) -> str:
        return self_evaluation.current_cycle(content, day).id

    assert cycle_on(date(2025, 1, 1)) == "2025-26"  # before anything opened: the first
    assert cycle_on(date(2026, 7, 1)) == "2025-26"  # 2026-27 registration is open, 2025-26 is due in September
    assert cycle_on(date(2026, 9, 30)) == "2025-26"  # the deadline day itself
    assert cycle_on(date(2026, 10, 1)) == "2026-27"
    assert cycle_on(date(2027, 6, 10)) == "2026-27"  # 2027-28 opens for registration; 2026-27 still runs
    assert cycle_on(date(2027, 10, 1)) == "2027-28"
    assert cycle_on(date(2030, 1, 1)) == "2027-28"  # every deadline passed: the newest
