"""The demo's technology contracts: the seeds' scale (736 contracts and 42亿 a year at 8000 firms, scaled down for
smaller demos), every state, numbers unique, decisions the engine's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import polars as pl
import pytest

from kechuang.demo import techtransfer
from kechuang.engine.techtransfer import contracts as engine
from kechuang.techtransfer.models import TechContract

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 7)


def region(firms: int) -> SimpleNamespace:
    return SimpleNamespace(seed=2024, facts=pl.DataFrame({"uscc": [f"u{i}" for i in range(firms)]}))


@pytest.fixture
def sxu(world):
    inst = world["users"]["institution_user"].organisation
    inst.region_id = "140105"
    inst.save()
    return inst


def test_two_years_at_the_seeds_scale_in_every_state(world, sxu):
    assert techtransfer.build(region(8000), progress=lambda _: None, today=TODAY) == {"tech_contracts": 1472}
    qs = TechContract.objects.all()
    first = qs.filter(received_on__lte=TODAY - dt.timedelta(days=365))
    assert first.count() == 736
    # 42亿: the year's totals are drawn to add up to it; the few contracts given a zero price (to be refused as
    # price_unclear) take their share out of it.
    total = sum(c.total_amount for c in first)
    assert Decimal(420000) * Decimal("0.97") < total <= Decimal(420000) + Decimal(1)
    states = {s: qs.filter(status=s).count() for s in TechContract.Status.values}
    assert all(n > 0 for n in states.values()), states
    assert {"not_written", "party_unclear", "amounts_inconsistent"} <= set(
        qs.filter(status="refused").values_list("reason_code", flat=True)
    )
    assert qs.filter(status="submitted", due_on__lt=TODAY).exists()  # open past the deadline
    numbers = list(qs.filter(status="registered").values_list("registration_no", flat=True))
    assert len(set(numbers)) == len(numbers) and all(len(n) == 16 and n.isdigit() for n in numbers)
    assert qs.filter(institution=sxu).exists()
    for c in qs.filter(status="registered")[:50]:  # the engine's decision under the rules of the receipt date
        decision = engine.check(
            engine.Contract(
                **{
                    f: getattr(c, f)
                    for f in (
                        "contract_no",
                        "type",
                        "seller_name",
                        "seller_uscc",
                        "buyer_name",
                        "buyer_uscc",
                        "buyer_country",
                        "signed_on",
                        "total_amount",
                        "non_tech_amount",
                        "written",
                    )
                }
            ),
            c.received_on,
            engine.rules_on(c.received_on),
        )
        assert (decision.registered, decision.tech_amount, decision.deadline.date) == (True, c.tech_amount, c.due_on)
    q1 = qs.filter(received_on__gte=dt.date(2026, 1, 1), received_on__lte=dt.date(2026, 3, 31)).count()
    assert 10 <= q1 <= 45  # 晋中's first quarter: 24
