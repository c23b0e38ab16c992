"""Monitoring alerts (动态监测): rules as data, evaluated set-based over all firms of a year.

Policy:
- A rule fires for a firm when every condition of its `when` list is true. A condition on an unknown
  value is unknown, and an unknown rule does not fire: alerts speak only about known facts (the
  completeness of the data is reported elsewhere, e.g. `missing` in the points output).
- Comparisons follow the rules-reference boundary convention: the YAML states the operator, e.g.
  "下降超过 20%" is `growth < -0.20` (超过 excludes the boundary).
- `within_months: N` is true when as_of ≤ date ≤ as_of + N months (both ends included).
- Messages are Chinese templates filled with vectorised formatting; `values` is a JSON object of the
  fields the rule read, so the UI can show the numbers behind each alert.
- A field no input provides reads as unknown, so a misspelt field would keep its rule silent for ever:
  `alert_rules_from_dict(data, known_fields=known_fields())` rejects such names (editors pass it; the
  shipped file is checked by the tests).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from kechuang.engine.points.fmt import value_text
from kechuang.engine.points.scheme import SchemeError

OPS = ("<", "<=", ">", ">=", "==", "!=", "is_true", "is_false", "within_months")
SEVERITIES = ("info", "warning", "critical")
TEMPLATE_UNITS = ("percent", "wan", "number", "count", "date")
_PLACEHOLDER = re.compile(r"\{(-?)([a-z_][a-z0-9_]*)(?::([a-z]+))?\}")
OUTPUT_COLUMNS = ("uscc", "rule", "severity", "label", "message", "values")
# Fields the alert evaluation adds to the derived frame (see `_prepare`).
EXTRA_FIELDS = ("points", "points_prev", "points_delta", "hte_expires_on")
_FIELDS_HINT = "应为派生指标表的列，或 " + "、".join(EXTRA_FIELDS)


@lru_cache(maxsize=1)
def known_fields() -> frozenset[str]:
    """Every name a rule may read: the columns of the derived frame plus EXTRA_FIELDS."""
    from kechuang.engine import derive, facts

    today = dt.date.today()
    empty = pl.DataFrame(schema=facts.polars_schema())
    return frozenset(derive.derived_for_year(empty, today.year, today).columns) | frozenset(EXTRA_FIELDS)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: object = None


@dataclass(frozen=True)
class AlertRule:
    id: str
    label: str
    severity: str
    when: tuple[Condition, ...]
    message: str

    def fields(self) -> list[str]:
        names = [c.field for c in self.when]
        names += [m.group(2) for m in _PLACEHOLDER.finditer(self.message)]
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class AlertRuleSet:
    id: str
    version: str
    effective_from: dt.date
    source: str
    verification: str
    params: dict
    rules: tuple[AlertRule, ...]
    name: str = ""

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


def alert_rules_from_dict(data: dict, known_fields: frozenset[str] | set[str] | None = None) -> AlertRuleSet:
    """The validated rule set; every problem is listed in one SchemeError (Chinese, naming rule and field).

    known_fields: when given, a condition field or message placeholder outside it is an error.
    """
    errors: list[str] = []
    rules = []
    seen = set()
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        errors.append("rules 应为预警规则列表")
        raw_rules = []
    for i, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, dict):
            errors.append(f"第 {i} 条预警规则应为映射（id、label、severity、when、message），现为“{raw}”")
            continue
        rid = str(raw.get("id") or "")
        where = f"预警规则 {rid or i}"
        if not rid:
            errors.append(f"第 {i} 条预警规则缺少编号 id")
        if rid in seen:
            errors.append(f"{where}：编号重复")
        seen.add(rid)
        sev = raw.get("severity")
        if sev not in SEVERITIES:
            errors.append(f"{where}：级别 severity 应为 {'、'.join(SEVERITIES)} 之一，现为“{sev}”")
        conds = []
        raw_when = raw.get("when") or []
        if not isinstance(raw_when, list):
            errors.append(f"{where}：when 应为条件列表")
            raw_when = []
        for c in raw_when:
            if not isinstance(c, dict) or not c.get("field") or c.get("op") not in OPS:
                errors.append(
                    f"{where}：条件应为 {{field, op, value}}，op 为 {' '.join(OPS)} 之一，现为“{c}”"
                )
                continue
            if c["op"] not in ("is_true", "is_false") and not isinstance(c.get("value"), (int, float)):
                errors.append(f"{where}：条件 {c['field']} {c['op']} 缺少数值 value")
                continue
            if known_fields is not None and str(c["field"]) not in known_fields:
                errors.append(f"{where}：条件中的字段 {c['field']} 不存在（{_FIELDS_HINT}）")
            conds.append(Condition(str(c["field"]), c["op"], c.get("value")))
        if not raw_when:  # invalid conditions are reported above; an empty list needs its own message
            errors.append(f"{where}：至少需要一个条件 when")
        message = str(raw.get("message") or "")
        if not message:
            errors.append(f"{where}：缺少中文提示 message")
        for m in _PLACEHOLDER.finditer(message):
            if m.group(3) and m.group(3) not in TEMPLATE_UNITS:
                errors.append(f"{where}：提示中的单位 {m.group(3)} 应为 {'、'.join(TEMPLATE_UNITS)} 之一")
            if known_fields is not None and m.group(2) not in known_fields:
                errors.append(f"{where}：提示中的字段 {m.group(2)} 不存在（{_FIELDS_HINT}）")
        rules.append(AlertRule(rid, str(raw.get("label") or rid), str(sev), tuple(conds), message))
    eff = data.get("effective_from")
    if not isinstance(eff, dt.date):
        errors.append("缺少生效日期 effective_from（YYYY-MM-DD）")
    if errors:
        raise SchemeError(errors, where=f" {data.get('id', '')} ")
    return AlertRuleSet(
        id=str(data.get("id")),
        version=str(data.get("version") or eff.isoformat()),
        effective_from=eff,
        source=str(data.get("source") or ""),
        verification=str(data.get("verification") or "U"),
        params=dict(data.get("params") or {}),
        rules=tuple(rules),
        name=str(data.get("name") or ""),
    )


def load_alert_rules(path: str | Path) -> AlertRuleSet:
    return alert_rules_from_dict(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


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
    for m in _PLACEHOLDER.finditer(template):
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
    firms: pl.DataFrame, rules: AlertRuleSet, year: int, points: pl.DataFrame | None
) -> pl.DataFrame:
    frame = firms
    if points is not None:
        now = points.filter(pl.col("year") == year).select("uscc", "points")
        prev = points.filter(pl.col("year") == year - 1).select("uscc", pl.col("points").alias("points_prev"))
        frame = frame.drop([c for c in ("points", "points_prev") if c in frame.columns])
        frame = frame.join(now, on="uscc", how="left").join(prev, on="uscc", how="left")
        frame = frame.with_columns((pl.col("points") - pl.col("points_prev")).alias("points_delta"))
    if "hte_certified_on" in frame.columns:
        years = int(rules.params.get("hte_validity_years", 3))
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
    rules: AlertRuleSet,
    year: int,
    as_of: dt.date,
    points: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Alerts for fiscal `year` as of `as_of`.

    firms: one row per uscc (the output of `derive.derived_for_year(panel, year, as_of)`).
    points: optional scored frames with (uscc, year, points) for `year` and `year − 1` (concatenated).
    Returns uscc, rule, severity, label, message, values (JSON text), ordered by severity then uscc.
    """
    frame = _prepare(firms, rules, year, points)
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
