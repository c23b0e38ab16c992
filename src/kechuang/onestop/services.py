"""Writes of one-stop services and 包联: requests (submit, route, accept, complete, refuse, withdraw, rate),
assignments of firms to officials, visits and their follow-ups.

Decisions come from the engines: where a request goes (`engine.onestop.routing.route`), its deadline in Chinese
working days (`routing.deadline`); the services record them with the rule version and an audit event.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.accounts.models import Role
from kechuang.carriers.models import Residency
from kechuang.core import audit
from kechuang.engine.onestop import routing
from kechuang.engine.ruledata import RuleDataError
from kechuang.rules import selectors as rules

from . import selectors
from .models import Assignment, Office, ServiceRequest, Visit

ROUTING_RULE = ("service_routing", "default")


def _require(flag: bool, message: str) -> None:
    if not flag:
        raise PermissionDenied(message)


def routing_params(as_of: dt.date):
    try:
        return rules.rule_in_force(*ROUTING_RULE, as_of), rules.params(*ROUTING_RULE, as_of)
    except RuleDataError as exc:
        raise ValidationError(exc.message) from None


def may_submit_for(user, enterprise) -> bool:
    """A firm for itself; the bureau (officials, the hall) for any firm."""
    if not user.is_authenticated:
        return False
    if user.role == Role.ENTERPRISE_USER:
        return user.enterprise_id == enterprise.pk
    return user.is_bureau  # the bureau sees every firm (enterprises_for)


def route_for(enterprise, category: str, as_of: dt.date) -> dict:
    """Where a request of this firm and category goes (engine), with the offices as the engine reads them."""
    _doc, params = routing_params(as_of)
    offices = [
        {"id": o.pk, "name": o.name, "carrier_id": o.carrier_id, "categories": list(o.categories or [])}
        for o in Office.objects.order_by("order", "pk")
    ]
    resident = [
        {"id": r.carrier_id, "name": r.carrier.name}
        for r in Residency.objects.filter(enterprise=enterprise, end__isnull=True)
        .select_related("carrier")
        .order_by("-start", "-pk")
    ]
    return routing.route(category, offices, resident, params)


def submit(
    *,
    user,
    enterprise,
    category: str,
    title: str,
    detail: str = "",
    source: str | None = None,
    catalogue_service: str = "",
    on: dt.date | None = None,
    assigned_to=None,
) -> ServiceRequest:
    """A firm's request, routed by the engine; `assigned_to` names the official who follows it (包联)."""
    _require(may_submit_for(user, enterprise), _("无权为该企业提交服务单"))
    if category not in routing.CATEGORIES:
        raise ValidationError(_("请选择事项类别"))
    if not title.strip():
        raise ValidationError(_("请填写事项名称"))
    on = on or timezone.localdate()
    source = source or (
        ServiceRequest.Source.ENTERPRISE if user.role == Role.ENTERPRISE_USER else ServiceRequest.Source.OFFICIAL
    )
    route = route_for(enterprise, category, on)
    with transaction.atomic():
        req = ServiceRequest.objects.create(
            enterprise=enterprise,
            category=category,
            title=title.strip()[:128],
            detail=detail.strip(),
            source=source,
            catalogue_service=catalogue_service,
            office_id=route["office_id"],
            route_reason=route["reason"][:300],
            submitted_by=user,
            submitted_on=on,
            assigned_to=assigned_to,
        )
        audit.record(
            actor=user,
            action="service_request.submit",
            obj=req,
            enterprise=enterprise,
            note=f"{req.get_category_display()}：{req.title}；{route['reason']}",
        )
    return req


def from_diagnosis(*, user, enterprise, service_id: str) -> ServiceRequest:
    """One click on the diagnosis report's service list: a request for that catalogue service."""
    from kechuang.points.catalogue import load_catalogue

    service = next((s for s in load_catalogue() if s.id == service_id), None)
    if service is None:
        raise ValidationError(_("诊断服务目录中没有该服务"))
    open_ = ServiceRequest.objects.filter(
        enterprise=enterprise, catalogue_service=service_id, status__in=ServiceRequest.OPEN
    ).first()
    if open_ is not None:
        raise ValidationError(_("该服务已有办理中的服务单（编号 %(n)s）") % {"n": open_.pk})
    today = timezone.localdate()
    _doc, params = routing_params(today)
    category = routing.category_for_diagnosis(service.category, params)
    if category is None:
        raise ValidationError(
            _("服务类别“%(c)s”尚未对应到服务单事项类别，请在“规则与参数”中补充") % {"c": service.category}
        )
    return submit(
        user=user,
        enterprise=enterprise,
        category=category,
        title=service.label,
        detail=f"{service.description}\n提供方：{service.provider}",
        source=ServiceRequest.Source.DIAGNOSIS,
        catalogue_service=service_id,
        on=today,
    )


def _require_handle(user, req: ServiceRequest) -> None:
    _require(selectors.can_handle(user, req), _("只有受理窗口（科技局或该载体运营方）可以办理该服务单"))


def accept(*, user, request: ServiceRequest, on: dt.date | None = None, assigned_to=None) -> ServiceRequest:
    _require_handle(user, request)
    if request.status != ServiceRequest.Status.SUBMITTED:
        raise ValidationError(_("服务单当前为“%(s)s”，不能受理") % {"s": request.get_status_display()})
    on = on or timezone.localdate()
    if on < request.submitted_on:
        raise ValidationError(_("受理日期不能早于提交日期"))
    doc, params = routing_params(on)
    due = routing.deadline(on, request.category, params)
    with transaction.atomic():
        request.status, request.accepted_on = ServiceRequest.Status.ACCEPTED, on
        request.due_on, request.deadline_basis, request.rule_key = due["due_on"], due["basis"][:300], doc.key
        request.assigned_to = assigned_to or user
        request.save()
        audit.record(
            actor=user,
            action="service_request.accept",
            obj=request,
            enterprise=request.enterprise,
            changes={"status": ["submitted", "accepted"], "due_on": [None, due["due_on"].isoformat()]},
            note=due["basis"][:300],
        )
    return request


def reroute(*, user, request: ServiceRequest, office: Office, note: str = "") -> ServiceRequest:
    _require_handle(user, request)
    if request.status not in ServiceRequest.OPEN:
        raise ValidationError(_("已办结或已终止的服务单不能转办"))
    if request.category not in (office.categories or []):
        raise ValidationError(_("%(o)s 不受理%(c)s事项") % {"o": office.name, "c": request.get_category_display()})
    with transaction.atomic():
        before = request.office_id
        request.office = office
        request.route_reason = (_("转办：%(n)s") % {"n": note.strip()} if note.strip() else _("人工转办"))[:300]
        request.save(update_fields=["office", "route_reason", "updated_at"])
        audit.record(
            actor=user,
            action="service_request.route",
            obj=request,
            enterprise=request.enterprise,
            changes={"office": [before, office.pk]},
            note=f"转至 {office.name}；{note}"[:300],
        )
    return request


def complete(*, user, request: ServiceRequest, result: str, on: dt.date | None = None) -> ServiceRequest:
    _require_handle(user, request)
    if request.status != ServiceRequest.Status.ACCEPTED:
        raise ValidationError(_("只有办理中的服务单可以办结"))
    if not result.strip():
        raise ValidationError(_("请填写办理结果"))
    on = on or timezone.localdate()
    if on < request.accepted_on:
        raise ValidationError(_("办结日期不能早于受理日期"))
    with transaction.atomic():
        request.status, request.finished_on, request.result = ServiceRequest.Status.COMPLETED, on, result.strip()
        request.save()
        audit.record(
            actor=user,
            action="service_request.complete",
            obj=request,
            enterprise=request.enterprise,
            changes={"status": ["accepted", "completed"]},
            note=result[:300],
        )
    return request


def reject(*, user, request: ServiceRequest, reason: str, on: dt.date | None = None) -> ServiceRequest:
    _require_handle(user, request)
    if request.status != ServiceRequest.Status.SUBMITTED:
        raise ValidationError(_("只有待受理的服务单可以不予受理"))
    if not reason.strip():
        raise ValidationError(_("请填写不予受理的理由"))
    with transaction.atomic():
        request.status, request.finished_on = ServiceRequest.Status.REJECTED, on or timezone.localdate()
        request.result = reason.strip()
        request.save()
        audit.record(
            actor=user,
            action="service_request.reject",
            obj=request,
            enterprise=request.enterprise,
            changes={"status": ["submitted", "rejected"]},
            note=reason[:300],
        )
    return request


def withdraw(*, user, request: ServiceRequest) -> ServiceRequest:
    _require(may_submit_for(user, request.enterprise), _("无权撤回该服务单"))
    if request.status not in ServiceRequest.OPEN:
        raise ValidationError(_("服务单当前为“%(s)s”，不能撤回") % {"s": request.get_status_display()})
    with transaction.atomic():
        before = request.status
        request.status, request.finished_on = ServiceRequest.Status.WITHDRAWN, timezone.localdate()
        request.save()
        audit.record(
            actor=user,
            action="service_request.withdraw",
            obj=request,
            enterprise=request.enterprise,
            changes={"status": [before, "withdrawn"]},
        )
    return request


def rate(*, user, request: ServiceRequest, rating: int, comment: str = "") -> ServiceRequest:
    """The firm rates a completed request (the bureau may record a rating given by phone)."""
    own = user.role == Role.ENTERPRISE_USER and user.enterprise_id == request.enterprise_id
    _require(own or user.is_bureau, _("只有企业本身（或科技局代为登记）可以评价"))
    if request.status != ServiceRequest.Status.COMPLETED:
        raise ValidationError(_("只有已办结的服务单可以评价"))
    if request.rating is not None:
        raise ValidationError(_("该服务单已评价"))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError(_("满意度应为 1 至 5 星"))
    with transaction.atomic():
        request.rating, request.rating_comment, request.rated_at = rating, comment.strip()[:300], timezone.now()
        request.save()
        audit.record(
            actor=user,
            action="service_request.rate",
            obj=request,
            enterprise=request.enterprise,
            changes={"rating": [None, rating]},
            note=comment[:300],
        )
    return request


HTE_COACHING = "高新技术企业重新认定辅导"


def hte_coaching(*, user, enterprise) -> ServiceRequest:
    """A 高企 due to re-apply: a cultivation request for coaching, followed by the firm's official (包联)."""
    _require(user.is_bureau, _("只有科技局可以生成服务单"))
    open_ = ServiceRequest.objects.filter(
        enterprise=enterprise, title=HTE_COACHING, status__in=ServiceRequest.OPEN
    ).first()
    if open_ is not None:
        raise ValidationError(_("该企业已有办理中的重新认定辅导服务单（编号 %(n)s）") % {"n": open_.pk})
    return submit(
        user=user,
        enterprise=enterprise,
        category="cultivation",
        title=HTE_COACHING,
        detail=_("高企证书即将到期，需按新申请重新认定（复审已取消），请对照认定条件辅导申报。"),
        source=ServiceRequest.Source.OFFICIAL,
        assigned_to=selectors.official_of(enterprise),
    )


# ---------------------------------------------------------------- 包联


def assign(*, user, official, enterprise, since: dt.date, note: str = "") -> Assignment:
    """Assign a firm to an official; a firm's current assignment to someone else ends the day before."""
    _require(user.is_bureau, _("只有科技局可以安排包联"))
    if official.role not in (Role.BUREAU_ADMIN, Role.BUREAU_STAFF):
        raise ValidationError(_("包联干部须为科技局工作人员"))
    with transaction.atomic():
        current = Assignment.objects.filter(enterprise=enterprise, until__isnull=True).first()
        if current is not None:
            if current.official_id == official.pk:
                raise ValidationError(_("%(e)s 已由 %(o)s 包联") % {"e": enterprise.name, "o": official})
            if since <= current.since:
                raise ValidationError(
                    _("新的包联起始日期须晚于现包联的起始日期 %(d)s") % {"d": f"{current.since:%Y-%m-%d}"}
                )
            current.until = since
            current.save(update_fields=["until"])
        try:
            with transaction.atomic():
                obj = Assignment.objects.create(
                    official=official, enterprise=enterprise, since=since, note=note.strip()[:200]
                )
        except IntegrityError:
            raise ValidationError(_("%(e)s 已有包联干部") % {"e": enterprise.name}) from None
        audit.record(
            actor=user,
            action="assignment.save",
            obj=obj,
            enterprise=enterprise,
            changes={"official": [current.official_id if current else None, official.pk]},
            note=f"{official} 自 {since:%Y-%m-%d} 起包联 {enterprise.name}",
        )
    return obj


def end_assignment(*, user, assignment: Assignment, until: dt.date) -> Assignment:
    _require(user.is_bureau, _("只有科技局可以调整包联"))
    if assignment.until is not None:
        raise ValidationError(_("该包联已结束"))
    if until <= assignment.since:
        raise ValidationError(_("结束日期须晚于包联起始日期"))
    with transaction.atomic():
        assignment.until = until
        assignment.save(update_fields=["until"])
        audit.record(
            actor=user,
            action="assignment.end",
            obj=assignment,
            enterprise=assignment.enterprise,
            changes={"until": [None, until.isoformat()]},
        )
    return assignment


def record_visit(
    *,
    user,
    enterprise,
    visited_on: dt.date,
    kind: str,
    notes: str,
    follow_up: str = "",
    follow_up_due: dt.date | None = None,
) -> Visit:
    _require(user.is_bureau, _("只有科技局工作人员可以登记走访"))
    if visited_on > timezone.localdate():
        raise ValidationError(_("走访日期不能晚于今天"))
    if not notes.strip():
        raise ValidationError(_("请填写走访记录"))
    if follow_up_due and not follow_up.strip():
        raise ValidationError(_("填写了待办期限，请同时填写待办事项"))
    if follow_up_due and follow_up_due < visited_on:
        raise ValidationError(_("待办期限不能早于走访日期"))
    with transaction.atomic():
        visit = Visit.objects.create(
            official=user,
            enterprise=enterprise,
            visited_on=visited_on,
            kind=kind,
            notes=notes.strip(),
            follow_up=follow_up.strip()[:300],
            follow_up_due=follow_up_due,
        )
        audit.record(
            actor=user,
            action="visit.save",
            obj=visit,
            enterprise=enterprise,
            note=f"{visited_on:%Y-%m-%d} {visit.get_kind_display()}" + (f"；待办：{follow_up}" if follow_up else ""),
        )
    return visit


def follow_up_done(*, user, visit: Visit, on: dt.date | None = None) -> Visit:
    _require(user.is_bureau, _("只有科技局工作人员可以办结待办"))
    if not visit.follow_up:
        raise ValidationError(_("该走访没有待办事项"))
    if visit.follow_up_done_on is not None:
        raise ValidationError(_("该待办已办结"))
    with transaction.atomic():
        visit.follow_up_done_on = on or timezone.localdate()
        visit.save(update_fields=["follow_up_done_on"])
        audit.record(
            actor=user,
            action="visit.follow_up_done",
            obj=visit,
            enterprise=visit.enterprise,
            changes={"follow_up_done_on": [None, visit.follow_up_done_on.isoformat()]},
        )
    return visit
