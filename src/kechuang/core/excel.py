"""Excel responses for list exports: a bold Chinese header row, then the rows as given."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Column widths are estimated from the header and the first rows (a write-only sheet cannot measure later).
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60


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


def _write_sheet(workbook: Workbook, title: str, header: list[str], rows) -> None:
    sheet = workbook.create_sheet(title[:31])
    rows = list(rows)
    for i, label in enumerate(header):
        sample = [label, *(row[i] for row in rows[:WIDTH_SAMPLE_ROWS] if i < len(row))]
        width = max(_display_width(v) for v in sample) + 2
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(max(width, MIN_WIDTH), MAX_WIDTH)
    header_cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(list(row))


def attachment(data: bytes, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_response(title: str, header: list[str], rows) -> HttpResponse:
    return attachment(xlsx_bytes(title, header, rows), f"{title}_{dt.date.today():%Y%m%d}.xlsx")
