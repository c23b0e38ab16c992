"""The finance rule documents are validated at load, every problem named in Chinese by file, rule and field."""

from __future__ import annotations

import datetime as dt

import pytest

from kechuang.engine.finance.rules import FundRule, LoanProductRule, ProgrammeRule
from kechuang.engine.ruledata import RuleDataError, parse, rulebook

PRODUCT = {
    "id": "p",
    "name": "产品",
    "city": "太原市（本局）",
    "effective_from": "2026-01-01",
    "source": "本局",
    "verification": "U",
    "product_kind": "credit",
    "stages": ["growth"],
    "requirements": [
        {"id": "tiers", "label": "资质", "tiers": "eligible_tiers"},
        {"id": "points", "label": "积分不低于 {min_points} 分", "when": "points >= min_points"},
    ],
    "parameters": {
        "eligible_tiers": {"label": "资质", "unit": "list", "value": ["tech_sme"]},
        "min_points": {"label": "积分", "unit": "points", "value": 60},
        "max_amount": {"label": "上限", "unit": "wan", "value": 300},
        "rate_spread_bp": {"label": "加点", "unit": "number", "value": 80},
        "decision_days": {"label": "时限", "unit": "working_days", "value": 5},
    },
}


def test_every_shipped_finance_rule_loads():
    assert len(rulebook("loan_product").ids()) == 10
    for kind in ("finance_market", "finance_programme", "risk_pool", "angel_fund"):
        assert rulebook(kind).ids()
    huaian = rulebook("loan_product").in_force("points_loan_huaian", dt.date(2026, 1, 1))
    assert huaian.city == "淮安市（外地参照，非本地区产品）"  # another city's rule, shipped for reference


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"parameters": {k: v for k, v in PRODUCT["parameters"].items() if k != "decision_days"}},
            "缺少参数 decision_days",
        ),
        (
            {
                "requirements": [
                    {
                        "id": "x",
                        "label": "x",
                        "when": "points >=",
                    }
                ]
            },
            "条件 x：",
        ),
        ({"requirements": [{"id": "x", "label": "x"}]}, "每个条件写 when（条件表达式）或 tiers（资质清单参数）之一"),
        ({"requirements": [{"id": "x", "label": "差 {nope}", "when": "points > 1"}]}, "引用了不存在的参数 nope"),
        (
            {
                "parameters": {
                    **PRODUCT["parameters"],
                    "eligible_tiers": {"label": "资质", "unit": "list", "value": ["vip"]},
                }
            },
            "资质 vip 未定义",
        ),
        (
            {"parameters": {**PRODUCT["parameters"], "max_amount": {"label": "上限", "unit": "share", "value": 0.3}}},
            "参数 max_amount 的 unit 应为 wan",
        ),
        ({"product_kind": "lease"}, "应为 credit、guaranteed、ip_pledge、invest_loan 之一"),
        ({"stages": []}, "至少需要 1 项"),
    ],
)
def test_a_bad_product_rule_is_refused_in_chinese(change, message):
    with pytest.raises(RuleDataError) as err:
        parse(LoanProductRule, {**PRODUCT, **change}, file="p.yaml")
    assert message in err.value.message and "文件 p.yaml，规则 p" in err.value.message


def test_the_bureau_may_not_name_an_unknown_tier_or_a_basis_that_does_not_exist():
    doc = parse(LoanProductRule, PRODUCT)
    assert doc.check_parameter("eligible_tiers", ["tech_sme"], ["tech_sme", "vip"]).startswith("资质 vip 未定义")
    fund = rulebook("angel_fund").in_force("angel_fund_taiyuan", dt.date(2026, 1, 1))
    assert fund.check_parameter("tolerance_basis", "both", "projects").startswith("容错口径应为")
    assert fund.check_parameter("failure_ceiling", 0.8, 0.7) is None
    assert isinstance(fund, FundRule)


def test_a_programme_rule_needs_known_stages():
    base = rulebook("finance_programme").in_force("finance_programme", dt.date(2026, 1, 1))
    data = {
        **base.model_dump(exclude={"parameters", "version"}),
        "parameters": {
            name: {"label": p.label, "unit": p.unit, "value": p.versions[0].value}
            for name, p in base.parameters.items()
        },
    }
    data["parameters"]["lifecycle"]["value"] = [{"stage": "teen", "max_revenue": 1}]
    with pytest.raises(RuleDataError, match="lifecycle 每档的 stage 应为 seed、startup、growth、mature 之一"):
        parse(ProgrammeRule, data)
