"""Database → engine values from the contract register.

`registered_tech_amounts(years)` is what the innovation-points indicator 企业技术合同成交额 (facts column
`tech_contract_amount`, 万元, as seller) reads from registration (engine/points/registered.py decides how it meets
the reported figure): per seller USCC and year of the registration decision, the sum of the approved technology
transaction amounts (技术交易额, not the contract totals). Refused and open contracts count for nothing.
"""

from __future__ import annotations

import polars as pl
from django.db.models import Sum

from kechuang.engine.points.registered import REGISTERED_SCHEMA

from .models import TechContract


def registered_tech_amounts(years) -> pl.DataFrame:
    rows = (
        TechContract.objects.filter(status=TechContract.Status.REGISTERED, decided_on__year__in=list(years))
        .values("seller_uscc", "decided_on__year")
        .annotate(amount=Sum("tech_amount"))
        .order_by("seller_uscc", "decided_on__year")
    )
    return pl.DataFrame(
        [(r["seller_uscc"], r["decided_on__year"], float(r["amount"])) for r in rows],
        schema=REGISTERED_SCHEMA,
        orient="row",
    )
