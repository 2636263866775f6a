"""Moderation, return for amendments, the panel and the award: the LA's steps after a school submits.

Every step that changes a self-evaluation's status runs inside `store.modify` on its meta document
(``self_evaluations/<urn>-<cycle>``) and asks `workflow.next_status` first, so a double click or two reviewers
at once can neither skip nor repeat a step. Writes to the moderation and awards documents happen while that
lock is held, so a refused step stores nothing. Each step is added to the meta document's ``transitions``
(the history the pages show); the views record each in the audit log. The rules themselves (what a valid
decision, comment or panel record is) are pure, in `rules.py`.

The pages (blueprint `moderation`: the LA's review and panel under /la/schools/<urn>, the school's LA feedback
under /school/<urn>/feedback) are in `views.py`, their templates under `templates/moderation/`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from quality_mark.model import Content, Framework

from .. import self_evaluation, workflow
from ..core import clock
from ..store import Store
from ..workflow import AWARDS
from .rules import decision_errors, decisions_standing

T = TypeVar("T")

COLLECTION = "moderation"
SUBMISSIONS = self_evaluation.SUBMISSIONS


class ModerationRefused(ValueError):
    """The step cannot be taken; `errors` says why, by field ("" for the page as a whole), in plain English."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


def _now() -> str:
    return clock.timestamp()


def latest_submission(store: Store, evaluation: dict[str, Any] | None) -> dict[str, Any] | None:
    """The snapshot the school made at its latest submission, exactly as submitted, or None."""
    references = (evaluation or {}).get("submissions") or []
    return store.read(SUBMISSIONS, references[-1].lower()) if references else None


def submission_framework(content: Content, submission: dict[str, Any]) -> Framework:
    """The framework version the submission was made against (never a newer one)."""
    return content.framework(submission["framework"], submission["framework_version"])


def load(store: Store, urn: str, cycle_id: str) -> dict[str, Any]:
    """The moderation document (criteria decisions and comments), empty if nothing is recorded yet."""
    return store.read(COLLECTION, self_evaluation.key(urn, cycle_id)) or {"criteria": {}, "comments": {}}


def _transition(
    store: Store,
    urn: str,
    cycle_id: str,
    action: str,
    by: str,
    also: Callable[[dict[str, Any]], T] | None = None,
) -> T | None:
    """Move the self-evaluation on by `action` (by the LA), running `also` under its lock first; `also` may
    raise ModerationRefused, and then nothing is stored."""

    def change(document: dict | None) -> tuple[dict, T | None]:
        if document is None:
            raise ModerationRefused({"": ["This school has not started a self-evaluation for this cycle."]})
        try:
            new_status = workflow.next_status(document["status"], action, "la")
        except workflow.TransitionRefused as refusal:
            raise ModerationRefused({"": [str(refusal)]}) from refusal
        result = also(document) if also else None
        document.setdefault("transitions", []).append(
            {"action": action, "from": document["status"], "to": new_status, "by": by, "at": _now()}
        )
        document["status"] = new_status
        return document, result

    return store.modify(self_evaluation.COLLECTION, self_evaluation.key(urn, cycle_id), change)


def start_review(store: Store, urn: str, cycle_id: str, by: str) -> None:
    """submitted -> under_review: a reviewer takes the latest submission on."""
    _transition(store, urn, cycle_id, "start_review", by)


def _under_review(store: Store, urn: str, cycle_id: str, change: Callable[[dict[str, Any]], T]) -> T:
    """Run `change(evaluation)` while holding the self-evaluation's lock, only if it is under review."""

    def hold(document: dict | None) -> tuple[dict | None, T]:
        if document is None or document.get("status") != "under_review":
            raise ModerationRefused(
                {"": ["Start the review first: only a self-evaluation under review can be moderated."]}
            )
        return document, change(document)

    return store.modify(self_evaluation.COLLECTION, self_evaluation.key(urn, cycle_id), hold)


def record_decision(
    store: Store,
    content: Content,
    urn: str,
    cycle_id: str,
    criterion_id: str,
    decision: str,
    rating: Any,
    comment: str,
    by: str,
    name: str,
) -> dict[str, Any]:
    """Agree with the school's rating for one criterion, or record a moderated rating; the comment (required
    when moderating) joins the criterion's conversation with the school. Returns the decision stored."""

    def change(evaluation: dict[str, Any]) -> dict[str, Any]:
        submission = latest_submission(store, evaluation)
        if submission is None:
            raise ModerationRefused({"": ["There is no submission to moderate."]})
        errors = decision_errors(submission_framework(content, submission), criterion_id, decision, rating, comment)
        if errors:
            raise ModerationRefused(errors)
        school_rating = (submission["answers"].get(criterion_id) or {}).get("rating")
        stored = {
            "decision": decision,
            "school_rating": school_rating,
            "rating": rating if decision == "moderate" else school_rating,
            "by": by,
            "at": _now(),
            "reference": submission["reference"],
        }

        def apply(moderation: dict | None) -> tuple[dict, None]:
            moderation = moderation or {"urn": urn, "cycle": cycle_id, "criteria": {}, "comments": {}}
            moderation["criteria"][criterion_id] = stored
            if comment:
                moderation["comments"].setdefault(criterion_id, []).append(
                    {"side": "la", "by": by, "name": name, "text": comment, "at": stored["at"]}
                )
            return moderation, None

        store.modify(COLLECTION, self_evaluation.key(urn, cycle_id), apply)
        return stored

    return _under_review(store, urn, cycle_id, change)


def agree_with_the_rest(store: Store, content: Content, urn: str, cycle_id: str, by: str) -> list[str]:
    """Agree with the school's rating for every criterion not yet agreed or moderated; returns their ids."""

    def change(evaluation: dict[str, Any]) -> list[str]:
        submission = latest_submission(store, evaluation)
        if submission is None:
            raise ModerationRefused({"": ["There is no submission to moderate."]})
        framework = submission_framework(content, submission)

        def apply(moderation: dict | None) -> tuple[dict, list[str]]:
            moderation = moderation or {"urn": urn, "cycle": cycle_id, "criteria": {}, "comments": {}}
            standing = decisions_standing(moderation, submission["answers"])
            remaining = workflow.unmoderated([c.id for c in framework.criteria], {"criteria": standing})
            for cid in remaining:
                rating = (submission["answers"].get(cid) or {}).get("rating")
                moderation["criteria"][cid] = {
                    "decision": "agree",
                    "school_rating": rating,
                    "rating": rating,
                    "by": by,
                    "at": _now(),
                    "reference": submission["reference"],
                }
            return moderation, remaining

        return store.modify(COLLECTION, self_evaluation.key(urn, cycle_id), apply)

    return _under_review(store, urn, cycle_id, change)


def add_comment(
    store: Store, urn: str, cycle_id: str, criterion_id: str, side: str, by: str, name: str, text: str
) -> None:
    """Add to one criterion's conversation. A school replies only where the LA has said something, and only
    while its submission is being reviewed or has been returned to it."""

    def hold(document: dict | None) -> tuple[dict | None, None]:
        if document is None or document.get("status") not in ("under_review", "returned"):
            raise ModerationRefused({"": ["Comments can be added only while the self-evaluation is being reviewed."]})

        def apply(moderation: dict | None) -> tuple[dict | None, None]:
            thread = ((moderation or {}).get("comments") or {}).get(criterion_id)
            if moderation is None or (side == "school" and not thread):
                raise ModerationRefused({"text": ["There is no comment from the local authority to reply to."]})
            moderation["comments"].setdefault(criterion_id, []).append(
                {"side": side, "by": by, "name": name, "text": text, "at": _now()}
            )
            return moderation, None

        store.modify(COLLECTION, self_evaluation.key(urn, cycle_id), apply)
        return document, None

    store.modify(self_evaluation.COLLECTION, self_evaluation.key(urn, cycle_id), hold)


def return_for_amendments(store: Store, urn: str, cycle_id: str, message: str, by: str) -> None:
    """under_review -> returned: the school can edit again, and sees `message` saying what to change."""

    def also(document: dict[str, Any]) -> None:
        document["returned"] = {"message": message, "by": by, "at": _now()}

    _transition(store, urn, cycle_id, "return", by, also)


def send_to_panel(store: Store, content: Content, urn: str, cycle_id: str, by: str) -> None:
    """under_review -> at_panel, only when every criterion of the submission is agreed or moderated."""

    def also(document: dict[str, Any]) -> None:
        if document["status"] != "under_review":
            return  # the transition itself refuses, with its own message
        submission = latest_submission(store, document)
        if submission is None:
            raise ModerationRefused({"": ["There is no submission to send to panel."]})
        framework = submission_framework(content, submission)
        standing = decisions_standing(load(store, urn, cycle_id), submission["answers"])
        missing = workflow.unmoderated([c.id for c in framework.criteria], {"criteria": standing})
        if missing:
            shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            raise ModerationRefused(
                {
                    "": [
                        f"Agree or moderate every criterion before sending to panel. "
                        f"{len(missing)} still to do: {shown}."
                    ]
                }
            )

    _transition(store, urn, cycle_id, "send_to_panel", by, also)


def record_panel_decision(
    store: Store,
    urn: str,
    cycle_id: str,
    outcome: str,
    reasons: str,
    conditions: str,
    decided_on: date,
    panel: list[str],
    every_years: int,
    by: str,
) -> dict[str, Any]:
    """at_panel -> awarded / not_awarded; the decision is appended to ``awards/<urn>``. Returns it."""
    decision: dict[str, Any] = {}

    def also(document: dict[str, Any]) -> dict[str, Any]:
        decision.update(
            {
                "cycle": cycle_id,
                "reference": (document.get("submissions") or [None])[-1],
                "outcome": outcome,
                "reasons": reasons,
                "conditions": conditions,
                "decided_on": decided_on.isoformat(),
                "panel": list(panel),
                "recorded_by": by,
                "recorded_at": _now(),
            }
        )
        if outcome == "awarded":
            decision["expires_on"] = workflow.award_expiry(decided_on, every_years).isoformat()

        def apply(awards: dict | None) -> tuple[dict, None]:
            awards = awards or {"urn": urn, "decisions": []}
            # One decision per submission: a decision already stored for it is replaced. (It is there only if
            # the process stopped between storing it and moving the status on; deciding again puts it right.)
            awards["decisions"] = [
                earlier
                for earlier in awards["decisions"]
                if not (earlier.get("cycle") == cycle_id and earlier.get("reference") == decision["reference"])
            ]
            awards["decisions"].append(decision)
            return awards, None

        if document["status"] == "at_panel":
            store.modify(AWARDS, urn, apply)
        return decision

    action = "award" if outcome == "awarded" else "not_award"
    _transition(store, urn, cycle_id, action, by, also)
    return decision
