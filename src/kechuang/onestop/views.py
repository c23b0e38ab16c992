"""One-stop service pages (the inbox, a request, one click from the diagnosis report) and 包联 pages (我的企业,
the officials' overview, visits).

Views check the role, validate and call services/selectors; a denied page is 403, a record outside the
user's scope 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Avg, Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts import access
from kechuang.accounts.models import Role
from kechuang.core import exports
from kechuang.core.models import AuditEvent
from kechuang.engine.onestop import routing, visits
from kechuang.enterprises.models import Enterprise
from kechuang.enterprises.selectors import enterprise_for
from kechuang.rules import selectors as rules

from . import exporting, loaders, selectors, services
from .forms import AcceptForm, AssignForm, CompleteForm, RateForm, RejectForm, RequestForm, RerouteForm, VisitForm
from .models import Assignment, ServiceRequest, Visit

PAGE_SIZE = 50
VISIT_RULE = ("official_visits", "default")


def _require(flag: bool, message: str | None = None) -> None:
    if not flag:
        raise PermissionDenied(message or _("无权访问"))


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _own_firm(user) -> bool:
    return user.role == Role.ENTERPRISE_USER and bool(user.enterprise_id)


# ---------------------------------------------------------------- requests


@login_required
def inbox(request):
    user = request.user
    _require(access.any_allowed(user, "onestop", "onestop_firm"), _("无权查看服务单"))
    today = timezone.localdate()
    filters = exporting.inbox_filters(request.GET)
    status, category, office, q = (filters[k] for k in exporting.INBOX_FILTERS)
    if request.GET.get("format") == "xlsx" and (user.can_export or _own_firm(user)):
        return exports.respond(request, "kechuang.onestop.exporting.inbox_table", filters=filters)
    qs = exporting.requests(user, filters, today)
    _doc, params = services.routing_params(today)
    base = selectors.requests_for(user)
    summary = {
        "statuses": [
            (k, v, n)
            for (k, v), n in zip(
                ServiceRequest.Status.choices,
                [base.filter(status=k).count() for k in ServiceRequest.Status.values],
                strict=True,
            )
        ],
        "overdue": base.filter(status=ServiceRequest.Status.ACCEPTED, due_on__lt=today).count(),
        "rating": base.filter(rating__isnull=False).aggregate(avg=Avg("rating"), n=Count("pk")),
    }
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for r in page.object_list:
        r.timing = exporting.timeliness(r, today, params)
    return render(
        request,
        "onestop/inbox.html",
        {
            "page": page,
            "status": status,
            "category": category,
            "office": office,
            "q": q,
            "summary": summary,
            "categories": routing.CATEGORIES.items(),
            "offices": selectors.offices() if user.is_bureau else [],
            "own": _own_firm(user),
            "can_submit": user.is_bureau or _own_firm(user),
        },
    )


@login_required
def request_new(request):
    user = request.user
    own = _own_firm(user)
    _require(own or user.is_bureau, _("无权提交服务单"))
    initial = {"enterprise": request.GET.get("uscc", ""), "category": request.GET.get("category", "")}
    form = RequestForm(request.POST or None, own_firm=own, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            req = services.submit(
                user=user,
                enterprise=user.enterprise if own else d["enterprise"],
                category=d["category"],
                title=d["title"],
                detail=d["detail"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已提交服务单，%(r)s。") % {"r": req.route_reason})
            return redirect("onestop:request", pk=req.pk)
    return render(request, "onestop/request_form.html", {"form": form, "own": own})


@login_required
def request_detail(request, pk):
    user = request.user
    req = selectors.request_for(user, pk)
    can_handle = selectors.can_handle(user, req)
    today = timezone.localdate()
    forms = {
        "accept": AcceptForm(prefix="accept"),
        "complete": CompleteForm(prefix="complete"),
        "reject": RejectForm(prefix="reject"),
        "rate": RateForm(prefix="rate"),
        "reroute": RerouteForm(prefix="reroute", offices=_offices_for(req)),
    }
    action = request.POST.get("action") if request.method == "POST" else None
    if action:
        try:
            done = _act(request, req, action, forms)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            if done:
                messages.success(request, done)
                return redirect("onestop:request", pk=req.pk)
    _doc, params = services.routing_params(today)
    own = _own_firm(user) and req.enterprise_id == user.enterprise_id
    history = (
        AuditEvent.objects.filter(object_type="onestop.servicerequest", object_id=str(req.pk))
        .select_related("actor")
        .order_by("at")
    )
    return render(
        request,
        "onestop/request.html",
        {
            "req": req,
            "can_handle": can_handle,
            "forms": forms,
            "timing": exporting.timeliness(req, today, params),
            "can_withdraw": req.status in ServiceRequest.OPEN and services.may_submit_for(user, req.enterprise),
            "can_rate": req.status == ServiceRequest.Status.COMPLETED
            and req.rating is None
            and (own or user.is_bureau),
            "history": history,
        },
    )


def _offices_for(req: ServiceRequest):
    """The offices that handle the request's category (a JSON list: filtered here, the same on every database)."""
    ids = [o.pk for o in selectors.offices() if req.category in (o.categories or [])]
    return selectors.offices().filter(pk__in=ids)


def _act(request, req: ServiceRequest, action: str, forms: dict) -> str | None:
    user = request.user
    if action == "withdraw":
        services.withdraw(user=user, request=req)
        return _("已撤回服务单。")
    if action == "rate":
        forms["rate"] = form = RateForm(request.POST, prefix="rate")
        if form.is_valid():
            services.rate(
                user=user, request=req, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
            return _("感谢评价。")
        return None
    _require(selectors.can_handle(user, req), _("只有受理窗口（科技局或该载体运营方）可以办理该服务单"))
    if action == "accept":
        forms["accept"] = form = AcceptForm(request.POST, prefix="accept")
        if form.is_valid():
            services.accept(user=user, request=req, on=form.cleaned_data["on"])
            return _("已受理，办结时限 %(d)s。") % {"d": f"{req.due_on:%Y-%m-%d}"}
    elif action == "complete":
        forms["complete"] = form = CompleteForm(request.POST, prefix="complete")
        if form.is_valid():
            services.complete(user=user, request=req, result=form.cleaned_data["result"])
            return _("已办结。")
    elif action == "reject":
        forms["reject"] = form = RejectForm(request.POST, prefix="reject")
        if form.is_valid():
            services.reject(user=user, request=req, reason=form.cleaned_data["reason"])
            return _("已不予受理。")
    elif action == "reroute":
        forms["reroute"] = form = RerouteForm(request.POST, prefix="reroute", offices=_offices_for(req))
        if form.is_valid():
            services.reroute(user=user, request=req, office=form.cleaned_data["office"], note=form.cleaned_data["note"])
            return _("已转办至 %(o)s。") % {"o": form.cleaned_data["office"].name}
    return None


@login_required
@require_POST
def from_diagnosis(request, uscc):
    """One click on the diagnosis report's service list."""
    enterprise = enterprise_for(request.user, uscc)
    try:
        req = services.from_diagnosis(
            user=request.user, enterprise=enterprise, service_id=request.POST.get("service", "")
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(reverse("points:diagnosis", args=[enterprise.uscc]))
    messages.success(request, _("已生成服务单：%(t)s，%(r)s。") % {"t": req.title, "r": req.route_reason})
    return redirect("onestop:request", pk=req.pk)


# ---------------------------------------------------------------- 包联


def _visit_params(today):
    return rules.params(*VISIT_RULE, today)


def firms_of(official, today: dt.date) -> list[dict]:
    """The official's current firms with visit status (engine), 高企 due (engine) and open requests."""
    assignments = list(selectors.current_assignments(official))
    if not assignments:
        return []
    params = _visit_params(today)
    ids = [a.enterprise_id for a in assignments]
    status = {
        r["uscc"]: r
        for r in visits.visit_status(
            loaders.assignment_frame(assignments), loaders.visit_frame(ids), today, params
        ).iter_rows(named=True)
    }
    due = {r["uscc"]: r for r in visits.hte_due(loaders.certificate_frame(ids), today, params).iter_rows(named=True)}
    open_requests = dict(
        ServiceRequest.objects.filter(enterprise_id__in=ids, status__in=ServiceRequest.OPEN)
        .values_list("enterprise")
        .annotate(n=Count("pk"))
    )
    follow_ups = dict(
        Visit.objects.filter(enterprise_id__in=ids, follow_up_done_on__isnull=True)
        .exclude(follow_up="")
        .values_list("enterprise")
        .annotate(n=Count("pk"))
    )
    rows = []
    for a in assignments:
        uscc = a.enterprise.uscc
        rows.append(
            {
                "assignment": a,
                "enterprise": a.enterprise,
                "visit": status.get(uscc),
                "hte": due.get(uscc),
                "open_requests": open_requests.get(a.enterprise_id, 0),
                "follow_ups": follow_ups.get(a.enterprise_id, 0),
            }
        )
    rows.sort(key=lambda r: (not r["visit"]["overdue"], r["hte"] is None, r["enterprise"].name))
    return rows


@login_required
def my_firms(request):
    """我的企业: the official's assigned firms, those not visited for N months first, 高企 due, follow-ups."""
    _require(access.allowed(request.user, "onestop_mine"), _("“我的企业”只对科技局工作人员开放"))
    today = timezone.localdate()
    official = request.user
    other = request.GET.get("official")
    if other and other.isdigit() and int(other) != request.user.pk:
        official = get_object_or_404(selectors.officials(), pk=int(other))
    all_rows = firms_of(official, today)
    only = request.GET.get("only", "")
    rows = all_rows
    if only == "overdue":
        rows = [r for r in rows if r["visit"]["overdue"]]
    elif only == "hte":
        rows = [r for r in rows if r["hte"]]
    open_follow_ups = (
        Visit.objects.filter(enterprise__in=[r["enterprise"] for r in all_rows], follow_up_done_on__isnull=True)
        .exclude(follow_up="")
        .select_related("enterprise", "official")
        .order_by("follow_up_due", "visited_on")
    )
    params = _visit_params(today)
    return render(
        request,
        "onestop/mine.html",
        {
            "official": official,
            "rows": rows,
            "only": only,
            "today": today,
            "params": params,
            "counts": {
                "firms": len(all_rows),
                "overdue": sum(r["visit"]["overdue"] for r in all_rows),
                "hte": sum(r["hte"] is not None for r in all_rows),
                "follow_ups": open_follow_ups.count(),
            },
            "follow_ups": open_follow_ups[:50],
            "visit_form": VisitForm(),
            "officials": selectors.officials() if request.user.can_admin else [],
        },
    )


@login_required
def officials(request):
    """The bureau's overview: each official's firms and overdue visits; 高企 due routed to their official."""
    _require(request.user.is_bureau, _("包联总览只对科技局开放"))
    today = timezone.localdate()
    params = _visit_params(today)
    form = AssignForm(request.POST or None, officials=selectors.officials())
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.assign(user=request.user, official=d["official"], enterprise=d["enterprise"], since=d["since"])
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已安排 %(o)s 包联 %(e)s。") % {"o": d["official"], "e": d["enterprise"].name})
            return redirect("onestop:officials")
    assignments = list(loaders.current_assignments())
    status = visits.visit_status(
        loaders.assignment_frame(assignments),
        loaders.visit_frame([a.enterprise_id for a in assignments]),
        today,
        params,
    )
    overdue = {}
    for r in status.iter_rows(named=True):
        overdue[r["official_id"]] = overdue.get(r["official_id"], 0) + int(r["overdue"])
    due = visits.hte_due(loaders.certificate_frame(), today, params)
    by_uscc = {a.enterprise.uscc: a for a in assignments}
    due_firms = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=due["uscc"].to_list())}
    hte_rows = [
        {
            "enterprise": due_firms[r["uscc"]],
            "expires_on": r["expires_on"],
            "days_left": r["days_left"],
            "official": by_uscc[r["uscc"]].official if r["uscc"] in by_uscc else None,
        }
        for r in due.iter_rows(named=True)
        if r["uscc"] in due_firms
    ]
    per_official = {}
    for a in assignments:
        per_official.setdefault(a.official_id, {"official": a.official, "firms": 0, "hte": 0})
        per_official[a.official_id]["firms"] += 1
    for r in hte_rows:
        if r["official"] is not None:
            per_official[r["official"].pk]["hte"] += 1
    table = sorted(per_official.values(), key=lambda x: str(x["official"]))
    for row in table:
        row["overdue"] = int(overdue.get(row["official"].pk, 0))
    return render(
        request,
        "onestop/officials.html",
        {
            "table": table,
            "hte_rows": hte_rows,
            "form": form,
            "params": params,
            "unassigned": sum(r["official"] is None for r in hte_rows),
        },
    )


@login_required
@require_POST
def assignment_end(request, pk):
    _require(request.user.is_bureau, _("只有科技局可以调整包联"))
    assignment = get_object_or_404(Assignment, pk=pk)
    try:
        services.end_assignment(user=request.user, assignment=assignment, until=timezone.localdate())
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("已结束对 %(e)s 的包联。") % {"e": assignment.enterprise.name})
    return redirect("onestop:officials")


@login_required
def visit_new(request):
    _require(request.user.is_bureau, _("只有科技局工作人员可以登记走访"))
    form = VisitForm(request.POST or None, initial={"enterprise": request.GET.get("uscc", "")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_visit(user=request.user, **d)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("已登记对 %(e)s 的走访。") % {"e": d["enterprise"].name})
            return redirect("onestop:mine")
    history = []
    if form.is_bound is False and request.GET.get("uscc"):
        history = Visit.objects.filter(enterprise__uscc=request.GET["uscc"]).select_related("official")[:20]
    return render(request, "onestop/visit_form.html", {"form": form, "history": history})


@login_required
@require_POST
def visit_done(request, pk):
    _require(request.user.is_bureau, _("只有科技局工作人员可以办结待办"))
    visit = Visit.objects.filter(pk=pk).select_related("enterprise").first()
    if visit is None:
        raise Http404(_("走访记录不存在"))
    try:
        services.follow_up_done(user=request.user, visit=visit)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("待办已办结。"))
    return redirect(request.POST.get("next") or reverse("onestop:mine"))


@login_required
@require_POST
def hte_request(request, uscc):
    """A 高企 due to re-apply: a cultivation request for coaching, handled by the firm's official."""
    _require(request.user.is_bureau, _("只有科技局可以生成服务单"))
    enterprise = enterprise_for(request.user, uscc)
    try:
        req = services.hte_coaching(user=request.user, enterprise=enterprise)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("onestop:mine")
    messages.success(request, _("已生成服务单：%(t)s。") % {"t": req.title})
    return redirect("onestop:request", pk=req.pk)
