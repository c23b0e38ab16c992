"""Stacking (从优、就高、不重复) and budget allocation on hand-built result frames."""

import polars as pl
import pytest

from kechuang.engine.policies import allocate, stack
from kechuang.engine.policies.model import Allocation, Budget


def results(rows):
    frame = pl.DataFrame(
        rows,
        schema={
            "uscc": pl.Utf8,
            "policy": pl.Utf8,
            "stacking_group": pl.Utf8,
            "eligible": pl.Utf8,
            "amount_yuan": pl.Int64,
        },
        orient="row",
    )
    return frame.with_columns(pl.struct(pl.col("amount_yuan").alias("rank")).alias("facts"))


def test_stacking_keeps_the_most_favourable_in_a_group():
    out = stack(
        results(
            [
                ("A", "p1", "rent", "true", 500_000),
                ("A", "p2", "rent", "true", 800_000),
                ("A", "p3", None, "true", 100_000),  # not in a group: untouched
                ("B", "p1", "rent", "true", 500_000),
                ("B", "p2", "rent", "unknown", None),  # unknown does not compete
                ("C", "p1", "rent", "true", 300_000),
                ("C", "p2", "rent", "false", 0),
            ]
        )
    ).sort("uscc", "policy")
    assert out.select("uscc", "policy", "amount_yuan", "stacked_by").rows() == [
        ("A", "p1", 0, "p2"),
        ("A", "p2", 800_000, None),
        ("A", "p3", 100_000, None),
        ("B", "p1", 500_000, None),
        ("B", "p2", None, None),
        ("C", "p1", 300_000, None),
        ("C", "p2", 0, None),
    ]
    assert out.filter(pl.col("stacked_by").is_not_null())["eligible"].to_list() == ["true"]


def test_stacking_tie_goes_to_priority():
    frame = results([("A", "p1", "g", "true", 100), ("A", "p2", "g", "true", 100)])
    assert stack(frame, priority=["p2", "p1"]).sort("policy")["stacked_by"].to_list() == ["p2", None]
    assert stack(frame).sort("policy")["stacked_by"].to_list() == [None, "p1"]


DEMAND = [
    ("A", "p", None, "true", 10_000),
    ("B", "p", None, "true", 20_000),
    ("C", "p", None, "true", 30_000),
    ("D", "p", None, "false", 0),
    ("E", "p", None, "unknown", None),
]


def test_budget_that_fits_pays_in_full():
    out, summary = allocate(results(DEMAND), Budget({2025: 60_000}), 2025)
    assert out["granted_yuan"].to_list() == [10_000, 20_000, 30_000, 0, 0]
    assert summary == {
        "year": 2025,
        "method": "full",
        "demand_yuan": 60_000,
        "budget_yuan": 60_000,
        "granted_yuan": 60_000,
        "unallocated_yuan": 0,
        "shortfall_yuan": 0,
    }


def test_no_envelope_pays_in_full_and_reports_unknown_budget():
    out, summary = allocate(results(DEMAND), Budget(), 2025)
    assert out["granted_yuan"].sum() == 60_000
    assert summary["budget_yuan"] is None and summary["shortfall_yuan"] is None


def test_pro_rata_rounds_down_and_reports_the_remainder():
    out, summary = allocate(results(DEMAND), Budget({2025: 30_001}), 2025)
    # 10000×30001/60000 = 5000.17 → 5000; 10000.33 → 10000; 15000.5 → 15000
    assert out["granted_yuan"].to_list() == [5_000, 10_000, 15_000, 0, 0]
    assert summary["unallocated_yuan"] == 1
    assert summary["shortfall_yuan"] == 29_999
    assert out["granted_yuan"].sum() + summary["unallocated_yuan"] == 30_001


def test_pro_rata_does_not_overflow_on_large_amounts():
    big = results([("A", "p", None, "true", 10_000_000_000_000), ("B", "p", None, "true", 10_000_000_000_000)])
    out, _ = allocate(big, Budget({2025: 10_000_000_000_000}), 2025)
    assert out["granted_yuan"].to_list() == [5_000_000_000_000, 5_000_000_000_000]


@pytest.mark.parametrize(
    ("order", "partial", "expected"),
    [
        ("desc", True, [0, 5_000, 30_000, 0, 0]),  # C (30000) first, then B gets the 5000 left, A nothing
        ("desc", False, [0, 0, 30_000, 0, 0]),
        ("asc", True, [10_000, 20_000, 5_000, 0, 0]),
        ("asc", False, [10_000, 20_000, 0, 0, 0]),
    ],
)
def test_ranking(order, partial, expected):
    budget = Budget({2025: 35_000}, Allocation("ranking", "rank", order, partial))
    out, summary = allocate(results(DEMAND), budget, 2025)
    assert out["granted_yuan"].to_list() == expected
    assert summary["method"] == "ranking"


def test_ranking_ties_by_uscc_and_unknown_rank_last():
    frame = results([("B", "p", None, "true", 100), ("A", "p", None, "true", 100), ("C", "p", None, "true", 100)])
    ranks = pl.DataFrame({"uscc": ["A", "B", "C"], "rank": [5.0, 5.0, None]})
    out, _ = allocate(frame, Budget({2025: 150}, Allocation("ranking", "rank", "desc", True)), 2025, ranks)
    assert dict(out.select("uscc", "granted_yuan").rows()) == {"A": 100, "B": 50, "C": 0}
