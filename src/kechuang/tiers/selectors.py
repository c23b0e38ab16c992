"""Reads of stored tier results and of the recognitions a tier rests on (title expiry, 高企 annual reports).
Visibility of enterprises follows kechuang.enterprises.selectors."""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db.models import QuerySet

from kechuang.engine.tiers import monitoring
from kechuang.engine.tiers.recognitions import hte_report_status, title_expiries
from kechuang.enterprises.models import Enterprise, Qualification
from kechuang.enterprises.selectors import enterprises_for
from kechuang.rules import selectors as rules
from kechuang.rules.models import RuleVersion

from .loaders import recognition_frame
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
    """Results of finished runs, voided ones included (an old link still replays); never a run still writing."""
    return TierResult.objects.filter(
        enterprise__in=enterprises_for(user), run__status__in=[TierRun.Status.DONE, TierRun.Status.VOIDED]
    ).select_related("run", "enterprise")


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


# Tier rule sets' parameter versions live in the one store of rule versions under this kind.
RULE_KIND = "tiers"


def parameter_versions_added():
    """The bureau's published parameter versions of the tier rule sets (rows, newest date first)."""
    return (
        RuleVersion.objects.filter(kind=RULE_KIND, status=RuleVersion.Status.PUBLISHED)
        .select_related("created_by")
        .order_by("rule_id", "parameter", "-effective_from")
    )


def parameter_versions() -> list[dict]:
    """The same in the tier engine's shape (`parameter_versions` of `engine.tiers.evaluate`)."""
    return [
        {
            "ruleset": v.rule_id,
            "parameter": v.parameter,
            "effective_from": v.effective_from,
            "value": v.value,
            "source": v.source,
            "note": v.note,
        }
        for v in parameter_versions_added()
    ]


def _with_enterprises(frame: pl.DataFrame) -> list[dict]:
    """Rows of an engine frame with their Enterprise objects attached as `enterprise` (one query)."""
    by_uscc = Enterprise.objects.in_bulk(frame["uscc"].to_list(), field_name="uscc")
    return [{**row, "enterprise": by_uscc[row["uscc"]]} for row in frame.iter_rows(named=True)]


def monitoring_params(as_of: dt.date):
    """The pipeline-monitoring periods in force on a date (rule `tier_monitoring`, the bureau's versions included)."""
    return rules.params(monitoring.KIND.id, monitoring.RULE_ID, as_of)


def expiring_certificates(user, today: dt.date):
    """The 高企 certificates of the user's firms that lapse within the warning window of `today`, soonest first."""
    return (
        Qualification.objects.filter(
            kind=Qualification.Kind.HTE_CERTIFICATE,
            expires_on__gte=today,
            expires_on__lte=monitoring.warning_until(today, monitoring_params(today)),
            enterprise__in=enterprises_for(user),
        )
        .select_related("enterprise")
        .order_by("expires_on", "enterprise__uscc")
    )


def expiring_titles(user, today: dt.date) -> list[dict]:
    """梯度 titles (创新型/科技和创新型, 专精特新, 小巨人) of the user's enterprises that lapse within the warning
    window, soonest first: recognised_on, valid_years, expires_on, tier, enterprise."""
    frame = recognition_frame(enterprises_for(user), list(range(today.year - 4, today.year + 1)), titles=True)
    titles = title_expiries(frame, parameter_versions())
    until = monitoring.warning_until(today, monitoring_params(today))
    soon = titles.filter(pl.col("expires_on").is_between(today, until))
    return _with_enterprises(soon.sort("expires_on", "uscc", "tier"))


def hte_reports(user, today: dt.date) -> list[dict]:
    """高企 of the user's enterprises whose last-year report is not on record as filed, or who have missed one:
    report_year, due_on, filed, missed_min/max, cancel_at, certified_on, enterprise; most missed first."""
    frame = recognition_frame(enterprises_for(user), list(range(today.year - 4, today.year + 1)))
    status = hte_report_status(frame, today, parameter_versions())
    open_ = status.filter(pl.col("filed").fill_null(False).not_() | (pl.col("missed_min") > 0))
    return _with_enterprises(open_.sort(["missed_min", "missed_max", "uscc"], descending=[True, True, False]))
