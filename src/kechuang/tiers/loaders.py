"""Database → engine frames for the recognition lists (title expiry, 高企 annual reports): only the columns they
read, for the enterprises a user may see (a full facts frame would read every figure of the region)."""

from __future__ import annotations

import polars as pl
from django.db.models import Q

from kechuang.engine import facts
from kechuang.engine.tiers.recognitions import TITLE_DATES
from kechuang.enterprises.models import AnnualFigure

COLUMNS = ("hte_certified", "hte_certified_on", "hte_annual_report_filed", *TITLE_DATES.values())


def recognition_frame(enterprises, years: list[int], *, titles: bool = False) -> pl.DataFrame:
    """(uscc, year, registered_on and COLUMNS) of `enterprises` (an access-checked queryset) for `years`: the rows
    holding a title date (`titles`), or every row of the enterprises that held a 高企 certificate in those years."""
    figures = AnnualFigure.objects.filter(enterprise__in=enterprises, year__in=years)
    if titles:
        held = Q()
        for column in TITLE_DATES.values():
            held |= Q(**{f"{column}__isnull": False})
        figures = figures.filter(held)
    else:
        figures = figures.filter(enterprise__in=figures.filter(hte_certified=True).values("enterprise"))
    rows = figures.values_list("enterprise__uscc", "year", "enterprise__registered_on", *COLUMNS)
    schema = facts.polars_schema()
    names = ("uscc", "year", "registered_on", *COLUMNS)
    return pl.DataFrame(list(rows), schema={n: schema[n] for n in names}, orient="row")
