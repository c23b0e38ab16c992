"""Files the stateless command line writes (.csv / .xlsx), and the rule every export follows for text cells.

`write_frame(df, path)` writes .csv (UTF-8 with BOM, so Excel shows Chinese) or .xlsx through a temporary file
renamed on success; `check_output(path)` checks an output path before long work. Text a spreadsheet would run
as a formula is neutralised in both formats (facts.neutralise); a workbook's cells go out through `safe_cell`, the
rule of the platform's Excel exports too (kechuang.core.excel), which also shows the characters a workbook cannot
hold as their pictures (a CSV holds them as they are). Reading facts files is engine/facts_file.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import uuid
from io import BytesIO
from pathlib import Path

import polars as pl

from kechuang.engine import facts

__all__ = ["FactsFileError", "check_output", "os_reason", "safe_cell", "write_frame"]


class FactsFileError(ValueError):
    """A file that cannot be read or written (format, encoding, header, folder); the message is Chinese."""

    @property
    def message(self) -> str:
        return str(self)


# Characters a workbook cannot hold (XML 1.0; openpyxl refuses them with IllegalCharacterError).
_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value):
    """A cell as an export writes it: text a spreadsheet would run as a formula neutralised (facts.neutralise),
    characters a workbook cannot hold shown as their pictures (NUL → ␀); other values unchanged (a negative
    number stays a number)."""
    if not isinstance(value, str):
        return value
    return facts.neutralise(_ILLEGAL_IN_XLSX.sub(lambda m: chr(0x2400 + ord(m.group())), value))


def _neutralised(df: pl.DataFrame) -> pl.DataFrame:
    """facts.neutralise on every text column, vectorised (a result file may have a million rows)."""
    risky = [name for name, dtype in df.schema.items() if dtype == pl.Utf8]
    return df.with_columns(
        pl.when(pl.col(c).str.contains(facts.FORMULA_START) & ~pl.col(c).str.contains(facts.PLAIN_NUMBER))
        .then(pl.lit(facts.FORMULA_GUARD) + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in risky
    )


def _excel_value(value):
    if value == "":
        return None  # an empty text is an empty cell, as in the CSV
    if isinstance(value, (dt.date, int, float, bool)) or value is None:
        return value
    return safe_cell(str(value))


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


def os_reason(exc: OSError) -> str:
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
                _neutralised(df.with_columns(pl.col(pl.Utf8).replace("", None))).write_csv(fh, include_bom=True)
            else:
                fh.write(_xlsx_bytes(df))
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(exc, OSError):
            raise FactsFileError(f"无法写入 {path}：{os_reason(exc)}（未留下不完整的文件）") from None
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
