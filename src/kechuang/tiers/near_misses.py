"""How far a near miss is from its tier: the smallest relative change among the gaps of the requirement it
lacks (`short_of`), |delta| / |required|. Computed for a whole run at once (Polars) when results are stored,
and for one stored result (older runs, migration backfill)."""

from __future__ import annotations

import polars as pl

# A required value of 0 (e.g. "no accidents") would divide by zero: any change then counts as this far.
MIN_REQUIRED = 1e-9


def gap_sizes(results: pl.DataFrame) -> pl.Series:
    """`gap_size` per row of engine results (columns short_of and gaps as GAP structs); null where the row
    is not a near miss or no single-field change passes its requirement."""
    rows = results.select(pl.col("short_of"), pl.col("gaps")).with_row_index("_row")
    near = rows.filter(pl.col("short_of") != "")
    conditions = pl.col("short_of").cast(pl.Utf8).str.split(";")  # a categorical in engine results
    wanted = near.select("_row", conditions.alias("condition")).explode("condition")
    items = (
        near.select("_row", "gaps")
        .explode("gaps")
        .drop_nulls("gaps")
        .unnest("gaps")
        .with_columns(pl.col("condition").cast(pl.Utf8))
    )
    size = (pl.col("delta").abs() / pl.max_horizontal(pl.col("required").abs(), pl.lit(MIN_REQUIRED))).min()
    per_row = items.join(wanted, on=["_row", "condition"]).group_by("_row").agg(size.alias("gap_size"))
    return rows.join(per_row, on="_row", how="left").sort("_row")["gap_size"]


def gap_size(short_of: str, gaps: list[dict]) -> float | None:
    """The same for one stored result."""
    short = set(short_of.split(";")) - {""}
    sizes = [
        abs(float(g["delta"])) / max(abs(float(g["required"])), MIN_REQUIRED)
        for g in gaps or []
        if g.get("condition") in short and g.get("delta") is not None and g.get("required") is not None
    ]
    return min(sizes) if sizes else None
