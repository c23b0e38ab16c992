"""Reading a facts file (.csv or .xlsx): the one reader of the command line and of the import.

`read_facts(path, codes=…)` returns a FactsFile: the facts panel typed as facts.polars_schema() (a bad cell is
left null), the file row of each panel row, and every Problem found (file, row, the column as headed in the
file, the value, a Chinese message). The stateless commands (`tiers evaluate`, `points score`, `policies
simulate`) refuse a file with any error; `kechuang import facts` and the import page store the rows without one
(`FactsFile.records()`, exact values) and report the others. The import adds only what needs the database:
the reference codes it passes in, and the writing.

Checks, the same for every caller:
- the file: .csv (UTF-8 with or without BOM, else GBK) or .xlsx; an empty, undecodable or corrupt file, a header
  giving one fact twice or lacking a required column raises FactsFileError (Chinese, no parser text);
- headers: the English names or the Chinese labels (with or without a unit in brackets); unknown columns are
  ignored with a warning;
- cells: facts.parse_value (an empty cell is unknown, never an error; the USCC checked per GB 32100; text
  without control characters and within its column's length; digits ASCII or full-width);
- rows: required cells present; region and industry codes among the reference codes given; a part not larger
  than its whole (科技人员数 ≤ 职工总数, …); one row per (USCC, year): a repeat is an error naming the first row;
- CSV lines: a line whose quotes do not pair (an unclosed ") or with more cells than the header is an error of
  that line, and the lines after it are read as usual: every line is read or reported.

Row numbers are the file's (CSV line / sheet row; the header is row 1); blank lines and rows are skipped without
renumbering. A CSV of regular lines is parsed column by column with Polars (a million rows in seconds); only the
cells failing the vectorised checks go through parse_value, which has the last word and the exact message. XLSX
cells go through parse_value one by one (openpyxl yields Python objects; a bureau's spreadsheets are small).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from io import BytesIO
from itertools import islice
from pathlib import Path

import numpy as np
import polars as pl

from kechuang.engine import facts
from kechuang.engine.io import FactsFileError, os_reason

__all__ = ["Codes", "FactsFile", "FactsFileError", "MissingColumnsError", "Problem", "read_facts"]

SUFFIXES = (".csv", ".xlsx", ".xlsm")
# The encodings a bureau's CSV files come in: UTF-8 (with or without BOM), else GBK (GB 18030, its superset).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
ENCODING_PROBLEM = "无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV"
# Characters of a bad value a problem repeats (a 200,000-character cell is not copied into a report).
SHOWN_VALUE = 100
# Kinds whose exact decimal text is kept beside the Float64 panel column, so that the import stores 万元 to the 元.
EXACT_KINDS = (facts.MONEY, facts.NUMBER, facts.FRACTION)
# Cross-field checks: (part, whole, message). A part larger than its whole is a typing error.
PART_OF_WHOLE = (
    ("tech_staff", "staff_total", "科技人员数不能大于职工总数"),
    ("rd_staff", "staff_total", "研发人员数不能大于职工总数"),
    ("postgrad_staff", "staff_total", "研究生及以上学历人数不能大于职工总数"),
    ("main_revenue", "revenue", "主营业务收入不能大于营业收入"),
    ("hightech_revenue", "revenue", "高新技术产品(服务)收入不能大于营业收入"),
    ("rd_expense_domestic", "rd_expense", "境内研发费用不能大于研发费用"),
)
CODE_PROBLEMS = {
    "region_code": "行政区划代码不存在（应为 GB/T 2260 县级代码）",
    "industry_code": "行业代码不存在（应为 GB/T 4754-2017 四位小类代码）",
}
UNPAIRED_QUOTE = "这一行的引号不成对（是否缺少结尾的引号？单元格内也不能换行），未能读取；其后各行照常读取"


@dataclass(frozen=True)
class Problem:
    file: str  # the file name people know (an upload's original name)
    row: int | None  # 1-based row in the file (the header is row 1); None for a note on the whole file
    column: str  # the header as written in the file; "" for a problem of the whole row
    value: str  # as shown: control characters visible, long values cut
    message: str  # Chinese
    level: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else ""
        if self.column:
            where = f"{where}，列“{self.column}”" if where else f"列“{self.column}”"
        return f"{where}：{self.message}"

    def as_dict(self) -> dict:
        """The row-error shape of an import report (JSON-safe: no control characters)."""
        return {"file": self.file, "row": self.row, "column": self.column, "value": self.value, "message": self.message}


class MissingColumnsError(FactsFileError):
    def __init__(self, missing: list[facts.Column], name: str):
        names = "、".join(f"{c.label}（{c.name}）" for c in missing)
        super().__init__(f"{name} 缺少必需的列：{names}")
        self.missing = missing


@dataclass(frozen=True)
class Codes:
    """The valid reference codes: GB/T 2260 divisions and GB/T 4754-2017 classes (四位小类)."""

    regions: frozenset[str]
    industries: frozenset[str]


@dataclass
class FactsFile:
    name: str
    frame: pl.DataFrame  # the panel, typed as facts.polars_schema() for the columns present
    rows: list[int]  # the file row of each frame row
    columns: list[facts.Column]  # the facts columns present, in file order
    problems: list[Problem]  # warnings first, then errors by row
    exact: dict[str, pl.Series]  # exact decimal text of the EXACT_KINDS columns (null where the cell is)
    unread_rows: list[int]  # rows reported and not in the frame (CSV lines that could not be split)
    headers: list[str]  # the header row as written in the file
    table: _Table  # the cells as read, for the rejected rows' original values

    def rejected_cells(self, limit: int) -> dict[int, list[str]]:
        """The original cells (text, as in the file) of the first `limit` rejected rows that were split into
        cells, by file row: a user fixes them beside the reasons and uploads them again."""
        bad = {p.row for p in self.errors if p.row is not None}
        if not bad:
            return {}
        positions = pl.Series(self.rows).is_in(list(bad)).arg_true().head(limit).to_list()
        cells = ([None if c is None else facts.visible(str(c)) for c in row] for row in self.table.cells_at(positions))
        return dict(zip((self.rows[i] for i in positions), cells, strict=True))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def total_rows(self) -> int:
        return self.frame.height + len(self.unread_rows)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.errors})

    def records(self) -> tuple[list[dict], list[int]]:
        """The rows without an error as {column name: value} (money, numbers and fractions as exact Decimal),
        and their file rows. An empty cell is left out of its row: not given in this file, so the import keeps
        the stored value (a None would read as "clear it")."""
        keep = self.accepted_positions()
        return self.records_at(keep), [self.rows[i] for i in keep]

    def accepted_positions(self) -> list[int]:
        """The panel positions of the rows without an error, in file order."""
        bad = {p.row for p in self.errors}
        return [i for i, row in enumerate(self.rows) if row not in bad]

    def records_at(self, positions: list[int]) -> list[dict]:
        """The rows at these panel positions as `records` gives them (a set-wise import reads back only the few
        rows it must compare in Python, not a million dicts)."""
        if not positions:
            return []
        index = pl.Series(positions)
        values = {}
        for column in self.columns:
            if column.name in self.exact:
                text = self.exact[column.name].gather(index).to_list()
                values[column.name] = [None if t is None else Decimal(t) for t in text]
            else:
                values[column.name] = self.frame[column.name].gather(index).to_list()
        names = list(values)
        return [
            {n: v for n, v in zip(names, row, strict=True) if v is not None}
            for row in zip(*values.values(), strict=True)
        ]


def read_facts(
    path: str | Path, *, codes: Codes | None, content: bytes | None = None, name: str | None = None
) -> FactsFile:
    """Read and check a facts file. `codes`: the valid reference codes (None: codes are not checked).

    `content` is the file's bytes when they are at hand (an upload), `name` the file name people know; its
    extension decides the format. Raises FactsFileError (Chinese) when the file cannot be read at all."""
    path = Path(path)
    name = name or path.name
    if content is None and not path.exists():
        raise FactsFileError(f"找不到文件：{path}")
    if Path(name).suffix.lower() not in SUFFIXES:
        raise FactsFileError(f"{name}：只支持 .csv 或 .xlsx 文件")
    data = content if content is not None else _read_bytes(path, name)
    if Path(name).suffix.lower() == ".csv":
        table = _csv_table(data, name)
    else:
        table = _xlsx_table(data, name)
    mapping, problems = _map_headers(table.headers, name)
    table.drop_blank(mapping)
    series, exact = [], {}
    # The columns are parsed independently and Polars works on one column without the GIL: as many columns at a
    # time as Polars has threads keep every core busy (one column's string steps run on one thread).
    with ThreadPoolExecutor(max_workers=pl.thread_pool_size()) as pool:
        results = list(pool.map(lambda m: table.parse(*m), mapping))
    for (_, _, column), (parsed, text, cell_problems) in zip(mapping, results, strict=True):
        series.append(parsed)
        if column.kind in EXACT_KINDS:
            exact[column.name] = text
        problems.extend(cell_problems)
    frame = pl.DataFrame(series)
    found = partial(Problem, name)
    headers = {column.name: header for _, header, column in mapping}
    problems += table.problems
    problems += _required(found, frame, headers, table.rows, problems)
    if codes is not None:
        problems += _codes(found, frame, headers, table.rows, codes)
    problems += _part_of_whole(found, frame, headers, table.rows, exact)
    problems += _duplicates(found, frame, headers, table.rows)
    problems.sort(key=lambda p: (p.level != "warning", p.row or 0))
    columns = [c for _, _, c in mapping]
    return FactsFile(name, frame, table.rows, columns, problems, exact, table.unread, table.headers, table)


# --- The file as a table of cells ------------------------------------------------------------------------------


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise FactsFileError(f"{path} 是文件夹，不是事实表文件") from None
    except OSError as exc:
        raise FactsFileError(f"无法读取 {name}：{os_reason(exc)}") from None


def _csv_text(data: bytes) -> tuple[str, bytes] | None:
    """The text of a CSV file in one of CSV_ENCODINGS and the same text as UTF-8 bytes (a UTF-8 file's own bytes
    without the BOM, not the text encoded again: a second pass over the file); None when it is in none."""
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, (data.removeprefix(codecs.BOM_UTF8) if encoding == "utf-8-sig" else text.encode("utf-8"))
    return None


class _Table:
    """Header cells and data rows of a file, before the facts columns are parsed (see _CsvTable, _XlsxTable)."""

    def __init__(self, name: str, headers: list[str], rows: list[int], problems=(), unread=()):
        self.name = name
        self.headers = headers
        self.rows = rows
        self.problems: list[Problem] = list(problems)  # lines that could not be split into cells
        self.unread: list[int] = list(unread)


class _CsvTable(_Table):
    def __init__(self, name, headers, body: pl.DataFrame, rows, problems=(), unread=()):
        super().__init__(name, headers, rows, problems, unread)
        self.body = body

    def drop_blank(self, mapping) -> None:
        """Blank lines (every cell empty) are not data; the others keep their line numbers. Only rows without a
        uscc can be blank, so the full check runs on those alone."""
        uscc = self.body.to_series(next(i for i, _, c in mapping if c.name == "uscc"))
        maybe = (uscc.is_null() | (uscc.str.strip_chars() == "")).arg_true()
        if not len(maybe):
            return
        empty = pl.all_horizontal(pl.all().str.strip_chars().fill_null("") == "")
        blank = maybe.filter(self.body[maybe].select(empty).to_series())
        if len(blank):
            keep = pl.repeat(True, self.body.height, eager=True).scatter(blank, False)
            self.body = self.body.filter(keep)
            self.rows = pl.Series(self.rows).filter(keep).to_list()

    def parse(self, index, header, column):
        return _vector_parse(self.name, column, header, self.body.to_series(index), self.rows)

    def cells_at(self, positions: list[int]) -> list[list[str]]:
        return [["" if v is None else v for v in row] for row in self.body[positions].rows()]


class _XlsxTable(_Table):
    def __init__(self, name, headers, cells: list[tuple], rows):
        super().__init__(name, headers, rows)
        self.cells = cells

    def drop_blank(self, mapping) -> None:
        """Blank sheet rows are skipped as the sheet is read."""

    def parse(self, index, header, column):
        values = [r[index] if index < len(r) else None for r in self.cells]
        parsed, problems = _slow_parse(self.name, column, header, values, self.rows)
        text = None
        if column.kind in EXACT_KINDS:
            text = pl.Series([None if v is None else str(v) for v in parsed], dtype=pl.Utf8)
        return _to_polars(column, parsed), text, problems

    def cells_at(self, positions: list[int]) -> list[list[str]]:
        width = len(self.headers)
        return [[_cell_text(v) for v in (*self.cells[i], *[None] * width)[:width]] for i in positions]


def _cell_text(value) -> str:
    """A sheet cell as text to show again: a date without its midnight time, a whole number without ".0"."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_table(data: bytes, name: str) -> _CsvTable:
    decoded = _csv_text(data)
    if decoded is None:
        raise FactsFileError(f"{name} {ENCODING_PROBLEM}")
    text, utf8 = decoded
    if not text.strip():
        raise FactsFileError(f"{name} 是空文件，缺少表头行")
    odd = _odd_quote_lines(utf8)
    raw = None
    if not odd:  # every line a whole record: Polars reads it, unless some line has more cells than the header
        try:
            raw = pl.read_csv(utf8, has_header=False, infer_schema=False)
        except pl.exceptions.PolarsError:
            raw = None
    if raw is None:
        return _csv_lines(text, odd, name)
    headers = [(h or "").strip() for h in raw.row(0)]
    return _CsvTable(name, headers, raw.slice(1), list(range(2, raw.height + 1)))


def _odd_quote_lines(data: bytes) -> set[int]:
    """The lines (1-based) holding an odd number of double quotes: an unclosed quote, or a cell spanning lines."""
    if b'"' not in data:  # the usual file: one scan for a byte, not an array the size of the file
        return set()
    buffer = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(buffer == ord('"'))
    line_of = np.searchsorted(np.flatnonzero(buffer == ord("\n")), quotes)
    return set((np.flatnonzero(np.bincount(line_of) % 2) + 1).tolist())


def _csv_lines(text: str, odd: set[int], name: str) -> _CsvTable:
    """A CSV read line by line: a line with unpaired quotes or too many cells is reported, the rest read."""
    lines = text.split("\n")
    if 1 in odd:
        raise FactsFileError(f"{name} 第 1 行（表头）的引号不成对，请检查引号")
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # a long cell is the cell checks' business, not the parser's
    try:
        headers = [h.strip() for h in _split(lines[0])]
        width = len(headers)
        cells, rows, problems, unread = [], [], [], []
        for number, line in enumerate(lines[1:], start=2):
            line = line.removesuffix("\r")
            if not line.strip():
                continue
            split = None if number in odd else _split(line)
            if split is None:
                message = UNPAIRED_QUOTE
            elif len(split) > width and any(c.strip() for c in split[width:]):
                message = f"这一行有 {len(split)} 列，多于表头的 {width} 列（是否有未加引号的逗号？），未能读取"
            else:
                cells.append(split[:width] + [None] * (width - len(split)))
                rows.append(number)
                continue
            problems.append(Problem(name, number, "", facts.shown(line, SHOWN_VALUE), message))
            unread.append(number)
    finally:
        csv.field_size_limit(limit)
    body = pl.DataFrame(cells, schema=[(f"column_{i}", pl.Utf8) for i in range(width)], orient="row")
    return _CsvTable(name, headers, body, rows, problems, unread)


def _split(line: str) -> list[str]:
    return next(csv.reader([line]), [])


CORRUPT_XLSX = "不是有效的 Excel(.xlsx) 文件，或文件已损坏（请在 Excel 中打开并另存为 .xlsx 后重试）"


def _xlsx_table(data: bytes, name: str) -> _XlsxTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=True)
        try:
            rows_iter = book.worksheets[0].iter_rows(values_only=True)
            first = next(rows_iter, None)
            cells, rows = [], []
            # Sheet row numbers as Excel shows them; blank rows are skipped, never renumbered.
            for number, row in enumerate(rows_iter, start=2):
                if any(v is not None and str(v).strip() != "" for v in row):
                    cells.append(row)
                    rows.append(number)
        finally:
            book.close()
    except Exception:  # a corrupt file fails in the zip, the XML parser or openpyxl, each with its own (English) error
        raise FactsFileError(f"{name} {CORRUPT_XLSX}") from None
    if first is None:
        raise FactsFileError(f"{name} 的第一个工作表是空的，缺少表头行")
    headers = [str(h).strip() if h is not None else "" for h in first]
    return _XlsxTable(name, headers, cells, rows)


def count_rows(data: bytes, name: str, limit: int) -> int:
    """Data rows of a file, counted as far as `limit` (a caller choosing between now and the background
    needs no more): lines less the header for a CSV; sheet rows less the header for an .xlsx, read no further
    than limit + 1. A workbook that cannot be read counts 0: reading it says why, in Chinese."""
    if not name.lower().endswith(".xlsx"):
        return min(max(0, data.count(b"\n") - 1), limit)
    import openpyxl

    try:
        book = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=True)
        try:
            rows = book.worksheets[0].iter_rows(values_only=True) if book.worksheets else iter(())
            return min(max(0, sum(1 for _ in islice(rows, limit + 1)) - 1), limit)
        finally:
            book.close()
    except Exception:  # as in _xlsx_table: the zip, the XML parser or openpyxl, each with its own error
        return 0


# --- Any table: the same reading rules for every import of the platform ---------------------------------------


@dataclass
class Table:
    """A file as a table of cells, read with the facts reader's rules (UTF-8 or GBK CSV, .xlsx; a line whose
    quotes do not pair is reported and the lines after it read as usual; a corrupt workbook is unreadable)."""

    name: str
    headers: list[str]
    rows: list[tuple[int, list]]  # (row number as the file numbers it, cells: text for CSV, values for .xlsx)
    problems: list[Problem]  # the lines that could not be read into cells: every line is stored or reported


def read_table(path: Path | str | None = None, *, content: bytes | None = None, name: str | None = None) -> Table:
    """Any import file (loans, achievements, KPIs …) as header and rows; FactsFileError (Chinese) when unreadable.
    `name` is the file name people know (an upload's original name); its extension decides the format."""
    name = name or Path(path).name
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FactsFileError(f"{name}：不支持的文件类型“{suffix or '无扩展名'}”，请上传 .xlsx 或 .csv 文件")
    data = content if content is not None else _read_bytes(Path(path), name)
    if suffix == ".xlsx":
        table = _xlsx_table(data, name)
        return Table(name, table.headers, list(zip(table.rows, (list(c) for c in table.cells), strict=True)), [])
    table = _csv_table(data, name)
    return Table(name, table.headers, list(zip(table.rows, table.body.rows(), strict=True)), table.problems)


# --- Headers -------------------------------------------------------------------------------------------------


def _map_headers(headers: list[str], name: str) -> tuple[list[tuple[int, str, facts.Column]], list[Problem]]:
    """(index, header, column) of the facts columns in the header row, and the warnings (unknown columns).

    An empty header cell is skipped. A second column for the same fact (`year` twice, or `year` and `年度`)
    makes the file unreadable: which one holds the data is not clear."""
    mapping: list[tuple[int, str, facts.Column]] = []
    warnings: list[Problem] = []
    repeated: list[str] = []
    first: dict[str, str] = {}  # column name → its first header, as written
    for index, header in enumerate(headers):
        if not header:
            continue
        shown = facts.shown(header)
        column = facts.header_to_column(header)
        if column is None:
            warnings.append(Problem(name, None, shown, "", "未知的列，已忽略", "warning"))
        elif column.name not in first:
            first[column.name] = header
            mapping.append((index, shown, column))
        elif first[column.name] == header:
            repeated.append(f"列“{shown}”出现了不止一次")
        else:
            earlier = facts.shown(first[column.name])
            repeated.append(f"列“{shown}”与列“{earlier}”同为{column.label}（{column.name}）")
    if repeated:
        raise FactsFileError(f"{name} 的表头有重复的列：{'；'.join(repeated)}。请每项数据只保留一列")
    missing = [c for c in facts.COLUMNS if c.required and c.name not in first]
    if missing:
        raise MissingColumnsError(missing, name)
    return mapping, warnings


# --- Cells ---------------------------------------------------------------------------------------------------


def _slow_parse(name: str, column: facts.Column, header: str, values: list, rows: list[int]):
    out, problems = [], []
    for raw, row in zip(values, rows, strict=True):
        try:
            out.append(facts.parse_value(column, raw))
        except facts.CellError as exc:
            out.append(None)
            problems.append(Problem(name, row, header, facts.shown(raw, SHOWN_VALUE), exc.message))
    return out, problems


def _to_polars(column: facts.Column, values: list) -> pl.Series:
    dtype = facts.polars_schema((column,))[column.name]
    if dtype == pl.Float64:
        values = [float(v) if v is not None else None for v in values]
    return pl.Series(column.name, values, dtype=dtype)


def _plain_number(places: int) -> str:
    """Numbers the vectorised path reads: ASCII digits (grouped by thousands or not), no exponent, at most `places`
    decimals besides trailing zeros. Anything else goes to parse_value."""
    decimals = rf"(?:\.[0-9]{{0,{places}}}0*)?"
    return rf"^[+-]?(?:[0-9]+|[0-9]{{1,3}}(?:,[0-9]{{3}})+){decimals}$"


def _vector_parse(name: str, column: facts.Column, header: str, text: pl.Series, rows: list[int]):
    """Parse one CSV column of strings: (typed series, exact text or None, problems). Cells failing the fast
    checks are parsed one by one: the fast checks accept a subset of what parse_value accepts."""
    stripped = text.str.strip_chars()
    s = pl.select(pl.when(stripped.str.len_chars() == 0).then(None).otherwise(stripped)).to_series()
    kind = column.kind
    exact = None
    if kind in (facts.MONEY, facts.NUMBER, facts.INT, facts.FRACTION):
        plain = s.str.replace_all(",", "")
        num = plain.cast(pl.Float64, strict=False)
        ok = s.str.contains(_plain_number(facts.DECIMAL_PLACES.get(kind, 0)))
        ok = ok & (num.abs() < float(facts.MAX_ABS[kind]))
        if kind == facts.INT:
            low, high = column.bounds or (0, float(facts.MAX_ABS[kind]))
            ok = ok & (num >= low) & (num <= high)
        elif kind == facts.FRACTION:
            ok = ok & (num >= 0) & (num <= 1)
        elif not (kind == facts.MONEY and column.name in facts.SIGNED_MONEY):
            ok = ok & (num >= 0)
        parsed = pl.select(pl.when(ok).then(num).otherwise(None)).to_series()
        parsed = parsed.cast(pl.Int64) if kind == facts.INT else parsed
        if kind in EXACT_KINDS:
            exact = pl.select(pl.when(ok).then(plain).otherwise(None)).to_series()
    elif kind == facts.DATE:
        parsed = s.str.replace_all("/", "-").str.to_date("%Y-%m-%d", strict=False)
        ok = parsed.is_not_null()
    elif kind == facts.BOOL:
        low = s.str.to_lowercase()
        parsed = pl.select(
            pl.when(low.is_in(list(facts.TRUE_WORDS)))
            .then(True)
            .when(low.is_in(list(facts.FALSE_WORDS)))
            .then(False)
            .otherwise(None)
        ).to_series()
        ok = parsed.is_not_null()
    elif kind == facts.ENUM:
        parsed = s.replace(facts.enum_inputs(column))
        ok = parsed.is_in(list(column.choices))
    elif column.name == "uscc":
        parsed = s.str.replace_all(r"[ \-]", "").str.to_uppercase()
        ok = _uscc_ok(parsed)
    else:
        parsed = s
        ok = ~s.str.contains(facts.CONTROL_PATTERN) & ~s.str.contains(facts.GUARDED_TEXT)
        ok = ok & (s.str.len_chars() <= column.text_limit)
    dtype = facts.polars_schema((column,))[column.name]
    bad = (s.is_not_null() & ~ok.fill_null(False)).arg_true().to_list()
    if not bad:
        return parsed.alias(column.name).cast(dtype), exact, []
    fixed, problems = _slow_parse(name, column, header, [s[i] for i in bad], [rows[i] for i in bad])
    values = parsed.to_list()
    for i, v in zip(bad, fixed, strict=True):
        values[i] = v
    if exact is not None:
        exact = exact.scatter(bad, [None if v is None else str(v) for v in fixed])
    return _to_polars(column, values), exact, problems


def _uscc_ok(codes: pl.Series) -> pl.Series:
    """Vectorised GB 32100 check (format and check character) of compacted codes; null is not ok.

    The codes of the right format are 18 ASCII characters each: laid end to end they are an (n, 18) byte
    array, whose weighted sum NumPy takes column by column (a million codes in about 0.2 s)."""
    fmt = codes.str.contains(f"^{facts.USCC_PATTERN}$").fill_null(False)
    ok = np.zeros(len(codes), dtype=bool)
    good = codes.filter(fmt)
    if len(good):
        chars = np.frombuffer(good.str.join("").item().encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        value = np.zeros(256, dtype=np.int32)
        value[[ord(c) for c in facts.USCC_ALPHABET]] = np.arange(len(facts.USCC_ALPHABET))
        total = sum(value[chars[:, i]] * w for i, w in enumerate(facts.USCC_WEIGHTS))
        ok[fmt.to_numpy()] = (31 - total % 31) % 31 == value[chars[:, 17]]
    return pl.Series(ok)


# --- Rows ----------------------------------------------------------------------------------------------------


def _required(found, frame: pl.DataFrame, headers: dict, rows: list[int], problems: list[Problem]):
    """An empty required cell (one that failed to parse is reported already)."""
    failed = {(p.row, p.column) for p in problems}
    out = []
    for name in facts.REQUIRED_NAMES:
        header = headers[name]
        for i in frame[name].is_null().arg_true().to_list():
            if (rows[i], header) not in failed:
                out.append(found(rows[i], header, "", "必填项为空"))
    return out


def _codes(found, frame: pl.DataFrame, headers: dict, rows: list[int], codes: Codes):
    out = []
    for name, valid in (("region_code", codes.regions), ("industry_code", codes.industries)):
        if name not in headers:
            continue
        values = frame[name]
        for i in (values.is_not_null() & ~values.is_in(list(valid))).arg_true().to_list():
            out.append(found(rows[i], headers[name], facts.shown(values[i], SHOWN_VALUE), CODE_PROBLEMS[name]))
    return out


def _part_of_whole(found, frame: pl.DataFrame, headers: dict, rows: list[int], exact: dict):
    """A part larger than its whole; decided on the exact decimals (floats only pick the candidates)."""
    out = []
    for part, whole, message in PART_OF_WHOLE:
        if part not in headers or whole not in headers:
            continue
        # Equal text is an equal value: only a part whose float is not smaller and whose text differs is compared
        # exactly (a file often gives a part equal to its whole: 研发人员 all the staff, 主营 all the revenue).
        maybe = (frame[part] >= frame[whole]) & (exact[part] != exact[whole])
        candidates = maybe.fill_null(False).arg_true()
        parts, wholes = exact[part].gather(candidates).to_list(), exact[whole].gather(candidates).to_list()
        for i, value, of in zip(candidates.to_list(), parts, wholes, strict=True):
            if Decimal(value) > Decimal(of):
                out.append(found(rows[i], headers[part], facts.shown(value, SHOWN_VALUE), message))
    return out


def _duplicates(found, frame: pl.DataFrame, headers: dict, rows: list[int]):
    """A (uscc, year) given on several rows is an error on each repeat, naming the first row."""
    if frame.is_empty():
        return []
    known = frame["uscc"].is_not_null() & frame["year"].is_not_null()
    keyed = frame.select("uscc", "year").with_row_index("_i").filter(known)
    first = keyed.group_by("uscc", "year").agg(pl.col("_i").min().alias("_first"))
    repeats = keyed.join(first, on=["uscc", "year"]).filter(pl.col("_i") != pl.col("_first")).sort("_i")
    return [
        found(rows[i], headers["uscc"], f"{uscc} / {year}", f"与第 {rows[j]} 行重复（同一企业同一年度只能出现一次）")
        for i, j, uscc, year in repeats.select("_i", "_first", "uscc", "year").iter_rows()
    ]
