"""Dated parameters: the numbers (and lists, tables, flags) a rule reads, each with its label, source and flag.

Policy:
- A parameter is written once in a rule file as `{label, unit?, value | versions, verified, source, note?}`;
  `versions` lists dated values (`{effective_from, value, verified?, source?, note?}`), and a value without a
  date starts with its rule document. `verified` is V (read in the official text), P (partly seen) or U (not
  verified: the bureau confirms it in the UI).
- The value in force on a date is chosen by `validity.in_force`; a bureau's version (an *override*, stored by
  the platform) is appended after the shipped ones, so on the same day the bureau's value wins.
- A new value must have the shape of the value it replaces (`check_value`): a number for a number, a share
  between 0 and 1 for a share, 是/否 for a flag, a list of texts for a list, `[lo, hi]` for a range, rows with
  the same keys for a table. Messages are Chinese and say what to type.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kechuang.engine.ruledata.errors import Problem, RuleDataError
from kechuang.engine.ruledata.validity import in_force, to_date

VERIFICATIONS = {"V": "已核对原文", "P": "部分核对", "U": "未核对"}
# Units a parameter may declare; they decide how the value is shown and which values are acceptable.
UNITS = {
    "wan": "万元",
    "share": "比例",
    "count": "个",
    "persons": "人",
    "days": "天",
    "working_days": "个工作日",
    "months": "个月",
    "years": "年",
    "points": "分",
    "number": "",
    "text": "",
    "bool": "",
    "date": "",
    "list": "",
    "range": "",
    "table": "",
}
_SPEC_KEYS = {"label", "unit", "value", "versions", "verified", "source", "note", "min", "max"}
_VERSION_KEYS = {"value", "effective_from", "verified", "source", "note"}


@dataclass(frozen=True)
class ParameterVersion:
    value: object
    effective_from: dt.date
    verified: str = "U"
    source: str = ""
    note: str = ""
    origin: str = "shipped"  # shipped (a rule file) or bureau (a version added on the platform)
    effective_to: dt.date | None = None  # never set: a parameter's value lasts until the next one


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    versions: tuple[ParameterVersion, ...]
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def value_on(self, as_of: dt.date, overrides: Iterable[ParameterVersion] = ()) -> ParameterVersion:
        """The version in force on `as_of`; the first one where the date precedes them all (a rule document
        in force always has a value for each of its parameters)."""
        return in_force([*self.versions, *overrides], as_of) or self.versions[0]


def spec_of(parameter: Parameter) -> dict:
    """The parameter as a rule file writes it (what `parse_parameters` reads back), JSON-safe."""
    spec: dict = {"label": parameter.label}
    if parameter.unit:
        spec["unit"] = parameter.unit
    for key, bound in (("min", parameter.minimum), ("max", parameter.maximum)):
        if bound is not None:
            spec[key] = bound
    spec["versions"] = [
        {
            "effective_from": v.effective_from.isoformat(),
            "value": v.value,
            "verified": v.verified,
            "source": v.source,
            "note": v.note,
        }
        for v in parameter.versions
    ]
    return spec


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_parameters(raw, *, starts: dt.date, file: str = "", rule: str = "") -> dict[str, Parameter]:  # noqa: C901
    """The parameters of a rule document, validated; every problem is collected into one RuleDataError."""
    problems: list[Problem] = []
    out: dict[str, Parameter] = {}
    if raw is None:
        return out
    if not isinstance(raw, Mapping):
        raise RuleDataError(Problem("parameters 应为“参数名: 定义”的映射", file, rule, "parameters"))
    for name, spec in raw.items():
        where = f"parameters.{name}"

        def bad(message: str, where=where) -> None:
            problems.append(Problem(message, file, rule, where))

        if not isinstance(spec, Mapping) or ("value" not in spec and "versions" not in spec):
            bad("需要 value（取值）或 versions（分日期的取值）")
            continue
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            bad(f"不认识的项：{'、'.join(sorted(map(str, unknown)))}")
        label = spec.get("label")
        if not isinstance(label, str) or not label.strip():
            bad("缺少 label（中文名称）")
            label = str(name)
        unit = str(spec.get("unit") or "")
        if unit and unit not in UNITS:
            bad(f"unit 应为 {'、'.join(UNITS)} 之一，现为“{unit}”")
        versions = []
        for i, item in enumerate(spec.get("versions") or [spec]):
            vwhere = f"{where}.versions[{i}]" if "versions" in spec else where
            if not isinstance(item, Mapping) or "value" not in item:
                bad("每个版本需要 value", vwhere)
                continue
            if "versions" in spec and set(item) - _VERSION_KEYS:
                bad(f"不认识的项：{'、'.join(sorted(map(str, set(item) - _VERSION_KEYS)))}", vwhere)
            verified = str(item.get("verified", spec.get("verified", "U")))
            if verified not in VERIFICATIONS:
                bad(f"verified 应为 V、P 或 U，现为“{verified}”", vwhere)
            try:
                starts_on = to_date(item.get("effective_from", starts), "生效日期")
            except ValueError as exc:
                bad(str(exc), vwhere)
                continue
            value = item["value"]
            problem = _unit_problem(unit, value)
            if problem:
                bad(problem, vwhere)
            versions.append(
                ParameterVersion(
                    value=value,
                    effective_from=starts_on,
                    verified=verified,
                    source=str(item.get("source", spec.get("source", "")) or ""),
                    note=str(item.get("note", spec.get("note", "")) or ""),
                )
            )
        if versions:
            out[str(name)] = Parameter(
                name=str(name),
                label=label.strip(),
                versions=tuple(sorted(versions, key=lambda v: v.effective_from)),
                unit=unit,
                minimum=spec.get("min"),
                maximum=spec.get("max"),
            )
    if problems:
        raise RuleDataError(problems)
    return out


def _unit_problem(unit: str, value) -> str | None:
    numeric = {"wan", "share", "count", "persons", "days", "working_days", "months", "years", "points", "number"}
    if unit in numeric and not is_number(value):
        return f"取值应为数字，现为“{value}”"
    if unit == "share" and not 0 <= value <= 1:
        return f"比例应在 0 到 1 之间（如 20% 写 0.2），现为 {value}"
    if unit in {"count", "persons", "days", "working_days", "months"} and value != int(value):
        return f"取值应为整数，现为 {value}"
    if unit == "bool" and not isinstance(value, bool):
        return f"取值应为 true 或 false，现为“{value}”"
    if unit == "date":
        try:
            to_date(value)
        except ValueError as exc:
            return str(exc)
    return None


def override_versions(overrides: Iterable[Mapping], rule_id: str, name: str) -> list[ParameterVersion]:
    """The bureau's versions of one parameter, from the platform's stored overrides (dicts with `rule_id` or
    `ruleset`, `parameter`, `effective_from`, `value`, `source`, `note`), oldest first."""
    out = []
    for item in overrides:
        if item.get("rule_id", item.get("ruleset")) != rule_id or item.get("parameter") != name:
            continue
        out.append(
            ParameterVersion(
                value=item["value"],
                effective_from=to_date(item["effective_from"]),
                verified="V",
                source=str(item.get("source") or ""),
                note=str(item.get("note") or ""),
                origin="bureau",
            )
        )
    return sorted(out, key=lambda v: v.effective_from)


def resolve(
    parameters: Mapping[str, Parameter], as_of: dt.date, overrides: Iterable[Mapping] = (), rule_id: str = ""
) -> dict[str, ParameterVersion]:
    """Every parameter's version in force on `as_of`, the bureau's overrides for `rule_id` included."""
    overrides = list(overrides)
    unknown = {
        o.get("parameter")
        for o in overrides
        if o.get("rule_id", o.get("ruleset")) == rule_id and o.get("parameter") not in parameters
    }
    if unknown:
        raise RuleDataError(Problem(f"没有参数“{'、'.join(sorted(map(str, unknown)))}”", rule=rule_id))
    return {name: p.value_on(as_of, override_versions(overrides, rule_id, name)) for name, p in parameters.items()}


# ------------------------------------------------------------------ a new value for a parameter


def example(value) -> str:
    """The value as JSON text, as a form expects it typed (Chinese left as is)."""
    return json.dumps(value, ensure_ascii=False)


def finite(value) -> bool:
    if is_number(value):
        try:
            return math.isfinite(float(value))
        except OverflowError:  # an integer beyond any float
            return False
    if isinstance(value, list):
        return all(finite(v) for v in value)
    if isinstance(value, Mapping):
        return all(finite(v) for v in value.values())
    return True


def check_value(parameter: Parameter, current, value, *, percent: bool = False) -> str | None:  # noqa: C901
    """None when `value` may replace `current` (the value in force) for `parameter`, else why not (Chinese)."""
    name = f"“{parameter.label}”"
    percent = percent or parameter.unit == "share"
    if not finite(value):
        return f"参数{name}的取值含 NaN 或无穷大（或大得无法计算），请填写有限的数字"
    if _same(value, current):
        return f"参数{name}的新取值与现行取值相同，无需新增版本"
    if parameter.unit:
        problem = _unit_problem(parameter.unit, value)
        if problem:
            return f"参数{name}：{problem}"
    if is_number(current):
        if not is_number(value):
            return f"参数{name}应为数字，例如 {example(current)}"
        if percent and not 0 <= value <= 1:
            return f"参数{name}是比例，应填 0 到 1 之间的小数（如 10% 填 0.1），现为 {example(value)}"
        if current >= 0 > value:
            return f"参数{name}不能为负数，现为 {example(value)}"
        if parameter.minimum is not None and value < parameter.minimum:
            return f"参数{name}不能小于 {parameter.minimum}"
        if parameter.maximum is not None and value > parameter.maximum:
            return f"参数{name}不能大于 {parameter.maximum}"
        return None
    if isinstance(current, bool):
        return None if isinstance(value, bool) else f"参数{name}应为 true（是）或 false（否）"
    if isinstance(current, str):
        return None if isinstance(value, str) and value.strip() else f"参数{name}应为文字，例如 {example(current)}"
    if isinstance(current, list) and current and all(isinstance(row, Mapping) for row in current):
        return _check_rows(name, value, current)
    if isinstance(current, list) and current and all(is_number(v) for v in current):  # a range
        if isinstance(value, list) and len(value) == len(current) and all(is_number(v) for v in value):
            return None if value == sorted(value) else f"参数{name}应为 [最低, 最高]，最低不大于最高"
        return f"参数{name}应为数字区间，例如 {example(current)}"
    if isinstance(current, list):
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            return None
        return f"参数{name}应为文字列表，例如 {example(current[:3])}"
    if isinstance(current, Mapping):
        if isinstance(value, Mapping) and set(value) == set(current):
            return None
        return f"参数{name}的格式应与现值相同：{example(current)}"
    return None if type(value) is type(current) else f"参数{name}的格式应与现值相同：{example(current)}"


def _same(a, b) -> bool:
    """Equal values of the same kind (True is not 1; 500 and 500.0 are the same number)."""
    return (is_number(a) and is_number(b) and a == b) or (type(a) is type(b) and a == b)


def _check_rows(name: str, value, current: list) -> str | None:
    """A table: a non-empty list of rows using only the keys the current rows use, numbers where they are."""
    keys = {k for row in current for k in row}
    numeric = {k for k in keys if all(is_number(row[k]) for row in current if k in row)}
    hint = f"参数{name}是分档表，格式如现值：{example(current[:2])}"
    if not isinstance(value, list) or not value or not all(isinstance(row, Mapping) for row in value):
        return hint
    for i, row in enumerate(value, start=1):
        if set(row) - keys:
            return f"{hint}（第 {i} 档有不认识的项：{'、'.join(sorted(set(row) - keys))}）"
        for k in numeric & set(row):
            if not is_number(row[k]):
                return f"参数{name}第 {i} 档的“{k}”应为数字"
    return None
