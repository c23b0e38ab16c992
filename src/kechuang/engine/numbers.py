"""How a number reads, in one place for the engine's explanations and the pages (core/display uses these).

Policy: money is in 万元 with exactly two decimals (12.5 → 12.50 万元), in 亿元 from 10,000 万元 (20666.8792 →
2.07 亿元); counts and other measures drop trailing zeros and show at most 4 decimals (9.00 → 9, 0.12345 →
0.1235); nothing reads "-0". Rounding is 四舍五入 on the decimal the value means (a float through its shortest
repr, as engine/rounding.py does).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import polars as pl

from kechuang.engine.rounding import half_up

YI = Decimal(10000)  # 万元 per 亿元
CENT = Decimal("0.01")
NUMBER_PLACES = Decimal("0.0001")


def exact(value) -> Decimal | None:
    """`value` as a Decimal when it is a number (or a number's text), else None (booleans are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def money_text(value, unknown: str = "未知") -> str:
    """A 万元 amount: 26.6801 → 26.68 万元; 30 → 30.00 万元; 20666.8792 → 2.07 亿元; -0.0 → 0.00 万元."""
    amount = exact(value)
    if amount is None:
        return unknown
    if abs(amount) >= YI:
        return f"{(amount / YI).quantize(CENT, ROUND_HALF_UP) + 0:,.2f} 亿元"
    return f"{amount.quantize(CENT, ROUND_HALF_UP) + 0:,.2f} 万元"


def money_exact_text(value, unknown: str = "未知") -> str:
    """A 万元 amount where the 元 matter (a budget check refusing by one 元): two decimals when that is exact,
    else four (1 元): 20 → 20.00 万元; 5.0001 → 5.0001 万元; never 亿元, never rounded away."""
    amount = exact(value)
    if amount is None:
        return unknown
    places = CENT if amount == amount.quantize(CENT) else NUMBER_PLACES
    return f"{amount.quantize(places, ROUND_HALF_UP) + 0:,f} 万元"


def number_text(value, unknown: str = "未知") -> str:
    """A count or measure: 9.00 → 9, 0.12345 → 0.1235, -0.0 → 0."""
    amount = exact(value)
    if amount is None:
        return unknown
    text = f"{amount.quantize(NUMBER_PLACES, ROUND_HALF_UP) + 0:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def below_a_cent(value) -> bool:
    """A non-zero 万元 amount that two decimals would show as 0.00 (a gap of 0.0007 万元 is not "差 0.00")."""
    amount = exact(value)
    return amount is not None and amount != 0 and abs(amount) < CENT / 2


def money_expr(expr: pl.Expr) -> pl.Expr:
    """`money_text` over a whole column (Polars, vectorised), for 万元 amounts under 1 亿元 as the points messages
    carry them: exactly two decimals, 四舍五入, thousands separated, never "-0.00"; 亿元 from 10,000 万元."""
    large = expr.abs() >= float(YI)
    cents = (half_up(pl.when(large).then(expr / float(YI)).otherwise(expr), 2) * 100).round(0).cast(pl.Int64)
    whole = (cents.abs() // 100).cast(pl.Utf8)
    # Thousands separators: reverse, group by three, reverse back.
    grouped = whole.str.reverse().str.replace_all(r"(\d{3})(\d)", "$1,$2").str.reverse()
    text = (
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
        + grouped
        + pl.lit(".")
        + (cents.abs() % 100).cast(pl.Utf8).str.zfill(2)
    )
    return text + pl.when(large).then(pl.lit(" 亿元")).otherwise(pl.lit(" 万元"))
