"""Scoring: stages, normalisation, contributions, points, ranks, percentiles and lists (exact values)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import polars as pl
import pytest

from kechuang.engine.points import SchemeError, get_scheme, scheme_from_dict, score_frame, score_points
from kechuang.engine.points.rank import cohort_ranks, list_expr, percentile_from_rank
from kechuang.engine.points.scheme import ListTier
from kechuang.engine.points.score import score_chunks
from tests.engine.test_points_fixtures import firms, scheme_dict


@pytest.fixture(scope="module")
def scored() -> dict:
    out = score_frame(firms(), scheme_from_dict(scheme_dict()), year=2024)
    return {row["uscc"]: row for row in out.iter_rows(named=True)}


def test_stage_bounds_are_inclusive_and_unknown_is_unscored(scored):
    assert [scored[u]["stage"] for u in ("F1", "F2", "F3", "F4", "F5")] == ["small"] * 3 + ["big"] * 2
    f6 = scored["F6"]
    assert f6["stage"] is None and f6["points"] is None and f6["rank"] is None and f6["c_a"] is None


def test_exact_contributions_and_points(scored):
    f1, f2, f3, f4, f5 = (scored[u] for u in ("F1", "F2", "F3", "F4", "F5"))
    # F1: band boundary 0.06 → 1 × 40; 50/100 × 30; lowest growth and revenue of its stage; bonus 5.
    assert (f1["c_a"], f1["c_b"], f1["c_c"], f1["c_d"], f1["c_e"], f1["c_f"]) == (40, 15, 0, 0, 5, 0)
    assert f1["points"] == 60
    # F2: 0.0599 → 0.5 band; 200/100 capped at 1; best growth (2 of 2 others below... (3−1)/(3−1) = 1);
    # revenue (500 − 100)/(999.99 − 100) × 10 = 4.4445 → 4.44; listed abnormal → −10.
    assert (f2["c_a"], f2["c_b"], f2["c_c"], f2["c_d"], f2["c_e"], f2["c_f"]) == (20, 30, 20, 4.44, 0, -10)
    assert f2["points"] == 64.44
    # F3: unknown ratio, unknown bonus flag and unknown compliance (null OR false) earn nothing, and say so.
    assert f3["points"] == 10 and f3["missing"] == "a;e;f"
    assert f3["n_a"] is None and f3["c_a"] == 0 and f3["n_c"] == 0  # ties with F1 on growth: nobody beaten
    # F4: revenue 1000 is 'big' (≥); alone with known growth → percentile 0 and listed as missing.
    assert f4["points"] == 42.5 and f4["missing"] == "c"
    assert f5["points"] == 31.25 and f5["n_c"] == 0 and f5["c_d"] == 25


def test_contributions_add_up_to_points(scored):
    for row in scored.values():
        if row["points"] is not None:
            assert sum(row[f"c_{i}"] for i in "abcdef") == pytest.approx(row["points"], abs=1e-9)


def test_ranks_percentiles_and_lists(scored):
    got = {u: (r["rank"], r["percentile"], r["stage_rank"], r["list"]) for u, r in scored.items()}
    assert got["F2"] == (1, 100.0, 1, "leading")  # small: n=3, 1 ≤ 0.34 × 3
    assert got["F1"] == (2, 80.0, 2, "competing")  # 2 ≤ 0.67 × 3
    assert got["F4"] == (3, 60.0, 1, "competing")  # big: n=2, 1 > 0.68, 1 ≤ 1.34
    assert got["F5"] == (4, 40.0, 2, None)
    assert got["F3"] == (5, 20.0, 3, None)
    assert scored["F1"]["stage_percentile"] == pytest.approx(200 / 3)
    assert scored["F2"]["list_label"] == "领跑榜"


def test_industry_and_region_cohorts(scored):
    # Industry by 2-digit division: 39 = {F1 60, F2 64.44, F4 42.5}, 27 = {F3 10, F5 31.25}.
    assert {u: scored[u]["industry_rank"] for u in ("F1", "F2", "F4", "F3", "F5")} == {
        "F1": 2,
        "F2": 1,
        "F4": 3,
        "F3": 2,
        "F5": 1,
    }
    assert {u: scored[u]["region_rank"] for u in ("F1", "F2", "F3", "F4", "F5")} == {
        "F1": 2,
        "F2": 1,
        "F3": 3,
        "F4": 1,
        "F5": 2,
    }
    assert "carrier_rank" not in scored["F1"]  # no carrier column → no carrier ranking


def test_carrier_cohort_when_given():
    frame = firms().with_columns(carrier=pl.Series(["v1", "v1", None, "v1", "v2", "v2"]))
    out = score_frame(frame, scheme_from_dict(scheme_dict()))
    ranks = dict(zip(out["uscc"], out["carrier_rank"], strict=True))
    assert ranks == {"F1": 2, "F2": 1, "F3": None, "F4": 3, "F5": 1, "F6": None}


def test_ties_share_the_best_rank_and_the_list():
    points = pl.Series([90.0, 80.0, 80.0, 70.0, None])
    out = (
        cohort_ranks(points, {"all": None}, 2)
        .rename({"all_rank": "rank", "all_n": "n"})
        .with_columns(
            pct=percentile_from_rank(pl.col("rank"), pl.col("n")),
            lst=list_expr((ListTier("top", "前列", Fraction(2, 4)),), pl.col("rank"), pl.col("n")),
        )
    )
    assert out["rank"].to_list() == [1, 2, 2, 4, None]
    assert out["pct"].to_list() == [100.0, 75.0, 75.0, 25.0, None]
    assert out["lst"].to_list() == ["top", "top", "top", None, None]  # rank 2 ≤ 2: both tied firms


def test_cohort_ranks_count_ties_nulls_and_cohorts_exactly():
    points = pl.Series([90.0, 80.0, 80.0, 70.0, None, 80.0, 60.5, -3.25, 80.0])
    key = pl.Series(["a", "a", "b", "a", "a", None, "b", "b", "a"])
    out = cohort_ranks(points, {"all": None, "k": key}, 2)
    assert out["all_rank"].to_list() == [1, 2, 2, 6, None, 2, 7, 8, 2]
    assert out["all_n"].to_list() == [8, 8, 8, 8, None, 8, 8, 8, 8]
    # Cohort a: 90, 80, 70, 80 (and an unscored firm); b: 80, 60.5, −3.25; no key: no cohort rank.
    assert out["k_rank"].to_list() == [1, 2, 1, 4, None, None, 2, 3, 2]
    assert out["k_n"].to_list() == [4, 4, 3, 4, None, None, 3, 3, 4]
    # The tie at the edge of the top half of cohort a (rank 2 × 2 ≤ 4) puts both tied firms on the list.
    half = (ListTier("top", "前列", Fraction(1, 2)),)
    lists = out.select(list_expr(half, pl.col("k_rank"), pl.col("k_n")))[:, 0].to_list()
    assert lists == ["top", "top", "top", None, None, None, None, None, "top"]
    keyless = cohort_ranks(pl.Series([1.0, None]), {"k": pl.Series([None, None], dtype=pl.Utf8)}, 2)
    assert keyless.to_dict(as_series=False) == {"k_rank": [None] * 2, "k_n": [None] * 2}
    unscored = cohort_ranks(pl.Series([None, None], dtype=pl.Float64), {"all": None, "k": pl.Series(["a", None])}, 2)
    assert unscored.to_dict(as_series=False) == {"all_rank": [None] * 2, "all_n": [None] * 2} | {
        "k_rank": [None] * 2,
        "k_n": [None] * 2,
    }


@pytest.mark.parametrize("spread", [3, 100_000])  # few points values (a table of cells) or many (a sort)
def test_cohort_ranks_equal_a_sorted_min_rank(spread):
    n = 2000
    i = pl.int_range(n)
    frame = pl.select(
        # Points with one decimal (as the scheme's precision 1 rounds them); every 11th firm unscored,
        # every 13th without a cohort key.
        points=pl.when(i % 11 != 0).then((i * 7919 % spread) / 10),
        key=pl.when(i % 13 != 0).then(pl.format("c{}", i % 7)),
    )
    out = cohort_ranks(frame["points"], {"all": None, "k": frame["key"]}, 1)
    want = frame.select(
        all_rank=pl.col("points").rank("min", descending=True).cast(pl.Int64),
        k_rank=pl.when(pl.col("key").is_not_null())
        .then(pl.col("points").rank("min", descending=True).over("key"))
        .cast(pl.Int64),
        k_n=pl.when(pl.col("key").is_not_null() & pl.col("points").is_not_null())
        .then(pl.col("points").count().over("key"))
        .cast(pl.Int64),
    )
    assert out.select(want.columns).equals(want)
    assert out["all_rank"].drop_nulls().n_unique() <= spread


def test_list_cutoffs_are_exact_integers():
    frame = pl.DataFrame({"rank": list(range(1, 101)), "n": [100] * 100})
    tiers = (
        ListTier("l", "领跑榜", Fraction("0.05")),
        ListTier("c", "竞跑榜", Fraction("0.10")),
        ListTier("a", "进取榜", Fraction("0.29")),
    )
    lists = frame.select(list_expr(tiers, pl.col("rank"), pl.col("n")))[:, 0].to_list()
    assert lists[4] == "l" and lists[5] == "c" and lists[9] == "c" and lists[10] == "a"
    assert lists[28] == "a" and lists[29] is None  # 0.29 × 100 is 28.999… in floats; rank 29 is in


def test_lists_overall_option():
    data = scheme_dict()
    data["lists"]["within"] = "overall"
    out = score_frame(firms(), scheme_from_dict(data))
    lists = dict(zip(out["uscc"], out["list"], strict=True))
    assert lists == {
        "F2": "leading",
        "F1": "competing",
        "F4": "competing",
        "F5": None,
        "F3": None,
        "F6": None,
    }


def test_unknown_stage_fallback():
    data = scheme_dict()
    data["stage_rule"]["unknown"] = "small"
    out = score_frame(firms(), scheme_from_dict(data)).filter(pl.col("uscc") == "F6")
    assert out["stage"].item() == "small" and out["c_a"].item() == 40 and out["c_d"].item() == 0


def test_share_with_cohort_reference_and_cap():
    data = scheme_dict()
    data["indicators"][1]["normalise"] = {"method": "share", "reference": {"cohort": "mean"}, "cap": 2}
    out = score_frame(firms(), scheme_from_dict(data))
    n = dict(zip(out["uscc"], out["n_b"], strict=True))
    # small mean of rd_expense = (50 + 200 + 0)/3 = 83.33; F2: 200/83.33 = 2.4 → cap 2 → 1; F1: 0.6/2 = 0.3.
    assert n["F2"] == 1.0 and n["F1"] == pytest.approx(0.3) and n["F3"] == 0.0
    assert n["F4"] == pytest.approx((1000 / 625) / 2)


def test_unknown_input_field_is_a_clear_error():
    data = scheme_dict()
    data["indicators"][0]["value"] = {"field": "rd_ratio_revnue"}
    with pytest.raises(SchemeError, match="指标取值字段 rd_ratio_revnue 不是企业数据或派生指标的字段名"):
        score_frame(firms(), scheme_from_dict(data))


def test_known_but_absent_column_is_unknown():
    out = score_frame(firms().drop("rd_expense"), scheme_from_dict(scheme_dict()))
    f1 = out.filter(pl.col("uscc") == "F1").row(0, named=True)
    assert f1["n_b"] is None and f1["c_b"] == 0 and f1["missing"] == "b"


def test_shipped_scheme_contributions_add_up_on_many_firms():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from bench_points import synthetic

    scheme = get_scheme("core18", dt.date(2025, 6, 30))
    out = score_frame(synthetic(3000, seed=3), scheme, year=2024)
    cols = [f"c_{i.id}" for i in scheme.indicators]
    scored = out.filter(pl.col("points").is_not_null())
    assert scored.height > 2900
    diff = scored.select((pl.sum_horizontal(cols) - pl.col("points")).abs().max()).item()
    assert diff < 1e-9
    assert scored["points"].min() >= -20 and scored["points"].max() <= 100
    for stage, n in scored.group_by("stage").len().iter_rows():
        top = scored.filter(pl.col("stage") == stage)
        assert top.filter(pl.col("list") == "leading").height == sum(1 for r in top["stage_rank"] if r * 20 <= n)


@pytest.mark.parametrize("chunk_rows", [1, 999, 3000, 5000])
def test_scoring_in_chunks_gives_the_in_memory_result_row_for_row(chunk_rows):
    """Chunks (issue 22: 10M firms do not fit at once) in input order, with every value and rank of the
    in-memory result: stage-relative scores (percentile, min-max) and the ranks see every firm."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from bench_points import synthetic

    scheme = get_scheme("core18", dt.date(2025, 6, 30))
    assert {i.normalise.method for i in scheme.indicators} >= {"percentile", "minmax"}
    data = synthetic(3000, seed=5)
    whole = score_frame(data, scheme, year=2024)
    chunks = list(score_chunks(data, scheme, year=2024, chunk_rows=chunk_rows))
    assert [c.height for c in chunks[:2]] == [min(chunk_rows, 3000)] * min(2, len(chunks))
    assert len(chunks) == -(-3000 // chunk_rows)
    assert pl.concat(chunks).equals(whole)


def _panel() -> pl.DataFrame:
    rows = [
        # uscc, year, revenue, rd_expense, net_profit, assets, liabilities, platforms
        ("P1", 2023, 800.0, 60.0, 50.0, 1000.0, 400.0, 1),
        ("P1", 2024, 1000.0, 90.0, 90.0, 1200.0, 600.0, 0),
        ("P2", 2024, 300.0, 30.0, -10.0, 500.0, 500.0, None),
        ("P3", 2023, 100.0, 5.0, 1.0, 100.0, 10.0, 0),  # no 2024 row: not scored in 2024
    ]
    return pl.DataFrame(
        rows,
        orient="row",
        schema=[
            "uscc",
            "year",
            "revenue",
            "rd_expense",
            "net_profit",
            "total_assets",
            "total_liabilities",
            "new_platforms_provincial",
        ],
    ).with_columns(registered_on=pl.lit(dt.date(2015, 1, 1)), name=pl.col("uscc"))


def test_score_points_uses_derived_values_and_last_years_rows():
    scheme = get_scheme("core18", dt.date(2024, 12, 31))
    out = score_points(_panel(), 2024, scheme)
    assert sorted(out["uscc"]) == ["P1", "P2"]
    p1 = out.filter(pl.col("uscc") == "P1").row(0, named=True)
    assert p1["stage"] == "growth" and p1["year"] == 2024
    assert p1["r_rd_expense_growth"] == pytest.approx(0.5)  # derived by derive.py
    assert p1["r_roe"] == pytest.approx(90 / 600)  # ratio of derived net_assets
    assert p1["r_platforms_2y"] == 1  # 0 this year + 1 last year, from the panel
    assert p1["c_platforms_2y"] == 3  # reference 1, weight 3 (growth)
    p2 = out.filter(pl.col("uscc") == "P2").row(0, named=True)
    assert p2["r_roe"] is None  # net assets 0 → unknown, not 0
    assert "roe" in p2["missing"].split(";") and "platforms_2y" in p2["missing"].split(";")


def test_missing_names_span_several_words_of_unknown_bits():
    """More indicators than one Int64 word holds: indicator 63 is bit 0 of the second word."""
    from types import SimpleNamespace

    from kechuang.engine.points.score import WORD_BITS, _named_missing

    scheme = SimpleNamespace(indicators=[SimpleNamespace(id=f"i{j}") for j in range(WORD_BITS + 2)])
    rows = pl.DataFrame(
        {
            "uscc": ["A", "B", "C", "D"],
            "_unknown_0": [1 | 1 << (WORD_BITS - 1), 0, 1 | 1 << (WORD_BITS - 1), 0],
            "_unknown_1": [2, 0, 2, 1],
        }
    )
    out = _named_missing(rows, scheme)
    assert out.columns == [*rows.columns, "missing"]
    assert out["missing"].to_list() == ["i0;i62;i64", None, "i0;i62;i64", "i63"]
