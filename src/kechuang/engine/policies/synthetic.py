"""Synthetic facts panels for the policy benchmark and property tests.

Policy: values are drawn so that every shipped policy sees firms on both sides of its thresholds and a share
of unknown (null) cells; identifiers are not valid USCCs (they never leave tests and benchmarks). The
randomness is Polars' seeded hash of the row index, so the panel is built vectorised (no loop per firm, no
extra dependency) and is the same for a given seed and Polars version.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

REGIONS = ("140105", "140106", "140107", "140108", "140109", "140110", "140121", "140122")
INDUSTRIES = ("3911", "3562", "2710", "6513", "7320", "3841", "2651", "6432")
CARRIERS = ("晋创谷·太原", "山西智创城十号", "晋中科创城", "")


def _uniform(seed: int) -> pl.Expr:
    """A uniform number in [0, 1) per row."""
    return (pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed) % 1_000_003).cast(pl.Float64) / 1_000_003


def _money(seed: int, median: float) -> pl.Expr:
    """Log-uniform around `median` (÷20 … ×20), rounded to 4 places (万元)."""
    return (pl.lit(median) * (math.log(20) * (2 * _uniform(seed) - 1)).exp()).round(4)


def _pick(seed: int, values) -> pl.Expr:
    index = (_uniform(seed) * len(values)).floor().cast(pl.Int64)
    return pl.lit(pl.Series(values)).gather(index)


def _null_some(expr: pl.Expr, seed: int, share: float) -> pl.Expr:
    return pl.when(_uniform(seed) >= share).then(expr)


def panel(n: int, years=(2023, 2024, 2025), seed: int = 7, unknown_share: float = 0.05) -> pl.DataFrame:
    s = seed * 1000
    base = pl.DataFrame({"i": pl.int_range(n, eager=True)})
    statics = base.select(
        pl.format("SYN{}", pl.col("i").cast(pl.Utf8).str.zfill(9)).alias("uscc"),
        pl.format("企业{}", pl.col("i")).alias("name"),
        _pick(s + 1, REGIONS).alias("region_code"),
        _pick(s + 2, INDUSTRIES).alias("industry_code"),
        (pl.lit(dt.date(2015, 1, 1)) + pl.duration(days=(_uniform(s + 3) * 3650).cast(pl.Int64))).alias(
            "registered_on"
        ),
        _null_some(_money(s + 4, 100), s + 5, unknown_share).alias("paid_in_capital"),
        _null_some(_uniform(s + 6) < 0.1, s + 7, unknown_share).alias("valley_resident"),
        pl.when(_uniform(s + 8) < 0.05)
        .then(pl.lit(dt.date(2023, 1, 1)) + pl.duration(days=(_uniform(s + 9) * 900).cast(pl.Int64)))
        .alias("relocated_on"),
        pl.when(_uniform(s + 10) < 0.2)
        .then(pl.lit(dt.date(2022, 1, 1)) + pl.duration(days=(_uniform(s + 11) * 1200).cast(pl.Int64)))
        .alias("hte_certified_on"),
        _pick(s + 12, CARRIERS).alias("carrier"),
    ).with_columns(
        pl.col("registered_on", "relocated_on", "hte_certified_on").cast(pl.Date),
        pl.when(pl.col("carrier") != "").then(pl.col("carrier")).alias("carrier"),
    )
    frames = []
    for k, year in enumerate(years):
        t = s + 100 * (k + 1)
        revenue = _money(t + 1, 3000)
        frames.append(
            statics.with_columns(
                pl.lit(year, pl.Int64).alias("year"),
                (5 + _uniform(t + 2) * 600).floor().alias("staff_total"),
                (_uniform(t + 3) * 120).floor().alias("tech_staff"),
                _null_some(revenue, t + 4, unknown_share).alias("revenue"),
                _money(t + 5, 4000).alias("total_assets"),
                (revenue * 0.8).round(4).alias("total_cost_expense"),
                _null_some((revenue * _uniform(t + 6) * 0.1).round(4), t + 7, unknown_share).alias("rd_expense"),
                _null_some(_uniform(t + 8) < 0.2, t + 9, unknown_share).alias("hte_certified"),
                _null_some(
                    pl.when(_uniform(t + 10) < 0.1).then(_money(t + 11, 2000)).otherwise(0.0),
                    t + 12,
                    unknown_share,
                ).alias("procurement_amount"),
                _null_some(
                    pl.when(_uniform(t + 13) < 0.3).then(_money(t + 14, 20)).otherwise(0.0),
                    t + 15,
                    unknown_share,
                ).alias("loan_interest_paid"),
                _null_some(
                    pl.when(_uniform(t + 16) < 0.2).then(_money(t + 17, 15)).otherwise(0.0),
                    t + 18,
                    unknown_share,
                ).alias("rent_paid"),
                (_uniform(t + 19) * 4).floor().cast(pl.Int64).alias("invention_patents"),
                (_uniform(t + 20) * 6).floor().cast(pl.Int64).alias("utility_models"),
                # inputs from the platform's records (finance loans, points ranks): a firm without a record
                # has no row there, so these are null for most firms
                pl.when(_uniform(t + 21) < 0.1).then(_money(t + 22, 5)).alias("guarantee_fee_paid"),
                pl.when(_uniform(t + 23) < 0.02).then(_money(t + 24, 200)).alias("risk_compensation_due"),
                pl.when(_uniform(t + 25) < 0.5)
                .then((_uniform(t + 26) * 400).floor() + 1)
                .cast(pl.Int64)
                .alias("points_rank_prev_year"),
            )
        )
    return pl.concat(frames)
