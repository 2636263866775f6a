"""Saving one criterion's answer, and confirming a flagged one is still right: each in one transaction, never
over a newer revision, never once the self-evaluation is submitted, past its deadline or being moved.

The package (`form_service.self_evaluation`) re-exports `save_answer`, `confirm_answer` and their results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from quality_mark.model import Content, Cycle
from quality_mark.personal_data import personal_data_found

from ..store import Store
from .documents import (
    ANSWERS,
    COLLECTION,
    EDITABLE,
    MOVING,
    deadline_for,
    framework_of,
    is_moving,
    key,
    now_utc,
    part_key,
)
from .rules import answer_errors, normalise_answer

# Saves by the same person within this time are one entry in the criterion's history.
HISTORY_COALESCE = timedelta(minutes=10)
HISTORY_LIMIT = 200

SaveStatus = Literal[
    "saved", "unchanged", "conflict", "invalid", "locked", "not_started", "unknown_criterion", "personal_data"
]


@dataclass
class SaveResult:
    status: SaveStatus
    answer: dict[str, Any] | None = None  # the answer as stored now (after the save, or the one that won)
    errors: list[str] = field(default_factory=list)
    personal_data: list[str] = field(default_factory=list)


def save_answer(
    store: Store,
    content: Content,
    cycle: Cycle,
    urn: str,
    criterion_id: str,
    raw_answer: dict[str, Any],
    base_revision: int,
    user_id: str,
    *,
    allow_personal_data: bool = False,
    today: date | None = None,
) -> SaveResult:
    """Save one criterion's answer if it was based on the current revision; otherwise say why not."""
    answer = normalise_answer(raw_answer)
    moment = now_utc()
    heading_id = _heading_to_lock(store, content, cycle, urn, criterion_id)
    if heading_id is None:
        return SaveResult("unknown_criterion", errors=[f"There is no criterion {criterion_id}"])

    def apply(part: dict | None) -> tuple[dict | None, SaveResult]:
        document, refusal = _editable_here(
            store, content, cycle, urn, (criterion_id, heading_id), part, moment, "before saving answers"
        )
        if refusal is not None:
            return part, SaveResult(refusal[0], errors=[refusal[1]])
        assert document is not None
        part = part or {"answers": {}, "history": {}}
        part.setdefault("answers", {})
        part.setdefault("history", {})
        current = part["answers"].get(criterion_id)
        current_revision = current["revision"] if current else 0
        # Checked first: what is not a valid answer is refused as such, never taken as the same as the stored one.
        errors = answer_errors(framework_of(content, document), answer)
        if errors:
            return part, SaveResult("invalid", errors=errors)
        if _same(current, answer):
            return part, SaveResult("unchanged", answer=current)
        if base_revision != current_revision:
            return part, SaveResult("conflict", answer=current)
        found = personal_data_found(
            str(answer.get("commentary", "")) + "\n" + "\n".join(map(str, answer["evidence"])), today
        )
        if found and not allow_personal_data:
            return part, SaveResult("personal_data", personal_data=found)
        stored = {
            **answer,
            "revision": current_revision + 1,
            "updated_at": moment.isoformat(timespec="seconds"),
            "updated_by": user_id,
        }
        part["answers"][criterion_id] = stored
        _remember(part["history"].setdefault(criterion_id, []), stored)
        (part.get("flags") or {}).pop(criterion_id, None)  # changing the answer is looking at it again
        return part, SaveResult("saved", answer=stored, personal_data=found)

    # Both documents are read below, one inside the other's lock: start reading them together, so that where
    # they are not in the page cache their disk reads overlap (90 µs less a save in bench/store_saves.py).
    store.prefetch([(ANSWERS, part_key(urn, cycle.id, heading_id)), (COLLECTION, key(urn, cycle.id))])
    return store.modify(ANSWERS, part_key(urn, cycle.id, heading_id), apply)


ConfirmStatus = Literal["confirmed", "not_flagged", "conflict", "locked", "not_started", "unknown_criterion"]


def confirm_answer(
    store: Store,
    content: Content,
    cycle: Cycle,
    urn: str,
    criterion_id: str,
    base_revision: int,
    user_id: str,
) -> tuple[ConfirmStatus, str | None]:
    """ "This is still right": clear the criterion's flag without changing its answer, and say so in its
    history. Refused as a conflict if the answer changed since the person saw it (`base_revision`)."""
    moment = now_utc()
    heading_id = _heading_to_lock(store, content, cycle, urn, criterion_id)
    if heading_id is None:
        return "unknown_criterion", f"There is no criterion {criterion_id}"

    def apply(part: dict | None) -> tuple[dict | None, tuple[ConfirmStatus, str | None]]:
        _, refusal = _editable_here(store, content, cycle, urn, (criterion_id, heading_id), part, moment, "first")
        if refusal is not None:
            return part, refusal
        flags = (part or {}).get("flags") or {}
        if part is None or criterion_id not in flags:
            return part, ("not_flagged", "This answer has already been confirmed or changed")
        current = part.get("answers", {}).get(criterion_id)
        if base_revision != (current["revision"] if current else 0):
            return part, ("conflict", "Someone changed this answer after you opened the page. Check it again")
        flag = flags.pop(criterion_id)
        entry = {name: (current or {}).get(name) for name in ("rating", "commentary", "evidence", "revision")}
        entry |= {"at": moment.isoformat(timespec="seconds"), "by": user_id, "confirmed": flag.get("kind")}
        history = part.setdefault("history", {}).setdefault(criterion_id, [])
        history.append(entry)
        del history[:-HISTORY_LIMIT]
        return part, ("confirmed", None)

    return store.modify(ANSWERS, part_key(urn, cycle.id, heading_id), apply)


Refusal = tuple[Literal["not_started", "locked", "unknown_criterion"], str]


def _editable_here(
    store: Store,
    content: Content,
    cycle: Cycle,
    urn: str,
    where: tuple[str, str],
    part: dict[str, Any] | None,
    moment: datetime,
    when_not_started: str,
) -> tuple[dict[str, Any] | None, Refusal | None]:
    """The self-evaluation, and why the answer to criterion `where[0]`, kept under heading `where[1]`, cannot be
    changed now (None if it can). Not started reads "Start the self-evaluation " + `when_not_started`.

    Called inside the save's transaction: writers take turns, so what is read here stays true until the
    change is written."""
    criterion_id, heading_id = where
    document = store.read(COLLECTION, key(urn, cycle.id))
    if document is None:
        return None, ("not_started", f"Start the self-evaluation {when_not_started}")
    if document["status"] not in EDITABLE:
        return document, ("locked", "This self-evaluation has been submitted and cannot be changed")
    if moment > deadline_for(document, cycle):
        return document, ("locked", "The deadline has passed. Contact the Quality Mark team")
    if is_moving(part, document):
        return document, ("locked", MOVING)
    try:
        if framework_of(content, document).heading_of(criterion_id).id != heading_id:
            raise KeyError(criterion_id)
    except KeyError:
        return document, ("unknown_criterion", f"There is no criterion {criterion_id}")
    return document, None


def _heading_to_lock(store: Store, content: Content, cycle: Cycle, urn: str, criterion_id: str) -> str | None:
    """The heading whose answers hold the criterion: known from the content alone unless a version moved it."""
    holding = content.headings_holding(criterion_id) if isinstance(criterion_id, str) else frozenset()
    if len(holding) == 1:
        return next(iter(holding))
    if not holding:
        return None
    document = store.read(COLLECTION, key(urn, cycle.id))
    try:
        return framework_of(content, document).heading_of(criterion_id).id if document else next(iter(holding))
    except KeyError:
        return None


def _same(current: dict[str, Any] | None, answer: dict[str, Any]) -> bool:
    if current is None:
        return answer.get("rating") is None and not answer.get("commentary") and not answer.get("evidence")
    return all(current.get(name) == answer.get(name) for name in ("rating", "commentary", "evidence"))


def _remember(history: list[dict[str, Any]], stored: dict[str, Any]) -> None:
    """Keep who changed what and when; quick successive saves by one person make one entry."""
    entry = {name: stored.get(name) for name in ("rating", "commentary", "evidence", "revision")}
    entry |= {"at": stored["updated_at"], "by": stored["updated_by"]}
    if history:
        last = history[-1]
        recent = datetime.fromisoformat(stored["updated_at"]) - datetime.fromisoformat(last["at"]) < HISTORY_COALESCE
        if last["by"] == stored["updated_by"] and recent:
            history[-1] = entry
            return
    history.append(entry)
    del history[:-HISTORY_LIMIT]
