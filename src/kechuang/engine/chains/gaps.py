"""A chain's gaps (缺链、弱链): segments with no or weak local firms, ranked by how much of the chain needs them.

Policy:
- A segment's local firms are its confirmed placements. A segment with none is `missing` (空白).
- It is `weak` (薄弱) when it has fewer than `min_firms` firms, or when their revenue is certainly below
  `min_revenue` (the known revenues add up to less, and every firm's revenue is known). When the known
  revenues fall short but some firm's revenue is unknown, the segment is `unknown` (数据不足), never weak:
  unknown is not small. Otherwise it is `strong`.
- Dependence: the segments a segment supplies (`links`: from → to), directly or through others, depend on
  it. Its dependence is (its weight + the weights of the segments depending on it) / the chain's total
  weight: a material every product needs weighs more than a finishing service.
- A gap's priority is dependence × severity (`missing_severity` for missing, `weak_severity` for weak);
  gaps are ranked by priority, then dependence, then the segment's order. Each segment says why, in Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

MISSING, WEAK, STRONG, UNKNOWN = "missing", "weak", "strong", "unknown"
STATUS_LABELS = {MISSING: "空白", WEAK: "薄弱", STRONG: "较强", UNKNOWN: "数据不足"}
GAP_STATUSES = (MISSING, WEAK)

SEGMENT_SCHEMA = {"segment_id": pl.Int64, "name": pl.Utf8, "weight": pl.Float64, "order": pl.Int64}
LINK_SCHEMA = {"from_id": pl.Int64, "to_id": pl.Int64}
MEMBER_SCHEMA = {"segment_id": pl.Int64, "uscc": pl.Utf8, "revenue": pl.Float64, "rd_expense": pl.Float64}


def dependents(links: pl.DataFrame) -> dict[int, set[int]]:
    """Every segment's downstream closure over the supply links (a segment never depends on itself)."""
    out: dict[int, set[int]] = {}
    feeds: dict[int, list[int]] = {}
    for a, b in links.select("from_id", "to_id").iter_rows():
        feeds.setdefault(a, []).append(b)
    for start in feeds:
        seen, stack = set(), list(feeds[start])
        while stack:
            node = stack.pop()
            if node in seen or node == start:
                continue
            seen.add(node)
            stack.extend(feeds.get(node, ()))
        out[start] = seen
    return out


def _wan(value: float) -> str:
    return f"{value / 10000:,.2f} 亿元" if abs(value) >= 10000 else f"{value:,.2f} 万元"


def assess(segments: pl.DataFrame, links: pl.DataFrame, members: pl.DataFrame, params: Mapping) -> pl.DataFrame:
    """One row per segment: firms, revenue (known sum, unknown count), R&D, status, dependence, priority,
    gap rank (gaps only) and reasons."""
    segments = segments.cast({k: v for k, v in SEGMENT_SCHEMA.items() if k in segments.columns})
    if "weight" not in segments.columns:
        segments = segments.with_columns(pl.lit(1.0).alias("weight"))
    if "order" not in segments.columns:
        segments = segments.with_row_index("order").with_columns(pl.col("order").cast(pl.Int64))
    members = members.cast({k: v for k, v in MEMBER_SCHEMA.items() if k in members.columns}).unique(
        ["segment_id", "uscc"]
    )
    stats = members.group_by("segment_id").agg(
        pl.len().alias("firms"),
        pl.col("revenue").sum().alias("revenue"),
        pl.col("revenue").is_null().sum().alias("revenue_unknown"),
        pl.col("rd_expense").sum().alias("rd_expense"),
        pl.col("rd_expense").is_null().sum().alias("rd_unknown"),
    )
    frame = segments.join(stats, on="segment_id", how="left").with_columns(
        pl.col("firms").fill_null(0).cast(pl.Int64),
        pl.col("revenue").fill_null(0.0),
        pl.col("revenue_unknown").fill_null(0).cast(pl.Int64),
        pl.col("rd_expense").fill_null(0.0),
        pl.col("rd_unknown").fill_null(0).cast(pl.Int64),
    )
    min_firms, min_revenue = int(params["min_firms"]), float(params["min_revenue"])
    severity = {MISSING: float(params["missing_severity"]), WEAK: float(params["weak_severity"])}
    closure = dependents(links)
    weights = dict(frame.select("segment_id", "weight").iter_rows())
    names = dict(frame.select("segment_id", "name").iter_rows())
    orders = dict(frame.select("segment_id", "order").iter_rows())
    total = sum(weights.values()) or 1.0

    rows = []
    for r in frame.sort("order").iter_rows(named=True):
        sid = r["segment_id"]
        reasons = []
        if r["firms"] == 0:
            status = MISSING
            reasons.append("本地没有已确认的企业")
        else:
            few = r["firms"] < min_firms
            short_known = r["revenue"] < min_revenue
            if few:
                reasons.append(f"本地已确认企业 {r['firms']} 家，少于 {min_firms} 家")
            if short_known and r["revenue_unknown"] == 0:
                reasons.append(f"营业收入合计 {_wan(r['revenue'])}，低于 {_wan(min_revenue)}")
                status = WEAK
            elif few:
                status = WEAK
            elif short_known:
                status = UNKNOWN
                reasons.append(
                    f"已知营业收入合计 {_wan(r['revenue'])}，"
                    f"另有 {r['revenue_unknown']} 家企业营业收入未知，"
                    f"无法判断是否达到 {_wan(min_revenue)}"
                )
            else:
                status = STRONG
                reasons.append(f"本地已确认企业 {r['firms']} 家，营业收入合计 {_wan(r['revenue'])}")
        deps = sorted(closure.get(sid, set()), key=lambda s: (orders.get(s, 0), s))
        dependence = (weights[sid] + sum(weights.get(d, 0.0) for d in deps)) / total
        if deps:
            shown = "、".join(names.get(d, str(d)) for d in deps[:6]) + ("等" if len(deps) > 6 else "")
            reasons.append(f"下游 {len(deps)} 个环节依赖它（{shown}），连同本环节占全链权重 {dependence:.0%}")
        else:
            reasons.append(f"没有其他环节依赖它，本环节占全链权重 {dependence:.0%}")
        priority = round(dependence * severity[status], 6) if status in GAP_STATUSES else None
        rows.append(
            {
                **r,
                "status": status,
                "dependents": deps,
                "dependence": round(dependence, 6),
                "priority": priority,
                "reasons": reasons,
            }
        )
    out = pl.DataFrame(
        rows,
        schema={
            **{c: frame.schema[c] for c in frame.columns},
            "status": pl.Utf8,
            "dependents": pl.List(pl.Int64),
            "dependence": pl.Float64,
            "priority": pl.Float64,
            "reasons": pl.List(pl.Utf8),
        },
    )
    gaps = (
        out.filter(pl.col("priority").is_not_null())
        .sort(["priority", "dependence", "order"], descending=[True, True, False])
        .with_row_index("gap_rank", offset=1)
        .select("segment_id", pl.col("gap_rank").cast(pl.Int64))
    )
    return out.join(gaps, on="segment_id", how="left").sort("order")
