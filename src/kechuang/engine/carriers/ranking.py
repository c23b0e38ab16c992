"""The carriers' monthly ranking (月度考核排名) from a dated scoring scheme, and why a carrier's rank moved.

Policy:
- Each KPI carries a weight (the scheme's parameters `w_<kpi>`, points). A carrier scores on a KPI the weight
  times its figure over the best figure of the month among the ranked carriers (share of the best, so the
  best scores the full weight); a month where nobody has more than 0 gives 0 to all.
- An unreported figure scores nothing and says so (未报送): it is not taken as 0 for the others' best either.
  A figure flagged by the KPI checks scores nothing while `score_flagged` is false (待核实), and does not set
  the best; once the flag is cleared (the figure corrected or confirmed) it counts.
- Ranks are competition ranks on the total rounded to 2 decimals (two carriers on 71.25 are both 3rd, the next
  is 5th); among equals the list is ordered by name.
- `explain_move` compares a carrier's contributions with the previous month's and names what moved it.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from kechuang.engine.carriers.kpis import METRICS

INPUT_SCHEMA = {"carrier_id": pl.Int64, "name": pl.Utf8, **{m: pl.Float64 for m in METRICS}}
FLAGGED_SCHEMA = {"carrier_id": pl.Int64, "metric": pl.Utf8}


def weights(params: Mapping) -> dict[str, float]:
    return {m: float(params[f"w_{m}"]) for m in METRICS if f"w_{m}" in params}


def rank(kpis: pl.DataFrame, flagged: pl.DataFrame, params: Mapping) -> pl.DataFrame:
    """One row per carrier: points, rank, `c_<kpi>` contributions and `notes` (why a KPI scored nothing)."""
    kpis = kpis.cast({k: v for k, v in INPUT_SCHEMA.items() if k in kpis.columns})
    w = weights(params)
    score_flagged = bool(params.get("score_flagged", False))
    flags = {(c, m) for c, m in flagged.select("carrier_id", "metric").iter_rows()} if not flagged.is_empty() else set()
    frame = kpis
    for m in w:
        if m not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Float64).alias(m))
        ids = sorted(c for c, metric in flags if metric == m)
        frame = frame.with_columns(pl.col("carrier_id").is_in(ids).alias(f"f_{m}"))
        counted = pl.when(pl.col(m).is_not_null() & (score_flagged | ~pl.col(f"f_{m}"))).then(
            pl.max_horizontal(pl.col(m), pl.lit(0.0))
        )
        frame = frame.with_columns(counted.alias(f"v_{m}"))
        best = pl.col(f"v_{m}").max()
        frame = frame.with_columns(
            pl.when(pl.col(f"v_{m}").is_null() | (best.fill_null(0) <= 0))
            .then(pl.lit(0.0))
            .otherwise(pl.lit(w[m]) * pl.col(f"v_{m}") / best)
            .round(4)
            .alias(f"c_{m}")
        )
    frame = frame.with_columns(pl.sum_horizontal([pl.col(f"c_{m}") for m in w]).round(2).alias("points"))
    frame = frame.with_columns(pl.col("points").rank("min", descending=True).cast(pl.Int64).alias("rank"))
    notes = []
    for r in frame.iter_rows(named=True):
        out = []
        for m in w:
            label = METRICS[m][0]
            if r[m] is None:
                out.append(f"{label}未报送，不得分")
            elif r[f"f_{m}"] and not score_flagged:
                out.append(f"{label}有异常提示待核实，暂不计分")
        notes.append(out)
    frame = frame.with_columns(pl.Series("notes", notes, dtype=pl.List(pl.Utf8)))
    keep = ["carrier_id", "name", "points", "rank", *[f"c_{m}" for m in w], "notes"]
    return frame.select(keep).sort(["rank", "name"])


def explain_move(current: Mapping, previous: Mapping | None, min_change: float = 0.05) -> str:
    """Why the rank moved since last month, in Chinese. `current`/`previous`: {rank, points, contributions}."""
    if previous is None:
        return f"上月未参与排名；本月第 {current['rank']} 名，{current['points']:.2f} 分"
    before, now = previous["rank"], current["rank"]
    if now < before:
        head = f"较上月上升 {before - now} 位（第 {before} → 第 {now} 名）"
    elif now > before:
        head = f"较上月下降 {now - before} 位（第 {before} → 第 {now} 名）"
    else:
        head = f"名次与上月相同（第 {now} 名）"
    head += f"，总分 {previous['points']:.2f} → {current['points']:.2f}"
    deltas = []
    for m, c in (current.get("contributions") or {}).items():
        d = (c or 0.0) - ((previous.get("contributions") or {}).get(m) or 0.0)
        if abs(d) >= min_change:
            deltas.append((abs(d), m, d))
    if not deltas:
        return head + "；各项得分基本不变"
    deltas.sort(key=lambda t: (-t[0], list(METRICS).index(t[1])))
    parts = [f"{METRICS[m][0]} {'+' if d > 0 else '−'}{abs(d):.2f} 分" for _, m, d in deltas[:3]]
    return head + "；主要因为" + "、".join(parts)
