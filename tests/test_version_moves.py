"""Moving in-progress self-evaluations to a new framework version, flags, confirming, and reaccreditation
pre-fill, on a real store (no web pages: those are in test_version_pages.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from form_service import accounts, self_evaluation, workflow
from form_service import versions as version_moves
from form_service.core.content import EXTENSION, get_content
from form_service.store import get_store, open_store
from quality_mark.carry_over import answer_fields
from tests.version_fixtures import primary_v2, real_content, with_frameworks

OAKFIELD = "900001"  # a primary school of the demo
MOMENT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class Stop(Exception):
    """Stands for the process stopping part way through a move."""


def with_v2(app: Any, effective_from: date = date(2027, 9, 1)) -> Any:
    """The app's content with primary version 2 (one of every kind of change) beside version 1."""
    content = with_frameworks(real_content(), primary_v2(real_content(), effective_from))
    app.extensions[EXTENSION] = content
    return content


def started(app: Any, urn: str = OAKFIELD) -> dict[str, Any]:
    with app.app_context():
        store, content = get_store(), get_content()
        school = accounts.get_school(store, urn)
        return self_evaluation.start(store, content, school, cycle(app), today=date(2026, 11, 23))


def cycle(app: Any) -> Any:
    with app.app_context():
        return self_evaluation.current_cycle(get_content(), date(2026, 11, 23))


def save(app: Any, criterion_id: str, answer: dict, base: int = 0, urn: str = OAKFIELD) -> Any:
    with app.app_context():
        return self_evaluation.save_answer(
            get_store(), get_content(), cycle(app), urn, criterion_id, answer, base, "senco", today=date(2026, 11, 23)
        )


def load(app: Any, urn: str = OAKFIELD) -> dict[str, Any]:
    with app.app_context():
        document = self_evaluation.load(get_store(), urn, cycle(app).id)
    assert document is not None
    return document


def move(app: Any, urn: str = OAKFIELD, to_version: int = 2, **kwargs: Any) -> version_moves.MoveOutcome:
    with app.app_context():
        return version_moves.move(
            get_store(), get_content(), urn, cycle(app).id, to_version, "la-admin", MOMENT, **kwargs
        )


ANSWERS = {
    "PRI-LEAD-01": {"rating": 3, "commentary": "Unchanged answer", "evidence": ["SEND policy"]},
    "PRI-LEAD-02": {"rating": 2, "commentary": "Reworded answer", "evidence": []},
    "PRI-LEAD-07": {"rating": 4, "commentary": "Retired answer", "evidence": ["Minutes"]},
    "PRI-IDEN-03": {"rating": 3, "commentary": "Split answer", "evidence": []},
    "PRI-TEACH-01": {"rating": 4, "commentary": "First merged", "evidence": ["Lesson visits"]},
    "PRI-TEACH-02": {"rating": 2, "commentary": "Second merged", "evidence": ["Pupil books"]},
    "PRI-VOICE-03": {"rating": 1, "commentary": "Replaced answer", "evidence": []},
    "PRI-WELL-05": {"rating": 3, "commentary": "Moved answer", "evidence": []},
}


def answered(app: Any) -> dict[str, Any]:
    started(app)
    for criterion_id, answer in ANSWERS.items():
        assert save(app, criterion_id, answer).status == "saved"
    return load(app)


def findable(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(criterion ID, commentary) of every answer and earlier answer the school can read."""
    found = {(cid, a["commentary"]) for cid, a in document["answers"].items()}
    return found | {(e["criterion_id"], e["answer"]["commentary"]) for e in document.get("earlier_answers", [])}


def test_moving_keeps_every_answer_flags_the_changed_and_records_who_and_when(app) -> None:
    with_v2(app)
    before = answered(app)

    outcome = move(app)

    after = load(app)
    assert outcome.status == "moved"
    assert (after["framework_version"], after["content_hash"]) == (2, primary_v2(real_content()).content_hash)
    assert {(cid, a["commentary"]) for cid, a in ANSWERS.items()} <= findable(after)
    assert set(after["flags"]) == {"PRI-LEAD-02", "PRI-IDEN-08", "PRI-IDEN-09", "PRI-TEACH-08", "PRI-VOICE-08"} | {
        "PRI-TRANS-08"
    }
    assert answer_fields(after["answers"]["PRI-WELL-05"]) == ANSWERS["PRI-WELL-05"]
    assert after["answers"]["PRI-TEACH-08"]["rating"] == 2
    assert after["migrations"] == [{"from_version": 1, "to_version": 2, "by": "la-admin", "at": MOMENT.isoformat()}]
    assert after["parts"] == [h.id for h in primary_v2(real_content()).headings]
    with app.app_context():
        record = get_store().read(version_moves.MIGRATIONS, f"{OAKFIELD}-{cycle(app).id}-v2")
    assert record["complete"] is True
    assert record["before"]["meta"]["framework_version"] == 1
    stored_before = {cid: a for part in record["before"]["parts"].values() for cid, a in part["answers"].items()}
    assert stored_before == before["answers"]


def test_a_flagged_criterion_does_not_count_until_saved_or_confirmed_and_submission_waits(app) -> None:
    with_v2(app)
    answered(app)
    move(app)
    document = load(app)

    saved = save(
        app, "PRI-LEAD-02", {"rating": 3, "commentary": "Looked again"}, document["answers"]["PRI-LEAD-02"]["revision"]
    )
    with app.app_context():
        confirmed = self_evaluation.confirm_answer(
            get_store(),
            get_content(),
            cycle(app),
            OAKFIELD,
            "PRI-TEACH-08",
            document["answers"]["PRI-TEACH-08"]["revision"],
            "senco",
        )
        again = self_evaluation.confirm_answer(
            get_store(),
            get_content(),
            cycle(app),
            OAKFIELD,
            "PRI-TEACH-08",
            document["answers"]["PRI-TEACH-08"]["revision"],
            "senco",
        )
        stale = self_evaluation.confirm_answer(
            get_store(), get_content(), cycle(app), OAKFIELD, "PRI-VOICE-08", 0, "senco"
        )
        submitted = self_evaluation.submit(get_store(), get_content(), cycle(app), OAKFIELD, "senco", MOMENT, "QM-1")

    after = load(app)
    assert saved.status == "saved"
    assert confirmed == ("confirmed", None)
    assert again[0] == "not_flagged"
    assert stale[0] == "conflict"
    assert "PRI-LEAD-02" not in after["flags"] and "PRI-TEACH-08" not in after["flags"]
    assert after["answers"]["PRI-TEACH-08"] == document["answers"]["PRI-TEACH-08"]  # confirming changes nothing
    assert after["history"]["PRI-TEACH-08"][-1]["confirmed"] == "changed"
    assert submitted[0] == "error" and "confirm or change each flagged answer" in submitted[1]
    assert after["status"] == "in_progress"


def test_a_save_from_a_page_opened_before_the_move_is_a_conflict_not_an_overwrite(app) -> None:
    with_v2(app)
    before = answered(app)
    move(app)

    result = save(
        app, "PRI-LEAD-01", {"rating": 1, "commentary": "From an old tab"}, before["answers"]["PRI-LEAD-01"]["revision"]
    )

    assert result.status == "conflict"
    assert load(app)["answers"]["PRI-LEAD-01"]["commentary"] == "Unchanged answer"


@pytest.mark.parametrize("status", ["submitted", "under_review", "returned", "at_panel", "awarded", "not_awarded"])
def test_a_self_evaluation_that_is_not_in_progress_is_never_moved(app, status) -> None:
    with_v2(app)
    answered(app)
    with app.app_context():
        get_store().modify(
            self_evaluation.COLLECTION, f"{OAKFIELD}-{cycle(app).id}", lambda d: (d | {"status": status}, None)
        )
    before = load(app)

    outcome = move(app)

    assert outcome.status == "not_in_progress"
    assert "only self-evaluations in progress move" in outcome.message
    assert load(app) == before


def test_moving_again_does_nothing_and_an_older_or_unknown_version_is_refused(app) -> None:
    with_v2(app)
    answered(app)
    move(app)
    after = load(app)

    assert move(app).status == "already"
    assert move(app, to_version=1).status == "not_newer"
    assert move(app, to_version=9).status == "unknown_version"
    assert load(app) == after


@pytest.mark.parametrize("stop_at", ["leadership", "identification", "transitions"])
def test_a_move_stopped_part_way_stores_nothing_and_running_it_again_moves_everything_once(app, stop_at) -> None:
    with_v2(app)
    answered(app)
    before = load(app)

    def stop(heading_id: str) -> None:
        if heading_id == stop_at:
            raise Stop

    with pytest.raises(Stop):
        move(app, after_each=stop)
    assert load(app) == before  # one transaction: nothing of the move was stored
    with app.app_context():
        assert get_store().keys(version_moves.MIGRATIONS) == []
    during = save(app, "PRI-TRANS-01", {"rating": 2, "commentary": "During the move"})

    outcome = move(app)

    after = load(app)
    assert during.status == "saved"
    assert after["answers"]["PRI-TRANS-01"]["commentary"] == "During the move"
    assert outcome.status == "moved"
    assert after["framework_version"] == 2
    assert {(cid, a["commentary"]) for cid, a in ANSWERS.items()} <= findable(after)
    assert (
        after["answers"]["PRI-TEACH-08"]["commentary"] == "[PRI-TEACH-01] First merged\n\n[PRI-TEACH-02] Second merged"
    )
    assert [e["criterion_id"] for e in after["earlier_answers"]].count("PRI-LEAD-02") == 1
    assert after["answers"]["PRI-LEAD-01"]["revision"] == 2  # carried once, not twice


def test_answers_saved_after_a_stopped_move_to_headings_not_yet_moved_are_carried(app) -> None:
    with_v2(app)
    answered(app)

    def stop(heading_id: str) -> None:
        if heading_id == "voice":
            raise Stop

    with pytest.raises(Stop):
        move(app, after_each=stop)
    # transitions (last) and wellbeing were written; leadership is still on version 1
    saved = save(app, "PRI-LEAD-03", {"rating": 4, "commentary": "Saved in between"})

    move(app)

    assert saved.status == "saved"
    assert load(app)["answers"]["PRI-LEAD-03"]["commentary"] == "Saved in between"


def test_a_new_self_evaluation_starts_on_the_newest_version_in_effect(app) -> None:
    with_v2(app, effective_from=date(2026, 11, 1))

    document = started(app)

    assert document["framework_version"] == 2
    assert document["parts"] == [h.id for h in primary_v2(real_content()).headings]


def test_before_a_new_version_takes_effect_new_self_evaluations_start_on_the_one_in_effect(app) -> None:
    with_v2(app, effective_from=date(2027, 9, 1))

    assert started(app)["framework_version"] == 1


def award(app: Any, urn: str, answers: dict[str, dict], outcome: str = "awarded") -> None:
    """A submission of the previous cycle and the panel's decision on it."""
    with app.app_context():
        store = get_store()
        reference = f"QM-{urn}-202526-ABCDEF"
        stored = {
            cid: {**a, "revision": 2, "updated_at": "2026-06-01T10:00:00+00:00", "updated_by": "x"}
            for cid, a in answers.items()
        }
        store.write(
            self_evaluation.SUBMISSIONS,
            reference.lower(),
            {
                "reference": reference,
                "urn": urn,
                "cycle": "2025-26",
                "framework": "primary",
                "framework_version": 1,
                "content_hash": "old",
                "answers": stored,
                "submitted_at": "2026-06-01T10:00:00+00:00",
            },
        )
        store.write(
            workflow.AWARDS,
            urn,
            {
                "decisions": [
                    {
                        "cycle": "2025-26",
                        "reference": reference,
                        "outcome": outcome,
                        "decided_on": "2024-07-01",
                        "expires_on": "2027-07-01",
                    }
                ]
            },
        )


def test_a_school_that_held_the_mark_starts_pre_filled_with_every_answer_asking_still_true(app) -> None:
    with_v2(app, effective_from=date(2026, 11, 1))
    award(app, OAKFIELD, ANSWERS)

    document = started(app)

    assert document["framework_version"] == 2
    assert document["prefilled_from"]["reference"] == "QM-900001-202526-ABCDEF"
    assert {(cid, a["commentary"]) for cid, a in ANSWERS.items()} <= findable(document)
    assert {cid for cid, flag in document["flags"].items() if flag["kind"] == "still_true"} == set(document["answers"])
    assert document["flags"]["PRI-TRANS-08"]["kind"] == "new"
    assert all(answer["revision"] == 1 for answer in document["answers"].values())


def test_a_school_not_awarded_starts_empty(app) -> None:
    award(app, OAKFIELD, ANSWERS, outcome="not_awarded")

    document = started(app)

    assert document["answers"] == {} and document["flags"] == {} and "prefilled_from" not in document


# A real crash: a process moving many schools is killed, then the move is run again ---------------------------

MOVER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, date, datetime
    from pathlib import Path
    from flask import Flask
    from form_service import versions as version_moves
    from form_service.core import clock
    from form_service.store import open_store
    from tests.version_fixtures import primary_v2, real_content, with_frameworks

    content = with_frameworks(real_content(), primary_v2(real_content()))
    store = open_store(Path(sys.argv[1]))
    app = Flask("mover")
    app.config.update(ENV_NAME="test", TODAY="2026-11-23")
    clock.init_app(app)
    print("started", flush=True)
    with app.app_context():
        version_moves.move_all(store, content, "primary", "2026-27", 2, "cli", clock.now())
    print("finished", flush=True)
    """
)


@pytest.fixture
def clock_only() -> Any:
    """An app context with nothing but the service's clock, for domain functions run without a service."""

    from form_service.core import clock

    bare = Flask("clock-only")
    bare.config.update(ENV_NAME="test", TODAY="2026-11-23")
    clock.init_app(bare)
    with bare.app_context():
        yield bare


def test_killing_a_process_moving_many_schools_and_running_again_completes_every_school(
    tmp_path: Path, clock_only: Any
) -> None:
    data = tmp_path / "data"
    store = open_store(data)
    content = with_frameworks(real_content(), primary_v2(real_content()))
    the_cycle = content.key_dates.cycle("2026-27")
    urns = [f"95{n:04d}" for n in range(60)]
    for urn in urns:
        school = {"urn": urn, "framework": "primary"}
        self_evaluation.start(store, content, school, the_cycle, today=date(2026, 11, 23))
        for criterion_id, answer in ANSWERS.items():
            result = self_evaluation.save_answer(store, content, the_cycle, urn, criterion_id, answer, 0, "s")
            assert result.status == "saved"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    mover = subprocess.Popen([sys.executable, "-c", MOVER, str(data)], stdout=subprocess.PIPE, env=env, text=True)
    assert mover.stdout is not None and mover.stdout.readline().strip() == "started"
    while not any(key.startswith(urns[5]) for key in store.keys(version_moves.MIGRATIONS)):
        time.sleep(0.01)  # let it get some schools in, then kill it mid-way
    os.kill(mover.pid, signal.SIGKILL)
    mover.wait()
    moved_before = sum(1 for urn in urns if self_evaluation.load(store, urn, "2026-27")["framework_version"] == 2)

    summary = version_moves.move_all(store, content, "primary", "2026-27", 2, "cli", MOMENT)

    assert 0 < moved_before < len(urns), "the process was not stopped part way"
    assert summary.count("moved") == len(urns) - moved_before
    for urn in urns:
        document = self_evaluation.load(store, urn, "2026-27")
        assert document["framework_version"] == 2, urn
        assert {(cid, a["commentary"]) for cid, a in ANSWERS.items()} <= findable(document), urn
        assert document["answers"]["PRI-LEAD-01"]["revision"] == 2, urn
        assert len(document["migrations"]) == 1
        assert len(document["earlier_answers"]) == len(ANSWERS) - 2  # all but the unchanged and the moved one
