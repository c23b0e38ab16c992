"""Exact money for policy benefits.

Policy: amounts are 万元 everywhere users see them, but inside the engine every amount that can be paid out is
an Int64 count of **元** (1 元 = 0.0001 万元, the finest unit the data dictionary allows). Integer arithmetic
makes sums, caps and budget shares exact; `rate × base` is computed as `base_yuan × numerator // denominator`
with the rate's exact decimal ratio, i.e. **rounded down to the whole 元** (a benefit is never larger than the
rule allows). Results carry the amount both as `amount_yuan` (Int64) and `amount` (Decimal 万元, scale 4).

Facts arrive as Float64 万元 (see facts.polars_schema); a money fact has at most 4 decimals, so
`round(x × 10000)` recovers its exact 元 value.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl

YUAN_PER_WAN = 10_000
DECIMAL_WAN = pl.Decimal(38, 4)


def to_yuan(value) -> int:
    """万元 (number or text, ≤ 4 decimals) → whole 元. Raises ValueError with a Chinese message."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"“{value}”不是有效金额") from None
    if not number.is_finite():
        raise ValueError(f"“{value}”不是有效金额")
    scaled = number * YUAN_PER_WAN
    if scaled != scaled.to_integral_value():
        raise ValueError(f"金额“{value}”小数位数过多（单位为万元，最多 4 位小数）")
    return int(scaled)


def yuan_to_wan(yuan: int | None) -> Decimal | None:
    """Whole 元 → Decimal 万元 with 4 places (exact)."""
    if yuan is None:
        return None
    return (Decimal(yuan) / YUAN_PER_WAN).quantize(Decimal("0.0001"))


def ratio(value) -> tuple[int, int]:
    """A rate written in decimal (0.1, "0.035") → exact (numerator, denominator)."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"“{value}”不是有效比例") from None
    if not number.is_finite():
        raise ValueError(f"“{value}”不是有效比例")
    num, den = number.as_integer_ratio()
    return num, den


def yuan_expr(column: str | pl.Expr) -> pl.Expr:
    """Float64 万元 column → Int64 元 (null stays null: unknown is not zero)."""
    expr = pl.col(column) if isinstance(column, str) else column
    return (expr.cast(pl.Float64) * YUAN_PER_WAN).round(0).cast(pl.Int64)


def times_rate(yuan: pl.Expr, rate: tuple[int, int]) -> pl.Expr:
    """`yuan × rate`, rounded down to the whole 元, exactly (Int64 arithmetic)."""
    num, den = rate
    return (yuan * num) // den


def wan_expr(yuan: pl.Expr) -> pl.Expr:
    """Int64 元 → Decimal 万元 (scale 4), exact: a whole number of 元 below 2⁵³ divided by 10⁴ in Float64 is
    the nearest double to its 4-place decimal, which the cast to scale 4 recovers exactly (2–3× faster than
    Decimal division; amounts here are far below 9×10¹¹ 万元)."""
    return (yuan.cast(pl.Float64) / YUAN_PER_WAN).cast(DECIMAL_WAN)
