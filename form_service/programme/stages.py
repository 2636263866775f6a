"""Where each school is in the Quality Mark's ten stages, and the visits and meetings the LA funds.

One document per school (collection ``stages``, key ``<urn>``), small enough that a save costs the same
however many schools there are::

    {
      "urn": "900001",
      "reached": {"3": {"reached_on": "2026-10-05", "recorded_by": <user id>, "recorded_at": <ISO UTC>,
                        "notes": "..."}},              # stage number (as text: JSON keys) -> the record
      "history": [{"stage": 3, "change": "changed" | "cleared", "reached_on", "recorded_by", "recorded_at",
                   "notes", "replaced_by", "replaced_at"}],   # earlier records, oldest first
      "visits": [{"id", "stage": 3, "kind": "meeting" | "visit" | "evaluation" | "other", "date": "2026-10-05",
                  "hours": 1.5, "attended", "notes", "recorded_by", "recorded_at", "updated_by", "updated_at"}]
    }

`current_stage` is what the LA's dashboard shows. The `with_...`/`without_...` functions are pure changes
to a document; the functions that take a `Store` apply them atomically with `Store.modify`.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ..core import clock
from ..store import Store
from ..workflow import AWARDS

COLLECTION = "stages"

KINDS = {
    "meeting": "Meeting",
    "visit": "Visit",
    "evaluation": "Evaluation of evidence",
    "other": "Other",
}
NOTES_LIMIT = 1000
ATTENDED_LIMIT = 200
# Keep one school's document small, and so every save cheap: far more than a school has in many rounds.
MAX_VISITS = 300
MAX_HISTORY = 300  # the oldest earlier records are dropped beyond this (the audit log keeps every change)

Change = Literal["recorded", "changed", "unchanged"]
VisitChange = Literal["changed", "unchanged", "not_found"]


@dataclass(frozen=True)
class ReachedDraft:
    """The day a stage was reached, and the LA's notes on it."""

    reached_on: date
    notes: str


@dataclass(frozen=True)
class VisitDraft:
    """A visit or meeting as typed, checked and normalised."""

    stage: int
    kind: str
    on: date
    hours: float  # a whole number of quarter hours, more than 0 and at most 24
    attended: str
    notes: str

    def fields(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "kind": self.kind,
            "date": self.on.isoformat(),
            "hours": self.hours,
            "attended": self.attended,
            "notes": self.notes,
        }


def now_utc() -> str:
    return clock.timestamp()


# --- reading --------------------------------------------------------------------------------------------


def load(store: Store, urn: str) -> dict[str, Any] | None:
    return store.read(COLLECTION, urn)


def load_awards(store: Store, urn: str) -> dict[str, Any] | None:
    return store.read(AWARDS, urn)


def current_stage(document: dict | None) -> int | None:
    """The highest stage the school has reached, or None if no stage has been recorded."""
    reached = (document or {}).get("reached") or {}
    numbers = [int(number) for number, record in reached.items() if record and str(number).isdigit()]
    return max(numbers) if numbers else None


def reached_record(document: Mapping[str, Any] | None, number: int) -> dict[str, Any] | None:
    return ((document or {}).get("reached") or {}).get(str(number))


def history_of(document: Mapping[str, Any] | None, number: int) -> list[dict[str, Any]]:
    """Earlier records of one stage's date reached, newest first."""
    return [entry for entry in reversed((document or {}).get("history") or []) if entry["stage"] == number]


def visits_of(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Every visit and meeting, oldest first (then in the order they were recorded)."""
    return sorted((document or {}).get("visits") or [], key=lambda v: (v["date"], v["recorded_at"]))


def find_visit(document: Mapping[str, Any] | None, visit_id: str) -> dict[str, Any] | None:
    for visit in (document or {}).get("visits") or []:
        if visit["id"] == visit_id:
            return visit
    return None


def visit_form_values(visit: Mapping[str, Any]) -> dict[str, str]:
    """A stored visit as the form's fields, to fill in the change page."""
    on = date.fromisoformat(visit["date"])
    return {
        "stage": str(visit["stage"]),
        "kind": visit["kind"],
        "visit_day": str(on.day),
        "visit_month": str(on.month),
        "visit_year": str(on.year),
        "hours": f"{visit['hours']:g}",
        "attended": visit["attended"],
        "notes": visit["notes"],
    }


# --- changing a document (pure) -------------------------------------------------------------------------


def _start(document: dict | None, urn: str) -> dict[str, Any]:
    document = copy.deepcopy(document) if document else {"urn": urn}
    document.setdefault("reached", {})
    document.setdefault("history", [])
    document.setdefault("visits", [])
    return document


def _keep(document: dict[str, Any], number: int, old: dict[str, Any], change: str, by: str, at: str) -> None:
    document["history"].append({"stage": number, "change": change, **old, "replaced_by": by, "replaced_at": at})
    del document["history"][:-MAX_HISTORY]


def with_reached(
    document: dict | None, urn: str, number: int, draft: ReachedDraft, by: str, at: str
) -> tuple[dict[str, Any], Change]:
    """The document with stage `number` reached on the draft's date; the record it replaces goes to history."""
    document = _start(document, urn)
    old = document["reached"].get(str(number))
    if old and old["reached_on"] == draft.reached_on.isoformat() and old["notes"] == draft.notes:
        return document, "unchanged"
    if old:
        _keep(document, number, old, "changed", by, at)
    document["reached"][str(number)] = {
        "reached_on": draft.reached_on.isoformat(),
        "recorded_by": by,
        "recorded_at": at,
        "notes": draft.notes,
    }
    return document, "changed" if old else "recorded"


def without_reached(document: dict | None, urn: str, number: int, by: str, at: str) -> tuple[dict[str, Any], bool]:
    """The document with stage `number` no longer reached (its record kept in history); False if it was not."""
    document = _start(document, urn)
    old = document["reached"].pop(str(number), None)
    if old is None:
        return document, False
    _keep(document, number, old, "cleared", by, at)
    return document, True


def with_visit(
    document: dict | None, urn: str, draft: VisitDraft, by: str, at: str, visit_id: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The document with a new visit; the visit, or None when the school already has MAX_VISITS."""
    document = _start(document, urn)
    if len(document["visits"]) >= MAX_VISITS:
        return document, None
    visit = {"id": visit_id, **draft.fields(), "recorded_by": by, "recorded_at": at, "updated_by": by, "updated_at": at}
    document["visits"].append(visit)
    return document, visit


def with_visit_changed(
    document: dict | None, urn: str, visit_id: str, draft: VisitDraft, by: str, at: str
) -> tuple[dict[str, Any], VisitChange]:
    """The document with one visit changed to the draft; whether it changed, was already so, or is not there."""
    document = _start(document, urn)
    visit = find_visit(document, visit_id)
    if visit is None:
        return document, "not_found"
    if {name: visit[name] for name in draft.fields()} == draft.fields():
        return document, "unchanged"
    visit.update(draft.fields(), updated_by=by, updated_at=at)
    return document, "changed"


def without_visit(document: dict | None, urn: str, visit_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The document without one visit; the visit removed, or None if there was none."""
    document = _start(document, urn)
    visit = find_visit(document, visit_id)
    if visit is not None:
        document["visits"].remove(visit)
    return document, visit


# --- changing the store ---------------------------------------------------------------------------------


def record_reached(store: Store, urn: str, number: int, draft: ReachedDraft, by: str) -> Change:
    def change(document: dict | None) -> tuple[dict | None, Change]:
        new, outcome = with_reached(document, urn, number, draft, by, now_utc())
        return (new if outcome != "unchanged" else document), outcome

    return store.modify(COLLECTION, urn, change)


def clear_reached(store: Store, urn: str, number: int, by: str) -> bool:
    def change(document: dict | None) -> tuple[dict | None, bool]:
        new, cleared = without_reached(document, urn, number, by, now_utc())
        return (new if cleared else document), cleared

    return store.modify(COLLECTION, urn, change)


def add_visit(store: Store, urn: str, draft: VisitDraft, by: str) -> dict[str, Any] | None:
    """Store a new visit; the visit, or None if the school has as many as a document may hold."""

    def change(document: dict | None) -> tuple[dict | None, dict | None]:
        new, visit = with_visit(document, urn, draft, by, now_utc(), secrets.token_hex(8))
        return (new if visit else document), visit

    return store.modify(COLLECTION, urn, change)


def change_visit(store: Store, urn: str, visit_id: str, draft: VisitDraft, by: str) -> VisitChange:
    def change(document: dict | None) -> tuple[dict | None, VisitChange]:
        new, outcome = with_visit_changed(document, urn, visit_id, draft, by, now_utc())
        return (new if outcome == "changed" else document), outcome

    return store.modify(COLLECTION, urn, change)


def delete_visit(store: Store, urn: str, visit_id: str) -> dict[str, Any] | None:
    def change(document: dict | None) -> tuple[dict | None, dict | None]:
        new, visit = without_visit(document, urn, visit_id)
        return (new if visit else document), visit

    return store.modify(COLLECTION, urn, change)
