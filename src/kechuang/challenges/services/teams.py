"""Teams at work: contracts (with the first tranche), milestone reports, 赛马 reviews (continue, eliminate,
merge — each with its reason and reviewers on record), and final acceptance against the published indicators.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.engine.challenges import acceptance as engine_acceptance
from kechuang.engine.challenges import race as engine_race

from ..models import Acceptance, Application, Challenge, Expert, Milestone, MilestoneReport, RaceDecision, RaceReview
from . import money
from .common import actor, refuse, require, rule, text, today
from .lifecycle import _decimal
from .review import _reasons


def _experts_free(challenge: Challenge, experts: list[Expert], parties: list[str], on: dt.date) -> None:
    """Refuse (nothing written) when no expert is named or any of them has a conflict with the parties."""
    if not experts:
        refuse(_("请选择评审专家"))
    problems = []
    for e in experts:
        reasons = _reasons(challenge, e.pk, parties, on)
        if reasons:
            problems.append(_("专家%(e)s存在利益冲突，须回避：%(r)s") % {"e": e.name, "r": "；".join(reasons)})
    refuse(problems)


def _parties(challenge: Challenge, teams) -> list[str]:
    names = [str(challenge.issuer)] if challenge.issuer_id else []
    for t in teams:
        names += t.organisations()
    return list(dict.fromkeys(names))


def sign_contract(
    *,
    user,
    team: Application,
    contract_no: str,
    contract_sum,
    signed_on: dt.date,
    account_name: str,
    bank_name: str,
    account_number: str,
    first_tranche,
) -> Application:
    """A selected team signs: its contract sum, its bank account, and the first tranche (payable on signing)
    within the race rule (per team 50–200万 in a race; at least 60% of the contract for a single team)."""
    require(user.is_bureau, _("只有科技局工作人员可以登记合同"))
    ch = team.challenge
    if ch.stage != "contracting":
        refuse(_("公示期满后（“待签约”阶段）才能签约（当前：%(s)s）") % {"s": ch.get_stage_display()})
    if team.status != Application.Status.SELECTED:
        refuse(_("只有拟立项团队可以签约（当前：%(s)s）") % {"s": team.get_status_display()})
    problems: list[str] = []
    total = _decimal(contract_sum, _("合同经费"), problems)
    first = _decimal(first_tranche, _("首期资金"), problems)
    number = "".join(str(account_number or "").split())
    if not text(contract_no):
        problems.append(_("请填写合同编号"))
    if total is None and not problems:
        problems.append(_("请填写合同经费"))
    elif total is not None and (total <= 0 or total > ch.public_funding):
        problems.append(_("合同经费应大于 0，且不超过榜单财政资金 %(p)s 万元") % {"p": ch.public_funding})
    if first is None and not problems:
        problems.append(_("请填写首期资金"))
    if not text(account_name) or not text(bank_name):
        problems.append(_("请填写收款户名和开户行"))
    if not number.isdigit() or not 8 <= len(number) <= 30:
        problems.append(_("银行账号应为 8–30 位数字"))
    if ch.notice_ends and signed_on <= ch.notice_ends:
        problems.append(_("签约日期应在公示期（至 %(d)s）之后") % {"d": ch.notice_ends})
    refuse(problems)
    _key, params = rule("race", signed_on)
    refuse(engine_race.first_tranche_problems([first], [total], params, ch.race))
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=team.pk)
        app.contract_no, app.contract_sum, app.contract_signed_on = text(contract_no), total, signed_on
        app.account_name, app.bank_name, app.account_number = text(account_name), text(bank_name), number
        app.status = Application.Status.RACING
        app.save()
        if ch.contracted_on is None or signed_on < ch.contracted_on:
            Challenge.objects.filter(pk=ch.pk).update(contracted_on=signed_on)
        audit.record(
            actor=user,
            action="challenge.contract",
            obj=app,
            enterprise=app.lead_enterprise,
            changes={"status": ["selected", "racing"], "contract_sum": [None, audit.jsonable(total)]},
            note=f"{ch.code} {app.team_name} 签约 {app.contract_no}（{signed_on:%Y-%m-%d}）",
        )
        money.commit(user=user, team=app, amount=first, milestone=None, on=signed_on, note=_("首期资金，签约后拨付"))
    return app


def owns(user, team: Application) -> bool:
    """The solver side of a team: who submitted it, or a user of its lead organisation or firm."""
    if team.submitted_by_id == user.pk:
        return True
    if user.role == "institution_user" and team.lead_organisation_id:
        return team.lead_organisation_id == user.organisation_id
    if user.role == "enterprise_user" and team.lead_enterprise_id:
        return team.lead_enterprise_id == user.enterprise_id
    return False


def report_milestone(
    *, user, team: Application, milestone: Milestone, summary: str, evidence=None, on: dt.date | None = None
) -> MilestoneReport:
    """The team reports a milestone (a rejected report may be submitted again)."""
    require(owns(user, team), _("只有揭榜团队可以提交里程碑报告"))
    if team.status != Application.Status.RACING:
        refuse(_("团队“%(t)s”当前不在攻关中（%(s)s）") % {"t": team.team_name, "s": team.get_status_display()})
    if milestone.challenge_id != team.challenge_id:
        refuse(_("里程碑不属于该榜单"))
    if not text(summary):
        refuse(_("请填写完成情况"))
    if evidence is not None and getattr(evidence, "size", 0) > 10 * 1024 * 1024:
        refuse(_("佐证材料不能超过 10 MB"))
    on = on or today()
    with transaction.atomic():
        report = MilestoneReport.objects.select_for_update().filter(application=team, milestone=milestone).first()
        if report is not None and report.status != MilestoneReport.Status.REJECTED:
            refuse(_("该里程碑已提交报告（%(s)s）") % {"s": report.get_status_display()})
        report = report or MilestoneReport(application=team, milestone=milestone)
        report.summary, report.submitted_by, report.submitted_on = text(summary), actor(user), on
        report.status, report.decided_by, report.decided_on, report.decision_note = "submitted", None, None, ""
        if evidence is not None:
            report.evidence = evidence
        report.save()
        audit.record(
            actor=user,
            action="challenge.report",
            obj=report,
            enterprise=team.lead_enterprise,
            note=f"{team.team_name} 提交里程碑“{milestone.title}”报告",
        )
    return report


def decide_report(
    *, user, report: MilestoneReport, accepted: bool, reviewers: str, note: str, score=None, on: dt.date | None = None
) -> MilestoneReport:
    """Milestone review of a single team (a race reviews its teams together: `race_review`)."""
    require(user.is_bureau, _("只有科技局工作人员可以审核里程碑"))
    if (
        report.application.challenge.race
        and report.application.challenge.applications.filter(status=Application.Status.RACING).count() > 1
    ):
        refuse(_("赛马榜单的里程碑在赛马评审中统一审核"))
    if report.status != MilestoneReport.Status.SUBMITTED:
        refuse(_("该报告已审核（%(s)s）") % {"s": report.get_status_display()})
    problems: list[str] = []
    value = _decimal(score, _("考核得分"), problems)
    if not text(reviewers):
        problems.append(_("请填写审核人员"))
    if not accepted and not text(note):
        problems.append(_("请填写未通过的原因"))
    refuse(problems)
    with transaction.atomic():
        status = MilestoneReport.Status.ACCEPTED if accepted else MilestoneReport.Status.REJECTED
        report.status, report.score, report.reviewers = status, value, text(reviewers)
        report.decided_by, report.decided_on, report.decision_note = user, on or today(), text(note)
        report.save()
        audit.record(
            actor=user,
            action="challenge.report_decide",
            obj=report,
            changes={"status": ["submitted", status]},
            note=f"{report.application.team_name} 里程碑“{report.milestone.title}”："
            f"{report.get_status_display()}"
            f"（审核：{report.reviewers}）",
        )
    return report


def race_review(
    *,
    user,
    challenge: Challenge,
    milestone: Milestone,
    held_on: dt.date,
    experts: list[Expert],
    staff: str,
    note: str,
    decisions: dict[int, dict],
) -> RaceReview:
    """Review every racing team at a milestone: the engine recommends, the reviewers decide; each elimination or
    merge needs its reason; dropped and merged teams' unpaid commitments are released."""
    require(user.is_bureau, _("只有科技局工作人员可以组织赛马评审"))
    if not challenge.race or challenge.stage != "implementing":
        refuse(_("只有实施中的赛马榜单可以组织赛马评审"))
    if milestone.challenge_id != challenge.pk:
        refuse(_("里程碑不属于该榜单"))
    if RaceReview.objects.filter(challenge=challenge, milestone=milestone).exists():
        refuse(_("里程碑“%(m)s”已组织过赛马评审") % {"m": milestone.title})
    teams = list(challenge.applications.filter(status=Application.Status.RACING).order_by("pk"))
    if not teams:
        refuse(_("没有仍在攻关的团队"))
    _experts_free(challenge, experts, _parties(challenge, teams), held_on)
    reports = {r.application_id: r for r in MilestoneReport.objects.filter(milestone=milestone, application__in=teams)}
    problems: list[str] = []
    clean: dict[int, dict] = {}
    by_id = {t.pk: t for t in teams}
    for t in teams:
        d = decisions.get(t.pk) or {}
        decision = d.get("decision")
        score = _decimal(d.get("score"), _("“%(t)s”的考核得分") % {"t": t.team_name}, problems)
        reason = text(d.get("reason"))
        target = d.get("merged_into")
        if decision not in RaceDecision.Decision.values:
            problems.append(_("请为“%(t)s”作出评审决定") % {"t": t.team_name})
            continue
        if decision in ("eliminate", "merge") and not reason:
            problems.append(
                _("“%(t)s”的%(d)s决定须写明理由") % {"t": t.team_name, "d": RaceDecision.Decision(decision).label}
            )
        if decision == "continue" and t.pk not in reports:
            problems.append(_("“%(t)s”未提交本里程碑报告，不能继续攻关") % {"t": t.team_name})
        if decision == "merge":
            target = int(target) if str(target or "").isdigit() else None
            if target not in by_id or target == t.pk or (decisions.get(target) or {}).get("decision") != "continue":
                problems.append(_("“%(t)s”须并入一支继续攻关的其他团队") % {"t": t.team_name})
        clean[t.pk] = {
            "decision": decision,
            "score": score,
            "reason": reason,
            "merged_into": target if decision == "merge" else None,
        }
    refuse(problems)
    key, params = rule("race", held_on)
    advice = {
        r["application_id"]: r
        for r in engine_race.review(
            [
                {
                    "application_id": t.pk,
                    "name": t.team_name,
                    "reported": t.pk in reports,
                    "score": clean[t.pk]["score"],
                }
                for t in teams
            ],
            params,
        )
    }
    refuse(
        [
            _("“%(t)s”的决定（%(d)s）与规则建议（%(a)s：%(r)s）不同，须写明理由")
            % {
                "t": t.team_name,
                "d": RaceDecision.Decision(clean[t.pk]["decision"]).label,
                "a": engine_race.DECISIONS[advice[t.pk]["recommendation"]],
                "r": advice[t.pk]["reason"],
            }
            for t in teams
            if advice[t.pk]["recommendation"]
            and not clean[t.pk]["reason"]
            and advice[t.pk]["recommendation"] != clean[t.pk]["decision"]
        ]
    )
    with transaction.atomic():
        Challenge.objects.select_for_update().filter(pk=challenge.pk).first()
        review = RaceReview.objects.create(
            challenge=challenge,
            milestone=milestone,
            held_on=held_on,
            staff=text(staff),
            note=text(note),
            rule=key,
            params=params,
            recorded_by=user,
        )
        review.experts.set(experts)
        names = "、".join(e.name for e in experts) + (f"；{text(staff)}" if text(staff) else "")
        for t in teams:
            d, a = clean[t.pk], advice[t.pk]
            reason = d["reason"] or a["reason"]
            RaceDecision.objects.create(
                review=review,
                application=t,
                score=d["score"],
                recommendation=a["recommendation"] or "",
                recommendation_reason=a["reason"][:300],
                decision=d["decision"],
                merged_into_id=d["merged_into"],
                reason=reason,
            )
            report = reports.get(t.pk)
            if report is not None:
                report.status = "accepted" if d["decision"] == "continue" else "rejected"
                report.score, report.reviewers, report.decided_by, report.decided_on = (
                    d["score"],
                    names[:300],
                    user,
                    held_on,
                )
                report.decision_note = reason
                report.save()
            if d["decision"] == "eliminate":
                t.status, t.out_on, t.out_reason = Application.Status.ELIMINATED, held_on, reason
                t.save(update_fields=["status", "out_on", "out_reason"])
                money.release_team(user=user, team=t, on=held_on, why=_("赛马评审淘汰"))
            elif d["decision"] == "merge":
                into = by_id[d["merged_into"]]
                into.members = [*into.members, *({**m, "from": t.team_name} for m in t.members)]
                into.save(update_fields=["members"])
                t.status, t.merged_into, t.out_on, t.out_reason = (Application.Status.MERGED, into, held_on, reason)
                t.save(update_fields=["status", "merged_into", "out_on", "out_reason"])
                money.release_team(user=user, team=t, on=held_on, why=_("并入“%(t)s”") % {"t": into.team_name})
            audit.record(
                actor=user,
                action="challenge.race_decision",
                obj=t,
                enterprise=t.lead_enterprise,
                note=f"{challenge.code} 里程碑“{milestone.title}”赛马评审：{t.team_name} "
                f"{RaceDecision.Decision(d['decision']).label}；理由：{reason}；评审：{names}",
            )
        audit.record(
            actor=user,
            action="challenge.race_review",
            obj=review,
            enterprise=challenge.issuer,
            note=f"{challenge.code} 里程碑“{milestone.title}”赛马评审（{held_on:%Y-%m-%d}，规则 {key}）",
        )
    return review


def record_acceptance(
    *, user, team: Application, held_on: dt.date, measured: dict, experts: list[Expert], note: str = ""
) -> Acceptance:
    """Final acceptance of a team against the indicators published with the challenge (engine)."""
    require(user.is_bureau, _("只有科技局工作人员可以组织验收"))
    ch = team.challenge
    if ch.stage != "implementing":
        refuse(_("只有实施中的榜单可以组织验收"))
    if team.status != Application.Status.RACING:
        refuse(_("团队“%(t)s”当前不在攻关中（%(s)s）") % {"t": team.team_name, "s": team.get_status_display()})
    _experts_free(ch, experts, _parties(ch, [team]), held_on)
    indicators = [i.as_engine() for i in ch.indicators.all()]
    problems: list[str] = []
    values = {}
    for ind in indicators:
        raw = measured.get(ind["code"])
        number = _decimal(raw, _("“%(l)s”的实测值") % {"l": ind["label"]}, problems)
        values[ind["code"]] = None if number is None else str(number)
    refuse(problems)
    result = engine_acceptance.check(indicators, values)
    with transaction.atomic():
        item = Acceptance.objects.create(
            application=team,
            held_on=held_on,
            measured=values,
            result=result,
            outcome=result["outcome"],
            note=text(note),
            recorded_by=user,
        )
        item.experts.set(experts)
        old = team.status
        if result["outcome"] == "passed":
            team.status = Application.Status.COMPLETED
        elif result["outcome"] == "failed":
            team.status, team.out_on, team.out_reason = Application.Status.FAILED, held_on, result["explanation"]
        team.save(update_fields=["status", "out_on", "out_reason"])
        if team.status == Application.Status.FAILED:
            money.release_team(user=user, team=team, on=held_on, why=_("未通过验收"))
        audit.record(
            actor=user,
            action="challenge.acceptance",
            obj=item,
            enterprise=team.lead_enterprise,
            changes={"status": [old, team.status]} if old != team.status else {},
            note=f"{ch.code} {team.team_name} 验收：{result['label']}（{result['explanation']}）；"
            f"专家：{'、'.join(e.name for e in experts)}",
        )
    return item
