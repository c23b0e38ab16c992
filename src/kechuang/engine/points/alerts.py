"""Monitoring alerts (动态监测): rules as data, evaluated set-based over all firms of a year.

Policy:
- A rule fires for a firm when every condition of its `when` list is true. A condition on an unknown
  value is unknown, and an unknown rule does not fire: alerts speak only about known facts (the
  completeness of the data is reported elsewhere, e.g. `missing` in the points output).
- Comparisons follow the rules-reference boundary convention: the rule states the operator, e.g.
  "下降超过 20%" is `growth < -0.20` (超过 excludes the boundary).
- `within_months: N` is true when as_of ≤ date ≤ as_of + N months (both ends included).
- Messages are Chinese templates filled with vectorised formatting; `values` is a JSON object of the
  fields the rule read, so the UI can show the numbers behind each alert.
- The rule set is a document of the rule-data layer (kind `alert_rules`, `rulesets/points/alerts/`): dated,
  sourced, validated at load; its parameters (the 高企 certificate's validity) are dated values the bureau
  may change. A field no input provides reads as unknown, so a misspelt field would keep its rule silent
  for ever: `AlertRules.problems()` names such fields (the platform refuses a version that has any; the
  shipped file is checked by the tests).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kechuang.engine import clock
from kechuang.engine.points.fmt import value_text
from kechuang.engine.ruledata import Kind, Problem, RuleDoc, register

OPS = ("<", "<=", ">", ">=", "==", "!=", "is_true", "is_false", "within_months")
# How an operator reads in a form and in an explanation.
OP_LABELS = {
    "<": "小于",
    "<=": "不大于",
    ">": "大于",
    ">=": "不小于",
    "==": "等于",
    "!=": "不等于",
    "is_true": "为“是”",
    "is_false": "为“否”",
    "within_months": "在未来 N 个月内",
}
SEVERITIES = ("info", "warning", "critical")
SEVERITY_LABELS = {"info": "提示", "warning": "警告", "critical": "严重"}
TEMPLATE_UNITS = ("percent", "wan", "number", "count", "date")
PLACEHOLDER = re.compile(r"\{(-?)([a-z_][a-z0-9_]*)(?::([a-z]+))?\}")
OUTPUT_COLUMNS = ("uscc", "rule", "severity", "label", "message", "values")
# Fields the alert evaluation adds to the derived frame (see `_prepare`).
EXTRA_FIELDS = ("points", "points_prev", "points_delta", "hte_expires_on")
_FIELDS_HINT = "应为派生指标表的列，或 " + "、".join(EXTRA_FIELDS)


@lru_cache(maxsize=1)
def known_fields() -> frozenset[str]:
    """Every name a rule may read: the columns of the derived frame plus EXTRA_FIELDS."""
    from kechuang.engine import derive, facts

    today = clock.today()
    empty = pl.DataFrame(schema=facts.polars_schema())
    return frozenset(derive.derived_for_year(empty, today.year, today).columns) | frozenset(EXTRA_FIELDS)


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1, title="字段")
    op: Literal[OPS] = Field(title="比较方式")
    value: float | None = Field(default=None, title="比较值")

    @model_validator(mode="after")
    def _needs_value(self) -> Condition:
        if self.op not in ("is_true", "is_false") and self.value is None:
            raise ValueError(f"条件 {self.field} {OP_LABELS[self.op]} 缺少比较值")
        return self


class AlertRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", title="编号")
    label: str = Field(min_length=1, title="名称")
    severity: Literal[SEVERITIES] = Field(title="级别")
    when: tuple[Condition, ...] = Field(min_length=1, title="条件")
    message: str = Field(min_length=1, title="提示")

    @field_validator("message")
    @classmethod
    def _units(cls, message: str) -> str:
        for m in PLACEHOLDER.finditer(message):
            if m.group(3) and m.group(3) not in TEMPLATE_UNITS:
                raise ValueError(f"提示中的单位 {m.group(3)} 应为 {'、'.join(TEMPLATE_UNITS)} 之一")
        return message

    def fields(self) -> list[str]:
        names = [c.field for c in self.when]
        names += [m.group(2) for m in PLACEHOLDER.finditer(self.message)]
        return list(dict.fromkeys(names))


class AlertRules(RuleDoc):
    """The monitoring rule set: rules that fire on a firm's derived figures of a year."""

    rules: tuple[AlertRule, ...] = Field(min_length=1, title="预警规则")

    @field_validator("rules")
    @classmethod
    def _unique(cls, rules: tuple[AlertRule, ...]) -> tuple[AlertRule, ...]:
        seen = [r.id for r in rules]
        twice = sorted({i for i in seen if seen.count(i) > 1})
        if twice:
            raise ValueError(f"预警规则编号重复：{'、'.join(twice)}")
        return rules

    def problems(self, fields: frozenset[str] | None = None) -> list[Problem]:
        """Fields no input provides (a rule on them would never fire), named per rule."""
        fields = known_fields() if fields is None else fields
        return [
            Problem(f"字段 {name} 不存在（{_FIELDS_HINT}）", rule=self.id, field=f"rules.{rule.id}")
            for rule in self.rules
            for name in rule.fields()
            if name not in fields
        ]


ALERT_RULES = register(Kind("alert_rules", "监测预警规则", "points/alerts", AlertRules, domain="创新积分"))


def _condition(c: Condition, as_of: dt.date) -> pl.Expr:
    x = pl.col(c.field)
    if c.op == "is_true":
        return x.cast(pl.Boolean)
    if c.op == "is_false":
        return ~x.cast(pl.Boolean)
    if c.op == "within_months":
        end = pl.lit(as_of).dt.offset_by(f"{int(c.value)}mo")
        return (x >= pl.lit(as_of)) & (x <= end)
    v = pl.lit(float(c.value))
    return {"<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v, "==": x == v, "!=": x != v}[c.op]


def _message(template: str) -> pl.Expr:
    parts: list[pl.Expr] = []
    pos = 0
    for m in PLACEHOLDER.finditer(template):
        if m.start() > pos:
            parts.append(pl.lit(template[pos : m.start()]))
        neg, name, unit = m.group(1), m.group(2), m.group(3) or "number"
        col = pl.col(name)
        if unit == "date":
            parts.append(col.cast(pl.Utf8).fill_null("未知"))
        else:
            parts.append(value_text(-col if neg else col, unit))
        pos = m.end()
    if pos < len(template):
        parts.append(pl.lit(template[pos:]))
    return pl.concat_str(parts)


def _prepare(
    firms: pl.DataFrame, rules: AlertRules, params: Mapping, year: int, points: pl.DataFrame | None
) -> pl.DataFrame:
    frame = firms
    if points is not None:
        now = points.filter(pl.col("year") == year).select("uscc", "points")
        prev = points.filter(pl.col("year") == year - 1).select("uscc", pl.col("points").alias("points_prev"))
        frame = frame.drop([c for c in ("points", "points_prev") if c in frame.columns])
        frame = frame.join(now, on="uscc", how="left").join(prev, on="uscc", how="left")
        frame = frame.with_columns((pl.col("points") - pl.col("points_prev")).alias("points_delta"))
    if "hte_certified_on" in frame.columns:
        years = int(params["hte_validity_years"])
        frame = frame.with_columns(
            pl.col("hte_certified_on")
            .cast(pl.Date)
            .dt.offset_by(f"{years}y")
            .dt.offset_by("-1d")
            .alias("hte_expires_on")
        )
    needed = {f for r in rules.rules for f in r.fields()}
    absent = [f for f in needed if f not in frame.columns]
    # A field no input provides (e.g. points when no points were given) is unknown: its rules stay quiet.
    return frame.with_columns([pl.lit(None, dtype=pl.Float64).alias(f) for f in absent])


def evaluate_alerts(
    firms: pl.DataFrame,
    rules: AlertRules,
    year: int,
    as_of: dt.date,
    points: pl.DataFrame | None = None,
    params: Mapping | None = None,
) -> pl.DataFrame:
    """Alerts for fiscal `year` as of `as_of`.

    firms: one row per uscc (the output of `derive.derived_for_year(panel, year, as_of)`).
    points: optional scored frames with (uscc, year, points) for `year` and `year − 1` (concatenated).
    params: the rule set's parameter values in force (default: the shipped ones on `as_of`).
    Returns uscc, rule, severity, label, message, values (JSON text), ordered by severity then uscc.
    """
    frame = _prepare(firms, rules, rules.params(as_of) if params is None else params, year, points)
    out = []
    for rule in rules.rules:
        fires = pl.all_horizontal([_condition(c, as_of) for c in rule.when]).fill_null(False)
        values = pl.struct(
            [pl.col(f).cast(pl.Utf8) if frame.schema[f] == pl.Date else pl.col(f) for f in rule.fields()]
        ).struct.json_encode()
        out.append(
            frame.filter(fires).select(
                "uscc",
                pl.lit(rule.id).alias("rule"),
                pl.lit(rule.severity).alias("severity"),
                pl.lit(rule.label).alias("label"),
                _message(rule.message).alias("message"),
                values.alias("values"),
            )
        )
    if not out:
        return pl.DataFrame(schema={c: pl.Utf8 for c in OUTPUT_COLUMNS})
    order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    result = pl.concat(out)
    return result.sort(pl.col("severity").replace_strict(order), "uscc", "rule")
