"""derive.derived_for_year: hand-computed derived values, windows, unknowns and boundaries."""

import datetime as dt

import polars as pl
import pytest

from kechuang.engine.derive import _fractional_years, age_comparison, age_unknown, derived_for_year, facts_fields


def _panel(rows):
    return pl.DataFrame(rows, strict=False)


def _one(rows, year=2024, as_of=dt.date(2025, 6, 1), uscc="A"):
    return derived_for_year(_panel(rows), year, as_of).filter(pl.col("uscc") == uscc).row(0, named=True)


BASE = [
    {"uscc": "A", "name": "a", "year": 2021, "revenue": 800.0},
    {
        "uscc": "A",
        "name": "a",
        "year": 2022,
        "revenue": 1000.0,
        "rd_expense": 40.0,
        "rd_expense_domestic": 30.0,
        "total_assets": 2000.0,
        "total_liabilities": 1000.0,
        "main_revenue": 800.0,
        "equity_financing": 100.0,
        "conversions": 1,
    },
    {
        "uscc": "A",
        "name": "a",
        "year": 2023,
        "revenue": 1200.0,
        "rd_expense": 60.0,
        "rd_expense_domestic": 60.0,
        "total_assets": 3000.0,
        "total_liabilities": 1500.0,
        "main_revenue": 1000.0,
        "equity_financing": 200.0,
        "conversions": 2,
    },
    {
        "uscc": "A",
        "name": "a",
        "year": 2024,
        "revenue": 1500.0,
        "rd_expense": 100.0,
        "rd_expense_domestic": 50.0,
        "total_assets": 4000.0,
        "total_liabilities": 1000.0,
        "main_revenue": 1200.0,
        "equity_financing": 300.0,
        "conversions": 6,
        "staff_total": 50.0,
        "tech_staff": 11.0,
        "total_cost_expense": 1250.0,
        "net_profit": 150.0,
        "registered_on": dt.date(2015, 6, 1),
        "invention_patents": 2,
        "software_copyrights": 3,
    },
]


def test_one_row_per_enterprise_with_that_years_values():
    rows = [*BASE, {"uscc": "B", "name": "b", "year": 2023, "revenue": 5.0}]
    out = derived_for_year(_panel(rows), 2024, dt.date(2025, 6, 1))
    assert out.height == 2
    b = out.filter(pl.col("uscc") == "B").row(0, named=True)
    assert b["revenue"] is None and b["revenue_prev1"] == 5.0 and b["has_year_row"] is False


def test_ratios_by_hand():
    r = _one(BASE)
    assert r["net_assets"] == 3000.0
    assert r["debt_ratio"] == 0.25
    assert r["tech_staff_ratio"] == 0.22
    assert r["rd_ratio_revenue"] == pytest.approx(100 / 1500)
    assert r["rd_ratio_cost"] == 0.08
    assert r["main_revenue_share"] == 0.8
    assert r["net_margin"] == 0.1
    assert r["class1_ip"] == 2 and r["class2_ip"] == 3


def test_three_year_windows_and_sums():
    r = _one(BASE)
    assert r["window_years_3y"] == 3
    assert r["rd_expense_3y"] == 200.0
    assert r["revenue_3y"] == 3700.0
    assert r["rd_ratio_3y"] == pytest.approx(200 / 3700)
    assert r["rd_domestic_share"] == pytest.approx(140 / 200)
    assert r["conversions_avg_3y"] == 3.0
    assert r["equity_financing_3y"] == 600.0
    assert r["equity_financing_2y"] == 500.0
    assert r["rd_expense_2y"] == 160.0 and r["rd_expense_avg_2y"] == 80.0


def test_growth_is_exact_at_decimal_boundaries():
    r = _one(BASE)
    assert r["revenue_growth"] == 0.25  # (1500 − 1200) / 1200
    assert r["main_revenue_growth"] == 0.2
    assert r["main_revenue_growth_prev1"] == 0.25
    assert r["main_revenue_growth_avg_2y"] == pytest.approx(0.225)
    rows = [
        {"uscc": "A", "name": "a", "year": 2023, "main_revenue": 2000.0},
        {"uscc": "A", "name": "a", "year": 2024, "main_revenue": 2300.0},
    ]
    assert _one(rows)["main_revenue_growth"] >= 0.15  # 2300/2000 − 1 would be 0.1499999…


def _exact_multiples(rate: float, n: int = 3000) -> list[tuple[float, float]]:
    """(amount, amount × rate) pairs with 4 decimals where the product is exact in decimal."""
    pairs = []
    for cents in range(100_000, 100_000 + 7 * n, 7):
        amount = cents / 100
        part = round(amount * rate, 4)
        if abs(part - amount * rate) < 1e-9:
            pairs.append((amount, part))
    return pairs


def test_ratios_sitting_on_a_threshold_are_not_below_it():
    # 5% of 4-decimal revenue: in binary floats rd / revenue is 0.049999999999999996 for ~40% of them.
    pairs = _exact_multiples(0.05)
    rows = [
        {"uscc": f"E{i}", "name": "e", "year": y, "revenue": revenue, "rd_expense": rd}
        for i, (revenue, rd) in enumerate(pairs)
        for y in (2022, 2023, 2024)
    ]
    derived = derived_for_year(_panel(rows), 2024, dt.date(2025, 6, 1))
    assert len(pairs) > 1000
    assert derived["rd_ratio_revenue"].to_list() == [0.05] * len(pairs)
    assert derived["rd_ratio_3y"].to_list() == [0.05] * len(pairs)


@pytest.mark.parametrize("rate", [0.05, 0.15, 0.25, 0.35])
def test_hte_growth_exactly_on_a_band_boundary(rate):
    # X₂ = X₁(1 + g), X₃ = X₂(1 + g): ½(X₂/X₁ + X₃/X₂) − 1 = g, which the plain formula misses (0.1499999…)
    rows = []
    for i, cents in enumerate(range(100_000, 130_000, 37)):
        x1 = cents / 100
        x2 = round(x1 * (1 + rate), 4)
        x3 = round(x2 * (1 + rate), 4)
        if abs(x2 - x1 * (1 + rate)) < 1e-9 and abs(x3 - x2 * (1 + rate)) < 1e-9:
            rows += [{"uscc": f"E{i}", "name": "e", "year": 2022 + k, "revenue": v} for k, v in enumerate((x1, x2, x3))]
    growth = derived_for_year(_panel(rows), 2024, dt.date(2025, 6, 1))["revenue_growth_hte"]
    assert growth.len() > 50
    assert growth.to_list() == [rate] * growth.len()


def test_cagr_exactly_on_a_threshold():
    rows = [
        {"uscc": "A", "name": "a", "year": 2021, "revenue": 1000.0},
        {"uscc": "A", "name": "a", "year": 2024, "revenue": 1728.0},  # 1000 × 1.2³
    ]
    assert _one(rows)["revenue_cagr_3y"] == 0.2  # the cube root alone gives 0.19999999999999996


def test_money_sums_are_exact_decimals():
    rows = [
        {"uscc": "A", "name": "a", "year": 2022 + k, "rd_expense": v, "revenue": 1.0}
        for k, v in enumerate((0.1, 0.1, 0.2))
    ]
    r = _one(rows)
    assert r["rd_expense_3y"] == 0.4
    assert r["rd_expense_2y"] == 0.3  # 0.2 + 0.1 = 0.30000000000000004


def test_cagr_and_hte_growth():
    r = _one(BASE)
    assert r["revenue_cagr_2y"] == pytest.approx((1500 / 1000) ** 0.5 - 1)
    assert r["revenue_cagr_3y"] == pytest.approx((1500 / 800) ** (1 / 3) - 1)
    assert r["revenue_growth_hte"] == pytest.approx(0.5 * (1200 / 1000 + 1500 / 1200) - 1)
    # net assets 1000, 1500, 3000
    assert r["net_assets_growth_hte"] == pytest.approx(0.5 * (1.5 + 2.0) - 1)


@pytest.mark.parametrize(
    ("x1", "x2", "x3", "expected"),
    [(0.0, 100.0, 150.0, 0.5), (100.0, 0.0, 150.0, 0.0), (100.0, 90.0, 80.0, 0.0)],
)
def test_hte_growth_special_cases(x1, x2, x3, expected):
    rows = [{"uscc": "A", "name": "a", "year": 2022 + i, "revenue": v} for i, v in enumerate((x1, x2, x3))]
    assert _one(rows)["revenue_growth_hte"] == pytest.approx(expected)


def test_young_firm_counts_fewer_years():
    rows = [
        {
            "uscc": "A",
            "name": "a",
            "year": 2023,
            "revenue": 100.0,
            "rd_expense": 10.0,
            "registered_on": dt.date(2023, 3, 1),
        },
        {"uscc": "A", "name": "a", "year": 2024, "revenue": 300.0, "rd_expense": 10.0},
    ]
    r = _one(rows)
    assert r["window_years_3y"] == 2
    assert r["revenue_3y"] == 400.0 and r["rd_ratio_3y"] == 0.05


def test_unknown_inputs_give_unknown_values():
    rows = [dict(BASE[3], rd_expense=None, staff_total=0.0)]
    r = _one(rows)
    assert r["rd_ratio_revenue"] is None
    assert r["tech_staff_ratio"] is None  # zero denominator is undefined, not 0
    assert r["rd_expense_3y"] is None  # 2022 and 2023 rows absent
    assert r["revenue_growth"] is None


def test_ip_block_policy():
    none_filled = _one([{"uscc": "A", "name": "a", "year": 2024}])
    assert none_filled["class1_ip"] is None and none_filled["class2_ip"] is None
    one_filled = _one([{"uscc": "A", "name": "a", "year": 2024, "utility_models": 1}])
    assert one_filled["class1_ip"] == 0 and one_filled["class2_ip"] == 1


@pytest.mark.parametrize(
    ("registered", "age"),
    [(dt.date(2024, 6, 1), 1.0), (dt.date(2020, 6, 1), 5.0), (dt.date(2025, 6, 2), None)],
)
def test_age_is_exact_on_anniversaries(registered, age):
    r = _one([{"uscc": "A", "name": "a", "year": 2024, "registered_on": registered}])
    assert r["age_years"] == age


def test_age_just_before_anniversary_is_below():
    r = _one([{"uscc": "A", "name": "a", "year": 2024, "registered_on": dt.date(2024, 6, 2)}])
    assert 0.99 < r["age_years"] < 1.0


# As-of days on and around 29 February, in a leap year and in common years.
AGE_DAYS = [dt.date(2025, 2, 28), dt.date(2025, 3, 1), dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2025, 6, 1)]


@pytest.mark.parametrize("day", AGE_DAYS)
@pytest.mark.parametrize("op", [">=", ">", "<", "<="])
@pytest.mark.parametrize("threshold", [0, 1, 5, 10, 1.5])
def test_age_compared_as_dates_is_the_age_compared(day, op, threshold):
    """Every registration date of 13 years, and none, at each day: the date comparison gives exactly what
    comparing the fractional age gives (true, false, unknown)."""
    starts = pl.date_range(dt.date(day.year - 12, 1, 1), dt.date(day.year + 1, 12, 31), eager=True)
    frame = pl.DataFrame({"registered_on": starts.append(pl.Series([None], dtype=pl.Date))})
    age = _fractional_years(pl.col("registered_on"), day)
    by_age = {">=": age >= threshold, ">": age > threshold, "<": age < threshold, "<=": age <= threshold}[op]
    out = frame.select(by_age.alias("age"), age_comparison("registered_on", day, op, threshold).alias("dates"))
    assert out["dates"].to_list() == out["age"].to_list()
    unknown = frame.select(age.is_null().alias("age"), age_unknown("registered_on", day).alias("dates"))
    assert unknown["dates"].to_list() == unknown["age"].to_list()


@pytest.mark.parametrize(
    ("registered", "day", "at_least_5"),
    [
        (dt.date(2020, 2, 29), dt.date(2025, 2, 28), True),  # the anniversary of 29 February in a common year
        (dt.date(2020, 3, 1), dt.date(2025, 2, 28), False),
        (dt.date(2019, 2, 28), dt.date(2024, 2, 29), True),
        (dt.date(2019, 3, 1), dt.date(2024, 2, 29), False),
        (dt.date(2020, 6, 1), dt.date(2025, 6, 1), True),  # the boundary day itself
        (dt.date(2020, 6, 2), dt.date(2025, 6, 1), False),
        (dt.date(2025, 6, 2), dt.date(2025, 6, 1), None),  # registered after the day: unknown
    ],
)
def test_age_at_least_on_the_boundary_day(registered, day, at_least_5):
    frame = pl.DataFrame({"registered_on": [registered]})
    assert frame.select(age_comparison("registered_on", day, ">=", 5)).item() is at_least_5
    assert frame.select(age_comparison("registered_on", day, "<", 5)).item() is (
        None if at_least_5 is None else not at_least_5
    )


def test_age_equality_and_negative_thresholds_are_left_to_the_age():
    day = dt.date(2025, 6, 1)
    assert age_comparison("registered_on", day, "==", 5) is None
    assert age_comparison("registered_on", day, ">=", -1) is None


def test_static_columns_take_latest_known_value():
    rows = [
        {"uscc": "A", "name": "old", "year": 2023, "industry_code": "3911"},
        {"uscc": "A", "name": "new", "year": 2024, "industry_code": None},
    ]
    r = _one(rows)
    assert r["name"] == "new" and r["industry_code"] == "3911"


def test_facts_fields_expand_derived_values():
    assert facts_fields(["rd_ratio_revenue", "staff_total"]) == ["rd_expense", "revenue", "staff_total"]


def test_leap_day_anniversary_and_unaligned_panels_agree():
    leap = _one(
        [{"uscc": "A", "name": "a", "year": 2024, "registered_on": dt.date(2020, 2, 29)}],
        as_of=dt.date(2025, 2, 28),
    )
    assert leap["age_years"] == 5.0  # 2025-02-28 is the fifth anniversary of a 29 February
    aligned = derived_for_year(_panel(BASE), 2024, dt.date(2025, 6, 1))
    shuffled = derived_for_year(_panel(list(reversed(BASE))), 2024, dt.date(2025, 6, 1))
    assert aligned.row(0, named=True) == shuffled.row(0, named=True)


def test_enterprise_without_a_row_this_year_is_kept_and_duplicates_keep_the_last_row():
    rows = [
        *BASE,
        {"uscc": "C", "name": "c", "year": 2022, "revenue": 1.0},
        {"uscc": "A", "name": "a", "year": 2024, "revenue": 9.0},
    ]
    out = derived_for_year(_panel(rows), 2024, dt.date(2025, 6, 1))
    assert out["uscc"].to_list() == ["A", "C"]
    assert out.row(0, named=True)["revenue"] == 9.0
    assert out.row(1, named=True)["has_year_row"] is False
