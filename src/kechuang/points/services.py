"""Writes of the points app: scoring runs, monitoring alerts, alert handling, bureau scheme versions, bureau
alert-rule versions, batches.

Policy:
- `score_year` is set-based: one facts load, one engine call over every firm, an executemany insert of the
  results (JSON columns as JSON text built by Polars) committed chunk by chunk under a `running` run nobody
  reads, then one transaction swaps it in (`done`, the replaced run deleted) with its audit event and alerts.
  The completed run is unique per (scheme version, year, as-of); scoring the same key again replaces it.
- Alerts are evaluated right after a run (and on demand, e.g. after an import) and only new
  (enterprise, year, rule) keys are inserted: an acknowledged alert stays acknowledged.
- Only bureau roles score and handle alerts; only a bureau admin adds a scheme version, which the engine
  validates (its Chinese messages are shown as they are) and the audit trail records old → new.
- Alerts are evaluated with the alert rules in force on the as-of date (the run's, or the refresh's); each alert
  stores the key of that rule-set version. A bureau admin adds a dated alert-rule version through the rule
  editor (inputs, never YAML); it is stored as a document version of the rule-data layer (`rules.RuleVersion`),
  validated by the engine (Chinese messages naming the rule and field, unknown fields rejected); a date already
  taken is refused, and nothing is saved unless all of it is valid.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import zipfile
from decimal import Decimal

import polars as pl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit, bulk, jobs
from kechuang.core.models import Job
from kechuang.engine import derive
from kechuang.engine.finance.credit import credit_lines
from kechuang.engine.points import (
    SchemeError,
    alerts,
    evaluate_alerts,
    indicator_percentiles,
    new_version,
    score_points,
)
from kechuang.engine.points.registry import SCHEMES
from kechuang.enterprises.loaders import carrier_frame
from kechuang.enterprises.models import Enterprise
from kechuang.rules import services as rule_services
from kechuang.tiers import selectors as tier_selectors

from . import loaders, rules, schemes, selectors
from .models import Alert, PointsResult, ScoringRun

log = logging.getLogger(__name__)

# Years of facts loaded before the scored year: growth rates and the 2-year sums read up to 3 years back.
LAG_YEARS = 3
ALERT_COLUMNS = [
    "enterprise_id",
    "year",
    "rule",
    "ruleset",
    "severity",
    "label",
    "message",
    "values",
    "run_id",
    "status",
    "created_at",
]
DEFAULT_WEIGHTS_NOTE = "本方案的权重与赋分档位由本局自行设定，并非国家官方权重。"


def _report(job, done, total=None, message=None):
    if job is not None:
        jobs.report(job, done, total=total, message=message)


def _require_bureau(user, message):
    if user is not None and not user.is_bureau:
        raise PermissionDenied(message)


# --------------------------------------------------------------------------------------------------
# Scoring


def score_year(
    year: int, scheme_id: str = "core18", user=None, *, as_of: dt.date | None = None, job: Job | None = None
) -> ScoringRun:
    """Score every enterprise with a row for fiscal `year` and store the run (synchronous).

    `as_of` (default 31 December of `year`) picks the scheme version in force, the carrier residencies
    and the firm ages. Tier statuses (credit-line eligibility) come from the latest tier run.
    """
    _require_bureau(user, _("无权发起积分计算"))
    as_of = as_of or dt.date(year, 12, 31)
    try:
        scheme = schemes.scheme_for(scheme_id, as_of)
    except SchemeError as exc:
        raise ValidationError(exc.errors) from None
    _report(job, 0, 4, "正在读取企业数据……")
    panel = loaders.panel(list(range(year - LAG_YEARS, year + 1)))
    if panel.filter(pl.col("year") == year).height == 0:
        raise ValidationError(_("%(y)s 年度没有企业年度数据，无法计算积分") % {"y": year})
    carriers = carrier_frame(on=as_of)
    tier_run = tier_selectors.latest_run()
    tiers = tier_selectors.tier_frame(tier_run)
    credit_product = rules.credit_product(as_of)

    _report(job, 1, message="正在计算积分……")
    scored = score_points(panel, year, scheme, as_of=as_of, carrier=carriers)
    derived = derive.derived_for_year(panel, year, as_of).filter(pl.col("has_year_row"))
    results = _results_frame(scored, derived, carriers, tiers, scheme, credit_product)
    ids = pl.DataFrame(
        list(Enterprise.objects.values_list("uscc", "pk")),
        schema={"uscc": pl.Utf8, "enterprise_id": pl.Int64},
        orient="row",
    )
    results = results.join(ids, on="uscc", how="inner")
    sizes = dict(scored.filter(pl.col("points").is_not_null()).group_by("stage").len().iter_rows())

    _report(job, 2, message="正在保存结果……")
    run = ScoringRun.objects.create(
        scheme_id=scheme.id,
        scheme_version=scheme.version,
        scheme_key=scheme.key,
        scheme_name=scheme.name,
        scheme_data=schemes.jsonable(scheme.to_dict()),
        year=year,
        as_of=as_of,
        tier_run=tier_run,
        credit_rule=credit_product[0].doc.key if credit_product else "",
        stage_sizes=sizes,
        status=ScoringRun.Status.RUNNING,
        enterprises=results.height,
        scored=int(results["points"].is_not_null().sum()),
        job=job,
        created_by=user,
    )
    # The results frame is named after PointsResult's columns: store all of it but the uscc, chunk by chunk under
    # the new run's id (readers only read `done` runs), then swap the run in at once.
    columns = ["run_id", *(c for c in results.columns if c not in ("uscc", "run_id"))]
    rows = results.with_columns(pl.lit(run.pk).alias("run_id")).select(columns).iter_rows()
    try:
        bulk.insert_rows(PointsResult, columns, rows, label="points.score", commit_each=True)
    except BaseException:
        ScoringRun.objects.filter(pk=run.pk).delete()  # a stopped run's rows; a killed one's go at the next swap
        raise
    with transaction.atomic():
        # The completed run it replaces, and any run of the same key started before it and not done: one a killed
        # worker left half-written (two runs of one key at once: the one started last wins).
        replaced = ScoringRun.objects.filter(scheme_key=scheme.key, year=year, as_of=as_of).filter(
            Q(status=ScoringRun.Status.DONE) | Q(pk__lt=run.pk)
        )
        replaced = replaced.exclude(pk=run.pk)
        replaced_ids = sorted(replaced.filter(status=ScoringRun.Status.DONE).values_list("pk", flat=True))
        replaced.delete()
        ScoringRun.objects.filter(pk=run.pk).update(status=ScoringRun.Status.DONE)
        run.status = ScoringRun.Status.DONE
        audit.record(
            actor=user,
            action="points.score",
            obj=run,
            changes={"enterprises": [None, run.enterprises], "scored": [None, run.scored]},
            note=f"{year} 年度 · {scheme.key} · 基准日 {as_of}"
            + (f"（替换原计算 {replaced_ids}）" if replaced_ids else ""),
        )
        _report(job, 3, message="正在评估监测预警……")
        now_points = scored.select("uscc", pl.lit(year, dtype=pl.Int64).alias("year"), "points")
        _store_alerts(
            derived, year, as_of, run=run, points=pl.concat([now_points, _stored_points(scheme.id, year - 1)])
        )
    _report(job, 4)
    return run


def _results_frame(scored, derived, carriers, tiers, scheme, credit_product) -> pl.DataFrame:
    """One row per scored firm, columns named as PointsResult's fields, JSON columns as JSON text."""
    ids = [i.id for i in scheme.indicators]

    def as_json(prefix: str, frame_ids=ids) -> pl.Expr:
        return pl.struct([pl.col(f"{prefix}_{i}").alias(i) for i in frame_ids]).struct.json_encode()

    q = indicator_percentiles(scored, scheme)
    firms = derived.join(scored.select("uscc", "points"), on="uscc", how="left")
    if credit_product is None:
        credit = firms.select("uscc", pl.lit(None, pl.Utf8).alias("credit"))
    else:
        credit = _credit_json(firms, tiers, *credit_product)
    static = derived.select("uscc", "industry_code", "region_code")
    frame = scored.join(q, on="uscc", how="left").join(static, on="uscc", how="left")
    frame = frame.join(carriers.select("uscc", "carrier").unique("uscc"), on="uscc", how="left")
    frame = frame.join(credit, on="uscc", how="left")
    for name in (
        "industry_rank",
        "industry_percentile",
        "region_rank",
        "region_percentile",
        "carrier_rank",
        "carrier_percentile",
    ):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(name))

    def text(column: str, name: str | None = None) -> pl.Expr:
        return pl.col(column).cast(pl.Utf8).fill_null("").alias(name or column)

    cohorts = ("stage", "industry", "region", "carrier")
    ranks = [f"{cohort}_{kind}" for cohort in cohorts for kind in ("rank", "percentile")]
    return frame.select(
        "uscc",
        text("stage"),
        "points",
        "rank",
        "percentile",
        *ranks,
        text("list", "list_id"),
        text("list_label"),
        text("industry_code"),
        text("region_code"),
        text("carrier"),
        text("missing"),
        as_json("c").alias("contributions"),
        as_json("r").alias("raw"),
        as_json("n").alias("normalised"),
        as_json("q").alias("percentiles"),
        pl.col("credit").fill_null("{}"),
    )


def _credit_json(firms, tiers, product, lpr, lifecycle) -> pl.DataFrame:
    """uscc + the indicative credit line (finance engine) as JSON text, naming the product rule version."""
    return credit_lines(firms, tiers, product, lpr, lifecycle).select(
        "uscc",
        pl.struct(
            pl.lit(product.doc.key).alias("rule"),
            pl.lit(product.doc.name).alias("name"),
            "eligible",
            "amount",
            "revenue_basis",
            "basis_kind",
            "qualifying_tiers",
            "explanation",
        )
        .struct.json_encode()
        .alias("credit"),
    )


def latest_run_for(scheme_id: str, year: int) -> ScoringRun | None:
    return (
        ScoringRun.objects.filter(scheme_id=scheme_id, year=year, status=ScoringRun.Status.DONE)
        .order_by("-as_of", "-created_at")
        .first()
    )


def _stored_points(scheme_id: str, year: int) -> pl.DataFrame:
    """(uscc, year, points) of the latest stored run of `scheme_id` for `year` (empty if none)."""
    schema = {"uscc": pl.Utf8, "year": pl.Int64, "points": pl.Float64}
    run = latest_run_for(scheme_id, year)
    if run is None:
        return pl.DataFrame(schema=schema)
    rows = run.results.values_list("enterprise__uscc", "points")
    return pl.DataFrame([(u, year, p) for u, p in rows], schema=schema, orient="row")


def start_scoring(year: int, scheme_id: str = "core18", *, user, as_of: dt.date | None = None) -> Job:
    _require_bureau(user, _("无权发起积分计算"))
    return jobs.start(
        kind="points_scoring",
        title=f"创新积分计算（{year} 年度 · {scheme_id}）",
        user=user,
        func="kechuang.points.services.scoring_job",
        year=year,
        scheme_id=scheme_id,
        as_of=as_of.isoformat() if as_of else None,
        user_id=getattr(user, "pk", None),
    )


def _user(user_id):
    from kechuang.accounts.models import User

    return User.objects.filter(pk=user_id).first() if user_id else None


def scoring_job(
    job: Job, year: int, scheme_id: str = "core18", as_of: str | None = None, user_id: int | None = None
) -> dict:
    run = score_year(year, scheme_id, _user(user_id), as_of=dt.date.fromisoformat(as_of) if as_of else None, job=job)
    return {
        "run": run.pk,
        "message": f"已计算 {run.enterprises} 家企业（计分 {run.scored} 家）",
        "url": reverse("points:leaderboard") + f"?run={run.pk}",
    }


# --------------------------------------------------------------------------------------------------
# Monitoring alerts


def _store_alerts(derived: pl.DataFrame, year: int, as_of: dt.date, *, run=None, points=None) -> int:
    ruleset = selectors.alert_rules(as_of)
    found = evaluate_alerts(derived, ruleset, year, as_of, points, params=selectors.alert_params(ruleset, as_of))
    if found.height == 0:
        return 0
    ids = pl.DataFrame(
        list(Enterprise.objects.values_list("uscc", "pk")),
        schema={"uscc": pl.Utf8, "enterprise_id": pl.Int64},
        orient="row",
    )
    existing = pl.DataFrame(
        list(Alert.objects.filter(year=year).values_list("enterprise_id", "rule")),
        schema={"enterprise_id": pl.Int64, "rule": pl.Utf8},
        orient="row",
    )
    new = found.join(ids, on="uscc", how="inner").join(existing, on=["enterprise_id", "rule"], how="anti")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    new = new.with_columns(
        pl.lit(year).alias("year"),
        pl.lit(ruleset.key).alias("ruleset"),
        pl.lit(run.pk if run else None, dtype=pl.Int64).alias("run_id"),
        pl.lit(Alert.Status.OPEN.value).alias("status"),
    )
    rows = ((*r, now) for r in new.select(ALERT_COLUMNS[:-1]).iter_rows())
    return bulk.insert_rows(Alert, ALERT_COLUMNS, rows)


def refresh_alerts(year: int, *, user=None, as_of: dt.date | None = None, scheme_id: str = "core18") -> int:
    """Evaluate the alert rules for `year` on the current facts (e.g. after an import); returns new alerts.

    Points-based rules read the latest stored runs of `scheme_id` for `year` and `year − 1`.
    """
    _require_bureau(user, _("无权运行监测"))
    as_of = as_of or timezone.localdate()
    panel = loaders.panel(list(range(year - LAG_YEARS, year + 1)))
    derived = derive.derived_for_year(panel, year, as_of).filter(pl.col("has_year_row"))
    points = pl.concat([_stored_points(scheme_id, year), _stored_points(scheme_id, year - 1)])
    with transaction.atomic():
        count = _store_alerts(derived, year, as_of, points=points)
        if user is not None:
            audit.record(
                actor=user,
                action="points.alerts.refresh",
                obj=user,
                changes={"new_alerts": [None, count]},
                note=f"{year} 年度 · 基准日 {as_of}",
            )
    return count


def start_alert_refresh(year: int, *, user) -> Job:
    _require_bureau(user, _("无权运行监测"))
    return jobs.start(
        kind="points_alerts",
        title=f"动态监测（{year} 年度）",
        user=user,
        func="kechuang.points.services.alert_refresh_job",
        year=year,
        user_id=user.pk,
    )


def alert_refresh_job(job: Job, year: int, user_id: int | None = None) -> dict:
    _report(job, 0, 1, "正在评估预警规则……")
    count = refresh_alerts(year, user=_user(user_id))
    _report(job, 1)
    return {"message": f"新增预警 {count} 条", "url": reverse("points:alerts")}


def alerts_after_facts_job(job: Job, years: list[int], user_id: int | None = None) -> dict:
    """A consequence of changed facts (core.consequences): the alert rules again for each year that changed, on
    the facts just written. Runs as whoever changed them (a bureau user, or nobody for a command-line import)."""
    user = _user(user_id)
    if user is not None and not user.is_bureau:  # an enterprise's confirmed submission: monitoring is the bureau's
        user = None
    found = 0
    for i, year in enumerate(years):
        _report(job, i, len(years), f"正在评估 {year} 年度预警规则……")
        found += refresh_alerts(year, user=user)
    _report(job, len(years))
    return {"message": f"新增预警 {found} 条", "url": reverse("points:alerts")}


def acknowledge_alert(alert: Alert, *, user) -> Alert:
    if not user.is_bureau:
        raise PermissionDenied(_("只有科技局人员可以处理预警"))
    if alert.status == Alert.Status.ACKNOWLEDGED:
        return alert
    with transaction.atomic():
        old = alert.status
        alert.status = Alert.Status.ACKNOWLEDGED
        alert.acknowledged_by = user
        alert.acknowledged_at = timezone.now()
        alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
        audit.record(
            actor=user,
            action="points.alert.acknowledge",
            obj=alert,
            enterprise=alert.enterprise,
            changes={"status": [old, alert.status]},
            note=alert.label,
        )
    return alert


def assign_alert(alert: Alert, *, user, assignee) -> Alert:
    if not user.is_bureau:
        raise PermissionDenied(_("只有科技局人员可以处理预警"))
    if assignee is not None and (not assignee.is_active or not assignee.is_bureau):
        raise ValidationError(_("预警只能指派给科技局人员"))
    old = alert.assignee
    if old == assignee:
        return alert
    with transaction.atomic():
        alert.assignee = assignee
        alert.save(update_fields=["assignee"])
        audit.record(
            actor=user,
            action="points.alert.assign",
            obj=alert,
            enterprise=alert.enterprise,
            changes={"assignee": [str(old) if old else None, str(assignee) if assignee else None]},
            note=alert.label,
        )
    return alert


# --------------------------------------------------------------------------------------------------
# Bureau scheme versions


def _number(value):
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def create_scheme_version(*, user, base_key: str, effective_from: dt.date, weights: dict, bands: dict, note: str):
    """Copy scheme `base_key` into a new version starting `effective_from` with edited weights and bands.

    weights: {stage: {indicator: number}}; bands: {indicator: [(min or None, score), …]} (same count as the
    base). The engine validates the result; its Chinese errors become a ValidationError listing each one.
    """
    if not user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以调整积分方案"))
    if not note.strip():
        raise ValidationError(_("请填写调整说明（依据或原因）"))
    base = schemes.scheme_by_key(base_key)
    if base is None:
        raise ValidationError(_("方案版本 %(k)s 不存在") % {"k": base_key})
    data = base.to_dict()
    indicators = copy.deepcopy(data.get("indicators") or [])
    for ind in indicators:
        if ind.get("id") in bands:
            ind["normalise"] = {
                **ind["normalise"],
                "bands": [
                    {"min": None if lo is None else _number(lo), "score": _number(sc)} for lo, sc in bands[ind["id"]]
                ],
            }
    changes = {
        "weights": {st: {i: _number(w) for i, w in row.items()} for st, row in weights.items()},
        "indicators": indicators,
        # A bureau's copy is never official: the UI must say the weights are the bureau's own.
        "weights_official": False,
        "weights_note": base.weights_note or DEFAULT_WEIGHTS_NOTE,
    }
    try:
        scheme = new_version(base, effective_from, changes)
    except SchemeError as exc:
        raise ValidationError(exc.errors) from None
    if any(s.key == scheme.key for s in schemes.all_schemes()):
        raise ValidationError(_("方案 %(k)s 已存在，请选择其他生效日期") % {"k": scheme.key})
    diff = {}
    for st, row in scheme.weights.items():
        for iid, w in row.items():
            if base.weights.get(st, {}).get(iid) != w:
                diff[f"weights.{st}.{iid}"] = [base.weights.get(st, {}).get(iid), w]
    for ind in scheme.indicators:
        old = [[b.min, b.score] for b in base.indicator(ind.id).normalise.bands]
        new = [[b.min, b.score] for b in ind.normalise.bands]
        if old != new:
            diff[f"bands.{ind.id}"] = [old, new]
    # The form's 调整说明 is both the authority and the reason of the change (依据或原因).
    return rule_services.add_document_version(
        user=user,
        kind=SCHEMES.id,
        rule_id=scheme.id,
        data=schemes.jsonable(scheme.to_dict()),
        effective_from=effective_from,
        source=note.strip(),
        changes=diff,
        summary=f"复制自 {base.key}",
    )


# --------------------------------------------------------------------------------------------------
# Bureau versions of the monitoring alert rules


def _alert_rules_changes(old: list[dict], new: list[dict]) -> tuple[dict, str]:
    """{rules.<id>: [old, new]} per added, changed or removed rule; and a summary (新增 …；修改 …；删除 …)."""
    before, after = {r["id"]: r for r in old}, {r["id"]: r for r in new}
    changes, kinds = {}, {"新增": [], "修改": [], "删除": []}
    for rid in dict.fromkeys([*before, *after]):
        if before.get(rid) != after.get(rid):
            changes[f"rules.{rid}"] = [before.get(rid), after.get(rid)]
            label = (after.get(rid) or before.get(rid))["label"]
            kinds["新增" if rid not in before else "删除" if rid not in after else "修改"].append(label)
    return changes, "；".join(f"{k} {'、'.join(names)}" for k, names in kinds.items() if names)


def add_alert_rule_version(*, user, rules_data: list[dict], effective_from: dt.date, source: str, note: str = ""):
    """A bureau admin's dated version of the monitoring alert rules (the rules as the editor posted them).

    From `effective_from` on it replaces the rule set in force on that date; the audit lists old → new per
    changed rule. Raises ValidationError (Chinese) and saves nothing on error.
    """
    if not user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以调整监测预警规则"))
    if not rules_data:
        raise ValidationError(_("至少需要一条预警规则"))
    base = selectors.alert_rules(effective_from)
    old = base.to_data()
    changes, summary = _alert_rules_changes(old["rules"], rules_data)
    if not changes:
        raise ValidationError(_("预警规则与 %(d)s 现行版本相同，无需新增版本") % {"d": f"{effective_from:%Y-%m-%d}"})
    return rule_services.add_document_version(
        user=user,
        kind=alerts.ALERT_RULES.id,
        rule_id=base.id,
        data={**old, "rules": rules_data},
        effective_from=effective_from,
        source=source,
        note=note,
        changes=changes,
        summary=summary,
    )


# --------------------------------------------------------------------------------------------------
# Batch diagnosis reports


def start_diagnosis_batch(*, user, run: ScoringRun, filters: dict, first: bool = False) -> Job:
    """Queue the diagnosis PDFs of the filtered leaderboard. Above BATCH_LIMIT firms only when `first` is asked
    (the page offers it, naming the limit): then the first BATCH_LIMIT by rank."""
    from . import selectors

    if not selectors.can_view_leaderboard(user) or not user.can_export:
        raise PermissionDenied(_("无权批量生成诊断书"))
    total = selectors.leaderboard(user, run, filters).count()
    if total == 0:
        raise ValidationError(_("没有符合条件的企业"))
    truncated = total > selectors.BATCH_LIMIT and first
    if truncated:
        total = selectors.BATCH_LIMIT
    elif total > selectors.BATCH_LIMIT:
        raise ValidationError(
            _("一次最多生成 %(n)d 份诊断书，请缩小筛选范围（当前 %(t)d 家）") % {"n": selectors.BATCH_LIMIT, "t": total}
        )
    return jobs.start(
        kind="points_diagnosis_batch",
        title=f"批量诊断书（{run.year} 年度，{'排名前 ' if truncated else ''}{total} 家）",
        user=user,
        total=total,
        func="kechuang.points.services.diagnosis_batch_job",
        run_id=run.pk,
        filters=filters,
        user_id=user.pk,
    )


def batch_path(job_id) -> settings.DATA_DIR:
    return settings.DATA_DIR / "exports" / f"diagnosis_{job_id}.zip"


def diagnosis_batch_job(job: Job, run_id: int, filters: dict, user_id: int) -> dict:
    """Render one PDF per firm of the filtered leaderboard into a zip, one firm at a time (bounded memory)."""
    from . import diagnosis, selectors

    user = _user(user_id)
    run = ScoringRun.objects.get(pk=run_id)
    ids = list(selectors.leaderboard(user, run, filters).values_list("pk", flat=True)[: selectors.BATCH_LIMIT])
    path = batch_path(job.pk)
    path.parent.mkdir(parents=True, exist_ok=True)
    _report(job, 0, len(ids), "正在生成诊断书……")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, pk in enumerate(ids, start=1):
            result = selectors.results_for(user).select_related("run", "enterprise").get(pk=pk)
            pdf = diagnosis.render_pdf(diagnosis.build(result.enterprise, result, user))
            archive.writestr(f"{result.rank or 0:05d}_{result.enterprise.uscc}_{result.enterprise.name}.pdf", pdf)
            _report(job, done)
    return {
        "message": f"已生成 {len(ids)} 份诊断书",
        "count": len(ids),
        "url": reverse("points:batch_download", args=[job.pk]),
    }
