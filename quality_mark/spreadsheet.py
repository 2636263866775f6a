"""CSV files people open in a spreadsheet: one writer, every text cell kept as text, never run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from .text import printable

# A spreadsheet runs a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula: a leading apostrophe where it could; and
    whatever is stored, one a file can hold (see `quality_mark.text.printable`)."""
    cell = printable(cell)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def cell_text(cell: Cell) -> str:
    """What a cell holds in the file: nothing for None, numbers as they read (2.5, not 2.5000), text made safe."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return csv_safe(cell)
    return f"{cell:g}" if isinstance(cell, float) else str(cell)


def csv_text(rows: Iterable[Sequence[Cell]]) -> str:
    """RFC 4180 CSV (CRLF line ends) that starts with a byte order mark, which Excel needs to read UTF-8
    (names such as St Aidan’s); every cell through `cell_text`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell_text(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()
