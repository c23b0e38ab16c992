"""Database → engine frames. Engines never touch the ORM; these functions load what they read, in bulk.

`facts_frame` returns the facts table (data dictionary shape, `facts.polars_schema()` dtypes) for a set of
enterprises: one row per enterprise per year, static attributes repeated on every row.
"""

from __future__ import annotations

import polars as pl

from kechuang.carriers.models import Residency
from kechuang.engine import facts

from .models import ENTERPRISE_PLAIN, AnnualFigure, Enterprise

CHUNK = 50_000


def facts_frame(enterprises=None, years: list[int] | None = None) -> pl.DataFrame:
    """Facts rows of `enterprises` (a queryset; default all) for `years` (default all)."""
    static_attrs = ["uscc", "name", "region_id", "industry_id", *ENTERPRISE_PLAIN]
    qs = Enterprise.objects.all() if enterprises is None else enterprises
    static = pl.DataFrame(
        list(qs.values_list("pk", *static_attrs)),
        schema={"enterprise_id": pl.Int64, **{a: _dtype(a) for a in static_attrs}}, orient="row",
    ).rename({"region_id": "region_code", "industry_id": "industry_code"})
    figure_cols = ["enterprise_id", "year", *facts.ANNUAL_NAMES]
    figures = AnnualFigure.objects.filter(enterprise__in=qs)
    if years:
        figures = figures.filter(year__in=years)
    schema = {"enterprise_id": pl.Int64, "year": pl.Int64, **{n: _dtype(n) for n in facts.ANNUAL_NAMES}}
    parts = []
    batch = []
    for row in figures.order_by("enterprise_id", "year").values_list(*figure_cols).iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            parts.append(pl.DataFrame(batch, schema=schema, orient="row"))
            batch = []
    parts.append(pl.DataFrame(batch, schema=schema, orient="row"))
    annual = pl.concat(parts)
    frame = annual.join(static, on="enterprise_id", how="inner").drop("enterprise_id")
    return frame.select(list(facts.polars_schema())).sort("uscc", "year")


def _dtype(attr: str):
    name = {"region_id": "region_code", "industry_id": "industry_code"}.get(attr, attr)
    return facts.polars_schema()[name]


def carrier_frame(on=None) -> pl.DataFrame:
    """(uscc, carrier) for enterprises resident on date `on` (default: residencies without an end)."""
    qs = Residency.objects.filter(enterprise__isnull=False)
    qs = qs.filter(end__isnull=True) if on is None else qs.filter(start__lte=on).exclude(end__lte=on)
    rows = list(qs.order_by("enterprise__uscc", "-start").values_list("enterprise__uscc", "carrier__name"))
    frame = pl.DataFrame(rows, schema={"uscc": pl.Utf8, "carrier": pl.Utf8}, orient="row")
    return frame.unique("uscc", keep="first", maintain_order=True)
