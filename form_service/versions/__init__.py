"""Moving in-progress self-evaluations to a new version of their framework, when the LA decides.

Only a self-evaluation that is ``in_progress`` moves: one that is submitted, under review, returned, at
panel or decided stays on the version it was made against, because what was submitted must not change.

A move is safe to interrupt and to run again:

1. under the self-evaluation's lock and every heading's lock (so no answer is saved meanwhile), a record
   ``self_evaluation_migrations/<urn>-<cycle>-v<to>`` is written first, holding the complete before-state;
2. then each heading's document, carried to the new version and marked with it (a save that reaches a
   heading already moved, before the move is complete, is refused: "try again in a minute");
3. then the self-evaluation itself: its new version and content hash, headings, earlier answers and a
   ``migrations`` entry saying who moved it and when.

Running it again after a crash finishes the move from the record: a heading already moved is carried
again from the record's before-state, never from its moved answers, so nothing is carried twice; a
heading not yet moved is carried from what it holds now. Headings only the old version had are emptied
in step 2 and removed after step 3.

The LA's pages for framework versions (blueprint `versions`: /la/frameworks and a school's framework version)
are in `views.py`, their templates under `templates/versions/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from quality_mark import carry_over, versions
from quality_mark.model import Content, Framework

from .. import self_evaluation
from ..self_evaluation import ANSWERS, COLLECTION, part_key
from ..store import Store

MIGRATIONS = "self_evaluation_migrations"

MoveStatus = Literal["moved", "already", "not_in_progress", "not_started", "not_newer", "unknown_version"]

STATUS_WORDS = {
    "submitted": "it has been submitted",
    "under_review": "the local authority is reviewing it",
    "returned": "it has been returned for amendments after review",
    "at_panel": "it is with the panel",
    "awarded": "the panel has decided",
    "not_awarded": "the panel has decided",
}


@dataclass
class MoveOutcome:
    status: MoveStatus
    message: str = ""
    flagged: int = 0
    kept_read_only: int = 0


@dataclass
class MoveSummary:
    """What moving many schools did: each school's outcome, by URN."""

    outcomes: dict[str, MoveOutcome] = field(default_factory=dict)

    def count(self, status: MoveStatus) -> int:
        return sum(1 for outcome in self.outcomes.values() if outcome.status == status)


def record_key(urn: str, cycle_id: str, to_version: int) -> str:
    return f"{urn}-{cycle_id}-v{to_version}"


def why_not_moved(status: str) -> str:
    """Why a self-evaluation with this status is not moved, in plain English."""
    return (
        f"It stays on its version because {STATUS_WORDS.get(status, 'it is no longer being worked on')}: "
        "only self-evaluations in progress move."
    )


def move(
    store: Store,
    content: Content,
    urn: str,
    cycle_id: str,
    to_version: int,
    by: str | None,
    moment: datetime,
    after_each: Callable[[str], None] | None = None,
) -> MoveOutcome:
    """Move one school's self-evaluation for the cycle to `to_version` (see the module's docstring)."""
    record_id = record_key(urn, cycle_id, to_version)

    def change(meta: dict | None) -> tuple[dict | None, MoveOutcome]:
        if meta is None:
            return meta, MoveOutcome("not_started", "The school has not started its self-evaluation.")
        if meta["framework_version"] == to_version:
            return meta, MoveOutcome("already", f"It is already on version {to_version}.")
        if meta["framework_version"] > to_version:
            return meta, MoveOutcome("not_newer", f"It is on version {meta['framework_version']}, a later one.")
        try:
            new = content.framework(meta["framework"], to_version)
        except KeyError:
            return meta, MoveOutcome("unknown_version", f"There is no version {to_version} of its framework.")
        if meta["status"] != "in_progress":
            return meta, MoveOutcome("not_in_progress", why_not_moved(meta["status"]))
        old = self_evaluation.framework_of(content, meta)
        old_parts = list(meta.get("parts", []))
        new_parts = [heading.id for heading in new.headings]
        every = old_parts + [heading_id for heading_id in new_parts if heading_id not in old_parts]
        made: dict[str, Any] = {}

        def replace(current: dict[str, dict | None]) -> dict[str, dict | None]:
            record = store.read(MIGRATIONS, record_id)
            before = {
                heading_id: _before(heading_id, current.get(heading_id), record, to_version) for heading_id in old_parts
            }
            at = record["at"] if record else moment.isoformat(timespec="seconds")
            meta_before = record["before"]["meta"] if record else meta
            store.write(
                MIGRATIONS,
                record_id,
                {
                    "urn": urn,
                    "cycle": cycle_id,
                    "framework": meta["framework"],
                    "from_version": old.version,
                    "to_version": to_version,
                    "by": record["by"] if record else by,
                    "at": at,
                    "before": {"meta": meta_before, "parts": before},
                    "complete": False,
                },
            )
            carried = _carry(content, old, new, before, meta)
            made.update(carried=carried, at=at, by=record["by"] if record else by)
            parts: dict[str, dict | None] = {}
            for heading in new.headings:
                ids = [criterion.id for criterion in heading.criteria]
                parts[heading.id] = {
                    "answers": {cid: carried.answers[cid] for cid in ids if cid in carried.answers},
                    "history": {cid: carried.history[cid] for cid in ids if cid in carried.history},
                    "flags": {cid: carried.flags[cid] for cid in ids if cid in carried.flags},
                    "framework_version": to_version,
                }
            for heading_id in old_parts:
                parts.setdefault(
                    heading_id, {"answers": {}, "history": {}, "flags": {}, "framework_version": to_version}
                )
            return parts

        self_evaluation.replacing_parts(store, urn, cycle_id, every, replace, after_each)
        carried = made["carried"]
        moved = dict(meta)
        moved.update(
            framework_version=new.version,
            content_hash=new.content_hash,
            parts=new_parts,
            earlier_answers=carried.earlier_answers,
        )
        moved["migrations"] = [
            *meta.get("migrations", []),
            {"from_version": old.version, "to_version": new.version, "by": made["by"], "at": made["at"]},
        ]
        flagged = len(carried.flags)
        kept = len(carried.earlier_answers) - len(meta.get("earlier_answers") or [])
        return moved, MoveOutcome("moved", f"Moved to version {new.version}.", flagged, kept)

    outcome = store.modify(COLLECTION, self_evaluation.key(urn, cycle_id), change)
    if outcome.status in ("moved", "already"):
        _tidy(store, content, urn, cycle_id, to_version)
    return outcome


def _before(heading_id: str, part: dict | None, record: dict | None, to_version: int) -> dict[str, Any]:
    """A heading's answers before the move: from the record if this heading was already moved by a move
    that stopped part way, otherwise what it holds now (answers saved since a stopped move count)."""
    if part is not None and part.get("framework_version") == to_version and record is not None:
        return record["before"]["parts"].get(heading_id) or {"answers": {}, "history": {}, "flags": {}}
    found = part or {}
    return {key: found.get(key, {}) for key in ("answers", "history", "flags")}


def _carry(
    content: Content, old: Framework, new: Framework, before: dict[str, dict[str, Any]], meta: dict[str, Any]
) -> carry_over.Carried:
    answers: dict[str, Any] = {}
    history: dict[str, Any] = {}
    flags: dict[str, Any] = {}
    for part in before.values():
        answers |= part.get("answers", {})
        history |= part.get("history", {})
        flags |= part.get("flags", {})
    found = versions.routes(content, old.id, old.version, new.version)
    return carry_over.carry(
        answers, history, found, old, new, flags=flags, earlier_answers=meta.get("earlier_answers") or []
    )


def _tidy(store: Store, content: Content, urn: str, cycle_id: str, to_version: int) -> None:
    """After the move: remove headings the new version no longer has, and mark the record complete."""
    meta = store.read(COLLECTION, self_evaluation.key(urn, cycle_id))
    record = store.read(MIGRATIONS, record_key(urn, cycle_id, to_version))
    if meta is None or record is None or record.get("complete"):
        return
    for heading_id in record["before"]["parts"]:
        if heading_id not in meta["parts"]:
            store.delete(ANSWERS, part_key(urn, cycle_id, heading_id))
    store.write(MIGRATIONS, record_key(urn, cycle_id, to_version), record | {"complete": True})


def in_progress_on(store: Store, framework_id: str, cycle_id: str) -> dict[str, list[str]]:
    """For the cycle, the URNs of in-progress self-evaluations of the framework, by version ("1", "2", ...)."""
    found: dict[str, list[str]] = {}
    for _, document in store.scan(COLLECTION):
        if document.get("cycle") != cycle_id or document.get("framework") != framework_id:
            continue
        if document.get("status") == "in_progress":
            found.setdefault(str(document["framework_version"]), []).append(document["urn"])
    return found


def move_all(
    store: Store,
    content: Content,
    framework_id: str,
    cycle_id: str,
    to_version: int,
    by: str | None,
    moment: datetime,
    on_each: Callable[[str, MoveOutcome], None] | None = None,
) -> MoveSummary:
    """Move every in-progress self-evaluation of the framework for the cycle that is on an older version,
    one school at a time (each is complete before the next starts). `on_each(urn, outcome)` runs in the
    transaction of that school's move (its audit entry commits with the move, or neither does)."""
    summary = MoveSummary()
    for version, urns in sorted(in_progress_on(store, framework_id, cycle_id).items()):
        if int(version) >= to_version:
            continue
        for urn in urns:
            with store.transaction():
                outcome = move(store, content, urn, cycle_id, to_version, by, moment)
                if on_each:
                    on_each(urn, outcome)
            summary.outcomes[urn] = outcome
    return summary
