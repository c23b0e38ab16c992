"""The facts panel (one row per enterprise per year) as OpenFisca's flat input arrays for the fiscal year.

OpenFisca reads one array per input variable; the panel's earlier years become `*_prev1`/`*_prev2` and the
few values its formulas cannot compute from numbers (registration year, negative-list industry, known
high-tech field) are prepared here. Written with Polars, the fastest tool at hand, and timed as part of the
OpenFisca side: the engine starts from the same panel.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from openfisca_tiers.system import BOOL_INPUTS, FISCAL_YEAR, FLOAT_INPUTS, INT_INPUTS, P_HTE, P_TECH

LAGGED = ("revenue", "rd_expense", "rd_expense_domestic")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _side_by_side(current: pl.DataFrame, earlier: pl.DataFrame) -> pl.DataFrame:
    """Earlier-year columns next to the current ones: placed directly when both list the same enterprises
    in the same order (as the engine does), joined on uscc otherwise."""
    if earlier["uscc"].equals(current["uscc"]):
        return current.hstack(earlier.drop("uscc").get_columns())
    return current.join(earlier, on="uscc", how="left")


def from_panel(panel: pl.DataFrame) -> dict[str, np.ndarray]:
    frame = panel.filter(pl.col("year") == FISCAL_YEAR)
    for k in (1, 2):
        earlier = panel.filter(pl.col("year") == FISCAL_YEAR - k).select(
            "uscc", *[pl.col(c).alias(f"{c}_prev{k}") for c in LAGGED]
        )
        frame = _side_by_side(frame, earlier)
    industry = pl.col("industry_code")
    derived = {
        "registered_year": pl.col("registered_on").dt.year(),
        "registered_ordinal": pl.col("registered_on").cast(pl.Int32) + _EPOCH_ORDINAL,
        "rd_institution_provincial_plus": pl.col("rd_institution_level").is_in(["provincial", "national"]),
        "industry_negative": pl.any_horizontal(
            [industry.str.starts_with(p) for p in P_TECH["negative_industry_prefixes"]]
        ),
        "field_known": pl.col("hightech_field").is_in(P_HTE["hightech_fields"]).fill_null(False),
    }
    columns = frame.select(
        *[pl.col(n).cast(pl.Float64) for n in FLOAT_INPUTS],
        *[(derived.get(n, pl.col(n))).cast(pl.Int64).alias(n) for n in INT_INPUTS],
        *[(derived.get(n, pl.col(n))).cast(pl.Boolean).alias(n) for n in BOOL_INPUTS],
    )
    return {name: columns[name].to_numpy() for name in columns.columns}
