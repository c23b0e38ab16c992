"""Reading facts files and writing result frames (.csv / .xlsx) for the stateless command line.

`read_facts(path)` returns the facts panel typed as facts.polars_schema() plus a list of CellProblem (row,
column, value, Chinese message). Semantics are facts.parse_value's: an empty cell is unknown (null), never
an error; a malformed cell is an error reported with its row and column and left null. Headers may be the
English names or the Chinese labels (with or without a unit in brackets); unknown columns are ignored with
a warning; missing required columns raise MissingColumnsError naming all of them at once.

CSV is parsed column by column with Polars (fast enough for a million rows); only cells that fail the
vectorised checks go through parse_value, which supplies the exact message. XLSX cells go through
parse_value one by one (openpyxl yields Python objects; spreadsheets from a bureau are small).
`write_frame(df, path)` writes .csv (UTF-8 with BOM, so Excel shows Chinese) or .xlsx.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from kechuang.engine import facts

__all__ = ["CellProblem", "FactsFileError", "MissingColumnsError", "read_facts", "write_frame"]


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


def _map_headers(headers: list[str], path: Path) -> tuple[dict[str, facts.Column], list[CellProblem]]:
    mapping: dict[str, facts.Column] = {}
    problems: list[CellProblem] = []
    seen: set[str] = set()
    for header in headers:
        column = facts.header_to_column(header)
        if column is None:
            problems.append(CellProblem(None, str(header), "", "未知的列，已忽略", "warning"))
            continue
        if column.name in seen:
            problems.append(
                CellProblem(None, str(header), "", f"与另一列重复（{column.name}），已忽略", "warning")
            )
            continue
        seen.add(column.name)
        mapping[header] = column
    missing = [c for c in facts.COLUMNS if c.required and c.name not in seen]
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


def _vector_parse(column: facts.Column, header: str, text: pl.Series) -> tuple[pl.Series, list[CellProblem]]:
    """Parse one CSV column of strings; cells failing the fast checks are re-parsed one by one."""
    stripped = text.str.strip_chars()
    s = pl.select(pl.when(stripped.str.len_chars() == 0).then(None).otherwise(stripped)).to_series()
    kind = column.kind
    if kind in (facts.MONEY, facts.NUMBER, facts.INT, facts.FRACTION):
        num = s.str.replace_all(",", "").cast(pl.Float64, strict=False)
        ok = num.is_not_null() & num.is_finite()
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
        parsed = num.cast(pl.Int64) if kind == facts.INT else num
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
        labels = facts.enum_labels(column)
        reverse = {v: k for k, v in labels.items()}
        parsed = s.replace(reverse)
        ok = parsed.is_in(list(column.choices))
    else:
        return s.alias(column.name), []
    bad = (s.is_not_null() & ~ok.fill_null(False)).arg_true().to_list()
    parsed = parsed.alias(column.name)
    if not bad:
        return parsed.cast(facts.polars_schema((column,))[column.name]), []
    raw = [s[i] for i in bad]
    fixed, problems = _slow_parse(column, header, raw, [i + 2 for i in bad])
    values = parsed.to_list()
    for i, v in zip(bad, fixed, strict=True):
        values[i] = v
    return _to_polars(column, values), problems


def _read_csv(path: Path) -> tuple[pl.DataFrame, list[CellProblem]]:
    try:
        raw = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise FactsFileError(f"{path.name} 无法按 CSV 读取：{exc}") from None
    raw = raw.rename({c: c.lstrip("\ufeff") for c in raw.columns})
    mapping, problems = _map_headers(raw.columns, path)
    series = []
    for header, column in mapping.items():
        parsed, cell_problems = _vector_parse(column, header, raw[header])
        series.append(parsed)
        problems.extend(cell_problems)
    return pl.DataFrame(series), problems


def _read_xlsx(path: Path) -> tuple[pl.DataFrame, list[CellProblem]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise FactsFileError(f"{path.name} 无法按 Excel 读取：{exc}") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    headers = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    data = [r for r in rows if any(v not in (None, "") for v in r)]
    book.close()
    mapping, problems = _map_headers([h for h in headers if h], path)
    series = []
    for index, header in enumerate(headers):
        if header not in mapping:
            continue
        column = mapping[header]
        values = [r[index] if index < len(r) else None for r in data]
        parsed, cell_problems = _slow_parse(column, header, values, list(range(2, len(data) + 2)))
        series.append(_to_polars(column, parsed))
        problems.extend(cell_problems)
    return pl.DataFrame(series) if series else pl.DataFrame(), problems


def _duplicates(frame: pl.DataFrame) -> list[CellProblem]:
    """A (uscc, year) given on several rows is an error on each repeat (engines keep the last row)."""
    if frame.is_empty() or not {"uscc", "year"} <= set(frame.columns):
        return []
    first_seen = frame.select(pl.struct("uscc", "year").is_first_distinct()).to_series()
    rows = (~first_seen).arg_true().to_list()
    return [
        CellProblem(i + 2, "uscc", f"{frame['uscc'][i]} / {frame['year'][i]}", "同一企业同一年度出现多行")
        for i in rows[:1000]
    ]


def read_facts(path: str | Path) -> tuple[pl.DataFrame, list[CellProblem]]:
    """Read a facts file (.csv or .xlsx) into a typed panel and the list of problems found."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise FactsFileError(f"找不到文件：{path}")
    if suffix == ".csv":
        frame, problems = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        frame, problems = _read_xlsx(path)
    else:
        raise FactsFileError(f"{path.name}：只支持 .csv 或 .xlsx 文件")
    return frame, problems + _duplicates(frame)


def _excel_value(value):
    if isinstance(value, (dt.date, int, float, str, bool)) or value is None:
        return value
    return str(value)


def write_frame(df: pl.DataFrame, path: str | Path) -> None:
    """Write a frame as .csv (UTF-8 with BOM) or .xlsx (first sheet, header row)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df.write_csv(path, include_bom=True)
    elif suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("results")
        sheet.append(df.columns)
        for row in df.iter_rows():
            sheet.append([_excel_value(v) for v in row])
        book.save(path)
    else:
        raise FactsFileError(f"{path.name}：只支持写出 .csv 或 .xlsx 文件")
