"""The experts' review page, opened by a login-free link (tokens.py): the panel's admitted applications,
one score sheet each (weighted criteria and a comment the team will read), and a way to declare a conflict."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services, tokens
from ..models import Score
from ..services.common import rule
from .common import errors


def _criteria(challenge):
    return (challenge.review_params or {}).get("criteria") or rule("expert_review", timezone.localdate())[1]["criteria"]


def review(request, token):
    member = tokens.member_for(token, timezone.localdate())
    ch = member.panel.challenge
    apps = list(services.scorable(ch).select_related("lead_organisation", "lead_enterprise").order_by("pk"))
    scores = {s.application_id: s for s in Score.objects.filter(member=member)}
    criteria = _criteria(ch)
    for a in apps:
        a.my_score = scores.get(a.pk)
        a.values = [(c, (a.my_score.sheet.get(c["code"]) if a.my_score else "")) for c in criteria]
    return render(
        request,
        "challenges/review.html",
        {
            "member": member,
            "ch": ch,
            "apps": apps,
            "criteria": criteria,
            "token": token,
            "indicators": ch.indicators.all(),
            "done": len(scores),
            "closed": bool(ch.review_finalised_on),
        },
    )


@require_POST
def review_score(request, token, app):
    member = tokens.member_for(token, timezone.localdate())
    application = get_object_or_404(member.panel.challenge.applications, pk=app)
    sheet = {c["code"]: request.POST.get(f"s-{c['code']}", "").strip() for c in _criteria(member.panel.challenge)}
    try:
        services.submit_score(
            member=member, application=application, sheet=sheet, comment=request.POST.get("comment", "")
        )
    except ValidationError as exc:
        messages.error(request, f"{application.team_name}：{errors(exc)}")
    else:
        messages.success(request, _("已保存对“%(t)s”的评分。") % {"t": application.team_name})
    return redirect("challenges:review", token=token)


@require_POST
def review_conflict(request, token):
    member = tokens.member_for(token, timezone.localdate())
    try:
        services.declare_conflict(
            expert=member.expert,
            member=member,
            organisation=request.POST.get("organisation", ""),
            reason=request.POST.get("reason", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, errors(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect("challenges:review", token=token)
    member.refresh_from_db()
    if not member.active:
        return render(request, "challenges/review_done.html", {"member": member})
    messages.success(request, _("已登记。"))
    return redirect("challenges:review", token=token)
