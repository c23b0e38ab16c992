"""Rule fidelity (issue 15): what the YAML cases cannot say — sources and flags on every value, band tables that
cover every value, dated versions, explanations that name the 高企 denominator, and the derived values the
2022/2026 standards read (SME size, 3-year compliance, the as-of year's events, Ⅰ类 subset counts)."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from kechuang.engine import derive
from kechuang.engine.tiers import RuleSetError, evaluate
from kechuang.engine.tiers.evaluate import _bitmask, _mask_text
from kechuang.engine.tiers.model import all_rulesets, ruleset_by_label, select_rulesets
from kechuang.engine.tiers.scoring import BOUND_OPS

AS_OF = dt.date(2025, 6, 1)


def test_every_parameter_value_has_a_flag_and_a_source():
    for r in all_rulesets():
        for name, parameter in r.parameters.items():
            for v in parameter.versions:
                assert v.verified in ("V", "P", "U"), (r.id, name)
                assert v.source.strip(), (r.id, name)


def _band_tables():
    for r in all_rulesets():
        for name, parameter in r.parameters.items():
            for v in parameter.versions:
                if isinstance(v.value, list) and v.value and all(isinstance(row, dict) for row in v.value):
                    yield r.id, name, v.value


def test_no_value_falls_in_no_band():
    """Every band table ends with a fallback row (points only), so any value, unknown aside, lands in a band."""
    tables = list(_band_tables())
    assert len(tables) > 30
    for ruleset, name, rows in tables:
        last = rows[-1]
        assert set(last) == {"points"}, (ruleset, name)
        assert all(set(row) & ({"when"} | set(BOUND_OPS)) for row in rows[:-1]), (ruleset, name)


def test_debt_bands_resolve_their_boundaries_the_same_way_everywhere():
    """民法典 第1259条: 以下 and 以上 include the number. 创新型: 55% scores 10 and 75% scores 0; 专精特新:
    50% scores 5, 60% scores 3 and 70% scores 0 — in every version that has the table."""
    seen = 0
    for r in all_rulesets():
        debt = r.parameters.get("debt_bands")
        if not debt:
            continue
        table = debt.versions[-1].value
        first = table[0]
        assert "max" in first and table[-2].get("below") is not None, r.id
        seen += 1
    assert seen == 3  # 创新型 2022 and 2026, 专精特新 2022


def test_2022_and_2026_versions_hand_over_on_2026_04_01():
    for tier in ("innovative_sme", "specialized_sme", "little_giant"):
        (before,) = select_rulesets(dt.date(2026, 3, 31), [tier])
        (after,) = select_rulesets(dt.date(2026, 4, 1), [tier])
        assert (before.id, before.version) == (tier, "2022-08-01")
        assert (after.id, after.version) == (f"{tier}_2026", "2026-04-01")
        with pytest.raises(RuleSetError):
            select_rulesets(dt.date(2022, 7, 31), [tier])  # the 2022 measure took effect on 2022-08-01


def test_results_stored_under_a_corrected_version_label_still_find_their_rule_set():
    assert ruleset_by_label("innovative_sme@2022-06-01").label == "innovative_sme@2022-08-01"
    assert ruleset_by_label("gazelle_jinan@2020-01-01").label == "gazelle_jinan@2016-01-01"
    assert ruleset_by_label("innovative_sme@1999-01-01") is None


def test_a_bureau_version_of_a_parameter_another_version_dropped_does_not_apply():
    (giant,) = select_rulesets(dt.date(2026, 6, 30), ["little_giant"])
    # `requires_specialized_title` exists in the 2022 version only: a bureau version keyed by id little_giant
    # must not break the 2022 rule set, and the 2026 rule set (another id) does not see it at all.
    (old,) = select_rulesets(AS_OF, ["little_giant"])
    stale = [
        {
            "ruleset": "little_giant",
            "parameter": "requires_specialized_title",
            "effective_from": "2024-01-01",
            "value": False,
        }
    ]
    assert old.params(AS_OF, stale)["requires_specialized_title"] is False
    assert "requires_specialized_title" not in giant.params(dt.date(2026, 6, 30), stale)
    with pytest.raises(RuleSetError, match="规则 little_giant：没有参数“no_such”"):
        old.params(AS_OF, [{**stale[0], "parameter": "no_such"}])


HTE = {
    "uscc": "H",
    "name": "高",
    "year": 2024,
    "registered_on": dt.date(2015, 1, 1),
    "hightech_field": "electronic_information",
    "staff_total": 100.0,
    "tech_staff": 20.0,
    "revenue": 5000.0,
    "hightech_revenue": 3000.0,
    "rd_expense": 300.0,
    "rd_expense_domestic": 300.0,
}


@pytest.mark.parametrize(
    ("extra", "basis", "base", "outcome"),
    [
        ({"total_income": 5500.0, "nontaxable_income": 500.0}, "收入总额−不征税收入", 5000.0, "true"),
        ({"total_income": 6000.0, "nontaxable_income": 0.0}, "收入总额−不征税收入", 6000.0, "false"),
        ({}, "营业收入（未填收入总额或不征税收入时暂用）", 5000.0, "true"),
    ],
)
def test_the_hightech_share_explains_its_denominator(extra, basis, base, outcome):
    out = evaluate(pl.DataFrame([{**HTE, **extra}], strict=False), AS_OF, ["high_tech"]).row(0, named=True)
    condition = json.loads(out["explanation"])["conditions"]["hightech_revenue_share"]
    assert condition["outcome"] == outcome
    assert condition["values"]["total_income_basis"] == basis
    assert condition["values"]["total_income_hte"] == base


def test_sme_size_by_sector_and_unknowns():
    panel = pl.DataFrame(
        {
            "uscc": ["I", "S", "R", "U", "N"],
            "year": [2024] * 5,
            "industry_code": ["3911", "6510", "7010", "3911", None],
            "staff_total": [1000.0, 300.0, 5.0, None, 10.0],
            "revenue": [40000.0, 9999.0, 300000.0, 50000.0, 10.0],
            "total_assets": [1.0, 1.0, 9999.0, 1.0, 1.0],
        }
    )
    d = derive.derived_for_year(panel, 2024, AS_OF)
    assert d["is_sme"].to_list() == [False, True, True, None, None]
    assert d["sme_sector"].to_list() == ["工业", "软件和信息技术服务业", "房地产开发经营", "工业", None]


def test_three_year_events_and_the_as_of_year_row():
    rows = [
        {"uscc": "A", "year": 2022, "tax_evasion": True, "registered_on": dt.date(2010, 1, 1)},
        {"uscc": "A", "year": 2023, "tax_evasion": False},
        {"uscc": "A", "year": 2024, "tax_evasion": False},
        {"uscc": "B", "year": 2021, "tax_evasion": True, "registered_on": dt.date(2010, 1, 1)},
        {"uscc": "B", "year": 2022, "tax_evasion": False},
        {"uscc": "B", "year": 2023, "tax_evasion": False},
        {"uscc": "B", "year": 2024, "tax_evasion": False},
        {"uscc": "B", "year": 2025, "tax_evasion": True},
        {"uscc": "C", "year": 2024, "tax_evasion": False, "registered_on": dt.date(2024, 5, 1)},
        {"uscc": "D", "year": 2024, "tax_evasion": False, "registered_on": dt.date(2010, 1, 1)},
    ]
    d = derive.derived_for_year(pl.DataFrame(rows, strict=False), 2024, AS_OF).sort("uscc")
    # A: 2022 is in the window; B: 2021 is not, its 2025 row is read as the as-of year; C: registered in 2024
    # counts only 2024; D: no rows for 2022–2023 — unknown.
    assert d["tax_evasion_3y"].to_list() == [True, False, False, None]
    assert d["tax_evasion_next1"].to_list() == [None, True, None, None]
    assert d["has_next_year_row"].to_list() == [False, True, False, False]


def test_subset_ip_counts_are_zero_without_class1_ip():
    panel = pl.DataFrame(
        {"uscc": ["Z", "K"], "year": [2024, 2024], "invention_patents": [0, 2], "utility_models": [3, 0]},
        schema_overrides={"invention_patents": pl.Int64, "utility_models": pl.Int64},
    )
    d = derive.derived_for_year(panel, 2024, AS_OF)
    assert d.select("class1_high_value", "class1_self_developed", "class1_ip_applied").rows() == [
        (0, 0, 0),
        (None, None, None),
    ]


def test_failed_and_missing_lists_beyond_64_names():
    flags = [pl.col("x") > i for i in range(70)]
    mask = pl.DataFrame({"x": [-1, 3, 69]}).select(_bitmask(flags).alias("m"))["m"]
    names = [f"n{i}" for i in range(70)]
    texts = _mask_text(mask, names).to_list()
    assert texts[0] == "" and texts[1] == "n0;n1;n2"
    assert texts[2].split(";") == names[:69]


def test_a_little_giant_with_nothing_filled_in_lists_every_missing_item():
    out = evaluate(pl.DataFrame([{"uscc": "X", "name": "x", "year": 2024}]), AS_OF, ["little_giant"])
    missing = out["missing"][0].split(";")
    assert out["qualified"][0] == "unknown"
    assert {
        "core_business_it_system",
        "chain_key_link",
        "key_field_product",
        "class1_ip_applied",
        "tax_evasion",
        "data_security_incident@2023",
        "restricted_products",
    } <= set(missing)
