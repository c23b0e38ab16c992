"""Finance pages: products and the finder, 我的融资, applications and their steps, consents, the bank portal with
its consented firms, loans and their import, the bureau's dashboard, the risk pool, the angel fund and
matchmaking events.

Views only check the role, validate and call services/selectors. A role that may not use a page gets 403; a
record outside the user's scope is a 404 (a bank without a live consent gets a 404 for a firm's data).
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts import access
from kechuang.core import exports
from kechuang.core.excel import attachment
from kechuang.engine import facts
from kechuang.engine.finance import fund as fund_engine
from kechuang.engine.finance import workflow
from kechuang.engine.finance.consent import SCOPES
from kechuang.engine.finance.products import STATUS_LABELS, gap_text, rate_text, requirement_label
from kechuang.engine.finance.rules import PRODUCT_KINDS, STAGES
from kechuang.engine.finance.sla import sla
from kechuang.engine.labels import TIER_NAMES
from kechuang.engine.ruledata import rulebook
from kechuang.enterprises.models import AnnualFigure, Enterprise
from kechuang.enterprises.selectors import enterprise_for

from . import exporting, figures, importing, loaders, selectors, services
from .forms import (
    ApplicationForm,
    ConsentForm,
    ContributionForm,
    DealForm,
    DealStepForm,
    DecisionForm,
    DocumentForm,
    EventForm,
    LoanImportForm,
    ProductForm,
    RecoveryForm,
    StepForm,
    VoteForm,
)
from .models import Loan, LoanImport, LoanProduct

PAGE_SIZE = 50


def _deny_unless(flag: bool, message: str | None = None) -> None:
    if not flag:
        raise PermissionDenied(message or _("无权访问"))


def _today() -> dt.date:
    return timezone.localdate()


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


@login_required
def home(request):
    user = request.user
    if user.is_bureau:
        return redirect("finance:dashboard")
    if selectors.is_bank(user):
        return redirect("finance:bank")
    if selectors.is_firm(user):
        return redirect("finance:mine")
    return redirect("finance:products")


# ---------------------------------------------------------------------------------------------- products


def _terms_rows(product, today):
    """A product's terms for display: requirements, limit, rate, guarantee, decision time, with the values."""
    terms = loaders.product_terms(product, today)
    lpr = loaders.lpr(today)
    p = terms.params
    rows = [
        (_("产品类型"), terms.doc.kind_label),
        (_("服务阶段"), terms.doc.stage_labels),
        (_("适用地区"), terms.doc.city),
    ]
    for r in terms.doc.requirements:
        rows.append((_("申请条件"), requirement_label(terms, r.label)))
    limit = _("单户不超过 %(m)s 万元") % {"m": p["max_amount"]}
    if "average_years" in p:
        limit += _("，且不超过近 %(n)s 年平均营业收入（成立不满的按上一年度）") % {"n": p["average_years"]}
    if "points_bands" in p:
        limit += "；" + "、".join(
            _("积分≥%(a)s 分上限 %(c)s 万元") % {"a": b["min"], "c": b["cap"]}
            for b in sorted(p["points_bands"], key=lambda b: -b["min"])
        )
    rows += [(_("额度"), limit), (_("利率"), rate_text(terms, lpr))]
    if "guarantee_scheme" in p:
        rows.append((_("增信方式"), p["guarantee_scheme"]))
    if "guarantee_fee_rate" in p:
        rows.append((_("费率"), f"{p['guarantee_fee_rate'] * 100:g}%/年"))
    if "risk_share" in p:
        share = f"{p['risk_share'] * 100:g}"
        rows.append((_("风险分担"), _("风险补偿资金池（或担保机构）分担本金的 %(s)s%%") % {"s": share}))
    rows.append((_("承诺审批时限"), _("%(d)s 个工作日（法定节假日与调休按国务院安排）") % {"d": p["decision_days"]}))
    if terms.doc.terms_note:
        rows.append((_("其他"), terms.doc.terms_note))
    return terms, rows


@login_required
@access.area_required(*selectors.PRODUCT_AREAS)
def products(request):
    today = _today()
    form = None
    if request.user.can_admin:
        form = ProductForm(request.POST or None, initial={"launched_on": today})
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                product = services.create_product(
                    user=request.user,
                    bank=d["bank"],
                    code=d["code"],
                    name=d["name"],
                    rule_id=d["rule_id"],
                    launched_on=d["launched_on"],
                    summary=d["summary"],
                )
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, _("已登记产品“%(p)s”") % {"p": product.name})
                return redirect("finance:product", code=product.code)
    elif request.method == "POST":
        raise PermissionDenied(_("只有科技局管理员可以登记金融产品"))
    qs = selectors.products_for(request.user)
    kind, stage, q = request.GET.get("kind", ""), request.GET.get("stage", ""), request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(bank__name__icontains=q))
    items = []
    for product in qs:
        try:
            terms = loaders.product_terms(product, today)
        except Exception:  # a product whose rule is not in force today is listed without terms
            terms = None
        if kind and (terms is None or terms.doc.product_kind != kind):
            continue
        if stage and (terms is None or stage not in terms.doc.stages):
            continue
        items.append(
            {"product": product, "terms": terms, "rate": rate_text(terms, loaders.lpr(today)) if terms else ""}
        )
    return render(
        request,
        "finance/products.html",
        {"items": items, "kinds": PRODUCT_KINDS, "stages": STAGES, "kind": kind, "stage": stage, "q": q, "form": form},
    )


@login_required
@access.area_required(*selectors.PRODUCT_AREAS)
def product_detail(request, code):
    product = selectors.product_for(request.user, code)
    today = _today()
    terms, rows = _terms_rows(product, today)
    mine = None
    if selectors.is_firm(request.user):
        result, _terms = services.finder(Enterprise.objects.filter(pk=request.user.enterprise_id), [product], today)
        if result is not None and result.height:
            mine = result.row(0, named=True)
            mine["status_label"] = STATUS_LABELS[mine["status"]]
            mine["gap_text"] = gap_text(mine.get("gap"))
    stats = None
    if request.user.is_bureau or selectors.is_bank(request.user):
        loans = selectors.loans_for(request.user).filter(product=product)
        stats = {
            "applications": selectors.applications_for(request.user).filter(product=product).count(),
            "loans": loans.count(),
            "amount": loans.aggregate(s=Sum("amount"))["s"],
        }
    return render(
        request,
        "finance/product.html",
        {
            "product": product,
            "terms": terms,
            "rows": rows,
            "mine": mine,
            "stats": stats,
            "can_toggle": request.user.is_bureau
            or (selectors.is_bank(request.user) and request.user.organisation_id == product.bank_id),
        },
    )


@login_required
@require_POST
def product_status(request, code):
    product = selectors.product_for(request.user, code)
    try:
        services.set_product_status(user=request.user, product=product, status=request.POST.get("status", ""))
        messages.success(request, _("已更新产品状态"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("finance:product", code=code)


# ---------------------------------------------------------------------------------------------- 我的融资


def _finder_rows(enterprise, today):
    active = list(LoanProduct.objects.filter(status=LoanProduct.Status.ACTIVE).select_related("bank"))
    result, _terms = services.finder(Enterprise.objects.filter(pk=enterprise.pk), active, today)
    if result is None:
        return []
    by_code = {p.code: p for p in active}
    order = {"qualifies": 0, "near": 1, "unknown": 2, "no": 3}
    rows = []
    for r in result.iter_rows(named=True):
        rows.append(
            {
                **r,
                "product": by_code[r["product"]],
                "status_label": STATUS_LABELS[r["status"]],
                "gap_text": gap_text(r.get("gap")),
            }
        )
    return sorted(rows, key=lambda r: (order[r["status"]], -(r["limit"] or 0)))


@login_required
def mine(request):
    _deny_unless(access.allowed(request.user, "finance_mine"), _("“我的融资”只对企业用户开放"))
    enterprise = request.user.enterprise
    today = _today()
    rows = _finder_rows(enterprise, today)
    consents = list(selectors.consents_for(request.user))
    for c in consents:
        c.live = c.withdrawn_at is None and c.starts_on <= today <= c.ends_on
    return render(
        request,
        "finance/mine.html",
        {
            "enterprise": enterprise,
            "qualifies": [r for r in rows if r["status"] == "qualifies"],
            "near": [r for r in rows if r["status"] == "near"],
            "others": [r for r in rows if r["status"] in ("no", "unknown")],
            "applications": selectors.applications_for(request.user).order_by("-submitted_on", "-pk"),
            "consents": consents,
            "loans": selectors.loans_for(request.user),
            "accesses": selectors.accesses_for(request.user)[:30],
            "today": today,
        },
    )


def _applicant(request) -> Enterprise:
    """The firm an application is for: the user's own, or (bureau staff applying for a firm) `uscc`."""
    if selectors.is_firm(request.user):
        return request.user.enterprise
    _deny_unless(request.user.is_bureau, _("只有企业用户（或科技局代办）可以申请"))
    uscc = request.GET.get("uscc") or request.POST.get("uscc") or ""
    return enterprise_for(request.user, uscc)


@login_required
def apply(request, code):
    product = selectors.product_for(request.user, code)
    enterprise = _applicant(request)
    today = _today()
    programme = loaders.programme(today)
    initial = {"months": programme["consent_default_months"], "scopes": list(SCOPES)}
    form = ApplicationForm(request.POST or None, initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            application = services.submit_application(
                user=request.user,
                enterprise=enterprise,
                product=product,
                amount=d["amount"],
                term_months=d["term_months"],
                purpose=d["purpose"],
                scopes=d["scopes"],
                months=d["months"],
                today=today,
            )
        except ValidationError as exc:
            error = _errors(exc)
        else:
            messages.success(
                request,
                _("已提交申请，%(b)s 承诺在 %(d)s 前给出审批结论")
                % {"b": product.bank.name, "d": application.deadline_on.isoformat()},
            )
            return redirect("finance:application", pk=application.pk)
    terms, rows = _terms_rows(product, today)
    result, _terms = services.finder(Enterprise.objects.filter(pk=enterprise.pk), [product], today)
    mine_row = result.row(0, named=True) if result is not None and result.height else None
    if mine_row:
        mine_row["status_label"] = STATUS_LABELS[mine_row["status"]]
        mine_row["gap_text"] = gap_text(mine_row.get("gap"))
    promise = sla(today, int(terms.params["decision_days"]), None, today)
    return render(
        request,
        "finance/apply.html",
        {
            "product": product,
            "enterprise": enterprise,
            "form": form,
            "error": error,
            "rows": rows,
            "mine": mine_row,
            "promise": promise,
            "max_months": programme["consent_max_months"],
            "scopes": SCOPES,
        },
    )


# ---------------------------------------------------------------------------------------------- consents


@login_required
def consents(request):
    user = request.user
    _deny_unless(user.is_bureau or selectors.is_bank(user) or selectors.is_firm(user), _("无权查看数据授权"))
    qs = selectors.consents_for(user)
    state, today = request.GET.get("state", ""), _today()
    if state == "live":
        qs = selectors.live(qs, today)
    elif state == "withdrawn":
        qs = qs.filter(withdrawn_at__isnull=False)
    elif state == "expired":
        qs = qs.filter(withdrawn_at__isnull=True, ends_on__lt=today)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for c in page.object_list:
        c.live = c.withdrawn_at is None and c.starts_on <= today <= c.ends_on
    return render(request, "finance/consents.html", {"page": page, "state": state})


@login_required
def consent_new(request):
    _deny_unless(selectors.is_firm(request.user), _("只有企业用户可以授权"))
    programme = loaders.programme(_today())
    form = ConsentForm(
        request.POST or None, initial={"months": programme["consent_default_months"], "scopes": list(SCOPES)}
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.grant_consent(
                user=request.user,
                enterprise=request.user.enterprise,
                bank=d["bank"],
                scopes=d["scopes"],
                months=d["months"],
                purpose=d["purpose"],
            )
        except ValidationError as exc:
            error = _errors(exc)
        else:
            messages.success(request, _("已授权 %(b)s") % {"b": d["bank"].name})
            return redirect("finance:mine")
    return render(
        request,
        "finance/consent_form.html",
        {"form": form, "error": error, "max_months": programme["consent_max_months"]},
    )


@login_required
@require_POST
def consent_withdraw(request, pk):
    consent = selectors.consent_for(request.user, pk)
    try:
        services.withdraw_consent(user=request.user, consent=consent)
        messages.success(request, _("已撤回对 %(b)s 的授权，银行即刻无法再查看") % {"b": consent.bank.name})
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect(request.POST.get("next") or "finance:mine")


@login_required
def access_log(request):
    user = request.user
    _deny_unless(user.is_bureau or selectors.is_bank(user) or selectors.is_firm(user), _("无权查看"))
    page = Paginator(selectors.accesses_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "finance/access_log.html", {"page": page})


# ---------------------------------------------------------------------------------------------- applications


@login_required
def applications(request):
    user = request.user
    _deny_unless(user.is_bureau or selectors.is_bank(user) or selectors.is_firm(user), _("无权查看融资申请"))
    filters = exporting.list_filters(request.GET, exporting.APPLICATION_FILTERS)
    if request.GET.get("format") == "xlsx":
        _deny_unless(user.is_bureau or selectors.is_bank(user), _("无权导出"))
        return exports.respond(request, "kechuang.finance.exporting.applications_table", filters=filters)
    today = _today()
    qs = exporting.applications(user, filters, today)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for a in page.object_list:
        a.is_late = (a.decided_on or today) > a.deadline_on and (a.decided_on is not None or a.status in workflow.OPEN)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "finance/applications.html",
        {
            "page": page,
            "statuses": workflow.STATUS_LABELS,
            "products": selectors.products_for(user),
            "f": request.GET,
            "query": query.urlencode(),
            "can_export": user.is_bureau or selectors.is_bank(user),
        },
    )


@login_required
def application_detail(request, pk):
    application = selectors.application_for(request.user, pk)
    today = _today()
    promise = sla(application.submitted_on, application.decision_days, application.decided_on, today)
    actor = None
    if selectors.is_bank(request.user) and request.user.organisation_id == application.bank_id:
        actor = "bank"
    elif request.user.is_bureau or (
        selectors.is_firm(request.user) and request.user.enterprise_id == application.enterprise_id
    ):
        actor = "firm"
    steps = [(s, workflow.STEP_LABELS[s]) for s in workflow.allowed(application.status, actor)] if actor else []
    consent_live = bool(
        application.consent
        and application.consent.withdrawn_at is None
        and application.consent.starts_on <= today <= application.consent.ends_on
    )
    return render(
        request,
        "finance/application.html",
        {
            "a": application,
            "promise": promise,
            "steps": steps,
            "form": StepForm(initial={"on": today}),
            "events": application.events.select_related("by"),
            "consent_live": consent_live,
            "ceiling": services.rate_ceiling(application, today),
            "status_label": workflow.STATUS_LABELS,
            "loan": Loan.objects.filter(application=application).first(),
            "rule_doc": rulebook("loan_product").get(application.rule_key),
            "finder_gap": gap_text(application.finder.get("gap")),
        },
    )


@login_required
@require_POST
def application_step(request, pk):
    application = selectors.application_for(request.user, pk)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("finance:application", pk=pk)
    try:
        services.advance(
            user=request.user,
            application=application,
            step=form.step(),
            contract_no=form.cleaned_data.get("contract_no") or "",
        )
        messages.success(request, _("已办理：%(s)s") % {"s": workflow.STEP_LABELS[form.cleaned_data["target"]]})
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("finance:application", pk=pk)


# ---------------------------------------------------------------------------------------------- bank portal


@login_required
def bank(request):
    _deny_unless(access.allowed(request.user, "bank"), _("银行工作台只对银行用户开放"))
    today = _today()
    apps = selectors.applications_for(request.user)
    return render(
        request,
        "finance/bank.html",
        {
            "bank": request.user.organisation,
            "counts": figures.application_counts(request.user),
            "statuses": workflow.STATUS_LABELS,
            "queue": apps.filter(status__in=workflow.OPEN).order_by("deadline_on", "pk")[:20],
            "late": selectors.late(apps, today).filter(decided_on__isnull=True).count(),
            "firms": selectors.consented_firms(request.user).count(),
            "products": selectors.products_for(request.user),
            "loans": figures.loan_engine.totals(loaders.loans_frame(selectors.loans_for(request.user))),
            "today": today,
        },
    )


@login_required
def firms(request):
    _deny_unless(selectors.is_bank(request.user), _("只有银行用户查看授权企业"))
    today = _today()
    consents_live = selectors.live(selectors.consents_for(request.user), today).order_by("enterprise__name")
    page = Paginator(consents_live, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "finance/firms.html", {"page": page})


@login_required
def firm(request, uscc):
    """A consented firm's data for a bank user: only what the live consent covers; each section viewed is
    logged. Without a consent the firm does not exist for the bank (404)."""
    scopes = selectors.live_scopes(request.user, uscc)
    if not scopes:
        raise Http404(_("企业不存在或未获该企业授权"))
    sections = {}
    enterprise = consent = None
    for scope in scopes:
        enterprise, consent = selectors.consented_firm(request.user, uscc, scope, "page")
        sections[scope] = _section(scope, enterprise, request.user)
    return render(
        request,
        "finance/firm.html",
        {"enterprise": enterprise, "consent": consent, "sections": sections, "scopes": SCOPES, "granted": scopes},
    )


def _section(scope: str, enterprise: Enterprise, user) -> dict:
    from kechuang.points.models import PointsResult, ScoringRun
    from kechuang.tiers import selectors as tier_selectors

    if scope == "figures":
        columns = [facts.BY_NAME[c] for c in loaders.FIGURE_COLUMNS]
        rows = AnnualFigure.objects.filter(enterprise=enterprise).order_by("-year")
        return {
            "columns": columns,
            "rows": [{"year": f.year, "cells": [(getattr(f, c.name), c) for c in columns]} for f in rows],
        }
    result = (
        PointsResult.objects.filter(enterprise=enterprise, run__status=ScoringRun.Status.DONE)
        .select_related("run")
        .order_by("-run__year", "-run__as_of", "-run__created_at")
        .first()
    )
    if scope == "points":
        return {"result": result}
    if scope == "tiers":
        run = tier_selectors.latest_run()
        order = {t: i for i, t in enumerate(TIER_NAMES)}
        rows = sorted(run.results.filter(enterprise=enterprise), key=lambda r: order.get(r.tier, 99)) if run else []
        return {"run": run, "rows": rows}
    if scope == "diagnosis" and result is not None:
        from kechuang.points import diagnosis

        result.enterprise = enterprise
        return diagnosis.build(enterprise, result, user)
    return {}


@login_required
def firm_figures_export(request, uscc):
    enterprise, _consent = selectors.consented_firm(request.user, uscc, "figures", "export")
    columns = [facts.BY_NAME[c] for c in loaders.FIGURE_COLUMNS]
    data = exporting.figures_xlsx(
        enterprise, AnnualFigure.objects.filter(enterprise=enterprise).order_by("year"), columns
    )
    return attachment(data, f"{enterprise.name}_年度数据_{_today():%Y%m%d}.xlsx")


# ---------------------------------------------------------------------------------------------- loans


@login_required
def loans(request):
    user = request.user
    _deny_unless(user.is_bureau or selectors.is_bank(user) or selectors.is_firm(user), _("无权查看贷款记录"))
    filters = exporting.list_filters(request.GET, exporting.LOAN_FILTERS)
    if request.GET.get("format") == "xlsx":
        _deny_unless(user.is_bureau or selectors.is_bank(user), _("无权导出"))
        return exports.respond(request, "kechuang.finance.exporting.loans_table", filters=filters)
    qs = exporting.loans(user, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = qs.aggregate(s=Sum("amount"))
    query = request.GET.copy()
    query.pop("page", None)
    banks = sorted(set(qs.values_list("bank__name", flat=True))) if user.is_bureau else []
    return render(
        request,
        "finance/loans.html",
        {
            "page": page,
            "totals": totals,
            "count": page.paginator.count,
            "statuses": Loan.Status.choices,
            "sources": Loan.Source.choices,
            "f": request.GET,
            "query": query.urlencode(),
            "banks": banks,
            "can_import": user.is_bureau or selectors.is_bank(user),
        },
    )


@login_required
def loan_import(request):
    user = request.user
    _deny_unless(user.is_bureau or selectors.is_bank(user), _("无权导入贷款记录"))
    form = LoanImportForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            parsed = importing.parse(user, upload.name, upload.read(), _today())
            batch = importing.store(user, parsed, _today())
        except ValidationError as exc:
            error = _errors(exc)
        else:
            return redirect("finance:loan_import_report", pk=batch.pk)
    imports = LoanImport.objects.filter(created_by=user)[:10] if not user.is_bureau else LoanImport.objects.all()[:10]
    return render(
        request,
        "finance/loan_import.html",
        {
            "form": form,
            "error": error,
            "imports": imports,
            "columns": importing.COLUMNS,
            "required": importing.REQUIRED,
        },
    )


@login_required
def loan_import_report(request, pk):
    user = request.user
    _deny_unless(user.is_bureau or selectors.is_bank(user), _("无权查看"))
    batch = LoanImport.objects.filter(pk=pk).first()
    if batch is None or (not user.is_bureau and batch.created_by_id != user.pk):
        raise Http404(_("导入记录不存在或无权查看"))
    return render(request, "finance/loan_import_report.html", {"batch": batch})


@login_required
def loan_template(request):
    _deny_unless(request.user.is_bureau or selectors.is_bank(request.user), _("无权下载"))
    return attachment(exporting.template_xlsx(importing.template_header()), "贷款记录导入模板.xlsx")


# ---------------------------------------------------------------------------------------------- bureau


def _date_param(request, key: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(key, ""))
    except ValueError:
        return default


@login_required
def dashboard(request):
    _deny_unless(selectors.can_see_figures(request.user), _("科技金融统计只对科技局开放"))
    today = _today()
    start0, end0 = figures.period(today)
    start, end = _date_param(request, "start", start0), _date_param(request, "end", end0)
    if end < start:
        start, end = end, start
    data = figures.dashboard(request.user, start, end, today)
    chart = json.dumps(
        {
            "months": [m["month"] for m in data["monthly"]],
            "counts": [m["count"] for m in data["monthly"]],
            "amounts": [round(m["amount"] / 10000, 4) for m in data["monthly"]],
        },
        ensure_ascii=False,
    )
    from kechuang.policies.models import Policy

    return render(
        request,
        "finance/dashboard.html",
        {
            **data,
            "start": start,
            "end": end,
            "chart": chart,
            "late_list": figures.late_cases(request.user, today).filter(decided_on__isnull=True)[:15],
            "policies": Policy.objects.filter(
                code__in=("guarantee_fee_waiver", "loan_interest_subsidy", "risk_compensation")
            ),
            "pools": selectors.pools_for(request.user),
            "funds": selectors.funds_for(request.user),
            "events": selectors.events_for(request.user)[:7],
            "event_count": selectors.events_for(request.user).count(),
        },
    )


@login_required
def pool(request, pk=None):
    _deny_unless(selectors.can_see_figures(request.user), _("风险补偿资金池只对科技局开放"))
    pools = list(selectors.pools_for(request.user))
    if not pools:
        return render(request, "finance/pool.html", {"pool": None})
    current = next((p for p in pools if p.pk == pk), pools[0])
    today = _today()
    contribution, recovery = (
        ContributionForm(prefix="c", initial={"on": today}),
        RecoveryForm(prefix="r", initial={"on": today}),
    )
    if request.method == "POST":
        try:
            if "c-amount" in request.POST:
                contribution = ContributionForm(request.POST, prefix="c")
                if contribution.is_valid():
                    d = contribution.cleaned_data
                    services.contribute(
                        user=request.user, pool=current, amount=d["amount"], on=d["on"], source=d["source"]
                    )
                    messages.success(request, _("已登记注资"))
                    return redirect("finance:pool_detail", pk=current.pk)
            else:
                recovery = RecoveryForm(request.POST, prefix="r")
                if recovery.is_valid():
                    d = recovery.cleaned_data
                    services.record_recovery(
                        user=request.user, pool=current, loan=d["loan"], amount=d["amount"], on=d["on"]
                    )
                    messages.success(request, _("已登记追偿回款"))
                    return redirect("finance:pool_detail", pk=current.pk)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    position = loaders.pool_position(current, today)
    entries = current.entries.select_related("loan__enterprise", "loan__bank").order_by("-on", "-pk")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    paid = _claim_payouts(current)
    for e in page.object_list:
        e.payout = paid.get((e.loan.enterprise_id, e.on.year)) if e.loan_id else None
    cap = position["rule"]["pool_cap"]
    return render(
        request,
        "finance/pool.html",
        {
            "pool": current,
            "pools": pools,
            "position": position,
            "page": page,
            "contribution": contribution,
            "recovery": recovery,
            "used_share": float(position["covered"] - position["recovered"]) / cap if cap else None,
        },
    )


def _claim_payouts(pool) -> dict:
    """(enterprise, year) → the risk_compensation entitlement's status label (the claim's payout)."""
    from kechuang.policies.models import Entitlement

    rows = (
        Entitlement.objects.filter(policy__code="risk_compensation")
        .exclude(status="cancelled")
        .values_list("enterprise_id", "year", "status")
    )
    labels = dict(Entitlement.Status.choices)
    return {(e, y): labels.get(s, s) for e, y, s in rows}


@login_required
def funds(request):
    _deny_unless(selectors.can_see_figures(request.user), _("天使基金只对科技局开放"))
    today = _today()
    items = []
    for f in selectors.funds_for(request.user).prefetch_related("sources"):
        items.append(_fund_view(f, today))
    return render(request, "finance/funds.html", {"items": items})


def _fund_view(fund, today) -> dict:
    from kechuang.rules import selectors as rule_selectors

    rule = rule_selectors.params("angel_fund", fund.rule_id, today)
    deals = list(fund.deals.all())
    pace = fund_engine.pace(
        [
            {"sourced_on": d.sourced_on, "approved_on": d.approved_on, "closed_on": d.closed_on, "amount": d.amount}
            for d in deals
        ]
    )
    closed = [{"id": d.pk, "amount": d.amount, "failed": d.failed} for d in deals if d.closed_on]
    tolerance = fund_engine.tolerance(closed, rule["failure_ceiling"], rule["tolerance_basis"])
    stages = {s: [d for d in deals if d.stage == s] for s in (*fund_engine.PIPELINE, "rejected")}
    invested = sum((d.amount for d in deals if d.closed_on), 0)
    return {
        "fund": fund,
        "rule": rule,
        "pace": pace,
        "tolerance": tolerance,
        "stages": stages,
        "labels": fund_engine.STAGES,
        "invested": invested,
        "deals": deals,
    }


@login_required
def fund_detail(request, pk):
    fund = selectors.funds_for(request.user).filter(pk=pk).first()
    if fund is None:
        raise Http404(_("基金不存在或无权查看"))
    today = _today()
    form = DealForm(request.POST or None, initial={"sourced_on": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            enterprise = enterprise_for(request.user, d["uscc"].upper()) if d["uscc"] else None
            deal = services.add_deal(
                user=request.user,
                fund=fund,
                project=d["project"],
                amount=d["amount"],
                sourced_on=d["sourced_on"],
                enterprise=enterprise,
                note=d["note"],
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except Http404:
            messages.error(request, _("企业库中没有该统一社会信用代码"))
        else:
            messages.success(request, _("已登记项目“%(p)s”") % {"p": deal.project})
            return redirect("finance:deal", pk=deal.pk)
    return render(request, "finance/fund.html", {**_fund_view(fund, today), "form": form})


@login_required
def deal_detail(request, pk):
    deal = selectors.deal_for(request.user, pk)
    today = _today()
    step_form = DealStepForm(initial={"on": today})
    step_form.fields["target"].choices = [(s, fund_engine.STAGES[s]) for s in fund_engine.NEXT.get(deal.stage, ())]
    from kechuang.rules import selectors as rule_selectors

    rule = rule_selectors.params("angel_fund", deal.fund.rule_id, today)
    votes = list(deal.votes.all())
    tally = (
        fund_engine.committee([v.vote for v in votes], rule["committee_quorum"], rule["committee_pass_share"])[1]
        if votes
        else ""
    )
    have = set(deal.documents.values_list("kind", flat=True))
    return render(
        request,
        "finance/deal.html",
        {
            "deal": deal,
            "step_form": step_form,
            "vote_form": VoteForm(),
            "decision_form": DecisionForm(initial={"on": today}),
            "document_form": DocumentForm(initial={"dated_on": today}),
            "votes": votes,
            "tally": tally,
            "documents": deal.documents.select_related("added_by"),
            "events": deal.events.select_related("by"),
            "labels": fund_engine.STAGES,
            "procedures": [(p, p in have) for p in rule["required_procedures"]],
            "rule": rule,
        },
    )


@login_required
@require_POST
def deal_action(request, pk, action):
    deal = selectors.deal_for(request.user, pk)
    try:
        if action == "step":
            form = DealStepForm(request.POST)
            form.fields["target"].choices = [(s, s) for s in fund_engine.NEXT.get(deal.stage, ())]
            if form.is_valid():
                d = form.cleaned_data
                services.move_deal(
                    user=request.user,
                    deal=deal,
                    target=d["target"],
                    on=d["on"],
                    note=d["note"],
                    exit_amount=d["exit_amount"],
                )
            else:
                raise ValidationError(_("请选择阶段并填写日期"))
        elif action == "vote":
            form = VoteForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请填写委员姓名并选择表决意见"))
            services.record_vote(user=request.user, deal=deal, **form.cleaned_data)
        elif action == "decide":
            form = DecisionForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请填写决议日期"))
            services.decide_committee(user=request.user, deal=deal, on=form.cleaned_data["on"])
        elif action == "document":
            form = DocumentForm(request.POST, request.FILES)
            if not form.is_valid():
                raise ValidationError(_("请填写文件类别、名称与日期"))
            services.add_document(user=request.user, deal=deal, **form.cleaned_data)
        else:
            raise Http404()
        messages.success(request, _("已保存"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("finance:deal", pk=pk)


@login_required
def events(request):
    _deny_unless(selectors.can_see_figures(request.user), _("银企对接活动只对科技局开放"))
    form = EventForm(request.POST or None, initial={"held_on": _today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_event(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("已登记活动"))
            return redirect("finance:events")
    qs = selectors.events_for(request.user)
    totals = qs.aggregate(s=Sum("signed_amount"), f=Sum("firms"), i=Sum("intentions"))
    return render(request, "finance/events.html", {"events": qs, "form": form, "totals": totals})
