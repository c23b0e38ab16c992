"""Chain pages: the list, the chain map (ECharts tree and supply graph) with gaps, segments with their firms and
suggestions, 链主/链核 designations, recruitment targets, and the chain leader's view.

Views check the role, validate and call services/selectors; a denied page is 403, a record outside the
user's scope 404.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts import access
from kechuang.core.excel import attachment, workbook_bytes, xlsx_response
from kechuang.core.models import AuditEvent
from kechuang.engine import clock
from kechuang.engine.chains import gaps as gap_engine
from kechuang.engine.chains import links as link_engine
from kechuang.engine.io import FactsFileError as UnreadableFile
from kechuang.enterprises.selectors import enterprise_for

from . import importing, loaders, selectors, services
from .forms import (
    AdvanceForm,
    ChainForm,
    DesignationForm,
    EndForm,
    PlacementAddForm,
    ProductForm,
    SegmentForm,
    TargetForm,
)
from .models import Chain, Designation, Placement, RecruitmentTarget, Segment

PAGE_SIZE = 50
TARGET_HEADER = [
    "产业链",
    "补链环节",
    "目标企业",
    "所在地",
    "主要产品",
    "计划投资额（万元）",
    "状态",
    "负责人",
    "签约日期",
    "落地日期",
    "下一步",
    "线索来源",
]
STATUS_COLORS = {"missing": "#dc2626", "weak": "#f59e0b", "strong": "#059669", "unknown": "#94a3b8"}


def _require_read(user) -> None:
    if not selectors.can_read_chains(user):
        raise PermissionDenied(_("无权查看产业链"))


def _require_edit(user) -> None:
    if not selectors.can_edit_chains(user):
        raise PermissionDenied(_("只有科技局可以维护产业链"))


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


@login_required
def index(request):
    _require_read(request.user)
    chains = list(
        selectors.chains_for(request.user)
        .annotate(n_segments=Count("segments", distinct=True))
        .order_by("order", "name")
    )
    for chain in chains:
        rows, _params = selectors.assess(chain)
        chain.gaps = sum(1 for r in rows.values() if r["status"] in gap_engine.GAP_STATUSES)
        chain.missing = sum(1 for r in rows.values() if r["status"] == gap_engine.MISSING)
        chain.firms = (
            Placement.objects.filter(segment__chain=chain, status=Placement.Status.CONFIRMED)
            .values("enterprise")
            .distinct()
            .count()
        )
        active = selectors.active_designations().filter(chain=chain)
        chain.leaders = [d.enterprise for d in active.filter(role=Designation.Role.LEADER).select_related("enterprise")]
        chain.cores = active.filter(role=Designation.Role.CORE).count()
        chain.pending = Placement.objects.filter(segment__chain=chain, status=Placement.Status.SUGGESTED).count()
        chain.open_targets = chain.targets.filter(status__in=RecruitmentTarget.OPEN).count()
    return render(request, "chains/index.html", {"chains": chains, "can_edit": selectors.can_edit_chains(request.user)})


def _tree(chain: Chain, rows: dict) -> dict:
    """ECharts tree data: chain → 上游/中游/下游 → segments → sub-segments, coloured by status."""
    segments = list(chain.segments.order_by("order", "pk"))
    children: dict = {}
    for s in segments:
        children.setdefault(s.parent_id, []).append(s)

    def node(s: Segment) -> dict:
        r = rows.get(s.pk, {})
        status = r.get("status", "unknown")
        label = f"{s.name}（{r.get('firms', 0)}家·{gap_engine.STATUS_LABELS[status]}）"
        return {
            "name": label,
            "value": r.get("firms", 0),
            "id": s.pk,
            "status": status,
            "itemStyle": {"color": STATUS_COLORS[status], "borderColor": STATUS_COLORS[status]},
            "children": [node(c) for c in children.get(s.pk, [])],
        }

    groups = []
    for position, label in Segment.Position.choices:
        tops = [s for s in children.get(None, []) if s.position == position]
        groups.append({"name": str(label), "children": [node(s) for s in tops]})
    return {"name": chain.name, "children": groups}


def _graph(chain: Chain, rows: dict) -> dict:
    positions = {p: i for i, (p, _label) in enumerate(Segment.Position.choices)}
    segments = list(chain.segments.order_by("order", "pk"))
    per_column: dict = {}
    nodes = []
    for s in segments:
        column = positions[s.position]
        row = per_column.get(column, 0)
        per_column[column] = row + 1
        r = rows.get(s.pk, {})
        status = r.get("status", "unknown")
        nodes.append(
            {
                "id": str(s.pk),
                "name": s.name,
                "x": column * 300,
                "y": row * 70,
                "value": r.get("firms", 0),
                "symbolSize": 18 + min(r.get("firms", 0), 20) * 1.5,
                "itemStyle": {"color": STATUS_COLORS[status]},
                "label": {"show": True, "formatter": f"{s.name}\n{r.get('firms', 0)}家"},
            }
        )
    links = [{"source": str(a), "target": str(b)} for a, b in loaders.link_frame(chain).iter_rows()]
    return {"nodes": nodes, "links": links}


@login_required
def chain_map(request, code):
    _require_read(request.user)
    chain = selectors.chain_for(request.user, code)
    rows, params = selectors.assess(chain)
    is_bureau = request.user.is_bureau
    placements = list(
        selectors.placements_for(request.user).filter(segment__chain=chain, status=Placement.Status.CONFIRMED)
    )
    details = loaders.firm_details({p.enterprise_id for p in placements})
    designations = {d.enterprise_id: d for d in selectors.active_designations().filter(chain=chain)}
    by_segment: dict = {}
    for p in placements:
        p.detail = details.get(p.enterprise_id, {})
        p.designation = designations.get(p.enterprise_id)
        by_segment.setdefault(p.segment_id, []).append(p)
    targets = (
        dict(chain.targets.filter(status__in=RecruitmentTarget.OPEN).values_list("segment").annotate(n=Count("pk")))
        if is_bureau
        else {}
    )
    segments = list(chain.segments.order_by("order", "pk"))
    for s in segments:
        s.row = rows.get(s.pk, {})
        s.status_label = gap_engine.STATUS_LABELS.get(s.row.get("status"), "")
        s.firms_shown = sorted(
            by_segment.get(s.pk, []),
            key=lambda p: (p.designation is None, -(p.detail.get("revenue") or 0), p.enterprise.name),
        )
        s.totals = loaders.totals({p.enterprise_id: p.detail for p in by_segment.get(s.pk, [])})
        s.open_targets = targets.get(s.pk, 0)
    gaps = sorted([s for s in segments if s.row.get("gap_rank")], key=lambda s: s.row["gap_rank"])
    if request.GET.get("format") == "xlsx" and is_bureau:
        return _export(chain, segments, gaps)
    context = {
        "chain": chain,
        "segments": segments,
        "gaps": gaps,
        "is_bureau": is_bureau,
        "tree_json": json.dumps(_tree(chain, rows), ensure_ascii=False),
        "graph_json": json.dumps(_graph(chain, rows), ensure_ascii=False),
        # 链主 first, then 链核; current before ended.
        "designations": chain.designations.select_related("enterprise").order_by(
            "-role", F("ends_on").asc(nulls_first=True), "designated_on", "pk"
        ),
        "today": clock.today(),
        "year": loaders.latest_year(),
        "pending": Placement.objects.filter(segment__chain=chain, status=Placement.Status.SUGGESTED).count()
        if is_bureau
        else 0,
        "params": params,
        "designation_form": DesignationForm() if is_bureau else None,
        "posts": selectors.posts_along_chain(chain, request.user) if is_bureau else [],
        "providers": bool(selectors.post_providers()),
    }
    return render(request, "chains/map.html", context)


def _export(chain, segments, gaps):
    def money(v):
        return None if v is None else float(v)

    firm_rows = [
        [
            s.get_position_display(),
            s.name,
            p.enterprise.name,
            p.enterprise.uscc,
            p.designation.get_role_display() if p.designation else "",
            "、".join(p.detail.get("tiers") or []),
            p.detail.get("points"),
            money(p.detail.get("revenue")),
            money(p.detail.get("rd_expense")),
        ]
        for s in segments
        for p in s.firms_shown
    ]
    segment_rows = [
        [
            s.get_position_display(),
            s.name,
            "、".join(s.industry_codes or []),
            s.row.get("firms"),
            s.status_label,
            s.row.get("dependence"),
            s.row.get("gap_rank"),
            "；".join(s.row.get("reasons") or []),
        ]
        for s in segments
    ]
    gap_rows = [
        [
            s.row["gap_rank"],
            s.name,
            s.status_label,
            round(s.row["dependence"], 4),
            s.row["priority"],
            "；".join(s.row["reasons"]),
        ]
        for s in gaps
    ]
    data = workbook_bytes(
        [
            ("环节", ["位置", "环节", "行业代码", "本地企业数", "强弱", "依赖程度", "缺链排序", "说明"], segment_rows),
            (
                "环节企业",
                [
                    "位置",
                    "环节",
                    "企业",
                    "统一社会信用代码",
                    "链主/链核",
                    "梯队",
                    "创新积分",
                    "营业收入（万元）",
                    "研发费用（万元）",
                ],
                firm_rows,
            ),
            ("缺链排序", ["排序", "环节", "强弱", "依赖程度", "优先度", "说明"], gap_rows),
        ]
    )
    return attachment(data, f"{chain.name}_{clock.today():%Y%m%d}.xlsx")


@login_required
def chain_edit(request, code=None):
    _require_edit(request.user)
    chain = selectors.chain_for(request.user, code) if code else None
    form = ChainForm(request.POST or None, instance=chain)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_chain(user=request.user, data=form.cleaned_data, chain=chain)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("已保存产业链“%(n)s”。") % {"n": saved.name})
            return redirect("chains:map", code=saved.code)
    return render(request, "chains/chain_form.html", {"form": form, "chain": chain})


@login_required
def segment_edit(request, code, pk=None):
    _require_edit(request.user)
    chain = selectors.chain_for(request.user, code)
    segment = selectors.segment_for(request.user, pk) if pk else None
    if segment is not None and segment.chain_id != chain.pk:
        raise PermissionDenied(_("环节不属于该产业链"))
    initial = {"position": request.GET.get("position", "upstream")}
    if segment is not None:
        initial = {
            "name": segment.name,
            "position": segment.position,
            "parent": segment.parent,
            "industry_codes": segment.industry_codes,
            "keywords": segment.keywords,
            "products": segment.products,
            "weight": segment.weight,
            "order": segment.order,
            "supplies": segment.supplies.all(),
        }
    form = SegmentForm(request.POST or None, initial=initial, chain=chain, segment=segment)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        supplies = data.pop("supplies")
        try:
            saved = services.save_segment(user=request.user, chain=chain, data=data, segment=segment, supplies=supplies)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(
                request, _("已保存环节“%(n)s”。重新推荐后，按新的代码和关键词归集企业。") % {"n": saved.name}
            )
            return redirect("chains:segment", code=chain.code, pk=saved.pk)
    return render(request, "chains/segment_form.html", {"form": form, "chain": chain, "segment": segment})


@login_required
@require_POST
def segment_delete(request, code, pk):
    _require_edit(request.user)
    chain = selectors.chain_for(request.user, code)
    segment = selectors.segment_for(request.user, pk)
    try:
        services.delete_segment(user=request.user, segment=segment)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("chains:segment", code=chain.code, pk=segment.pk)
    messages.success(request, _("已删除环节“%(n)s”。") % {"n": segment.name})
    return redirect("chains:map", code=chain.code)


@login_required
def segment_detail(request, code, pk):
    _require_read(request.user)
    chain = selectors.chain_for(request.user, code)
    segment = selectors.segment_for(request.user, pk)
    if segment.chain_id != chain.pk:
        raise PermissionDenied(_("环节不属于该产业链"))
    rows, _params = selectors.assess(chain)
    placements = list(selectors.placements_for(request.user).filter(segment=segment).order_by("-score", "pk"))
    details = loaders.firm_details({p.enterprise_id for p in placements if p.status == Placement.Status.CONFIRMED})
    for p in placements:
        p.detail = details.get(p.enterprise_id, {})
        p.reason = services.reason_text(p)
    context = {
        "chain": chain,
        "segment": segment,
        "row": rows.get(segment.pk, {}),
        "status_label": gap_engine.STATUS_LABELS.get(rows.get(segment.pk, {}).get("status"), ""),
        "confirmed": [p for p in placements if p.status == Placement.Status.CONFIRMED],
        "suggested": [p for p in placements if p.status == Placement.Status.SUGGESTED],
        "rejected": [p for p in placements if p.status == Placement.Status.REJECTED],
        "targets": segment.targets.select_related("owner") if request.user.is_bureau else [],
        # As on the map, what firms post along the chain is the bureau's; here only what names this segment.
        "posts": [p for p in selectors.posts_along_chain(chain, request.user) if p.get("segment_id") == segment.pk]
        if request.user.is_bureau
        else [],
        "suppliers": segment.supplied_by.all(),
        "customers": segment.supplies.all(),
        "is_bureau": request.user.is_bureau,
        "add_form": PlacementAddForm(),
    }
    return render(request, "chains/segment.html", context)


@login_required
@require_POST
def suggest(request, code):
    _require_edit(request.user)
    chain = selectors.chain_for(request.user, code)
    try:
        counts = services.suggest_placements(user=request.user, chain=chain)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request,
            _("已按行业代码与关键词重新推荐：新增 %(new)s 家次待确认，更新 %(updated)s，撤回 %(withdrawn)s。") % counts,
        )
    return redirect("chains:placements", code=chain.code)


@login_required
def placements(request, code):
    """The review queue: the engine's suggestions for the chain, each with its reason, confirmed or rejected."""
    _require_edit(request.user)
    chain = selectors.chain_for(request.user, code)
    status = request.GET.get("status", Placement.Status.SUGGESTED)
    qs = selectors.placements_for(request.user).filter(segment__chain=chain)
    if status in Placement.Status.values:
        qs = qs.filter(status=status)
    segment = request.GET.get("segment")
    if segment and segment.isdigit():
        qs = qs.filter(segment_id=int(segment))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(enterprise__uscc__iexact=q.upper()))
    page = Paginator(qs.order_by("segment__order", "segment_id", "-score", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for p in page.object_list:
        p.reason = services.reason_text(p)
    counts = dict(Placement.objects.filter(segment__chain=chain).values_list("status").annotate(n=Count("pk")))
    return render(
        request,
        "chains/placements.html",
        {
            "chain": chain,
            "page": page,
            "status": status,
            "segment": segment or "",
            "q": q,
            "segments": chain.segments.order_by("order", "pk"),
            "statuses": [(k, v, counts.get(k, 0)) for k, v in Placement.Status.choices],
        },
    )


@login_required
@require_POST
def decide(request, code):
    _require_edit(request.user)
    chain = selectors.chain_for(request.user, code)
    ids = [int(i) for i in request.POST.getlist("placement") if i.isdigit()]
    chosen = list(selectors.placements_for(request.user).filter(segment__chain=chain, pk__in=ids))
    if not chosen:
        messages.error(request, _("请先勾选企业。"))
    else:
        confirm = request.POST.get("action") == "confirm"
        n = services.decide(user=request.user, placements=chosen, confirm=confirm, note=request.POST.get("note", ""))
        messages.success(request, (_("已确认 %(n)s 家。") if confirm else _("已否决 %(n)s 家。")) % {"n": n})
    return redirect(request.POST.get("next") or reverse("chains:placements", args=[chain.code]))


@login_required
@require_POST
def add_firm(request, code, pk):
    _require_edit(request.user)
    chain = selectors.chain_for(request.user, code)
    segment = selectors.segment_for(request.user, pk)
    form = PlacementAddForm(request.POST)
    if form.is_valid():
        try:
            services.add_placement(
                user=request.user, segment=segment, enterprise=form.enterprise, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("已将 %(e)s 加入“%(s)s”。") % {"e": form.enterprise.name, "s": segment.name})
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("chains:segment", code=chain.code, pk=segment.pk)


@login_required
@require_POST
def designation_add(request, code):
    _require_edit(request.user)
    chain = selectors.chain_for(request.user, code)
    form = DesignationForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.designate(
                user=request.user,
                chain=chain,
                enterprise=form.enterprise,
                role=d["role"],
                designated_on=d["designated_on"],
                document=d["document"],
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(
                request,
                _("已认定 %(e)s 为%(r)s。") % {"e": form.enterprise.name, "r": Designation.Role(d["role"]).label},
            )
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("chains:map", code=chain.code)


@login_required
@require_POST
def designation_end(request, pk):
    _require_edit(request.user)
    designation = Designation.objects.select_related("chain", "enterprise").filter(pk=pk).first()
    if designation is None:
        raise Http404(_("认定记录不存在"))
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.end_designation(user=request.user, designation=designation, ends_on=form.cleaned_data["ends_on"])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("已终止 %(e)s 的认定。") % {"e": designation.enterprise.name})
    else:
        messages.error(request, _("请填写终止日期"))
    return redirect("chains:map", code=designation.chain.code)


# ---------------------------------------------------------------- recruitment targets


@login_required
def targets(request):
    _require_edit(request.user)
    qs = selectors.targets_for(request.user)
    chain, status, q = request.GET.get("chain", ""), request.GET.get("status", ""), request.GET.get("q", "").strip()
    if chain:
        qs = qs.filter(chain__code=chain)
    if status == "open":
        qs = qs.filter(status__in=RecruitmentTarget.OPEN)
    elif status in RecruitmentTarget.Status.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(company__icontains=q) | Q(location__icontains=q) | Q(products__icontains=q))
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            "招商线索",
            TARGET_HEADER,
            (
                [
                    t.chain.name,
                    t.segment.name,
                    t.company,
                    t.location,
                    t.products,
                    None if t.investment is None else float(t.investment),
                    t.get_status_display(),
                    str(t.owner or ""),
                    t.signed_on,
                    t.arrived_on,
                    t.next_step,
                    t.source,
                ]
                for t in qs
            ),
        )
    summary = dict(selectors.targets_for(request.user).values_list("status").annotate(n=Count("pk")))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "chains/targets.html",
        {
            "page": page,
            "chains": Chain.objects.all(),
            "chain": chain,
            "status": status,
            "q": q,
            "statuses": RecruitmentTarget.Status.choices,
            "summary": summary,
        },
    )


@login_required
def target_edit(request, pk=None):
    _require_edit(request.user)
    target = selectors.target_for(request.user, pk) if pk else None
    chain = (
        target.chain
        if target
        else selectors.chain_for(request.user, request.GET.get("chain") or request.POST.get("chain") or "")
    )
    initial = {}
    if target is None and (request.GET.get("segment") or "").isdigit():
        initial["segment"] = int(request.GET["segment"])
    form = TargetForm(request.POST or None, instance=target, initial=initial, chain=chain)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_target(user=request.user, chain=chain, data=form.cleaned_data, target=target)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("已保存招商线索“%(c)s”。") % {"c": saved.company})
            return redirect("chains:target", pk=saved.pk)
    return render(request, "chains/target_form.html", {"form": form, "chain": chain, "target": target})


@login_required
def target_detail(request, pk):
    _require_edit(request.user)
    target = selectors.target_for(request.user, pk)
    form = AdvanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.advance_target(
                user=request.user,
                target=target,
                status=d["status"],
                on=d["on"],
                enterprise=form.enterprise,
                reason=d["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("进展已更新为“%(s)s”。") % {"s": target.get_status_display()})
            return redirect("chains:target", pk=target.pk)
    history = (
        AuditEvent.objects.filter(object_type="chains.recruitmenttarget", object_id=str(target.pk))
        .select_related("actor")
        .order_by("at")
    )
    steps = [RecruitmentTarget.Status(s) for s in services.TARGET_STEPS[target.status]]
    return render(request, "chains/target.html", {"target": target, "form": form, "history": history, "steps": steps})


# ---------------------------------------------------------------- the chain leader's view


@login_required
def my_chain(request):
    """An enterprise user's own firm, when it is a 链主 or 链核."""
    if not access.allowed(request.user, "chains_mine"):
        raise PermissionDenied(_("只有链主、链核企业的用户可以查看"))
    return leader_view(request, request.user.enterprise.uscc)


@login_required
def leader_view(request, uscc):
    """The firm's chains: its segments, local suppliers (segments supplying them) and customers, and what is
    posted along the chain (needs, challenges) by other firms."""
    enterprise = enterprise_for(request.user, uscc) if request.user.is_bureau else request.user.enterprise
    if enterprise is None or enterprise.uscc != uscc:
        raise Http404(_("企业不存在或无权查看"))
    designations = list(selectors.leader_designations(request.user, enterprise))
    sections = []
    for d in designations:
        chain = d.chain
        own = list(
            Placement.objects.filter(
                segment__chain=chain, enterprise=enterprise, status=Placement.Status.CONFIRMED
            ).select_related("segment")
        )
        own_ids = [p.segment_id for p in own]
        sides = link_engine.neighbours(loaders.link_frame(chain), own_ids)
        firms = {}
        for side, ids in sides.items():
            placed = (
                Placement.objects.filter(segment_id__in=ids, status=Placement.Status.CONFIRMED)
                .exclude(enterprise=enterprise)
                .select_related("enterprise", "segment")
                .order_by("segment__order", "enterprise__name")
            )
            details = loaders.firm_details({p.enterprise_id for p in placed})
            for p in placed:
                p.detail = details.get(p.enterprise_id, {})
            firms[side] = {"segments": Segment.objects.filter(pk__in=ids).order_by("order"), "placements": placed}
        sections.append(
            {
                "designation": d,
                "chain": chain,
                "own": own,
                "suppliers": firms["suppliers"],
                "customers": firms["customers"],
                "posts": selectors.posts_along_chain(chain, request.user),
            }
        )
    return render(
        request,
        "chains/leader.html",
        {
            "enterprise": enterprise,
            "sections": sections,
            "is_bureau": request.user.is_bureau,
            "providers": bool(selectors.post_providers()),
        },
    )


@login_required
def product_import(request):
    """Firms' product descriptions in bulk (what the placement engine reads besides the industry code)."""
    _require_edit(request.user)
    report, error = None, None
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        try:
            report = importing.import_profiles(user=request.user, name=upload.name, content=upload.read())
        except UnreadableFile as exc:
            error = exc.message
    elif request.method == "POST":
        error = _("请选择文件")
    if request.GET.get("template"):
        return xlsx_response("企业主营产品导入模板", importing.HEADER, [])
    return render(request, "chains/product_import.html", {"report": report, "error": error, "header": importing.HEADER})


@login_required
def product_profile(request, uscc):
    _require_edit(request.user)
    enterprise = enterprise_for(request.user, uscc)
    profile = getattr(enterprise, "product_profile", None)
    form = ProductForm(
        request.POST or None,
        initial={"products": profile.products if profile else "", "source": profile.source if profile else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_product_profile(user=request.user, enterprise=enterprise, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("已保存 %(e)s 的主营产品。") % {"e": enterprise.name})
            return redirect(request.GET.get("next") or reverse("enterprises:detail", args=[enterprise.uscc]))
    placements = Placement.objects.filter(enterprise=enterprise).select_related("segment__chain")
    return render(request, "chains/products.html", {"enterprise": enterprise, "form": form, "placements": placements})
