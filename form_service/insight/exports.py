"""The LA's export of every school: status, stage, progress, deadline, scores and ratings, and awards, as CSV
and XLSX. `export_table` is pure; `read_records` does the reading; the writers make the files.

Spreadsheets run a text cell starting with = + - @ as a formula (CSV injection): CSV cells that start so get
a leading quote, and XLSX cells are written as typed values (text as text), never as formulas.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from quality_mark.model import LONDON, Content, Cycle
from quality_mark.spreadsheet import Cell, csv_text
from quality_mark.text import printable

from .. import programme
from ..programme import ProgrammeRow
from ..store import SQLStore
from ..workflow import latest_award
from . import index


@dataclass(frozen=True)
class SchoolRecord:
    """What one row of the export is made from."""

    school: dict[str, Any]
    row: ProgrammeRow  # the school's line on the LA's dashboard: status, stage, progress, deadline
    started: bool  # whether the school has begun this cycle's self-evaluation
    extension_until: str | None
    awards: dict[str, Any] | None
    summary: dict[str, Any] | None  # the school's insight index row (latest submission, moderated)


def read_records(store: SQLStore, content: Content, today: date) -> list[SchoolRecord]:
    """Every school in the list, by URN: its dashboard row, awards and insight summary (from the summary rows)."""
    summaries = {row["urn"]: row for row in index.all_rows(store, content)}
    return [
        SchoolRecord(
            school=facts.school,
            row=row,
            started=facts.evaluation is not None,
            extension_until=(facts.evaluation or {}).get("extension_until"),
            awards=facts.awards,
            summary=summaries.get(row.urn),
        )
        for facts, row in programme.records(store, content, today)
    ]


def _date(moment: str | None) -> str:
    return datetime.fromisoformat(moment).astimezone(LONDON).date().isoformat() if moment else ""


def export_table(content: Content, cycle: Cycle, records: Sequence[SchoolRecord], today: date) -> list[list[Cell]]:
    """A header row, then a row per school. Numbers stay numbers; a blank is None."""
    frameworks = content.current_frameworks()
    heading_ids = list(dict.fromkeys(heading.id for f in frameworks for heading in f.headings))
    criterion_ids = [criterion.id for f in frameworks for criterion in f.criteria]
    header: list[Cell] = [
        "URN",
        "School",
        "Phase",
        "Framework",
        "Programme status",
        "Current stage",
        "% reviewed",
        "Deadline",
        "Extension until",
        "Submission reference",
        "Moderated",
        *(f"Score: {heading_id}" for heading_id in heading_ids),
        *criterion_ids,
        "Award decided on",
        "Award expires on",
    ]
    rows = [header]
    for record in records:
        school, row, summary = record.school, record.row, record.summary or {}
        award = latest_award(record.awards)
        scores = summary.get("heading_scores") or {}
        ratings = summary.get("ratings") or {}
        rows.append(
            [
                school["urn"],
                school.get("name", ""),
                school.get("phase", ""),
                school.get("framework", ""),
                row.status_label,
                row.stage,
                row.progress if record.started else None,
                cycle.submission_deadline.date().isoformat(),
                _date(record.extension_until),
                summary.get("reference") or "",
                ("Yes" if summary.get("moderated") else "No") if summary else "",
                *(scores.get(heading_id) for heading_id in heading_ids),
                *(ratings.get(criterion_id) for criterion_id in criterion_ids),
                award["decided_on"] if award else "",
                award.get("expires_on", "") if award else "",
            ]
        )
    return rows


def csv_bytes(rows: Sequence[Sequence[Cell]]) -> bytes:
    """UTF-8 CSV with a byte order mark (so Excel reads it as UTF-8), every text cell made formula-safe."""
    return csv_text(rows).encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence[Cell]], sheet_title: str) -> bytes:
    """An XLSX workbook of one sheet: numbers as numbers and text as text (never a formula); header frozen."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=row_number, column=column_number)
            if isinstance(value, str):
                cell.value = printable(value)  # XML, so XLSX, cannot hold control characters or lone surrogates
                cell.data_type = "s"  # openpyxl takes text starting with "=" for a formula unless told otherwise
            else:
                cell.value = value
    sheet.freeze_panes = "C2"
    for column_number in range(1, min(len(rows[0]) if rows else 0, 2) + 1):
        sheet.column_dimensions[get_column_letter(column_number)].width = 12 if column_number == 1 else 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
