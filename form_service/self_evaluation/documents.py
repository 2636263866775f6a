"""Where a self-evaluation is kept, and reading it: its documents and their keys, the cycle schools are working
in, the version a new self-evaluation starts on, the version it was made against, and its deadline.

Plain functions of the content and the store; the package (`form_service.self_evaluation`) re-exports them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from quality_mark.model import Content, Cycle, Framework

from .. import workflow
from ..core import clock
from ..store import Store

COLLECTION = "self_evaluations"
ANSWERS = "self_evaluation_answers"
SUBMISSIONS = "submissions"
ANSWER_FIELDS = ("rating", "commentary", "evidence")
EDITABLE = workflow.EDITABLE
MOVING = "This self-evaluation is being moved to a new version of the criteria. Try again in a minute."


def key(urn: str, cycle_id: str) -> str:
    return f"{urn}-{cycle_id}"


def part_key(urn: str, cycle_id: str, heading_id: str) -> str:
    return f"{urn}-{cycle_id}-{heading_id}"


def now_utc() -> datetime:
    return clock.now()


def current_cycle(content: Content, today: date) -> Cycle:
    """The cycle schools are working in today: of the cycles whose registration has opened, the earliest whose
    submission deadline has not passed, so a school keeps its self-evaluation until the deadline even when
    registration for the next cycle opens first (in June, with the deadline in September); once every opened
    cycle's deadline has passed, the newest of them; before any has opened, the first."""
    cycles = sorted(content.key_dates.cycles, key=lambda cycle: cycle.registration_opens)
    opened = [cycle for cycle in cycles if cycle.registration_opens <= today]
    if not opened:
        return cycles[0]
    running = [cycle for cycle in opened if cycle.submission_deadline.date() >= today]
    return running[0] if running else opened[-1]


def load(store: Store, urn: str, cycle_id: str) -> dict[str, Any] | None:
    """The self-evaluation with every heading's answers and history in it, or None if not started."""
    document = store.read(COLLECTION, key(urn, cycle_id))
    if document is None:
        return None
    answers: dict[str, Any] = {}
    history: dict[str, Any] = {}
    flags: dict[str, Any] = {}
    keys = [part_key(urn, cycle_id, heading_id) for heading_id in document.get("parts", [])]
    parts = store.read_many(ANSWERS, keys)
    for part_name in keys:
        part = parts.get(part_name) or {}
        answers |= part.get("answers", {})
        history |= part.get("history", {})
        flags |= part.get("flags", {})
    return document | {"answers": answers, "history": history, "flags": flags}


def starting_version(content: Content, framework_id: str, today: date) -> Framework:
    """The version a new self-evaluation starts on: the newest in effect today (the oldest if none is yet)."""
    versions = content.versions_of(framework_id)
    in_effect = [framework for framework in versions if framework.effective_from <= today]
    return in_effect[-1] if in_effect else versions[0]


def framework_of(content: Content, document: dict[str, Any]) -> Framework:
    """The framework version the self-evaluation was made against (never a newer one)."""
    return content.framework(document["framework"], document["framework_version"])


def deadline_for(document: dict[str, Any], cycle: Cycle) -> datetime:
    """The cycle's deadline, or the school's extension if the LA granted one."""
    extension = document.get("extension_until")
    return datetime.fromisoformat(extension) if extension else cycle.submission_deadline


def is_moving(part: dict[str, Any] | None, document: dict[str, Any]) -> bool:
    """Whether the heading has been moved to another version than the self-evaluation says (a move under way)."""
    return bool(part) and part.get("framework_version", document["framework_version"]) != document["framework_version"]
