"""Writes of brokering, each with its audit event: opening a case (bureau staff), moving it along its stages,
recording meetings, terminating it, correcting an open case (`update_case`), and matchmaking events.

Who moves a case: bureau staff, and the institution users of the assigned technology manager's institution.
A refused move raises ValidationError (a Chinese message) or PermissionDenied and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kechuang.core import audit

from .brokering import DATE_OF, STAGES, BrokerCase, CaseMeeting, MatchmakingEvent, Stage
from .models import TechContract
from .supplymodels import TechnologyManager

ORDER = [s for s, _f in STAGES]


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_open(user) -> bool:
    return _active(user) and user.is_bureau


def can_move(user, case: BrokerCase) -> bool:
    """Bureau staff, or an institution user of the assigned manager's institution."""
    if not _active(user):
        return False
    if user.is_bureau:
        return True
    m = case.manager
    return (
        m is not None
        and m.institution_id is not None
        and user.organisation_id is not None
        and m.institution.organisation_id == user.organisation_id
    )


def _stage_label(stage: str) -> str:
    return str(Stage(stage).label)


def _last_date(case: BrokerCase) -> dt.date:
    """The date of the stage the case is in (its latest move)."""
    return getattr(case, DATE_OF[case.stage])


def open_case(*, user, on: dt.date, enterprise, need=None, achievement=None, **fields) -> BrokerCase:
    """A case from a match (need + achievement) or a patent brokering between firms (seller_enterprise, patent_no,
    patent_title; or a patent achievement held by a firm)."""
    if not can_open(user):
        raise PermissionDenied(_("只有科技局工作人员可以立案"))
    case = BrokerCase(enterprise=enterprise, need=need, achievement=achievement, opened_on=on, opened_by=user, **fields)
    if need is not None and need.enterprise_id != enterprise.pk:
        raise ValidationError({"need": _("技术需求须为需求企业本身发布")})
    if achievement is not None:
        case.institution_id = achievement.institution_id
        case.field = case.field or achievement.field
        case.manager = case.manager or None
    elif case.kind == BrokerCase.Kind.PATENT:
        if case.seller_enterprise is None or not case.patent_no or not case.patent_title:
            raise ValidationError(_("企业间专利转移须填写专利持有企业、专利号和专利名称"))
    else:
        raise ValidationError(_("成果对接案件须选择科技成果"))
    if case.seller_enterprise is not None and case.seller_enterprise.pk == enterprise.pk:
        raise ValidationError(_("专利持有企业与需求企业不能相同"))
    if need is not None and achievement is not None:
        if BrokerCase.objects.filter(need=need, achievement=achievement).exists():
            raise ValidationError(_("该需求与成果已有对接案件"))
    if need is not None and not case.field:
        case.field = need.field
    with transaction.atomic():
        case.save()
        audit.record(actor=user, action="case.open", obj=case, note=str(case)[:200])
    return case


def _check_move(case: BrokerCase, stage: str, on: dt.date) -> None:
    """The move is to the next stage, on a date not before the stage the case is in."""
    if case.stage in (Stage.TERMINATED, Stage.CONVERTED):
        raise ValidationError(_("案件已%(s)s，不能再推进") % {"s": case.get_stage_display()})
    if stage not in ORDER:
        raise ValidationError(_("未知的案件阶段"))
    expected = ORDER[ORDER.index(case.stage) + 1]
    if stage != expected:
        raise ValidationError(
            _("不能跳过阶段：案件处于“%(now)s”，下一步应为“%(next)s”")
            % {"now": _stage_label(case.stage), "next": _stage_label(expected)}
        )
    previous = _last_date(case)
    if on < previous:
        raise ValidationError(
            _("“%(stage)s”日期 %(on)s 不能早于上一阶段“%(prev)s”的日期 %(prev_on)s")
            % {"stage": _stage_label(stage), "on": on, "prev": _stage_label(case.stage), "prev_on": previous}
        )


def _introduce(case, on, buyer_consent_on=None, seller_consent_on=None, **_kw) -> dict:
    if buyer_consent_on is None or seller_consent_on is None:
        raise ValidationError(_("介绍对接须双方同意：请填写需求方和成果方的同意日期"))
    for consent in (buyer_consent_on, seller_consent_on):
        if consent < case.opened_on or consent > on:
            raise ValidationError(_("同意对接日期须在立案日期与介绍对接日期之间"))
    case.buyer_consent_on, case.seller_consent_on = buyer_consent_on, seller_consent_on
    return {}


def _assign(case, on, manager=None, **_kw) -> dict:
    if manager is None:
        raise ValidationError(_("请选择技术经理人"))
    case.manager = manager
    return {"manager": [None, manager.name]}


def _negotiate(case, on, meeting_notes="", **_kw) -> dict:
    if not meeting_notes.strip():
        raise ValidationError(_("洽谈须填写首次洽谈纪要"))
    return {}


def _sign(case, on, contract=None, **_kw) -> dict:
    if contract is None:
        return {}
    _link(case, contract)
    return {"contract": [None, contract.contract_no]}


def _register(case, on, contract=None, **_kw) -> dict:
    contract = contract or case.contract
    if contract is None or contract.status != TechContract.Status.REGISTERED:
        raise ValidationError(_("登记须关联已认定登记的技术合同"))
    _link(case, contract)
    return {"contract": [None, contract.contract_no]}


# What a stage needs beyond its date; each checks (raising before anything is written) and sets the case.
STEP = {
    Stage.INTRODUCED: _introduce,
    Stage.ASSIGNED: _assign,
    Stage.NEGOTIATING: _negotiate,
    Stage.SIGNED: _sign,
    Stage.REGISTERED: _register,
}


def advance(*, user, case: BrokerCase, stage: str, on: dt.date, **data) -> BrokerCase:
    """Move a case to the next stage on `on`. No stage is skipped, and no date is before the previous stage's.
    `data`: 介绍对接 buyer_consent_on and seller_consent_on; 指派 manager; 洽谈 meeting_notes (the first meeting);
    签约 contract (optional); 登记 contract (registered), unless linked at signing."""
    if not can_move(user, case):
        raise PermissionDenied(_("只有科技局工作人员或所指派技术经理人的机构可以推进案件"))
    _check_move(case, stage, on)
    changes = {"stage": [case.stage, stage], DATE_OF[stage]: [None, on.isoformat()]}
    step = STEP.get(stage)
    if step is not None:
        changes.update(step(case, on, **data))
    setattr(case, DATE_OF[stage], on)
    old = case.stage
    case.stage = stage
    with transaction.atomic():
        case.save()
        if stage == Stage.NEGOTIATING:
            CaseMeeting.objects.create(case=case, held_on=on, notes=data["meeting_notes"].strip(), recorded_by=user)
        audit.record(
            actor=user,
            action="case.stage",
            obj=case,
            changes=changes,
            note=f"{_stage_label(old)} → {_stage_label(stage)}：{case}"[:500],
        )
    return case


def _link(case: BrokerCase, contract: TechContract) -> None:
    taken = BrokerCase.objects.filter(contract=contract).exclude(pk=case.pk).exists()
    if taken:
        raise ValidationError(_("该技术合同已关联其他案件"))
    case.contract = contract


def add_meeting(*, user, case: BrokerCase, on: dt.date, notes: str) -> CaseMeeting:
    """Another negotiation meeting of a case in 洽谈 or later (not after its termination)."""
    if not can_move(user, case):
        raise PermissionDenied(_("只有科技局工作人员或所指派技术经理人的机构可以记录洽谈"))
    if case.negotiating_on is None or case.stage == Stage.TERMINATED:
        raise ValidationError(_("案件进入洽谈阶段后才能记录洽谈"))
    if on < case.negotiating_on:
        raise ValidationError(_("洽谈日期不能早于洽谈开始日期 %(d)s") % {"d": case.negotiating_on})
    if not notes.strip():
        raise ValidationError(_("请填写洽谈纪要"))
    with transaction.atomic():
        meeting = CaseMeeting.objects.create(case=case, held_on=on, notes=notes.strip(), recorded_by=user)
        audit.record(actor=user, action="case.meeting", obj=case, note=f"{on} 洽谈：{notes.strip()}"[:500])
    return meeting


def terminate(*, user, case: BrokerCase, on: dt.date, reason: str) -> BrokerCase:
    if not can_move(user, case):
        raise PermissionDenied(_("只有科技局工作人员或所指派技术经理人的机构可以终止案件"))
    if not case.is_open:
        raise ValidationError(_("案件已%(s)s，不能终止") % {"s": case.get_stage_display()})
    if not reason.strip():
        raise ValidationError(_("终止须填写原因"))
    if on < _last_date(case):
        raise ValidationError(_("终止日期不能早于上一阶段的日期 %(d)s") % {"d": _last_date(case)})
    old = case.stage
    case.stage, case.terminated_on, case.termination_reason = Stage.TERMINATED, on, reason.strip()[:300]
    with transaction.atomic():
        case.save()
        audit.record(
            actor=user,
            action="case.terminate",
            obj=case,
            changes={"stage": [old, Stage.TERMINATED]},
            note=f"终止：{reason.strip()}"[:500],
        )
    return case


# What an edit may change: the stage dates already reached (with the consent dates once introduced), the
# manager once assigned, and the free fields. The parties, the offer, the stage and the contract are the moves'.
FREE_FIELDS = ("product", "event", "buyer_contact", "seller_contact", "notes")
CONSENTS = ("buyer_consent_on", "seller_consent_on")


def editable_fields(case: BrokerCase) -> tuple[str, ...]:
    """The fields an edit of this case may change, in the order the form shows them."""
    if not case.is_open:
        return ()
    reached = [f for _s, f in STAGES if getattr(case, f) is not None]
    consents = CONSENTS if case.introduced_on else ()
    manager = ("manager",) if case.assigned_on else ()
    return (*reached, *consents, *manager, *FREE_FIELDS)


def _check_dates(case: BrokerCase) -> None:
    """The reached stages' dates in stage order, the consents between opening and introduction, the first
    meeting not before negotiation began."""
    reached = [(stage, getattr(case, f)) for stage, f in STAGES if getattr(case, f) is not None]
    for (prev, prev_on), (stage, on) in pairwise(reached):
        if on < prev_on:
            raise ValidationError(
                _("“%(stage)s”日期 %(on)s 不能早于上一阶段“%(prev)s”的日期 %(prev_on)s")
                % {"stage": _stage_label(stage), "on": on, "prev": _stage_label(prev), "prev_on": prev_on}
            )
    if case.introduced_on:
        for consent in (case.buyer_consent_on, case.seller_consent_on):
            if consent is None or consent < case.opened_on or consent > case.introduced_on:
                raise ValidationError(_("同意对接日期须在立案日期与介绍对接日期之间"))
    first = case.meetings.order_by("held_on").values_list("held_on", flat=True).first() if case.pk else None
    if case.negotiating_on and first and case.negotiating_on > first:
        raise ValidationError(_("洽谈开始日期不能晚于首次洽谈记录的日期 %(d)s") % {"d": first})


def update_case(*, user, case: BrokerCase, **data) -> BrokerCase:
    """Correct an open case: `data` holds fields of `editable_fields(case)`. A reached stage keeps a date, dates
    keep the stage order; an institution user assigns only its own institution's managers. Each change is
    audited old → new (`case.update`); an edit that changes nothing writes nothing."""
    if not can_move(user, case):
        raise PermissionDenied(_("只有科技局工作人员或所指派技术经理人的机构可以修改案件"))
    stored = BrokerCase.objects.select_related("manager__institution", "event").get(pk=case.pk)
    if not stored.is_open:
        raise ValidationError(_("案件已%(s)s，不能再修改") % {"s": stored.get_stage_display()})
    allowed = editable_fields(stored)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("案件当前阶段不能修改：%(f)s") % {"f": "、".join(_label(f) for f in unknown)})
    for name in (*(f for _s, f in STAGES), *CONSENTS, "manager"):
        if name in data and data[name] is None:
            raise ValidationError(_("%(f)s不能清空") % {"f": _label(name)})
    manager = data.get("manager")
    if manager is not None and manager != stored.manager and not user.is_bureau:
        if manager.institution_id is None or manager.institution.organisation_id != user.organisation_id:
            raise ValidationError(_("只能指派本机构的技术经理人"))
    before = {name: getattr(stored, name) for name in data}
    for name, value in data.items():
        setattr(stored, name, value.strip() if isinstance(value, str) else value)
    _check_dates(stored)
    # Changed by value (a manager by its record: two managers may share a name), shown by name.
    changes = {
        name: [audit.jsonable(_shown(before[name])), audit.jsonable(_shown(getattr(stored, name)))]
        for name in data
        if not audit.same(before[name], getattr(stored, name))
    }
    if not changes:
        return stored
    with transaction.atomic():
        stored.save(update_fields=[n for n in data if n in changes])
        audit.record(
            actor=user,
            action="case.update",
            obj=stored,
            changes=changes,
            note=f"修改{'、'.join(_label(n) for n in changes)}：{stored}"[:500],
        )
    return stored


def _label(name: str) -> str:
    return str(BrokerCase._meta.get_field(name).verbose_name)


def _shown(value):
    """A value as the audit shows it: a manager or an event by its name, not its number."""
    return str(value) if isinstance(value, (TechnologyManager, MatchmakingEvent)) else value


def save_event(*, user, form) -> MatchmakingEvent:
    """A matchmaking event (对接会 / 路演) from a valid EventForm, by bureau staff."""
    if not (_active(user) and user.is_bureau):
        raise PermissionDenied(_("只有科技局工作人员可以登记对接活动"))
    new = form.instance.pk is None
    with transaction.atomic():
        if new:
            form.instance.created_by = user
        event = form.save()
        audit.record(
            actor=user,
            action="matchmaking_event.create" if new else "matchmaking_event.update",
            obj=event,
            note=f"{event.get_kind_display()}：{event.title}",
        )
    return event
