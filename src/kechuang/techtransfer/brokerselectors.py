"""Access-checked reads of brokering: cases, the funnel, technology managers' caseload and results, events.

Who sees which cases:
- bureau admin / staff: every case;
- institution user: the cases of its institution (the achievement's) and those its technology managers handle;
- enterprise user: its firm's cases, as the firm with the need or as the firm whose patent is brokered;
- everyone else: none (403). A case outside the scope is a 404.
The funnel, the managers' table and the events are the bureau's.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from kechuang.accounts import access
from kechuang.engine.techtransfer import funnel

from .brokering import BrokerCase, MatchmakingEvent, Stage
from .models import TechContract
from .supplymodels import Field, MatchFeedback, TechnologyManager

GROUPINGS = ("manager", "institution", "field")
OPEN_STAGES = [s for s in Stage.values if s not in (Stage.CONVERTED, Stage.TERMINATED)]


def can_view_cases(user) -> bool:
    return access.allowed(user, "cases")


def can_view_funnel(user) -> bool:
    return access.allowed(user, "funnel")


def cases_for(user) -> QuerySet[BrokerCase]:
    qs = BrokerCase.objects.select_related(
        "enterprise", "seller_enterprise", "need", "achievement", "institution", "manager", "contract", "event"
    )
    if not can_view_cases(user):
        return qs.none()
    if user.is_bureau:
        return qs
    if user.enterprise_id:
        return qs.filter(Q(enterprise_id=user.enterprise_id) | Q(seller_enterprise_id=user.enterprise_id))
    return qs.filter(
        Q(institution__organisation_id=user.organisation_id)
        | Q(manager__institution__organisation_id=user.organisation_id)
    )


def case_for(user, pk: int) -> BrokerCase:
    found = cases_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("案件不存在或无权查看")
    return found


def _reached(case: BrokerCase) -> frozenset:
    dates = {
        "introduced": case.introduced_on,
        "negotiating": case.negotiating_on,
        "signed": case.signed_on,
        "registered": case.registered_on,
        "converted": case.converted_on,
    }
    return frozenset(k for k, v in dates.items() if v is not None)


def _manager_label(manager: TechnologyManager | None) -> str:
    """A manager by name and affiliation: two managers of one name stay apart."""
    if manager is None:
        return ""
    return f"{manager.name}（{manager.affiliation}）" if manager.affiliation else manager.name


def funnel_records(cases: QuerySet[BrokerCase] | None = None) -> list[funnel.Record]:
    """Every case, and every pinned match (MatchFeedback) that no case took up, as funnel records."""
    fields = dict(Field.choices)
    cases = BrokerCase.objects.all() if cases is None else cases
    cases = cases.select_related(
        "manager__institution", "institution", "seller_enterprise", "achievement__manager__institution"
    )
    records = []
    taken = set()
    for c in cases:
        taken.add((c.need_id, c.achievement_id))
        manager = c.manager or (c.achievement.manager if c.achievement_id else None)
        records.append(
            funnel.Record(
                {
                    "manager": _manager_label(manager),
                    "institution": c.seller_name,
                    "field": str(fields.get(c.field, "")),
                },
                _reached(c),
            )
        )
    pinned = MatchFeedback.objects.filter(action=MatchFeedback.Action.PIN).select_related(
        "achievement__manager__institution", "achievement__institution"
    )
    for p in pinned:
        if (p.need_id, p.achievement_id) in taken:
            continue
        a = p.achievement
        records.append(
            funnel.Record(
                {
                    "manager": _manager_label(a.manager),
                    "institution": a.institution.name,
                    "field": str(fields.get(a.field, "")),
                }
            )
        )
    return records


def funnel_view(by: str) -> dict:
    """The funnel's totals with rates, and its table by manager, institution or field."""
    records = funnel_records()
    return {"total": funnel.with_rates(funnel.counts(records)), "rows": funnel.table(records, by, "未指定")}


def managers_table() -> list[dict]:
    """Each technology manager with caseload (open cases) and results: signed, converted, and the registered
    技术交易额 (万元) of their cases' registered contracts. Busiest first."""
    registered = Q(cases__registered_on__isnull=False, cases__contract__status=TechContract.Status.REGISTERED)
    qs = TechnologyManager.objects.select_related("institution").annotate(
        open_cases=Count("cases", filter=Q(cases__stage__in=OPEN_STAGES), distinct=True),
        total_cases=Count("cases", distinct=True),
        signed=Count("cases", filter=Q(cases__signed_on__isnull=False), distinct=True),
        converted=Count("cases", filter=Q(cases__converted_on__isnull=False), distinct=True),
        registered=Count("cases", filter=registered, distinct=True),
        tech_amount=Sum("cases__contract__tech_amount", filter=registered),
    )
    rows = [
        {
            "pk": m.pk,
            "name": m.name,
            "affiliation": m.affiliation,
            "certificate": m.certificate,
            "open_cases": m.open_cases,
            "total_cases": m.total_cases,
            "signed": m.signed,
            "registered": m.registered,
            "converted": m.converted,
            "tech_amount": (m.tech_amount or Decimal(0)).quantize(funnel.CENT),
        }
        for m in qs
    ]
    return sorted(rows, key=lambda r: (-r["open_cases"], -r["converted"], r["name"], r["pk"]))


def events() -> QuerySet[MatchmakingEvent]:
    return MatchmakingEvent.objects.annotate(
        n_enterprises=Count("enterprises", distinct=True),
        n_institutions=Count("institutions", distinct=True),
        n_cases=Count("cases", distinct=True),
    ).order_by("-held_on", "-pk")
