"""A school's self-evaluation for one cycle: answers saved one criterion at a time, never overwritten blindly.

Stored as one small document per school, cycle and heading, so a save costs the same however many schools
there are, and rewrites only that heading's answers:

* ``self_evaluations/<URN>-<cycle>``: what the self-evaluation is (school, cycle, framework version and
  content hash, status, submissions, extension) and ``parts``, the headings whose answers it holds;
* ``self_evaluation_answers/<URN>-<cycle>-<heading id>``: that heading's ``answers``, their ``history`` and
  its ``flags`` ({criterion id: {kind: "changed" | "new" | "still_true", version, before}}: criteria the
  school must look at again after a move to a new version of the framework or a reaccreditation pre-fill);
  while a move is under way, ``framework_version`` says which version the heading has been moved to.

`load` puts them together, so readers see one document with ``answers``, ``history`` and ``flags``.
A flag lives beside the answer it is about, so saving the answer clears it in the same transaction.

Every save says which revision of the criterion it was based on; a save against an older revision is
refused as a conflict, so two people (or two tabs) never silently overwrite each other, while edits to
different criteria merge. A save reads the status in the same transaction as it writes; anything that
ends editing (submission) does so in one transaction too, and writers take turns, so no save can slip in
after it.

In this package: `documents.py` names the documents and reads them (`load`, the current cycle, the framework
version, the deadline); `rules.py` says what a valid answer is; `saving.py` saves one answer, or confirms a
flagged one, under its heading's lock. Here: starting one (pre-filled after an award), storing one whole, the
transactions a move to a new version uses, an extension, and submitting. `analysis.py` works out what it says
(strengths and areas for development, the LA's average, the exports).

The pages (blueprint `self_evaluation`, under /school/<urn>): the form, one page per heading, check your answers
and submit (`views.py`, reading and saving a heading's form in `form_page.py`), and the analysis, the governors'
summary, the report and the exports (`analysis_views.py`); their templates under `templates/self_evaluation/`.
The JSON API that saves answers as people type is `form_service.api`. The state machine of a submission stays
in `form_service.workflow`: the summary rows read it, and so the store imports it, while this package imports
the store.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from quality_mark import carry_over, versions
from quality_mark.model import Content, Cycle, Framework
from quality_mark.response_schema import response_schema, response_validator

from .. import workflow
from ..core import clock
from ..store import Store
from .documents import (
    ANSWER_FIELDS,
    ANSWERS,
    COLLECTION,
    EDITABLE,
    MOVING,
    SUBMISSIONS,
    current_cycle,
    deadline_for,
    framework_of,
    is_moving,
    key,
    load,
    now_utc,
    part_key,
    starting_version,
)
from .rules import answer_errors, normalise_answer, text_errors
from .saving import ConfirmStatus, SaveResult, SaveStatus, confirm_answer, save_answer

__all__ = [
    "ANSWERS",
    "ANSWER_FIELDS",
    "COLLECTION",
    "EDIT",
    "EDITABLE",
    "MOVING",
    "READ",
    "SUBMISSIONS",
    "SUBMIT",
    "ConfirmStatus",
    "SaveResult",
    "SaveStatus",
    "answer_errors",
    "confirm_answer",
    "current_cycle",
    "deadline_for",
    "framework_of",
    "grant_extension",
    "holding_every_part",
    "key",
    "load",
    "new_reference",
    "normalise_answer",
    "now_utc",
    "part_key",
    "prefill",
    "replacing_parts",
    "save_answer",
    "start",
    "starting_version",
    "store_whole",
    "submit",
    "text_errors",
]

T = TypeVar("T")

# Who may read, change and submit a self-evaluation, as `auth.school_member` takes it: the school's roles, and the
# LA's, who only read.
READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}
EDIT = {"roles": ("admin", "contributor"), "la_roles": ()}
SUBMIT = {"roles": ("admin",), "la_roles": ()}


def start(
    store: Store, content: Content, school: dict[str, Any], cycle: Cycle, today: date | None = None
) -> dict[str, Any]:
    """The school's self-evaluation for the cycle, begun against the version of its framework in effect today.

    A school that has held the mark starts pre-filled from its last awarded submission (see `prefill`)."""
    today = today or clock.today()

    def begin(document: dict | None) -> tuple[dict, None]:
        if document is None:
            framework = starting_version(content, school["framework"], today)
            document = {
                "urn": school["urn"],
                "cycle": cycle.id,
                "framework": framework.id,
                "framework_version": framework.version,
                "content_hash": framework.content_hash,
                "status": "in_progress",
                "parts": [heading.id for heading in framework.headings],
                "created_at": now_utc().isoformat(timespec="seconds"),
            }
            # The heading documents first: a crash before the self-evaluation is stored leaves only these,
            # and starting again writes them afresh.
            document |= prefill(store, content, school["urn"], cycle, framework)
        return document, None

    if store.read(COLLECTION, key(school["urn"], cycle.id)) is None:
        store.modify(COLLECTION, key(school["urn"], cycle.id), begin)
    document = load(store, school["urn"], cycle.id)
    assert document is not None
    return document


def prefill(store: Store, content: Content, urn: str, cycle: Cycle, framework: Framework) -> dict[str, Any]:
    """For a school that has held the mark: its last awarded submission's answers, carried to `framework`
    with every answer asking "still true?", written as the heading documents. Returns what the
    self-evaluation itself records about it ({} when there is nothing to pre-fill from)."""
    award = workflow.latest_award(store.read(workflow.AWARDS, urn))
    if award is None or award.get("cycle") == cycle.id or not award.get("reference"):
        return {}
    snapshot = store.read(SUBMISSIONS, str(award["reference"]).lower())
    if snapshot is None or snapshot.get("framework") != framework.id:
        return {}
    if snapshot["framework_version"] > framework.version:
        return {}
    try:
        old = content.framework(framework.id, snapshot["framework_version"])
    except KeyError:
        return {}
    answers = {cid: {**answer, "revision": 0} for cid, answer in (snapshot.get("answers") or {}).items()}
    found = versions.routes(content, framework.id, old.version, framework.version)
    carried = carry_over.carry(answers, {}, found, old, framework, "still_true")
    for heading in framework.headings:
        ids = [criterion.id for criterion in heading.criteria]
        part = {
            "answers": {cid: carried.answers[cid] for cid in ids if cid in carried.answers},
            "history": {},
            "flags": {cid: carried.flags[cid] for cid in ids if cid in carried.flags},
        }
        store.write(ANSWERS, part_key(urn, cycle.id, heading.id), part)
    return {
        "prefilled_from": {
            "reference": snapshot.get("reference", award["reference"]),
            "cycle": snapshot.get("cycle"),
            "framework_version": old.version,
            "submitted_at": snapshot.get("submitted_at"),
        },
        "earlier_answers": carried.earlier_answers,
    }


def store_whole(store: Store, content: Content, document: dict[str, Any]) -> None:
    """Store a whole self-evaluation (with its `answers` and `history`, as `load` returns it) as its documents:
    one per heading of its framework version, and the rest. For bringing in self-evaluations made elsewhere."""
    framework = framework_of(content, document)
    answers, history = document.get("answers") or {}, document.get("history") or {}
    flags = document.get("flags") or {}
    meta = {name: value for name, value in document.items() if name not in ("answers", "history", "flags")}
    meta["parts"] = [heading.id for heading in framework.headings]
    for heading in framework.headings:
        ids = [criterion.id for criterion in heading.criteria]
        part = {
            "answers": {cid: answers[cid] for cid in ids if cid in answers},
            "history": {cid: history[cid] for cid in ids if cid in history},
            "flags": {cid: flags[cid] for cid in ids if cid in flags},
        }
        store.write(ANSWERS, part_key(document["urn"], document["cycle"], heading.id), part)
    store.write(COLLECTION, key(document["urn"], document["cycle"]), meta)


def holding_every_part(store: Store, document: dict[str, Any], then: Callable[[], T]) -> T:
    """Run `then` in one transaction, so that no answer is saved meanwhile and what it writes commits together."""
    with store.transaction():
        return then()


def replacing_parts(
    store: Store,
    urn: str,
    cycle_id: str,
    heading_ids: list[str],
    replace: Callable[[dict[str, dict | None]], dict[str, dict | None]],
    after_each: Callable[[str], None] | None = None,
) -> None:
    """In one transaction, read each of `heading_ids`' answers, then store what `replace` makes of them all
    (None deletes one), the last heading first. `after_each(heading_id)` runs as each is about to be written
    (tests stop a move there: nothing of it is then stored)."""
    with store.transaction():
        found = {heading_id: store.read(ANSWERS, part_key(urn, cycle_id, heading_id)) for heading_id in heading_ids}
        replaced = replace(found)
        for heading_id in reversed(heading_ids):
            if after_each is not None:
                after_each(heading_id)
            part = replaced.get(heading_id)
            if part is None:
                store.delete(ANSWERS, part_key(urn, cycle_id, heading_id))
            else:
                store.write(ANSWERS, part_key(urn, cycle_id, heading_id), part)


def grant_extension(store: Store, urn: str, cycle_id: str, until: datetime, reason: str, by: str) -> None:
    """A later deadline for one school (the LA's decision), kept with the self-evaluation."""

    def apply(document: dict | None) -> tuple[dict | None, None]:
        if document is None:
            raise ValueError("Start the self-evaluation before granting an extension")
        document["extension_until"] = until.isoformat()
        document["extension"] = {
            "until": until.isoformat(),
            "reason": reason,
            "by": by,
            "at": now_utc().isoformat(timespec="seconds"),
        }
        return document, None

    store.modify(COLLECTION, key(urn, cycle_id), apply)


def new_reference(urn: str, cycle_id: str) -> str:
    """A submission's reference number, e.g. QM-900001-202627-4PYX2K (no 0/O or 1/I to misread)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    suffix = "".join(secrets.choice(alphabet) for _ in range(6))
    return f"QM-{urn}-{cycle_id.replace('-', '')}-{suffix}"


def submit(
    store: Store, content: Content, cycle: Cycle, urn: str, user_id: str, moment: datetime, reference: str
) -> tuple[str, str | None]:
    """Submit the self-evaluation: ("ok", None) once the snapshot is stored and the answers are locked,
    or ("error", what to tell the person). The snapshot (`submissions/<reference>`) never changes again."""

    def lock(document: dict | None) -> tuple[dict | None, tuple[str, str | None]]:
        if document is None:
            return document, ("error", "Start the self-evaluation before submitting it.")
        try:
            new_status = workflow.next_status(document["status"], "submit", "school")
        except workflow.TransitionRefused as refusal:
            return document, ("error", str(refusal))
        if moment > deadline_for(document, cycle):
            return document, (
                "error",
                "The deadline has passed, so the self-evaluation cannot be submitted. Contact the Quality Mark team.",
            )
        framework = framework_of(content, document)

        def snapshot() -> tuple[str, str | None]:
            # Every heading's lock is held: the answers read here are the last ones anyone can save.
            loaded = load(store, urn, cycle.id) or {}
            parts = [store.read(ANSWERS, part_key(urn, cycle.id, h)) for h in document.get("parts", [])]
            if any(is_moving(part, document) for part in parts):
                return "error", MOVING
            if loaded.get("flags"):
                count = len(loaded["flags"])
                return "error", (
                    f"{count} {'criterion needs' if count == 1 else 'criteria need'} checking: confirm or change "
                    "each flagged answer before submitting."
                )
            answered = loaded.get("answers", {})
            response = {
                "framework": framework.id,
                "framework_version": framework.version,
                "answers": {cid: {k: a[k] for k in ANSWER_FIELDS if k in a} for cid, a in answered.items()},
            }
            if list(response_validator(response_schema(framework), complete=True).iter_errors(response)):
                return "error", "Some required criteria still need a rating and commentary."
            store.write(
                SUBMISSIONS,
                reference.lower(),
                {
                    "reference": reference,
                    "urn": urn,
                    "cycle": cycle.id,
                    "framework": framework.id,
                    "framework_version": framework.version,
                    "content_hash": framework.content_hash,
                    "answers": answered,
                    "action_plan": store.read("action_plans", key(urn, cycle.id)),
                    "evidence": store.read("evidence", key(urn, cycle.id)),
                    "submitted_by": user_id,
                    "submitted_at": moment.isoformat(timespec="seconds"),
                },
            )
            return "ok", None

        outcome = holding_every_part(store, document, snapshot)
        if outcome[0] == "ok":
            document.setdefault("transitions", []).append(
                {
                    "action": "submit",
                    "from": document["status"],
                    "to": new_status,
                    "by": user_id,
                    "at": moment.isoformat(timespec="seconds"),
                }
            )
            document["status"] = new_status
            document.setdefault("submissions", []).append(reference)
            document["submitted_at"] = moment.isoformat(timespec="seconds")
            document.pop("returned", None)
        return document, outcome

    return store.modify(COLLECTION, key(urn, cycle.id), lock)
