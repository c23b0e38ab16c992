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
import math

from kechuang.engine.tiers.model import LABEL_PLACEHOLDER, RuleSet, is_number
from kechuang.engine.tiers.scoring import BOUND_OPS

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
    percent = name in percent_parameters(ruleset)
    name = f"“{ruleset.parameter_labels.get(name, name)}”（{name}）"  # every shipped parameter has a label
    if not _finite(value):
        return f"参数{name}的取值含 NaN 或无穷大（或大得无法计算），请填写有限的数字"
    if value == current:
        return f"参数{name}的新取值与现行取值相同，无需新增版本"
    if is_number(current):
        if not is_number(value):
            return f"参数{name}应为数字，例如 {example(current)}"
        if percent and not 0 <= value <= 1:
            return f"参数{name}是比例，应填 0 到 1 之间的小数（如 10% 填 0.1），现为 {example(value)}"
        if current >= 0 > value:
            return f"参数{name}不能为负数，现为 {example(value)}"
        return None
    if isinstance(current, bool):
        return None if isinstance(value, bool) else f"参数{name}应为 true（是）或 false（否）"
    if isinstance(current, str):
        return None if isinstance(value, str) and value.strip() else f"参数{name}应为文字，例如 {example(current)}"
    if isinstance(current, list) and current and all(isinstance(row, dict) for row in current):
        return _check_bands(name, value, current)
    if isinstance(current, list) and current and all(is_number(v) for v in current):  # an expert range
        if isinstance(value, list) and len(value) == len(current) and all(is_number(v) for v in value):
            return None if value == sorted(value) else f"参数{name}应为 [最低, 最高]，最低不大于最高"
        return f"参数{name}应为数字区间，例如 {example(current)}"
    if isinstance(current, list):
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            return None
        return f"参数{name}应为文字列表，例如 {example(current[:3])}"
    return None if type(value) is type(current) else f"参数{name}的格式应与现值相同：{example(current)}"


def _check_bands(name: str, value, current: list[dict]) -> str | None:
    hint = f"参数{name}是分档表，格式如现值：{example(current[:2])}"
    if not isinstance(value, list) or not value or not all(isinstance(row, dict) for row in value):
        return hint
    for i, row in enumerate(value, start=1):
        unknown = set(row) - _ROW_KEYS
        bounds = [k for k in BOUND_OPS if k in row]
        if unknown or "points" not in row or len(bounds) + ("when" in row) > 1:
            return f"{hint}（第 {i} 档有误）"
        if bounds and not is_number(row[bounds[0]]):
            return f"参数{name}第 {i} 档的界限应为数字"
        if not _points_ok(row["points"]):
            return f"参数{name}第 {i} 档的分值应为数字或 [最低, 最高]"
    unreachable = _unreachable_row(value)
    if unreachable:
        return (
            f"参数{name}第 {unreachable} 档永远用不到：档次从上到下依次判断、取第一个符合的档，"
            f"下限应从高到低排列（上限从低到高），兜底档（只有分值）放在最后"
        )
    return None


def _unreachable_row(rows: list[dict]) -> int | None:
    """The first row (1-based) that an earlier row always pre-empts in a first-match table, if any: a row
    after a fallback, or a bound no stricter than an earlier bound of the same direction."""
    lower, upper = [], []  # earlier bounds: (bound, inclusive)
    for i, row in enumerate(rows, start=1):
        bound_keys = [k for k in BOUND_OPS if k in row]
        if not bound_keys:
            if "when" not in row and i < len(rows):
                return i + 1
            continue
        key, bound = bound_keys[0], float(row[bound_keys[0]])
        if key in ("min", "above"):
            # v ≥ b (or v > b) always meets an earlier v ≥ a when a ≤ b (v > a when a < b, or a ≤ b for v > b)
            if any(a < bound or (a == bound and (inc or key == "above")) for a, inc in lower):
                return i
            lower.append((bound, key == "min"))
        else:
            if any(a > bound or (a == bound and (inc or key == "below")) for a, inc in upper):
                return i
            upper.append((bound, key == "max"))
    return None


def _finite(value) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return math.isfinite(float(value))
        except OverflowError:  # an integer beyond any float
            return False
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return True


def _points_ok(points) -> bool:
    if is_number(points):
        return True
    return (
        isinstance(points, list) and len(points) == 2 and all(is_number(p) for p in points) and points[0] <= points[1]
    )
