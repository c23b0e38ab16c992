"""Carriers fixtures on the shared `world`: the valley (the park operator's) and another operator's incubator."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def cworld(world):
    from kechuang.carriers.models import Carrier, Residency

    other = Carrier.objects.get(name="别的孵化器")
    # These tests start from an incubator with no residents on record (the shared world puts c there to separate
    # the operators' scopes); each test adds the residencies it compares KPIs with.
    Residency.objects.filter(carrier=other).delete()
    other.level, other.area_m2, other.opened_on, other.mentors, other.seed_fund = (
        "national",
        12000,
        dt.date(2018, 1, 1),
        6,
        500,
    )
    other.save()
    return {
        **world,
        "other": other,
        "operator": world["users"]["park_operator"],
        "staff": world["users"]["bureau_staff"],
    }


def month(y: int, m: int) -> dt.date:
    return dt.date(y, m, 1)
