"""What the form's pages share, and the heading page's form: the school's self-evaluation for this cycle and who
may change it, what was posted for each criterion, saving a heading's answers, each problem under the field it
is about, text kept from a refused post put back, and the heading page drawn (again, with every word kept).

The routes are in `views.py`; the rules of a valid answer and of saving one are the package's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import g, render_template, request, url_for

from quality_mark.analysis import analyse
from quality_mark.carry_over import FLAG_TEXT
from quality_mark.model import LONDON, Framework, Heading
from quality_mark.personal_data import describe as describe_personal_data
from quality_mark.personal_data import personal_data_found

from .. import accounts, self_evaluation
from ..core import clock, kept_text
from ..core.clock import today
from ..core.content import get_content
from ..forms import ConfirmForm
from ..store import get_store

# The forms of a heading page: each carries every field on the page (the buttons share one form). Text kept from
# a refused post names the view it was posted to: until `kept_text.KEEP_FOR` has passed since these pages moved
# into this package, some was kept under their earlier names (blueprint `answers`), and comes back all the same.
HEADING_FORMS = (
    "self_evaluation.heading",
    "self_evaluation.confirm",
    "self_evaluation.confirm_heading",
    "answers.heading",
    "answers.confirm",
    "answers.confirm_heading",
)

ANSWER_FIELDS = self_evaluation.ANSWER_FIELDS


def this_cycle():
    return self_evaluation.current_cycle(get_content(), today())


def document_of(urn: str) -> dict[str, Any] | None:
    return self_evaluation.load(get_store(), urn, this_cycle().id)


def can_edit(document: dict[str, Any] | None) -> bool:
    return (
        document is not None
        and g.school_role in ("admin", "contributor")
        and document["status"] in self_evaluation.EDITABLE
        and clock.now() <= self_evaluation.deadline_for(document, this_cycle())
    )


def framework_for(urn: str, document: dict[str, Any] | None) -> Framework:
    content = get_content()
    if document:
        return self_evaluation.framework_of(content, document)
    return self_evaluation.starting_version(content, g.school["framework"], today())


def counted(document: dict[str, Any] | None) -> dict[str, Any]:
    """The answers that count as reviewed so far: a flagged answer counts only once it is confirmed or changed."""
    if not document:
        return {}
    flags = document.get("flags") or {}
    return {cid: answer for cid, answer in document["answers"].items() if cid not in flags}


def flagged_criteria(framework: Framework, document: dict[str, Any] | None) -> list[tuple[Any, dict[str, Any]]]:
    """(criterion, flag) for each flagged criterion, in the framework's order."""
    flags = (document or {}).get("flags") or {}
    return [(criterion, flags[criterion.id]) for criterion in framework.criteria if criterion.id in flags]


def no_longer_asked(framework: Framework, document: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Earlier answers whose criterion has no place in this version (retired): shown read-only."""
    ids = {criterion.id for criterion in framework.criteria}
    return [e for e in (document or {}).get("earlier_answers") or [] if not set(e.get("went_to") or []) & ids]


def posted_answer(criterion_id: str, form: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What the form sent (this request's, unless given) for one criterion, in the stored shape (the schema
    decides if it is valid)."""
    form = request.form if form is None else form
    rating_text = form.get(f"{criterion_id}-rating", "")
    try:
        rating: Any = int(rating_text) if rating_text else None
    except ValueError:
        rating = rating_text
    # One reference a line: blank lines dropped, space around each removed. Only line breaks end a line (not
    # str.splitlines, which would also split at control characters and so hide them from the text rule).
    lines = re.split(r"\r\n|\r|\n", form.get(f"{criterion_id}-evidence", ""))
    evidence = [line.strip(" \t") for line in lines if line.strip(" \t")]
    return {"rating": rating, "commentary": form.get(f"{criterion_id}-commentary", ""), "evidence": evidence}


def revision_of(criterion_id: str, form: Mapping[str, str] | None = None) -> int:
    form = request.form if form is None else form
    try:
        return int(form.get(f"{criterion_id}-revision", "0"))
    except ValueError:
        return -1


def kept_answers(section: Heading) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Answers typed on this page whose post was refused (signed out, page expired): the text to put back in
    the fields, and the revisions it was based on, so saving it can never silently overwrite a newer answer."""
    answers_kept: dict[str, dict[str, Any]] = {}
    bases: dict[str, int] = {}
    for kept in kept_text.restore(HEADING_FORMS):  # oldest first: the newest text wins
        for criterion in section.criteria:
            if f"{criterion.id}-revision" in kept.fields:
                answers_kept[criterion.id] = posted_answer(criterion.id, kept.fields)
                bases[criterion.id] = revision_of(criterion.id, kept.fields)
    return answers_kept, bases


def save_heading(
    urn: str, framework: Framework, section: Heading
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Save every criterion of the heading page's form: what was posted, and the problems by criterion."""
    problems: dict[str, dict[str, Any]] = {}
    posted: dict[str, dict[str, Any]] = {}
    store, content = get_store(), get_content()
    for criterion in section.criteria:
        answer = posted_answer(criterion.id)
        posted[criterion.id] = answer
        result = self_evaluation.save_answer(
            store,
            content,
            this_cycle(),
            urn,
            criterion.id,
            answer,
            revision_of(criterion.id),
            g.user.id,
            allow_personal_data=bool(request.form.get(f"{criterion.id}-personal-data-checked")),
            today=today(),
        )
        if result.status in ("saved", "unchanged"):
            continue
        problems[criterion.id] = {"status": result.status, "errors": result.errors, "theirs": result.answer}
        if result.status == "personal_data":
            problems[criterion.id]["errors"] = [describe_personal_data(result.personal_data)]
        problems[criterion.id]["fields"] = errors_by_field(framework, criterion.id, answer, problems[criterion.id])
    return posted, problems


def save_page(
    urn: str, document: dict[str, Any], framework: Framework, section: Heading
) -> tuple[dict[str, Any], tuple[str, int] | None]:
    """Save the heading page's form: the self-evaluation as it now is, and the page shown again with its
    errors (every word kept) if anything on it could not be saved."""
    posted, problems = save_heading(urn, framework, section)
    document = document_of(urn) or document
    if problems:
        return document, (render_heading(urn, document, framework, section, True, posted, problems), 400)
    return document, None


def errors_by_field(
    framework: Framework, criterion_id: str, answer: dict[str, Any], problem: dict[str, Any]
) -> dict[str, list[str]]:
    """Each message about one criterion, under the field it is about (rating, commentary or evidence), so
    it can be shown next to that field and the error summary can link to it."""
    if problem["status"] == "conflict":
        return {"commentary": []}  # their version is shown above the fields; the person edits their commentary
    normalised = self_evaluation.normalise_answer(answer)
    if problem["status"] == "personal_data":
        in_commentary = personal_data_found(str(normalised.get("commentary", "")), today())
        return {"commentary" if in_commentary else "evidence": problem["errors"]}
    fields: dict[str, list[str]] = {}
    if problem["status"] == "invalid":
        for name in ANSWER_FIELDS:
            if name in normalised:
                messages = self_evaluation.answer_errors(framework, {name: normalised[name]})
                if messages:
                    fields[name] = messages
    placed = {message for messages in fields.values() for message in messages}
    others = [message for message in problem["errors"] if message not in placed]
    if others:
        fields.setdefault("rating", []).extend(others)
    return fields


def error_target(framework: Framework, criterion_id: str, field_name: str) -> str:
    """The id of the control an error summary link moves focus to (a group of radios: its first radio)."""
    if field_name == "rating":
        return f"{criterion_id.lower()}-rating-{framework.rating_scale.levels[0].value}"
    return f"{criterion_id.lower()}-{field_name}"


def next_heading(framework: Framework, section: Heading) -> Heading | None:
    ids = [h.id for h in framework.headings]
    position = ids.index(section.id)
    return framework.headings[position + 1] if position + 1 < len(ids) else None


def render_heading(
    urn: str,
    document: dict[str, Any],
    framework: Framework,
    section: Heading,
    editable: bool,
    posted: dict[str, dict[str, Any]],
    problems: dict[str, dict[str, Any]],
    bases: dict[str, int] | None = None,
) -> str:
    """The heading page. `posted`: text to show in place of the saved answers, `bases`: the revisions it was
    based on (when not the saved ones), `problems`: why some of it could not be saved."""
    stored = document["answers"]
    error_links = [
        (error_target(framework, criterion_id, field_name), message)
        for criterion_id, problem in problems.items()
        for field_name, messages in problem["fields"].items()
        for message in (messages or ["Someone else changed this answer while you were editing it"])
    ]
    names = {}
    earlier: dict[str, list[dict[str, Any]]] = {}
    for entry in document.get("earlier_answers") or []:
        for target in entry.get("went_to") or []:
            earlier.setdefault(target, []).append(entry)
    retired_here = [e for e in no_longer_asked(framework, document) if e.get("heading_id") == section.id]
    for answer in stored.values():
        if answer.get("updated_by") and answer["updated_by"] not in names:
            person = accounts.get_user(get_store(), answer["updated_by"])
            names[answer["updated_by"]] = person.name if person else "A former team member"
    return render_template(
        "self_evaluation/heading.html",
        school=g.school,
        document=document,
        framework=framework,
        section=section,
        editable=editable,
        stored=stored,
        posted=posted,
        problems=problems,
        bases=bases or {},
        error_links=error_links,
        names=names,
        next_heading=next_heading(framework, section),
        analysis=analyse(framework, counted(document)),
        flags=document.get("flags") or {},
        flag_text=FLAG_TEXT,
        earlier=earlier,
        retired_here=retired_here,
        form=ConfirmForm(),
        london=LONDON,
        api_url=url_for("api.save_answer", urn=urn, criterion_id="CRITERION") if editable else None,
    )
