"""Policy fixtures: the shipped library loaded, and facts that make the R&D subsidy decide three ways.

rd_subsidy (facts_year: last) as of 2025-06-30 reads the 2024 figures: firm a (R&D 150万, 高企) → band
50–200 = 5万; firm b (R&D 250万, 高企) → band 200–500 = 10万; firm c (R&D 40万, 高企) fails only `rd_min`
(a near miss, 10万 short).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def library(ref):
    from kechuang.policies import services

    services.load_shipped_policies()


@pytest.fixture
def pworld(world, library):
    from kechuang.enterprises.models import AnnualFigure

    for key, rd in (("a", "150"), ("b", "250"), ("c", "40")):
        AnnualFigure.objects.filter(enterprise=world[key], year=2024).update(rd_expense=Decimal(rd),
                                                                              hte_certified=True)
    return world


def policy(code):
    from kechuang.policies.models import Policy

    return Policy.objects.get(code=code)
