"""The LA's list of schools, imported from a DfE "Get Information about Schools" (GIAS) CSV export.

`read_gias_csv` is pure: bytes in, a preview out (good rows, and each bad row with its line and what is
wrong). `apply_import` writes the good rows; importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from quality_mark import text

from . import accounts
from .forms import EMAIL
from .store import Store

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000

# GIAS column names; an LA may add a contact email column of its own.
URN = "URN"
NAME = "EstablishmentName"
PHASE = "PhaseOfEducation (name)"
LA_NAME = "LA (name)"
POSTCODE = "Postcode"
WEBSITE = "SchoolWebsite"
STATUS = "EstablishmentStatus (name)"
TYPE = "TypeOfEstablishment (name)"
EMAIL_COLUMNS = ("ContactEmail", "Email", "SchoolEmail")
# Ordnance Survey grid reference in metres (GIAS has both columns); used for the distance between schools.
EASTING, NORTHING = "Easting", "Northing"
GRID_LIMITS = {EASTING: 700_000, NORTHING: 1_300_000}  # the extent of the British National Grid
REQUIRED_COLUMNS = (URN, NAME, PHASE, POSTCODE)
READ_COLUMNS = (URN, NAME, PHASE, LA_NAME, POSTCODE, WEBSITE, STATUS, TYPE, *EMAIL_COLUMNS, EASTING, NORTHING)

PHASE_FRAMEWORKS = {
    "nursery": "primary",
    "primary": "primary",
    "middle deemed primary": "primary",
    "secondary": "secondary",
    "middle deemed secondary": "secondary",
    "all-through": "secondary",
    "16 plus": "secondary",
}
POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


@dataclass
class ImportPreview:
    schools: list[dict[str, Any]] = field(default_factory=list)
    row_errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, URN or "", message)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    file_error: str | None = None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # GIAS downloads are often Windows-1252


def read_gias_csv(raw: bytes, frameworks: set[str]) -> ImportPreview:
    preview = ImportPreview()
    if not raw.strip():
        preview.file_error = "The file is empty. Choose the CSV file you downloaded from Get Information about Schools."
        return preview
    if len(raw) > MAX_FILE_BYTES:
        megabytes = MAX_FILE_BYTES // (1024 * 1024)
        preview.file_error = f"The file is larger than {megabytes} MB. Filter the export to your LA's open schools."
        return preview
    if b"\x00" in raw[:4096]:
        preview.file_error = "The file must be a CSV file. Save it as 'CSV (comma delimited)' and try again."
        return preview
    reader = csv.DictReader(io.StringIO(_decode(raw), newline=""))
    columns = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        preview.file_error = (
            f"The file is missing the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}. "
            "Use the full 'all establishment data' export from Get Information about Schools."
        )
        return preview
    reader.fieldnames = columns
    seen: dict[str, int] = {}
    try:
        for index, row in enumerate(reader):
            line = index + 2  # the header is line 1
            if index >= MAX_ROWS:
                preview.file_error = f"The file has more than {MAX_ROWS:,} schools. Filter it to your LA."
                return preview
            _read_row(row, line, frameworks, seen, preview)
    except csv.Error as error:
        preview.file_error = f"The file is not a well-formed CSV file ({error}). Save it again as CSV and retry."
    return preview


def _cell(row: dict[str, Any], column: str) -> str:
    """The cell's text as kept (one line: see `quality_mark.text`); "" for a cell the row does not have."""
    return text.typed(row.get(column), column, multiline=False)[0]


def _unreadable_columns(row: dict[str, Any]) -> list[str]:
    """The columns the service reads whose cell holds what no text may hold."""
    return [column for column in READ_COLUMNS if text.problem(_cell(row, column), column)]


def _read_row(
    row: dict[str, Any], line: int, frameworks: set[str], seen: dict[str, int], preview: ImportPreview
) -> None:
    urn = _cell(row, URN)
    problems = [f"the {column} column {text.REFUSED}" for column in _unreadable_columns(row)]
    if not re.fullmatch(r"\d{6,7}", urn):
        problems.append("the URN must be 6 or 7 digits")
    elif urn in seen:
        problems.append(f"this URN is already on line {seen[urn]}")
    name = _cell(row, NAME)
    if not name or len(name) > 200:
        problems.append("the school name is missing or longer than 200 characters")
    if "closed" in _cell(row, STATUS).lower():
        preview.skipped.append((line, urn, "the school is closed"))
        return
    phase = _cell(row, PHASE)
    framework = PHASE_FRAMEWORKS.get(phase.lower())
    if framework is None or framework not in frameworks:
        problems.append(f"the phase '{phase or 'blank'}' has no Quality Mark framework")
    postcode = _cell(row, POSTCODE).upper()
    if not POSTCODE_PATTERN.match(postcode):
        problems.append(f"the postcode '{postcode or 'blank'}' is not a UK postcode")
    grid = _grid_reference(row, problems)
    email = next((_cell(row, column) for column in EMAIL_COLUMNS if _cell(row, column)), "")
    if email and not EMAIL.match(email):
        problems.append(f"the contact email '{email}' is not an email address")
    if problems:
        message = "; ".join(problems)  # not str.capitalize(): it would lowercase the values quoted from the file
        preview.row_errors.append((line, urn, message[0].upper() + message[1:] + "."))
        return
    seen[urn] = line
    preview.schools.append(
        {
            "urn": urn,
            "name": name,
            "phase": phase,
            "framework": framework,
            "la_name": _cell(row, LA_NAME),
            "type": _cell(row, TYPE),
            "postcode": postcode,
            "website": _cell(row, WEBSITE),
            "contact_email": accounts.normalise_email(email) if email else "",
            **grid,
        }
    )


def _grid_reference(row: dict[str, Any], problems: list[str]) -> dict[str, int | None]:
    """{"easting", "northing"} in whole metres when the file has both columns: None for a blank pair, {} when
    the file has no such columns (so an import without them keeps what the school list already had)."""
    if any(column not in row for column in GRID_LIMITS):
        return {}
    cells = {column: _cell(row, column) for column in GRID_LIMITS}
    if not any(cells.values()):
        return {"easting": None, "northing": None}
    values: dict[str, int | None] = {}
    for column, cell in cells.items():
        try:
            value = float(cell)
        except ValueError:
            value = -1.0
        if not (0 <= value <= GRID_LIMITS[column]):  # also refuses nan and inf
            problems.append(f"the {column} '{cell[:20] or 'blank'}' is not a grid reference in metres")
            continue
        values[column.lower()] = round(value)
    return values if len(values) == 2 else {}


IMPORTED_FIELDS = ("name", "phase", "framework", "la_name", "type", "postcode", "website", "contact_email")
# Only in files that have the columns; a file without them leaves them as they were, a blank pair removes them.
OPTIONAL_FIELDS = ("easting", "northing")


def _differs(current: dict[str, Any], school: dict[str, Any]) -> bool:
    names = (*IMPORTED_FIELDS, *(name for name in OPTIONAL_FIELDS if name in school))
    return any(current.get(name) != school.get(name) for name in names)


def classify(store: Store, schools: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Which rows would add a school, change one, or change nothing."""
    result: dict[str, list[dict[str, Any]]] = {"new": [], "changed": [], "unchanged": []}
    for school in schools:
        current = accounts.get_school(store, school["urn"])
        if current is None:
            result["new"].append(school)
        elif _differs(current, school):
            result["changed"].append(school)
        else:
            result["unchanged"].append(school)
    return result


def apply_import(store: Store, schools: list[dict[str, Any]]) -> dict[str, int]:
    """Add or update each school; members and everything else the service holds are kept."""
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for school in schools:

        def upsert(current: dict | None, school: dict = school) -> tuple[dict, str]:
            if current is None:
                return {**school, "members": {}, "pending": {}, "imported_at": accounts.now_utc()}, "new"
            if not _differs(current, school):
                return current, "unchanged"
            updated = {**current, **{name: school[name] for name in IMPORTED_FIELDS}}
            for name in OPTIONAL_FIELDS:
                if school.get(name) is not None:
                    updated[name] = school[name]
                elif name in school:
                    updated.pop(name, None)
            return updated, "changed"

        outcome = store.modify(accounts.SCHOOLS, school["urn"], upsert)
        counts[outcome] += 1
    return counts
