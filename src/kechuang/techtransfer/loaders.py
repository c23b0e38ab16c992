"""Database → engine values from the contract register.

`tech_amounts(year)` is what the innovation-points indicator 企业技术合同成交额 (facts column
`tech_contract_amount`, 万元, as seller) reads from registration: the approved technology transaction amount
(技术交易额, not the contract total) of the contracts registered in that year, summed per seller USCC. Refused
and open contracts count for nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from .models import TechContract


def tech_amounts(year: int) -> dict[str, Decimal]:
    rows = (
        TechContract.objects.filter(status=TechContract.Status.REGISTERED, decided_on__year=year)
        .values("seller_uscc")
        .annotate(amount=Sum("tech_amount"))
        .order_by("seller_uscc")
    )
    return {r["seller_uscc"]: r["amount"] for r in rows}
