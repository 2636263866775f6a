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
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Literal, TypeVar

from jsonschema import Draft202012Validator

from quality_mark import carry_over, text, versions
from quality_mark.model import Content, Cycle, Framework
from quality_mark.personal_data import personal_data_found
from quality_mark.response_schema import response_schema, response_validator

from . import workflow
from .core import clock
from .store import Store

T = TypeVar("T")

COLLECTION = "self_evaluations"
ANSWERS = "self_evaluation_answers"
SUBMISSIONS = "submissions"
ANSWER_FIELDS = ("rating", "commentary", "evidence")
COMMENTARY, EVIDENCE_REFERENCE = "Commentary", "Each evidence reference"  # what a text problem calls each
EDITABLE = workflow.EDITABLE
# Saves by the same person within this time are one entry in the criterion's history.
HISTORY_COALESCE = timedelta(minutes=10)
HISTORY_LIMIT = 200

SaveStatus = Literal[
    "saved", "unchanged", "conflict", "invalid", "locked", "not_started", "unknown_criterion", "personal_data"
]


def key(urn: str, cycle_id: str) -> str:
    return f"{urn}-{cycle_id}"


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


def part_key(urn: str, cycle_id: str, heading_id: str) -> str:
    return f"{urn}-{cycle_id}-{heading_id}"


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


def _moving(part: dict[str, Any] | None, document: dict[str, Any]) -> bool:
    """Whether the heading has been moved to another version than the self-evaluation says (a move under way)."""
    return bool(part) and part.get("framework_version", document["framework_version"]) != document["framework_version"]


MOVING = "This self-evaluation is being moved to a new version of the criteria. Try again in a minute."


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


def framework_of(content: Content, document: dict[str, Any]) -> Framework:
    """The framework version the self-evaluation was made against (never a newer one)."""
    return content.framework(document["framework"], document["framework_version"])


@cache
def _answer_validator(framework: Framework) -> Any:
    """A validator for one answer: the generated schema's `$defs/answer`, which every criterion refers to."""
    return Draft202012Validator(
        response_schema(framework)["$defs"]["answer"], format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def answer_errors(framework: Framework, answer: dict[str, Any]) -> list[str]:
    """Plain-English problems with one answer, checked with the framework's generated JSON Schema (whose
    patterns say which characters text may hold) and the text rule (which also refuses lone surrogates)."""
    messages = text_errors(answer)
    for error in sorted(_answer_validator(framework).iter_errors(answer), key=lambda e: list(e.absolute_path)):
        path = [str(step) for step in error.absolute_path]
        messages.append(_explain(framework, path[0] if path else "", error))
    return list(dict.fromkeys(messages))


def _explain(framework: Framework, field_name: str, error: Any) -> str:
    scale = framework.rating_scale
    if field_name == "rating":
        lowest, highest = scale.levels[0], scale.levels[-1]
        return f"Choose a rating from {lowest.value} ({lowest.label}) to {highest.value} ({highest.label})"
    if error.validator == "pattern":
        return text.problem(error.instance, COMMENTARY if field_name == "commentary" else EVIDENCE_REFERENCE) or ""
    if field_name == "commentary":
        if error.validator == "maxLength":
            return f"Commentary must be {framework.commentary_limit:,} characters or fewer"
        return "Commentary must be text"
    if field_name == "evidence":
        if error.validator == "maxItems":
            return f"Give at most {error.validator_value} evidence references"
        if error.validator == "uniqueItems":
            return "Each evidence reference must be different"
        if error.validator in ("maxLength", "minLength"):
            return "Each evidence reference must be between 1 and 200 characters"
        return "Evidence references must be a list of text"
    if error.validator == "additionalProperties":
        return "Only a rating, commentary and evidence can be saved for a criterion"
    return "The answer could not be read. Reload the page and try again"


@dataclass
class SaveResult:
    status: SaveStatus
    answer: dict[str, Any] | None = None  # the answer as stored now (after the save, or the one that won)
    errors: list[str] = field(default_factory=list)
    personal_data: list[str] = field(default_factory=list)


def deadline_for(document: dict[str, Any], cycle: Cycle) -> datetime:
    """The cycle's deadline, or the school's extension if the LA granted one."""
    extension = document.get("extension_until")
    return datetime.fromisoformat(extension) if extension else cycle.submission_deadline


def normalise_answer(raw: dict[str, Any]) -> dict[str, Any]:
    """The stored shape of an answer: rating (or absent), commentary, evidence references, their text kept as
    `quality_mark.text` keeps it (line breaks as line feeds, normalisation form C), otherwise as sent: whether it
    is acceptable is for `answer_errors` to say. The form splits its evidence box into lines itself."""

    def kept(value: Any) -> Any:
        return text.checked(value, "", multiline=True)[0] if isinstance(value, str) else value

    answer: dict[str, Any] = {}
    if raw.get("rating") is not None:
        answer["rating"] = _whole(raw["rating"])
    answer["commentary"] = kept(raw.get("commentary", ""))
    evidence = raw.get("evidence", [])
    answer["evidence"] = [kept(item) for item in evidence] if isinstance(evidence, list) else evidence
    return answer


def _whole(value: Any) -> Any:
    """A whole number written with a point (3.0, as JSON may) as the whole number it is; anything else as is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def text_errors(raw: dict[str, Any]) -> list[str]:
    """What is wrong with the text of an answer as it was received (see `quality_mark.text`)."""
    commentary, evidence = raw.get("commentary"), raw.get("evidence")
    problems = [text.problem(commentary, COMMENTARY) if isinstance(commentary, str) else None]
    if isinstance(evidence, list):
        problems += [text.problem(item, EVIDENCE_REFERENCE) for item in evidence if isinstance(item, str)]
    return list(dict.fromkeys(problem for problem in problems if problem))


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
    if _moving(part, document):
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
            if any(_moving(part, document) for part in parts):
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
