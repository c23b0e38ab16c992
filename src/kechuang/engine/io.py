"""Reading facts files and writing result frames (.csv / .xlsx) for the stateless command line.

`read_facts(path)` returns the facts panel typed as facts.polars_schema() plus a list of CellProblem (row,
column, value, Chinese message). Semantics are facts.parse_value's: an empty cell is unknown (null), never
an error; a malformed cell is an error reported with its row and column and left null. Required cells
(uscc, name, year) must not be empty; a uscc is compacted to upper case and checked (GB 32100). Headers may
be the English names or the Chinese labels (with or without a unit in brackets); unknown columns are ignored
with a warning; a fact given by two columns is an error on row 1; missing required columns raise
MissingColumnsError naming all of them at once. Row numbers are the file's (CSV line / sheet row, header =
1); blank lines and rows are skipped without renumbering. CSV in UTF-8 (BOM or not) or GBK, as the import.

CSV is parsed column by column with Polars (fast enough for a million rows); only cells that fail the
vectorised checks go through parse_value, which supplies the exact message. XLSX cells go through
parse_value one by one (openpyxl yields Python objects; spreadsheets from a bureau are small).
`write_frame(df, path)` writes .csv (UTF-8 with BOM, so Excel shows Chinese) or .xlsx through a temporary
file renamed on success; `check_output(path)` checks an output path before long work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import uuid
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import polars as pl

from kechuang.engine import facts

__all__ = ["CellProblem", "FactsFileError", "MissingColumnsError", "check_output", "read_facts", "write_frame"]


@dataclass(frozen=True)
class CellProblem:
    row: int | None  # 1-based row in the file (the header is row 1); None for whole-file notes
    column: str  # the header as written in the file
    value: str
    message: str  # Chinese
    level: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"第 {self.row} 行，" if self.row else ""
        return f"{where}列“{self.column}”：{self.message}"


class FactsFileError(ValueError):
    """The file cannot be read at all (format, encoding); message in Chinese."""


class MissingColumnsError(FactsFileError):
    def __init__(self, missing: list[facts.Column], path: Path):
        names = "、".join(f"{c.label}（{c.name}）" for c in missing)
        super().__init__(f"{path.name} 缺少必需的列：{names}")
        self.missing = missing


def _map_headers(
    headers: list[str], path: Path
) -> tuple[list[tuple[int, str, facts.Column]], list[CellProblem]]:
    """(index, header, column) of the facts columns in the header row, and the header problems.

    An empty header cell is skipped; an unknown one is a warning; a second column for the same fact (`year`
    twice, or `year` and `年度`) is an error on row 1, since it is not clear which one holds the data."""
    mapping: list[tuple[int, str, facts.Column]] = []
    problems: list[CellProblem] = []
    first: dict[str, str] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        column = facts.header_to_column(header)
        if column is None:
            problems.append(CellProblem(None, header, "", "未知的列，已忽略", "warning"))
            continue
        if column.name in first:
            if first[column.name] == header:
                message = "列重复：表头中这一列出现了不止一次，请只保留一列"
            else:
                message = f"列重复：与列“{first[column.name]}”同为{column.label}（{column.name}），请只保留一列"
            problems.append(CellProblem(1, header, "", message))
            continue
        first[column.name] = header
        mapping.append((index, header, column))
    missing = [c for c in facts.COLUMNS if c.required and c.name not in first]
    if missing:
        raise MissingColumnsError(missing, path)
    return mapping, problems


def _slow_parse(
    column: facts.Column, header: str, values: list, rows: list[int]
) -> tuple[list, list[CellProblem]]:
    out, problems = [], []
    for raw, row in zip(values, rows, strict=True):
        try:
            out.append(facts.parse_value(column, raw))
        except facts.CellError as exc:
            out.append(None)
            problems.append(CellProblem(row, header, str(raw), exc.message))
    return out, problems


def _to_polars(column: facts.Column, values: list) -> pl.Series:
    dtype = facts.polars_schema((column,))[column.name]
    if dtype == pl.Float64:
        values = [float(v) if v is not None else None for v in values]
    return pl.Series(column.name, values, dtype=dtype)


def _vector_parse(
    column: facts.Column, header: str, text: pl.Series, rows: pl.Series
) -> tuple[pl.Series, list[CellProblem]]:
    """Parse one CSV column of strings; cells failing the fast checks are re-parsed one by one.

    The fast checks accept a subset of what parse_value accepts, so parse_value has the last word."""
    stripped = text.str.strip_chars()
    s = pl.select(pl.when(stripped.str.len_chars() == 0).then(None).otherwise(stripped)).to_series()
    kind = column.kind
    if kind in (facts.MONEY, facts.NUMBER, facts.INT, facts.FRACTION):
        num = s.str.replace_all(",", "").cast(pl.Float64, strict=False)
        ok = s.str.contains(f"^(?:{facts.NUMBER_PATTERN})$") & num.is_finite()
        ok = ok & (num.abs() < float(facts.MAX_ABS[kind]))
        if kind == facts.INT:
            ok = ok & (num == num.round(0))
            ok = ok & ((num >= 1900) & (num <= 2100) if column.name == "year" else num >= 0)
        else:
            if kind == facts.FRACTION:
                ok = ok & (num >= 0) & (num <= 1)
            elif not (kind == facts.MONEY and column.name in facts.SIGNED_MONEY):
                ok = ok & (num >= 0)
            scale = 10.0 ** facts.DECIMAL_PLACES[kind]
            ok = ok & ((num * scale - (num * scale).round(0)).abs() < 1e-6)
        parsed = pl.select(pl.when(ok).then(num).otherwise(None)).to_series()
        parsed = parsed.cast(pl.Int64) if kind == facts.INT else parsed
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
    else:
        return s.alias(column.name), []
    bad = (s.is_not_null() & ~ok.fill_null(False)).arg_true().to_list()
    parsed = parsed.alias(column.name)
    if not bad:
        return parsed.cast(facts.polars_schema((column,))[column.name]), []
    raw = [s[i] for i in bad]
    fixed, problems = _slow_parse(column, header, raw, [rows[i] for i in bad])
    values = parsed.to_list()
    for i, v in zip(bad, fixed, strict=True):
        values[i] = v
    return _to_polars(column, values), problems


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise FactsFileError(f"{path} 是文件夹，不是事实表文件") from None
    except OSError as exc:
        raise FactsFileError(f"无法读取 {path.name}：{_os_reason(exc)}") from None


# The encodings a bureau's CSV files come in: UTF-8 (with or without BOM), else GBK (GB 18030, its superset).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
ENCODING_PROBLEM = "无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV"


def csv_text(data: bytes) -> str | None:
    """The text of a CSV file in one of CSV_ENCODINGS, None when it is in none (shared with the import)."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _utf8(data: bytes, path: Path) -> bytes:
    """`data` as UTF-8 bytes (converted from GBK when it is not UTF-8)."""
    text = csv_text(data)
    if text is None:
        raise FactsFileError(f"{path.name} {ENCODING_PROBLEM}")
    return text.encode("utf-8")


def _csv_format_problem(path: Path, data: bytes) -> str:
    """Where a CSV file that Polars refused goes wrong, found with the csv module (only on this error path)."""
    import csv
    import io as stdio

    reader = csv.reader(stdio.StringIO(data.decode("utf-8"), newline=""))
    try:
        width = len(next(reader, []))
        for cells in reader:
            if len(cells) > width:
                return (
                    f"{path.name} 第 {reader.line_num} 行有 {len(cells)} 列，多于表头的 {width} 列"
                    "（是否有未加引号的逗号？）"
                )
    except csv.Error:
        return f"{path.name} 第 {reader.line_num} 行不是有效的 CSV 格式（请检查引号）"
    return f"{path.name} 不是有效的 CSV 格式"


def _read_csv(path: Path):
    """(header mapping, parsed frame, the file row number of each frame row, problems)."""
    data = _read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise FactsFileError(f"{path.name} 是空文件，缺少表头行")
    try:
        raw = pl.read_csv(data, has_header=False, infer_schema=False)
    except pl.exceptions.PolarsError:  # not UTF-8 (then GBK is tried) or malformed
        utf8 = _utf8(data, path)
        try:
            if utf8 == data:  # UTF-8 already: the file itself is malformed
                raise pl.exceptions.ComputeError("not a CSV")
            raw = pl.read_csv(utf8, has_header=False, infer_schema=False)
        except pl.exceptions.PolarsError:
            raise FactsFileError(_csv_format_problem(path, utf8)) from None
    headers = [(h or "").strip() for h in raw.row(0)]
    mapping, problems = _map_headers(headers, path)
    body = raw.slice(1)
    rows = pl.int_range(2, body.height + 2, eager=True)
    # Blank lines (every cell empty) are not data; the others keep their line numbers. Only rows without a
    # uscc can be blank, so the full check runs on those alone.
    uscc = body.to_series(next(i for i, _, c in mapping if c.name == "uscc"))
    maybe = (uscc.is_null() | (uscc.str.strip_chars() == "")).arg_true()
    if len(maybe):
        empty = pl.all_horizontal(pl.all().str.strip_chars().fill_null("") == "")
        blank = maybe.filter(body[maybe].select(empty).to_series())
        if len(blank):
            keep = pl.repeat(True, body.height, eager=True).scatter(blank, False)
            body, rows = body.filter(keep), rows.filter(keep)
    series = []
    for index, header, column in mapping:
        parsed, cell_problems = _vector_parse(column, header, body.to_series(index), rows)
        series.append(parsed)
        problems.extend(cell_problems)
    return mapping, pl.DataFrame(series), rows.to_list(), problems


def _read_xlsx(path: Path):
    """As _read_csv; cells parsed one by one (openpyxl yields Python objects)."""
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FactsFileError(f"{path.name} 不是有效的 Excel(.xlsx) 文件") from None
    try:
        rows_iter = book.worksheets[0].iter_rows(values_only=True)
        first = next(rows_iter, None)
        if first is None:
            raise FactsFileError(f"{path.name} 的第一个工作表是空的，缺少表头行")
        headers = [str(h).strip() if h is not None else "" for h in first]
        data, rows = [], []
        # Sheet row numbers as Excel shows them; blank rows are skipped, never renumbered.
        for number, cells in enumerate(rows_iter, start=2):
            if any(v is not None and str(v).strip() != "" for v in cells):
                data.append(cells)
                rows.append(number)
    finally:
        book.close()
    mapping, problems = _map_headers(headers, path)
    series = []
    for index, header, column in mapping:
        values = [r[index] if index < len(r) else None for r in data]
        parsed, cell_problems = _slow_parse(column, header, values, rows)
        series.append(_to_polars(column, parsed))
        problems.extend(cell_problems)
    return mapping, pl.DataFrame(series), rows, problems


def _uscc_ok(codes: pl.Series) -> pl.Series:
    """Vectorised GB 32100 check (format and check character) of compacted codes; null is not ok.

    The codes of the right format are 18 ASCII characters each: laid end to end they are an (n, 18) byte
    array, whose weighted sum NumPy takes column by column (a million codes in about 0.2 s)."""
    import numpy as np

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


def _identity(frame: pl.DataFrame, mapping, rows: list[int], problems: list[CellProblem]):
    """USCCs compacted (upper case) and checked (GB 32100); empty required cells reported."""
    headers = {column.name: header for _, header, column in mapping}
    out: list[CellProblem] = []
    # Without spaces and hyphens, upper case (a lower-case code is the same firm).
    codes = frame["uscc"].str.replace_all(r"[ \-]", "").str.to_uppercase()
    frame = frame.with_columns(codes.alias("uscc"))
    for i in (codes.is_not_null() & ~_uscc_ok(codes)).arg_true().to_list():
        message = facts.uscc_problem(codes[i]) or "统一社会信用代码无效"
        out.append(CellProblem(rows[i], headers["uscc"], codes[i], message))
    failed = {(p.row, p.column) for p in problems}
    for name in facts.REQUIRED_NAMES:
        header = headers[name]
        for i in frame[name].is_null().arg_true().to_list():
            if (rows[i], header) not in failed:
                out.append(CellProblem(rows[i], header, "", "必填项为空"))
    return frame, out


def _duplicates(frame: pl.DataFrame, mapping, rows: list[int]) -> list[CellProblem]:
    """A (uscc, year) given on several rows is an error on each repeat (engines keep the last row)."""
    if frame.is_empty():
        return []
    header = next(h for _, h, column in mapping if column.name == "uscc")
    known = frame["uscc"].is_not_null() & frame["year"].is_not_null()
    first_seen = frame.select(pl.struct("uscc", "year").is_first_distinct()).to_series()
    repeats = (known & ~first_seen).arg_true().to_list()
    return [
        CellProblem(rows[i], header, f"{frame['uscc'][i]} / {frame['year'][i]}", "同一企业同一年度出现多行")
        for i in repeats[:1000]
    ]


def read_facts(path: str | Path) -> tuple[pl.DataFrame, list[CellProblem]]:
    """Read a facts file (.csv or .xlsx) into a typed panel and the list of problems found.

    Errors come ordered by row (the file's row numbers: header = 1; blank rows are skipped, not counted
    out); warnings (unknown columns) first."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise FactsFileError(f"找不到文件：{path}")
    if suffix == ".csv":
        mapping, frame, rows, problems = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        mapping, frame, rows, problems = _read_xlsx(path)
    else:
        raise FactsFileError(f"{path.name}：只支持 .csv 或 .xlsx 文件")
    frame, identity = _identity(frame, mapping, rows, problems)
    problems = problems + identity + _duplicates(frame, mapping, rows)
    problems.sort(key=lambda p: (p.level != "warning", p.row or 0))
    return frame, problems


def _excel_value(value):
    if value == "":
        return None  # an empty text is an empty cell, as in the CSV
    if isinstance(value, (dt.date, int, float, str, bool)) or value is None:
        return value
    return str(value)


_OS_REASONS = {
    errno.ENOENT: "文件夹不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "文件系统只读",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EFBIG: "文件过大",
    errno.ENAMETOOLONG: "文件名过长",
}


def _os_reason(exc: OSError) -> str:
    """A Chinese reason for an operating-system error (the English strerror is not shown)."""
    return _OS_REASONS.get(exc.errno, f"系统错误 {errno.errorcode.get(exc.errno, exc.errno)}")


def check_output(path: str | Path) -> None:
    """Raise FactsFileError (Chinese) when `path` cannot be an output file: checked before long work."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise FactsFileError(f"{path.name}：只支持写出 .csv 或 .xlsx 文件")
    folder = path.parent
    if not folder.exists():
        raise FactsFileError(f"输出文件夹不存在：{folder}（请先创建）")
    if not folder.is_dir():
        raise FactsFileError(f"输出位置 {folder} 不是文件夹")
    if path.is_dir():
        raise FactsFileError(f"输出路径 {path} 是一个文件夹，请给出文件名（.csv 或 .xlsx）")
    if not os.access(folder, os.W_OK):
        raise FactsFileError(f"没有权限在文件夹 {folder} 中写入文件")


def write_frame(df: pl.DataFrame, path: str | Path) -> None:
    """Write a frame as .csv (UTF-8 with BOM) or .xlsx (first sheet, header row).

    Written to a temporary file in the same folder, renamed over `path` only when complete: a failure
    (disk full, …) leaves no partial file and an existing `path` untouched. An empty text is written as
    an empty cell. Raises FactsFileError with a Chinese message."""
    path = Path(path)
    check_output(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "xb") as fh:
            if path.suffix.lower() == ".csv":
                df.with_columns(pl.col(pl.Utf8).replace("", None)).write_csv(fh, include_bom=True)
            else:
                fh.write(_xlsx_bytes(df))
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(exc, OSError):
            raise FactsFileError(f"无法写入 {path}：{_os_reason(exc)}（未留下不完整的文件）") from None
        raise


def _xlsx_bytes(df: pl.DataFrame) -> bytes:
    """The workbook built in memory: a failing disk then never leaves openpyxl's zip file half-closed."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.append(df.columns)
    for row in df.iter_rows():
        sheet.append([_excel_value(v) for v in row])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
