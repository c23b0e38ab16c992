"""Helpers shared by the stateless subcommands: error exits, dates, and reporting unreadable cells."""

from __future__ import annotations

import datetime as dt
import sys

EXIT_BAD_INPUT = 2
MAX_PROBLEMS_SHOWN = 50


def fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"日期“{text}”无效，请使用 YYYY-MM-DD 格式") from None


def report_problems(path, problems) -> bool:
    """Print warnings and cell errors (row and column) of a read facts file; True when there are errors."""
    for p in (p for p in problems if p.level == "warning"):
        print(f"提示：{p}", file=sys.stderr)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        print(f"错误：{path} 有 {len(errors)} 个单元格无法读取：", file=sys.stderr)
        for p in errors[:MAX_PROBLEMS_SHOWN]:
            print(f"  {p}（值：“{p.value}”）" if p.value else f"  {p}", file=sys.stderr)
        if len(errors) > MAX_PROBLEMS_SHOWN:
            print(f"  ……另有 {len(errors) - MAX_PROBLEMS_SHOWN} 个", file=sys.stderr)
    return bool(errors)
