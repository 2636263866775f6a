"""The rules of moderation and the panel, as pure functions: what a valid decision, comment or panel record is.

Pure: no store, no Flask. The package (`form_service.moderation`) applies these under the store's locks; the
pages turn the messages into GOV.UK error summaries. Every message is plain English and says what to do.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from quality_mark import text
from quality_mark.model import Framework

COMMENT_LIMIT = 2000
MESSAGE_LIMIT = 3000
REASONS_LIMIT = 3000

DECISIONS = {"agree": "Agree with the school's rating", "moderate": "Record a moderated rating"}
OUTCOMES = {"awarded": "Awarded", "not_awarded": "Not yet awarded"}
# The people who may sit on the LA's panel, by role (never by name: the school sees who decided, by role).
PANEL_ROLES = {
    "chair": "Panel chair (assistant director or delegate)",
    "la_send_lead": "LA SEND lead",
    "educational_psychologist": "Educational psychologist",
    "specialist_teacher": "Specialist teacher (STS)",
    "headteacher_representative": "Headteacher representative",
    "parent_carer_representative": "Parent/carer representative",
}


def clean_text(value: Any) -> str:
    """Multi-line text as typed, kept as `quality_mark.text` keeps it (surrounding space removed)."""
    return text.typed(value, "", multiline=True)[0]


def text_errors(value: str, name: str, limit: int, missing: str | None = None) -> list[str]:
    """Problems with a piece of free text called `name` (shown later as text, never as markup, so any
    character that text may hold may be kept); `missing` is the message when it is required and empty."""
    if missing and not value:
        return [missing]
    if len(value) > limit:
        return [f"{name} must be {limit:,} characters or fewer"]
    wrong = text.problem(value, name)
    return [wrong] if wrong else []


def decision_errors(
    framework: Framework, criterion_id: str, decision: str, rating: Any, comment: str
) -> dict[str, list[str]]:
    """Problems with one criterion's moderation decision, by field (decision, rating, comment)."""
    errors: dict[str, list[str]] = {}
    if criterion_id not in {c.id for c in framework.criteria}:
        return {"decision": [f"There is no criterion {criterion_id} in this submission's framework"]}
    if decision not in DECISIONS:
        errors["decision"] = ["Choose whether you agree with the school's rating or record a moderated rating"]
    scale = framework.rating_scale
    if decision == "moderate" and rating not in scale.values:
        lowest, highest = scale.levels[0], scale.levels[-1]
        errors["rating"] = [
            f"Choose a moderated rating from {lowest.value} ({lowest.label}) to {highest.value} ({highest.label})"
        ]
    missing = "Enter a comment that tells the school why you moderated its rating" if decision == "moderate" else None
    comment_problems = text_errors(comment, "Comment for the school", COMMENT_LIMIT, missing)
    if comment_problems:
        errors["comment"] = comment_problems
    return errors


def decisions_standing(moderation: dict[str, Any] | None, answers: dict[str, Any]) -> dict[str, Any]:
    """The criterion decisions that still stand for these answers: a decision made on a rating the school
    has since changed (after a return for amendments) must be made again."""
    standing = {}
    for cid, decision in ((moderation or {}).get("criteria") or {}).items():
        if (answers.get(cid) or {}).get("rating") == decision.get("school_rating"):
            standing[cid] = decision
    return standing


def panel_errors(
    outcome: str,
    reasons: str,
    conditions: str,
    decided_on: tuple[str, str, str],
    panel: list[str],
    today: date,
) -> tuple[dict[str, list[str]], date | None]:
    """Problems with a panel decision, by field, and the decision date when it is a real date not in the future."""
    errors: dict[str, list[str]] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = ["Choose the panel's decision: awarded or not yet awarded"]
    if problems := text_errors(
        reasons, "Reasons for the decision", REASONS_LIMIT, "Enter the reasons for the decision"
    ):
        errors["reasons"] = problems
    if problems := text_errors(conditions, "Conditions", REASONS_LIMIT):
        errors["conditions"] = problems
    if not panel:
        errors["panel"] = ["Choose the roles of the panel members who made the decision"]
    elif any(role not in PANEL_ROLES for role in panel) or len(set(panel)) != len(panel):
        errors["panel"] = ["Choose panel members' roles from the list"]
    day, month, year = (part.strip() for part in decided_on)
    when: date | None = None
    if not (day and month and year):
        errors["day"] = ["Enter the date of the panel's decision, for example 14 10 2026"]
    else:
        try:
            when = date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            errors["day"] = ["The date of the decision must be a real date, for example 14 10 2026"]
        else:
            if when > today:
                errors["day"] = ["The date of the decision must be today or in the past"]
                when = None
            elif when.year < 2000:
                errors["day"] = ["Enter the year of the decision in full, for example 2026"]
                when = None
    return errors, when
