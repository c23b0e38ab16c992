"""Writes of the carriers app: applications and residency, monthly KPIs and their checks, the monthly ranking,
pilot-base and offshore-centre records.

Every write checks who may make it (the bureau, or the operator of the carrier; a firm for its own
application), runs in one transaction and records an audit event. Decisions come from the engines
(engine.carriers): the resident's origin, the stage path, the KPI checks, the ranking and why it moved.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.accounts.models import Role
from kechuang.core import audit
from kechuang.engine.carriers import kpis as kpi_engine
from kechuang.engine.carriers import ranking as ranking_engine
from kechuang.engine.carriers import residency as residency_engine
from kechuang.engine.ruledata import RuleDataError
from kechuang.rules import selectors as rules

from . import loaders, selectors
from .models import (
    Application,
    Carrier,
    Equipment,
    KpiReport,
    OffshoreProject,
    PilotService,
    RankingEntry,
    RankingRun,
    Residency,
    StageChange,
    Team,
)

KPI_RULE = ("carrier_kpi_checks", "default")
RANKING_RULE = ("carrier_ranking", "monthly")
CARRIER_FIELDS = (
    "name",
    "kind",
    "level",
    "status",
    "operator",
    "region",
    "parent",
    "city",
    "partner",
    "address",
    "area_m2",
    "opened_on",
    "mentors",
    "seed_fund",
    "description",
)


def _require(flag: bool, message: str) -> None:
    if not flag:
        raise PermissionDenied(message)


def _require_manage(user, carrier: Carrier) -> None:
    _require(selectors.can_manage(user, carrier), _("只有科技局或该载体的运营方可以操作"))


def _values(obj, fields) -> dict:
    return {f: getattr(obj, f + "_id" if f in ("operator", "region", "parent") else f) for f in fields}


# ---------------------------------------------------------------- carriers


def save_carrier(*, user, data: dict, carrier: Carrier | None = None) -> Carrier:
    """Create a carrier (bureau) or change one (bureau, or its operator for its own carrier's details)."""
    if carrier is None:
        _require(user.is_bureau, _("只有科技局可以新增载体"))
    else:
        _require_manage(user, carrier)
        if not user.is_bureau and (data.get("operator") != carrier.operator or data.get("kind") != carrier.kind):
            raise PermissionDenied(_("运营方不能修改载体类型或运营机构"))
    with transaction.atomic():
        before = _values(carrier, CARRIER_FIELDS) if carrier else {}
        obj = carrier or Carrier()
        for f in CARRIER_FIELDS:
            if f in data:
                setattr(obj, f, data[f])
        if obj.parent_id and obj.parent_id == obj.pk:
            raise ValidationError(_("载体不能隶属于自己"))
        obj.full_clean()
        obj.save()
        after = _values(obj, CARRIER_FIELDS)
        audit.record(
            actor=user,
            action="carrier.update" if carrier else "carrier.create",
            obj=obj,
            changes=audit.diff(before, after, CARRIER_FIELDS),
            note=obj.name,
        )
    return obj


# ---------------------------------------------------------------- applications and residency


def apply(
    *,
    user,
    carrier: Carrier,
    stage: str,
    enterprise=None,
    team_name: str = "",
    institution=None,
    overseas: bool = False,
    leader: str = "",
    field: str = "",
    area_requested=None,
    plan: str = "",
) -> Application:
    """A firm applies for itself; the bureau or the carrier's operator registers a firm's or a team's application."""
    if user.role == Role.ENTERPRISE_USER:
        _require(enterprise is not None and enterprise.pk == user.enterprise_id, _("企业用户只能为本企业申请入驻"))
    else:
        _require_manage(user, carrier)
    if enterprise is None and not team_name.strip():
        raise ValidationError(_("请选择申请企业，或填写团队名称"))
    if enterprise is not None and team_name.strip():
        raise ValidationError(_("企业与团队只能填写一个"))
    if stage not in residency_engine.STAGES:
        raise ValidationError(_("请选择申请的孵化阶段"))
    if carrier not in selectors.open_for_applications():
        raise ValidationError(_("%(c)s 目前不接受入驻申请") % {"c": carrier.name})
    if enterprise is not None:
        if selectors.current(Residency.objects.filter(carrier=carrier, enterprise=enterprise)).exists():
            raise ValidationError(_("%(e)s 已在驻 %(c)s") % {"e": enterprise.name, "c": carrier.name})
        if Application.objects.filter(carrier=carrier, enterprise=enterprise, status__in=Application.OPEN).exists():
            raise ValidationError(
                _("%(e)s 已有一份待办理的 %(c)s 入驻申请") % {"e": enterprise.name, "c": carrier.name}
            )
    with transaction.atomic():
        app = Application.objects.create(
            carrier=carrier,
            enterprise=enterprise,
            team_name=team_name.strip(),
            institution=institution,
            overseas=overseas,
            leader=leader,
            field=field,
            stage=stage,
            area_requested=area_requested,
            plan=plan,
            submitted_by=user,
        )
        audit.record(
            actor=user,
            action="application.submit",
            obj=app,
            enterprise=enterprise,
            note=f"{app.applicant} 申请入驻 {carrier.name}（{residency_engine.STAGE_LABELS[stage]}）",
        )
    return app


def _transition(app: Application, allowed: tuple, action_text: str) -> None:
    if app.status not in allowed:
        raise ValidationError(_("申请当前为“%(s)s”，不能%(a)s") % {"s": app.get_status_display(), "a": action_text})


def review(*, user, application: Application, approve: bool, note: str = "") -> Application:
    _require_manage(user, application.carrier)
    _transition(application, (Application.Status.APPLIED,), _("审核"))
    if not approve and not note.strip():
        raise ValidationError(_("未通过时请填写审核意见"))
    with transaction.atomic():
        before = application.status
        application.status = Application.Status.APPROVED if approve else Application.Status.REJECTED
        application.reviewed_by, application.reviewed_at, application.review_note = user, timezone.now(), note.strip()
        application.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit.record(
            actor=user,
            action="application.review",
            obj=application,
            enterprise=application.enterprise,
            changes={"status": [before, application.status]},
            note=note[:200],
        )
    return application


def sign(
    *, user, application: Application, signed_on: dt.date, agreement_no: str = "", area_allocated=None
) -> Application:
    _require_manage(user, application.carrier)
    _transition(application, (Application.Status.APPROVED,), _("签约"))
    if area_allocated is not None and area_allocated <= 0:
        raise ValidationError(_("分配面积应大于 0"))
    with transaction.atomic():
        application.status = Application.Status.SIGNED
        application.signed_on, application.agreement_no = signed_on, agreement_no.strip()
        application.area_allocated = area_allocated
        application.save(update_fields=["status", "signed_on", "agreement_no", "area_allocated"])
        audit.record(
            actor=user,
            action="application.sign",
            obj=application,
            enterprise=application.enterprise,
            changes={"status": [Application.Status.APPROVED, Application.Status.SIGNED]},
            note=f"签约 {signed_on:%Y-%m-%d}，面积 {area_allocated or '—'} 平方米",
        )
    return application


def origin_for(application: Application) -> str:
    """The resident's origin as the seeds count it (engine), or '' where it cannot be told."""
    inst = application.institution or (application.team.institution if application.team_id else None)
    origin = residency_engine.origin_of(
        application.enterprise.origin if application.enterprise_id else None,
        has_institution=inst is not None,
        institution_in_province=inst.in_province if inst else None,
        overseas=application.overseas,
    )
    return origin or ""


def move_in(*, user, application: Application, on: dt.date) -> Residency:
    """The signed applicant moves in: its residency starts (a team record is created for a new team)."""
    _require_manage(user, application.carrier)
    _transition(application, (Application.Status.SIGNED,), _("办理入驻"))
    if application.signed_on and on < application.signed_on:
        raise ValidationError(_("入驻日期不能早于签约日期 %(d)s") % {"d": f"{application.signed_on:%Y-%m-%d}"})
    with transaction.atomic():
        team = application.team
        if application.enterprise_id is None and team is None:
            team = Team.objects.create(
                name=application.team_name,
                institution=application.institution,
                leader=application.leader,
                field=application.field,
            )
            application.team = team
        residency = Residency.objects.create(
            carrier=application.carrier,
            enterprise=application.enterprise,
            team=None if application.enterprise_id else team,
            start=on,
            stage=application.stage,
            area_m2=application.area_allocated,
            origin=origin_for(application),
        )
        StageChange.objects.create(residency=residency, stage=application.stage, since=on, created_by=user)
        application.status, application.residency = Application.Status.MOVED_IN, residency
        application.save(update_fields=["status", "residency", "team"])
        audit.record(
            actor=user,
            action="application.move_in",
            obj=application,
            enterprise=application.enterprise,
            changes={"status": [Application.Status.SIGNED, Application.Status.MOVED_IN]},
            note=f"{application.applicant} {on:%Y-%m-%d} 入驻 {application.carrier.name}",
        )
    return residency


def withdraw(*, user, application: Application) -> Application:
    own = user.role == Role.ENTERPRISE_USER and application.enterprise_id == user.enterprise_id
    _require(own or selectors.can_manage(user, application.carrier), _("无权撤回该申请"))
    _transition(application, Application.OPEN, _("撤回"))
    with transaction.atomic():
        before = application.status
        application.status = Application.Status.WITHDRAWN
        application.save(update_fields=["status"])
        audit.record(
            actor=user,
            action="application.withdraw",
            obj=application,
            enterprise=application.enterprise,
            changes={"status": [before, application.status]},
        )
    return application


def change_stage(*, user, residency: Residency, stage: str, since: dt.date) -> Residency:
    _require_manage(user, residency.carrier)
    refused = residency_engine.can_move(residency.stage or None, stage)
    if refused:
        raise ValidationError(refused)
    if residency.end is not None:
        raise ValidationError(_("已离开的入驻记录不能再调整阶段"))
    last = residency.stage_changes.order_by("-since").first()
    if since < residency.start or (last and since < last.since):
        raise ValidationError(_("阶段起始日期不能早于入驻日期或上一阶段的起始日期"))
    with transaction.atomic():
        before = residency.stage
        residency.stage = stage
        residency.save(update_fields=["stage"])
        StageChange.objects.create(residency=residency, stage=stage, since=since, created_by=user)
        audit.record(
            actor=user,
            action="residency.stage",
            obj=residency,
            enterprise=residency.enterprise,
            changes={"stage": [before, stage]},
            note=f"自 {since:%Y-%m-%d} 起",
        )
    return residency


def end_residency(*, user, residency: Residency, end: dt.date, exit_kind: str, note: str = "") -> Residency:
    _require_manage(user, residency.carrier)
    if residency.end is not None:
        raise ValidationError(_("该入驻记录已于 %(d)s 结束") % {"d": f"{residency.end:%Y-%m-%d}"})
    if end <= residency.start:
        raise ValidationError(_("离开日期须晚于入驻日期 %(d)s") % {"d": f"{residency.start:%Y-%m-%d}"})
    if exit_kind not in ("graduated", "left"):
        raise ValidationError(_("请选择离开方式：毕业或迁出"))
    with transaction.atomic():
        residency.end, residency.exit_kind, residency.exit_note = end, exit_kind, note.strip()[:200]
        residency.save(update_fields=["end", "exit_kind", "exit_note"])
        audit.record(
            actor=user,
            action="residency.end",
            obj=residency,
            enterprise=residency.enterprise,
            changes={"end": [None, end.isoformat()], "exit_kind": ["", exit_kind]},
            note=note[:200],
        )
    return residency


# ---------------------------------------------------------------- KPIs


def parse_amount(text, *, money: bool, label: str):
    """A KPI cell → Decimal (money, 4 places) or int (counts); None when empty. ValueError in Chinese."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    raw = str(text).strip().replace(",", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"“{label}”应为数字，现为“{text}”") from None
    if not value.is_finite():
        raise ValueError(f"“{label}”应为有限的数字")
    if value < 0:
        raise ValueError(f"“{label}”不能为负数")
    if money:
        if value >= Decimal("1e12"):
            raise ValueError(f"“{label}”数值过大（单位为万元）")
        return value.quantize(Decimal("0.0001"))
    if value != value.to_integral_value():
        raise ValueError(f"“{label}”应为整数，现为“{text}”")
    if value > 10_000_000:
        raise ValueError(f"“{label}”数值过大")
    return int(value)


def _check_month(month: dt.date, today: dt.date) -> None:
    if month.day != 1:
        raise ValidationError(_("月份应为当月 1 日"))
    if month > today.replace(day=1):
        raise ValidationError(_("不能填报未来月份（%(m)s）") % {"m": f"{month:%Y-%m}"})


def save_kpis(
    *, user, carrier: Carrier, month: dt.date, values: dict, source: str = "form", recheck_after: bool = True
) -> KpiReport:
    """Create or replace one month's KPIs of a carrier, then re-run the checks on the carrier's months."""
    _require_manage(user, carrier)
    _check_month(month, timezone.localdate())
    if all(values.get(m) is None for m in kpi_engine.METRICS):
        raise ValidationError(_("请至少填写一项指标"))
    with transaction.atomic():
        report = KpiReport.objects.filter(carrier=carrier, month=month).first()
        before = {m: getattr(report, m) for m in kpi_engine.METRICS} if report else {}
        report = report or KpiReport(carrier=carrier, month=month)
        for m in kpi_engine.METRICS:
            setattr(report, m, values.get(m))
        report.source, report.submitted_by = source, user
        report.save()
        audit.record(
            actor=user,
            action="kpi.save",
            obj=report,
            changes=audit.diff(before, {m: values.get(m) for m in kpi_engine.METRICS}, kpi_engine.METRICS),
            note=f"{carrier.name} {month:%Y-%m}",
        )
        if recheck_after:
            recheck([carrier.pk])
            report.refresh_from_db(fields=["flags", "flags_checked_at"])
    return report


def recheck(carrier_ids, as_of: dt.date | None = None) -> int:
    """Run the KPI checks (engine) over every month of these carriers and store each month's flags."""
    carrier_ids = list(carrier_ids)
    as_of = as_of or timezone.localdate()
    try:
        params = rules.params(*KPI_RULE, as_of)
    except RuleDataError as exc:
        raise ValidationError(exc.message) from None
    frame = loaders.kpi_frame(carrier_ids)
    if frame.is_empty():
        return 0
    months = frame["month"].unique().to_list()
    years = sorted({m.year for m in months})
    flags = kpi_engine.check(
        frame, loaders.registry_monthly(carrier_ids, months), loaders.registry_annual(carrier_ids, years), params
    )
    by_key: dict = {}
    for r in flags.iter_rows(named=True):
        by_key.setdefault((r["carrier_id"], r["month"]), []).append(
            {
                "metric": r["metric"],
                "kind": r["kind"],
                "value": r["value"],
                "reference": r["reference"],
                "message": r["message"],
            }
        )
    now = timezone.now()
    with transaction.atomic():  # only the months whose flags changed are rewritten
        for pk, carrier_id, month, old in KpiReport.objects.filter(carrier_id__in=carrier_ids).values_list(
            "pk", "carrier_id", "month", "flags"
        ):
            new = by_key.get((carrier_id, month), [])
            if new != old:
                KpiReport.objects.filter(pk=pk).update(flags=new)
        KpiReport.objects.filter(carrier_id__in=carrier_ids).update(flags_checked_at=now)
    return flags.height


# ---------------------------------------------------------------- ranking


def _previous_month(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def rank_month(*, user, month: dt.date) -> RankingRun:
    """Rank the carriers that reported `month` by the scheme in force that month (checks re-run first)."""
    _require(user is None or user.is_bureau, _("只有科技局可以计算月度排名"))
    if month.day != 1:
        raise ValidationError(_("月份应为当月 1 日"))
    try:
        doc = rules.rule_in_force(*RANKING_RULE, month)
        params = rules.params(*RANKING_RULE, month)
    except RuleDataError as exc:
        raise ValidationError(exc.message) from None
    reports = list(KpiReport.objects.filter(month=month, carrier__kind__in=doc.kinds).select_related("carrier"))
    if not reports:
        raise ValidationError(_("%(m)s 没有载体报送月度指标，无法排名") % {"m": f"{month:%Y-%m}"})
    recheck({r.carrier_id for r in reports})
    reports = list(KpiReport.objects.filter(pk__in=[r.pk for r in reports]).select_related("carrier"))
    frame = pl.DataFrame(
        [
            {
                "carrier_id": r.carrier_id,
                "name": r.carrier.name,
                **{m: loaders._f(getattr(r, m)) for m in kpi_engine.METRICS},
            }
            for r in reports
        ],
        schema=ranking_engine.INPUT_SCHEMA,
    )
    flagged = pl.DataFrame(
        [{"carrier_id": r.carrier_id, "metric": f["metric"]} for r in reports for f in r.flags],
        schema=ranking_engine.FLAGGED_SCHEMA,
    )
    result = ranking_engine.rank(frame, flagged, params)
    previous_run = selectors.latest_run(_previous_month(month))
    previous = {e.carrier_id: e for e in previous_run.entries.all()} if previous_run else {}
    values = {r.carrier_id: {m: loaders._f(getattr(r, m)) for m in kpi_engine.METRICS} for r in reports}
    with transaction.atomic():
        run = RankingRun.objects.create(month=month, scheme_key=doc.key, params=params.as_dict(), created_by=user)
        entries = []
        for r in result.iter_rows(named=True):
            contributions = {k[2:]: v for k, v in r.items() if k.startswith("c_")}
            before = previous.get(r["carrier_id"])
            movement = ranking_engine.explain_move(
                {"rank": r["rank"], "points": r["points"], "contributions": contributions},
                None
                if before is None
                else {"rank": before.rank, "points": before.points, "contributions": before.contributions},
            )
            entries.append(
                RankingEntry(
                    run=run,
                    carrier_id=r["carrier_id"],
                    rank=r["rank"],
                    points=r["points"],
                    contributions=contributions,
                    values=values[r["carrier_id"]],
                    notes=r["notes"],
                    movement=movement[:300],
                    previous_rank=before.rank if before else None,
                )
            )
        RankingEntry.objects.bulk_create(entries)
        audit.record(
            actor=user,
            action="ranking.run",
            obj=run,
            note=f"{month:%Y-%m} 载体月度排名（{doc.key}），{len(entries)} 个载体",
        )
    return run


# ---------------------------------------------------------------- pilot bases and offshore centres


def save_equipment(*, user, carrier: Carrier, data: dict, equipment: Equipment | None = None) -> Equipment:
    _require_manage(user, carrier)
    if carrier.kind != Carrier.Kind.PILOT_BASE:
        raise ValidationError(_("只有中试基地登记设备"))
    with transaction.atomic():
        obj = equipment or Equipment(carrier=carrier)
        for f in ("name", "model", "value", "status", "shared"):
            if f in data:
                setattr(obj, f, data[f])
        obj.full_clean()
        obj.save()
        audit.record(actor=user, action="equipment.save", obj=obj, note=f"{carrier.name}：{obj.name}")
    return obj


def record_pilot_service(*, user, carrier: Carrier, data: dict) -> PilotService:
    _require_manage(user, carrier)
    if carrier.kind != Carrier.Kind.PILOT_BASE:
        raise ValidationError(_("只有中试基地登记中试服务"))
    if data.get("equipment") is not None and data["equipment"].carrier_id != carrier.pk:
        raise ValidationError(_("所选设备不属于本基地"))
    if not data.get("enterprise") and not (data.get("client") or "").strip():
        raise ValidationError(_("请选择服务企业或填写服务对象"))
    if data.get("ended_on") and data["ended_on"] < data["started_on"]:
        raise ValidationError(_("结束日期不能早于开始日期"))
    with transaction.atomic():
        obj = PilotService(
            carrier=carrier,
            **{k: data.get(k) for k in ("enterprise", "equipment", "kind", "started_on", "ended_on", "fee")},
            client=(data.get("client") or "").strip(),
            outcome=(data.get("outcome") or "").strip(),
        )
        obj.full_clean()
        obj.save()
        audit.record(
            actor=user,
            action="pilot_service.save",
            obj=obj,
            enterprise=obj.enterprise,
            note=f"{carrier.name}：{obj.get_kind_display()}",
        )
    return obj


def save_offshore_project(
    *, user, carrier: Carrier, data: dict, project: OffshoreProject | None = None
) -> OffshoreProject:
    _require_manage(user, carrier)
    if carrier.kind != Carrier.Kind.OFFSHORE_CENTRE:
        raise ValidationError(_("只有离岸创新中心登记项目"))
    status = data.get("status", project.status if project else OffshoreProject.Status.IN_TALKS)
    if status == OffshoreProject.Status.BROUGHT_IN and not data.get("brought_in_on"):
        raise ValidationError(_("已引进的项目请填写引进日期"))
    if data.get("brought_in_on") and data.get("started_on") and data["brought_in_on"] < data["started_on"]:
        raise ValidationError(_("引进日期不能早于接洽日期"))
    with transaction.atomic():
        before = {"status": project.status} if project else {}
        obj = project or OffshoreProject(carrier=carrier)
        for f in ("name", "source", "field", "status", "started_on", "brought_in_on", "enterprise", "note"):
            if f in data:
                setattr(obj, f, data[f])
        obj.full_clean()
        try:
            obj.save()
        except IntegrityError:
            raise ValidationError(_("保存失败，请检查填写内容")) from None
        audit.record(
            actor=user,
            action="offshore_project.save",
            obj=obj,
            changes=audit.diff(before, {"status": obj.status}, ["status"]),
            note=f"{carrier.name}：{obj.name}",
        )
    return obj
