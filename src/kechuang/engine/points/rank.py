"""Ranks, percentiles and leaderboard lists, as window expressions over whole cohorts.

Policy:
- Rank: competition ranking ('min' method) on the rounded points, highest first: tied firms share the
  best rank and the next rank is skipped (1, 2, 2, 4). Ranking on rounded points makes ties what users
  see as ties.
- Percentile: 100 × the share of the cohort whose points are ≤ the firm's (SQL CUME_DIST): the top firm
  scores 100, a firm alone scores 100, ties share the value.
- Lists (领跑/竞跑/进取…): a firm is on the first list whose cumulative share `top` satisfies
  rank ≤ top × n, with n the cohort size; computed in integers (rank × den ≤ n × num) so 0.05 × 100 is
  exactly 5. Ties follow from the 'min' rank: a tie at the edge puts every tied firm on the list.
- Firms with unknown points (no stage) or an unknown cohort key get no rank, percentile or list.
"""

from __future__ import annotations

import polars as pl

from kechuang.engine.points.scheme import ListTier

POINTS = "points"


def _over(expr: pl.Expr, by: str | None) -> pl.Expr:
    return expr if by is None else expr.over(by)


def rank_expr(by: str | None = None, points: str = POINTS) -> pl.Expr:
    """Competition rank (1 = most points) within the cohort `by` (None = everyone)."""
    x = pl.col(points)
    r = _over(x.rank("min", descending=True), by).cast(pl.Int64)
    if by is None:
        return r
    return pl.when(pl.col(by).is_not_null()).then(r)


def count_expr(by: str | None = None, points: str = POINTS) -> pl.Expr:
    """Number of firms with points in the cohort `by`."""
    return _over(pl.col(points).count(), by).cast(pl.Int64)


def percentile_from_rank(rank: pl.Expr, n: pl.Expr) -> pl.Expr:
    """100 × share of the cohort with points ≤ the firm's (CUME_DIST), from the competition rank:
    the firms above are rank − 1, so the firms at or below are n − rank + 1 (no second sort needed).
    """
    return 100.0 * (n - rank + 1).cast(pl.Float64) / n.cast(pl.Float64)


def list_expr(tiers: tuple[ListTier, ...], rank: pl.Expr, n: pl.Expr, labels: bool = False) -> pl.Expr:
    """Id (or label) of the first list whose `top` covers the firm's rank in its cohort of size n."""
    out = None
    for tier in tiers:
        cond = rank * tier.top.denominator <= n * tier.top.numerator
        value = pl.lit(tier.label if labels else tier.id)
        out = pl.when(cond).then(value) if out is None else out.when(cond).then(value)
    if out is None:
        return pl.lit(None, dtype=pl.Utf8)
    return out.otherwise(pl.lit(None, dtype=pl.Utf8))
