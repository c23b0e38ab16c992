"""Access-checked reads of technology contracts, and the registration statistics.

Who sees what:
- bureau admin / staff: every contract; they decide registrations and see the statistics;
- institution user: its own institution's contracts (it records them);
- everyone else (firms, banks, park operators, the audit admin): nothing.
A contract outside the user's scope is a 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractQuarter, ExtractYear
from django.http import Http404

from kechuang.accounts import access
from kechuang.accounts.models import Role
from kechuang.core.models import Region
from kechuang.engine.techtransfer.contracts import type_names

from .models import TechContract

PERIODS = {"month": "按月", "quarter": "按季度", "year": "按年"}
DIMENSIONS = {
    "period": "时间",
    "type": "合同类型",
    "seller_region": "输出地区（卖方）",
    "buyer_region": "吸纳地区（买方）",
    "institution": "卖方高校院所",
}


def is_institution_user(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.INSTITUTION_USER and user.organisation_id)


def can_use(user) -> bool:
    """The contract pages: the "techtransfer" area of the access table."""
    return access.allowed(user, "techtransfer")


def can_record(user) -> bool:
    return can_use(user)


def can_decide(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_bureau)


def contracts_for(user) -> QuerySet[TechContract]:
    qs = TechContract.objects.select_related("institution", "decided_by")
    if not can_use(user):
        return qs.none()
    if user.is_bureau:
        return qs
    return qs.filter(institution_id=user.organisation_id)


def contract_for(user, pk: int) -> TechContract:
    found = contracts_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("技术合同不存在或无权查看")
    return found


def filtered(
    qs: QuerySet[TechContract],
    *,
    status: str = "",
    type: str = "",
    q: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[TechContract]:
    """The list's filters: status, type, a word in the number, project or party names, the receipt dates."""
    if status:
        qs = qs.filter(status=status)
    if type:
        qs = qs.filter(type=type)
    if q:
        qs = qs.filter(
            Q(contract_no__icontains=q)
            | Q(project__icontains=q)
            | Q(seller_name__icontains=q)
            | Q(buyer_name__icontains=q)
            | Q(registration_no__icontains=q)
        )
    if start:
        qs = qs.filter(received_on__gte=start)
    if end:
        qs = qs.filter(received_on__lte=end)
    return qs


def _period_label(period: str, row: dict) -> str:
    if period == "month":
        return f"{row['y']}-{row['m']:02d}"
    if period == "quarter":
        return f"{row['y']} 年第 {row['q']} 季度"
    return f"{row['y']} 年"


def statistics(
    user, *, by: str, period: str = "quarter", start: dt.date | None = None, end: dt.date | None = None
) -> list[dict]:
    """Registered contracts grouped by `by` (period, type, seller_region, buyer_region, institution), dated by the
    registration date: [{key, label, count, total_amount, tech_amount}], largest technology amount first except
    for periods (in time order). Amounts in 万元, exact."""
    if not can_decide(user):
        return []
    qs = TechContract.objects.filter(status=TechContract.Status.REGISTERED)
    if start:
        qs = qs.filter(decided_on__gte=start)
    if end:
        qs = qs.filter(decided_on__lte=end)
    sums = {"count": Count("pk"), "total_amount": Sum("total_amount"), "tech_amount": Sum("tech_amount")}
    if by == "period":
        keys = {"y": ExtractYear("decided_on")}
        if period == "month":
            keys["m"] = ExtractMonth("decided_on")
        elif period == "quarter":
            keys["q"] = ExtractQuarter("decided_on")
        rows = qs.annotate(**keys).values(*keys).annotate(**sums).order_by(*keys)
        return [_row("-".join(str(r[k]) for k in keys), _period_label(period, r), r) for r in rows]
    if by == "institution":
        rows = qs.values("institution__name").annotate(**sums).order_by("-tech_amount", "institution__name")
        return [_row(r["institution__name"] or "", r["institution__name"] or "企业及其他卖方", r) for r in rows]
    rows = list(qs.values(by).annotate(**sums).order_by("-tech_amount", by))
    if by == "type":
        names = type_names()
        return [_row(r[by], names.get(r[by], r[by]), r) for r in rows]
    regions = dict(Region.objects.filter(code__in=[r[by] for r in rows]).values_list("code", "name"))
    return [_row(r[by], regions.get(r[by]) or (r[by] or "境外或未填"), r) for r in rows]


def _row(key: str, label: str, r: dict) -> dict:
    return {
        "key": key,
        "label": label,
        "count": r["count"],
        "total_amount": r["total_amount"] or Decimal(0),
        "tech_amount": r["tech_amount"] or Decimal(0),
    }


def totals(rows: list[dict]) -> dict:
    return {
        "count": sum(r["count"] for r in rows),
        "total_amount": sum((r["total_amount"] for r in rows), Decimal(0)),
        "tech_amount": sum((r["tech_amount"] for r in rows), Decimal(0)),
    }
