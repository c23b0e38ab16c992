"""Policy pages: library and versions, simulation, eligibility runs, entitlements, batches, claw-backs, 我的政策.

Views only check the role, validate and call services/selectors. A role that may not use a page gets 403; a
record outside the user's scope is a 404.
"""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery, Sum
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts import access
from kechuang.core import exports, payouts

from . import editor, exporting, selectors, services
from .forms import BankAccountForm, BatchForm, EligibilityForm, RefuseForm, SimulationForm, VersionForm
from .models import (
    BankAccount,
    Budget,
    Clawback,
    EligibilityRun,
    Entitlement,
    PayoutBatch,
    Policy,
    SimulationRun,
    condition_labels,
)

PAGE_SIZE = 50


def _deny_unless(flag: bool, message: str | None = None) -> None:
    if not flag:
        raise PermissionDenied(message or _("无权访问"))


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _policy(code):
    return get_object_or_404(selectors.policies(), code=code)


# ---------------------------------------------------------------- library


@login_required
def policy_list(request):
    _deny_unless(selectors.can_read_library(request.user))
    today = timezone.localdate()
    policies = list(selectors.policies())
    published = selectors.published_by_code()
    budgets = {b.policy_id: b for b in Budget.objects.filter(year=today.year)}
    for p in policies:
        p.current = selectors.in_force_today(published.get(p.code, []), today)
        p.budget = budgets.get(p.pk)
        p.stacking_label = selectors.stacking_label(p)
    return render(request, "policies/list.html", {"policies": policies, "year": today.year})


@login_required
def policy_detail(request, code):
    _deny_unless(selectors.can_read_library(request.user))
    policy = _policy(code)
    today = timezone.localdate()
    versions = list(selectors.versions(policy).select_related("created_by").order_by("effective_from", "pk"))
    published = [v for v in versions if v.status == v.Status.PUBLISHED]
    for i, v in enumerate(published):
        nxt = published[i + 1].effective_from if i + 1 < len(published) else None
        v.superseded_on = nxt
    current = selectors.version_on(policy, today)
    is_bureau = request.user.is_bureau
    return render(
        request,
        "policies/detail.html",
        {
            "policy": policy,
            "versions": versions,
            "current": current,
            "stacking_label": selectors.stacking_label(policy),
            "budgets": policy.budgets.all() if is_bureau else [],
            "simulations": SimulationRun.objects.filter(policy=policy).select_related("version", "compare_to")[:10]
            if is_bureau
            else [],
            "runs": policy.runs.select_related("version")[:10] if is_bureau else [],
            "sim_form": SimulationForm(policy=policy, initial={"version": current}) if is_bureau else None,
            "run_form": EligibilityForm(initial={"as_of": today}) if is_bureau else None,
            "batch_form": BatchForm(initial={"year": today.year, "submit_token": uuid.uuid4()}) if is_bureau else None,
        },
    )


@login_required
def version_add(request, code):
    """A new dated version through the editor; 保存并预览 saves it as a draft and simulates it against the version
    in force on its date (firms gained and lost), from where it is published."""
    _deny_unless(request.user.can_admin, _("只有科技局管理员可以修改政策"))
    policy = _policy(code)
    base = (
        selectors.version_on(policy, timezone.localdate())
        or selectors.versions(policy).order_by("-effective_from").first()
    )
    form = VersionForm(request.POST or None)
    posted = request.POST if request.method == "POST" else None
    errors = []
    if posted is not None and form.is_valid():
        d = form.cleaned_data
        preview = "preview" in posted
        try:
            version = services.add_version(
                user=request.user,
                policy=policy,
                changes=editor.read(posted),
                effective_from=d["effective_from"],
                effective_to=d["effective_to"],
                source=d["source"],
                note=d["note"],
                draft=d["draft"] or preview,
            )
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            if preview:
                in_force = selectors.version_on(policy, version.effective_from)
                sim = services.start_simulation(
                    user=request.user, version=version, as_of=version.effective_from, compare_to=in_force
                )
                return redirect("core:job", pk=sim.job_id) if sim.job_id else redirect("policies:simulation", pk=sim.pk)
            messages.success(
                request, _("已新增版本 %(v)s（%(s)s）。") % {"v": version.key, "s": version.get_status_display()}
            )
            return redirect("policies:detail", code=policy.code)
    state = editor.posted_rows(posted) if posted is not None else editor.rows(base.value if base else {})
    return render(
        request,
        "policies/version_form.html",
        {
            "policy": policy,
            "form": form,
            "base": base,
            "errors": errors,
            "editor": state,
            "fields": editor.field_choices(),
            "money": editor.money_choices(),
            "ops": editor.OPS.items(),
            "kinds": editor.KINDS.items(),
            "allocations": editor.ALLOCATIONS.items(),
        },
    )


@login_required
@require_POST
def version_publish(request, pk):
    _deny_unless(request.user.can_admin, _("只有科技局管理员可以发布政策版本"))
    version = selectors.version(pk)
    try:
        services.publish_version(user=request.user, version=version)
        messages.success(request, _("版本 %(v)s 已发布。") % {"v": version.key})
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("policies:detail", code=version.rule_id)


# ---------------------------------------------------------------- simulation


@login_required
@require_POST
def simulate(request, code):
    _deny_unless(request.user.is_bureau, _("无权进行政策模拟"))
    policy = _policy(code)
    form = SimulationForm(request.POST, policy=policy)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("policies:detail", code=code)
    d = form.cleaned_data
    try:
        sim = services.start_simulation(
            user=request.user, version=d["version"], as_of=d["as_of"], compare_to=d["compare_to"]
        )
    except Exception as exc:  # the engine's Chinese message (e.g. an invalid draft) is shown, not a 500
        messages.error(request, _("模拟失败：%(e)s") % {"e": getattr(exc, "message", exc)})
        return redirect("policies:detail", code=code)
    if sim.job_id:
        return redirect("core:job", pk=sim.job_id)
    return redirect("policies:simulation", pk=sim.pk)


# Firms listed on the simulation page (near misses, version changes): the rest are in the Excel export, so the
# page stays readable (500 near misses made it ~38,000 px tall).
SIMULATION_LIST_LIMIT = 50


@login_required
def simulation(request, pk):
    _deny_unless(request.user.is_bureau, _("无权查看政策模拟"))
    sim = get_object_or_404(SimulationRun.objects.select_related("policy", "version", "compare_to"), pk=pk)
    result = sim.result or {}
    if request.GET.get("format") == "xlsx":
        return exports.respond(request, "kechuang.policies.exporting.simulation_table", simulation_id=sim.pk)
    return render(
        request,
        "policies/simulation.html",
        {
            "sim": sim,
            "r": result,
            "charts_json": _distribution_charts(result),
            "list_limit": SIMULATION_LIST_LIMIT,
            "list_slice": f":{SIMULATION_LIST_LIMIT}",
        },
    )


def _distribution_charts(result: dict) -> str:
    """Each distribution as chart series (labels, eligible firms, amount in 万元), JSON for the page."""
    charts = {
        by: {
            "labels": [d["label"] for d in rows],
            "eligible": [d["eligible"] for d in rows],
            "amount": [float(d["amount"] or 0) for d in rows],
        }
        for by, rows in (result.get("distributions") or {}).items()
        if rows
    }
    return json.dumps(charts, ensure_ascii=False)


# ---------------------------------------------------------------- eligibility runs


@login_required
@require_POST
def run_eligibility(request, code):
    _deny_unless(request.user.is_bureau, _("无权发起资格评价"))
    policy = _policy(code)
    form = EligibilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("policies:detail", code=code)
    try:
        job = services.start_eligibility(user=request.user, policy=policy, as_of=form.cleaned_data["as_of"])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("policies:detail", code=code)
    return redirect("core:job", pk=job.pk)


@login_required
def run_detail(request, pk):
    _deny_unless(request.user.is_bureau, _("无权查看资格评价"))
    run = get_object_or_404(EligibilityRun.objects.select_related("policy", "version"), pk=pk)
    kept = Policy.objects.filter(code=OuterRef("stacked_by")).values("name")[:1]  # in the page's one query
    qs = run.entitlements.select_related("enterprise").annotate(kept_name=Subquery(kept))
    page = Paginator(qs.order_by("enterprise__name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    near = run.results.select_related("enterprise").order_by("eligible", "enterprise__name")[:100]
    return render(request, "policies/run.html", {"run": run, "page": page, "near": near})


# ---------------------------------------------------------------- entitlements


@login_required
def entitlements(request):
    _deny_unless(selectors.can_see_entitlements(request.user), _("无权查看兑现资格"))
    filters = exporting.entitlement_filters(request.GET)
    if request.GET.get("format") == "xlsx":
        _deny_unless(request.user.can_export, _("无权导出"))
        return exports.respond(request, "kechuang.policies.exporting.entitlements_table", **filters)
    qs = exporting.entitlements(request.user, **filters)
    status, policy, year = filters["status"], filters["policy"], filters["year"]
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = qs.aggregate(n=Count("id"), s=Sum("amount"))
    return render(
        request,
        "policies/entitlements.html",
        {
            "page": page,
            "totals": totals,
            "statuses": Entitlement.Status.choices,
            "status": status,
            "policy": policy,
            "year": year,
            "q": request.GET.get("q", ""),
            "policies": selectors.policies(),
        },
    )


@login_required
def entitlement_detail(request, pk):
    e = selectors.entitlement_for(request.user, pk)
    account = BankAccount.objects.filter(enterprise=e.enterprise).first()
    can_confirm = e.status == Entitlement.Status.PENDING and (
        request.user.is_bureau
        or (request.user.role == "enterprise_user" and request.user.enterprise_id == e.enterprise_id)
    )
    return render(
        request,
        "policies/entitlement.html",
        {
            "e": e,
            "account": account,
            "can_confirm": can_confirm,
            "conditions": e.condition_rows(),
            "clawbacks": e.clawbacks.all() if request.user.is_bureau else [],
        },
    )


@login_required
@require_POST
def entitlement_confirm(request, pk):
    e = selectors.entitlement_for(request.user, pk)
    try:
        services.confirm_entitlement(user=request.user, entitlement=e)
        messages.success(request, _("已确认。"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    if request.user.role == "enterprise_user":
        return redirect("policies:mine")
    return redirect("policies:entitlement", pk=e.pk)


@login_required
def entitlement_replay(request, pk):
    """The replay as a page (conclusion, amounts, failed conditions in words); `?format=json` for scripts."""
    e = selectors.entitlement_for(request.user, pk)
    outcome = selectors.replay(e)
    if request.GET.get("format") == "json":
        return JsonResponse(outcome, json_dumps_params={"ensure_ascii": False})
    labels = condition_labels(e.version)
    failed = [labels.get(cid, cid) for cid in (outcome["failed"] or "").split(";") if cid]
    return render(request, "policies/replay.html", {"e": e, "outcome": outcome, "failed": failed})


# ---------------------------------------------------------------- batches


@login_required
def batches(request):
    _deny_unless(request.user.is_bureau, _("无权查看兑现批次"))
    qs = selectors.batches_for(request.user).order_by("-created_at", "-pk")
    if request.GET.get("status") in PayoutBatch.Status.values:  # the workbench's 待审批 / 待登记 links
        qs = qs.filter(status=request.GET["status"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    budgets = Budget.objects.select_related("policy").order_by("-year", "policy__code")
    return render(request, "policies/batches.html", {"page": page, "budgets": budgets})


@login_required
@require_POST
def batch_create(request, code):
    _deny_unless(request.user.is_bureau, _("无权组建兑现批次"))
    policy = _policy(code)
    form = BatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("policies:detail", code=code)
    try:
        batch = services.assemble_batch(
            user=request.user,
            policy=policy,
            year=form.cleaned_data["year"],
            title=form.cleaned_data["title"],
            submit_token=form.cleaned_data["submit_token"],
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("policies:detail", code=code)
    messages.success(request, _("已组建批次，等待另一位管理员审批。"))
    return redirect("policies:batch", pk=batch.pk)


@login_required
def batch_detail(request, pk):
    _deny_unless(request.user.is_bureau, _("无权查看兑现批次"))
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    qs = batch.entitlements.select_related("enterprise__bank_account").order_by("enterprise__name", "pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    budget = Budget.objects.filter(policy=batch.policy, year=batch.year).first()
    return render(
        request,
        "policies/batch.html",
        {
            "batch": batch,
            "page": page,
            "budget": budget,
            "refuse_form": RefuseForm(),
            "can_approve": request.user.can_admin
            and batch.status == PayoutBatch.Status.DRAFT
            and batch.created_by_id != request.user.pk,
            "can_pay": request.user.is_bureau
            and batch.status == PayoutBatch.Status.APPROVED
            and request.user.pk not in (batch.created_by_id, batch.approved_by_id),
        },
    )


@login_required
@require_POST
def batch_approve(request, pk):
    _deny_unless(request.user.can_admin, _("只有科技局管理员可以审批兑现批次"))
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    try:
        batch = services.approve_batch(user=request.user, batch_id=batch.pk)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        if batch.status == PayoutBatch.Status.APPROVED:
            messages.success(request, _("批次已审批。"))
        else:
            messages.error(request, batch.reason)
    return redirect("policies:batch", pk=pk)


@login_required
@require_POST
def batch_refuse(request, pk):
    _deny_unless(request.user.can_admin, _("只有科技局管理员可以审批兑现批次"))
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    form = RefuseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请填写退回原因"))
        services.refuse_batch(user=request.user, batch_id=batch.pk, reason=form.cleaned_data["reason"])
        messages.success(request, _("批次已退回。"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("policies:batch", pk=pk)


@login_required
@require_POST
def batch_paid(request, pk):
    _deny_unless(request.user.is_bureau, _("无权登记兑现"))
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    try:
        services.mark_paid(user=request.user, batch_id=batch.pk)
        messages.success(request, _("已登记兑现。"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("policies:batch", pk=pk)


@login_required
def batch_export(request, pk):
    _deny_unless(request.user.is_bureau, _("无权导出国库支付清单"))
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    if batch.status not in (PayoutBatch.Status.APPROVED, PayoutBatch.Status.PAID):
        messages.error(request, _("批次审批通过后才能导出国库支付清单"))
        return redirect("policies:batch", pk=pk)
    services.record_export(user=request.user, batch=batch)
    rows = (
        batch.entitlements.filter(status__in=("approved", "paid"))
        .select_related("enterprise__bank_account")
        .order_by("enterprise__name", "pk")
    )
    return payouts.treasury_response(
        f"国库支付清单_{batch.title}",
        [
            (
                e.enterprise.name,
                e.enterprise.uscc,
                e.enterprise.bank_account.account_name,
                e.enterprise.bank_account.bank_name,
                e.enterprise.bank_account.account_number,
                e.amount,
                batch.policy.name,
                batch.year,
            )
            for e in rows
        ],
        payee="企业名称",
        extra=("政策", "兑现年度"),
    )


# ---------------------------------------------------------------- claw-backs


@login_required
def clawbacks(request):
    _deny_unless(request.user.is_bureau, _("无权查看追回台账"))
    if request.GET.get("format") == "xlsx":
        return exports.respond(request, "kechuang.policies.exporting.clawbacks_table")
    qs = exporting.clawbacks(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "policies/clawbacks.html", {"page": page, "statuses": Clawback.Status})


@login_required
@require_POST
def clawback_resolve(request, pk):
    _deny_unless(request.user.can_admin, _("只有科技局管理员可以处理追回台账"))
    c = get_object_or_404(selectors.clawbacks_for(request.user), pk=pk)
    try:
        services.resolve_clawback(user=request.user, clawback_id=c.pk, status=request.POST.get("status", ""))
        messages.success(request, _("已处理。"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("policies:clawbacks")


@login_required
@require_POST
def clawback_check(request, code):
    _deny_unless(request.user.is_bureau, _("无权核查"))
    policy = _policy(code)
    n = services.review_clawbacks(user=request.user, policy=policy)
    messages.success(request, _("核查完成：%(n)d 项不再符合条件。") % {"n": n})
    return redirect("policies:clawbacks")


# ---------------------------------------------------------------- the firm's portal


@login_required
def mine(request):
    _deny_unless(access.allowed(request.user, "policies_mine"), _("“我的政策”仅供企业用户使用"))
    context = selectors.portal(request.user)
    context["account"] = BankAccount.objects.filter(enterprise_id=request.user.enterprise_id).first()
    return render(request, "policies/mine.html", context)


@login_required
def bank_account(request):
    user = request.user
    _deny_unless(user.role == "enterprise_user" and user.enterprise_id is not None, _("只有企业用户可以维护银行账户"))
    account = BankAccount.objects.filter(enterprise_id=user.enterprise_id).first()
    initial = (
        {"account_name": account.account_name, "bank_name": account.bank_name, "account_number": account.account_number}
        if account
        else {"account_name": user.enterprise.name}
    )
    form = BankAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_bank_account(user=user, enterprise=user.enterprise, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("银行账户已保存。"))
            return redirect("policies:mine")
    return render(request, "policies/bank_account.html", {"form": form})
