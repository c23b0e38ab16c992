"""Loan records → the figures a bureau reads and the inputs the finance policies decide on.

Policy:
- A loan is outstanding from its disbursement day until it is repaid, written into default, or matures,
  whichever comes first. Interest accrues on the principal at the contract rate, actual days / 365 (simple
  interest, the banks' usual convention for working-capital loans); a year's interest counts the days of the
  loan that fall in it, up to the as-of date in the as-of year.
- A loan's guarantee fee (万元, as recorded) belongs to the year of disbursement.
- A defaulted loan's principal counts in the year of default.
- Figures are set-based group-bys: loans and amounts by any dimension, default rates by count and amount.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

LOAN_SCHEMA = {
    "loan_id": pl.Int64,
    "uscc": pl.Utf8,
    "bank": pl.Utf8,
    "product": pl.Utf8,
    "kind": pl.Utf8,
    "amount": pl.Float64,
    "rate": pl.Float64,
    "disbursed_on": pl.Date,
    "maturity_on": pl.Date,
    "status": pl.Utf8,
    "closed_on": pl.Date,
    "defaulted_on": pl.Date,
    "defaulted_principal": pl.Float64,
    "guaranteed": pl.Boolean,
    "guarantee_fee": pl.Float64,
}
DAYS_IN_YEAR = 365


def end_expr() -> pl.Expr:
    """The last day a loan is outstanding (exclusive): the first of repaid, defaulted, matured."""
    return pl.min_horizontal(pl.col("closed_on"), pl.col("defaulted_on"), pl.col("maturity_on"))


def year_inputs(loans: pl.DataFrame, years: list[int], as_of: dt.date) -> pl.DataFrame:
    """(uscc, year): loan_interest_paid, loan_amount (balance at the year's end, or at `as_of` in its year),
    guarantee_fee_paid, defaulted_principal — each 万元, 4 decimals; firms without loans have no row."""
    schema = {
        "uscc": pl.Utf8,
        "year": pl.Int64,
        "loan_interest_paid": pl.Float64,
        "loan_amount": pl.Float64,
        "guarantee_fee_paid": pl.Float64,
        "defaulted_principal": pl.Float64,
    }
    if loans.is_empty() or not years:
        return pl.DataFrame(schema=schema)
    spans = pl.DataFrame({"year": years}, schema={"year": pl.Int64}).with_columns(
        pl.date(pl.col("year"), 1, 1).alias("_y0"),
        pl.min_horizontal(pl.date(pl.col("year") + 1, 1, 1), pl.lit(as_of + dt.timedelta(days=1))).alias("_y1"),
    )
    frame = loans.join(spans, how="cross").with_columns(end_expr().alias("_end"))
    start = pl.max_horizontal("disbursed_on", "_y0")
    stop = pl.min_horizontal("_end", "_y1")
    days = pl.when(stop > start).then((stop - start).dt.total_days()).otherwise(0)
    last_day = pl.col("_y1") - pl.duration(days=1)
    outstanding = (pl.col("disbursed_on") <= last_day) & (pl.col("_end") > last_day)
    in_year = pl.col("disbursed_on").dt.year() == pl.col("year")
    frame = frame.with_columns(
        (pl.col("amount") * pl.col("rate") / 100 * days / DAYS_IN_YEAR).alias("_interest"),
        pl.when(outstanding).then(pl.col("amount")).otherwise(0.0).alias("_balance"),
        pl.when(in_year & pl.col("guaranteed"))
        .then(pl.col("guarantee_fee").fill_null(0.0))
        .otherwise(0.0)
        .alias("_fee"),
        pl.when(pl.col("defaulted_on").dt.year() == pl.col("year"))
        .then(pl.col("defaulted_principal"))
        .otherwise(0.0)
        .alias("_default"),
    )
    out = frame.group_by("uscc", "year").agg(
        pl.col("_interest").sum().round(4).alias("loan_interest_paid"),
        pl.col("_balance").sum().round(4).alias("loan_amount"),
        pl.col("_fee").sum().round(4).alias("guarantee_fee_paid"),
        pl.col("_default").fill_null(0.0).sum().round(4).alias("defaulted_principal"),
    )
    touched = (
        (pl.col("loan_interest_paid") > 0)
        | (pl.col("loan_amount") > 0)
        | (pl.col("guarantee_fee_paid") > 0)
        | (pl.col("defaulted_principal") > 0)
    )
    return out.filter(touched).select(list(schema)).sort("uscc", "year")


def totals(loans: pl.DataFrame) -> dict:
    """Loans, amount (万元) and defaults of a set of loans."""
    if loans.is_empty():
        return {
            "count": 0,
            "amount": 0.0,
            "defaults": 0,
            "default_amount": 0.0,
            "default_rate_count": None,
            "default_rate_amount": None,
        }
    row = loans.select(
        pl.len().alias("count"),
        pl.col("amount").sum().round(4).alias("amount"),
        (pl.col("status") == "defaulted").sum().alias("defaults"),
        pl.col("defaulted_principal").filter(pl.col("status") == "defaulted").sum().round(4).alias("default_amount"),
    ).row(0, named=True)
    row["default_rate_count"] = row["defaults"] / row["count"] if row["count"] else None
    row["default_rate_amount"] = row["default_amount"] / row["amount"] if row["amount"] else None
    return row


def by(loans: pl.DataFrame, column: str, order: list[str] | None = None) -> list[dict]:
    """Loans, amount, defaults and default rates per value of `column`, largest amount first (or `order`)."""
    if loans.is_empty():
        return []
    grouped = (
        loans.group_by(pl.col(column).fill_null("未知").alias("key"))
        .agg(
            pl.len().alias("count"),
            pl.col("amount").sum().round(4).alias("amount"),
            (pl.col("status") == "defaulted").sum().alias("defaults"),
            pl.col("defaulted_principal")
            .filter(pl.col("status") == "defaulted")
            .sum()
            .round(4)
            .alias("default_amount"),
        )
        .with_columns(
            (pl.col("defaults") / pl.col("count")).alias("default_rate_count"),
            pl.when(pl.col("amount") > 0)
            .then(pl.col("default_amount") / pl.col("amount"))
            .alias("default_rate_amount"),
        )
    )
    if order:
        rank = {k: i for i, k in enumerate(order)}
        grouped = (
            grouped.with_columns(pl.col("key").replace_strict(rank, default=len(rank)).alias("_o"))
            .sort("_o", "key")
            .drop("_o")
        )
    else:
        grouped = grouped.sort("amount", "key", descending=[True, False])
    return grouped.to_dicts()


def monthly(loans: pl.DataFrame) -> list[dict]:
    """Loans and amounts per month of disbursement (YYYY-MM), oldest first."""
    if loans.is_empty():
        return []
    return (
        loans.group_by(pl.col("disbursed_on").dt.strftime("%Y-%m").alias("month"))
        .agg(pl.len().alias("count"), pl.col("amount").sum().round(4).alias("amount"))
        .sort("month")
        .to_dicts()
    )
