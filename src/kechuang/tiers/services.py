"""Tier evaluation runs (decisions, gaps and near misses stored; explanations computed on demand from the
firm's facts and the run's rule versions). A bureau's parameter version is written by `rules.services`, the one
writer of rule versions for every kind."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable

import polars as pl
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit, bulk, jobs
from kechuang.core.models import Job
from kechuang.engine import clock
from kechuang.engine.tiers import RuleSetError, evaluate, explanations, for_file
from kechuang.engine.tiers.model import local_set_text, read_local_set, select_rulesets
from kechuang.enterprises.loaders import facts_frame
from kechuang.enterprises.models import AnnualFigure, Enterprise
from kechuang.rules import region

from .models import TIER_LABELS, TierResult, TierRun
from .near_misses import gap_sizes
from .selectors import parameter_versions

logger = logging.getLogger(__name__)

RESULT_COLUMNS = [
    "run_id",
    "enterprise_id",
    "tier",
    "ruleset",
    "qualified",
    "route",
    "score",
    "score_min",
    "score_max",
    "failed",
    "missing",
    "gaps",
    "short_of",
    "gap_size",
]


def start_evaluation(as_of: dt.date, *, user=None, local_set: str = "") -> Job:
    """Evaluate every enterprise as of a date in the background."""
    if user is not None and not user.is_bureau:
        raise PermissionDenied(_("无权发起梯队评价"))
    check_as_of(as_of)
    return jobs.start(
        kind="tier_evaluation",
        title=f"梯队评价（基准日 {as_of:%Y-%m-%d}）",
        user=user,
        func="kechuang.tiers.services.evaluation_job",
        as_of=as_of.isoformat(),
        local_set=local_set,
        user_id=getattr(user, "pk", None),
    )


def check_as_of(as_of: dt.date, today: dt.date | None = None) -> None:
    """Refuse an as-of date no run should have: in the future, or with no annual figures for the fiscal
    year the rules read. Such a run would become the latest and empty every tier the platform shows."""
    today = today or clock.today()
    if as_of > today:
        raise ValidationError(_("评价基准日 %(d)s 晚于今天，不能评价尚未发生的情况") % {"d": as_of})
    years = {as_of.year - r.fiscal_year_offset for r in select_rulesets(as_of)}
    if not years:
        raise ValidationError(_("%(d)s 没有现行的梯队认定规则") % {"d": as_of})
    if not AnnualFigure.objects.filter(year__in=years).exists():
        raise ValidationError(
            _("尚无 %(y)s 年度的企业数据，按 %(d)s 评价将全部为“待定”；请先导入该年度数据")
            % {"y": "、".join(str(y) for y in sorted(years)), "d": as_of}
        )


def evaluation_job(job: Job, as_of: str, local_set: str = "", user_id: int | None = None) -> dict:
    run = evaluate_all(dt.date.fromisoformat(as_of), local_set=local_set, user_id=user_id, job=job)
    return {"run": run.pk, "message": f"已评价 {run.enterprises} 家企业", "url": f"/tiers/?run={run.pk}"}


def evaluate_all(
    as_of: dt.date, *, local_set: str = "", user_id=None, job: Job | None = None, frame: pl.DataFrame | None = None
) -> TierRun:
    """Evaluate all enterprises (or the given facts frame) and store the results; the run is swapped in whole."""
    if job:
        jobs.report(job, 0, total=3, message="正在读取企业数据……")
    frame = facts_frame() if frame is None else frame
    # No variant named: the region profile's variant per tier (the run stores which, to be replayed exactly).
    local_set = local_set or local_set_text(region.tier_local_set())
    versions = parameter_versions()
    if job:
        jobs.report(job, 1, message="正在按规则评价……")
    results = evaluate(
        frame, as_of, parameter_versions=versions, local_set=read_local_set(local_set), explain=False, near_misses=True
    )
    results = results.with_columns(gap_sizes(results).alias("gap_size"))
    rulesets = dict(results.select("tier", "ruleset").unique().sort("tier").iter_rows())
    if job:
        jobs.report(job, 2, message="正在保存结果……")
    ids = dict(Enterprise.objects.values_list("uscc", "pk"))
    # The results are written chunk by chunk under a run of their own in state `running` (the selectors read
    # `done` runs only), then the run is swapped in at once: a run stopped half-way leaves the previous results in
    # force (as scoring runs do; docs/deployment.md, "Runs swap in whole").
    run = TierRun.objects.create(
        as_of=as_of,
        local_set=local_set,
        rulesets=rulesets,
        parameter_versions=_jsonable(versions),
        status=TierRun.Status.RUNNING,
        enterprises=results["uscc"].n_unique(),
        job=job,
        created_by_id=user_id,
    )
    rows = (
        (run.pk, ids[r[0]], *r[1:])
        for r in for_file(results)
        .with_columns(pl.col("route", "failed", "missing", "short_of").fill_null(""))
        .select("uscc", *RESULT_COLUMNS[2:])
        .iter_rows()
        if r[0] in ids
    )
    try:
        bulk.insert_rows(TierResult, RESULT_COLUMNS, rows, label="tiers.evaluate", commit_each=True)
    except BaseException:
        TierRun.objects.filter(pk=run.pk).delete()  # a stopped run's rows; a killed one's go at the next swap
        raise
    counts = dict(results.filter(pl.col("qualified") == "true").group_by("tier").len().iter_rows())
    with transaction.atomic():
        # Runs of the same date started before this one and never finished: a killed worker's half-written rows
        # (its retried job evaluates the same date again, so they go at once).
        TierRun.objects.filter(as_of=as_of, status=TierRun.Status.RUNNING, pk__lt=run.pk).delete()
        TierRun.objects.filter(pk=run.pk).update(status=TierRun.Status.DONE)
        run.status = TierRun.Status.DONE
        audit.record(
            actor=get_user_model().objects.filter(pk=user_id).first() if user_id else None,
            action="tier_run.create",
            obj=run,
            note=f"基准日 {as_of:%Y-%m-%d}，评价 {run.enterprises} 家企业；达标："
            + "、".join(f"{TIER_LABELS[t]} {counts.get(t, 0)} 家" for t in TIER_LABELS if t in rulesets),
        )
    if job:
        jobs.report(job, 3)
    return run


def void_run(*, user, run_id: int, reason: str) -> TierRun:
    """Void a finished run (bureau admins): it stays stored with who, when and why, and the latest run before
    it becomes the one every page reads. Points runs that used its tiers keep them (they record which run)."""
    if not user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以作废评价批次"))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("请填写作废原因"))
    if len(reason) > 500:
        raise ValidationError(_("作废原因不能超过 500 字"))
    with transaction.atomic():
        run = TierRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise ValidationError(_("评价批次 #%(n)s 不存在") % {"n": run_id})
        if run.status != TierRun.Status.DONE:
            raise ValidationError(
                _("评价批次 #%(n)s 状态为“%(s)s”，只能作废已完成的批次") % {"n": run.pk, "s": run.get_status_display()}
            )
        run.status, run.voided_reason, run.voided_by, run.voided_at = (
            TierRun.Status.VOIDED,
            reason,
            user,
            timezone.now(),
        )
        run.save(update_fields=["status", "voided_reason", "voided_by", "voided_at"])
        audit.record(
            actor=user,
            action="tier_run.void",
            obj=run,
            changes={"status": [TierRun.Status.DONE.value, TierRun.Status.VOIDED.value]},
            note=f"基准日 {run.as_of:%Y-%m-%d}；{reason}",
        )
    return run


def replay(result: TierResult) -> dict:
    """Re-evaluate one stored result as of its run's date with the run's parameter versions and today's facts.

    Returns whether the decision, route and score are the same, and the new values when they are not (facts may have
    been corrected since: the stored explanation says what the decision was based on then).
    """
    run = result.run
    frame = facts_frame(Enterprise.objects.filter(pk=result.enterprise_id))
    fresh = evaluate(
        frame,
        run.as_of,
        tiers=[result.tier],
        parameter_versions=_run_versions(run),
        local_set=read_local_set(run.local_set),
        explain=False,
    )
    row = fresh.row(0, named=True) if fresh.height else {}
    now = {
        "qualified": row.get("qualified"),
        "route": row.get("route") or "",
        "score": row.get("score"),
        "ruleset": row.get("ruleset"),
    }
    then = {"qualified": result.qualified, "route": result.route, "score": result.score, "ruleset": result.ruleset}
    return {"same": now == then, "then": then, "now": now}


def explain(results: Iterable[TierResult]) -> None:
    """Compute the explanation of each stored result (its `explanation`), for all of them at once per run:
    the firms' facts as stored now, evaluated on the run's as-of date with the rule-set versions and parameter
    versions the run recorded. `reproduced` says whether that gives the stored decision and route again (facts
    corrected since the run make it differ: the explanation then describes today's figures). A result whose
    firm has no facts, or whose rule-set version no longer exists, gets an explanation with no conditions."""
    by_run: dict[int, list[TierResult]] = {}
    for result in results:
        by_run.setdefault(result.run_id, []).append(result)
    for group in by_run.values():
        run = group[0].run
        usccs = dict(Enterprise.objects.filter(pk__in={r.enterprise_id for r in group}).values_list("pk", "uscc"))
        frame = facts_frame(Enterprise.objects.filter(pk__in=usccs))
        try:
            rows = explanations(frame, run.as_of, sorted({r.ruleset for r in group}), _run_versions(run))
        except RuleSetError:
            logger.exception("tier run %s: a rule-set version it names cannot be loaded", run.pk)
            rows = None
        found = {} if rows is None else {(r[0], r[1]): r for r in rows.iter_rows()}
        for result in group:
            row = found.get((usccs.get(result.enterprise_id), result.tier))
            if row is None:
                result.__dict__["explanation"] = {"conditions": {}, "reproduced": False}
                continue
            explanation = json.loads(row[5])
            explanation["reproduced"] = (row[3], row[4] or "") == (result.qualified, result.route)
            result.__dict__["explanation"] = explanation


def _run_versions(run: TierRun) -> list[dict]:
    """The parameter versions a run recorded, as the engine takes them."""
    return [{**v, "effective_from": dt.date.fromisoformat(v["effective_from"])} for v in run.parameter_versions]


def _jsonable(versions: list[dict]) -> list[dict]:
    return [{**v, "effective_from": v["effective_from"].isoformat()} for v in versions]
