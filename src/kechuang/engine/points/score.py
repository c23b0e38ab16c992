"""Scoring: one row per enterprise with stage, points, contributions, ranks, percentiles and lists.

Policy:
- Set-based: one lazy Polars plan over all firms of a year; cohorts (stage, industry, region, carrier)
  are window partitions, never Python loops.
- Each indicator yields `r_<id>` (raw value), `n_<id>` (normalised score in [0, 1], null if unknown) and
  `c_<id>` (contribution = max points for the stage × score, rounded to the scheme's precision).
  An unknown indicator contributes 0 and is named in `missing`: points are earned on known data only,
  and the bureau sees what to collect.
- `points` is the rounded sum of the rounded contributions, so the contributions add up to the points
  exactly (to float representation). A firm whose stage is unknown (and the scheme has no fallback
  stage) has null points, contributions and ranks.
- Industry cohorts use the first `rankings.industry_digits` digits of `industry_code` (2 = 大类);
  region cohorts use `region_code`; carrier cohorts use the optional `carrier` column, skipped if absent.
- Output order: the input order (see `score_frame`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import polars as pl

from kechuang.engine import facts
from kechuang.engine.points import normalise as nz
from kechuang.engine.points import rank as rk
from kechuang.engine.points.scheme import Scheme, SchemeError
from kechuang.engine.rounding import half_up

COHORTS = ("stage", "industry", "region", "carrier")
EVERYONE = "all"  # the cohort of every scored firm (overall rank)
WORD_BITS = 63  # unknown-indicator flags per Int64 word (its bits below the sign)
# Leading output columns, in order; the CLI writes these first.
HEAD_COLUMNS = (
    "uscc",
    "year",
    "stage",
    "points",
    "rank",
    "percentile",
    "stage_rank",
    "stage_percentile",
    "list",
    "list_label",
)


def _known_names() -> set[str]:
    from kechuang.engine import derive

    names = set(facts.BY_NAME) | set(derive.DEPENDS) | {"has_year_row", "carrier"}
    for col in facts.ANNUAL_NAMES:
        names.update(f"{col}_prev{k}" for k in (1, 2, 3))
    return names


def _complete(frame: pl.DataFrame | pl.LazyFrame, scheme: Scheme) -> pl.LazyFrame:
    """Add known-but-absent input columns as unknown; refuse names no data source provides."""
    lf = frame.lazy()
    present = set(lf.collect_schema().names())
    absent = sorted(scheme.input_fields() - present)
    unknown = [n for n in absent if n not in _known_names()]
    if unknown:
        raise SchemeError(
            [f"指标取值字段 {n} 不是企业数据或派生指标的字段名" for n in unknown], where=f" {scheme.key} "
        )
    if absent:
        lf = lf.with_columns([pl.lit(None, dtype=pl.Float64).alias(n) for n in absent])
    return lf


def score_frame(
    frame: pl.DataFrame | pl.LazyFrame,
    scheme: Scheme,
    *,
    year: int | None = None,
    cohorts: tuple[str, ...] = COHORTS,
) -> pl.DataFrame:
    """Score a frame with one row per enterprise (the output of `derive.derived_for_year`, or a frame
    with the same column names). Returns HEAD_COLUMNS, then `<cohort>_rank`/`<cohort>_percentile` for
    industry, region and carrier (carrier only when the input has a `carrier` column), `missing`,
    `scheme`, and per indicator `c_<id>`, `r_<id>`, `n_<id>`.
    """
    lf = _complete(frame, scheme)
    names = set(lf.collect_schema().names())
    keys = _cohort_keys(scheme, names, cohorts)
    scored = _named_missing(_with_keys(_scored(lf, scheme, year, names), keys).collect(), scheme)
    # No sort here: reordering 1M rows × ~60 columns costs more than the scoring; callers that show
    # a leaderboard sort the slice they show (the CLI sorts by rank, then uscc).
    return _placed(scored, scheme, keys).select(_out(scheme, keys)).collect()


def score_chunks(
    frame: pl.DataFrame,
    scheme: Scheme,
    *,
    year: int | None = None,
    cohorts: tuple[str, ...] = COHORTS,
    chunk_rows: int = 1_000_000,
) -> Iterator[pl.DataFrame]:
    """`score_frame` for more firms than its result fits in memory: the same rows, values and ranks, yielded
    `chunk_rows` firms at a time in input order (the caller writes each out and lets it go).

    Ranks need every firm's points and some scores compare a firm with its whole stage (percentile, min–max,
    a share of the stage's mean), so it runs in three passes and never holds more than one chunk's columns:
    1. the stage-relative scores over all firms (those indicators' inputs only);
    2. per chunk, the points and cohort keys (categorical), kept for all firms (a few narrow columns);
    3. ranks, percentiles and lists over all firms from those; then per chunk the full row, computed again
       (cheaper than keeping ~60 columns of every firm), beside its slice of the ranks.
    """
    lf = _complete(frame, scheme)
    names = set(lf.collect_schema().names())
    keys = _cohort_keys(scheme, names, cohorts)
    relative = [i for i in scheme.indicators if _stage_relative(i.normalise)]
    given = (
        lf.with_columns(nz.stage_expr(scheme))
        .with_columns([nz.raw_expr(i.value).alias(f"r_{i.id}") for i in relative])
        .select([nz.normalised_expr(pl.col(f"r_{i.id}"), i.normalise).alias(f"n_{i.id}") for i in relative])
        .collect()
    )
    fixed = {i.id for i in relative}
    height = frame.height
    offsets = range(0, max(height, 1), chunk_rows)

    def chunk(offset: int) -> pl.LazyFrame:
        part = lf.slice(offset, chunk_rows)
        if relative:
            part = pl.concat([part, given.slice(offset, chunk_rows).lazy()], how="horizontal")
        return _with_keys(_scored(part, scheme, year, names | {f"n_{i}" for i in fixed}, fixed), keys)

    light = [f"_key_{k}" for k in keys]
    placed = pl.concat([chunk(o).select("points", *light).collect() for o in offsets])
    placed = _placed(placed, scheme, keys).select(_placing_columns(keys)).collect()
    out = _out(scheme, keys)
    for offset in offsets:
        rows = _named_missing(chunk(offset).drop(light).collect(), scheme)
        yield pl.concat([rows, placed.slice(offset, chunk_rows)], how="horizontal").lazy().select(out).collect()


def _stage_relative(norm) -> bool:
    """Scores that compare a firm with the others of its stage (not computable one chunk at a time)."""
    return norm.method in ("percentile", "minmax") or (norm.method == "share" and bool(norm.cohort))


def _scored(
    lf: pl.LazyFrame, scheme: Scheme, year: int | None, names: set[str], given: set[str] = frozenset()
) -> pl.LazyFrame:
    """Stage, raw values, scores (`given`: indicator ids whose `n_<id>` the frame already holds),
    contributions, points, which indicators are unknown (`_unknown_<k>` bits; `_named_missing` makes
    `missing` of them once collected), scheme and year: everything of a row but its ranks."""
    p = scheme.precision
    inds = scheme.indicators
    lf = lf.with_columns(nz.stage_expr(scheme))
    lf = lf.with_columns([nz.raw_expr(i.value).alias(f"r_{i.id}") for i in inds])
    lf = lf.with_columns(
        [nz.normalised_expr(pl.col(f"r_{i.id}"), i.normalise).alias(f"n_{i.id}") for i in inds if i.id not in given]
    )
    lf = lf.with_columns(
        [
            half_up(nz.max_points_expr(scheme, i) * pl.col(f"n_{i.id}").fill_null(0.0), p).alias(f"c_{i.id}")
            for i in inds
        ]
    )
    total = half_up(pl.sum_horizontal([pl.col(f"c_{i.id}") for i in inds]), p)
    lf = lf.with_columns(
        pl.when(pl.col("stage").is_not_null()).then(total).alias("points"),
        *_unknown_bits(inds),
        pl.lit(scheme.key).alias("scheme"),
    )
    if year is not None:
        lf = lf.with_columns(pl.lit(year, dtype=pl.Int64).alias("year"))
    elif "year" not in names:
        lf = lf.with_columns(pl.lit(None, dtype=pl.Int64).alias("year"))
    return lf


def _unknown_bits(inds: tuple) -> list[pl.Expr]:
    """Indicator j unknown → bit j % WORD_BITS of the Int64 `_unknown_<j // WORD_BITS>`."""
    return [
        pl.sum_horizontal(
            [pl.col(f"r_{i.id}").is_null().cast(pl.Int64) * (1 << b) for b, i in enumerate(inds[w : w + WORD_BITS])]
        ).alias(f"_unknown_{w // WORD_BITS}")
        for w in range(0, len(inds), WORD_BITS)
    ]


def _named_missing(rows: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """`rows` with `missing` ("a;b", null when every indicator is known) beside the `_unknown_` bits (the
    result's selection of columns leaves them out).

    The names are written once per distinct pattern of unknowns (a few thousand among 1M firms), not per
    firm and indicator: joining strings for every firm cost as much as the rest of its row."""
    words = [f"_unknown_{w // WORD_BITS}" for w in range(0, len(scheme.indicators), WORD_BITS)]
    bits = [
        pl.when(pl.col(f"_unknown_{j // WORD_BITS}") & (1 << j % WORD_BITS) != 0).then(pl.lit(i.id))
        for j, i in enumerate(scheme.indicators)
    ]
    names = pl.concat_str(bits, separator=";", ignore_nulls=True)
    # Joined on the bits alone: a join carries every column along, and a row has ~60.
    bits = pl.DataFrame([rows.get_column(w) for w in words])
    patterns = bits.unique().with_columns(pl.when(names != "").then(names).alias("missing"))
    return rows.hstack([bits.join(patterns, on=words, how="left", maintain_order="left")["missing"]])


def _cohort_keys(scheme: Scheme, names: set[str], cohorts: tuple[str, ...]) -> dict[str, pl.Expr]:
    """Cohort keys: rows without points are not in any cohort."""
    scored = pl.col("points").is_not_null()
    keys = {"stage": pl.when(scored).then(pl.col("stage"))}
    if "industry" in cohorts and "industry_code" in names:
        keys["industry"] = pl.when(scored).then(
            pl.col("industry_code").cast(pl.Utf8).str.slice(0, scheme.industry_digits)
        )
    if "region" in cohorts and "region_code" in names:
        keys["region"] = pl.when(scored).then(pl.col("region_code").cast(pl.Utf8))
    if "carrier" in cohorts and "carrier" in names:
        keys["carrier"] = pl.when(scored).then(pl.col("carrier").cast(pl.Utf8))
    return keys


def _with_keys(lf: pl.LazyFrame, keys: dict[str, pl.Expr]) -> pl.LazyFrame:
    # Categorical: numbered while each chunk is scored, so ranking all firms reads numbers, not strings.
    return lf.with_columns([v.cast(pl.Categorical).alias(f"_key_{k}") for k, v in keys.items()])


def _placed(scored: pl.DataFrame, scheme: Scheme, keys: dict[str, pl.Expr]) -> pl.LazyFrame:
    """`scored` (points and `_key_<cohort>` columns) with ranks, cohort sizes (`<cohort>_n`, everyone:
    `all_n`), percentiles and lists: percentiles and list cut-offs come from the rank and the cohort size."""
    cohorts = {EVERYONE: None} | {k: scored[f"_key_{k}"] for k in keys}
    ranks = rk.cohort_ranks(scored["points"], cohorts, scheme.precision).rename({f"{EVERYONE}_rank": "rank"})
    # Lazy, here and in the callers' selections: an eager select copies every column into one chunk.
    return pl.concat([scored, ranks], how="horizontal").lazy().with_columns(_placings(scheme, keys))


def _placings(scheme: Scheme, keys: dict[str, pl.Expr]) -> list[pl.Expr]:
    pct = [rk.percentile_from_rank(pl.col("rank"), pl.col(f"{EVERYONE}_n")).alias("percentile")]
    pct += [rk.percentile_from_rank(pl.col(f"{k}_rank"), pl.col(f"{k}_n")).alias(f"{k}_percentile") for k in keys]
    within_stage = scheme.lists_within == "stage"
    list_rank = pl.col("stage_rank" if within_stage else "rank")
    list_n = pl.col("stage_n" if within_stage else f"{EVERYONE}_n")
    return [
        *pct,
        rk.list_expr(scheme.lists, list_rank, list_n).alias("list"),
        rk.list_expr(scheme.lists, list_rank, list_n, labels=True).alias("list_label"),
    ]


def _placing_columns(keys: dict[str, pl.Expr]) -> list[str]:
    """The columns `_placed` adds that the result keeps."""
    out = ["rank", "percentile", "stage_rank", "stage_percentile", "list", "list_label"]
    return out + [f"{k}_{s}" for k in keys if k != "stage" for s in ("rank", "percentile")]


def _out(scheme: Scheme, keys: dict[str, pl.Expr]) -> list[str]:
    cohort_cols = [f"{k}_{s}" for k in keys if k != "stage" for s in ("rank", "percentile")]
    ind_cols = [f"{pfx}_{i.id}" for pfx in ("c", "r", "n") for i in scheme.indicators]
    return [*HEAD_COLUMNS, *cohort_cols, "missing", "scheme", *ind_cols]


def _supplement_lags(derived: pl.DataFrame, panel: pl.DataFrame, year: int, fields: set[str]) -> pl.DataFrame:
    """Add `<annual column>_prev<k>` inputs that the derived frame does not carry, from the panel."""
    for name in sorted(fields - set(derived.columns)):
        base, sep, k = name.rpartition("_prev")
        if not sep or not k.isdigit() or base not in facts.ANNUAL_NAMES or base not in panel.columns:
            continue
        lagged = (
            panel.filter(pl.col("year") == year - int(k))
            .select("uscc", pl.col(base).alias(name))
            .unique("uscc", keep="last")
        )
        derived = derived.join(lagged, on="uscc", how="left")
    return derived


def score_points(
    panel: pl.DataFrame,
    year: int,
    scheme: Scheme,
    *,
    as_of: dt.date | None = None,
    carrier: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Score the enterprises that have a row for fiscal `year` in the facts `panel`.

    `carrier` (optional): a frame (uscc, carrier) adding carrier cohorts; a `carrier` column already in
    the panel is used too. Values are derived by `derive.derived_for_year` (no ratio logic here).
    """
    from kechuang.engine import derive

    derived = derive.derived_for_year(panel, year, as_of)
    derived = derived.filter(pl.col("has_year_row"))
    derived = _supplement_lags(derived, panel, year, scheme.input_fields())
    if carrier is not None:
        derived = derived.join(carrier.select("uscc", "carrier").unique("uscc"), on="uscc", how="left")
    elif "carrier" in panel.columns:
        latest = panel.filter(pl.col("year") <= year).sort("year").unique("uscc", keep="last")
        derived = derived.join(latest.select("uscc", "carrier"), on="uscc", how="left")
    return score_frame(derived, scheme, year=year)
