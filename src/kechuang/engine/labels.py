"""Chinese labels for every name a rule can read: facts columns, policy inputs, derived values, earlier years
(`revenue_prev1`), fiscal-year references in "missing" lists (`revenue@2023`) and tier results (`tier.high_tech`).
Pages, exports and explanations show these instead of code names."""

from __future__ import annotations

import datetime as dt
import re

from kechuang.engine import derive, facts, numbers
from kechuang.engine.policies import inputs
from kechuang.engine.tiers.model import LABEL_PLACEHOLDER, RuleSet, all_rulesets, ruleset_by_label
from kechuang.engine.tiers.values import percent_parameters

TIER_NAMES = {
    "tech_sme": "科技型中小企业",
    "high_tech": "高新技术企业",
    "innovative_sme": "创新型中小企业",
    "specialized_sme": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”",
    "gazelle": "瞪羚企业",
    "potential_gazelle": "潜在瞪羚企业",
    "unicorn": "独角兽企业",
    "potential_unicorn": "潜在独角兽企业",
}
# Values policy eligibility adds to the derived frame (engine/policies/evaluate.py).
POLICY_VALUES = {
    "hte_certified_year": "高企证书发证年度",
    "relocated_years": "迁入本地年限",
    "paid_before": "此前已兑现金额（元）",
    "paid_this_year": "本年已兑现金额（元）",
}
# Values the monitoring alerts add to the derived frame (engine/points/alerts.py EXTRA_FIELDS).
ALERT_VALUES = {
    "points": "创新积分",
    "points_prev": "上年创新积分",
    "points_delta": "创新积分变化",
    "hte_expires_on": "高企证书到期日",
}
# Values the tier rule sets compute (their `values:`) and the score bounds an explanation shows.
RULE_VALUES = {
    "rd_ratio_3y_min": "研发费用占比要求（按收入规模）",
    "ip_total": "知识产权总数",
    "rd_ratio_required": "研发费用占比要求（按收入规模）",
    "cagr_required": "复合增长率要求（按收入规模）",
    "young_valuation_min": "估值要求下限（万元）",
    "older_valuation_min": "估值要求下限（万元）",
    "older_valuation_max": "估值要求上限（万元）",
    "five_n": "“5+N”中的N（成立完整年度−6）",
    "five_n_revenue_min": "“5+N”营业收入要求（万元）",
    "hte_cert_year": "高企证书发证年度",
    "report_due_passed": "本年度报表填报期限已过",
    "hte_reports_missed_min": "未按期填报年度报表年数（至少）",
    "hte_reports_missed_max": "未按期填报年度报表年数（至多）",
    "score_min": "得分（下限）",
    "score_max": "得分（上限）",
}
TIER_PREFIX = "tier."


def label(name: str) -> str:
    """The Chinese label of `name`; an unknown name comes back unchanged."""
    base, _, year = name.partition("@")
    if year:
        return f"{label(base)}（{year}年度）"
    for k in derive.LAGS:
        suffix = f"_prev{k}"
        if name.endswith(suffix):
            return f"{label(name[: -len(suffix)])}（{k}年前）"
    if name.startswith(TIER_PREFIX):
        tier = name[len(TIER_PREFIX) :]
        return f"{TIER_NAMES.get(tier, tier)}资格"
    column = facts.BY_NAME.get(name) or inputs.BY_NAME.get(name)
    if column is not None:
        return column.label
    for table in (derive.LABELS, POLICY_VALUES, ALERT_VALUES, RULE_VALUES):
        if name in table:
            return table[name]
    return name


def names_text(names: str | None) -> str:
    """`;`-joined names (a "missing" list) as Chinese labels joined by 、."""
    return "、".join(label(n) for n in (names or "").split(";") if n)


def value_text(value) -> str:
    """A value in an explanation: 是/否, 未知, numbers with at most 4 decimals, anything else as it is."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return number_text(value)
    return "未知" if value is None else str(value)


def _base(name: str) -> str:
    base = name.partition("@")[0]
    for k in derive.LAGS:
        base = base.removesuffix(f"_prev{k}")
    return base


def unit(name: str) -> str:
    """How a field's numbers read: "%" for shares and growth rates, "万元" for money, "" otherwise."""
    base = _base(name)
    column = facts.BY_NAME.get(base) or inputs.BY_NAME.get(base)
    if base in derive.RATIOS or (column and column.kind == facts.FRACTION):
        return "%"
    if base in derive.MONEY or (column and column.kind == facts.MONEY):
        return "万元"
    return ""


def field_value_text(name: str, value) -> str:
    """A field's value as a reader expects it: shares and growth rates in %, money in 万元, coded values
    (高新技术领域, 研发机构级别) by their Chinese names; otherwise as `value_text`."""
    if value is None or isinstance(value, bool):
        return value_text(value)
    if isinstance(value, str):
        column = facts.BY_NAME.get(_base(name))
        return facts.enum_labels(column).get(value, value) if column else value
    shown = unit(name)
    if shown == "%":
        return f"{number_text(float(value) * 100)}%"
    return numbers.money_text(value) if shown else value_text(value)


def condition_values_text(values: dict | None, thresholds: dict | None, ruleset_label: str = "") -> str:
    """An explained condition's values and thresholds in one line: 科技人员占比=64.71%｜门槛 10%.
    Thresholds take the unit of the values when they all have the same one (a share against a share);
    several thresholds are named by the parameter labels of the rule set (`ruleset_label`) that set them."""
    values = values or {}
    text = " ".join(f"{label(k)}={field_value_text(k, v)}" for k, v in values.items())
    if thresholds:
        units = {unit(k) for k in values}
        # One threshold against values of one unit is in that unit (a share against a share); of several,
        # each needs its own (a USD amount beside an exchange rate).
        like = next(iter(values)) if len(units) == 1 and units != {""} and len(thresholds) == 1 else None
        ruleset = ruleset_by_label(ruleset_label)
        names = {k: (ruleset.parameter_labels.get(k) if ruleset else None) or label(k) for k in thresholds}
        shown = [
            (f"{names[k]} " if len(thresholds) > 1 and names[k] != k else "")
            + _threshold_text(k, v, names[k], ruleset, like)
            for k, v in thresholds.items()
        ]
        text += f"｜门槛 {'、'.join(shown)}"
    return text


def _threshold_text(name: str, value, title: str, ruleset: RuleSet | None, like: str | None) -> str:
    """A threshold in its own unit: a share parameter (or a rule-set value choosing between shares) in %,
    an amount its label says is in 万美元 or 万元 with that unit; else the unit of the values it is compared with."""
    if isinstance(value, str) or value is None:
        return value_text(value)
    if "万美元" in title:
        return f"{number_text(value)} 万美元"
    if ruleset is not None:
        shares = percent_parameters(ruleset)
        read = set(re.findall(r"\w+", ruleset.values.get(name, "")))
        if name in shares or read & shares:
            return f"{number_text(float(value) * 100)}%"
        if "万元" in title:
            return numbers.money_text(value)
    return field_value_text(like, value) if like else value_text(value)


def ruleset_text(label: str) -> str:
    """`tech_sme@2022-05-01` as 科技型中小企业（2022-05-01 版）."""
    ruleset_id, _, version = (label or "").partition("@")
    name = next((r.name for r in all_rulesets() if r.id == ruleset_id), ruleset_id)
    return f"{name}（{version} 版）" if version else name


def number_text(value) -> str:
    """A count or measure as shown (engine/numbers.py): at most 4 decimals, no trailing zeros; unknown as 未知."""
    return numbers.number_text(value)


def gap_amounts(gap: dict) -> tuple[str, str, str]:
    """A gap's current and required values and its change, with the field's unit (万元 with two decimals, %):
    ("150.00 万元", "180.00 万元", "差 30.00 万元"); a ceiling reads 需减少 212.80 万元; a money gap under half a
    cent reads 差 不足 0.01 万元 (never 差 0.00 万元)."""
    name = gap.get("field") or ""

    def amount(value) -> str:
        if unit(name) == "万元" and numbers.below_a_cent(value):
            return "不足 0.01 万元"
        return "未知" if value is None else field_value_text(name, float(value))

    delta = gap.get("delta")
    change = (
        "差 未知"
        if delta is None
        else (f"需减少 {amount(-float(delta))}" if float(delta) < 0 else f"差 {amount(delta)}")
    )
    return amount(gap.get("current")), amount(gap.get("required")), change


def gap_text(gap: dict) -> str:
    """One gap with the field's unit: 研发费用：18.6 万元 → 2983.6 万元（差 2965 万元）; a share in %."""
    current, required, change = gap_amounts(gap)
    return f"{label(gap.get('field') or '')}：{current} → {required}（{change}）"


def gaps_text(gaps) -> str:
    """Gap objects as one line: 研发费用：18.6 万元 → 2983.6 万元（差 2965 万元）；…"""
    return "；".join(gap_text(g) for g in gaps or [])


def condition_labels(ruleset: RuleSet, as_of: dt.date, overrides: list[dict] | None = None) -> dict[str, str]:
    """Each condition's label with the parameters in force on `as_of` (bureau versions in `overrides`
    included): 科技人员占比≥10% reads 科技人员占比≥12% once a bureau raises the threshold."""
    params = ruleset.params(as_of, overrides or ()).as_dict()
    return {
        c["id"]: LABEL_PLACEHOLDER.sub(lambda m: _parameter_text(params[m[1]], m[2]), c["label"])
        for c in ruleset.conditions
    }


def _parameter_text(value, spec: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)  # a bureau version of another type: shown as entered, never a broken page
    if spec == "%":
        return f"{number_text(float(value) * 100)}%"
    if spec == "亿":  # money parameters are in 万
        return number_text(float(value) / 10000)
    return number_text(value)
