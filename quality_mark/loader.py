"""Load every content file once: read, check, and build the immutable content model.

`check_content` reports every problem at once; `load_content` raises ContentError if there are any.
Both build.py and form_service use this module, so the site, the form and the schemas cannot disagree.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from . import checks, site_map
from .model import (
    FROM_CYCLE_ID,
    LONDON,
    Contact,
    Content,
    Correction,
    Criterion,
    CrosswalkEntry,
    Cycle,
    EvidenceItem,
    Framework,
    GuidancePage,
    Heading,
    KeyDates,
    KeyEvent,
    RatingLevel,
    RatingScale,
    Reaccreditation,
    ReminderPoints,
    Stage,
    Thresholds,
    Timeline,
    VersionChanges,
)
from .problems import ContentError, ContentProblem
from .validation import validate_document
from .yaml_source import SourceDocument, parse_yaml, read_yaml

_SLUG = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)


@dataclass
class _PageSource:
    slug: str
    front_matter: SourceDocument
    body: str
    body_first_line: int


def default_root() -> Path:
    """The repository folder that holds criteria/ and content/."""
    return Path(__file__).resolve().parent.parent


def load_content(root: Path | None = None) -> Content:
    """The checked content model; raises ContentError listing every problem if anything is wrong."""
    content, problems = check_content(root)
    if problems or content is None:
        raise ContentError(problems)
    return content


def check_content(root: Path | None = None) -> tuple[Content | None, list[ContentProblem]]:
    """Every problem in the content files, and the model when there are none."""
    root = (root or default_root()).resolve()
    problems: list[ContentProblem] = []

    def read(path: Path, schema: str) -> SourceDocument | None:
        display = path.relative_to(root).as_posix()
        if not path.is_file():
            problems.append(ContentProblem(display, 0, "This file is missing.", f"Create {display}."))
            return None
        document, read_problems = read_yaml(path, display)
        problems.extend(read_problems)
        if document is None or read_problems:
            return None
        schema_problems = validate_document(document, schema)
        problems.extend(schema_problems)
        return None if schema_problems else document

    framework_documents: list[SourceDocument] = []
    version_files: dict[str, dict[int, str]] = {}
    # Pages of files that could not be read: links to them are not reported twice.
    unknowable: list[str] = []
    for path in sorted((root / "criteria").glob("**/*")):
        if path.is_dir():
            continue
        display = path.relative_to(root).as_posix()
        parts = path.relative_to(root / "criteria").parts
        if path.suffix not in (".yaml", ".yml") or len(parts) != 2 or not re.fullmatch(r"v[0-9]+", path.stem):
            if path.suffix in (".yaml", ".yml") or len(parts) == 2:
                problems.append(
                    ContentProblem(
                        display,
                        0,
                        "This file is not where a framework version belongs, so it would be ignored.",
                        "Put each version at criteria/<framework>/v<version>.yaml, e.g. criteria/primary/v2.yaml.",
                    )
                )
            continue
        version_files.setdefault(parts[0], {})[int(path.stem[1:])] = display
        document = read(path, "framework")
        framework_problems = checks.check_framework(document, parts[0], path.stem) if document else []
        problems.extend(framework_problems)
        if document is not None and not framework_problems:
            framework_documents.append(document)
        else:
            unknowable.append(f"{site_map.framework_folder(parts[0])}/")
    if not framework_documents and not problems:
        problems.append(ContentProblem("criteria", 0, "There are no frameworks.", "Add criteria/<framework>/v1.yaml."))
    problems += checks.check_criterion_ids_across_frameworks(framework_documents)
    problems += checks.check_framework_versions(framework_documents, version_files)

    contacts_document = read(root / "content" / "contacts.yaml", "contacts")
    if contacts_document is not None:
        problems += checks.check_contacts(contacts_document)
    pages = _read_pages(root, problems, unknowable)
    page_slugs = {page.slug for page in pages}

    stages_document = read(root / "content" / "stages.yaml", "stages")
    if stages_document is not None:
        contact_ids = {contact["id"] for contact in contacts_document.value["contacts"]} if contacts_document else None
        unreadable_pages = {path.removesuffix(".md") for path in unknowable if path.endswith(".md")}
        problems += checks.check_stages(stages_document, contact_ids, page_slugs | unreadable_pages)
    stage_numbers = {stage["number"] for stage in stages_document.value["stages"]} if stages_document else None
    key_dates_document = read(root / "content" / "key_dates.yaml", "key_dates")
    if key_dates_document is not None:
        problems += checks.check_key_dates(key_dates_document, stage_numbers)
    evidence_document = read(root / "content" / "evidence.yaml", "evidence")
    if evidence_document is not None:
        problems += checks.check_evidence(evidence_document, stage_numbers)
    reminders_document = read(root / "content" / "reminders.yaml", "reminders")
    if reminders_document is not None:
        problems += checks.check_reminders(
            reminders_document,
            {contact["id"] for contact in contacts_document.value["contacts"]} if contacts_document else None,
            stages_document.value["reaccreditation"]["every_years"] if stages_document else None,
            _cycle_windows(key_dates_document),
        )

    known = _known_paths(framework_documents, page_slugs)
    for page in pages:
        problems += checks.check_markdown_links(
            page.front_matter.file,
            page.body,
            page.body_first_line,
            known,
            site_map.page_path(page.slug),
            tuple(unknowable),
        )
    for document in framework_documents:
        fw = document.value
        newest = max(d.value["version"] for d in framework_documents if d.value["id"] == fw["id"])
        for h, heading in enumerate(fw["headings"]):
            page_path = site_map.heading_path(
                fw["id"], heading["id"], None if fw["version"] == newest else fw["version"]
            )
            for c, criterion in enumerate(heading["criteria"]):
                location = ("headings", h, "criteria", c, "guidance")
                problems += checks.check_markdown_links(
                    document.file,
                    criterion["guidance"],
                    document.line_of(location) + 1,
                    known,
                    page_path,
                    tuple(unknowable),
                )
    if stages_document is not None:
        for s, stage in enumerate(stages_document.value["stages"]):
            line = stages_document.line_of(("stages", s, "guidance")) + 1
            problems += checks.check_markdown_links(
                stages_document.file, stage["guidance"], line, known, site_map.STAGES, tuple(unknowable)
            )

    problems = sorted(set(problems))
    if problems:
        return None, problems
    # no problems means all were read
    assert stages_document and key_dates_document and contacts_document and evidence_document and reminders_document
    content = Content(
        frameworks=tuple(_framework(document) for document in framework_documents),
        timeline=_timeline(stages_document.value),
        key_dates=_key_dates(key_dates_document.value),
        contacts=tuple(_contact(contact) for contact in contacts_document.value["contacts"]),
        pages=tuple(
            sorted((_page(page) for page in pages), key=lambda page: (page.order, page.slug)),
        ),
        evidence_checklist=tuple(_evidence_item(item) for item in evidence_document.value["items"]),
        reminders=_reminder_points(reminders_document.value),
    )
    return content, []


def _cycle_windows(key_dates_document: SourceDocument | None) -> list[tuple[str, str, str]] | None:
    """(cycle id, registration opens, deadline date) for each cycle whose dates are readable, for other checks."""
    if key_dates_document is None:
        return None
    windows = []
    for cycle in key_dates_document.value["cycles"]:
        deadline = checks.parse_deadline(cycle["submission_deadline"])
        try:
            date.fromisoformat(cycle["registration_opens"])
        except ValueError:
            continue
        if deadline is not None:
            windows.append((cycle["id"], cycle["registration_opens"], deadline.date().isoformat()))
    return windows


def _known_paths(framework_documents: list[SourceDocument], page_slugs: set[str]) -> set[str]:
    newest: dict[str, int] = {}
    for document in framework_documents:
        newest[document.value["id"]] = max(newest.get(document.value["id"], 0), document.value["version"])
    return site_map.known_paths(
        page_slugs,
        (
            (
                d.value["id"],
                d.value["version"],
                d.value["version"] == newest[d.value["id"]],
                [heading["id"] for heading in d.value["headings"]],
            )
            for d in framework_documents
        ),
    )


def _read_pages(root: Path, problems: list[ContentProblem], unknowable: list[str]) -> list[_PageSource]:
    """The guidance pages that could be read; the paths of those that could not go into `unknowable`."""
    pages = []
    folder = root / "content" / "pages"
    for path in sorted(folder.glob("*")):
        display = path.relative_to(root).as_posix()
        if path.suffix != ".md":
            problems.append(
                ContentProblem(display, 0, "Only Markdown pages (.md) belong in content/pages/.", "Rename or move it.")
            )
            continue
        if not _SLUG.match(path.stem):
            problems.append(
                ContentProblem(
                    display,
                    0,
                    f"The page name '{path.stem}' cannot be used in a web address.",
                    "Use lower-case letters, digits and hyphens, e.g. how-to-apply.md.",
                )
            )
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(ContentProblem(display, 0, "The file is not UTF-8 text.", "Save it as UTF-8."))
            continue
        unknowable.append(site_map.page_path(path.stem))
        match = _FRONT_MATTER.match(text)
        if not match:
            problems.append(
                ContentProblem(
                    display,
                    1,
                    "The page has no front matter.",
                    "Start the file with '---', then 'title:', 'description:' and 'order:' lines, then '---'.",
                )
            )
            continue
        # A leading newline keeps line numbers in step with the file (line 1 is the opening '---').
        document, read_problems = parse_yaml("\n" + match.group(1), display)
        problems.extend(read_problems)
        if document is None or read_problems:
            continue
        schema_problems = validate_document(document, "page")
        problems.extend(schema_problems)
        if schema_problems:
            continue
        unknowable.remove(site_map.page_path(path.stem))
        body_first_line = match.group(0).count("\n") + 1
        pages.append(_PageSource(path.stem, document, text[match.end() :], body_first_line))
    if not (folder / "index.md").is_file():
        problems.append(
            ContentProblem("content/pages/index.md", 0, "The home page is missing.", "Create content/pages/index.md.")
        )
    return pages


def _hash(value: object) -> str:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _framework(document: SourceDocument) -> Framework:
    fw = document.value
    return Framework(
        id=fw["id"],
        title=fw["title"],
        version=fw["version"],
        effective_from=date.fromisoformat(fw["effective_from"]),
        summary=fw["summary"].strip(),
        commentary_limit=fw["commentary_limit"],
        rating_scale=RatingScale(
            tuple(RatingLevel(lvl["value"], lvl["label"], lvl["description"].strip()) for lvl in fw["rating_scale"])
        ),
        thresholds=Thresholds(float(fw["thresholds"]["strength"]), float(fw["thresholds"]["development"])),
        headings=tuple(
            Heading(
                id=heading["id"],
                title=heading["title"],
                summary=heading["summary"].strip(),
                criteria=tuple(
                    Criterion(
                        id=criterion["id"],
                        heading_id=heading["id"],
                        statement=criterion["statement"].strip(),
                        guidance=criterion["guidance"].strip(),
                        evidence_examples=tuple(criterion["evidence_examples"]),
                        next_level=criterion["next_level"].strip(),
                        required=criterion.get("required", True),
                    )
                    for criterion in heading["criteria"]
                ),
            )
            for heading in fw["headings"]
        ),
        source_file=document.file,
        content_hash=_hash(fw),
        changes=_version_changes(fw["changes"]) if "changes" in fw else None,
        corrections=tuple(
            Correction(criterion_id=item["criterion"], date=date.fromisoformat(item["date"]), note=item["note"].strip())
            for item in fw.get("corrections", [])
        ),
    )


def _version_changes(value: dict) -> VersionChanges:
    return VersionChanges(
        summary=" ".join(value["summary"].split()),
        log=tuple(" ".join(line.split()) for line in value["log"]),
        crosswalk=tuple(
            CrosswalkEntry(
                old_ids=tuple(entry["from"]),
                new_ids=tuple(entry.get("to", [])),
                kind=entry["how"],
                note=" ".join(entry.get("note", "").split()),
            )
            for entry in value.get("crosswalk", [])
        ),
    )


def _timeline(value: dict) -> Timeline:
    return Timeline(
        stages=tuple(
            Stage(
                number=stage["number"],
                id=stage["id"],
                title=stage["title"],
                timescale=stage["timescale"],
                who=tuple(stage["who"]),
                summary=stage["summary"].strip(),
                guidance=stage["guidance"].strip(),
                evidence=tuple(stage.get("evidence", [])),
                funded_hours=stage["funded_hours"],
                contact_ids=tuple(stage["contacts"]),
                page_slugs=tuple(stage.get("pages", [])),
            )
            for stage in value["stages"]
        ),
        reaccreditation=Reaccreditation(
            every_years=value["reaccreditation"]["every_years"],
            repeats_stages=tuple(value["reaccreditation"]["repeats_stages"]),
            summary=value["reaccreditation"]["summary"].strip(),
        ),
    )


def _key_dates(value: dict) -> KeyDates:
    def deadline(text: str) -> datetime:
        parsed = checks.parse_deadline(text)
        assert parsed is not None  # checked before the model is built
        return parsed.replace(tzinfo=LONDON)

    return KeyDates(
        updated=date.fromisoformat(value["updated"]),
        cycles=tuple(
            Cycle(
                id=cycle["id"],
                title=cycle["title"],
                registration_opens=date.fromisoformat(cycle["registration_opens"]),
                submission_deadline=deadline(cycle["submission_deadline"]),
                starts=date.fromisoformat(cycle["starts"]) if "starts" in cycle else FROM_CYCLE_ID,
                ends=date.fromisoformat(cycle["ends"]) if "ends" in cycle else FROM_CYCLE_ID,
                events=tuple(
                    KeyEvent(
                        id=event["id"],
                        title=event["title"],
                        date=date.fromisoformat(event["date"]),
                        time=event.get("time"),
                        description=event["description"].strip(),
                        stage=event.get("stage"),
                    )
                    for event in sorted(cycle.get("events", []), key=lambda e: (e["date"], e.get("time", "")))
                ),
            )
            for cycle in value["cycles"]
        ),
    )


def _contact(value: dict) -> Contact:
    return Contact(
        id=value["id"],
        role=value["role"],
        team=value["team"],
        email=value["email"],
        phone=value.get("phone"),
        about=value["about"].strip(),
    )


def _evidence_item(value: dict) -> EvidenceItem:
    return EvidenceItem(
        id=value["id"],
        title=value["title"],
        description=value["description"].strip(),
        examples=tuple(value["examples"]),
        guidance=value["guidance"].strip() if "guidance" in value else None,
        no_pupil_names=value.get("no_pupil_names", True),
        stage=value.get("stage"),
    )


def _reminder_points(value: dict) -> ReminderPoints:
    return ReminderPoints(
        contact_id=value["contact"],
        before_deadline=tuple(sorted(value["submission_deadline"]["days_before"], reverse=True)),
        before_expiry=tuple(sorted(value["award_expiry"]["days_before"], reverse=True)),
    )


def _page(source: _PageSource) -> GuidancePage:
    front = source.front_matter.value
    return GuidancePage(
        slug=source.slug,
        title=front["title"],
        description=front["description"],
        order=front["order"],
        body=source.body,
        source_file=source.front_matter.file,
        menu_title=front.get("menu_title"),
    )
