"""Database → engine frames for the chains engines, and the firm figures the chain map shows.

Set-based: the placement engine reads the whole registry in one query (name, class code, product words); the
map reads its members' latest figures, tiers and points with one query each.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from kechuang.engine.chains import gaps as gap_engine
from kechuang.engine.chains import placement as placement_engine
from kechuang.enterprises.models import AnnualFigure, Enterprise
from kechuang.points.models import PointsResult, ScoringRun
from kechuang.tiers import selectors as tier_selectors
from kechuang.tiers.models import PIPELINE, TIER_LABELS, TierResult

from .models import Chain, Placement, Segment


def firm_frame(enterprises=None) -> pl.DataFrame:
    qs = Enterprise.objects.all() if enterprises is None else enterprises
    rows = qs.values_list("uscc", "name", "industry_id", "product_profile__products")
    return pl.DataFrame(list(rows), schema=placement_engine.FIRM_SCHEMA, orient="row")


def segment_frame(chain: Chain) -> pl.DataFrame:
    rows = [
        {
            "segment_id": s.pk,
            "codes": list(s.industry_codes or []),
            "keywords": list(s.keywords or []),
            "products": list(s.products or []),
        }
        for s in chain.segments.all()
    ]
    return pl.DataFrame(rows, schema=placement_engine.SEGMENT_SCHEMA)


def link_frame(chain: Chain) -> pl.DataFrame:
    through = Segment.supplies.through
    rows = through.objects.filter(from_segment__chain=chain).values_list("from_segment_id", "to_segment_id")
    return pl.DataFrame(list(rows), schema=gap_engine.LINK_SCHEMA, orient="row")


def latest_year() -> int | None:
    return AnnualFigure.objects.order_by("-year").values_list("year", flat=True).first()


def gap_inputs(chain: Chain, year: int | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(segments, links, members) for engine.chains.gaps.assess: confirmed firms with `year`'s revenue and R&D
    (default: the latest year in the registry; a firm without that year's figures has unknown revenue)."""
    year = year or latest_year()
    segments = pl.DataFrame(
        [
            {"segment_id": s.pk, "name": s.name, "weight": float(s.weight), "order": i}
            for i, s in enumerate(chain.segments.order_by("order", "pk"))
        ],
        schema=gap_engine.SEGMENT_SCHEMA,
    )
    members = list(
        Placement.objects.filter(segment__chain=chain, status=Placement.Status.CONFIRMED).values_list(
            "segment_id", "enterprise__uscc", "enterprise_id"
        )
    )
    figures = {
        e: (r, d)
        for e, r, d in AnnualFigure.objects.filter(enterprise_id__in={m[2] for m in members}, year=year).values_list(
            "enterprise_id", "revenue", "rd_expense"
        )
    }
    rows = [
        {
            "segment_id": s,
            "uscc": u,
            "revenue": _f(figures.get(e, (None, None))[0]),
            "rd_expense": _f(figures.get(e, (None, None))[1]),
        }
        for s, u, e in members
    ]
    return segments, link_frame(chain), pl.DataFrame(rows, schema=gap_engine.MEMBER_SCHEMA)


def _f(value) -> float | None:
    return None if value is None else float(value)


def firm_details(enterprise_ids) -> dict[int, dict]:
    """For the map's firm lists: latest-year revenue and R&D, qualified tiers (latest tier run), latest points."""
    ids = set(enterprise_ids)
    year = latest_year()
    out = {e: {"year": year, "revenue": None, "rd_expense": None, "tiers": [], "points": None} for e in ids}
    for e, r, d in AnnualFigure.objects.filter(enterprise_id__in=ids, year=year).values_list(
        "enterprise_id", "revenue", "rd_expense"
    ):
        out[e].update(revenue=r, rd_expense=d)
    run = tier_selectors.latest_run()
    if run is not None:
        order = [t for level in PIPELINE for t in level]
        for e, tier in TierResult.objects.filter(run=run, enterprise_id__in=ids, qualified="true").values_list(
            "enterprise_id", "tier"
        ):
            out[e]["tiers"].append(tier)
        for d in out.values():
            d["tiers"] = [
                TIER_LABELS.get(t, t)
                for t in sorted(d["tiers"], key=lambda t: (order.index(t) if t in order else 99, t))
            ]
    points_run = ScoringRun.objects.filter(status=ScoringRun.Status.DONE).order_by("-year", "-created_at").first()
    if points_run is not None:
        for e, p in PointsResult.objects.filter(run=points_run, enterprise_id__in=ids).values_list(
            "enterprise_id", "points"
        ):
            out[e]["points"] = p
    return out


def totals(details: dict[int, dict]) -> dict:
    """Sums over firms where known (and how many were unknown), for a segment's row."""

    def total(key):
        known = [d[key] for d in details.values() if d[key] is not None]
        return {"sum": sum(known, Decimal(0)) if known else None, "unknown": len(details) - len(known)}

    return {"revenue": total("revenue"), "rd_expense": total("rd_expense")}
