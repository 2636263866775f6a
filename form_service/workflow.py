"""The Quality Mark workflow for one school and cycle, as a state machine, and the programme status the LA sees.

Pure: no store, no Flask. The server enforces every transition through `next_status`; nothing else may
change a self-evaluation's `status`.

    in_progress --submit--> submitted --start_review--> under_review --send_to_panel--> at_panel
         ^                                                |                            |     |
         |                                             return                       award  not_award
      (school edits)                                      v                            v     v
                                         returned --submit--> submitted      awarded   not_awarded

* Only a submission can be reviewed, only a reviewed submission goes to panel (every criterion moderated:
  agreed or given a moderated rating), and only the panel awards: there are no skipped steps.
* A school edits only while `in_progress` or `returned`.

Documents this workflow reads (shapes shared by the moderation, panel, dashboard, insight and register code):

* ``self_evaluations/<urn>-<cycle>``: ``status`` (a `Status`), ``submissions`` (references, oldest first),
  ``submitted_at``, ``answers`` ({criterion id: {rating, commentary, evidence, revision, updated_at,
  updated_by}}), ``extension_until``, ``returned`` ({message, by, at}) while returned.
* ``submissions/<reference lower-case>``: the immutable snapshot made at submission (``answers``,
  ``framework``, ``framework_version``, ``content_hash``, ``action_plan``, ``evidence``, ``submitted_by``,
  ``submitted_at``, ``reference``, ``urn``, ``cycle``).
* ``moderation/<urn>-<cycle>``: ``criteria`` ({criterion id: {decision: "agree" | "moderate",
  school_rating, rating (the moderated rating; the school's when agreed), by, at, reference}}) and
  ``comments`` ({criterion id: [{side: "la" | "school", by, name, text, at}]}).
* ``awards/<urn>``: ``decisions`` (oldest first), each {cycle, reference, outcome: "awarded" |
  "not_awarded", reasons, conditions, decided_on (ISO date), panel (list of members' roles),
  recorded_by, recorded_at, expires_on (ISO date, only when awarded)}.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

Status = Literal["in_progress", "submitted", "under_review", "returned", "at_panel", "awarded", "not_awarded"]
Action = Literal["submit", "start_review", "return", "send_to_panel", "award", "not_award"]
Actor = Literal["school", "la"]

EDITABLE: tuple[Status, ...] = ("in_progress", "returned")

AWARDS = "awards"  # the collection of the panel's decisions, one document per school (shape above)


@dataclass(frozen=True)
class Transition:
    action: Action
    from_statuses: tuple[Status, ...]
    to_status: Status
    by: Actor
    refusal: str  # said when the action is tried from any other status


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(
            "submit",
            ("in_progress", "returned"),
            "submitted",
            "school",
            "This self-evaluation has already been submitted.",
        ),
        Transition(
            "start_review",
            ("submitted",),
            "under_review",
            "la",
            "Only a submitted self-evaluation can be reviewed.",
        ),
        Transition(
            "return",
            ("under_review",),
            "returned",
            "la",
            "Only a self-evaluation under review can be returned for amendments.",
        ),
        Transition(
            "send_to_panel",
            ("under_review",),
            "at_panel",
            "la",
            "Only a self-evaluation under review can be sent to panel.",
        ),
        Transition(
            "award",
            ("at_panel",),
            "awarded",
            "la",
            "Only the panel can award the mark, after the submission has been reviewed and sent to it.",
        ),
        Transition(
            "not_award",
            ("at_panel",),
            "not_awarded",
            "la",
            "Only the panel can decide not to award the mark, after the submission has been sent to it.",
        ),
    )
}


class TransitionRefused(ValueError):
    """The action is not allowed from the current status; the message says why, in plain English."""


def next_status(current: str, action: str, actor: Actor) -> Status:
    """The status after `action` by `actor` from `current`; raises TransitionRefused if not allowed."""
    transition = TRANSITIONS.get(action)  # type: ignore[call-overload]
    if transition is None:
        raise TransitionRefused(f"There is no such step as {action!r}.")
    if transition.by != actor:
        who = "the school" if transition.by == "school" else "the local authority"
        raise TransitionRefused(f"Only {who} can take this step.")
    if current not in transition.from_statuses:
        raise TransitionRefused(transition.refusal)
    return transition.to_status


def unmoderated(criterion_ids: list[str] | tuple[str, ...], moderation: dict[str, Any] | None) -> list[str]:
    """The criteria of a submission that the reviewer has not yet agreed or moderated, in order."""
    done = (moderation or {}).get("criteria") or {}
    return [cid for cid in criterion_ids if cid not in done]


def moderated_ratings(answers: dict[str, Any], moderation: dict[str, Any] | None) -> dict[str, int]:
    """Each criterion's rating as the LA stands behind it: the moderated rating where one exists, else the school's."""
    ratings = {cid: a["rating"] for cid, a in answers.items() if isinstance(a, dict) and a.get("rating") is not None}
    for cid, decision in ((moderation or {}).get("criteria") or {}).items():
        if decision.get("rating") is not None:
            ratings[cid] = decision["rating"]
    return ratings


# --- awards ---------------------------------------------------------------------------------------------


def award_expiry(decided_on: date, every_years: int) -> date:
    """The day an award made on `decided_on` runs out: the same day `every_years` later (28 Feb for 29 Feb)."""
    try:
        return decided_on.replace(year=decided_on.year + every_years)
    except ValueError:
        return decided_on.replace(year=decided_on.year + every_years, day=28)


def latest_award(awards: dict[str, Any] | None) -> dict[str, Any] | None:
    """The most recent decision that awarded the mark (whether or not it has expired), or None."""
    awarded = [d for d in (awards or {}).get("decisions") or [] if d.get("outcome") == "awarded"]
    return max(awarded, key=lambda d: d["decided_on"]) if awarded else None


def current_award(awards: dict[str, Any] | None, today: date) -> dict[str, Any] | None:
    """The award the school holds today, or None (never one that has expired or is dated in the future)."""
    award = latest_award(awards)
    if award and date.fromisoformat(award["decided_on"]) <= today < date.fromisoformat(award["expires_on"]):
        return award
    return None


# --- programme status ------------------------------------------------------------------------------------

ProgrammeStatus = Literal[
    "not_registered",
    "registered",
    "in_progress",
    "submitted",
    "under_review",
    "returned",
    "awarded",
    "not_awarded",
    "award_expiring",
    "expired",
]

PROGRAMME_STATUS_LABELS: dict[str, str] = {
    "not_registered": "Not registered",
    "registered": "Registered",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "under_review": "Under review",
    "returned": "Returned for amendments",
    "awarded": "Awarded",
    "not_awarded": "Not awarded",
    "award_expiring": "Award expiring",
    "expired": "Award expired",
}

EXPIRING_WITHIN = timedelta(days=180)


def programme_status(
    school: dict[str, Any],
    evaluation: dict[str, Any] | None,
    awards: dict[str, Any] | None,
    today: date,
    expiring_within: timedelta = EXPIRING_WITHIN,
    answered: bool | None = None,
) -> ProgrammeStatus:
    """Where a school stands in the programme today, for the LA's dashboard (one of ten statuses).

    Work under way in the current cycle says most; otherwise the award the school holds (or held).
    A panel that is still deciding shows as "under review". `answered` says whether any answer has been
    given this cycle; without it, the evaluation's own `answers` are looked at.
    """
    status = (evaluation or {}).get("status")
    if answered is None:
        answered = bool((evaluation or {}).get("answers"))
    if status in ("submitted", "under_review", "returned", "not_awarded"):
        return status
    if status == "at_panel":
        return "under_review"
    award = latest_award(awards)
    if award is not None and date.fromisoformat(award["decided_on"]) <= today:
        expires = date.fromisoformat(award["expires_on"])
        if today >= expires:
            return "expired"
        if today >= expires - expiring_within:
            return "award_expiring"
        # A school may already be working on its reaccreditation while its award runs on.
        return "in_progress" if status == "in_progress" and answered else "awarded"
    if status == "awarded":
        return "awarded"
    if status == "in_progress" and answered:
        return "in_progress"
    return "registered" if school.get("members") else "not_registered"
