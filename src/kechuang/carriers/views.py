"""Carrier pages: the list, a carrier (KPI charts, residents by stage and origin, Torch indicators, pilot-base
and offshore records, rank history), residents, monthly KPIs (form and Excel import), the ranking board, and
applications to move in.

Views check the role, validate and call services/selectors; a denied page is 403, a record outside the
user's scope 404.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts import access
from kechuang.accounts.models import Role
from kechuang.core import exports
from kechuang.core.excel import attachment, xlsx_bytes, xlsx_response
from kechuang.engine.carriers import kpis as kpi_engine
from kechuang.engine.carriers import torch as torch_engine
from kechuang.engine.carriers.residency import ORIGIN_LABELS, STAGE_LABELS
from kechuang.engine.io import FactsFileError as UnreadableFile
from kechuang.engine.ruledata import RuleDataError
from kechuang.rules import selectors as rules

from . import exporting, importing, loaders, selectors, services
from .forms import (
    ApplicationForm,
    CarrierForm,
    EndResidencyForm,
    EquipmentForm,
    ImportForm,
    KpiForm,
    MoveInForm,
    OffshoreProjectForm,
    PilotServiceForm,
    RankForm,
    ReviewForm,
    SignForm,
    StageForm,
)
from .models import Application, Carrier, OffshoreProject

PAGE_SIZE = 50
CHART_MONTHS = 12
LIST_HEADER = ["名称", "类型", "级别", "运营状态", "运营机构", "所在城市", "面积（平方米）", "在驻数", "最新月度排名"]


def _require(flag: bool, message: str | None = None) -> None:
    if not flag:
        raise PermissionDenied(message or _("无权访问"))


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _form_errors(form) -> str:
    return "；".join(str(e) for errs in form.errors.values() for e in errs)


# ---------------------------------------------------------------- carriers


@login_required
def carrier_list(request):
    _require(selectors.can_read_carriers(request.user), _("无权查看载体"))
    qs = (
        selectors.carriers_for(request.user)
        .annotate(residents=Count("residencies", filter=Q(residencies__end__isnull=True), distinct=True))
        .order_by("kind", "name")
    )
    kind, level, status, q = (request.GET.get(k, "") for k in ("kind", "level", "status", "q"))
    if kind in Carrier.Kind.values:
        qs = qs.filter(kind=kind)
    if level in Carrier.Level.values:
        qs = qs.filter(level=level)
    if status in Carrier.Status.values:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(city__icontains=q.strip()) | Q(partner__icontains=q.strip()))
    run = selectors.latest_run()
    ranks = dict(run.entries.values_list("carrier_id", "rank")) if run else {}
    if request.GET.get("format") == "xlsx" and request.user.can_export:
        return xlsx_response(
            "载体",
            LIST_HEADER,
            (
                [
                    c.name,
                    c.get_kind_display(),
                    c.get_level_display() or "",
                    c.get_status_display(),
                    str(c.operator or ""),
                    c.city or (c.region.name if c.region else ""),
                    None if c.area_m2 is None else float(c.area_m2),
                    c.residents,
                    ranks.get(c.pk),
                ]
                for c in qs
            ),
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for c in page.object_list:
        c.rank = ranks.get(c.pk)
        c.place = c.city or (c.region.name if c.region_id else "")
    return render(
        request,
        "carriers/list.html",
        {
            "page": page,
            "kinds": Carrier.Kind.choices,
            "levels": Carrier.Level.choices,
            "statuses": Carrier.Status.choices,
            "kind": kind,
            "level": level,
            "status": status,
            "q": q,
            "run": run,
            "can_add": request.user.is_bureau,
        },
    )


def _kpi_chart(carrier: Carrier) -> tuple[str, list]:
    reports = list(carrier.kpis.order_by("-month")[:CHART_MONTHS])[::-1]
    data = {
        "months": [f"{r.month:%Y-%m}" for r in reports],
        "series": [
            {
                "id": m,
                "name": label + ("（万元）" if unit == "wan" else ""),
                "data": [None if getattr(r, m) is None else float(getattr(r, m)) for r in reports],
                "flagged": [any(f["metric"] == m for f in r.flags) for r in reports],
            }
            for m, (label, unit) in kpi_engine.METRICS.items()
        ],
    }
    return json.dumps(data, ensure_ascii=False), reports


def _torch(carrier: Carrier):
    today = timezone.localdate()
    try:
        doc = rules.rule_in_force("torch_incubator", "national_2018", today)
        params = rules.params("torch_incubator", "national_2018", today)
    except RuleDataError:
        return None
    if carrier.kind not in doc.applies_to:
        return None
    facts = loaders.torch_facts(carrier, today)
    return {"doc": doc, "facts": facts, **torch_engine.check(facts, params, today)}


@login_required
def carrier_detail(request, pk):
    _require(selectors.can_read_carriers(request.user), _("无权查看载体"))
    carrier = selectors.carrier_for(request.user, pk)
    chart_json, reports = _kpi_chart(carrier)
    current = selectors.current(carrier.residencies.all())
    stages = dict(current.values_list("stage").annotate(n=Count("pk")))
    origins = dict(current.values_list("origin").annotate(n=Count("pk")))
    total = sum(origins.values())
    history = selectors.rank_history(carrier)
    context = {
        "carrier": carrier,
        "chart_json": chart_json,
        "reports": reports[::-1],
        "place": carrier.city or (carrier.region.full_name if carrier.region_id else ""),
        "flagged": [r for r in reports[::-1] if r.flags],
        "can_manage": selectors.can_manage(request.user, carrier),
        "residents": {
            "total": total,
            "firms": current.filter(enterprise__isnull=False).count(),
            "teams": current.filter(team__isnull=False).count(),
            "area": current.aggregate(s=Sum("area_m2"))["s"],
            "graduated": carrier.residencies.filter(exit_kind="graduated").count(),
            "stages": [(label, stages.get(key, 0)) for key, label in STAGE_LABELS.items()]
            + ([(_("未登记"), stages[""])] if stages.get("") else []),
            "origins": [
                (label, origins.get(key, 0), origins.get(key, 0) / total if total else None)
                for key, label in ORIGIN_LABELS.items()
            ]
            + ([(_("未登记"), origins[""], origins[""] / total)] if origins.get("") else []),
        },
        "torch": _torch(carrier),
        "history": history,
        "history_json": json.dumps(
            {
                "months": [f"{e.run.month:%Y-%m}" for e in history],
                "ranks": [e.rank for e in history],
                "points": [e.points for e in history],
            }
        ),
        "bases": carrier.bases.all(),
        "pending_applications": carrier.applications.filter(status__in=Application.OPEN).count(),
    }
    if carrier.kind == Carrier.Kind.PILOT_BASE:
        context["equipment"] = carrier.equipment.all()
        context["services"] = carrier.pilot_services.select_related("enterprise", "equipment")[:30]
        context["service_count"] = carrier.pilot_services.count()
    if carrier.kind == Carrier.Kind.OFFSHORE_CENTRE:
        context["projects"] = carrier.offshore_projects.select_related("enterprise")
        context["project_counts"] = dict(carrier.offshore_projects.values_list("status").annotate(n=Count("pk")))
    return render(request, "carriers/detail.html", context)


@login_required
def carrier_edit(request, pk=None):
    carrier = selectors.carrier_for(request.user, pk) if pk else None
    _require(
        request.user.is_bureau if carrier is None else selectors.can_manage(request.user, carrier), _("无权修改载体")
    )
    form = CarrierForm(request.POST or None, instance=carrier)
    if not request.user.is_bureau:
        for name in ("kind", "operator"):
            form.fields[name].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_carrier(
                user=request.user,
                data=form.cleaned_data,
                carrier=Carrier.objects.get(pk=carrier.pk) if carrier else None,
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("已保存载体“%(n)s”。") % {"n": saved.name})
            return redirect("carriers:detail", pk=saved.pk)
    return render(request, "carriers/edit.html", {"form": form, "carrier": carrier})


@login_required
def offshore(request):
    """The offshore innovation centres at a glance: status, partner, projects brought in and in talks."""
    _require(selectors.can_read_carriers(request.user), _("无权查看载体"))
    centres = (
        selectors.carriers_for(request.user)
        .filter(kind=Carrier.Kind.OFFSHORE_CENTRE)
        .annotate(
            brought_in=Count(
                "offshore_projects", filter=Q(offshore_projects__status=OffshoreProject.Status.BROUGHT_IN)
            ),
            in_talks=Count("offshore_projects", filter=Q(offshore_projects__status=OffshoreProject.Status.IN_TALKS)),
        )
        .order_by("status", "name")
    )
    totals = {
        "centres": len(centres),
        "operating": sum(c.status == Carrier.Status.OPERATING for c in centres),
        "brought_in": sum(c.brought_in for c in centres),
        "in_talks": sum(c.in_talks for c in centres),
    }
    return render(request, "carriers/offshore.html", {"centres": centres, "totals": totals})


# ---------------------------------------------------------------- residents


@login_required
def residents(request, pk):
    _require(selectors.can_read_carriers(request.user), _("无权查看载体"))
    carrier = selectors.carrier_for(request.user, pk)
    filters = exporting.resident_filters(request.GET)
    state, stage, origin, q = (filters[k] for k in exporting.RESIDENT_FILTERS)
    if request.GET.get("format") == "xlsx" and request.user.can_export:
        return exports.respond(
            request, "kechuang.carriers.exporting.residents_table", carrier_id=carrier.pk, filters=filters
        )
    qs = exporting.residents(request.user, carrier, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "carriers/residents.html",
        {
            "carrier": carrier,
            "page": page,
            "state": state,
            "stage": stage,
            "origin": origin,
            "q": q,
            "stages": STAGE_LABELS.items(),
            "origins": ORIGIN_LABELS.items(),
        },
    )


@login_required
def residency_detail(request, pk):
    residency = selectors.residency_for(request.user, pk)
    can_manage = selectors.can_manage(request.user, residency.carrier)
    stage_form, end_form = StageForm(prefix="stage"), EndResidencyForm(prefix="end")
    if request.method == "POST":
        _require(can_manage, _("只有科技局或该载体的运营方可以操作"))
        try:
            if "stage-stage" in request.POST:
                stage_form = StageForm(request.POST, prefix="stage")
                if stage_form.is_valid():
                    services.change_stage(user=request.user, residency=residency, **stage_form.cleaned_data)
                    messages.success(request, _("已调整孵化阶段。"))
                    return redirect("carriers:residency", pk=residency.pk)
            else:
                end_form = EndResidencyForm(request.POST, prefix="end")
                if end_form.is_valid():
                    services.end_residency(user=request.user, residency=residency, **end_form.cleaned_data)
                    messages.success(request, _("已办理毕业/迁出。"))
                    return redirect("carriers:residency", pk=residency.pk)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    return render(
        request,
        "carriers/residency.html",
        {
            "r": residency,
            "can_manage": can_manage and residency.end is None,
            "stage_form": stage_form,
            "end_form": end_form,
            "changes": residency.stage_changes.all(),
            "application": getattr(residency, "application", None),
        },
    )


# ---------------------------------------------------------------- KPIs


@login_required
def kpis(request, pk):
    _require(selectors.can_read_carriers(request.user), _("无权查看载体"))
    carrier = selectors.carrier_for(request.user, pk)
    can_manage = selectors.can_manage(request.user, carrier)
    edit = request.GET.get("month")
    initial = {}
    if edit:
        found = carrier.kpis.filter(month__startswith=edit[:7]).first() if len(edit) >= 7 else None
        if found:
            initial = {"month": f"{found.month:%Y-%m}", **{m: getattr(found, m) for m in kpi_engine.METRICS}}
    form = KpiForm(request.POST or None, initial=initial)
    if request.method == "POST":
        _require(can_manage, _("只有科技局或该载体的运营方可以报送指标"))
        if form.is_valid():
            d = form.cleaned_data
            try:
                report = services.save_kpis(
                    user=request.user,
                    carrier=carrier,
                    month=d["month"],
                    values={m: d.get(m) for m in kpi_engine.METRICS},
                )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                if report.flags:
                    messages.warning(
                        request,
                        _("已保存 %(m)s 的指标；核验提示：%(f)s")
                        % {"m": f"{report.month:%Y-%m}", "f": "；".join(f["message"] for f in report.flags)},
                    )
                else:
                    messages.success(
                        request, _("已保存 %(m)s 的指标，核验未发现异常。") % {"m": f"{report.month:%Y-%m}"}
                    )
                return redirect("carriers:kpis", pk=carrier.pk)
    reports = carrier.kpis.order_by("-month")
    if request.GET.get("format") == "xlsx" and request.user.can_export:
        return xlsx_response(
            f"{carrier.name}月度指标",
            [*importing.TEMPLATE_HEADER, "核验提示"],
            (
                [
                    carrier.name,
                    f"{r.month:%Y-%m}",
                    *[None if getattr(r, m) is None else float(getattr(r, m)) for m in kpi_engine.METRICS],
                    "；".join(f["message"] for f in r.flags),
                ]
                for r in reports
            ),
        )
    page = Paginator(reports, 24).get_page(request.GET.get("page"))
    for r in page.object_list:
        r.cells = [
            (m, getattr(r, m), unit, any(f["metric"] == m for f in r.flags))
            for m, (_label, unit) in kpi_engine.METRICS.items()
        ]
    return render(
        request,
        "carriers/kpis.html",
        {
            "carrier": carrier,
            "page": page,
            "form": form,
            "can_manage": can_manage,
            "metrics": [(label, unit) for label, unit in kpi_engine.METRICS.values()],
        },
    )


@login_required
def kpi_import(request):
    _require(selectors.can_read_carriers(request.user), _("无权报送载体指标"))
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = importing.import_file(user=request.user, name=upload.name, content=upload.read())
        except UnreadableFile as exc:
            form.add_error("file", exc.message)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
    return render(
        request, "carriers/kpi_import.html", {"form": form, "report": report, "header": importing.TEMPLATE_HEADER}
    )


@login_required
def kpi_template(request):
    _require(selectors.can_read_carriers(request.user), _("无权报送载体指标"))
    month = timezone.localdate().replace(day=1)
    example = [
        [c.name, f"{month:%Y-%m}", None, None, None, None, None]
        for c in selectors.carriers_for(request.user).exclude(kind=Carrier.Kind.OFFSHORE_CENTRE)[:50]
    ]
    return attachment(xlsx_bytes("载体月度指标", importing.TEMPLATE_HEADER, example), "载体月度指标导入模板.xlsx")


# ---------------------------------------------------------------- ranking


@login_required
def ranking(request):
    _require(selectors.can_read_carriers(request.user), _("无权查看载体排名"))
    form = RankForm(request.POST or None)
    if request.method == "POST":
        _require(request.user.is_bureau, _("只有科技局可以计算月度排名"))
        if form.is_valid():
            try:
                run = services.rank_month(user=request.user, month=form.cleaned_data["month"])
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(
                    request, _("已按方案 %(k)s 计算 %(m)s 排名。") % {"k": run.scheme_key, "m": f"{run.month:%Y-%m}"}
                )
                return redirect(f"{reverse('carriers:ranking')}?month={run.month:%Y-%m}")
        else:
            messages.error(request, _form_errors(form))
    months = selectors.ranking_months()
    month = request.GET.get("month")
    run = None
    if month:
        try:
            run = selectors.latest_run(importing.parse_month(month))
        except ValueError:
            run = None
    run = run or selectors.latest_run()
    entries = list(run.entries.select_related("carrier").order_by("rank", "carrier__name")) if run else []
    weights = {k[2:]: v for k, v in (run.params if run else {}).items() if k.startswith("w_")}
    for e in entries:
        e.cells = [(e.contributions.get(m), e.values.get(m), unit) for m, (_label, unit) in kpi_engine.METRICS.items()]
        e.moved = None if e.previous_rank is None else e.previous_rank - e.rank
    if run and request.GET.get("format") == "xlsx":
        labels = [label for label, _unit in kpi_engine.METRICS.values()]
        return xlsx_response(
            f"载体月度排名{run.month:%Y-%m}",
            ["名次", "载体", "得分", *[f"{x}得分" for x in labels], "上月名次", "名次变化原因", "说明"],
            (
                [
                    e.rank,
                    e.carrier.name,
                    e.points,
                    *[e.contributions.get(m) for m in kpi_engine.METRICS],
                    e.previous_rank,
                    e.movement,
                    "；".join(e.notes),
                ]
                for e in entries
            ),
        )
    return render(
        request,
        "carriers/ranking.html",
        {
            "run": run,
            "entries": entries,
            "months": months,
            "form": form,
            "can_run": request.user.is_bureau,
            "metrics": [(label, unit, weights.get(m)) for m, (label, unit) in kpi_engine.METRICS.items()],
            "default_month": (run.month if run else timezone.localdate().replace(day=1)),
        },
    )


# ---------------------------------------------------------------- applications


def _is_enterprise(user) -> bool:
    return user.role == Role.ENTERPRISE_USER and bool(user.enterprise_id)


@login_required
def applications(request):
    user = request.user
    _require(access.any_allowed(user, "carriers", "carriers_firm"), _("无权查看入驻申请"))
    qs = selectors.applications_for(user)
    status, carrier = request.GET.get("status", ""), request.GET.get("carrier", "")
    if status == "open":
        qs = qs.filter(status__in=Application.OPEN)
    elif status in Application.Status.values:
        qs = qs.filter(status=status)
    if carrier.isdigit():
        qs = qs.filter(carrier_id=int(carrier))
    counts = dict(selectors.applications_for(user).values_list("status").annotate(n=Count("pk")))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "carriers/applications.html",
        {
            "page": page,
            "status": status,
            "carrier": carrier,
            "statuses": Application.Status.choices,
            "counts": counts,
            "carriers": selectors.carriers_for(user),
            "can_apply": True,
        },
    )


@login_required
def application_new(request):
    user = request.user
    own = _is_enterprise(user)
    _require(own or selectors.can_read_carriers(user), _("无权提交入驻申请"))
    carriers = (
        selectors.open_for_applications()
        if own
        else selectors.open_for_applications().filter(pk__in=selectors.carriers_for(user))
    )
    initial = {"carrier": request.GET.get("carrier")} if request.GET.get("carrier") else {}
    form = ApplicationForm(request.POST or None, carriers=carriers, own_firm=own, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            app = services.apply(
                user=user,
                carrier=d["carrier"],
                stage=d["stage"],
                enterprise=user.enterprise if own else form.enterprise,
                team_name=d.get("team_name") or "",
                institution=d.get("institution"),
                overseas=d.get("overseas") or False,
                leader=d["leader"],
                field=d["field"],
                area_requested=d["area_requested"],
                plan=d["plan"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("已提交入驻申请，等待 %(c)s 审核。") % {"c": app.carrier.name})
            return redirect("carriers:application", pk=app.pk)
    return render(request, "carriers/application_form.html", {"form": form, "own": own})


@login_required
def application_detail(request, pk):
    app = selectors.application_for(request.user, pk)
    can_manage = selectors.can_manage(request.user, app.carrier)
    action = request.POST.get("action") if request.method == "POST" else None
    forms = {
        "review": ReviewForm(prefix="review"),
        "sign": SignForm(prefix="sign"),
        "move_in": MoveInForm(prefix="move"),
    }
    if action:
        try:
            if action == "withdraw":
                services.withdraw(user=request.user, application=app)
                messages.success(request, _("已撤回申请。"))
                return redirect("carriers:application", pk=app.pk)
            _require(can_manage, _("只有科技局或该载体的运营方可以办理"))
            if action in ("approve", "reject"):
                forms["review"] = form = ReviewForm(request.POST, prefix="review")
                if form.is_valid():
                    services.review(
                        user=request.user, application=app, approve=action == "approve", note=form.cleaned_data["note"]
                    )
                    messages.success(request, _("审核结果：%(s)s。") % {"s": app.get_status_display()})
                    return redirect("carriers:application", pk=app.pk)
            elif action == "sign":
                forms["sign"] = form = SignForm(request.POST, prefix="sign")
                if form.is_valid():
                    services.sign(user=request.user, application=app, **form.cleaned_data)
                    messages.success(request, _("已签约。"))
                    return redirect("carriers:application", pk=app.pk)
            elif action == "move_in":
                forms["move_in"] = form = MoveInForm(request.POST, prefix="move")
                if form.is_valid():
                    residency = services.move_in(user=request.user, application=app, on=form.cleaned_data["on"])
                    messages.success(request, _("已办理入驻。"))
                    return redirect("carriers:residency", pk=residency.pk)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    own = _is_enterprise(request.user) and app.enterprise_id == request.user.enterprise_id
    return render(
        request,
        "carriers/application.html",
        {
            "app": app,
            "can_manage": can_manage,
            "forms": forms,
            "can_withdraw": app.status in Application.OPEN and (own or can_manage),
        },
    )


# ---------------------------------------------------------------- pilot bases and offshore centres


@login_required
def equipment_new(request, pk):
    carrier = selectors.carrier_for(request.user, pk)
    _require(selectors.can_manage(request.user, carrier), _("无权登记设备"))
    form = EquipmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_equipment(user=request.user, carrier=carrier, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("已登记设备。"))
            return redirect("carriers:detail", pk=carrier.pk)
    return render(request, "carriers/simple_form.html", {"form": form, "carrier": carrier, "title": _("登记中试设备")})


@login_required
def pilot_service_new(request, pk):
    carrier = selectors.carrier_for(request.user, pk)
    _require(selectors.can_manage(request.user, carrier), _("无权登记中试服务"))
    form = PilotServiceForm(request.POST or None, carrier=carrier)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "enterprise": form.enterprise}
        try:
            services.record_pilot_service(user=request.user, carrier=carrier, data=data)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("已登记中试服务。"))
            return redirect("carriers:detail", pk=carrier.pk)
    return render(request, "carriers/simple_form.html", {"form": form, "carrier": carrier, "title": _("登记中试服务")})


@login_required
def offshore_project_edit(request, pk, project_pk=None):
    carrier = selectors.carrier_for(request.user, pk)
    _require(selectors.can_manage(request.user, carrier), _("无权登记离岸中心项目"))
    project = carrier.offshore_projects.filter(pk=project_pk).first() if project_pk else None
    form = OffshoreProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_offshore_project(
                user=request.user,
                carrier=carrier,
                data=form.cleaned_data,
                project=OffshoreProject.objects.get(pk=project.pk) if project else None,
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("已保存项目。"))
            return redirect("carriers:detail", pk=carrier.pk)
    return render(request, "carriers/simple_form.html", {"form": form, "carrier": carrier, "title": _("离岸中心项目")})


@login_required
@require_POST
def recheck(request, pk):
    carrier = selectors.carrier_for(request.user, pk)
    _require(selectors.can_manage(request.user, carrier), _("无权核验"))
    n = services.recheck([carrier.pk])
    messages.success(request, _("已重新核验，共 %(n)s 条提示。") % {"n": n})
    return redirect("carriers:kpis", pk=carrier.pk)
