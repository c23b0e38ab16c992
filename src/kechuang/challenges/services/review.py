"""Expert review: the pool (experts, their co-operations and declared conflicts), panels drawn with
conflict-of-interest exclusion, scores through the experts' links, the panel's score per application (engine),
the choice of teams, and the public notice's objections.

A reviewer with a conflict is refused wherever one could slip in: drawn (left out by the engine), added by hand
(refused with the reasons, nothing written), scoring an application whose parties became a conflict after the
draw (refused), or sitting on a milestone review or acceptance (see teams.py).
"""

from __future__ import annotations

import datetime as dt
import secrets

import polars as pl
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.engine.challenges import conflicts, scoring

from .. import loaders
from ..models import (
    Application,
    Challenge,
    Cooperation,
    DeclaredConflict,
    Expert,
    Objection,
    Panel,
    PanelMember,
    Score,
)
from .common import actor, refuse, require, rule, text, today

# ---------------------------------------------------------------- the expert pool


def save_expert(
    *,
    user,
    name: str,
    institution: str,
    fields: str,
    title: str = "",
    phone: str = "",
    email: str = "",
    active: bool = True,
    expert: Expert | None = None,
) -> Expert:
    require(user.is_bureau, _("只有科技局工作人员可以维护专家库"))
    problems = [
        m
        for ok, m in (
            (text(name), _("请填写专家姓名")),
            (text(institution), _("请填写工作单位")),
            (text(fields), _("请填写专业领域")),
        )
        if not ok
    ]
    refuse(problems)
    values = {
        "name": text(name),
        "institution": text(institution),
        "fields": text(fields),
        "title": text(title),
        "phone": text(phone),
        "email": text(email),
        "active": bool(active),
    }
    with transaction.atomic():
        if expert is None:
            expert = Expert.objects.create(**values)
            audit.record(actor=user, action="challenge.expert", obj=expert, note=f"新增专家：{expert}")
        else:
            old = {k: getattr(expert, k) for k in values}
            for k, v in values.items():
                setattr(expert, k, v)
            expert.save()
            changes = audit.diff(old, values, values)
            if changes:
                audit.record(
                    actor=user, action="challenge.expert", obj=expert, changes=changes, note=f"修改专家：{expert}"
                )
    return expert


def declare_conflict(
    *,
    expert: Expert,
    organisation: str,
    reason: str,
    user=None,
    member: PanelMember | None = None,
    on: dt.date | None = None,
) -> DeclaredConflict:
    """A declared conflict, entered by the bureau or by the expert through a review link (then that seat is
    withdrawn at once if the organisation is a party of its challenge)."""
    require(
        getattr(user, "is_bureau", False) or (member is not None and member.expert_id == expert.pk),
        _("无权登记利益冲突"),
    )
    if not text(organisation):
        refuse(_("请填写需回避的单位"))
    with transaction.atomic():
        item = DeclaredConflict.objects.create(
            expert=expert, organisation=text(organisation), reason=text(reason), declared_on=on or today()
        )
        who = f"专家 {expert.name}（评审链接）" if member is not None else ""
        audit.record(
            actor=user,
            action="challenge.conflict",
            obj=expert,
            note=f"{who}申报与{item.organisation}存在利益冲突" + (f"：{item.reason}" if item.reason else ""),
        )
        if member is not None and _reasons(member.panel.challenge, expert.pk):
            member.active = False
            member.save(update_fields=["active"])
            audit.record(
                actor=user,
                action="challenge.panel",
                obj=member.panel,
                note=f"专家 {expert.name} 申报利益冲突，自动退出评审组",
            )
    return item


def add_cooperation(*, user, expert: Expert, organisation: str, on: dt.date, description: str = "") -> Cooperation:
    require(user.is_bureau, _("只有科技局工作人员可以维护专家库"))
    if not text(organisation):
        refuse(_("请填写合作单位"))
    with transaction.atomic():
        item = Cooperation.objects.create(
            expert=expert, organisation=text(organisation), on=on, description=text(description)
        )
        audit.record(
            actor=user,
            action="challenge.cooperation",
            obj=expert,
            note=f"{on:%Y-%m-%d} 与{item.organisation}合作：{item.description}",
        )
    return item


# ---------------------------------------------------------------- conflicts and panels


def parties(challenge: Challenge) -> list[str]:
    """The issuer and every applicant's lead and member organisations (withdrawn applications left out)."""
    names = [str(challenge.issuer)] if challenge.issuer_id else []
    for app in challenge.applications.exclude(status=Application.Status.WITHDRAWN).select_related(
        "lead_organisation", "lead_enterprise"
    ):
        names += app.organisations()
    return list(dict.fromkeys(names))


def conflict_frame(
    challenge: Challenge,
    expert_ids: list[int] | None = None,
    on: dt.date | None = None,
    party_names: list[str] | None = None,
    years: int | None = None,
) -> pl.DataFrame:
    """Every conflict of the pool's experts (or those named) with the challenge's parties on a date."""
    on = on or today()
    if years is None:
        years = int(rule("expert_review", on)[1]["cooperation_years"])
    experts, coop, declared = loaders.expert_frames(expert_ids)
    return conflicts.conflicts(
        experts, party_names if party_names is not None else parties(challenge), coop, declared, on, years
    )


def _reasons(
    challenge: Challenge,
    expert_id: int,
    party_names: list[str] | None = None,
    on: dt.date | None = None,
    years: int | None = None,
) -> list[str]:
    found = conflict_frame(challenge, [expert_id], on=on, party_names=party_names, years=years)
    return conflicts.reasons_of(found, expert_id)


def draw_panel(
    *,
    user,
    challenge: Challenge,
    deadline: dt.date,
    size: int | None = None,
    seed: int | None = None,
    on: dt.date | None = None,
) -> Panel:
    """Draw the assessment panel from the pool, leaving out every expert with a conflict (with the reasons)."""
    require(user.is_bureau, _("只有科技局工作人员可以抽取评审专家"))
    on = on or today()
    if challenge.stage != "assessment":
        refuse(_("只有“专家评审”阶段可以抽取评审专家（当前：%(s)s）") % {"s": challenge.get_stage_display()})
    if challenge.review_finalised_on:
        refuse(_("评审已汇总定分，不能再抽取专家"))
    if deadline < on:
        refuse(_("评分截止日期不能早于今天"))
    key, params = rule("expert_review", on)
    size = int(size or params["panel_size"])
    if size < int(params["min_panel"]):
        refuse(_("评审组至少需要 %(n)d 名专家") % {"n": int(params["min_panel"])})
    seed = seed if seed is not None else secrets.randbelow(2**31)
    taken = tuple(
        PanelMember.objects.filter(panel__challenge=challenge, active=True).values_list("expert_id", flat=True)
    )
    experts, _coop, _decl = loaders.expert_frames()
    found = conflict_frame(challenge, on=on, years=int(params["cooperation_years"]))
    draw = conflicts.draw_panel(experts, found, size - len(taken), seed, challenge.field, taken)
    if len(draw.chosen) + len(taken) < int(params["min_panel"]):
        refuse(
            _("无利益冲突的在库专家只有 %(n)d 名，少于有效评审所需的 %(m)d 名，请先扩充专家库")
            % {"n": len(draw.chosen) + len(taken), "m": int(params["min_panel"])}
        )
    with transaction.atomic():
        panel = Panel.objects.filter(challenge=challenge).first()
        record = {
            "rule": key,
            "params": {k: params[k] for k in ("panel_size", "min_panel", "cooperation_years")},
            "seed": seed,
            "field": challenge.field,
            "excluded": draw.excluded,
            "short": draw.short,
            "explanation": draw.explanation(),
            "on": on.isoformat(),
        }
        if panel is None:
            panel = Panel.objects.create(
                challenge=challenge, deadline=deadline, seed=seed, draw=record, created_by=actor(user)
            )
        else:
            panel.deadline, panel.seed, panel.draw = deadline, seed, record
            panel.save(update_fields=["deadline", "seed", "draw"])
        PanelMember.objects.bulk_create(
            [PanelMember(panel=panel, expert_id=e, added_by=actor(user)) for e in draw.chosen]
        )
        audit.record(
            actor=user,
            action="challenge.panel",
            obj=panel,
            enterprise=challenge.issuer,
            note=f"{challenge.code}：{draw.explanation()}（种子 {seed}，规则 {key}）",
        )
    return panel


def add_member(*, user, panel: Panel, expert: Expert, on: dt.date | None = None) -> PanelMember:
    """Seat an expert by hand; one with a conflict is refused with the reasons and nothing is written."""
    require(user.is_bureau, _("只有科技局工作人员可以调整评审组"))
    if panel.challenge.review_finalised_on:
        refuse(_("评审已汇总定分，不能再调整评审组"))
    if not expert.active:
        refuse(_("专家%(e)s已不在库") % {"e": expert.name})
    reasons = _reasons(panel.challenge, expert.pk, on=on)
    if reasons:
        refuse(_("专家%(e)s存在利益冲突，须回避：%(r)s") % {"e": expert.name, "r": "；".join(reasons)})
    with transaction.atomic():
        member, created = PanelMember.objects.get_or_create(
            panel=panel, expert=expert, defaults={"how": PanelMember.How.MANUAL, "added_by": actor(user)}
        )
        if not created and member.active:
            refuse(_("专家%(e)s已在评审组中") % {"e": expert.name})
        member.active = True
        member.save(update_fields=["active"])
        audit.record(actor=user, action="challenge.panel", obj=panel, note=f"指定专家 {expert.name} 加入评审组")
    return member


def remove_member(*, user, member: PanelMember, reason: str) -> PanelMember:
    require(user.is_bureau, _("只有科技局工作人员可以调整评审组"))
    if not text(reason):
        refuse(_("请填写调整原因"))
    if member.panel.challenge.review_finalised_on:
        refuse(_("评审已汇总定分，不能再调整评审组"))
    with transaction.atomic():
        member.active = False
        member.save(update_fields=["active"])
        audit.record(
            actor=user,
            action="challenge.panel",
            obj=member.panel,
            note=f"专家 {member.expert.name} 退出评审组：{text(reason)}",
        )
    return member


def reissue_link(*, user, member: PanelMember) -> PanelMember:
    require(user.is_bureau, _("只有科技局工作人员可以重新发送评审链接"))
    with transaction.atomic():
        PanelMember.objects.filter(pk=member.pk).update(token_version=member.token_version + 1)
        member.refresh_from_db()
        audit.record(
            actor=user,
            action="challenge.panel",
            obj=member.panel,
            note=f"重新生成专家 {member.expert.name} 的评审链接（旧链接作废）",
        )
    return member


def scorable(challenge: Challenge):
    """The applications the panel scores: admitted (eligible) and not withdrawn."""
    return challenge.applications.filter(eligibility="eligible").exclude(status=Application.Status.WITHDRAWN)


def submit_score(
    *, member: PanelMember, application: Application, sheet: dict, comment: str, on: dt.date | None = None
) -> Score:
    """An expert's scores and comment for one application, through the review link (re-submitting replaces)."""
    on = on or today()
    challenge = member.panel.challenge
    if application.challenge_id != challenge.pk:
        refuse(_("该申报不属于本评审组的榜单"))
    if challenge.stage != "assessment" or challenge.review_finalised_on:
        refuse(_("评审已结束，不能再提交评分"))
    if not member.active:
        refuse(_("您已不在该评审组中"))
    if member.panel.deadline < on:
        refuse(_("评分已于 %(d)s 截止") % {"d": member.panel.deadline})
    if not scorable(challenge).filter(pk=application.pk).exists():
        refuse(_("该申报未通过资格审查，不需评分"))
    _key, params = rule("expert_review", on)
    reasons = _reasons(
        challenge,
        member.expert_id,
        [str(challenge.issuer or ""), *application.organisations()],
        on,
        int(params["cooperation_years"]),
    )
    if reasons:
        refuse(_("您与该申报存在利益冲突，须回避：%(r)s") % {"r": "；".join(reasons)})
    criteria = challenge.review_params.get("criteria") if challenge.review_params else None
    criteria = criteria or params["criteria"]
    problems = scoring.sheet_problems(sheet, criteria, params["score_max"])
    if not text(comment):
        problems.append(_("请填写评审意见（申报团队将看到）"))
    refuse(problems)
    clean = {c["code"]: str(sheet[c["code"]]).strip() for c in criteria}
    total = scoring.reviewer_total(clean, criteria)
    with transaction.atomic():
        score, created = Score.objects.update_or_create(
            member=member, application=application, defaults={"sheet": clean, "total": total, "comment": text(comment)}
        )
        audit.record(
            actor=None,
            action="challenge.score",
            obj=score,
            note=f"专家 {member.expert.name}（评审链接）{'提交' if created else '修改'}评分："
            f"{application.team_name} "
            f"加权总分 {total}",
        )
    return score


def finalise_review(*, user, challenge: Challenge, on: dt.date | None = None) -> dict:
    """The panel's score per admitted application (engine: weighted, trimmed from five reviewers up), stored
    with each reviewer's total so every applicant sees its scores and how they were combined."""
    require(user.is_bureau, _("只有科技局工作人员可以汇总评分"))
    on = on or today()
    if challenge.stage != "assessment":
        refuse(_("只有“专家评审”阶段可以汇总评分"))
    if challenge.review_finalised_on:
        refuse(_("评审已于 %(d)s 汇总定分") % {"d": challenge.review_finalised_on})
    pending = challenge.applications.filter(eligibility="unknown").exclude(status=Application.Status.WITHDRAWN)
    if pending.exists():
        refuse(_("还有 %(n)d 份申报资格待核实，请先核实") % {"n": pending.count()})
    key, params = rule("expert_review", on)
    apps = list(scorable(challenge))
    if not apps:
        refuse(_("没有通过资格审查的申报"))
    rows = [
        (s.application_id, s.member_id, code, float(v))
        for s in Score.objects.filter(application__in=apps, member__active=True)
        for code, v in s.sheet.items()
    ]
    frame = pl.DataFrame(
        rows,
        schema={"application_id": pl.Int64, "reviewer_id": pl.Int64, "criterion": pl.Utf8, "score": pl.Float64},
        orient="row",
    )
    results = scoring.aggregate(frame, params["criteria"], params)
    missing = [a.team_name for a in apps if results.get(a.pk) is None or results[a.pk].score is None]
    if missing:
        refuse(
            _("以下申报完成评分的专家不足 %(n)d 名：%(t)s") % {"n": int(params["min_panel"]), "t": "、".join(missing)}
        )
    with transaction.atomic():
        for app in apps:
            r = results[app.pk]
            app.score, app.passed, app.rank = r.score, r.passed, r.rank
            app.score_detail = {**r.as_dict(), "rule": key}
            app.save(update_fields=["score", "passed", "rank", "score_detail"])
        Challenge.objects.filter(pk=challenge.pk).update(
            review_finalised_on=on,
            review_rule=key,
            review_params={k: params[k] for k in ("criteria", "trim_from", "min_panel", "pass_score", "score_max")},
        )
        challenge.refresh_from_db()
        audit.record(
            actor=user,
            action="challenge.finalise",
            obj=challenge,
            enterprise=challenge.issuer,
            note=f"{challenge.code} 评审定分：{len(apps)} 份申报，规则 {key}",
        )
    return results


def confirm_eligibility(*, user, application: Application, outcome: str, note: str) -> Application:
    """Staff settle an application whose eligibility the engine could not decide (unknown), with a note."""
    require(user.is_bureau, _("只有科技局工作人员可以核实申报资格"))
    if application.eligibility != "unknown":
        refuse(_("只有“待核实”的申报需要人工核实"))
    if outcome not in ("eligible", "ineligible"):
        refuse(_("核实结论无效"))
    if not text(note):
        refuse(_("请填写核实情况"))
    with transaction.atomic():
        detail = dict(application.eligibility_detail)
        detail["confirmed"] = {"outcome": outcome, "note": text(note), "by": str(user), "on": today().isoformat()}
        application.eligibility, application.eligibility_detail = outcome, detail
        application.save(update_fields=["eligibility", "eligibility_detail"])
        audit.record(
            actor=user,
            action="challenge.eligibility",
            obj=application,
            changes={"eligibility": ["unknown", outcome]},
            note=text(note),
        )
    return application


def select_teams(*, user, challenge: Challenge, application_ids: list[int]) -> list[Application]:
    """Choose the team(s) to announce: admitted, scored at or above the pass mark. The count (one, or 2–5 for a
    race) is checked when the challenge moves to the public notice."""
    require(user.is_bureau, _("只有科技局工作人员可以确定拟立项团队"))
    if challenge.stage != "assessment" or not challenge.review_finalised_on:
        refuse(_("评审汇总定分后才能确定拟立项团队"))
    chosen = list(scorable(challenge).filter(pk__in=application_ids))
    if len(chosen) != len(set(application_ids)) or not chosen:
        refuse(_("请选择通过资格审查的申报"))
    low = [a.team_name for a in chosen if not a.passed]
    if low:
        refuse(_("以下团队评审得分未达到入围分，不能立项：%(t)s") % {"t": "、".join(low)})
    with transaction.atomic():
        scorable(challenge).exclude(pk__in=application_ids).update(status=Application.Status.SUBMITTED)
        scorable(challenge).filter(pk__in=application_ids).update(status=Application.Status.SELECTED)
        audit.record(
            actor=user,
            action="challenge.select",
            obj=challenge,
            enterprise=challenge.issuer,
            note="拟立项团队：" + "、".join(a.team_name for a in chosen),
        )
    return chosen


# ---------------------------------------------------------------- public notice


def file_objection(
    *,
    challenge: Challenge,
    name: str,
    contact: str,
    text_: str,
    organisation: str = "",
    application: Application | None = None,
    on: dt.date | None = None,
) -> Objection:
    """Anyone may object during the notice period (no account needed); the objection is recorded as filed."""
    on = on or today()
    if (
        challenge.stage != "notice"
        or not challenge.notice_starts
        or not (challenge.notice_starts <= on <= challenge.notice_ends)
    ):
        refuse(_("该榜单不在公示期内，不能提出异议"))
    problems = [
        m
        for ok, m in (
            (text(name), _("请填写异议人姓名")),
            (text(contact), _("请填写联系方式")),
            (text(text_), _("请填写异议内容")),
        )
        if not ok
    ]
    if application is not None and (
        application.challenge_id != challenge.pk or application.status != Application.Status.SELECTED
    ):
        problems.append(_("异议涉及的团队不在公示名单中"))
    refuse(problems)
    with transaction.atomic():
        item = Objection.objects.create(
            challenge=challenge,
            application=application,
            name=text(name),
            organisation=text(organisation),
            contact=text(contact),
            text=text(text_),
        )
        audit.record(
            actor=None,
            action="challenge.objection",
            obj=item,
            enterprise=challenge.issuer,
            note=f"{challenge.code} 收到异议（{item.name}）",
        )
    return item


def answer_objection(*, user, objection: Objection, answer: str) -> Objection:
    require(user.is_bureau, _("只有科技局工作人员可以答复异议"))
    if not text(answer):
        refuse(_("请填写答复内容"))
    if objection.answered_at:
        refuse(_("该异议已答复"))
    with transaction.atomic():
        objection.answer, objection.answered_by, objection.answered_at = text(answer), user, timezone.now()
        objection.save(update_fields=["answer", "answered_by", "answered_at"])
        audit.record(
            actor=user,
            action="challenge.objection",
            obj=objection,
            changes={"answer": [None, objection.answer]},
            note=_("答复异议"),
        )
    return objection
