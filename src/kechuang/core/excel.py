"""Excel responses for list exports: a bold Chinese header row, then the rows as given.

Every cell of every export goes out through `safe_row` (kechuang.engine.io.safe_cell, the rule the command line's
files follow too): text a spreadsheet would run as a formula (= + - @, tab, CR first) is neutralised with a leading
apostrophe, characters a workbook cannot hold (NUL, …) are shown as their pictures, numbers stay numbers. Modules
that build their own workbook (enterprises/exporting.py, points/exporting.py) append `safe_row(row)` too.
"""

from __future__ import annotations

import io
import re
from itertools import chain, islice
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kechuang.engine import clock
from kechuang.engine.io import safe_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Column widths are estimated from the header and the first rows (a write-only sheet cannot measure later).
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60
# A background export reports its progress every this many rows: often enough for the job page (it polls every
# second), rarely enough that the UPDATEs cost nothing beside writing the rows.
PROGRESS_EVERY = 500


# What a sheet title cannot hold ([]:*?/\ and control characters); a title is at most 31 characters.
_BAD_TITLE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def safe_row(row) -> list:
    """A row as an export writes it: each cell through safe_cell."""
    return [safe_cell(value) for value in row]


def sheet_title(title: str) -> str:
    """A title Excel accepts for a sheet (user text such as a batch title may hold "/" or ":")."""
    return _BAD_TITLE.sub("_", title)[:31] or "Sheet"


def _display_width(value) -> int:
    """Characters as Excel lays them out: a CJK character takes about two columns."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def xlsx_bytes(title: str, header: list[str], rows) -> bytes:
    return workbook_bytes([(title, header, rows)])


def workbook_bytes(sheets) -> bytes:
    """A workbook of several lists: (title, header, rows) per sheet, in order."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        _write_sheet(workbook, title, header, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(workbook: Workbook, title: str, header: list[str], rows, progress=None, total=None) -> int:
    """Rows are read once, as they come (only the first WIDTH_SAMPLE_ROWS are held, to size the columns);
    `progress(done, total)` hears every PROGRESS_EVERY rows. Returns the rows written."""
    sheet = workbook.create_sheet(sheet_title(title))
    rows = iter(rows)
    sampled = [safe_row(row) for row in islice(rows, WIDTH_SAMPLE_ROWS)]
    for i, label in enumerate(header):
        sample = [label, *(row[i] for row in sampled if i < len(row))]
        width = max(_display_width(v) for v in sample) + 2
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(max(width, MIN_WIDTH), MAX_WIDTH)
    header_cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=safe_cell(label))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in chain(sampled, (safe_row(row) for row in rows)):
        sheet.append(row)
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(count, total)
    return count


def write_xlsx(target, title: str, header: list[str], rows, progress=None, total=None) -> int:
    """A one-sheet workbook written to `target` (a path or a binary file) as rows come: for background
    exports (core.exports). Returns the rows written."""
    workbook = Workbook(write_only=True)
    count = _write_sheet(workbook, title, header, rows, progress, total)
    workbook.save(target)
    return count


def attachment(data: bytes, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_response(title: str, header: list[str], rows) -> HttpResponse:
    return attachment(xlsx_bytes(title, header, rows), f"{title}_{clock.today():%Y%m%d}.xlsx")
