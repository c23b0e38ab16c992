"""Indicative credit lines (创新积分贷) for a scoring run: the product finder's decision in the shape the points
run stores (eligible, amount, basis, qualifying tiers, explanation).

Policy: one definition of a product's eligibility and limit (`products.evaluate`); this only reshapes it.
`eligible` is true when the firm qualifies, false when it does not (a near miss is not eligible), unknown when
undecided; `amount` is the limit when eligible (unknown when its basis is), 0 when not, unknown when undecided.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from kechuang.engine.finance.products import Product, evaluate, prepare
from kechuang.engine.labels import TIER_NAMES


def credit_lines(
    firms: pl.DataFrame, tiers: pl.DataFrame | None, product: Product, lpr: Mapping, lifecycle: list[dict]
) -> pl.DataFrame:
    """uscc, eligible, amount, revenue_basis, basis_kind, qualifying_tiers, explanation (one row per firm)."""
    frame = prepare(firms, tiers, lifecycle)
    result = evaluate(frame, [product], lpr)
    tier_lists = [product.params[r.tiers] for r in product.doc.requirements if r.tiers]
    names = list(dict.fromkeys(t for tiers_ in tier_lists for t in tiers_))
    present = [t for t in names if f"tier.{t}" in frame.columns]
    qualifying = (
        pl.concat_str(
            [pl.when(pl.col(f"tier.{t}")).then(pl.lit(TIER_NAMES[t])) for t in present],
            separator="、",
            ignore_nulls=True,
        )
        if present
        else pl.lit(None, pl.Utf8)
    )
    status = pl.col("status")
    eligible = pl.when(status == "qualifies").then(True).when(status.is_in(["near", "no"])).then(False)
    return result.join(frame.select("uscc", qualifying.alias("qualifying_tiers")), on="uscc", how="left").select(
        "uscc",
        eligible.alias("eligible"),
        pl.when(status == "qualifies")
        .then(pl.col("limit"))
        .when(status.is_in(["near", "no"]))
        .then(0.0)
        .alias("amount"),
        "revenue_basis",
        "basis_kind",
        "qualifying_tiers",
        "explanation",
    )
