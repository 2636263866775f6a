"""Cells for CSV files people open in a spreadsheet: text that could run as a formula is kept as text."""

from __future__ import annotations

from .text import printable

# A spreadsheet runs a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula: a leading apostrophe where it could; and
    whatever is stored, one a file can hold (see `quality_mark.text.printable`)."""
    cell = printable(cell)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
