"""Solvers: applications to published challenges (checked by the engine, with reasons) and the capabilities
institutions publish the other way (双向发布).

Who may apply: an institution user (its organisation a 高校院所 or 新型研发机构 leads) or an enterprise user (its
firm leads). An application after the deadline is refused and nothing is written.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kechuang.accounts.models import Organisation
from kechuang.core import audit
from kechuang.engine.challenges import eligibility

from .. import loaders
from ..models import Application, Capability, Challenge
from .common import actor, refuse, require, rule, text, today
from .lifecycle import _date, _decimal

MAX_MEMBERS = 200


def solver_lead(user) -> tuple[str, Organisation | None, object | None]:
    """(lead kind, organisation, enterprise) a user applies for, or PermissionDenied."""
    if user.role == "institution_user" and user.organisation_id:
        kind = user.organisation.kind
        require(
            kind in (Organisation.Kind.INSTITUTION, Organisation.Kind.RD_INSTITUTION),
            _("只有高校院所或新型研发机构的用户可以代表本单位揭榜"),
        )
        return kind, user.organisation, None
    if user.role == "enterprise_user" and user.enterprise_id:
        return "enterprise", None, user.enterprise
    require(False, _("只有高校院所用户或企业用户可以揭榜申报"))
    raise AssertionError  # unreachable


def can_apply(user) -> bool:
    try:
        solver_lead(user)
    except Exception:
        return False
    return True


def _members(rows: list[dict], problems: list[str]) -> list[dict]:
    out = []
    for i, row in enumerate(rows, start=1):
        name, org, title = text(row.get("name")), text(row.get("organisation")), text(row.get("title"))
        if not (name or org or title):
            continue
        if not name or not org:
            problems.append(_("第 %(n)d 名团队成员：请填写姓名和所在单位") % {"n": i})
        out.append({"name": name, "organisation": org, "title": title})
    if len(out) > MAX_MEMBERS:
        problems.append(_("团队成员最多 %(n)d 人") % {"n": MAX_MEMBERS})
    return out


def _plan(rows: list[dict], problems: list[str]) -> list[dict]:
    out = []
    for i, row in enumerate(rows, start=1):
        title = text(row.get("title"))
        if not (title or text(row.get("due_on")) or text(row.get("deliverable"))):
            continue
        where = _("实施计划第 %(n)d 个里程碑：") % {"n": i}
        if not title:
            problems.append(where + _("请填写名称"))
        due = _date(row.get("due_on"), _("计划完成日期"), problems, where)
        out.append(
            {"title": title, "due_on": due.isoformat() if due else None, "deliverable": text(row.get("deliverable"))}
        )
    return out


def apply(
    *,
    user,
    challenge: Challenge,
    team_name: str,
    leader: str,
    contact: str,
    members: list[dict],
    plan: str,
    budget_requested,
    milestones: list[dict],
    declared_credit: bool,
    on: dt.date | None = None,
) -> Application:
    """Submit an application; its eligibility is decided at once by the engine and stored with its reasons."""
    kind, org, firm = solver_lead(user)
    on = on or today()
    if challenge.stage != "published":
        refuse(_("该榜单当前不接受揭榜申报（%(s)s）") % {"s": challenge.get_stage_display()})
    late = eligibility.on_time(on, challenge.deadline)
    if late:
        refuse(late)
    problems: list[str] = []
    if not text(team_name):
        problems.append(_("请填写团队名称"))
    if not text(leader):
        problems.append(_("请填写团队负责人"))
    if not text(contact):
        problems.append(_("请填写联系方式"))
    if not text(plan):
        problems.append(_("请填写技术方案"))
    budget = _decimal(budget_requested, _("申请经费"), problems)
    if budget is None and not text(budget_requested):
        problems.append(_("请填写申请经费"))
    elif budget is not None and budget <= 0:
        problems.append(_("申请经费应大于 0"))
    member_rows = _members(members, problems)
    plan_rows = _plan(milestones, problems)
    refuse(problems)
    lead_filter = {"lead_organisation": org} if org else {"lead_enterprise": firm}
    if challenge.applications.filter(**lead_filter).exclude(status=Application.Status.WITHDRAWN).exists():
        refuse(_("%(o)s已申报该榜单，同一单位对同一榜单只能牵头申报一次") % {"o": org or firm})
    key, params = rule("application", on)
    decision = eligibility.check(
        {
            "applied_on": on,
            "lead_kind": kind,
            "lead_uscc": firm.uscc if firm else None,
            "members": len(member_rows),
            "budget_requested": budget,
            "milestones": [dt.date.fromisoformat(m["due_on"]) if m["due_on"] else None for m in plan_rows],
            "declared_credit": bool(declared_credit),
            "dishonest_listed": loaders.dishonest_listed(firm.pk) if firm else None,
        },
        {
            "deadline": challenge.deadline,
            "budget": challenge.budget,
            "issuer_uscc": challenge.issuer.uscc if challenge.issuer_id else None,
            "completion_due": challenge.completion_due,
        },
        params,
    )
    try:
        with transaction.atomic():
            app = Application.objects.create(
                challenge=challenge,
                team_name=text(team_name),
                lead_kind=kind,
                lead_organisation=org,
                lead_enterprise=firm,
                leader=text(leader),
                contact=text(contact),
                members=member_rows,
                plan=text(plan),
                budget_requested=budget,
                milestones=plan_rows,
                declared_credit=bool(declared_credit),
                submitted_by=user,
                submitted_on=on,
                eligibility=decision.outcome,
                eligibility_detail={**decision.as_dict(), "params": params},
                eligibility_rule=key,
            )
            audit.record(
                actor=user,
                action="challenge.apply",
                obj=app,
                enterprise=firm,
                note=f"{challenge.code} {app.team_name}：{decision.label}（{decision.explanation()}）",
            )
    except IntegrityError:
        refuse(_("团队名称“%(t)s”已在该榜单申报过，请换一个名称") % {"t": text(team_name)})
    return app


def withdraw(*, user, application: Application, reason: str) -> Application:
    """The applicant withdraws before contract."""
    require(application.submitted_by_id == user.pk or user.is_bureau, _("无权撤回该申报"))
    if application.status not in (Application.Status.SUBMITTED, Application.Status.SELECTED):
        refuse(_("只有签约前的申报可以撤回"))
    if not text(reason):
        refuse(_("请填写撤回原因"))
    with transaction.atomic():
        old = application.status
        application.status, application.out_reason, application.out_on = "withdrawn", text(reason), today()
        application.save(update_fields=["status", "out_reason", "out_on"])
        audit.record(
            actor=user,
            action="challenge.withdraw",
            obj=application,
            changes={"status": [old, "withdrawn"]},
            note=text(reason),
        )
    return application


def publish_capability(*, user, title: str, field: str, description: str, contact: str) -> Capability:
    """双向发布: an institution (or a firm) publishes what it can solve."""
    _kind, org, firm = solver_lead(user)
    problems = [
        m
        for ok, m in (
            (text(title), _("请填写能力名称")),
            (text(field), _("请填写技术领域")),
            (text(description), _("请填写能力介绍")),
            (text(contact), _("请填写联系方式")),
        )
        if not ok
    ]
    refuse(problems)
    with transaction.atomic():
        cap = Capability.objects.create(
            organisation=org,
            enterprise=firm,
            title=text(title),
            field=text(field),
            description=text(description),
            contact=text(contact),
            published_on=today(),
            created_by=actor(user),
        )
        audit.record(
            actor=user,
            action="challenge.capability",
            obj=cap,
            enterprise=firm,
            note=f"{cap.owner_name} 发布技术能力：{cap.title}",
        )
    return cap


def withdraw_capability(*, user, capability: Capability) -> Capability:
    own = (
        capability.organisation_id
        and capability.organisation_id == user.organisation_id
        and user.role == "institution_user"
    ) or (capability.enterprise_id and capability.enterprise_id == user.enterprise_id)
    require(user.is_bureau or bool(own), _("无权撤回该技术能力"))
    with transaction.atomic():
        old = capability.status
        capability.status = Capability.Status.WITHDRAWN
        capability.save(update_fields=["status"])
        audit.record(
            actor=user,
            action="challenge.capability",
            obj=capability,
            changes={"status": [old, "withdrawn"]},
            note=_("撤回技术能力"),
        )
    return capability
