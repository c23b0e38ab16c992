"""Indicative credit lines (创新积分贷) under the shipped 淮安 rule."""

from __future__ import annotations

import polars as pl
import pytest

from kechuang.engine.points import SchemeError
from kechuang.engine.points.credit import credit_lines, credit_rule_from_dict, load_credit_rule
from kechuang.engine.points.registry import CREDIT_DIR


@pytest.fixture(scope="module")
def rule():
    return load_credit_rule(CREDIT_DIR / "points_loan_huaian.yaml")


FIRMS = pl.DataFrame(
    [
        ("A", 1200.0, 1000.0, 5.0),  # average 1100 > 1000 cap
        ("B", 300.0, 500.0, 5.0),  # average 400
        ("C", 300.0, None, 1.5),  # younger than 2 years: last year's revenue
        ("D", 300.0, None, 0.99),  # under 1 year operating
        ("E", 200.0, None, 1.0),  # exactly 1 year: 以上 includes the boundary
        ("F", 900.0, 900.0, 5.0),  # no qualifying tier
        ("G", 900.0, 900.0, 5.0),  # tier results unknown
        ("H", 900.0, None, 3.0),  # old enough but last-but-one year missing: basis unknown
    ],
    orient="row",
    schema=["uscc", "revenue", "revenue_prev1", "age_years"],
)
TIERS = pl.DataFrame(
    [
        ("A", "high_tech", "true"),
        ("A", "tech_sme", "false"),
        ("B", "tech_sme", "true"),
        ("C", "innovative_sme", "true"),
        ("D", "high_tech", "true"),
        ("E", "specialized_sme", "true"),
        ("F", "high_tech", "false"),
        ("F", "gazelle", "true"),
        ("G", "high_tech", "unknown"),
        ("G", "tech_sme", "false"),
        ("H", "high_tech", "true"),
    ],
    orient="row",
    schema=["uscc", "tier", "qualified"],
)


def test_amounts_follow_the_huaian_rule(rule):
    out = {r["uscc"]: r for r in credit_lines(FIRMS, TIERS, rule).iter_rows(named=True)}
    got = {u: (r["eligible"], r["amount"], r["basis_kind"]) for u, r in out.items()}
    assert got == {
        "A": (True, 1000.0, "average"),
        "B": (True, 400.0, "average"),
        "C": (True, 300.0, "last_year"),
        "D": (False, 0.0, "last_year"),
        "E": (True, 200.0, "last_year"),
        "F": (False, 0.0, "average"),
        "G": (None, None, "average"),
        "H": (True, None, None),
    }
    assert out["A"]["explanation"] == (
        "指示性额度 1000 万元：取单户上限 1000 万元与近 2 年平均营业收入 1100 万元 的较小者；"
        "资质：高新技术企业。"
        "利率不高于 LPR + 80bp；政府性融资担保机构承担 60% 本金风险。"
    )
    assert out["D"]["explanation"] == "不符合条件：经营不满 1 年"
    assert out["F"]["explanation"].startswith("不符合条件：不具备高新技术企业、科技型中小企业")
    assert out["G"]["explanation"] == "无法测算：资质认定结果未知"
    assert out["H"]["explanation"] == "无法测算：营业收入数据不全"


def test_boolean_qualified_and_points_bands(rule):
    data = {
        "id": "x",
        "effective_from": rule.effective_from,
        "max_amount": 500,
        "revenue_cap": {"average_years": 1},
        "eligible_tiers": ["high_tech"],
        "min_operating_years": 1,
        "min_points": 60,
        "points_bands": [{"min": 60, "cap": 100}, {"min": 80, "cap": 300}],
    }
    strict = credit_rule_from_dict(data)
    firms = pl.DataFrame(
        {
            "uscc": ["A", "B", "C", "D"],
            "revenue": [1000.0] * 4,
            "age_years": [3.0] * 4,
            "points": [85.0, 79.99, 59.99, None],
        }
    )
    tiers = pl.DataFrame({"uscc": ["A", "B", "C", "D"], "tier": ["high_tech"] * 4, "qualified": [True] * 4})
    out = credit_lines(firms, tiers, strict)
    assert out["amount"].to_list() == [300.0, 100.0, 0.0, None]
    assert out["eligible"].to_list() == [True, True, False, None]
    assert out["explanation"][2] == "不符合条件：积分低于 60 分"


def test_rule_validation_is_chinese():
    with pytest.raises(SchemeError) as exc:
        credit_rule_from_dict({"id": "bad", "max_amount": -1, "eligible_tiers": ["vip"]})
    assert exc.value.errors == [
        "max_amount 应为非负数字，现为“-1”",
        "eligible_tiers 中的资质 vip 未定义（可选：tech_sme、high_tech、innovative_sme、specialized_sme、"
        "little_giant、gazelle、potential_gazelle、unicorn、potential_unicorn）",
        "缺少生效日期 effective_from（YYYY-MM-DD）",
    ]


def test_works_on_the_derived_frame(rule):
    import datetime as dt

    from kechuang.engine.derive import derived_for_year

    panel = pl.DataFrame({
        "uscc": ["A", "A", "B"], "year": [2023, 2024, 2024], "revenue": [600.0, 800.0, 150.0],
        "registered_on": [dt.date(2018, 1, 1), dt.date(2018, 1, 1), dt.date(2024, 3, 1)],
    })
    firms = derived_for_year(panel, 2024, dt.date(2025, 3, 1))
    tiers = pl.DataFrame({"uscc": ["A", "B"], "tier": ["tech_sme", "tech_sme"], "qualified": [True, True]})
    out = {r["uscc"]: r for r in credit_lines(firms, tiers, rule).iter_rows(named=True)}
    assert (out["A"]["amount"], out["A"]["basis_kind"]) == (700.0, "average")
    # B registered 2024-03-01: 1 year old on 2025-03-01 (boundary included), younger than 2 → last year's.
    assert (out["B"]["eligible"], out["B"]["amount"], out["B"]["basis_kind"]) == (True, 150.0, "last_year")
