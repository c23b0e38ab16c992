"""Benefit formulas, caps, limits and exact money, decided on hand-built input frames."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from kechuang.engine.policies import decide

AS_OF = dt.date(2025, 6, 30)
D = Decimal


def version(benefit, eligibility=None, limits=None):
    return {
        "id": "demo",
        "name": "示例",
        "issuer": "局",
        "document": "文号",
        "source": "s",
        "verification": "V",
        "delivery": "auto",
        "effective_from": "2025-01-01",
        "eligibility": eligibility or [{"id": "valley", "when": "valley_resident"}],
        "benefit": benefit,
        **({"limits": limits} if limits else {}),
    }


def run(benefit, rows, **kwargs):
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if "uscc" not in frame.columns:
        frame = frame.with_row_index("uscc").with_columns(pl.col("uscc").cast(pl.Utf8))
    if "valley_resident" not in frame.columns:
        frame = frame.with_columns(pl.lit(True).alias("valley_resident"))
    return decide(version(benefit, **kwargs), frame, AS_OF)


def amounts(result):
    return [None if a is None else D(a) for a in result["amount"].to_list()]


def test_fixed_amount():
    r = run({"kind": "fixed", "amount": 10}, [{"valley_resident": True}, {"valley_resident": False}])
    assert r["eligible"].to_list() == ["true", "false"]
    assert amounts(r) == [D("10.0000"), D("0")]
    assert r["amount_yuan"].to_list() == [100_000, 0]


def test_rate_rounds_down_to_the_yuan_exactly():
    r = run(
        {"kind": "rate", "base": "procurement_amount", "rate": "0.035"},
        [{"procurement_amount": 123.4567}, {"procurement_amount": 0.0019}, {"procurement_amount": 100.0}],
    )
    # 1234567 元 × 35 / 1000 = 43209.845 → 43209 元; 19 元 × 0.035 = 0.665 → 0 元 (no benefit); 3.5万 exactly
    assert r["amount_yuan"].to_list() == [43_209, 0, 35_000]
    assert amounts(r) == [D("4.3209"), D("0"), D("3.5000")]
    assert r["eligible"].to_list() == ["true", "false", "true"]
    assert r["failed"].to_list() == ["", "amount_min", ""]


def test_rate_with_cap_and_unknown_base():
    r = run(
        {"kind": "rate", "base": "procurement_amount", "rate": 0.1, "caps": [{"id": "cap", "amount": 1000}]},
        [
            {"procurement_amount": 9999.9999},
            {"procurement_amount": 10000.0},
            {"procurement_amount": 20000.0},
            {"procurement_amount": None},
        ],
    )
    assert amounts(r)[:3] == [D("999.9999"), D("1000.0000"), D("1000.0000")]
    assert r["eligible"].to_list()[3] == "unknown"
    assert r["amount"].to_list()[3] is None
    assert r["missing"].to_list()[3] == "procurement_amount"


BANDS = {
    "kind": "bands",
    "base": "rd_expense",
    "bands": [
        {"from": 50, "to": 200, "amount": 5},
        {"from": 200, "to": 500, "amount": 10},
        {"from": 1000, "rate": 0.03},
    ],
}


@pytest.mark.parametrize(
    ("rd", "expected", "eligible"),
    [
        (49.9999, "0", "false"),  # below the first band
        (50.0, "5.0000", "true"),  # lower bound included
        (199.9999, "5.0000", "true"),
        (200.0, "10.0000", "true"),  # upper bound excluded, next band
        (700.0, "0", "false"),  # in the gap between bands
        (1000.0, "30.0000", "true"),  # open-ended rate band
        (1234.5678, "37.0370", "true"),  # 12345678 元 × 3% = 370370.34 → 370370 元
    ],
)
def test_bands(rd, expected, eligible):
    r = run(BANDS, [{"rd_expense": rd}])
    assert (r["eligible"][0], D(r["amount"][0])) == (eligible, D(expected))


def test_bands_with_unknown_base_are_unknown():
    r = run(BANDS, [{"rd_expense": None}])
    assert r["eligible"][0] == "unknown" and r["missing"][0] == "rd_expense"


RANGE = {
    "kind": "range",
    "min": 30,
    "max": 100,
    "caps": [{"id": "half_paid_in", "rate": 0.5, "of": "paid_in_capital"}],
}


def test_range_takes_the_highest_amount_the_caps_allow():
    r = run(
        RANGE,
        [
            {"paid_in_capital": 500.0},
            {"paid_in_capital": 150.0},
            {"paid_in_capital": 60.0},
            {"paid_in_capital": 59.9999},
        ],
    )
    assert r["eligible"].to_list() == ["true", "true", "true", "false"]
    assert amounts(r) == [D(100), D(75), D(30), D(0)]
    assert r["failed"][3] == "amount_min"
    assert r["gaps"][3] == (
        '[{"condition":"amount_min","field":"paid_in_capital","current":59.9999,"required":60.0,"delta":0.0001}]'
    )


def test_range_pick_lowest_and_below_min_pay():
    lowest = run({**RANGE, "pick": "lowest"}, [{"paid_in_capital": 500.0}, {"paid_in_capital": 40.0}])
    assert amounts(lowest) == [D(30), D(0)]
    pay = run({**RANGE, "below_min": "pay"}, [{"paid_in_capital": 40.0}])
    assert (pay["eligible"][0], D(pay["amount"][0])) == ("true", D(20))


def test_unknown_condition_with_known_amount_reports_potential_amount():
    r = run(RANGE, [{"valley_resident": None, "paid_in_capital": 150.0}])
    assert r["eligible"][0] == "unknown"
    assert r["amount"][0] is None
    assert D(r["potential_amount"][0]) == D(75)
    assert r["missing"][0] == "valley_resident"


def test_false_wins_over_unknown():
    r = run(RANGE, [{"valley_resident": False, "paid_in_capital": None}])
    assert r["eligible"][0] == "false"
    assert r["failed"][0] == "valley"
    assert r["missing"][0] == "paid_in_capital"


def test_per_year_and_per_firm_limits_use_what_was_paid():
    rows = [
        {"rent_paid": 100.0, "paid_before": 0, "paid_this_year": 0},
        {"rent_paid": 100.0, "paid_before": 0, "paid_this_year": 250_000},  # 25万 this year
        {"rent_paid": 100.0, "paid_before": 800_000, "paid_this_year": 0},  # 80万 before
        {"rent_paid": 100.0, "paid_before": 900_000, "paid_this_year": 0},  # limit used up
    ]
    r = run({"kind": "rate", "base": "rent_paid", "rate": 0.5}, rows, limits={"per_year": 30, "per_firm": 90})
    assert amounts(r) == [D(30), D(5), D(10), D(0)]
    assert r["failed"][3] == "amount_min;limit_reached"


def test_one_off_policy_blocks_a_second_payment():
    r = run(
        {"kind": "fixed", "amount": 10},
        [{"paid_before": 0}, {"paid_before": 100_000}],
        limits={"one_off": True},
    )
    assert r["eligible"].to_list() == ["true", "false"]
    assert r["failed"][1] == "already_received"


def test_condition_gaps_name_the_field_and_the_threshold():
    r = run(
        {"kind": "fixed", "amount": 5},
        [{"rd_expense": 80.0, "revenue": 5000.0}, {"rd_expense": 120.0, "revenue": 5000.0}],
        eligibility=[{"id": "rd_min", "when": "rd_expense >= 100 and revenue < 20000"}],
    )
    assert r["failed"].to_list() == ["rd_min", ""]
    assert r["gaps"][0] == (
        '[{"condition":"rd_min","field":"rd_expense","current":80.0,"required":100.0,"delta":20.0}]'
    )
    assert r["gaps"][1] == "[]"


def test_snapshot_holds_exactly_what_the_rule_read():
    r = run(RANGE, [{"paid_in_capital": 150.0, "revenue": 99.0}])
    assert r["facts"][0] == {
        "valley_resident": True,
        "paid_in_capital": 150.0,
        "paid_before": 0,
        "paid_this_year": 0,
    }
    assert r["version_id"][0] == "demo@2025-01-01"
