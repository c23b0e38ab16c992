"""Editing a band table (a scored parameter: rows tested top to bottom, the first that holds gives the points)
as rows of inputs instead of JSON: each row's test (≥ / > / < / ≤ a bound, a fixed condition, or the fallback)
and its points (a number, or a lowest–highest range where experts score). The rows posted become the JSON value
the service checks like any other (shape, order, rows never reached)."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from kechuang.engine import facts, labels
from kechuang.engine.tiers.model import RuleSet
from kechuang.engine.tiers.scoring import BOUND_OPS

# The row tests a bureau admin may choose, in words.
OPS = {"min": "≥", "above": ">", "below": "<", "max": "≤"}
PREFIX = "band"
# Bounds and points are shares, amounts in 万元 or points: anything this large is a typing error.
MAX_NUMBER = Decimal("1e12")
MAX_ROWS = 100


def is_band_table(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(row, dict) for row in value)


def tested_value(ruleset: RuleSet, parameter: str) -> str:
    """What the table's bounds are compared with, in words (科技人员占比（比例，填小数…）); "" for a table of
    fixed conditions. Score specs name a table at any depth (a part, its `tables`, its `components`)."""
    name = _input_of(ruleset.scores, parameter)
    if not name:
        return ""
    hint = {"%": "（比例，填小数，如 30% 填 0.3）", "万元": "（万元）"}.get(labels.unit(name), "")
    return f"{labels.label(name)}{hint}"


def _input_of(spec, parameter: str) -> str:
    if isinstance(spec, dict):
        if spec.get("bands") == parameter and spec.get("input"):
            return spec["input"]
        spec = list(spec.values())
    if isinstance(spec, list):
        return next((found for item in spec if (found := _input_of(item, parameter))), "")
    return ""


def editor_rows(value: list[dict], addable: bool = True) -> list[dict]:
    """The table's rows for the form, with one empty bound row to add (before the fallback, if any) when the
    table compares a value with bounds (`addable`; a table of fixed conditions has nothing to compare)."""
    rows = []
    for row in value:
        key = next((k for k in BOUND_OPS if k in row), None)
        points = row.get("points")
        lo, hi = points if isinstance(points, list) else (points, None)
        if key:
            rows.append(
                {
                    "kind": "bound",
                    "key": key,
                    "bound": _number_text(row[key]),
                    "lo": _number_text(lo),
                    "hi": _number_text(hi),
                }
            )
        elif "when" in row:
            rows.append(
                {
                    "kind": "when",
                    "when": row["when"],
                    "when_text": _when_text(row["when"]),
                    "lo": _number_text(lo),
                    "hi": _number_text(hi),
                }
            )
        else:
            rows.append({"kind": "fallback", "lo": _number_text(lo), "hi": _number_text(hi)})
    return _numbered(rows, addable)


def _numbered(rows: list[dict], addable: bool) -> list[dict]:
    """Rows with their form index, and an empty bound row to add before the fallback when `addable`."""
    if addable:
        blank = {"kind": "bound", "key": "min", "bound": "", "lo": "", "hi": ""}
        rows.insert(next((i for i, r in enumerate(rows) if r["kind"] == "fallback"), len(rows)), blank)
    for i, row in enumerate(rows):
        row["n"] = i
    return rows


def posted(data) -> bool:
    return f"{PREFIX}-rows" in data


def posted_rows(data, addable: bool = True) -> list[dict]:
    """The rows as typed (cleared bound rows left out, so they number as `compose` counts them), with a
    row to add (`addable`, as in `editor_rows`), for showing the form again after an error: nothing typed
    is lost."""
    rows = []
    for raw in _raw_rows(data):
        if raw["kind"] == "when":
            raw["when_text"] = _when_text(raw["when"])
        if raw["kind"] in ("bound", "when", "fallback") and not _cleared(raw):
            rows.append(raw)
    return _numbered(rows, addable)


def compose(data) -> tuple[str | None, str | None]:
    """The posted rows as the JSON value (None, message naming the row when a cell is wrong). A bound row
    with its bound and points all empty is left out (the row to add, or one cleared to remove it)."""
    rows = []
    raws = [raw for raw in _raw_rows(data) if not _cleared(raw)]
    if not raws:
        return None, "分档表提交不完整，请重新打开“调整”"
    for shown, raw in enumerate(raws, start=1):
        row: dict = {}
        if raw["kind"] == "bound":
            if raw["key"] not in OPS:
                return None, f"第 {shown} 档的判断方式无效"
            number = _number(raw["bound"])
            if number is None:
                return None, f"第 {shown} 档的界限应为数字，现为“{raw['bound']}”"
            row[raw["key"]] = number
        elif raw["kind"] == "when":
            row["when"] = raw["when"]
        elif raw["kind"] != "fallback":
            return None, "分档表提交不完整，请重新打开“调整”"
        lo, hi = raw["lo"], raw["hi"]
        low, high = _number(lo), _number(hi) if hi else None
        if low is None or (hi and high is None):
            return None, f"第 {shown} 档的分值应为数字，现为“{lo}{'–' + hi if hi else ''}”"
        if low < 0 or (high is not None and high < 0):
            return None, f"第 {shown} 档的分值不能为负数"
        if high is not None and high < low:
            return None, f"第 {shown} 档的最高分值不能低于最低分值"
        row["points"] = [low, high] if hi else low
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False), None


def _raw_rows(data) -> list[dict]:
    try:
        count = int(data.get(f"{PREFIX}-rows", ""))
    except ValueError:
        return []
    keys = ("kind", "key", "bound", "lo", "hi", "when")
    return [{k: data.get(f"{PREFIX}-{i}-{k}", "").strip() for k in keys} for i in range(min(count, MAX_ROWS))]


def _cleared(raw: dict) -> bool:
    return raw["kind"] == "bound" and not (raw["bound"] or raw["lo"] or raw["hi"])


def _number(text: str):
    """A typed number (int when typed without a decimal point), None when it is not one or too large."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
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


def table_text(value) -> str:
    """A band table in words for lists and notes: ≥0.3：20分；≥0.25：16分；其他：0分."""
    parts = []
    for row in value:
        points = row.get("points")
        shown = f"{points[0]}–{points[1]}分" if isinstance(points, list) else f"{points}分"
        key = next((k for k in BOUND_OPS if k in row), None)
        test = f"{OPS[key]}{row[key]}" if key else (_when_text(row["when"]) if "when" in row else "其他")
        parts.append(f"{test}：{shown}")
    return "；".join(parts)
