"""Database → engine frames. Engines never touch the ORM; these functions load what they read, in bulk.

`facts_frame` returns the facts table (data dictionary shape, `facts.polars_schema()` dtypes) for a set of
enterprises: one row per enterprise per year, static attributes repeated on every row. It reads with one plain
SQL statement and lets the database cast decimals to floats: going through the ORM builds a Decimal per cell,
which for a city's registry (40,000 rows × 60 columns) costs seconds on every engine run.
"""

from __future__ import annotations

import polars as pl
from django.core.exceptions import EmptyResultSet
from django.db import connection

from kechuang.carriers.models import Residency
from kechuang.engine import facts

from .models import AnnualFigure, Enterprise

BATCH = 50_000
_FLOAT_KINDS = (facts.MONEY, facts.NUMBER, facts.FRACTION)


def _select_list() -> tuple[list[str], dict[str, pl.DataType]]:
    """SQL expressions for every facts column, in the data dictionary's order, and their dtypes.

    Both backends' drivers (with Django's converters on SQLite) return dates and booleans as Python objects;
    decimals are cast to floats in SQL.
    """
    qn = connection.ops.quote_name
    float_type = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    enterprise_columns = {f.attname: f.column for f in Enterprise._meta.concrete_fields}
    figure_columns = {f.attname: f.column for f in AnnualFigure._meta.concrete_fields}
    exprs, raw = [], {}
    for column in facts.COLUMNS:
        attr = {"region_code": "region_id", "industry_code": "industry_id"}.get(column.name, column.name)
        if column.static:
            ref = f"e.{qn(enterprise_columns[attr])}"
        else:
            ref = f"f.{qn(figure_columns[attr])}"
        if column.kind in _FLOAT_KINDS:
            exprs.append(f"CAST({ref} AS {float_type})")
            raw[column.name] = pl.Float64
        else:
            exprs.append(ref)
            raw[column.name] = facts.polars_schema()[column.name]
    return exprs, raw


def facts_frame(enterprises=None, years: list[int] | None = None) -> pl.DataFrame:
    """Facts rows of `enterprises` (a queryset; default all) for `years` (default all), sorted by uscc, year."""
    exprs, raw = _select_list()
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {', '.join(exprs)} FROM {qn(AnnualFigure._meta.db_table)} f "
        f"JOIN {qn(Enterprise._meta.db_table)} e ON e.{qn('id')} = f.{qn('enterprise_id')}"
    )
    params: list = []
    where = []
    if enterprises is not None:
        try:
            inner, inner_params = enterprises.values("pk").query.sql_with_params()
        except EmptyResultSet:  # e.g. `.none()`: nothing to read
            return pl.DataFrame(schema=facts.polars_schema())
        where.append(f"e.{qn('id')} IN ({inner})")
        params.extend(inner_params)
    if years:
        where.append(f"f.{qn('year')} IN ({', '.join(['%s'] * len(years))})")
        params.extend(years)
    if where:
        sql += " WHERE " + " AND ".join(where)
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH):
            parts.append(pl.DataFrame(rows, schema=raw, orient="row"))
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=raw)
    return frame.select(list(facts.polars_schema())).sort("uscc", "year")


def carrier_frame(on=None) -> pl.DataFrame:
    """(uscc, carrier) for enterprises resident on date `on` (default: residencies without an end)."""
    qs = Residency.objects.filter(enterprise__isnull=False)
    qs = qs.filter(end__isnull=True) if on is None else qs.filter(start__lte=on).exclude(end__lte=on)
    rows = list(qs.order_by("enterprise__uscc", "-start").values_list("enterprise__uscc", "carrier__name"))
    frame = pl.DataFrame(rows, schema={"uscc": pl.Utf8, "carrier": pl.Utf8}, orient="row")
    return frame.unique("uscc", keep="first", maintain_order=True)
