"""Carrying a self-evaluation's answers from one version of a framework to a later one.

Pure: works on answers and history in the shapes the form service stores them (``{criterion id: {rating,
commentary, evidence, revision, updated_at, updated_by}}`` and ``{criterion id: [entry, ...]}``), on the
routes from `quality_mark.versions.routes`, and on the two `Framework` versions. No store, no Flask.

The rules, so that no answer is ever lost and the school is told what to look at again:

* a criterion that carries on unchanged under the same ID keeps its answer and is not flagged;
* a reworded, replaced or split criterion passes its answer on, flagged ``changed`` (check your answer);
* criteria merged into one pass on the lowest rating, each commentary labelled with its old criterion ID
  and every evidence reference, flagged ``changed``; commentary too long for the limit is left blank, and
  the school reads the originals among the earlier answers;
* a criterion new in the later version is flagged ``new``;
* every answer that is not carried one to one unchanged is also kept, read-only and with the wording it
  was given against, among the ``earlier_answers``; a retired criterion's answer is kept only there;
* for reaccreditation (reason ``still_true``) every carried answer is flagged ``still_true`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .model import Framework
from .response_schema import MAX_EVIDENCE_REFERENCE_LENGTH, MAX_EVIDENCE_REFERENCES
from .text import printable
from .versions import Route

Reason = Literal["new_version", "still_true"]
FlagKind = Literal["changed", "new", "still_true"]
ANSWER_FIELDS = ("rating", "commentary", "evidence")

FLAG_TEXT: dict[str, str] = {
    "changed": "Updated since you last reviewed — check your answer",
    "new": "New criterion",
    "still_true": "Still true? Confirm or change your answer",
}


@dataclass(frozen=True)
class Carried:
    """The answers, history and flags for the newer version, and every earlier answer kept read-only."""

    answers: dict[str, dict[str, Any]]
    history: dict[str, list[dict[str, Any]]]
    flags: dict[str, dict[str, Any]]
    earlier_answers: list[dict[str, Any]] = field(default_factory=list)


def answer_fields(answer: Mapping[str, Any]) -> dict[str, Any]:
    """Only what the school said: rating (when given), commentary and evidence."""
    return {name: answer[name] for name in ANSWER_FIELDS if name in answer}


def earlier_entry(framework: Framework, criterion_id: str, answer: Mapping[str, Any], went_to: Sequence[str]) -> dict:
    """An answer kept read-only with the wording it was given against, and where (if anywhere) it went."""
    criterion = framework.criterion(criterion_id)
    heading = framework.heading_of(criterion_id)
    return {
        "criterion_id": criterion_id,
        "statement": criterion.statement,
        "heading_id": heading.id,
        "heading_title": heading.title,
        "framework": framework.id,
        "framework_version": framework.version,
        "answer": answer_fields(answer) | {k: answer[k] for k in ("updated_at", "updated_by") if k in answer},
        "went_to": list(went_to),
    }


def _fits(new: Framework, answer: dict[str, Any]) -> dict[str, Any]:
    """The answer made valid for the newer version: a rating off its scale, commentary over its limit and
    evidence beyond what it allows are left out, and a character no text may hold (stored before the rule for
    text) is shown as U+FFFD (the original is among the earlier answers)."""
    fitted: dict[str, Any] = {}
    rating = answer.get("rating")
    if isinstance(rating, int) and not isinstance(rating, bool) and rating in new.rating_scale.values:
        fitted["rating"] = rating
    commentary = answer.get("commentary")
    fits = isinstance(commentary, str) and len(commentary) <= new.commentary_limit
    fitted["commentary"] = printable(commentary) if fits else ""
    evidence = [
        printable(item)
        for item in answer.get("evidence") or []
        if isinstance(item, str) and 1 <= len(item) <= MAX_EVIDENCE_REFERENCE_LENGTH
    ]
    fitted["evidence"] = list(dict.fromkeys(evidence))[:MAX_EVIDENCE_REFERENCES]
    return fitted


def _merge(sources: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Several old answers as one: the lowest rating, each commentary labelled, every evidence reference."""
    if len(sources) == 1:
        return answer_fields(sources[0][1])
    ratings = [a["rating"] for _, a in sources if isinstance(a.get("rating"), int)]
    commentary = "\n\n".join(
        f"[{source_id}] {a['commentary']}" for source_id, a in sources if str(a.get("commentary") or "").strip()
    )
    evidence = [item for _, a in sources for item in a.get("evidence") or []]
    merged: dict[str, Any] = {"commentary": commentary, "evidence": evidence}
    if ratings:
        merged["rating"] = min(ratings)
    return merged


def _has_answer(answer: Mapping[str, Any] | None) -> bool:
    if not answer:
        return False
    return answer.get("rating") is not None or bool(answer.get("commentary")) or bool(answer.get("evidence"))


def carry(
    answers: Mapping[str, Mapping[str, Any]],
    history: Mapping[str, Sequence[Mapping[str, Any]]],
    found_routes: Mapping[str, Sequence[Route]],
    old: Framework,
    new: Framework,
    reason: Reason = "new_version",
    flags: Mapping[str, Mapping[str, Any]] | None = None,
    earlier_answers: Sequence[Mapping[str, Any]] = (),
) -> Carried:
    """Carry `answers` (given against `old`) to `new` along `found_routes` (`versions.routes(old, new)`).

    `flags` and `earlier_answers` already held (from an earlier move) are kept: a flag stays on a criterion
    carried one to one unchanged until the school clears it; earlier answers are never dropped."""
    flags = flags or {}
    arriving: dict[str, list[tuple[str, Route]]] = {}
    for source_id, carried_routes in found_routes.items():
        for route in carried_routes:
            arriving.setdefault(route.target_id, []).append((source_id, route))

    new_answers: dict[str, dict[str, Any]] = {}
    new_history: dict[str, list[dict[str, Any]]] = {}
    new_flags: dict[str, dict[str, Any]] = {}
    one_to_one: set[str] = set()
    for criterion in new.criteria:
        incoming = arriving.get(criterion.id, [])
        answered = [(source_id, route) for source_id, route in incoming if _has_answer(answers.get(source_id))]
        changed = any(route.changed for _, route in incoming) or len(incoming) > 1
        if answered:
            sources = [(source_id, answers[source_id]) for source_id, _ in answered]
            merged = _merge(sources)
            fitted = _fits(new, merged)
            same = answers.get(criterion.id)
            base = same if same is not None and any(s == criterion.id for s, _ in answered) else None
            stored = {
                **fitted,
                "revision": (int(base.get("revision", 0)) + 1) if base is not None else 1,
            }
            first = sources[0][1]
            for name in ("updated_at", "updated_by"):
                if name in first:
                    stored[name] = first[name]
            new_answers[criterion.id] = stored
            if criterion.id in history:
                new_history[criterion.id] = [dict(entry) for entry in history[criterion.id]]
            if (
                not changed
                and len(answered) == 1
                and answered[0][0] == criterion.id
                and fitted == answer_fields(merged)
            ):
                one_to_one.add(criterion.id)
        elif criterion.id in history:
            new_history[criterion.id] = [dict(entry) for entry in history[criterion.id]]

        before = [
            {"criterion_id": source_id, "statement": old.criterion(source_id).statement}
            for source_id, route in incoming
            if route.changed or source_id != criterion.id
        ]
        if not incoming:
            new_flags[criterion.id] = {"kind": "new", "version": new.version}
        elif reason == "still_true" and answered:
            new_flags[criterion.id] = {"kind": "still_true", "version": new.version, "before": before}
        elif changed:
            new_flags[criterion.id] = {"kind": "changed", "version": new.version, "before": before}
        elif criterion.id in flags and len(incoming) == 1 and incoming[0][0] == criterion.id:
            new_flags[criterion.id] = dict(flags[criterion.id])

    kept = [dict(entry) for entry in earlier_answers]
    for source_id, answer in answers.items():
        if source_id in one_to_one or not _has_answer(answer):
            continue
        went_to = [route.target_id for route in found_routes.get(source_id, ())]
        try:
            kept.append(earlier_entry(old, source_id, answer, went_to))
        except KeyError:
            # An answer to a criterion the old version does not have (brought in from elsewhere): keep it all.
            kept.append(
                {
                    "criterion_id": source_id,
                    "statement": "",
                    "heading_id": "",
                    "heading_title": "",
                    "framework": old.id,
                    "framework_version": old.version,
                    "answer": answer_fields(answer),
                    "went_to": [],
                }
            )
    return Carried(new_answers, new_history, new_flags, kept)
