"""Explanations of points: per-firm diagnosis structure, stage-cohort indicator percentiles (radar), and
year-on-year changes explained by indicator ("下降 8.2 分：研发人员占比 18% → 11%（−4.2 分）").

Policy:
- Everything is computed from the scored frames (`score_frame` output); nothing is re-scored here.
- Indicator percentile (radar) = 100 × share of the *other* firms of the same stage whose raw value is
  strictly lower (PERCENT_RANK): a firm with 0 PCT applications scores 0 even when most firms have 0.
  Unknown raw values have no percentile and are not in the cohort.
- Year-on-year: drivers are the indicators whose contribution changed, largest absolute change first
  (ties by the scheme's indicator order), at most `top` of them; the message is Chinese and vectorised
  (Polars string expressions over all firms, no Python loop per firm).
"""

from __future__ import annotations

import polars as pl

from kechuang.engine.points.fmt import number_text, python_value_text, value_text
from kechuang.engine.points.scheme import Scheme
from kechuang.engine.rounding import half_up, half_up_value

METHOD_ZH = {
    "bands": "分档赋分",
    "share": "占参照值比例",
    "percentile": "同阶段排名百分位",
    "minmax": "同阶段最小—最大归一",
    "flag": "是否",
}


def indicator_percentiles(scored: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """uscc + `q_<id>` per indicator: 100 × PERCENT_RANK of the raw value within the stage cohort."""
    exprs = []
    for ind in scheme.indicators:
        x = pl.col(f"r_{ind.id}").cast(pl.Float64)
        n = x.count().over("stage")
        r = x.rank("min").over("stage").cast(pl.Float64)
        exprs.append(
            pl.when(x.is_null() | pl.col("stage").is_null())
            .then(None)
            .when(n > 1)
            .then(100.0 * (r - 1) / (n - 1))
            .otherwise(0.0)
            .alias(f"q_{ind.id}")
        )
    return scored.select("uscc", *exprs)


def _normalisation_text(scheme: Scheme, ind, stage: str | None) -> str:
    nm = ind.normalise
    if nm.method == "bands":
        parts = []
        for b in nm.bands:
            low = "其余" if b.min is None else f"≥{python_value_text(b.min, ind.unit)}"
            parts.append(f"{low} 得 {b.score:g}")
        return "分档：" + "，".join(parts)
    if nm.method == "share":
        if nm.cohort:
            ref = {"mean": "同阶段平均值", "median": "同阶段中位数", "max": "同阶段最大值"}[nm.cohort]
        elif nm.reference_by_stage:
            ref = python_value_text(nm.reference_by_stage.get(stage), ind.unit) if stage else "按阶段"
        else:
            ref = python_value_text(nm.reference, ind.unit)
        cap = "" if nm.cap == 1 else f"，封顶 {nm.cap:g} 倍"
        return f"取值 ÷ 参照值 {ref}{cap}"
    return METHOD_ZH[nm.method]


def explain_firm(scored: pl.DataFrame, uscc: str, scheme: Scheme, percentiles: pl.DataFrame | None = None) -> dict:
    """A JSON-able explanation of one firm's points, for the diagnosis page.

    `percentiles` (from `indicator_percentiles`, optional) avoids recomputing the radar for many firms.
    """
    rows = scored.filter(pl.col("uscc") == uscc)
    if rows.height == 0:
        raise KeyError(f"企业 {uscc} 不在积分结果中")
    row = rows.row(0, named=True)
    if percentiles is None:
        percentiles = indicator_percentiles(scored.filter(pl.col("stage") == row["stage"]), scheme)
    q = percentiles.filter(pl.col("uscc") == uscc)
    qrow = q.row(0, named=True) if q.height else {}
    stage = row["stage"]
    indicators = []
    for ind in scheme.indicators:
        raw = row[f"r_{ind.id}"]
        indicators.append(
            {
                "id": ind.id,
                "label": ind.label,
                "group": ind.group,
                "group_label": scheme.groups.get(ind.group, ind.group),
                "kind": ind.kind,
                "core": ind.core,
                "unit": ind.unit,
                "raw": raw,
                "raw_text": python_value_text(raw, ind.unit),
                "normalised": row[f"n_{ind.id}"],
                "max_points": scheme.max_points(stage, ind) if stage else None,
                "contribution": row[f"c_{ind.id}"],
                "stage_percentile": qrow.get(f"q_{ind.id}"),
                "method": ind.normalise.method,
                "method_text": _normalisation_text(scheme, ind, stage),
                "known": raw is not None,
                "note": ind.note,
            }
        )
    ranks = {
        key: {"rank": row.get(f"{key}_rank"), "percentile": row.get(f"{key}_percentile")}
        for key in ("stage", "industry", "region", "carrier")
        if f"{key}_rank" in row
    }
    ranks["overall"] = {"rank": row["rank"], "percentile": row["percentile"]}
    groups = {}
    for item in indicators:
        groups.setdefault(item["group"], {"label": item["group_label"], "points": 0.0, "max_points": 0.0})
        groups[item["group"]]["points"] += item["contribution"] or 0.0
        groups[item["group"]]["max_points"] += max(item["max_points"] or 0.0, 0.0)
    for g in groups.values():
        g["points"] = half_up_value(g["points"], scheme.precision)
        g["max_points"] = half_up_value(g["max_points"], scheme.precision)
    return {
        "uscc": uscc,
        "year": row["year"],
        "scheme": scheme.key,
        "scheme_name": scheme.name,
        "weights_official": scheme.weights_official,
        "weights_note": scheme.weights_note,
        "stage": stage,
        "stage_label": scheme.stage_labels.get(stage) if stage else None,
        "stage_rule": {
            "field": scheme.stage_rule.field,
            "label": scheme.stage_rule.label,
            "bounds": [{"stage": s.id, "label": s.label, "min": s.min} for s in scheme.stage_rule.stages],
        },
        "points": row["points"],
        "list": row["list"],
        "list_label": row["list_label"],
        "ranks": ranks,
        "groups": groups,
        "indicators": indicators,
        "missing": [m for m in (row["missing"] or "").split(";") if m],
        "missing_labels": [scheme.indicator(m).label for m in (row["missing"] or "").split(";") if m],
    }


def explain_changes(current: pl.DataFrame, previous: pl.DataFrame, scheme: Scheme, top: int = 3) -> pl.DataFrame:
    """Year-on-year change of points per firm of `current`, explained by indicator.

    Returns uscc, points, points_prev, delta, stage, stage_prev, message (Chinese), and `drivers`: a list
    of structs (indicator, label, raw_prev, raw, text_prev, text, delta) for the top changes.
    """
    ids = [i.id for i in scheme.indicators]
    prev = previous.select(
        "uscc",
        pl.col("points").alias("points_prev"),
        pl.col("stage").alias("stage_prev"),
        *[pl.col(f"r_{i}").alias(f"rp_{i}") for i in ids],
        *[pl.col(f"c_{i}").alias(f"cp_{i}") for i in ids],
    )
    both = current.select("uscc", "points", "stage", *[f"r_{i}" for i in ids], *[f"c_{i}" for i in ids])
    both = both.join(prev, on="uscc", how="left")
    p = scheme.precision
    both = both.with_columns(half_up(pl.col("points") - pl.col("points_prev"), p).alias("delta"))

    # Long form: one row per firm and indicator with a changed contribution.
    parts = []
    for order, ind in enumerate(scheme.indicators):
        parts.append(
            both.select(
                "uscc",
                pl.lit(order).alias("order"),
                pl.lit(ind.id).alias("indicator"),
                pl.lit(ind.label).alias("label"),
                pl.col(f"rp_{ind.id}").cast(pl.Float64).alias("raw_prev"),
                pl.col(f"r_{ind.id}").cast(pl.Float64).alias("raw"),
                value_text(pl.col(f"rp_{ind.id}"), ind.unit).alias("text_prev"),
                value_text(pl.col(f"r_{ind.id}"), ind.unit).alias("text"),
                half_up(pl.col(f"c_{ind.id}") - pl.col(f"cp_{ind.id}"), p).alias("delta"),
            )
        )
    long = pl.concat(parts).filter(pl.col("delta").is_not_null() & (pl.col("delta") != 0))
    signed = pl.when(pl.col("delta") > 0).then(pl.lit("+")).otherwise(pl.lit("−"))
    long = long.with_columns(
        (
            pl.col("label")
            + " "
            + pl.col("text_prev")
            + " → "
            + pl.col("text")
            + "（"
            + signed
            + number_text(pl.col("delta").abs(), p)
            + " 分）"
        ).alias("phrase"),
        pl.col("delta").abs().alias("_abs"),
    )
    drivers = (
        long.sort(["uscc", "_abs", "order"], descending=[False, True, False])
        .group_by("uscc", maintain_order=True)
        .head(top)
        .group_by("uscc", maintain_order=True)
        .agg(
            pl.col("phrase").str.join("；").alias("_phrases"),
            pl.struct("indicator", "label", "raw_prev", "raw", "text_prev", "text", "delta").alias("drivers"),
        )
    )
    out = both.select("uscc", "points", "points_prev", "delta", "stage", "stage_prev").join(
        drivers, on="uscc", how="left"
    )
    labels = scheme.stage_labels
    stage_zh = pl.col("stage").replace_strict(labels, default=None)
    stage_prev_zh = pl.col("stage_prev").replace_strict(labels, default=None)
    head = (
        pl.when(pl.col("delta") > 0)
        .then(pl.lit("上升 ") + number_text(pl.col("delta"), p) + pl.lit(" 分"))
        .when(pl.col("delta") < 0)
        .then(pl.lit("下降 ") + number_text(-pl.col("delta"), p) + pl.lit(" 分"))
        .otherwise(pl.lit("积分持平"))
    )
    stage_note = (
        pl.when(pl.col("stage") != pl.col("stage_prev"))
        .then(pl.lit("（阶段由") + stage_prev_zh + pl.lit("变为") + stage_zh + pl.lit("，权重随之变化）"))
        .otherwise(pl.lit(""))
    )
    message = (
        pl.when(pl.col("points").is_null())
        .then(pl.lit("本年无积分（阶段未知）"))
        .when(pl.col("points_prev").is_null())
        .then(pl.lit("上年无积分，无法比较"))
        .otherwise(
            head
            + stage_note
            + pl.when(pl.col("_phrases").is_not_null()).then(pl.lit("：") + pl.col("_phrases")).otherwise(pl.lit(""))
        )
    )
    return out.with_columns(message.alias("message")).select(
        "uscc", "points", "points_prev", "delta", "stage", "stage_prev", "message", "drivers"
    )
