"""How a self-evaluation is stored: one small document per heading, and no save slips in after a submission."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

from form_service import accounts, self_evaluation
from form_service.content import get_content
from form_service.store import STORE_FOLDER, get_store

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


def answer_files(app: Any) -> dict[str, tuple[tuple[int, int], ...]]:
    """Per answers document (by its file name), the inode and time of change of each of its slot files."""
    folder = Path(app.config["DATA_DIR"]) / STORE_FOLDER / self_evaluation.ANSWERS
    files: dict[str, tuple[tuple[int, int], ...]] = {}
    for path in sorted(folder.glob("*.json")):
        document = path.name.replace("~.json", ".json")
        files[document] = (*files.get(document, ()), (path.stat().st_ino, path.stat().st_mtime_ns))
    return files


def test_a_save_rewrites_only_the_file_of_its_heading(app: Any) -> None:
    with app.app_context():
        store, content, cycle = begin(app)
        framework = content.framework("primary")
        for heading in framework.headings:
            assert save(store, content, cycle, heading.criteria[0].id).status == "saved"
        before = answer_files(app)
        assert len(before) == len(framework.headings) == 6

        assert save(store, content, cycle, "PRI-LEAD-02").status == "saved"

        after = answer_files(app)
        changed = sorted(name for name in after if after[name] != before[name])
        assert changed == [f"{OAKFIELD}-2026-27-{framework.heading_of('PRI-LEAD-02').id}.json"]
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
        assert answer_files(app) == {}
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
