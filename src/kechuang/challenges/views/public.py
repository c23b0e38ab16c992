"""The public 榜单 (no account needed): published challenges, the teams announced for public notice with the
objection form, results summaries, and the capabilities institutions publish (双向发布)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..forms import ObjectionForm
from ..models import Application
from .common import PAGE_SIZE, errors, form_errors

GROUPS = {"open": _("征集中"), "underway": _("评审与攻关中"), "done": _("已结束")}


def _grouped(qs, group: str, today):
    if group == "open":
        return qs.filter(stage="published", deadline__gte=today)
    if group == "underway":
        return qs.filter(
            Q(stage__in=["assessment", "notice", "contracting", "implementing"])
            | Q(stage="published", deadline__lt=today)
        )
    if group == "done":
        return qs.filter(stage__in=["accepted", "closed"])
    return qs


def challenge_list(request):
    today = timezone.localdate()
    group, q, field = request.GET.get("group", ""), request.GET.get("q", "").strip(), request.GET.get("field", "")
    qs = _grouped(selectors.public_challenges(), group, today)
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(goals__icontains=q) | Q(issuer__name__icontains=q) | Q(code__icontains=q)
        )
    if field:
        qs = qs.filter(field=field)
    qs = qs.order_by("-published_on", "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    base = selectors.public_challenges()
    counts = {k: _grouped(base, k, today).count() for k in GROUPS}
    fields = sorted(set(base.exclude(field="").values_list("field", flat=True)))
    return render(
        request,
        "challenges/public/list.html",
        {
            "page": page,
            "group": group,
            "groups": GROUPS,
            "counts": counts,
            "q": q,
            "field": field,
            "fields": fields,
            "today": today,
            "capabilities": selectors.public_capabilities().count(),
        },
    )


def challenge_detail(request, pk):
    ch = selectors.public_challenge(pk)
    announced = (
        ch.applications.filter(status__in=[Application.Status.SELECTED, *Application.TEAM_STATUSES]).select_related(
            "lead_organisation", "lead_enterprise"
        )
        if ch.stage != "published"
        else []
    )
    form = ObjectionForm()
    form.fields["application"].choices = [("", "—")] + [
        (a.pk, a.team_name) for a in announced if a.status == Application.Status.SELECTED
    ]
    today = timezone.localdate()
    return render(
        request,
        "challenges/public/detail.html",
        {
            "ch": ch,
            "announced": announced,
            "form": form,
            "today": today,
            "notice_open": ch.stage == "notice" and ch.notice_starts and ch.notice_starts <= today <= ch.notice_ends,
            "indicators": ch.indicators.all(),
            "milestones": ch.milestones.all(),
            "objections": ch.objections.exclude(answer="").order_by("submitted_at") if ch.stage != "published" else [],
        },
    )


@require_POST
def objection(request, pk):
    ch = selectors.public_challenge(pk)
    form = ObjectionForm(request.POST)
    form.fields["application"].choices = [("", "—")] + [
        (a.pk, a.team_name) for a in ch.applications.filter(status=Application.Status.SELECTED)
    ]
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:public_detail", pk=pk)
    d = form.cleaned_data
    app = ch.applications.filter(pk=d["application"]).first() if d["application"] else None
    try:
        services.file_objection(
            challenge=ch,
            name=d["name"],
            contact=d["contact"],
            text_=d["text"],
            organisation=d["organisation"],
            application=app,
        )
    except ValidationError as exc:
        messages.error(request, errors(exc))
    else:
        messages.success(request, _("异议已提交，科技局将在公示期内答复。"))
    return redirect("challenges:public_detail", pk=pk)


def capabilities(request):
    q = request.GET.get("q", "").strip()
    qs = selectors.public_capabilities()
    if q:
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(field__icontains=q)
            | Q(description__icontains=q)
            | Q(organisation__name__icontains=q)
            | Q(enterprise__name__icontains=q)
        )
    page = Paginator(qs.order_by("-published_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "challenges/public/capabilities.html", {"page": page, "q": q})
