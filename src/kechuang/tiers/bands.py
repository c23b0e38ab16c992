"""Editing a band table (a scored parameter: rows tested top to bottom, the first that holds gives the points)
as rows of inputs instead of JSON: each row's test (≥ / > / < / ≤ a bound, a fixed condition, or the fallback)
and its points (a number, or a lowest–highest range where experts score). The rows posted become the JSON value
the service checks like any other (shape, order, rows never reached)."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from kechuang.engine import facts, labels
from kechuang.engine.rules.model import RuleSet
from kechuang.engine.rules.scoring import BOUND_OPS

# The row tests a bureau admin may choose, in words.
OPS = {"min": "≥", "above": ">", "below": "<", "max": "≤"}
PREFIX = "band"


def is_band_table(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(row, dict) for row in value)


def tested_value(ruleset: RuleSet, parameter: str) -> str:
    """What the table's bounds are compared with, in words (科技人员占比（%，填小数）)."""
    for score in ruleset.scores:
        for table in score.get("tables", []):
            if table.get("bands") == parameter and table.get("input"):
                name = table["input"]
                hint = "（比例，填小数，如 30% 填 0.3）" if labels.unit(name) == "%" else (
                    "（万元）" if labels.unit(name) == "万元" else "")
                return f"{labels.label(name)}{hint}"
    return ""


def editor_rows(value: list[dict], addable: bool = True) -> list[dict]:
    """The table's rows for the form, with one empty bound row to add (before the fallback, if any) when the
    table compares a value with bounds (`addable`; a table of fixed conditions has nothing to compare)."""
    rows = []
    for row in value:
        key = next((k for k in BOUND_OPS if k in row), None)
        points = row.get("points")
        lo, hi = (points if isinstance(points, list) else (points, None))
        if key:
            rows.append({"kind": "bound", "key": key, "bound": _number_text(row[key]), "lo": _number_text(lo),
                         "hi": _number_text(hi)})
        elif "when" in row:
            rows.append({"kind": "when", "when": row["when"], "when_text": _when_text(row["when"]),
                         "lo": _number_text(lo), "hi": _number_text(hi)})
        else:
            rows.append({"kind": "fallback", "lo": _number_text(lo), "hi": _number_text(hi)})
    if addable:
        blank = {"kind": "bound", "key": "min", "bound": "", "lo": "", "hi": ""}
        rows.insert(next((i for i, r in enumerate(rows) if r["kind"] == "fallback"), len(rows)), blank)
    for i, row in enumerate(rows):
        row["n"] = i
    return rows


def posted(data) -> bool:
    return f"{PREFIX}-rows" in data


def compose(data) -> tuple[str | None, str | None]:
    """The posted rows as the JSON value (None, message when a cell is not a number). A bound row with its
    bound and points both empty is left out (the row to add, or one cleared to remove it)."""
    try:
        count = int(data.get(f"{PREFIX}-rows", ""))
    except ValueError:
        return None, "分档表提交不完整，请重新打开“调整”"
    rows, shown = [], 0
    for i in range(count):
        field = f"{PREFIX}-{i}-"
        kind = data.get(field + "kind", "")
        bound, lo, hi = (data.get(field + k, "").strip() for k in ("bound", "lo", "hi"))
        if kind == "bound" and not bound and not lo and not hi:
            continue
        shown += 1
        row: dict = {}
        if kind == "bound":
            key = data.get(field + "key", "")
            if key not in OPS:
                return None, f"第 {shown} 档的判断方式无效"
            number = _number(bound)
            if number is None:
                return None, f"第 {shown} 档的界限应为数字，现为“{bound}”"
            row[key] = number
        elif kind == "when":
            row["when"] = data.get(field + "when", "")
        elif kind != "fallback":
            return None, "分档表提交不完整，请重新打开“调整”"
        low, high = _number(lo), _number(hi) if hi else None
        if low is None or (hi and high is None):
            return None, f"第 {shown} 档的分值应为数字，现为“{lo}{'–' + hi if hi else ''}”"
        row["points"] = [low, high] if hi else low
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False), None


def _number(text: str):
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return int(number) if number == number.to_integral_value() and "." not in text else float(number)


def _number_text(value) -> str:
    return "" if value is None else json.dumps(value)


_WORDS = {"and": "且", "or": "或", "not": "非", "==": "为", "!=": "不为"}


def _when_text(condition: str) -> str:
    """A fixed row test in words where its names have labels: rd_institution_level == 'national' →
    研发机构级别 为 国家级."""
    codes = {code: text for column in facts.COLUMNS for code, text in facts.enum_labels(column).items()}

    def word(match: re.Match) -> str:
        token = match.group()
        if token[0] in "'\"":
            return codes.get(token[1:-1], token)
        return _WORDS.get(token) or labels.label(token)

    return re.sub(r"'[^']*'|\"[^\"]*\"|==|!=|[A-Za-z_][A-Za-z0-9_]*", word, condition)
