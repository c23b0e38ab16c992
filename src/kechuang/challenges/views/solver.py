"""The solver's portal: open challenges to apply to, the team's own applications with eligibility reasons,
scores and comments, milestones to report, tranches and payments; and the capabilities it publishes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts import access

from .. import selectors, services
from ..forms import ApplicationForm, CapabilityForm, ReportForm, padded, rows
from ..models import Capability, MilestoneReport, Score
from .common import attempt, deny_unless, errors, form_errors


def _solver(request) -> None:
    deny_unless(access.allowed(request.user, "challenges_portal"), _("揭榜门户供高校院所用户和企业用户使用"))


@login_required
def portal(request):
    _solver(request)
    today = timezone.localdate()
    mine = selectors.own_applications(request.user).order_by("-submitted_on", "-pk")
    applied = set(mine.values_list("challenge_id", flat=True))
    open_ = selectors.public_challenges().filter(stage="published", deadline__gte=today).order_by("deadline")
    issued = selectors.challenges_for(request.user).count() if selectors.is_issuer_user(request.user) else 0
    return render(
        request,
        "challenges/solver/portal.html",
        {
            "mine": mine,
            "open": open_,
            "applied": applied,
            "issued": issued,
            "today": today,
            "capabilities": selectors.own_capabilities(request.user).order_by("-pk"),
            "capability_form": CapabilityForm(),
        },
    )


@login_required
def apply(request, pk):
    _solver(request)
    ch = selectors.public_challenge(pk)
    form = ApplicationForm(request.POST or None)
    member_rows = (
        rows(request.POST, "members", ("name", "organisation", "title"))
        if request.method == "POST"
        else [
            {
                "name": request.user.display_name or "",
                "organisation": str(request.user.organisation or request.user.enterprise or ""),
                "title": "",
            }
        ]
    )
    plan_rows = (
        rows(request.POST, "plan", ("title", "due_on", "deliverable"))
        if request.method == "POST"
        else [
            {"title": m.title, "due_on": m.due_on.isoformat(), "deliverable": m.deliverable}
            for m in ch.milestones.all()
        ]
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            app = services.apply(user=request.user, challenge=ch, members=member_rows, milestones=plan_rows, **d)
        except ValidationError as exc:
            form.add_error(None, errors(exc))
        else:
            messages.success(request, _("申报已提交：%(r)s") % {"r": app.get_eligibility_display()})
            return redirect("challenges:application", pk=app.pk)
    return render(
        request,
        "challenges/solver/apply.html",
        {
            "ch": ch,
            "form": form,
            "member_rows": padded(member_rows, "members"),
            "plan_rows": padded(plan_rows, "plan"),
            "indicators": ch.indicators.all(),
            "late": ch.deadline and ch.deadline < timezone.localdate(),
        },
    )


@login_required
def application(request, pk):
    app = selectors.application_for(request.user, pk)
    own = selectors.own_applications(request.user).filter(pk=app.pk).exists()
    bureau = selectors.is_bureau(request.user)
    deny_unless(own or bureau or services.is_issuer(request.user, app.challenge))
    ch = app.challenge
    sheets = []
    if ch.review_finalised_on:
        reviewers = {r["reviewer_id"]: r for r in (app.score_detail or {}).get("reviewers", [])}
        for i, s in enumerate(
            Score.objects.filter(application=app, member__active=True).order_by("member_id"), start=1
        ):
            r = reviewers.get(s.member_id, {})
            sheets.append(
                {
                    "alias": _("专家 %(n)d") % {"n": i},
                    "sheet": s.sheet,
                    "total": s.total,
                    "comment": s.comment,
                    "dropped": r.get("dropped"),
                }
            )
    criteria = (ch.review_params or {}).get("criteria", [])
    reports = {r.milestone_id: r for r in app.reports.all()}
    milestones = [(m, reports.get(m.pk)) for m in ch.milestones.all()]
    report_form = ReportForm()
    report_form.fields["milestone"].choices = [
        (m.pk, str(m)) for m, r in milestones if r is None or r.status == MilestoneReport.Status.REJECTED
    ]
    tranches = list(app.tranches.select_related("milestone").order_by("seq"))
    for t in tranches:
        t.payable = t.left > 0 and services.milestone_accepted(app, t.milestone)
    return render(
        request,
        "challenges/solver/application.html",
        {
            "app": app,
            "ch": ch,
            "own": own,
            "sheets": sheets,
            "criteria": criteria,
            "milestones": milestones,
            "report_form": report_form,
            "tranches": tranches,
            "paid": app.tranches.aggregate(s=Sum("paid"))["s"] or 0,
            "decisions": app.race_decisions.select_related("review__milestone", "merged_into").order_by(
                "review__held_on"
            ),
            "acceptances": app.acceptances.all(),
        },
    )


@login_required
@require_POST
def report(request, pk):
    app = selectors.own_application(request.user, pk)
    form = ReportForm(request.POST, request.FILES)
    form.fields["milestone"].choices = [(m.pk, m.title) for m in app.challenge.milestones.all()]
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:application", pk=pk)
    d = form.cleaned_data
    milestone = app.challenge.milestones.get(pk=d["milestone"])
    return attempt(
        request,
        lambda: services.report_milestone(
            user=request.user, team=app, milestone=milestone, summary=d["summary"], evidence=d["evidence"]
        ),
        _("里程碑报告已提交，待科技局审核。"),
        "challenges:application",
        pk=pk,
    )


@login_required
@require_POST
def capability(request):
    _solver(request)
    form = CapabilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:portal")
    return attempt(
        request,
        lambda: services.publish_capability(user=request.user, **form.cleaned_data),
        _("技术能力已发布到公开榜单。"),
        "challenges:portal",
    )


@login_required
@require_POST
def capability_withdraw(request, pk):
    cap = Capability.objects.filter(pk=pk).first()
    deny_unless(
        cap is not None
        and (selectors.is_bureau(request.user) or selectors.own_capabilities(request.user).filter(pk=cap.pk).exists())
    )
    return attempt(
        request,
        lambda: services.withdraw_capability(user=request.user, capability=cap),
        _("已撤回。"),
        "challenges:portal" if not selectors.is_bureau(request.user) else "challenges:public_capabilities",
    )
