"""A challenge from need to results: intake, site visits, drafting (with the issuer: market-led), moves between
stages (each asked of the engine), and the public results summary.

Who: bureau staff do everything here; only a bureau admin publishes, and never the one who submitted the draft;
the issuer (an enterprise user of the issuing firm) may edit the draft while it is being drafted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.engine import workdays
from kechuang.engine.challenges import lifecycle
from kechuang.techtransfer.supplymodels import Need

from ..models import Application, Challenge, Indicator, Milestone, Pool, SiteVisit
from .common import actor, refuse, require, rule, text, today

DRAFT_FIELDS = (
    "title",
    "field",
    "goals",
    "budget",
    "issuer_funding",
    "deadline",
    "completion_due",
    "ip_ownership",
    "licence_back",
    "publication",
    "ip_note",
    "race",
    "max_teams",
)
BUREAU_DRAFT_FIELDS = ("issuer", "issuer_contact", "pool")


def is_issuer(user, challenge: Challenge) -> bool:
    return (
        getattr(user, "role", None) == "enterprise_user"
        and user.enterprise_id is not None
        and user.enterprise_id == challenge.issuer_id
    )


def _next_code(year: int) -> str:
    prefix = f"JB-{year}-"
    last = Challenge.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:03d}"


def create(
    *,
    user,
    title: str,
    origin: str,
    need_text: str,
    collected_on: dt.date | None = None,
    field: str = "",
    origin_department: str = "",
    techtransfer_need=None,
    issuer=None,
    issuer_contact: str = "",
) -> Challenge:
    """Record a collected need as a new challenge (stage 需求征集)."""
    require(user.is_bureau, _("只有科技局工作人员可以录入需求"))
    problems = []
    if not text(title):
        problems.append(_("请填写需求名称"))
    if origin not in Challenge.Origin.values:
        problems.append(_("需求来源无效"))
    if not text(need_text):
        problems.append(_("请填写需求描述"))
    if origin == Challenge.Origin.DEPARTMENT and not text(origin_department):
        problems.append(_("来源为部门征集时，请填写征集部门"))
    if techtransfer_need is not None:
        problems += _need_problems(techtransfer_need, origin, issuer)
    refuse(problems)
    on = collected_on or today()
    with transaction.atomic():
        ch = Challenge.objects.create(
            code=_next_code(on.year),
            title=text(title),
            field=text(field),
            origin=origin,
            origin_department=text(origin_department),
            need_text=text(need_text),
            techtransfer_need=techtransfer_need,
            issuer=issuer,
            issuer_contact=text(issuer_contact),
            collected_on=on,
            created_by=actor(user),
        )
        audit.record(
            actor=user,
            action="challenge.create",
            obj=ch,
            enterprise=issuer,
            note=f"{ch.code} {ch.title}（{ch.get_origin_display()}）",
        )
    return ch


def _need_problems(need, origin: str, issuer) -> list[str]:
    """A challenge drafted from a need: from the registry, an open one, and the issuing firm's own (a firm's
    need is its trade secret; it does not become another firm's challenge)."""
    problems = []
    if origin != Challenge.Origin.TECHTRANSFER_NEED:
        problems.append(_("选择了技术需求时，需求来源应为「技术转移需求库」"))
    if need.status not in (Need.Status.OPEN, Need.Status.MATCHING):
        problems.append(_("技术需求「%(t)s」已解决或已关闭，不能据此发榜") % {"t": need.title})
    if issuer is None or issuer.pk != need.enterprise_id:
        problems.append(_("所选技术需求是「%(firm)s」发布的，不是发榜企业的需求") % {"firm": need.enterprise.name})
    return problems


def add_visit(
    *, user, challenge: Challenge, visited_on: dt.date, visitors: str, findings: str, recommendation: str = ""
) -> SiteVisit:
    require(user.is_bureau, _("只有科技局工作人员可以录入走访记录"))
    if challenge.stage != "review":
        refuse(_("只有“审核走访”阶段可以录入走访记录（当前：%(s)s）") % {"s": challenge.get_stage_display()})
    refuse([m for ok, m in ((text(visitors), _("请填写走访人员")), (text(findings), _("请填写走访情况"))) if not ok])
    if visited_on < challenge.collected_on:
        refuse(_("走访日期不能早于需求征集日期 %(d)s") % {"d": challenge.collected_on})
    with transaction.atomic():
        visit = SiteVisit.objects.create(
            challenge=challenge,
            visited_on=visited_on,
            visitors=text(visitors),
            findings=text(findings),
            recommendation=text(recommendation),
            created_by=actor(user),
        )
        audit.record(
            actor=user,
            action="challenge.visit",
            obj=challenge,
            enterprise=challenge.issuer,
            note=f"{visited_on:%Y-%m-%d} 走访：{text(visitors)}",
        )
    return visit


def _decimal(value, label: str, problems: list[str], where: str = "") -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        problems.append(f"{where}{label}应为数字，现为“{value}”")
        return None
    if not number.is_finite():
        problems.append(f"{where}{label}应为有限的数字")
        return None
    return number


def _date(value, label: str, problems: list[str], where: str = "") -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"{where}{label}应为日期（如 2026-06-30），现为“{value}”")
        return None


def _indicator_rows(rows: list[dict], problems: list[str]) -> list[Indicator]:
    out = []
    for i, row in enumerate(rows, start=1):
        if not any(text(row.get(k)) for k in ("name", "unit", "target")):
            continue  # a blank row of the form
        where = _("第 %(n)d 项考核指标：") % {"n": i}
        name = text(row.get("name"))
        if not name:
            problems.append(where + _("请填写指标名称"))
        comparison = row.get("comparison") or "ge"
        if comparison not in Indicator.Comparison.values:
            problems.append(where + _("比较方式无效"))
        target = _decimal(row.get("target"), _("目标值"), problems, where)
        if target is None and text(row.get("target")) == "":
            problems.append(where + _("请填写目标值"))
        out.append(
            Indicator(
                seq=len(out) + 1,
                name=name,
                unit=text(row.get("unit")),
                comparison=comparison,
                target=target if target is not None else Decimal(0),
                required=bool(row.get("required", True)),
            )
        )
    return out


def _milestone_rows(rows: list[dict], problems: list[str]) -> list[Milestone]:
    out = []
    for i, row in enumerate(rows, start=1):
        if not any(text(row.get(k)) for k in ("title", "due_on", "deliverable")):
            continue
        where = _("第 %(n)d 个里程碑：") % {"n": i}
        title = text(row.get("title"))
        if not title:
            problems.append(where + _("请填写里程碑名称"))
        due = _date(row.get("due_on"), _("计划完成日期"), problems, where)
        if due is None and not text(row.get("due_on")):
            problems.append(where + _("请填写计划完成日期"))
        if due and out and out[-1].due_on and due <= out[-1].due_on:
            problems.append(where + _("计划完成日期应晚于上一个里程碑"))
        out.append(Milestone(seq=len(out) + 1, title=title, due_on=due, deliverable=text(row.get("deliverable"))))
    return out


def save_draft(  # noqa: C901
    *,
    user,
    challenge: Challenge,
    fields: dict,
    indicators: list[dict] | None = None,
    milestones: list[dict] | None = None,
) -> Challenge:
    """Save the draft: its fields, and (when given) its indicators and milestone plan, replaced as a whole.
    Bureau staff or the issuer (market-led drafting); only while the challenge is being drafted."""
    issuer = is_issuer(user, challenge)
    require(user.is_bureau or issuer, _("无权编制该榜单"))
    if challenge.stage != "drafting":
        refuse(_("只有“榜单编制”阶段可以修改榜单内容（当前：%(s)s）") % {"s": challenge.get_stage_display()})
    allowed = DRAFT_FIELDS + (BUREAU_DRAFT_FIELDS if user.is_bureau else ())
    unknown = set(fields) - set(allowed)
    require(not unknown, _("无权修改：%(f)s") % {"f": "、".join(sorted(unknown))})
    problems: list[str] = []
    values = dict(fields)
    for key, label in (("budget", _("榜单总额")), ("issuer_funding", _("发榜企业自筹资金"))):
        if key in values:
            values[key] = _decimal(values[key], label, problems)
            if values[key] is not None and values[key] < 0:
                problems.append(_("%(l)s不能为负数") % {"l": label})
    for key, label in (("deadline", _("揭榜截止日期")), ("completion_due", _("完成期限"))):
        if key in values:
            values[key] = _date(values[key], label, problems)
    for key in ("title", "field", "goals", "ip_note", "issuer_contact"):
        if key in values:
            values[key] = text(values[key])
    if "title" in values and not values["title"]:
        problems.append(_("榜单名称不能为空"))
    for key, choices in (
        ("ip_ownership", Challenge.IpOwnership),
        ("licence_back", Challenge.LicenceBack),
        ("publication", Challenge.Publication),
    ):
        if values.get(key) and values[key] not in choices.values:
            problems.append(_("%(f)s的取值无效") % {"f": Challenge._meta.get_field(key).verbose_name})
    if "max_teams" in values and values["max_teams"] in ("", None):
        values["max_teams"] = None
    for key in ("issuer", "pool"):  # foreign keys by id (or the object)
        if key in values:
            values[key] = getattr(values[key], "pk", values[key]) or None
    if values.get("pool") and not Pool.objects.filter(pk=values["pool"]).exists():
        problems.append(_("资金池不存在"))
    need = challenge.techtransfer_need
    if "issuer" in values and need is not None and values["issuer"] != need.enterprise_id:
        # The challenge stays the need's firm's: another issuer would carry that firm's need under its name.
        problems.append(
            _("本榜单来自「%(firm)s」的技术需求，发榜企业不能改为其他企业") % {"firm": need.enterprise.name}
        )
    new_indicators = _indicator_rows(indicators, problems) if indicators is not None else None
    new_milestones = _milestone_rows(milestones, problems) if milestones is not None else None
    refuse(problems)
    with transaction.atomic():
        ch = Challenge.objects.select_for_update().get(pk=challenge.pk)
        old = {k: getattr(ch, k + "_id" if k in ("issuer", "pool") else k) for k in values}
        for key, value in values.items():
            setattr(ch, key + "_id" if key in ("issuer", "pool") else key, value)
        ch.save()
        new = {k: getattr(ch, k + "_id" if k in ("issuer", "pool") else k) for k in values}
        changes = audit.diff(old, new, values)
        if new_indicators is not None:
            before = [i.text for i in ch.indicators.all()]
            ch.indicators.all().delete()
            for ind in new_indicators:
                ind.challenge = ch
            Indicator.objects.bulk_create(new_indicators)
            after = [i.text for i in new_indicators]
            if before != after:
                changes["indicators"] = ["；".join(before), "；".join(after)]
        if new_milestones is not None:
            before = [f"{m.title}（{m.due_on}）" for m in ch.milestones.all()]
            if ch.milestones.filter(reports__isnull=False).exists():
                refuse(_("已有团队提交里程碑报告，不能再修改里程碑计划"))
            ch.milestones.all().delete()
            for m in new_milestones:
                m.challenge = ch
            Milestone.objects.bulk_create(new_milestones)
            after = [f"{m.title}（{m.due_on}）" for m in new_milestones]
            if before != after:
                changes["milestones"] = ["；".join(before), "；".join(after)]
        if changes:
            audit.record(
                actor=user,
                action="challenge.draft",
                obj=ch,
                enterprise=ch.issuer,
                changes=changes,
                note=_("发榜企业修改榜单草稿") if issuer else _("科技局修改榜单草稿"),
            )
    return ch


RULED_TARGETS = ("approval", "published", "notice")  # moves whose checks read rule parameters


def facts(
    challenge: Challenge, *, user=None, on: dt.date | None = None, reason: str = "", target: str | None = None
) -> dict:
    """What the engine needs to decide whether the challenge may move (see engine.challenges.lifecycle); the
    rules in force are read only for a move that needs them (`target`), or for every move when none is given."""
    on = on or today()
    ruled = target is None or target in RULED_TARGETS
    app_rule = rule("application", on)[1] if ruled else {"min_milestones": 0}
    race_rule = rule("race", on)[1] if ruled else {"teams_min": 0, "teams_max": 0}
    milestones = list(challenge.milestones.all())
    apps = challenge.applications.all()
    due = challenge.completion_due
    return {
        "need_text": challenge.need_text,
        "visits": challenge.visits.count(),
        "title": challenge.title,
        "goals": challenge.goals,
        "issuer": str(challenge.issuer) if challenge.issuer_id else "",
        "ip_ownership": challenge.ip_ownership,
        "licence_back": challenge.licence_back,
        "publication": challenge.publication,
        "budget": challenge.budget,
        "issuer_funding": challenge.issuer_funding,
        "public_funding": challenge.public_funding,
        "pool": challenge.pool_id is not None,
        "indicators": challenge.indicators.count(),
        "milestones": len(milestones),
        "min_milestones": int(app_rule["min_milestones"]),
        "deadline": challenge.deadline,
        "today": on,
        "completion_due": due,
        "milestone_after_due": next((m.title for m in milestones if due and m.due_on > due), None),
        "race": challenge.race,
        "teams_min": int(race_rule["teams_min"]),
        "teams_max": int(race_rule["teams_max"]),
        "max_teams": challenge.max_teams,
        "submitted_by": challenge.submitted_by_id,
        "actor": getattr(user, "pk", None),
        "applications": apps.count(),
        "review_finalised": challenge.review_finalised_on is not None,
        "selected": apps.filter(status__in=[Application.Status.SELECTED, Application.Status.RACING]).count(),
        "notice_ends": challenge.notice_ends,
        "open_objections": challenge.objections.filter(answered_at__isnull=True).count(),
        "contracted": apps.filter(contract_signed_on__isnull=False).count(),
        "uncontracted": apps.filter(status=Application.Status.SELECTED).count(),
        "acceptance_passed": apps.filter(status=Application.Status.COMPLETED).exists(),
        "reason": reason,
    }


def move(*, user, challenge: Challenge, target: str, reason: str = "", on: dt.date | None = None) -> Challenge:
    """Move a challenge to `target` (a stage), when the engine finds nothing blocking it."""
    require(user.is_bureau, _("只有科技局工作人员可以推进榜单"))
    if target == "published":
        require(user.can_admin, _("只有科技局管理员可以审定发榜"))
    on = on or today()
    from . import money  # the pool's side of closing (releasing commitments)

    with transaction.atomic():
        ch = Challenge.objects.select_for_update().get(pk=challenge.pk)
        refuse(lifecycle.blockers(ch.stage, target, facts(ch, user=user, on=on, reason=reason, target=target)))
        old = ch.stage
        ch.stage = target
        note = f"{lifecycle.label(old)} → {lifecycle.label(target)}"
        if target == "approval":
            ch.submitted_by = user
        elif old == "approval" and target == "drafting":
            ch.submitted_by = None
            note += f"（退回修改：{text(reason)}）" if text(reason) else "（退回修改）"
        elif target == "published":
            ch.approved_by, ch.published_on = user, on
        elif target == "notice":
            _key, notice = rule("public_notice", on)
            deadline = workdays.add_workdays(on, int(notice["notice_workdays"]))
            ch.notice_starts, ch.notice_ends = on, deadline.date
            ch.applications.filter(status=Application.Status.SUBMITTED).update(status=Application.Status.NOT_SELECTED)
            note += (
                f"；公示期 {on:%Y-%m-%d} 至 {deadline.date:%Y-%m-%d}（{deadline.workdays} 个工作日；{deadline.basis}）"
            )
        elif target == "accepted":
            ch.accepted_on = on
            for team in ch.applications.filter(status=Application.Status.RACING):
                team.status, team.out_on = Application.Status.ELIMINATED, on
                team.out_reason = _("榜单已由其他团队通过验收，本队攻关终止")
                team.save(update_fields=["status", "out_on", "out_reason"])
                money.release_team(user=user, team=team, on=on, why=_("榜单已验收，释放未拨付承诺"))
        elif target in ("closed", "rejected"):
            ch.closed_on, ch.closing_reason = on, text(reason)
            note += f"：{text(reason)}"
            if target == "closed":
                ch.applications.filter(status__in=[Application.Status.SUBMITTED, Application.Status.SELECTED]).update(
                    status=Application.Status.NOT_SELECTED
                )
                for team in ch.applications.filter(status=Application.Status.RACING):
                    team.status, team.out_on = Application.Status.ELIMINATED, on
                    team.out_reason = _("榜单未解决关闭：%(r)s") % {"r": text(reason)}
                    team.save(update_fields=["status", "out_on", "out_reason"])
                    money.release_team(user=user, team=team, on=on, why=_("榜单关闭，释放未拨付承诺"))
        ch.save()
        audit.record(
            actor=user,
            action="challenge.move",
            obj=ch,
            enterprise=ch.issuer,
            changes={"stage": [old, target]},
            note=note,
        )
    return ch


def publish_results(*, user, challenge: Challenge, summary: str, on: dt.date | None = None) -> Challenge:
    """Share the results: a public summary of an accepted (or closed) challenge, on the public page."""
    require(user.is_bureau, _("只有科技局工作人员可以公开成果"))
    if challenge.stage not in ("accepted", "closed"):
        refuse(_("只有已验收或已关闭的榜单可以公开成果摘要"))
    if not text(summary):
        refuse(_("请填写成果摘要"))
    with transaction.atomic():
        ch = Challenge.objects.select_for_update().get(pk=challenge.pk)
        old = ch.results_summary
        ch.results_summary, ch.results_published_on = text(summary), on or today()
        ch.save(update_fields=["results_summary", "results_published_on", "updated_at"])
        audit.record(
            actor=user,
            action="challenge.results",
            obj=ch,
            enterprise=ch.issuer,
            changes={"results_summary": [old, ch.results_summary]},
            note=_("公开成果摘要"),
        )
    return ch
