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
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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


# -- streamed exports (the tracker: every filtered row, however many) -------------

XCell = str | int | float | datetime | date | None


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """A CSV in UTF-8, produced a few hundred rows at a time (the XLSX is the file
    for Excel, which reads a CSV without a byte-order mark as Windows-1252)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(h) for h in header])
    yield out.getvalue().encode()
    out.seek(0)
    out.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow([neutralise(v) for v in row])
        if n % 500 == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


DATE_FORMAT = "d mmm yyyy"
DATETIME_FORMAT = "d mmm yyyy hh:mm"


def xlsx_stream(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[XCell]],
    *,
    widths: Sequence[int],
    chunk: int = 64 * 1024,
) -> Iterator[bytes]:
    """An XLSX written row by row (openpyxl's write-only mode keeps no cells in
    memory) to a temporary file, then sent in chunks: dates and numbers are real
    cells, the header is frozen and has an autofilter, columns have set widths.
    Datetimes must be local and naive (Excel has no time zones)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)
    heading = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=str(neutralise(h)))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    count = 0
    for row in rows:
        sheet.append([_xcell(sheet, v) for v in row])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while block := out.read(chunk):
            yield block


def _xcell(sheet: Any, value: XCell) -> Any:
    """Plain values where openpyxl's own typing is right (it is, for every text once
    neutralised: only a leading = makes a formula); a cell object only to give dates
    a readable format. Fewer cell objects: the 10,000-row file in a second or two."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime | date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        return cell
    return value
