"""Benefit formulas as Polars expressions over one row per enterprise.

Policy (the order is fixed and documented, so every amount can be explained):
1. The formula gives a raw amount in whole 元 (see money.py):
   - `fixed`: the amount;
   - `rate`: `rate × base`, rounded down to the 元;
   - `bands`: the band that holds `base` (lower bound included, upper bound excluded, as in "100万(含)–500万")
     pays its `amount`, or `rate × base`; a base outside every band pays 0;
   - `range` (e.g. 30–100万): the amount the caps allow, limited to `max`; `pick: highest` takes that upper
     amount, `pick: lowest` takes `min`.
2. `caps` lower it: each cap is a fixed amount or `rate × of` (e.g. ≤ 50% of paid-in capital).
3. Per-firm limits lower it by what the firm already received (`paid_before`, `paid_this_year`, 元).
4. `min` (the range's lower end, or an explicit `min`) is checked by the `amount_min` condition; with
   `below_min: pay` a smaller positive amount is paid instead. Every kind requires a positive amount.
An unknown input anywhere gives an unknown (null) amount, never 0.
"""

from __future__ import annotations

import polars as pl

from kechuang.engine.policies import money
from kechuang.engine.policies.model import Benefit, Limits

PAID_BEFORE = "paid_before"  # 元 this firm received from this policy before the payout year
PAID_THIS_YEAR = "paid_this_year"  # 元 received from this policy earlier in the payout year


def _any_null(exprs: list[pl.Expr]) -> pl.Expr:
    return pl.any_horizontal([e.is_null() for e in exprs]) if exprs else pl.lit(False)


def _min_known(exprs: list[pl.Expr]) -> pl.Expr:
    """Smallest of the expressions, null when any is null (min_horizontal would skip nulls)."""
    if len(exprs) == 1:
        return exprs[0]
    return pl.when(~_any_null(exprs)).then(pl.min_horizontal(exprs))


def cap_exprs(benefit: Benefit) -> list[tuple[str, pl.Expr]]:
    out = []
    for cap in benefit.caps:
        if cap.amount_yuan is not None:
            out.append((cap.id, pl.lit(cap.amount_yuan, pl.Int64)))
        else:
            out.append((cap.id, money.times_rate(money.yuan_expr(cap.of), cap.rate)))
    return out


def raw_amount(benefit: Benefit) -> pl.Expr:
    """Step 1: the formula's amount in 元, before caps (for `range`: `max`)."""
    if benefit.kind == "fixed":
        return pl.lit(benefit.amount_yuan, pl.Int64)
    if benefit.kind == "rate":
        return money.times_rate(money.yuan_expr(benefit.base), benefit.rate)
    if benefit.kind == "range":
        return pl.lit(benefit.max_yuan, pl.Int64)
    base = pl.col(benefit.base).cast(pl.Float64)
    base_yuan = money.yuan_expr(benefit.base) if any(b.rate for b in benefit.bands) else None
    expr = None
    for band in benefit.bands:
        inside = pl.lit(True)
        if band.lower is not None:
            inside = inside & (base >= band.lower)
        if band.upper is not None:
            inside = inside & (base < band.upper)
        pay = (
            pl.lit(band.amount_yuan, pl.Int64)
            if band.amount_yuan is not None
            else money.times_rate(base_yuan, band.rate)
        )
        expr = pl.when(inside).then(pay) if expr is None else expr.when(inside).then(pay)
    # outside every band: 0 (amount_min then fails); unknown base: null
    return pl.when(base.is_null()).then(pl.lit(None, pl.Int64)).otherwise(expr.otherwise(pl.lit(0, pl.Int64)))


def remaining_exprs(limits: Limits) -> list[tuple[str, pl.Expr]]:
    """Step 3: what the per-firm and per-year limits still allow, in 元 (never below 0)."""
    out = []
    if limits.per_firm_yuan is not None:
        out.append(
            (
                "per_firm",
                (pl.lit(limits.per_firm_yuan, pl.Int64) - pl.col(PAID_BEFORE) - pl.col(PAID_THIS_YEAR)).clip(
                    lower_bound=0
                ),
            )
        )
    if limits.per_year_yuan is not None:
        out.append(
            (
                "per_year",
                (pl.lit(limits.per_year_yuan, pl.Int64) - pl.col(PAID_THIS_YEAR)).clip(lower_bound=0),
            )
        )
    return out


def amount_before_min(benefit: Benefit, limits: Limits) -> pl.Expr:
    """Steps 1–3: the amount in 元 after caps and limits (null when any input is unknown)."""
    parts = [raw_amount(benefit)] + [e for _, e in cap_exprs(benefit)] + [e for _, e in remaining_exprs(limits)]
    return _min_known(parts).clip(lower_bound=0)


def minimum_yuan(benefit: Benefit) -> int:
    """The smallest amount that is paid: the policy's min, or 1 元 (a benefit of nothing is no benefit)."""
    return max(benefit.min_yuan or 0, 1)


def final_amount(benefit: Benefit, capped: pl.Expr) -> pl.Expr:
    """Step 4 (the amount, once the case passes): `range` with `pick: lowest` pays `min`."""
    if benefit.kind == "range" and benefit.pick == "lowest":
        return pl.when(capped >= benefit.min_yuan).then(pl.lit(benefit.min_yuan, pl.Int64)).otherwise(capped)
    return capped


def amount_min_condition(benefit: Benefit, capped: pl.Expr) -> pl.Expr:
    """The implicit condition `amount_min` (three-valued)."""
    floor = 1 if benefit.below_min == "pay" else minimum_yuan(benefit)
    return capped >= floor


def read_fields(benefit: Benefit) -> list[str]:
    """The input columns a benefit formula reads."""
    out = []
    if benefit.base:
        out.append(benefit.base)
    out += [cap.of for cap in benefit.caps if cap.of]
    return out
