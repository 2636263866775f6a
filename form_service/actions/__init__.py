"""A school's action plan for one cycle: what it will do about its areas for development, who leads it, by when.

One document per school and cycle (collection `action_plans`, key `<URN>-<cycle>`), beside the
self-evaluation it follows from, so a save costs the same however many schools there are. Each action
carries a revision; an edit says which revision it was based on and is refused if someone changed the
action since, so nobody's work is silently overwritten. Once the self-evaluation is submitted the plan is
read-only for the school: it went to the local authority with the submission.

Everything here is a plain function of the content, the store and what was typed, so tests can use it
without a browser. The pages (blueprint `actions`, under /school/<urn>/actions) are in `views.py`, their
templates under `templates/actions/`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from quality_mark.model import Content, Criterion, Cycle, Framework, Heading
from quality_mark.spreadsheet import csv_text

from .. import self_evaluation
from ..core import clock
from ..core.form_fields import Problems, checked_text, field_text
from ..store import Store

COLLECTION = "action_plans"

STATUSES = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "done": "Done",
    "dropped": "Dropped",
}
WHAT_LIMIT = 500
LEAD_LIMIT = 100
SUCCESS_LIMIT = 1000
# Keeps one plan document small (and so every save cheap); far more than any school development plan holds.
MAX_ACTIONS = 200

# The form's field names, which are also the ids the error summary links to.
DATE_PARTS = ("by_when_day", "by_when_month", "by_when_year")
MISSING_DATE = "Enter the date the action should be done by, for example 27 3 2027"
NOT_A_DATE = "The date the action should be done by must be a real date"
LOCKED = (
    "The self-evaluation has been submitted, so the action plan can no longer be changed. "
    "Contact the Quality Mark team if something needs correcting."
)

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# Something that a browser would read as the start of a tag or comment: "<script", "</", "<!--", "<?".
# A lone "<" as in "attendance < 90%" is still allowed.
# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
_YEAR = re.compile(r"[0-9]{4}")

SaveStatus = Literal["saved", "unchanged", "conflict", "not_found", "locked", "full"]


def key(urn: str, cycle_id: str) -> str:
    return f"{urn}-{cycle_id}"


def now_utc() -> datetime:
    return clock.now()


# --- reading --------------------------------------------------------------------------------------------


def load(store: Store, urn: str, cycle_id: str) -> dict[str, Any] | None:
    return store.read(COLLECTION, key(urn, cycle_id))


def actions_of(plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The plan's actions, soonest deadline first (then in the order they were added)."""
    actions = list(plan["actions"]) if plan else []
    return sorted(actions, key=lambda action: action["by_when"])


def find(plan: dict[str, Any] | None, action_id: str) -> dict[str, Any] | None:
    for action in (plan or {}).get("actions", []):
        if action["id"] == action_id:
            return action
    return None


def framework_for(content: Content, school: Mapping[str, Any], self_evaluation_document: dict | None) -> Framework:
    """The framework version actions are checked against: the self-evaluation's, else the school's newest."""
    if self_evaluation_document is not None:
        return self_evaluation.framework_of(content, self_evaluation_document)
    return content.framework(school["framework"])


def is_locked(self_evaluation_document: dict[str, Any] | None) -> bool:
    """True once the self-evaluation has left the school's hands (submitted, under review, awarded...)."""
    return (
        self_evaluation_document is not None and self_evaluation_document.get("status") not in self_evaluation.EDITABLE
    )


def criterion_or_none(framework: Framework, criterion_id: str | None) -> Criterion | None:
    if not criterion_id:
        return None
    try:
        return framework.criterion(criterion_id)
    except KeyError:
        return None


def grouped_by_heading(
    framework: Framework, actions: Iterable[dict[str, Any]]
) -> list[tuple[Heading | None, list[dict[str, Any]]]]:
    """Actions under their framework heading, in the framework's order; actions for no (known) criterion last."""
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for action in actions:
        criterion = criterion_or_none(framework, action.get("criterion_id"))
        groups.setdefault(criterion.heading_id if criterion else None, []).append(action)
    ordered: list[tuple[Heading | None, list[dict[str, Any]]]] = [
        (heading, groups[heading.id]) for heading in framework.headings if heading.id in groups
    ]
    if None in groups:
        ordered.append((None, groups[None]))
    return ordered


def unplanned_developments(developments: Iterable[Criterion], plan: dict[str, Any] | None) -> list[Criterion]:
    """Areas for development that no action addresses yet."""
    planned = {action.get("criterion_id") for action in actions_of(plan)}
    return [criterion for criterion in developments if criterion.id not in planned]


def in_words(day: date | str) -> str:
    """A date as people write it: 27 March 2027."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {day.strftime('%B')} {day.year}"


def is_overdue(action: Mapping[str, Any], today: date) -> bool:
    return action["status"] in ("not_started", "in_progress") and date.fromisoformat(action["by_when"]) < today


# --- checking what was typed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionDraft:
    """An action as typed, checked and normalised; what a save stores (besides who, when and the revision)."""

    criterion_id: str | None
    what: str
    lead: str
    by_when: date
    success_criteria: str
    status: str

    def fields(self) -> dict[str, Any]:
        return {
            "criterion_id": self.criterion_id,
            "what": self.what,
            "lead": self.lead,
            "by_when": self.by_when.isoformat(),
            "success_criteria": self.success_criteria,
            "status": self.status,
        }


def _month(text: str) -> int | None:
    if _DAY_OR_MONTH.fullmatch(text):
        return int(text)
    name = text.lower()
    for number, month in enumerate(_MONTH_NAMES, start=1):
        if len(name) >= 3 and month.startswith(name):
            return number
    return None


def check_date(raw: Mapping[str, Any], earliest: date) -> tuple[date | None, Problems]:
    """The date from its day, month and year fields, or the one problem to show (linked to the part at fault)."""
    texts = {name: field_text(raw, name, one_line=True) for name in DATE_PARTS}
    day_text, month_text, year_text = texts.values()
    if not any(texts.values()):
        return None, [(DATE_PARTS[0], MISSING_DATE)]
    missing = [name for name, text in texts.items() if not text]
    if missing:
        parts = " and a ".join(name.removeprefix("by_when_") for name in missing)
        return None, [(missing[0], f"The date the action should be done by must include a {parts}")]
    month = _month(month_text)
    if not _DAY_OR_MONTH.fullmatch(day_text):
        return None, [(DATE_PARTS[0], NOT_A_DATE)]
    if month is None or not 1 <= month <= 12:
        return None, [(DATE_PARTS[1], NOT_A_DATE)]
    if not _YEAR.fullmatch(year_text):
        return None, [(DATE_PARTS[2], "The year must include 4 numbers, for example 2027")]
    try:
        when = date(int(year_text), month, int(day_text))
    except ValueError:
        return None, [(DATE_PARTS[0], NOT_A_DATE)]
    if when < earliest:
        return None, [
            (
                DATE_PARTS[0],
                f"The date the action should be done by must be on or after {in_words(earliest)}, "
                "when this Quality Mark cycle began",
            )
        ]
    return when, []


def check(raw: Mapping[str, Any], framework: Framework, cycle: Cycle) -> tuple[ActionDraft | None, Problems]:
    """Check an action as typed into the form; the draft, or every problem in the order of the page."""
    problems: Problems = []
    criterion_id = field_text(raw, "criterion", one_line=True) or None
    if criterion_id is not None and criterion_or_none(framework, criterion_id) is None:
        problems.append(("criterion", "Choose an area for development from the list, or choose none"))
    what = checked_text(
        problems, raw, "what", "What you will do", WHAT_LIMIT, one_line=False, missing="Enter what the school will do"
    )
    missing_lead = "Enter who leads the action, for example SENCo or Head of Year 7"
    lead = checked_text(problems, raw, "lead", "Who leads it", LEAD_LIMIT, one_line=True, missing=missing_lead)
    by_when, date_problems = check_date(raw, cycle.registration_opens)
    problems += date_problems
    success = checked_text(
        problems,
        raw,
        "success_criteria",
        "How you will know it has worked",
        SUCCESS_LIMIT,
        one_line=False,
        missing="Enter how you will know the action has worked",
    )
    status = field_text(raw, "status", one_line=True)
    if status not in STATUSES:
        problems.append(("status", "Choose the action's status: not started, in progress, done or dropped"))
    if problems or by_when is None:
        return None, problems
    return ActionDraft(criterion_id, what, lead, by_when, success, status), []


def form_values(action: Mapping[str, Any]) -> dict[str, str]:
    """A stored action as the form's fields, to fill in the edit page."""
    when = date.fromisoformat(action["by_when"])
    return {
        "criterion": action.get("criterion_id") or "",
        "what": action["what"],
        "lead": action["lead"],
        "by_when_day": str(when.day),
        "by_when_month": str(when.month),
        "by_when_year": str(when.year),
        "success_criteria": action["success_criteria"],
        "status": action["status"],
        "revision": str(action["revision"]),
    }


# --- changing the plan ----------------------------------------------------------------------------------


@dataclass
class SaveResult:
    status: SaveStatus
    action: dict[str, Any] | None = None  # the action as stored now: the one saved, or the newer one that won
    messages: list[str] = field(default_factory=list)


def _new_plan(urn: str, cycle_id: str, framework: Framework) -> dict[str, Any]:
    return {
        "urn": urn,
        "cycle": cycle_id,
        "framework": framework.id,
        "framework_version": framework.version,
        "actions": [],
        "created_at": now_utc().isoformat(timespec="seconds"),
    }


def add(
    store: Store, urn: str, cycle: Cycle, framework: Framework, draft: ActionDraft, user_id: str, *, locked: bool
) -> SaveResult:
    """Add an action to the plan (starting the plan if need be) unless the plan is locked or full."""
    if locked:
        return SaveResult("locked", messages=[LOCKED])
    moment = now_utc().isoformat(timespec="seconds")

    def append(plan: dict | None) -> tuple[dict | None, SaveResult]:
        plan = plan or _new_plan(urn, cycle.id, framework)
        if len(plan["actions"]) >= MAX_ACTIONS:
            return plan, SaveResult("full", messages=[f"A plan can hold at most {MAX_ACTIONS} actions"])
        taken = {action["id"] for action in plan["actions"]}
        action_id = secrets.token_hex(6)
        while action_id in taken:
            action_id = secrets.token_hex(6)
        action = {
            "id": action_id,
            **draft.fields(),
            "created_by": user_id,
            "created_at": moment,
            "updated_by": user_id,
            "updated_at": moment,
            "revision": 1,
        }
        plan["actions"].append(action)
        return plan, SaveResult("saved", action=dict(action))

    return store.modify(COLLECTION, key(urn, cycle.id), append)


def update(
    store: Store,
    urn: str,
    cycle_id: str,
    action_id: str,
    draft: ActionDraft,
    base_revision: int | None,
    user_id: str,
    *,
    locked: bool,
) -> SaveResult:
    """Change an action if the change was based on its current revision; otherwise say why not."""
    if locked:
        return SaveResult("locked", messages=[LOCKED])

    def change(plan: dict | None) -> tuple[dict | None, SaveResult]:
        action = find(plan, action_id)
        if plan is None or action is None:
            return plan, SaveResult("not_found")
        if all(action.get(name) == value for name, value in draft.fields().items()):
            return plan, SaveResult("unchanged", action=dict(action))
        if base_revision != action["revision"]:
            return plan, SaveResult("conflict", action=dict(action))
        action.update(
            draft.fields(),
            updated_by=user_id,
            updated_at=now_utc().isoformat(timespec="seconds"),
            revision=action["revision"] + 1,
        )
        return plan, SaveResult("saved", action=dict(action))

    return store.modify(COLLECTION, key(urn, cycle_id), change)


def delete(
    store: Store, urn: str, cycle_id: str, action_id: str, base_revision: int | None, *, locked: bool
) -> SaveResult:
    """Remove an action, unless it changed since the person asked to delete it (they should see it first)."""
    if locked:
        return SaveResult("locked", messages=[LOCKED])

    def remove(plan: dict | None) -> tuple[dict | None, SaveResult]:
        action = find(plan, action_id)
        if plan is None or action is None:
            return plan, SaveResult("not_found")
        if base_revision != action["revision"]:
            return plan, SaveResult("conflict", action=dict(action))
        plan["actions"] = [other for other in plan["actions"] if other["id"] != action_id]
        return plan, SaveResult("saved", action=dict(action))

    return store.modify(COLLECTION, key(urn, cycle_id), remove)


# --- exporting -------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "Heading",
    "Criterion",
    "Criterion statement",
    "What the school will do",
    "Who leads it",
    "By when",
    "How we will know it has worked",
    "Status",
    "Last changed",
)


def to_csv(framework: Framework, actions: Iterable[dict[str, Any]]) -> str:
    """The plan as CSV, one row per action, grouped by heading, every cell safe to open in a spreadsheet."""
    rows: list[tuple[str, ...]] = [CSV_COLUMNS]
    for heading, group in grouped_by_heading(framework, actions):
        for action in group:
            criterion = criterion_or_none(framework, action.get("criterion_id"))
            rows.append(
                (
                    heading.title if heading else "",
                    action.get("criterion_id") or "",
                    " ".join(criterion.statement.split()) if criterion else "",
                    action["what"],
                    action["lead"],
                    action["by_when"],
                    action["success_criteria"],
                    STATUSES.get(action["status"], action["status"]),
                    action["updated_at"],
                )
            )
    return csv_text(rows)
