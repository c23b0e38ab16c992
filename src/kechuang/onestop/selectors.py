"""Access-checked reads of service requests, offices, 包联 assignments and visits.

Who sees what:
- bureau admin / staff: every request (the service inbox), every assignment and visit; an official's
  "我的企业" lists the firms assigned to them;
- park operator: the requests routed to its carriers' service halls (it handles them);
- enterprise user: its own firm's requests (it submits, withdraws and rates them);
- bank and institution users: nothing.
A request outside the user's scope is a 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kechuang.accounts import access
from kechuang.accounts.models import Role, User

from .models import Assignment, Office, ServiceRequest, Visit


def is_operator(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.PARK_OPERATOR and user.organisation_id)


def can_use_inbox(user) -> bool:
    """The service-request inbox of the bureau and park operators: the "onestop" area of the access table."""
    return access.allowed(user, "onestop")


def requests_for(user) -> QuerySet[ServiceRequest]:
    qs = ServiceRequest.objects.select_related("enterprise", "office__carrier", "assigned_to", "submitted_by")
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_bureau:
        return qs
    if is_operator(user):
        return qs.filter(office__carrier__operator_id=user.organisation_id)
    if user.role == Role.ENTERPRISE_USER and user.enterprise_id:
        return qs.filter(enterprise_id=user.enterprise_id)
    return qs.none()


def request_for(user, pk: int) -> ServiceRequest:
    found = requests_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("服务单不存在或无权查看")
    return found


def can_handle(user, request: ServiceRequest) -> bool:
    """Accept, complete, refuse, reroute: the bureau, or the operator of the carrier whose hall has it."""
    if not user.is_authenticated:
        return False
    if user.is_bureau:
        return True
    carrier = request.office.carrier if request.office_id else None
    return bool(is_operator(user) and carrier is not None and carrier.operator_id == user.organisation_id)


def offices() -> QuerySet[Office]:
    return Office.objects.select_related("carrier")


def officials() -> QuerySet[User]:
    return User.objects.filter(role__in=(Role.BUREAU_ADMIN, Role.BUREAU_STAFF), is_active=True).order_by(
        "display_name", "username"
    )


def assignments_for(user) -> QuerySet[Assignment]:
    qs = Assignment.objects.select_related("official", "enterprise")
    return qs if user.is_authenticated and user.is_bureau else qs.none()


def current_assignments(user=None) -> QuerySet[Assignment]:
    qs = Assignment.objects.filter(until__isnull=True).select_related("official", "enterprise")
    return qs if user is None else qs.filter(official=user)


def visits_for(user) -> QuerySet[Visit]:
    qs = Visit.objects.select_related("official", "enterprise")
    return qs if user.is_authenticated and user.is_bureau else qs.none()


def official_of(enterprise) -> User | None:
    found = Assignment.objects.filter(enterprise=enterprise, until__isnull=True).select_related("official").first()
    return found.official if found else None
