"""Reads of stored tier results. Visibility of enterprises follows kechuang.enterprises.selectors."""

from __future__ import annotations

import polars as pl
from django.db.models import QuerySet

from kechuang.enterprises.selectors import enterprises_for

from .models import TierResult, TierRun


def latest_run() -> TierRun | None:
    return TierRun.objects.filter(status=TierRun.Status.DONE).order_by("-as_of", "-created_at").first()


def runs() -> QuerySet[TierRun]:
    return TierRun.objects.filter(status=TierRun.Status.DONE).order_by("-as_of", "-created_at")


def voided_runs() -> QuerySet[TierRun]:
    return TierRun.objects.filter(status=TierRun.Status.VOIDED).select_related("voided_by").order_by("-voided_at")


def results_for(user, run: TierRun | None = None) -> QuerySet[TierResult]:
    """Results of a run (default: the latest) for the enterprises the user may see."""
    run = run or latest_run()
    if run is None:
        return TierResult.objects.none()
    return TierResult.objects.filter(run=run, enterprise__in=enterprises_for(user)).select_related("run")


def results_for_any_run(user) -> QuerySet[TierResult]:
    return TierResult.objects.filter(enterprise__in=enterprises_for(user)).select_related("run", "enterprise")


def history_for(enterprise) -> list[TierRun]:
    """Runs (one per as-of date, the latest of each) with this enterprise's results attached as `.by_tier`."""
    seen, out = set(), []
    for run in runs():
        if run.as_of in seen:
            continue
        seen.add(run.as_of)
        run.by_tier = {r.tier: r for r in run.results.filter(enterprise=enterprise)}  # each knows its run
        out.append(run)
    return out


def tier_frame(run: TierRun | None = None) -> pl.DataFrame:
    """(uscc, tier, qualified, route) of a run (default: the latest): the tiers the other engines read."""
    run = run or latest_run()
    schema = {"uscc": pl.Utf8, "tier": pl.Utf8, "qualified": pl.Utf8, "route": pl.Utf8}
    if run is None:
        return pl.DataFrame(schema=schema)
    rows = TierResult.objects.filter(run=run).values_list("enterprise__uscc", "tier", "qualified", "route")
    return pl.DataFrame(list(rows), schema=schema, orient="row")
