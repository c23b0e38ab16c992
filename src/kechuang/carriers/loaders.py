"""Database → engine frames for the carriers engines (KPI checks, ranking, Torch conditions).

Set-based: one query per frame, whatever the number of carriers; nothing here decides anything.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl
from django.db.models import Q

from kechuang.engine.carriers import kpis as kpi_engine
from kechuang.enterprises.models import AnnualFigure

from .models import Exit, KpiReport, Residency


def _f(value) -> float | None:
    return None if value is None else float(value)


def kpi_frame(carrier_ids=None, months=None) -> pl.DataFrame:
    qs = KpiReport.objects.all()
    if carrier_ids is not None:
        qs = qs.filter(carrier_id__in=list(carrier_ids))
    if months is not None:
        qs = qs.filter(month__in=list(months))
    rows = [
        {"carrier_id": r["carrier_id"], "month": r["month"], **{m: _f(r[m]) for m in kpi_engine.METRICS}}
        for r in qs.values("carrier_id", "month", *kpi_engine.METRICS)
    ]
    return pl.DataFrame(rows, schema=kpi_engine.KPI_SCHEMA)


def registry_monthly(carrier_ids, months) -> pl.DataFrame:
    """Residencies (firms and teams) starting in each month, for carriers whose residencies the platform keeps
    (any residency at all): a carrier without any is not compared (the platform does not have its data)."""
    carrier_ids, months = list(carrier_ids), sorted(set(months))
    if not carrier_ids or not months:
        return pl.DataFrame(schema=kpi_engine.REGISTRY_MONTHLY_SCHEMA)
    tracked = set(Residency.objects.filter(carrier_id__in=carrier_ids).values_list("carrier_id", flat=True).distinct())
    counts: dict = defaultdict(int)
    start, end = months[0], _next_month(months[-1])
    for cid, day in Residency.objects.filter(carrier_id__in=tracked, start__gte=start, start__lt=end).values_list(
        "carrier_id", "start"
    ):
        counts[(cid, day.replace(day=1))] += 1
    rows = [
        {"carrier_id": c, "month": m, "firms_signed": float(counts[(c, m)])} for c in sorted(tracked) for m in months
    ]
    return pl.DataFrame(rows, schema=kpi_engine.REGISTRY_MONTHLY_SCHEMA)


def registry_annual(carrier_ids, years) -> pl.DataFrame:
    """Per carrier and year, the residents' revenue and equity financing summed from the registry; empty (unknown)
    where any firm resident during the year lacks the figure (no row, or an empty cell)."""
    carrier_ids, years = list(carrier_ids), sorted(set(years))
    if not carrier_ids or not years:
        return pl.DataFrame(schema=kpi_engine.REGISTRY_ANNUAL_SCHEMA)
    stays = list(
        Residency.objects.filter(carrier_id__in=carrier_ids, enterprise__isnull=False).values_list(
            "carrier_id", "enterprise_id", "start", "end"
        )
    )
    firms = {e for _, e, _, _ in stays}
    figures = {
        (e, y): (r, f)
        for e, y, r, f in AnnualFigure.objects.filter(enterprise_id__in=firms, year__in=years).values_list(
            "enterprise_id", "year", "revenue", "equity_financing"
        )
    }
    rows = []
    for cid in carrier_ids:
        for year in years:
            first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
            resident = {e for c, e, s, end in stays if c == cid and s <= last and (end is None or end > first)}
            if not resident:
                continue
            out = {"carrier_id": cid, "year": year}
            for metric, index in (("revenue", 0), ("financing", 1)):
                values = [figures.get((e, year), (None, None))[index] for e in resident]
                out[metric] = None if any(v is None for v in values) else float(sum(values))
            rows.append(out)
    return pl.DataFrame(rows, schema=kpi_engine.REGISTRY_ANNUAL_SCHEMA)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def torch_facts(carrier, as_of: dt.date) -> dict:
    """What the Torch incubator conditions read about one carrier, computed from its residents on `as_of`."""
    stays = Residency.objects.filter(carrier=carrier)
    current = stays.filter(start__lte=as_of).filter(Q(end__isnull=True) | Q(end__gt=as_of))
    residents = current.count()
    firms = list(current.filter(enterprise__isnull=False).values_list("enterprise_id", flat=True))
    year = as_of.year - 1
    latest = {}
    for e, y, eq, inv, c1, um, sw, dp in (
        AnnualFigure.objects.filter(enterprise_id__in=firms, year__lte=year)
        .order_by("enterprise_id", "year")
        .values_list(
            "enterprise_id",
            "year",
            "equity_financing",
            "invention_applications",
            "invention_patents",
            "utility_models",
            "software_copyrights",
            "design_patents",
        )
    ):
        latest[e] = (y, eq, inv, c1, um, sw, dp)

    def share(test) -> float | None:
        known = [t for t in (test(latest[e]) for e in firms if e in latest) if t is not None]
        return None if not known else sum(known) / len(known)

    def positive(*values) -> bool | None:
        if any(v is None for v in values):
            return True if any(v for v in values if v) else None
        return any(v > 0 for v in values)

    return {
        "area_m2": _f(carrier.area_m2),
        "opened_on": carrier.opened_on,
        "residents": residents,
        "graduated": stays.filter(exit_kind=Exit.GRADUATED).count(),
        "seed_fund": _f(carrier.seed_fund),
        "mentors": carrier.mentors,
        "financed_share": share(lambda r: None if r[0] != year or r[1] is None else r[1] > 0),
        "patent_share": share(lambda r: None if r[0] != year or r[2] is None else r[2] > 0),
        "ip_share": share(lambda r: positive(r[3], r[4], r[5], r[6])),
        "firms_with_figures": sum(1 for e in firms if e in latest),
        "firms": len(firms),
    }
