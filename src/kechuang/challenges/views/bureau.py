"""The bureau's pages: the board of all challenges by stage, intake, the figures it reports, the pool and its
ledger, payment batches (maker–checker, treasury list), and the expert pool. Bureau users only (403 otherwise).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts import access
from kechuang.core import payouts
from kechuang.core.excel import attachment, workbook_bytes, xlsx_response
from kechuang.engine.challenges import lifecycle
from kechuang.engine.challenges.money import split as money_split

from .. import reports, selectors, services
from ..forms import ClawbackForm, ConflictForm, ContributionForm, CooperationForm, ExpertForm, IntakeForm
from ..models import Application, Challenge, LedgerEntry, Payment, PaymentBatch, Subsidy, Tranche
from .common import PAGE_SIZE, attempt, deny_unless, enterprise_by_uscc, errors, form_errors


def _bureau(request) -> None:
    deny_unless(access.allowed(request.user, "challenges_board"), _("揭榜挂帅管理页面只对科技局开放"))


# ---------------------------------------------------------------- board


@login_required
def board(request):
    _bureau(request)
    stage, q, origin, race = (request.GET.get(k, "").strip() for k in ("stage", "q", "origin", "race"))
    qs = selectors.challenges_for(request.user)
    counts = dict(qs.values_list("stage").annotate(n=Count("pk")))
    if stage:
        qs = qs.filter(stage=stage)
    if origin:
        qs = qs.filter(origin=origin)
    if race in ("1", "0"):
        qs = qs.filter(race=race == "1")
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(code__icontains=q) | Q(issuer__name__icontains=q) | Q(field__icontains=q)
        )
    qs = qs.annotate(
        teams=Count("applications", filter=Q(applications__status__in=Application.TEAM_STATUSES)),
        racing=Count("applications", filter=Q(applications__status="racing")),
    ).order_by("-collected_on", "-pk")
    sources = reports.source_names()
    if request.GET.get("format") == "xlsx":
        rows = list(qs)
        money = reports.money_by_challenge(rows)
        return xlsx_response(
            "揭榜挂帅榜单",
            [
                "榜单编号",
                "榜单名称",
                "阶段",
                "需求来源",
                "发榜企业",
                "技术领域",
                "赛马",
                "榜单总额（万元）",
                "企业自筹（万元）",
                "财政资金（万元）",
                "揭榜截止",
                "发榜日期",
                "首份合同",
                "团队数",
                *(f"{s}已承诺（万元）" for s in sources),
                *(f"{s}已拨付（万元）" for s in sources),
            ],
            [
                [
                    c.code,
                    c.title,
                    c.get_stage_display(),
                    c.get_origin_display(),
                    str(c.issuer or ""),
                    c.field,
                    "是" if c.race else "否",
                    c.budget,
                    c.issuer_funding,
                    c.public_funding,
                    c.deadline,
                    c.published_on,
                    c.contracted_on,
                    c.teams,
                    *(money[c.pk]["committed"].get(s) for s in sources),
                    *(money[c.pk]["paid"].get(s) for s in sources),
                ]
                for c in rows
            ],
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    money = reports.money_by_challenge(list(page.object_list))
    for c in page.object_list:
        c.money = [(money[c.pk]["committed"].get(s), money[c.pk]["paid"].get(s)) for s in sources]
    stages = [(k, v, counts.get(k, 0)) for k, v in lifecycle.STAGES.items()]
    pools = [reports.pool_summary(p) for p in selectors.pools_for(request.user)]
    return render(
        request,
        "challenges/board.html",
        {
            "page": page,
            "stages": stages,
            "stage": stage,
            "q": q,
            "origin": origin,
            "race": race,
            "origins": Challenge.Origin.choices,
            "sources": sources,
            "pools": pools,
        },
    )


@login_required
def intake(request):
    _bureau(request)
    form = IntakeForm(request.POST or None, initial={"collected_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            ch = services.create(
                user=request.user,
                title=d["title"],
                origin=d["origin"],
                need_text=d["need_text"],
                collected_on=d["collected_on"],
                field=d["field"],
                origin_department=d["origin_department"],
                techtransfer_need=d["techtransfer_need"],
                # A need picked without a firm code: the need's firm issues the challenge.
                issuer=enterprise_by_uscc(d["issuer_uscc"])
                or (d["techtransfer_need"].enterprise if d["techtransfer_need"] else None),
                issuer_contact=d["issuer_contact"],
            )
        except ValidationError as exc:
            form.add_error(None, errors(exc))
        else:
            messages.success(request, _("需求已录入：%(c)s") % {"c": ch.code})
            return redirect("challenges:detail", pk=ch.pk)
    return render(request, "challenges/intake.html", {"form": form})


# ---------------------------------------------------------------- figures


@login_required
def figures(request):
    _bureau(request)
    data = reports.figures()
    sources = list(data["money"])
    charts = {
        "stages": {
            "labels": [lifecycle.label(k) for k in lifecycle.STAGES],
            "counts": [data["by_stage"].get(k, 0) for k in lifecycle.STAGES],
        },
        "money": {
            "labels": sources,
            "series": [
                {"name": label, "data": [float(data["money"][s][key]) for s in sources]}
                for key, label in (
                    ("contributed", "已到位"),
                    ("committed", "已承诺未拨付"),
                    ("paid", "已拨付"),
                    ("returned", "已追回"),
                )
            ],
        },
    }
    if request.GET.get("format") == "xlsx":
        d = data
        rows = [
            ["发榜数（项）", d["published"], d["definitions"]["published"]],
            ["榜单总额（万元）", d["rewards"], d["definitions"]["rewards"]],
            ["揭榜团队（支）", d["teams"], d["definitions"]["teams"]],
            ["落地实施（项）", d["implemented"], d["definitions"]["implemented"]],
            ["已验收（项）", d["accepted"], d["definitions"]["accepted"]],
            ["发榜到签约平均用时（天）", d["avg_days_to_contract"], d["definitions"]["avg_days_to_contract"]],
        ]
        money_rows = [
            [s, m["pledged"], m["contributed"], m["committed"], m["paid"], m["returned"]] for s, m in d["money"].items()
        ]
        return attachment(
            workbook_bytes(
                [
                    ("揭榜挂帅统计", ["指标", "数值", "口径"], rows),
                    (
                        "资金来源",
                        [
                            "出资方",
                            "认缴（万元）",
                            "已到位（万元）",
                            "已承诺未拨付（万元）",
                            "已拨付（万元）",
                            "已追回（万元）",
                        ],
                        money_rows,
                    ),
                ]
            ),
            f"揭榜挂帅统计_{timezone.localdate():%Y%m%d}.xlsx",
        )
    return render(
        request, "challenges/figures.html", {"d": data, "charts_json": json.dumps(charts, ensure_ascii=False)}
    )


# ---------------------------------------------------------------- pool and ledger


@login_required
def pool(request):
    _bureau(request)
    pools = list(selectors.pools_for(request.user))
    summaries = [reports.pool_summary(p) for p in pools]
    kind, source, q = (request.GET.get(k, "").strip() for k in ("kind", "source", "q"))
    qs = selectors.ledger_for(request.user).order_by("-on", "-pk")
    if kind:
        qs = qs.filter(kind=kind)
    if source:
        qs = qs.filter(source__name=source)
    if q:
        qs = qs.filter(Q(note__icontains=q) | Q(challenge__title__icontains=q) | Q(challenge__code__icontains=q))
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            "揭榜挂帅资金台账",
            ["日期", "资金池", "类别", "资金来源", "榜单", "团队", "期次", "金额（万元）", "摘要"],
            [
                [
                    e.on,
                    e.pool.name,
                    e.get_kind_display(),
                    e.source.name if e.source else "",
                    e.challenge.code if e.challenge else "",
                    e.application.team_name if e.application else "",
                    f"第 {e.tranche.seq} 期" if e.tranche else "",
                    e.amount,
                    e.note,
                ]
                for e in qs.select_related("pool")
            ],
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    form = ContributionForm(initial={"on": timezone.localdate()})
    form.fields["source"].choices = [(s.pk, f"{p.name}·{s.name}") for p in pools for s in p.sources.all()]
    claw = selectors.clawbacks_for(request.user).order_by("-flagged_at")[:50]
    return render(
        request,
        "challenges/pool.html",
        {
            "summaries": summaries,
            "page": page,
            "kind": kind,
            "source": source,
            "q": q,
            "form": form,
            "kinds": LedgerEntry.Kind.choices,
            "sources": reports.source_names(),
            "clawbacks": claw,
            "can_resolve": request.user.can_admin,
        },
    )


@login_required
@require_POST
def contribute(request):
    _bureau(request)
    form = ContributionForm(request.POST)
    pools = list(selectors.pools_for(request.user))
    sources = {s.pk: s for p in pools for s in p.sources.all()}
    form.fields["source"].choices = [(pk, s.name) for pk, s in sources.items()]
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:pool")
    d = form.cleaned_data
    return attempt(
        request,
        lambda: services.contribute(
            user=request.user, source=sources[d["source"]], amount=d["amount"], on=d["on"], note=d["note"]
        ),
        _("已登记出资到位。"),
        "challenges:pool",
    )


@login_required
@require_POST
def clawback_resolve(request, pk):
    deny_unless(request.user.can_admin, _("只有科技局管理员可以处理追回"))
    c = get_object_or_404(selectors.clawbacks_for(request.user), pk=pk)
    return attempt(
        request,
        lambda: services.resolve_clawback(user=request.user, clawback_id=c.pk, status=request.POST.get("status", "")),
        _("已处理。"),
        "challenges:pool",
    )


@login_required
@require_POST
def clawback_flag(request, pk):
    _bureau(request)
    ch = selectors.challenge_for(request.user, pk)
    form = ClawbackForm(request.POST)
    form.fields["team"].choices = [(a.pk, a.team_name) for a in ch.applications.all()]
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:detail", pk=pk)
    d = form.cleaned_data
    team = ch.applications.get(pk=d["team"])
    return attempt(
        request,
        lambda: services.flag_clawback(user=request.user, team=team, amount=d["amount"], reason=d["reason"]),
        _("已登记待追回。"),
        "challenges:detail",
        pk=pk,
    )


# ---------------------------------------------------------------- payment batches


@login_required
def batches(request):
    _bureau(request)
    if request.method == "POST":
        pool = get_object_or_404(selectors.pools_for(request.user), pk=request.POST.get("pool"))
        try:
            batch = services.create_batch(user=request.user, pool=pool, title=request.POST.get("title", ""))
        except ValidationError as exc:
            messages.error(request, errors(exc))
            return redirect("challenges:batches")
        return redirect("challenges:batch", pk=batch.pk)
    qs = selectors.batches_for(request.user).annotate(n=Count("payments"), total=Sum("payments__amount"))
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "challenges/batches.html", {"page": page, "pools": selectors.pools_for(request.user)})


def _payable(batch: PaymentBatch):
    """Tranches with money left (beyond what draft batches already hold) whose milestone is accepted (or none),
    and computed subsidies not yet batched."""
    pending = dict(
        Payment.objects.filter(batch__status=PaymentBatch.Status.DRAFT, tranche__isnull=False)
        .values_list("tranche_id")
        .annotate(s=Sum("amount"))
        .values_list("tranche_id", "s")
    )
    tranches = []
    for t in (
        Tranche.objects.filter(application__challenge__pool=batch.pool, application__status__in=["racing", "completed"])
        .select_related("application__challenge", "milestone")
        .order_by("application__challenge", "pk")
    ):
        t.free = t.left - pending.get(t.pk, 0)
        if t.free > 0 and services.milestone_accepted(t.application, t.milestone):
            tranches.append(t)
    subsidies = (
        Subsidy.objects.filter(challenge__pool=batch.pool)
        .exclude(payments__batch__status__in=["draft", "approved", "paid"])
        .select_related("challenge", "enterprise")
    )
    return tranches, subsidies


@login_required
def batch(request, pk):
    _bureau(request)
    b = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    payments = list(b.payments.select_related("challenge", "tranche__application", "subsidy").order_by("pk"))
    splits = {}
    for e in LedgerEntry.objects.filter(payment__batch=b, kind="payment").select_related("source"):
        splits.setdefault(e.payment_id, {})[e.source.name] = e.amount
    pool_sources = list(b.pool.sources.order_by("order", "pk"))
    sources = [s.name for s in pool_sources]
    shares = [(s.name, s.share) for s in pool_sources]
    paid = {s.name: s.paid for s in pool_sources}
    for p in payments:
        if p.pk in splits:
            p.parts, p.preview = [splits[p.pk].get(s) for s in sources], False
        else:  # not approved yet: the split it would get now, by the pool's shares
            preview = money_split(p.amount, shares, paid)
            paid = {k: paid[k] + preview[k] for k in paid}
            p.parts, p.preview = [preview[s] for s in sources], True
    tranches, subsidies = _payable(b) if b.status == "draft" else ([], [])
    return render(
        request,
        "challenges/batch.html",
        {
            "batch": b,
            "payments": payments,
            "sources": sources,
            "tranches": tranches,
            "subsidies": subsidies,
            "total": sum(p.amount for p in payments),
            "summary": reports.pool_summary(b.pool),
            "can_approve": request.user.can_admin and b.status == "draft" and b.created_by_id != request.user.pk,
        },
    )


@login_required
@require_POST
def batch_add(request, pk):
    _bureau(request)
    b = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    if request.POST.get("tranche"):
        tranche = get_object_or_404(Tranche, pk=request.POST["tranche"])
        return attempt(
            request,
            lambda: services.add_tranche_payment(
                user=request.user, batch=b, tranche=tranche, amount=request.POST.get("amount", "")
            ),
            _("已纳入批次。"),
            "challenges:batch",
            pk=pk,
        )
    subsidy = get_object_or_404(Subsidy, pk=request.POST.get("subsidy"))
    return attempt(
        request,
        lambda: services.add_subsidy_payment(user=request.user, batch=b, subsidy=subsidy),
        _("已纳入批次。"),
        "challenges:batch",
        pk=pk,
    )


@login_required
@require_POST
def batch_remove(request, pk, payment):
    _bureau(request)
    b = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    p = get_object_or_404(b.payments, pk=payment)
    return attempt(
        request,
        lambda: services.remove_payment(user=request.user, payment=p),
        _("已移出批次。"),
        "challenges:batch",
        pk=pk,
    )


@login_required
@require_POST
def batch_approve(request, pk):
    deny_unless(request.user.can_admin, _("只有科技局管理员可以审批拨付批次"))
    b = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    return attempt(
        request,
        lambda: services.approve_batch(user=request.user, batch_id=b.pk),
        _("批次已审批，资金已按出资比例记入台账。"),
        "challenges:batch",
        pk=pk,
    )


@login_required
@require_POST
def batch_refuse(request, pk):
    deny_unless(request.user.can_admin, _("只有科技局管理员可以审批拨付批次"))
    b = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    return attempt(
        request,
        lambda: services.refuse_batch(user=request.user, batch_id=b.pk, reason=request.POST.get("reason", "")),
        _("批次已退回。"),
        "challenges:batch",
        pk=pk,
    )


@login_required
@require_POST
def batch_paid(request, pk):
    _bureau(request)
    b = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    return attempt(
        request,
        lambda: services.mark_paid(user=request.user, batch_id=b.pk),
        _("已登记国库拨付。"),
        "challenges:batch",
        pk=pk,
    )


@login_required
def batch_export(request, pk):
    _bureau(request)
    b = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    if b.status not in (PaymentBatch.Status.APPROVED, PaymentBatch.Status.PAID):
        messages.error(request, _("批次审批通过后才能导出国库支付清单"))
        return redirect("challenges:batch", pk=pk)
    services.record_export(user=request.user, batch=b)
    sources = [s.name for s in b.pool.sources.order_by("order", "pk")]
    splits = {}
    for e in LedgerEntry.objects.filter(payment__batch=b, kind="payment").select_related("source"):
        splits.setdefault(e.payment_id, {})[e.source.name] = e.amount
    rows = []
    for p in b.payments.select_related("challenge", "tranche").order_by("pk"):
        purpose = f"{p.challenge.code} 第 {p.tranche.seq} 期" if p.tranche_id else f"{p.challenge.code} 积分补助"
        rows.append(
            (
                p.payee,
                "",
                p.account_name,
                p.bank_name,
                p.account_number,
                p.amount,
                purpose,
                *(splits.get(p.pk, {}).get(s) for s in sources),
            )
        )
    return payouts.treasury_response(
        f"国库支付清单_{b.title}",
        rows,
        code="统一社会信用代码（选填）",
        extra=("用途", *(f"{s}（万元）" for s in sources)),
    )


# ---------------------------------------------------------------- experts


@login_required
def experts(request):
    _bureau(request)
    q = request.GET.get("q", "").strip()
    form = ExpertForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            e = services.save_expert(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, errors(exc))
        else:
            messages.success(request, _("已加入专家库：%(e)s") % {"e": e})
            return redirect("challenges:expert", pk=e.pk)
    qs = selectors.experts_for(request.user).annotate(
        n_conflicts=Count("declared_conflicts", distinct=True),
        n_coop=Count("cooperations", distinct=True),
        n_seats=Count("seats", distinct=True),
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(institution__icontains=q) | Q(fields__icontains=q))
    page = Paginator(qs.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "challenges/experts.html", {"page": page, "q": q, "form": form})


@login_required
def expert(request, pk):
    _bureau(request)
    e = get_object_or_404(selectors.experts_for(request.user), pk=pk)
    form = ExpertForm(request.POST or None, initial={k: getattr(e, k) for k in ExpertForm.base_fields})
    if request.method == "POST" and request.POST.get("part") == "expert" and form.is_valid():
        return attempt(
            request,
            lambda: services.save_expert(user=request.user, expert=e, **form.cleaned_data),
            _("已保存。"),
            "challenges:expert",
            pk=pk,
        )
    return render(
        request,
        "challenges/expert.html",
        {
            "e": e,
            "form": form,
            "conflict_form": ConflictForm(),
            "coop_form": CooperationForm(),
            "conflicts": e.declared_conflicts.all(),
            "cooperations": e.cooperations.all(),
            "seats": e.seats.select_related("panel__challenge").order_by("-added_at"),
        },
    )


@login_required
@require_POST
def expert_conflict(request, pk):
    _bureau(request)
    e = get_object_or_404(selectors.experts_for(request.user), pk=pk)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:expert", pk=pk)
    return attempt(
        request,
        lambda: services.declare_conflict(expert=e, user=request.user, **form.cleaned_data),
        _("已登记利益冲突。"),
        "challenges:expert",
        pk=pk,
    )


@login_required
@require_POST
def expert_cooperation(request, pk):
    _bureau(request)
    e = get_object_or_404(selectors.experts_for(request.user), pk=pk)
    form = CooperationForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:expert", pk=pk)
    return attempt(
        request,
        lambda: services.add_cooperation(user=request.user, expert=e, **form.cleaned_data),
        _("已登记合作记录。"),
        "challenges:expert",
        pk=pk,
    )
