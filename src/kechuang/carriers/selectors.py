"""Access-checked reads of carriers, residents, applications, KPIs and rankings.

Who sees what:
- bureau admin / staff: every carrier and everything in it;
- park operator: the carriers its organisation operates, their residents, applications, KPIs, equipment and
  projects; the monthly ranking board (carriers' ranks are published to all carriers);
- enterprise user: its own firm's residencies and applications, and the list of carriers open for
  applications (name, kind, level: public information);
- bank and institution users: nothing here.
A carrier, residency or application outside the user's scope is a 404 ("not found"), as for enterprises.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from kechuang.accounts import access
from kechuang.accounts.models import Role

from .models import Application, Carrier, KpiReport, OffshoreProject, RankingEntry, RankingRun, Residency


def is_operator(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.PARK_OPERATOR and user.organisation_id)


def can_read_carriers(user) -> bool:
    """The carrier pages (list, detail, KPIs, ranking): bureau and park operators."""
    return access.allowed(user, "carriers")


def carriers_for(user) -> QuerySet[Carrier]:
    qs = Carrier.objects.select_related("operator", "region", "parent")
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_bureau:
        return qs
    if is_operator(user):
        return qs.filter(operator_id=user.organisation_id)
    return qs.none()


def carrier_for(user, pk: int) -> Carrier:
    carrier = carriers_for(user).filter(pk=pk).first()
    if carrier is None:
        raise Http404("载体不存在或无权查看")
    return carrier


def can_manage(user, carrier: Carrier) -> bool:
    """Who writes a carrier's records (KPIs, residents, applications, equipment): the bureau or its operator."""
    return bool(
        user.is_authenticated
        and (user.is_bureau or (is_operator(user) and carrier.operator_id == user.organisation_id))
    )


def open_for_applications() -> QuerySet[Carrier]:
    """Carriers a firm or team may apply to: operating, and of a kind that hosts residents."""
    return (
        Carrier.objects.filter(status=Carrier.Status.OPERATING)
        .exclude(kind__in=[Carrier.Kind.OFFSHORE_CENTRE])
        .order_by("kind", "name")
    )


def residencies_for(user) -> QuerySet[Residency]:
    qs = Residency.objects.select_related("carrier", "enterprise", "team__institution")
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_bureau:
        return qs
    if is_operator(user):
        return qs.filter(carrier__operator_id=user.organisation_id)
    if user.role == Role.ENTERPRISE_USER and user.enterprise_id:
        return qs.filter(enterprise_id=user.enterprise_id)
    return qs.none()


def residency_for(user, pk: int) -> Residency:
    found = residencies_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("入驻记录不存在或无权查看")
    return found


def applications_for(user) -> QuerySet[Application]:
    qs = Application.objects.select_related("carrier", "enterprise", "team", "institution", "residency")
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_bureau:
        return qs
    if is_operator(user):
        return qs.filter(carrier__operator_id=user.organisation_id)
    if user.role == Role.ENTERPRISE_USER and user.enterprise_id:
        return qs.filter(enterprise_id=user.enterprise_id)
    return qs.none()


def application_for(user, pk: int) -> Application:
    found = applications_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("入驻申请不存在或无权查看")
    return found


def kpis_for(user) -> QuerySet[KpiReport]:
    return KpiReport.objects.filter(carrier__in=carriers_for(user)).select_related("carrier")


def offshore_for(user) -> QuerySet[OffshoreProject]:
    return OffshoreProject.objects.filter(carrier__in=carriers_for(user)).select_related("carrier", "enterprise")


def current(qs: QuerySet[Residency], on=None) -> QuerySet[Residency]:
    """Residencies running on date `on` (default: without an end)."""
    if on is None:
        return qs.filter(end__isnull=True)
    return qs.filter(start__lte=on).filter(Q(end__isnull=True) | Q(end__gt=on))


def latest_run(month=None) -> RankingRun | None:
    qs = RankingRun.objects.all()
    if month is not None:
        qs = qs.filter(month=month)
    return qs.order_by("-month", "-created_at", "-pk").first()


def ranking_months() -> list:
    return list(RankingRun.objects.order_by("-month").values_list("month", flat=True).distinct())


def rank_history(carrier: Carrier) -> list[RankingEntry]:
    """The carrier's entry in the latest run of each month, oldest first."""
    latest_per_month = {}
    for run_id, month in RankingRun.objects.order_by("month", "created_at", "pk").values_list("pk", "month"):
        latest_per_month[month] = run_id
    return list(
        RankingEntry.objects.filter(carrier=carrier, run_id__in=latest_per_month.values())
        .select_related("run")
        .order_by("run__month")
    )
