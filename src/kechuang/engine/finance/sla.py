"""Promised decision times in Chinese working days: deadlines, lateness and time to decision.

Policy:
- The clock starts on the day the application reaches the bank (`submitted_on`); the deadline is the date
  `decision_days` working days after it (`engine.workdays`: the State Council's arrangement with its 调休
  working weekends; a year not yet published counted Monday to Friday and said so).
- An application is decided when approved or declined. It is late when decided after its deadline, or when
  still undecided after its deadline (checked against `today`); late cases are flagged to the bureau.
- Time to decision is the working days from submission to decision. For figures it is computed for every
  application at once from a cumulative working-day index (`workday_index`), never one date at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from kechuang.engine.workdays import Deadline, add_workdays, is_workday, workdays_between


@dataclass(frozen=True)
class Sla:
    deadline: Deadline
    used: int  # working days from submission to the decision (or to today while open)
    late: bool
    decided: bool
    text: str

    @property
    def remaining(self) -> int:
        return max(self.deadline.workdays - self.used, 0)


def sla(submitted_on: dt.date, decision_days: int, decided_on: dt.date | None, today: dt.date) -> Sla:
    """The promise for one application and whether it is kept."""
    deadline = add_workdays(submitted_on, decision_days)
    end = decided_on or today
    used = workdays_between(submitted_on, end)
    late = end > deadline.date
    promise = (
        f"承诺 {decision_days} 个工作日内给出审批结论（{submitted_on:%Y-%m-%d} 受理，截止 {deadline.date:%Y-%m-%d}）"
    )
    if decided_on is not None:
        state = f"{decided_on:%Y-%m-%d} 给出结论，用时 {used} 个工作日，" + (
            f"超出承诺 {used - decision_days} 个工作日" if late else "在承诺时限内"
        )
    elif late:
        state = f"截至 {today:%Y-%m-%d} 仍未给出结论，已用 {used} 个工作日，已超时"
    else:
        state = f"已用 {used} 个工作日，剩余 {decision_days - used} 个工作日"
    return Sla(deadline, used, late, decided_on is not None, f"{promise}；{state}。")


def workday_index(start: dt.date, end: dt.date) -> pl.DataFrame:
    """(date, n): the number of working days after `start` up to and including each date in [start, end]."""
    days = pl.date_range(start, end, "1d", eager=True)
    works = [is_workday(d)[0] for d in days.to_list()]
    return (
        pl.DataFrame({"date": days, "works": works})
        .with_columns((pl.col("works").cast(pl.Int32).cum_sum() - int(works[0])).alias("n"))
        .select("date", "n")
    )


def decision_workdays(frame: pl.DataFrame, start: str = "submitted_on", end: str = "decided_on") -> pl.Series:
    """Working days from `start` to `end` for every row (null where `end` is null), vectorised."""
    dates = frame.select(pl.col(start), pl.col(end)).drop_nulls()
    if dates.is_empty():
        return pl.Series("workdays", [None] * frame.height, dtype=pl.Int32)
    lo = min(dates[start].min(), dates[end].min())
    hi = max(dates[start].max(), dates[end].max())
    index = workday_index(lo, hi)
    out = (
        frame.select(pl.col(start).alias("_s"), pl.col(end).alias("_e"))
        .with_row_index("_i")
        .join(index.rename({"date": "_s", "n": "_ns"}), on="_s", how="left")
        .join(index.rename({"date": "_e", "n": "_ne"}), on="_e", how="left")
        .sort("_i")
    )
    gap = pl.col("_ne") - pl.col("_ns")
    return out.select(pl.when(gap < 0).then(0).otherwise(gap).cast(pl.Int32).alias("workdays"))["workdays"]
