"""Checks on a carrier's monthly KPIs: jumps beyond its own history, and figures that disagree with the registry.

Policy:
- Own history: a month's figure is compared with the median of the same carrier's known figures in the
  `history_months` months before it (at least `min_history` of them, median above 0). It is flagged as a
  jump when it is more than `jump_factor` times the median, or less than the median divided by
  `jump_factor`, and differs from it by at least `min_change_count` (counts) or `min_change_wan` (万元).
- Registry, monthly: where the platform records a carrier's residencies, the firms it reports signed in a
  month are compared with the residencies (firms and teams) that started that month; a difference of more
  than `signed_tolerance` is flagged.
- Registry, yearly: where all twelve months of a year are reported, the year's revenue and financing are
  compared with the residents' annual figures in the registry (revenue, equity financing), when every
  resident's figure is known (the loader leaves the registry value empty otherwise: unknown is not small);
  a relative difference above `annual_tolerance` is flagged on December.
- An unreported figure is never flagged and never compared: unknown is not zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

# The monthly KPIs a carrier reports: id → (Chinese label, unit).
METRICS: dict[str, tuple[str, str]] = {
    "firms_signed": ("新签约入驻企业数", "count"),
    "revenue": ("在驻企业营业收入", "wan"),
    "ip_applications": ("知识产权申请数", "count"),
    "financing": ("在驻企业融资额", "wan"),
    "events": ("活动场次", "count"),
}
# Yearly registry comparisons: KPI → the facts column the registry sums over residents.
ANNUAL_REGISTRY = {"revenue": "revenue", "financing": "equity_financing"}
UNIT_TEXT = {"count": "", "wan": " 万元"}

KPI_SCHEMA = {"carrier_id": pl.Int64, "month": pl.Date, **{m: pl.Float64 for m in METRICS}}
REGISTRY_MONTHLY_SCHEMA = {"carrier_id": pl.Int64, "month": pl.Date, "firms_signed": pl.Float64}
REGISTRY_ANNUAL_SCHEMA = {"carrier_id": pl.Int64, "year": pl.Int64, **{m: pl.Float64 for m in ANNUAL_REGISTRY}}
FLAG_SCHEMA = {
    "carrier_id": pl.Int64,
    "month": pl.Date,
    "metric": pl.Utf8,
    "kind": pl.Utf8,
    "value": pl.Float64,
    "reference": pl.Float64,
    "message": pl.Utf8,
}
KIND_LABELS = {"jump": "超出自身历史波动", "registry": "与企业库数据不一致"}


def amount(metric: str, value: float | None) -> str:
    """A KPI value as a page shows it: counts as integers, money in 万元 (亿元 when large)."""
    if value is None:
        return "未报送"
    if METRICS[metric][1] == "wan":
        return f"{value / 10000:,.2f} 亿元" if abs(value) >= 10000 else f"{value:,.2f} 万元"
    return f"{value:,.0f}"


def _sp(text: str) -> str:
    """Text before Chinese: a space after a number (中位数 10 的), none after a Chinese unit (100.00 万元的)."""
    return text if text and "\u4e00" <= text[-1] <= "\u9fff" else text + " "


def _month_index(col: str = "month") -> pl.Expr:
    return pl.col(col).dt.year().cast(pl.Int64) * 12 + pl.col(col).dt.month().cast(pl.Int64) - 1


def _long(kpis: pl.DataFrame) -> pl.DataFrame:
    present = [m for m in METRICS if m in kpis.columns]
    return (
        kpis.select("carrier_id", "month", *present)
        .unpivot(index=["carrier_id", "month"], on=present, variable_name="metric", value_name="value")
        .filter(pl.col("value").is_not_null())
        .with_columns(_month_index().alias("mi"))
    )


def _jumps(long: pl.DataFrame, params: Mapping) -> pl.DataFrame:
    n, factor = int(params["history_months"]), float(params["jump_factor"])
    hist = long.select("carrier_id", "metric", pl.col("mi").alias("hmi"), pl.col("value").alias("hv"))
    stats = (
        long.join(hist, on=["carrier_id", "metric"])
        .filter((pl.col("hmi") < pl.col("mi")) & (pl.col("hmi") >= pl.col("mi") - n))
        .group_by("carrier_id", "metric", "mi")
        .agg(pl.col("hv").median().alias("median"), pl.len().alias("known"))
    )
    frame = long.join(stats, on=["carrier_id", "metric", "mi"], how="inner").filter(
        (pl.col("known") >= int(params["min_history"])) & (pl.col("median") > 0)
    )
    min_change = (
        pl.when(pl.col("metric").is_in([m for m, (_, u) in METRICS.items() if u == "wan"]))
        .then(pl.lit(float(params["min_change_wan"])))
        .otherwise(pl.lit(float(params["min_change_count"])))
    )
    up = pl.col("value") > pl.col("median") * factor
    down = pl.col("value") < pl.col("median") / factor
    frame = frame.filter((up | down) & ((pl.col("value") - pl.col("median")).abs() >= min_change))
    rows = []
    for r in frame.sort("carrier_id", "month", "metric").iter_rows(named=True):
        label = METRICS[r["metric"]][0]
        value, median = r["value"], r["median"]
        if value > median:
            how = (
                f"是此前 {n} 个月中位数 {_sp(amount(r['metric'], median))}的 {value / median:.1f} 倍"
                f"（超过 {factor:g} 倍即提示）"
            )
        else:
            how = (
                f"仅为此前 {n} 个月中位数 {_sp(amount(r['metric'], median))}的 {value / median:.0%}"
                f"（不足 1/{factor:g} 即提示）"
            )
        rows.append(
            {
                "carrier_id": r["carrier_id"],
                "month": r["month"],
                "metric": r["metric"],
                "kind": "jump",
                "value": value,
                "reference": median,
                "message": f"{label} {amount(r['metric'], value)}，{how}",
            }
        )
    return pl.DataFrame(rows, schema=FLAG_SCHEMA)


def _registry_monthly(kpis: pl.DataFrame, registry: pl.DataFrame, params: Mapping) -> pl.DataFrame:
    if "firms_signed" not in kpis.columns or registry.is_empty():
        return pl.DataFrame(schema=FLAG_SCHEMA)
    tol = float(params["signed_tolerance"])
    joined = (
        kpis.select("carrier_id", "month", "firms_signed")
        .filter(pl.col("firms_signed").is_not_null())
        .join(registry.select("carrier_id", "month", pl.col("firms_signed").alias("reg")), on=["carrier_id", "month"])
    )
    joined = joined.filter((pl.col("firms_signed") - pl.col("reg")).abs() > tol)
    rows = [
        {
            "carrier_id": r["carrier_id"],
            "month": r["month"],
            "metric": "firms_signed",
            "kind": "registry",
            "value": r["firms_signed"],
            "reference": r["reg"],
            "message": (
                f"新签约入驻企业 {r['firms_signed']:,.0f} 家，"
                f"企业库记录本月开始入驻 {r['reg']:,.0f} 家（含团队），"
                f"相差 {abs(r['firms_signed'] - r['reg']):,.0f} 家（容差 {tol:g} 家）"
            ),
        }
        for r in joined.sort("carrier_id", "month").iter_rows(named=True)
    ]
    return pl.DataFrame(rows, schema=FLAG_SCHEMA)


def _registry_annual(kpis: pl.DataFrame, registry: pl.DataFrame, params: Mapping) -> pl.DataFrame:
    tol = float(params["annual_tolerance"])
    rows = []
    for metric in ANNUAL_REGISTRY:
        if metric not in kpis.columns or metric not in registry.columns:
            continue
        sums = (
            kpis.filter(pl.col(metric).is_not_null())
            .group_by("carrier_id", pl.col("month").dt.year().cast(pl.Int64).alias("year"))
            .agg(pl.col(metric).sum().alias("reported"), pl.col("month").n_unique().alias("months"))
            .filter(pl.col("months") == 12)
        )
        joined = sums.join(
            registry.select("carrier_id", "year", pl.col(metric).alias("reg")), on=["carrier_id", "year"]
        ).filter(pl.col("reg").is_not_null() & (pl.col("reg") > 0))
        joined = joined.with_columns(((pl.col("reported") - pl.col("reg")).abs() / pl.col("reg")).alias("diff"))
        for r in joined.filter(pl.col("diff") > tol).sort("carrier_id", "year").iter_rows(named=True):
            label = METRICS[metric][0]
            rows.append(
                {
                    "carrier_id": r["carrier_id"],
                    "month": dt.date(r["year"], 12, 1),
                    "metric": metric,
                    "kind": "registry",
                    "value": r["reported"],
                    "reference": r["reg"],
                    "message": (
                        f"{r['year']} 年各月{label}合计 {amount(metric, r['reported'])}，企业库中在驻企业 "
                        f"{r['year']} 年度合计 {amount(metric, r['reg'])}，相差 {r['diff']:.0%}（容差 {tol:.0%}）"
                    ),
                }
            )
    return pl.DataFrame(rows, schema=FLAG_SCHEMA)


def check(
    kpis: pl.DataFrame, registry_monthly: pl.DataFrame, registry_annual: pl.DataFrame, params: Mapping
) -> pl.DataFrame:
    """Every flag on the given KPI rows: (carrier_id, month, metric, kind, value, reference, message)."""
    kpis = kpis.cast({k: v for k, v in KPI_SCHEMA.items() if k in kpis.columns})
    registry_monthly = registry_monthly.cast(
        {k: v for k, v in REGISTRY_MONTHLY_SCHEMA.items() if k in registry_monthly.columns}
    )
    registry_annual = registry_annual.cast(
        {k: v for k, v in REGISTRY_ANNUAL_SCHEMA.items() if k in registry_annual.columns}
    )
    parts = [
        _jumps(_long(kpis), params),
        _registry_monthly(kpis, registry_monthly, params),
        _registry_annual(kpis, registry_annual, params),
    ]
    return pl.concat(parts).sort("carrier_id", "month", "metric", "kind")
