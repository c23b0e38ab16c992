"""A challenge's own page (bureau staff and the issuer) and the actions taken from it.

The page shows the stage with what blocks each next move (the engine's reasons), the intake and site visits,
the draft, applications with their eligibility, the panel and its scores, the public notice and objections,
teams with their tranches and milestone reports, 赛马 reviews, acceptance, the issuer's spending and subsidy,
and (bureau) the ledger and audit trail. The issuer sees its own challenge without the experts' names, links,
bank accounts or the ledger.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.core.models import AuditEvent
from kechuang.engine.challenges import lifecycle
from kechuang.techtransfer.supplyselectors import needs_for

from .. import reports, selectors, services, tokens
from ..forms import (
    COMPARISONS,
    BureauDraftForm,
    ClawbackForm,
    ContractForm,
    DecideReportForm,
    DraftForm,
    MoveForm,
    PanelForm,
    SpendingForm,
    TextForm,
    TrancheForm,
    VisitForm,
    padded,
    rows,
)
from ..models import Application, Expert, LedgerEntry, MilestoneReport, Objection, PanelMember, RaceReview, Score
from .common import attempt, deny_unless, enterprise_by_uscc, errors, form_errors


def _challenge(request, pk):
    return selectors.challenge_for(request.user, pk)


def _bureau_only(request) -> None:
    deny_unless(selectors.is_bureau(request.user), _("只有科技局工作人员可以进行此操作"))


def _moves(ch, user) -> list[dict]:
    today = timezone.localdate()
    facts = services.facts(ch, user=user, on=today)
    out = []
    for target in lifecycle.MOVES.get(ch.stage, ()):
        needs_reason = target in ("rejected", "closed") or (ch.stage == "approval" and target == "drafting")
        blockers = [] if needs_reason else lifecycle.blockers(ch.stage, target, facts)
        if target == "published" and not user.can_admin:
            blockers = [*blockers, _("只有科技局管理员可以审定发榜")]
        out.append(
            {
                "target": target,
                "label": lifecycle.action(ch.stage, target),
                "blockers": blockers,
                "needs_reason": needs_reason,
            }
        )
    return out


@login_required
def detail(request, pk):
    ch = _challenge(request, pk)
    bureau = selectors.is_bureau(request.user)
    apps = list(ch.applications.select_related("lead_organisation", "lead_enterprise").order_by("rank", "pk"))
    teams = [a for a in apps if a.is_team]
    milestones = list(ch.milestones.all())
    reports_by = {(r.application_id, r.milestone_id): r for r in MilestoneReport.objects.filter(application__in=teams)}
    for t in teams:
        t.tranche_list = list(t.tranches.select_related("milestone").order_by("seq"))
        for tr in t.tranche_list:
            tr.payable = tr.left > 0 and services.milestone_accepted(t, tr.milestone)
        t.report_list = [(m, reports_by.get((t.pk, m.pk))) for m in milestones]
    panel = ch.panels.first()
    members = []
    if panel is not None:
        counts = {}
        for mid in Score.objects.filter(member__panel=panel).values_list("member_id", flat=True):
            counts[mid] = counts.get(mid, 0) + 1
        for i, m in enumerate(panel.members.select_related("expert").order_by("pk"), start=1):
            m.scored = counts.get(m.pk, 0)
            m.alias = _("专家 %(n)d") % {"n": i}
            m.link = (
                request.build_absolute_uri(tokens.link_for(m))
                if bureau and m.active and not ch.review_finalised_on
                else ""
            )
            members.append(m)
    money = reports.money_by_challenge([ch])[ch.pk]
    sources = [n for n, _s in ch.pool.shares()] if ch.pool_id else []
    context = {
        "ch": ch,
        "bureau": bureau,
        "issuer": services.is_issuer(request.user, ch),
        "moves": _moves(ch, request.user),
        "visits": ch.visits.all(),
        "indicators": ch.indicators.all(),
        "milestones": milestones,
        "apps": apps,
        "teams": teams,
        "panel": panel,
        "members": members,
        "objections": ch.objections.select_related("application"),
        "race_reviews": RaceReview.objects.filter(challenge=ch)
        .prefetch_related("experts", "decisions__application", "decisions__merged_into")
        .select_related("milestone"),
        "acceptances": [a for t in teams for a in t.acceptances.prefetch_related("experts").all()],
        "spending": ch.spending.all(),
        "subsidies": ch.subsidies.all(),
        "sources": sources,
        "money": [(s, money["committed"].get(s), money["paid"].get(s)) for s in sources],
        "move_form": MoveForm(),
        "visit_form": VisitForm(initial={"visited_on": timezone.localdate()}),
        "panel_form": PanelForm(initial={"deadline": timezone.localdate() + dt.timedelta(days=14)}),
        "contract_form": ContractForm(initial={"signed_on": timezone.localdate()}),
        "decide_form": DecideReportForm(initial={"on": timezone.localdate()}),
        "spending_form": SpendingForm(initial={"spent_on": timezone.localdate()}),
        "text_form": TextForm(),
        "experts": Expert.objects.filter(active=True).order_by("name") if bureau else [],
        "need": ch.techtransfer_need,
        # The need page is linked where the viewer may open it (the bureau; the issuing firm, whose need it is).
        "need_url": reverse("techtransfer:need", args=[ch.techtransfer_need_id])
        if ch.techtransfer_need_id and needs_for(request.user).filter(pk=ch.techtransfer_need_id).exists()
        else "",
    }
    if bureau:
        tranche_form = TrancheForm(initial={"on": timezone.localdate()})
        tranche_form.fields["team"].choices = [(t.pk, t.team_name) for t in teams if t.status == "racing"]
        tranche_form.fields["milestone"].choices = [("", _("签约后即可拨付"))] + [(m.pk, str(m)) for m in milestones]
        claw = ClawbackForm()
        claw.fields["team"].choices = [(t.pk, t.team_name) for t in teams]
        context.update(
            {
                "tranche_form": tranche_form,
                "clawback_form": claw,
                "ledger": LedgerEntry.objects.filter(challenge=ch)
                .select_related("source", "application", "tranche")
                .order_by("-on", "-pk")[:200],
                "events": AuditEvent.objects.filter(object_type="challenges.challenge", object_id=str(ch.pk))
                .select_related("actor")
                .order_by("-at")[:100],
            }
        )
    return render(request, "challenges/detail.html", context)


@login_required
def draft(request, pk):
    ch = _challenge(request, pk)
    bureau = selectors.is_bureau(request.user)
    deny_unless(bureau or services.is_issuer(request.user, ch), _("无权编制该榜单"))
    form_class = BureauDraftForm if bureau else DraftForm
    initial = {k: getattr(ch, k) for k in DraftForm.base_fields}
    for key in ("budget", "issuer_funding"):  # 260, not 260.0000
        initial[key] = f"{initial[key].normalize():f}" if initial[key] is not None else ""
    if bureau:
        initial.update(
            {
                "issuer_uscc": ch.issuer.uscc if ch.issuer_id else "",
                "issuer_contact": ch.issuer_contact,
                "pool": ch.pool_id,
            }
        )
    form = form_class(request.POST or None, initial=initial)
    if bureau:
        form.fields["pool"].choices = [("", "—")] + [(p.pk, p.name) for p in selectors.pools_for(request.user)]
    indicator_rows = (
        rows(request.POST, "indicators", ("name", "unit", "comparison", "target", "required"))
        if request.method == "POST"
        else [
            {
                "name": i.name,
                "unit": i.unit,
                "comparison": i.comparison,
                "target": f"{i.target.normalize():f}",
                "required": "1" if i.required else "",
            }
            for i in ch.indicators.all()
        ]
    )
    milestone_rows = (
        rows(request.POST, "milestones", ("title", "due_on", "deliverable"))
        if request.method == "POST"
        else [
            {"title": m.title, "due_on": m.due_on.isoformat(), "deliverable": m.deliverable}
            for m in ch.milestones.all()
        ]
    )
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        try:
            if bureau:
                d["issuer"] = enterprise_by_uscc(d.pop("issuer_uscc"))
            services.save_draft(
                user=request.user,
                challenge=ch,
                fields=d,
                indicators=[{**r, "required": bool(r.get("required"))} for r in indicator_rows],
                milestones=milestone_rows,
            )
        except ValidationError as exc:
            form.add_error(None, errors(exc))
        else:
            messages.success(request, _("榜单草稿已保存。"))
            return redirect("challenges:detail", pk=pk)
    return render(
        request,
        "challenges/draft.html",
        {
            "ch": ch,
            "form": form,
            "indicator_rows": padded(indicator_rows, "indicators"),
            "milestone_rows": padded(milestone_rows, "milestones"),
            "comparisons": COMPARISONS,
        },
    )


@login_required
@require_POST
def move(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:detail", pk=pk)
    d = form.cleaned_data
    return attempt(
        request,
        lambda: services.move(user=request.user, challenge=ch, target=d["target"], reason=d["reason"], on=d["on"]),
        _("已转入“%(s)s”。") % {"s": lifecycle.label(d["target"])},
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def visit(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    form = VisitForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:detail", pk=pk)
    return attempt(
        request,
        lambda: services.add_visit(user=request.user, challenge=ch, **form.cleaned_data),
        _("走访记录已保存。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def panel_draw(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    form = PanelForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:detail", pk=pk)
    d = form.cleaned_data
    return attempt(
        request,
        lambda: services.draw_panel(
            user=request.user, challenge=ch, deadline=d["deadline"], size=d["size"], seed=d["seed"]
        ),
        _("已抽取评审专家（有利益冲突的已回避）。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def panel_add(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    panel = get_object_or_404(ch.panels, pk=request.POST.get("panel"))
    expert = get_object_or_404(Expert, pk=request.POST.get("expert"))
    return attempt(
        request,
        lambda: services.add_member(user=request.user, panel=panel, expert=expert),
        _("专家已加入评审组。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def panel_member(request, pk, member):
    _bureau_only(request)
    ch = _challenge(request, pk)
    m = get_object_or_404(PanelMember.objects.select_related("expert", "panel"), pk=member, panel__challenge=ch)
    if request.POST.get("action") == "reissue":
        return attempt(
            request,
            lambda: services.reissue_link(user=request.user, member=m),
            _("已重新生成评审链接，旧链接作废。"),
            "challenges:detail",
            pk=pk,
        )
    return attempt(
        request,
        lambda: services.remove_member(user=request.user, member=m, reason=request.POST.get("reason", "")),
        _("专家已退出评审组。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def finalise(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    return attempt(
        request,
        lambda: services.finalise_review(user=request.user, challenge=ch),
        _("已汇总定分：每支团队可在揭榜门户看到得分和评审意见。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def select(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    ids = [int(v) for v in request.POST.getlist("application") if v.isdigit()]
    return attempt(
        request,
        lambda: services.select_teams(user=request.user, challenge=ch, application_ids=ids),
        _("已确定拟立项团队。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def eligibility(request, pk, app):
    _bureau_only(request)
    ch = _challenge(request, pk)
    a = get_object_or_404(ch.applications, pk=app)
    return attempt(
        request,
        lambda: services.confirm_eligibility(
            user=request.user, application=a, outcome=request.POST.get("outcome", ""), note=request.POST.get("note", "")
        ),
        _("已核实申报资格。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def answer(request, pk, objection):
    _bureau_only(request)
    ch = _challenge(request, pk)
    o = get_object_or_404(Objection, pk=objection, challenge=ch)
    return attempt(
        request,
        lambda: services.answer_objection(user=request.user, objection=o, answer=request.POST.get("text", "")),
        _("已答复异议。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def contract(request, pk, app):
    _bureau_only(request)
    ch = _challenge(request, pk)
    a = get_object_or_404(ch.applications, pk=app)
    form = ContractForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:detail", pk=pk)
    return attempt(
        request,
        lambda: services.sign_contract(user=request.user, team=a, **form.cleaned_data),
        _("合同已登记，首期资金已承诺。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def tranche(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    form = TrancheForm(request.POST)
    form.fields["team"].choices = [(a.pk, a.team_name) for a in ch.applications.all()]
    form.fields["milestone"].choices = [("", "—")] + [(m.pk, m.title) for m in ch.milestones.all()]
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:detail", pk=pk)
    d = form.cleaned_data
    team = ch.applications.get(pk=d["team"])
    milestone = ch.milestones.get(pk=d["milestone"]) if d["milestone"] else None
    return attempt(
        request,
        lambda: services.commit(user=request.user, team=team, amount=d["amount"], milestone=milestone, on=d["on"]),
        _("已承诺新一期资金。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def concentrate(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    milestone = ch.milestones.filter(pk=request.POST.get("milestone") or 0).first()
    return attempt(
        request,
        lambda: services.concentrate(
            user=request.user, challenge=ch, milestone=milestone, amount=request.POST.get("amount", "")
        ),
        _("后续资金已向在赛团队集中。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def decide_report(request, pk, report):
    _bureau_only(request)
    ch = _challenge(request, pk)
    r = get_object_or_404(MilestoneReport, pk=report, application__challenge=ch)
    form = DecideReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:detail", pk=pk)
    return attempt(
        request,
        lambda: services.decide_report(user=request.user, report=r, **form.cleaned_data),
        _("里程碑审核已记录。"),
        "challenges:detail",
        pk=pk,
    )


def _experts_with_conflicts(ch, teams) -> list[Expert]:
    """Active experts, each with `conflict` (the reasons it must stay out of this review, or empty)."""
    names = [str(ch.issuer)] if ch.issuer_id else []
    for t in teams:
        names += t.organisations()
    found = services.review.conflict_frame(ch, party_names=list(dict.fromkeys(names)))
    reasons: dict[int, list[str]] = {}
    for eid, reason in found.select("expert_id", "reason").iter_rows():
        reasons.setdefault(eid, []).append(reason)
    experts = list(Expert.objects.filter(active=True).order_by("name"))
    for e in experts:
        e.conflict = "；".join(reasons.get(e.pk, []))
    return experts


def _expert_choices(request) -> list[Expert]:
    ids = [int(v) for v in request.POST.getlist("experts") if v.isdigit()]
    return list(Expert.objects.filter(pk__in=ids).order_by("pk"))


@login_required
def race_review(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    teams = list(ch.applications.filter(status=Application.Status.RACING).order_by("pk"))
    reviewed = set(ch.race_reviews.values_list("milestone_id", flat=True))
    milestones = [m for m in ch.milestones.all() if m.pk not in reviewed]
    chosen = ch.milestones.filter(pk=request.GET.get("milestone") or request.POST.get("milestone") or 0).first() or (
        milestones[0] if milestones else None
    )
    reports_by = {r.application_id: r for r in MilestoneReport.objects.filter(milestone=chosen, application__in=teams)}
    if request.method == "POST" and chosen is not None:
        decisions = {
            t.pk: {
                "decision": request.POST.get(f"d-{t.pk}-decision", ""),
                "score": request.POST.get(f"d-{t.pk}-score", ""),
                "reason": request.POST.get(f"d-{t.pk}-reason", ""),
                "merged_into": request.POST.get(f"d-{t.pk}-merged_into", ""),
            }
            for t in teams
        }
        try:
            held_on = dt.date.fromisoformat(request.POST.get("held_on", ""))
        except ValueError:
            messages.error(request, _("请填写评审日期"))
        else:
            try:
                services.race_review(
                    user=request.user,
                    challenge=ch,
                    milestone=chosen,
                    held_on=held_on,
                    experts=_expert_choices(request),
                    staff=request.POST.get("staff", ""),
                    note=request.POST.get("note", ""),
                    decisions=decisions,
                )
            except ValidationError as exc:
                messages.error(request, errors(exc))
            else:
                messages.success(request, _("赛马评审已记录：每个决定的理由和评审人员已存档。"))
                return redirect("challenges:detail", pk=pk)
    for t in teams:
        t.report = reports_by.get(t.pk)
        t.posted = {k: request.POST.get(f"d-{t.pk}-{k}", "") for k in ("decision", "score", "reason", "merged_into")}
    return render(
        request,
        "challenges/race_review.html",
        {
            "ch": ch,
            "teams": teams,
            "milestones": milestones,
            "chosen": chosen,
            "experts": _experts_with_conflicts(ch, teams),
            "picked": {int(v) for v in request.POST.getlist("experts") if v.isdigit()},
            "held_on": request.POST.get("held_on") or timezone.localdate().isoformat(),
        },
    )


@login_required
def acceptance(request, pk, app):
    _bureau_only(request)
    ch = _challenge(request, pk)
    team = get_object_or_404(ch.applications, pk=app)
    indicators = list(ch.indicators.all())
    if request.method == "POST":
        measured = {i.code: request.POST.get(f"m-{i.code}", "") for i in indicators}
        try:
            held_on = dt.date.fromisoformat(request.POST.get("held_on", ""))
            result = services.record_acceptance(
                user=request.user,
                team=team,
                held_on=held_on,
                measured=measured,
                experts=_expert_choices(request),
                note=request.POST.get("note", ""),
            )
        except ValueError:
            messages.error(request, _("请填写验收日期"))
        except ValidationError as exc:
            messages.error(request, errors(exc))
        else:
            messages.success(request, _("验收已记录：%(r)s") % {"r": result.get_outcome_display()})
            return redirect("challenges:detail", pk=pk)
    for i in indicators:
        i.posted = request.POST.get(f"m-{i.code}", "")
    return render(
        request,
        "challenges/acceptance.html",
        {
            "ch": ch,
            "team": team,
            "indicators": indicators,
            "experts": _experts_with_conflicts(ch, [team]),
            "picked": {int(v) for v in request.POST.getlist("experts") if v.isdigit()},
            "held_on": request.POST.get("held_on") or timezone.localdate().isoformat(),
        },
    )


@login_required
@require_POST
def spending(request, pk):
    ch = _challenge(request, pk)
    deny_unless(
        selectors.is_bureau(request.user) or services.is_issuer(request.user, ch), _("只有发榜企业可以登记实际支出")
    )
    form = SpendingForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("challenges:detail", pk=pk)
    return attempt(
        request,
        lambda: services.record_spending(user=request.user, challenge=ch, **form.cleaned_data),
        _("实际支出已登记，待科技局核验。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def verify(request, pk, item):
    _bureau_only(request)
    ch = _challenge(request, pk)
    s = get_object_or_404(ch.spending, pk=item)
    return attempt(
        request,
        lambda: services.verify_spending(
            user=request.user, spending=s, ok=request.POST.get("ok") == "1", note=request.POST.get("note", "")
        ),
        _("核验结果已记录。"),
        "challenges:detail",
        pk=pk,
    )


def _file(field, name: str):
    if not field:
        raise Http404(_("没有上传文件"))
    return FileResponse(field.open("rb"), as_attachment=True, filename=f"{name}{Path(field.name).suffix}")


@login_required
def spending_file(request, pk, item):
    """A voucher scan: the bureau and the issuer only (never public, never served from a public folder)."""
    ch = _challenge(request, pk)
    s = get_object_or_404(ch.spending, pk=item)
    return _file(s.evidence, f"支出凭证_{ch.code}_{s.evidence_ref}")


@login_required
def report_file(request, report):
    """A milestone report's evidence: the bureau, the issuer, and the team itself."""
    r = get_object_or_404(MilestoneReport.objects.select_related("application__challenge"), pk=report)
    selectors.application_for(request.user, r.application_id)  # a 404 for anyone else
    return _file(r.evidence, f"里程碑材料_{r.application.team_name}_{r.milestone.seq}")


@login_required
@require_POST
def subsidy(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    return attempt(
        request,
        lambda: services.compute_subsidy(user=request.user, challenge=ch),
        _("积分补助已核定，可纳入拨付批次。"),
        "challenges:detail",
        pk=pk,
    )


@login_required
@require_POST
def results(request, pk):
    _bureau_only(request)
    ch = _challenge(request, pk)
    return attempt(
        request,
        lambda: services.publish_results(user=request.user, challenge=ch, summary=request.POST.get("text", "")),
        _("成果摘要已公开。"),
        "challenges:detail",
        pk=pk,
    )
