"""Database → engine frames for the 包联 engines (visits due, 高企 due to re-apply)."""

from __future__ import annotations

import polars as pl

from kechuang.engine.onestop import visits as visit_engine
from kechuang.enterprises.models import Qualification

from .models import Assignment, Visit


def assignment_frame(assignments) -> pl.DataFrame:
    rows = [(a.enterprise.uscc, a.official_id, a.since) for a in assignments]
    return pl.DataFrame(rows, schema=visit_engine.ASSIGNMENT_SCHEMA, orient="row")


def visit_frame(enterprise_ids) -> pl.DataFrame:
    rows = Visit.objects.filter(enterprise_id__in=list(enterprise_ids)).values_list("enterprise__uscc", "visited_on")
    return pl.DataFrame(list(rows), schema=visit_engine.VISIT_SCHEMA, orient="row")


def certificate_frame(enterprise_ids=None) -> pl.DataFrame:
    qs = Qualification.objects.filter(kind=Qualification.Kind.HTE_CERTIFICATE, expires_on__isnull=False)
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=list(enterprise_ids))
    return pl.DataFrame(
        list(qs.values_list("enterprise__uscc", "expires_on")), schema=visit_engine.CERT_SCHEMA, orient="row"
    )


def current_assignments():
    return Assignment.objects.filter(until__isnull=True).select_related("official", "enterprise")
