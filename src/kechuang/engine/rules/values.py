"""Checking a new value for a rule-set parameter before it is stored (a bureau admin's dated version).

A new value must have the shape of the value it replaces: a number for a number, 是/否 for a flag, a list
of texts for a list of codes, `[lo, hi]` for an expert range, and for a band table a list of rows
`{min|above|below|max: bound, points: p}` (or `{when: condition, points: p}`, or the fallback
`{points: p}`), `p` a number or `[lo, hi]`. Parameters shown as percentages in a condition's label
(`{name:%}`) are shares between 0 and 1; a number that was not negative stays not negative. Messages are
Chinese and name what to type.
"""

from __future__ import annotations

import json

from kechuang.engine.rules.model import LABEL_PLACEHOLDER, RuleSet, is_number
from kechuang.engine.rules.scoring import BOUND_OPS

_ROW_KEYS = {*BOUND_OPS, "when", "points"}


def percent_parameters(ruleset: RuleSet) -> set[str]:
    """Parameters some condition label shows as a percentage."""
    return {
        name
        for cond in ruleset.conditions
        for name, spec in LABEL_PLACEHOLDER.findall(str(cond.get("label", "")))
        if spec == "%"
    }


def example(value) -> str:
    """The value as JSON text, as the form expects it typed (Chinese left as is)."""
    return json.dumps(value, ensure_ascii=False)


def check_value(ruleset: RuleSet, name: str, current, value) -> str | None:
    """None when `value` may replace `current` for parameter `name`, else the reason (Chinese)."""
    if is_number(current):
        if not is_number(value):
            return f"参数 {name} 应为数字，例如 {example(current)}"
        if name in percent_parameters(ruleset) and not 0 <= value <= 1:
            return f"参数 {name} 是比例，应填 0 到 1 之间的小数（如 10% 填 0.1），现为 {example(value)}"
        if current >= 0 > value:
            return f"参数 {name} 不能为负数，现为 {example(value)}"
        return None
    if isinstance(current, bool):
        return None if isinstance(value, bool) else f"参数 {name} 应为 true（是）或 false（否）"
    if isinstance(current, str):
        return None if isinstance(value, str) and value.strip() else f"参数 {name} 应为文字，例如 {example(current)}"
    if isinstance(current, list) and current and all(isinstance(row, dict) for row in current):
        return _check_bands(name, value, current)
    if isinstance(current, list) and current and all(is_number(v) for v in current):  # an expert range
        if isinstance(value, list) and len(value) == len(current) and all(is_number(v) for v in value):
            return None if value == sorted(value) else f"参数 {name} 应为 [最低, 最高]，最低不大于最高"
        return f"参数 {name} 应为数字区间，例如 {example(current)}"
    if isinstance(current, list):
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            return None
        return f"参数 {name} 应为文字列表，例如 {example(current[:3])}"
    return None if type(value) is type(current) else f"参数 {name} 的格式应与现值相同：{example(current)}"


def _check_bands(name: str, value, current: list[dict]) -> str | None:
    hint = f"参数 {name} 是分档表，格式如现值：{example(current[:2])}"
    if not isinstance(value, list) or not value or not all(isinstance(row, dict) for row in value):
        return hint
    for i, row in enumerate(value, start=1):
        unknown = set(row) - _ROW_KEYS
        bounds = [k for k in BOUND_OPS if k in row]
        if unknown or "points" not in row or len(bounds) + ("when" in row) > 1:
            return f"{hint}（第 {i} 档有误）"
        if bounds and not is_number(row[bounds[0]]):
            return f"参数 {name} 第 {i} 档的界限应为数字"
        if not _points_ok(row["points"]):
            return f"参数 {name} 第 {i} 档的分值应为数字或 [最低, 最高]"
    return None


def _points_ok(points) -> bool:
    if is_number(points):
        return True
    return (
        isinstance(points, list)
        and len(points) == 2
        and all(is_number(p) for p in points)
        and points[0] <= points[1]
    )
