"""Raw indicator values and their normalisation to a score in [0, 1], as Polars expressions.

Policy (every method maps unknown → unknown; the scorer then gives an unknown indicator no points and
lists it in `missing`):
- `bands`: the first band (ordered by lower bound, highest first) whose `min` ≤ value gives the score;
  a band's lower bound belongs to it (≥, as 以上 in the rules-reference boundary convention).
- `share`: clip(value / reference, 0, cap) / cap. `reference` is a number, a number per stage, or a
  statistic (mean/median/max) of the known values of the firm's stage cohort; a reference ≤ 0 gives 0.
- `percentile`: the share of the *other* firms in the stage cohort with a strictly lower value,
  (rank_min − 1) / (n − 1) — SQL PERCENT_RANK. Ties share the score; a firm alone, or a cohort whose
  values are all equal, scores 0: cohort-relative points are earned only by beating someone.
- `minmax`: (value − min) / (max − min) within the stage cohort; 0 when max = min (same reason).
- `flag`: true → 1, false → 0.
Cohorts are the firms of one stage in the frame being scored; unknown values are not in the cohort.
"""

from __future__ import annotations

import polars as pl

from kechuang.engine.points.scheme import Indicator, Normalisation, Scheme, Value

STAGE = "stage"


def raw_expr(value: Value) -> pl.Expr:
    """The raw value of an indicator; a ratio with a zero or unknown denominator is unknown."""
    if value.field:
        return pl.col(value.field)
    if value.numerator:
        den = pl.col(value.denominator).cast(pl.Float64)
        return pl.when(den != 0).then(pl.col(value.numerator).cast(pl.Float64) / den)
    if value.terms:
        # A sum is unknown when any term is unknown (a 2-year count with a missing year is not known).
        total = pl.col(value.terms[0]).cast(pl.Float64)
        for name in value.terms[1:]:
            total = total + pl.col(name).cast(pl.Float64)
        return total
    # Kleene logic: true if any is true, false only if all are known false, otherwise unknown.
    return pl.any_horizontal([pl.col(n).cast(pl.Boolean) for n in value.any_true])


def _stage_map(values: dict[str, float], stage: pl.Expr) -> pl.Expr:
    out = None
    for st, v in values.items():
        out = pl.when(stage == st).then(pl.lit(v)) if out is None else out.when(stage == st).then(pl.lit(v))
    return out if out is not None else pl.lit(None, dtype=pl.Float64)


def normalised_expr(raw: pl.Expr, norm: Normalisation, stage: pl.Expr | None = None) -> pl.Expr:
    """Score in [0, 1] (Float64), null where `raw` is null. Cohort methods partition by `stage`."""
    stage = pl.col(STAGE) if stage is None else stage
    x = raw.cast(pl.Float64)
    if norm.method == "flag":
        return raw.cast(pl.Boolean).cast(pl.Float64)
    if norm.method == "bands":
        out = None
        for band in norm.bands:
            if band.min is None:
                out = out.otherwise(pl.lit(band.score)) if out is not None else pl.lit(band.score)
                break
            cond = x >= band.min
            out = pl.when(cond).then(pl.lit(band.score)) if out is None else out.when(cond).then(pl.lit(band.score))
        return pl.when(x.is_not_null()).then(out).cast(pl.Float64)
    if norm.method == "share":
        if norm.cohort:
            # Aggregations skip nulls, so the statistic is over the known values only.
            stat = {"mean": x.mean(), "median": x.median(), "max": x.max()}[norm.cohort]
            ref = stat.over(stage)
        elif norm.reference_by_stage:
            ref = _stage_map(norm.reference_by_stage, stage)
        else:
            ref = pl.lit(norm.reference)
        share = (x / ref).clip(0.0, norm.cap) / norm.cap
        return pl.when(x.is_null()).then(None).when(ref > 0).then(share).otherwise(0.0)
    if norm.method == "percentile":
        n = x.count().over(stage)
        rank = x.rank("min").over(stage).cast(pl.Float64)
        return pl.when(x.is_null()).then(None).when(n > 1).then((rank - 1) / (n - 1)).otherwise(0.0)
    if norm.method == "minmax":
        lo = x.min().over(stage)
        hi = x.max().over(stage)
        return pl.when(x.is_null()).then(None).when(hi > lo).then((x - lo) / (hi - lo)).otherwise(0.0)
    raise ValueError(f"unknown normalisation {norm.method}")


def stage_expr(scheme: Scheme) -> pl.Expr:
    """Stage id from the stage field (lower bounds inclusive); unknown field → `stage_rule.unknown`."""
    rule = scheme.stage_rule
    x = pl.col(rule.field).cast(pl.Float64)
    out = None
    for st in reversed(rule.stages):
        if st.min is None:
            out = pl.lit(st.id) if out is None else out.otherwise(pl.lit(st.id))
            break
        cond = x >= st.min
        out = pl.when(cond).then(pl.lit(st.id)) if out is None else out.when(cond).then(pl.lit(st.id))
    fallback = pl.lit(rule.unknown, dtype=pl.Utf8)
    return pl.when(x.is_null()).then(fallback).otherwise(out).cast(pl.Utf8).alias(STAGE)


def max_points_expr(scheme: Scheme, ind: Indicator, stage: pl.Expr | None = None) -> pl.Expr:
    """Points an indicator gives at score 1 for the firm's stage (negative for negative indicators)."""
    stage = pl.col(STAGE) if stage is None else stage
    if ind.kind == "weighted":
        return _stage_map({st: scheme.weights[st][ind.id] for st in scheme.stage_ids}, stage)
    return pl.when(stage.is_not_null()).then(pl.lit(scheme.max_points(scheme.stage_ids[0], ind)))
