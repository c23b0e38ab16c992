"""The national incubator conditions (国家级科技企业孵化器) a carrier's data can decide.

Policy:
- The conditions and their thresholds are the rule document's parameters (torch_incubator); each condition
  is met (True), not met (False) or unknown (None) when a figure it needs is unknown. Unknown is not "not met":
  the overall result is 达到 only when every condition is met, 未达到 when any is not met, else 待补充数据.
- The IP condition has two ways in: firms that applied for patents ≥ `min_patent_share` of the residents, or
  firms holding valid IP ≥ `min_ip_share`; it is met when either is, not met when both are not.
- Inputs (the loader computes them from the platform): area_m2, opened_on, residents, graduated (firms that
  graduated from the carrier, cumulative), seed_fund (万元), mentors, financed_share, patent_share, ip_share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping


def _years(opened_on: dt.date | None, as_of: dt.date) -> int | None:
    if opened_on is None:
        return None
    years = as_of.year - opened_on.year - ((as_of.month, as_of.day) < (opened_on.month, opened_on.day))
    return max(years, 0)


def _ge(value, required) -> bool | None:
    return None if value is None else value >= required


def _num(value, unit: str = "") -> str:
    if value is None:
        return "未知"
    if unit == "%":
        return f"{value:.0%}"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{text}{unit}"


def check(facts: Mapping, params: Mapping, as_of: dt.date) -> dict:
    """{"conditions": [{id, label, value, required, outcome, text}], "outcome": True/False/None, "summary"}."""
    residents = facts.get("residents")
    area = facts.get("area_m2")
    mentors = facts.get("mentors")
    years = _years(facts.get("opened_on"), as_of)
    density = None if residents is None or not area else residents / (area / 1000)
    mentor_ratio = None if mentors is None or not residents else mentors / residents
    patent, ip = facts.get("patent_share"), facts.get("ip_share")
    patent_ok, ip_ok = _ge(patent, params["min_patent_share"]), _ge(ip, params["min_ip_share"])
    ip_outcome = True if (patent_ok or ip_ok) else (False if patent_ok is False and ip_ok is False else None)
    rows = [
        (
            "operating_years",
            "运营年限",
            years,
            params["min_operating_years"],
            _ge(years, params["min_operating_years"]),
            f"{_num(years, ' 年')}，要求运营满 {params['min_operating_years']:g} 年",
        ),
        (
            "area",
            "可自主支配的孵化场地面积",
            area,
            params["min_area_m2"],
            _ge(area, params["min_area_m2"]),
            f"{_num(area, ' 平方米')}，要求不低于 {params['min_area_m2']:,.0f} 平方米",
        ),
        (
            "residents",
            "在孵企业数",
            residents,
            params["min_residents"],
            _ge(residents, params["min_residents"]),
            f"{_num(residents, ' 家')}，要求不少于 {params['min_residents']:g} 家",
        ),
        (
            "density",
            "每千平方米在孵企业数",
            density,
            params["min_density"],
            _ge(density, params["min_density"]),
            f"{_num(density)}，要求不少于 {params['min_density']:g} 家",
        ),
        (
            "graduated",
            "累计毕业企业数",
            facts.get("graduated"),
            params["min_graduated"],
            _ge(facts.get("graduated"), params["min_graduated"]),
            f"{_num(facts.get('graduated'), ' 家')}，要求 {params['min_graduated']:g} 家以上",
        ),
        (
            "seed_fund",
            "自有种子资金或合作孵化资金",
            facts.get("seed_fund"),
            params["min_seed_fund"],
            _ge(facts.get("seed_fund"), params["min_seed_fund"]),
            f"{_num(facts.get('seed_fund'), ' 万元')}，要求不低于 {params['min_seed_fund']:g} 万元",
        ),
        (
            "financed_share",
            "获得投融资的在孵企业占比",
            facts.get("financed_share"),
            params["min_financed_share"],
            _ge(facts.get("financed_share"), params["min_financed_share"]),
            f"{_num(facts.get('financed_share'), '%')}，要求不低于 {params['min_financed_share']:.0%}",
        ),
        (
            "mentors",
            "创业导师与在孵企业数之比",
            mentor_ratio,
            params["min_mentor_ratio"],
            _ge(mentor_ratio, params["min_mentor_ratio"]),
            f"导师 {_num(mentors, ' 名')}，要求每 10 家在孵企业至少 {params['min_mentor_ratio'] * 10:g} 名",
        ),
        (
            "ip",
            "在孵企业知识产权",
            None,
            None,
            ip_outcome,
            f"已申请专利的企业占 {_num(patent, '%')}（要求不低于 {params['min_patent_share']:.0%}），"
            f"或拥有有效知识产权的企业占 {_num(ip, '%')}（要求不低于 {params['min_ip_share']:.0%}）",
        ),
    ]
    conditions = [
        {"id": i, "label": label, "value": value, "required": required, "outcome": outcome, "text": text}
        for i, label, value, required, outcome, text in rows
    ]
    outcomes = [c["outcome"] for c in conditions]
    overall = False if False in outcomes else (None if None in outcomes else True)
    missing = [c["label"] for c in conditions if c["outcome"] is None]
    failed = [c["label"] for c in conditions if c["outcome"] is False]
    if overall is True:
        summary = "各项条件均已达到"
    elif overall is False:
        summary = "未达到：" + "、".join(failed) + (f"；另缺数据：{'、'.join(missing)}" if missing else "")
    else:
        summary = "待补充数据：" + "、".join(missing)
    return {"conditions": conditions, "outcome": overall, "summary": summary}
