"""Indicative credit lines (创新积分贷): the product finder's decision reshaped for a points run, under the
淮安 example rule moved onto the rule-data layer (rulesets/finance/products/points_loan_huaian.yaml)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from kechuang.engine.finance.credit import credit_lines
from kechuang.engine.finance.products import Product
from kechuang.engine.ruledata import rulebook

ON = dt.date(2025, 6, 30)
ALL_FIVE = ("high_tech", "tech_sme", "specialized_sme", "innovative_sme", "little_giant")


@pytest.fixture(scope="module")
def terms():
    doc = rulebook("loan_product").in_force("points_loan_huaian", ON)
    lpr = rulebook("finance_market").in_force("lpr", ON).params(ON)
    lifecycle = rulebook("finance_programme").in_force("finance_programme", ON).params(ON)["lifecycle"]
    return Product("huaian", doc, doc.params(ON)), lpr, lifecycle


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
        *[("F", t, "false") for t in ALL_FIVE],
        ("F", "gazelle", "true"),
        ("G", "high_tech", "unknown"),
        ("G", "tech_sme", "false"),
        ("H", "high_tech", "true"),
    ],
    orient="row",
    schema=["uscc", "tier", "qualified"],
)


def test_amounts_follow_the_huaian_rule(terms):
    out = {r["uscc"]: r for r in credit_lines(FIRMS, TIERS, *terms).iter_rows(named=True)}
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
    assert out["A"]["qualifying_tiers"] == "高新技术企业"
    assert out["A"]["explanation"] == (
        "符合条件（具备高企、科小、专精特新、创新型中小企业之一；经营满 1 年；"
        "处于本产品服务的阶段（初创期、成长期、成熟期））。"
        "指示性额度 1,000.00 万元（取单户上限 1,000.00 万元、近 2 年平均营业收入 1,100.00 万元 的较小者）；"
        "利率不高于一年期 LPR 3.00% + 80 基点 = 3.80%；承诺 10 个工作日内给出审批结论。"
    )
    # D is one requirement short (decision record 0003): not eligible, and told what it lacks.
    assert out["D"]["explanation"].startswith("差一项：经营满 1 年。满足后指示性额度 300.00 万元")
    assert out["F"]["explanation"].startswith("差一项：具备高企、科小、专精特新、创新型中小企业之一")
    assert out["G"]["explanation"] == "无法判断：“具备高企、科小、专精特新、创新型中小企业之一”所需的数据不全。"
    assert "额度无法测算（营业收入或积分数据不全）" in out["H"]["explanation"]


def test_points_bands_cap_the_line(terms):
    product, lpr, lifecycle = terms
    banded = Product(
        "banded",
        product.doc,
        {
            **product.params,
            "max_amount": 500,
            "average_years": 1,
            "points_bands": [{"min": 60, "cap": 100}, {"min": 80, "cap": 300}],
        },
    )
    firms = pl.DataFrame(
        {
            "uscc": ["A", "B", "C", "D"],
            "revenue": [1000.0] * 4,
            "age_years": [3.0] * 4,
            "points": [85.0, 79.99, 59.99, None],
        }
    )
    tiers = pl.DataFrame({"uscc": ["A", "B", "C", "D"], "tier": ["high_tech"] * 4, "qualified": [True] * 4})
    out = credit_lines(firms, tiers, banded, lpr, lifecycle)
    # Below the lowest band the cap is 0; without points the band (so the line) is unknown.
    assert out["amount"].to_list() == [300.0, 100.0, 0.0, None]
    assert out["eligible"].to_list() == [True, True, True, True]


def test_works_on_the_derived_frame(terms):
    from kechuang.engine.derive import derived_for_year

    panel = pl.DataFrame(
        {
            "uscc": ["A", "A", "B"],
            "year": [2023, 2024, 2024],
            "revenue": [600.0, 800.0, 150.0],
            "registered_on": [dt.date(2018, 1, 1), dt.date(2018, 1, 1), dt.date(2024, 3, 1)],
        }
    )
    firms = derived_for_year(panel, 2024, dt.date(2025, 3, 1))
    tiers = pl.DataFrame({"uscc": ["A", "B"], "tier": ["tech_sme", "tech_sme"], "qualified": [True, True]})
    out = {r["uscc"]: r for r in credit_lines(firms, tiers, *terms).iter_rows(named=True)}
    assert (out["A"]["amount"], out["A"]["basis_kind"]) == (700.0, "average")
    # B registered 2024-03-01: 1 year old on 2025-03-01 (boundary included), younger than 2 → last year's.
    assert (out["B"]["eligible"], out["B"]["amount"], out["B"]["basis_kind"]) == (True, 150.0, "last_year")
