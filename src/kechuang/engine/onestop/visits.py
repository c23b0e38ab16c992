"""One-to-one officials (包联): firms not visited for N months, and 高企 due to re-apply.

Policy:
- A firm assigned to an official is due for a visit `visit_interval_months` calendar months after its last
  visit, or after the assignment began when it has never been visited (a month later on the same day, the
  month's last day when it is shorter). It is overdue from the day after that date.
- A 高企 whose latest certificate expires within `hte_warning_months` from the as-of date (inclusive, and not
  yet expired) is due to re-apply as new (复审 no longer exists: rules-reference §2) and goes to its official.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping

import polars as pl

ASSIGNMENT_SCHEMA = {"uscc": pl.Utf8, "official_id": pl.Int64, "since": pl.Date}
VISIT_SCHEMA = {"uscc": pl.Utf8, "visited_on": pl.Date}
CERT_SCHEMA = {"uscc": pl.Utf8, "expires_on": pl.Date}


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def visit_status(assignments: pl.DataFrame, visits: pl.DataFrame, as_of: dt.date, params: Mapping) -> pl.DataFrame:
    """(uscc, official_id, since, last_visit, due_on, overdue, reason) per assigned firm."""
    n = int(params["visit_interval_months"])
    last = (
        visits.cast(VISIT_SCHEMA)
        .filter(pl.col("visited_on") <= as_of)
        .group_by("uscc")
        .agg(pl.col("visited_on").max().alias("last_visit"))
    )
    frame = assignments.cast(ASSIGNMENT_SCHEMA).join(last, on="uscc", how="left")
    rows = []
    for r in frame.iter_rows(named=True):
        base = r["last_visit"] or r["since"]
        due = add_months(base, n)
        overdue = as_of > due
        if r["last_visit"] is None:
            head = f"包联以来（{r['since']:%Y-%m-%d} 起）尚未走访"
        else:
            head = f"上次走访 {r['last_visit']:%Y-%m-%d}"
        if overdue:
            reason = f"{head}，已超过 {n} 个月未走访（应于 {due:%Y-%m-%d} 前走访）"
        else:
            reason = f"{head}，下次应于 {due:%Y-%m-%d} 前走访"
        rows.append({**r, "due_on": due, "overdue": overdue, "reason": reason})
    return pl.DataFrame(
        rows,
        schema={
            **ASSIGNMENT_SCHEMA,
            "last_visit": pl.Date,
            "due_on": pl.Date,
            "overdue": pl.Boolean,
            "reason": pl.Utf8,
        },
    )


def hte_due(certificates: pl.DataFrame, as_of: dt.date, params: Mapping) -> pl.DataFrame:
    """(uscc, expires_on, days_left, reason) for the latest certificates due to re-apply."""
    horizon = add_months(as_of, int(params["hte_warning_months"]))
    latest = certificates.cast(CERT_SCHEMA).group_by("uscc").agg(pl.col("expires_on").max())
    due = latest.filter((pl.col("expires_on") >= as_of) & (pl.col("expires_on") <= horizon)).sort("expires_on", "uscc")
    return due.with_columns(
        (pl.col("expires_on") - pl.lit(as_of)).dt.total_days().cast(pl.Int64).alias("days_left"),
    ).with_columns(
        pl.format(
            "高企证书 {} 到期（还有 {} 天），需按新申请重新认定",
            pl.col("expires_on").dt.strftime("%Y-%m-%d"),
            pl.col("days_left"),
        ).alias("reason"),
    )
