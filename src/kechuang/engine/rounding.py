"""四舍五入 on exact decimals: the one rounding rule of the platform's computed figures.

Policy: a bureau rounds the way it was taught — half away from zero, on the decimal value it reads (2.675 →
2.68). A binary float cannot hold most decimals exactly (2.675 is stored as 2.67499999…), so a value is first
snapped to `SNAP` decimals, which recovers the decimal the arithmetic meant (a float carries 15–17 significant
digits; the platform's points, shares and 万元 amounts need far fewer), and then rounded half away from zero.
Every figure the platform rounds for users (points and their contributions, changes, credit lines, policy
amounts) goes through these two functions, and the benchmarks compare against references rounded the same way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl

SNAP = 9


def half_up(expr: pl.Expr, places: int) -> pl.Expr:
    """`expr` rounded 四舍五入 to `places` decimals (a Polars expression over a whole column).

    Scaled first, so that a decimal tie becomes exactly .5 once snapped (1.005 × 100 = 100.49999999999999
    snaps to 100.5, which a float holds exactly) and rounds away from zero."""
    # The closing round(places) only picks the float nearest the decimal: Polars divides by multiplying with
    # the reciprocal (2858 × 0.01 = 28.580000000000002), and a page would show that noise.
    scale = 10.0**places
    return ((expr * scale).round(SNAP - places).round(0, mode="half_away_from_zero") / scale).round(places)


def half_up_value(value: float | int | Decimal | None, places: int) -> float | None:
    """One value rounded 四舍五入 to `places` decimals (None stays None)."""
    if value is None:
        return None
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    snapped = exact.quantize(Decimal(1).scaleb(-SNAP), rounding=ROUND_HALF_UP)
    return float(snapped.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
