"""The one CSV writer every download uses: Excel reads it as UTF-8, numbers read as numbers, text never runs."""

from __future__ import annotations

import csv
import io

from quality_mark.spreadsheet import csv_text


def test_a_file_starts_with_a_byte_order_mark_and_ends_its_lines_with_crlf() -> None:
    text = csv_text([("URN", "Name"), ("900001", "St Aidan’s, Oakfield")])

    assert text.startswith("\ufeffURN,Name\r\n")
    assert text.endswith('900001,"St Aidan’s, Oakfield"\r\n')


def test_cells_read_back_as_what_a_person_expects() -> None:
    rows = [("text", 3, 2.5, 4.0, None, "=SUM(A1:A9)", "-1", "new\nline")]

    back = list(csv.reader(io.StringIO(csv_text(rows).removeprefix("\ufeff"))))

    assert back == [["text", "3", "2.5", "4", "", "'=SUM(A1:A9)", "'-1", "new\nline"]]
