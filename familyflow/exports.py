"""Spreadsheet exports (CSV and XLSX) that never run what they carry.

A cell that starts with = + - @, a tab or a carriage return is a formula to
Excel and LibreOffice, even in a CSV: a parent named
`=HYPERLINK("http://evil.example","click")` would become a live link. Such text
gets a leading single quote, as OWASP advises (CSV injection), and every XLSX cell
is written as a string or a number, never a formula (issue 7).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | None


def neutralise(value: Cell) -> Cell:
    """The value as a spreadsheet will show it, never as a formula it would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return out.getvalue()


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in [header, *rows]:
        sheet.append([neutralise(v) for v in row])
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # openpyxl makes any "=..." text a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
