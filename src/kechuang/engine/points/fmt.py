"""Vectorised Chinese formatting of indicator values for messages ("研发人员占比 18% → 11%").

Policy: formatting is a Polars expression over a whole column, never a Python loop per enterprise.
Ratios show as percentages with at most two decimals (9.99% must not read as 10%), money in 万元 with exactly
two decimals (the platform's one money rule, engine/numbers.py), counts and numbers with at most two decimals;
trailing zeros are dropped. Unknown shows as “未知”.
"""

from __future__ import annotations

import polars as pl

from kechuang.engine.numbers import money_expr
from kechuang.engine.rounding import half_up

UNKNOWN_ZH = "未知"


def number_text(expr: pl.Expr, decimals: int) -> pl.Expr:
    """A float as text with at most `decimals` decimals, no trailing zeros (18.0 → "18", 11.25 → "11.25")."""
    text = half_up(expr, decimals).cast(pl.Utf8)
    # Polars writes 18.0 as "18.0": drop a zero-only fraction, then trailing zeros of a real fraction.
    text = text.str.replace(r"\.0+$", "").str.replace(r"(\.\d*?[1-9])0+$", "${1}")
    # -0 after rounding a tiny negative reads oddly.
    return pl.when(text == "-0").then(pl.lit("0")).otherwise(text)


def value_text(expr: pl.Expr, unit: str) -> pl.Expr:
    """Format `expr` for display in a Chinese sentence according to an indicator unit."""
    if unit == "bool":
        out = pl.when(expr.cast(pl.Boolean)).then(pl.lit("是")).otherwise(pl.lit("否"))
        out = pl.when(expr.is_null()).then(pl.lit(UNKNOWN_ZH)).otherwise(out)
        return out
    if unit == "percent":
        out = number_text(expr.cast(pl.Float64) * 100, 2) + pl.lit("%")
    elif unit == "wan":
        out = money_expr(expr.cast(pl.Float64))
    elif unit == "ratio":
        out = number_text(expr.cast(pl.Float64), 3)
    else:
        out = number_text(expr.cast(pl.Float64), 2)
    return pl.when(expr.is_null()).then(pl.lit(UNKNOWN_ZH)).otherwise(out)


def python_value_text(value, unit: str) -> str:
    """Same formatting for one value (explanations of a single firm)."""
    frame = pl.DataFrame({"v": [value]}, schema={"v": pl.Boolean if unit == "bool" else pl.Float64})
    return frame.select(value_text(pl.col("v"), unit)).item()
