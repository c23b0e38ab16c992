"""Reading and validating a facts file (.xlsx or .csv in UTF-8 or GBK) before anything is written.

Policy: every row is all-or-nothing. A row with any bad cell is rejected whole and reported as
(file, row, column, value, Chinese message); every other row is accepted. Row numbers are the ones a
person sees in Excel: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from kechuang.engine import facts
from kechuang.engine import io as facts_io


class UnreadableFile(Exception):
    """The file as a whole cannot be read (wrong type, no header, missing required columns)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    file: str
    row: int
    column: str  # Chinese label of the column, or "" for a row-level problem
    value: str
    message: str

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "value": self.value,
                "message": self.message}

    def __str__(self) -> str:
        where = f"{self.file} 第{self.row}行"
        if self.column:
            where += f" 列「{self.column}」"
        value = f" 值“{self.value}”" if self.value else ""
        return f"{where}{value}：{self.message}"


@dataclass
class ParsedFile:
    name: str
    rows: list[dict] = field(default_factory=list)  # accepted rows: column name → parsed value
    row_numbers: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # facts columns present in the file
    total_rows: int = 0

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})


def read_table(path: Path | str, content: bytes | None = None, name: str | None = None,
               ) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """Header cells and an iterator of (row number, cells). Raises UnreadableFile.

    `name` is the file name people know (an upload's original name); its extension decides the format.
    """
    path = Path(path)
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UnreadableFile(f"{name}：不支持的文件类型“{suffix or '无扩展名'}”，请上传 .xlsx 或 .csv 文件")
    data = content if content is not None else _read_bytes(path, name)
    return (_read_xlsx if suffix == ".xlsx" else _read_csv)(name, data)


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{name}：无法读取文件（{exc.strerror or exc}）") from None


def _read_csv(name: str, data: bytes):
    text = facts_io.csv_text(data)
    if text is None:
        raise UnreadableFile(f"{name}：{facts_io.ENCODING_PROBLEM}")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableFile(f"{name}：文件为空，缺少表头行") from None
    except csv.Error as exc:
        raise UnreadableFile(f"{name}：CSV 格式错误（{exc}）") from None

    def rows():
        try:
            for number, cells in enumerate(reader, start=2):
                if any(c.strip() for c in cells):
                    yield number, cells
        except csv.Error as exc:
            raise UnreadableFile(f"{name}：第{reader.line_num}行 CSV 格式错误（{exc}）") from None

    return header, rows()


def _read_xlsx(name: str, data: bytes):
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UnreadableFile(f"{name}：不是有效的 Excel(.xlsx) 文件") from None
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    header = next(iterator, None)
    if header is None:
        raise UnreadableFile(f"{name}：工作表为空，缺少表头行")

    def rows():
        for number, cells in enumerate(iterator, start=2):
            if any(c is not None and str(c).strip() != "" for c in cells):
                yield number, list(cells)
        workbook.close()

    return ["" if h is None else str(h) for h in header], rows()


# Cross-field checks: (part, whole, message). A part larger than its whole is a typing error.
PART_OF_WHOLE = (
    ("tech_staff", "staff_total", "科技人员数不能大于职工总数"),
    ("rd_staff", "staff_total", "研发人员数不能大于职工总数"),
    ("postgrad_staff", "staff_total", "研究生及以上学历人数不能大于职工总数"),
    ("main_revenue", "revenue", "主营业务收入不能大于营业收入"),
    ("hightech_revenue", "revenue", "高新技术产品(服务)收入不能大于营业收入"),
    ("rd_expense_domestic", "rd_expense", "境内研发费用不能大于研发费用"),
)


def parse_file(
    name: str,
    header: list[str],
    rows: Iterator[tuple[int, list]],
    *,
    region_codes: set[str],
    industry_codes: set[str],
    progress=None,
) -> ParsedFile:
    """Validate every row. `region_codes`/`industry_codes` are the valid reference codes."""
    result = ParsedFile(name=name)
    mapping: list[tuple[int, facts.Column]] = []
    seen: set[str] = set()
    for index, cell in enumerate(header):
        column = facts.header_to_column(cell)
        if column is None:
            if str(cell).strip():
                result.warnings.append(f"{name}：忽略未知列「{cell}」")
            continue
        if column.name in seen:
            raise UnreadableFile(f"{name}：列「{column.label}」重复出现")
        seen.add(column.name)
        mapping.append((index, column))
    missing = [facts.BY_NAME[n].label for n in facts.REQUIRED_NAMES if n not in seen]
    if missing:
        raise UnreadableFile(f"{name}：缺少必填列：{'、'.join(missing)}（可下载导入模板查看列名）")
    result.columns = [c.name for _, c in mapping]

    keys: dict[tuple[str, int], int] = {}
    for count, (number, cells) in enumerate(rows, start=1):
        result.total_rows += 1
        row, errors = _parse_row(name, number, cells, mapping, region_codes, industry_codes)
        if not errors:
            key = (row["uscc"], row["year"])
            if key in keys:
                errors.append(RowError(name, number, "", "",
                                       f"与第{keys[key]}行重复（同一企业同一年度只能出现一次）"))
            else:
                keys[key] = number
        if errors:
            result.errors.extend(errors)
        else:
            result.rows.append(row)
            result.row_numbers.append(number)
        if progress and count % 2000 == 0:
            progress(count)
    return result


def _parse_row(name, number, cells, mapping, region_codes, industry_codes):
    row: dict = {}
    errors: list[RowError] = []
    width = len(cells)
    for index, column in mapping:
        raw = cells[index] if index < width else None
        try:
            value = facts.parse_value(column, raw)
        except facts.CellError as exc:
            errors.append(RowError(name, number, column.label, _show(raw), exc.message))
            continue
        if value is not None:
            row[column.name] = value
    for required in facts.REQUIRED_NAMES:
        if required not in row and not any(e.column == facts.BY_NAME[required].label for e in errors):
            errors.append(RowError(name, number, facts.BY_NAME[required].label, "", "必填项为空"))
    uscc = row.get("uscc")
    if uscc is not None:
        uscc = row["uscc"] = uscc.upper()
        problem = facts.uscc_problem(uscc)
        if problem:
            errors.append(RowError(name, number, facts.BY_NAME["uscc"].label, uscc, problem))
    code = row.get("region_code")
    if code is not None and code not in region_codes:
        errors.append(RowError(name, number, facts.BY_NAME["region_code"].label, code,
                               "行政区划代码不存在（应为 GB/T 2260 县级代码）"))
    code = row.get("industry_code")
    if code is not None and code not in industry_codes:
        errors.append(RowError(name, number, facts.BY_NAME["industry_code"].label, code,
                               "行业代码不存在（应为 GB/T 4754-2017 四位小类代码）"))
    for part, whole, message in PART_OF_WHOLE:
        if part in row and whole in row and Decimal(row[part]) > Decimal(row[whole]):
            errors.append(RowError(name, number, facts.BY_NAME[part].label, _show(row[part]), message))
    return row, errors


def _show(value) -> str:
    if value is None:
        return ""
    return str(value)[:100]
