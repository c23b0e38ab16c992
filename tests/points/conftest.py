"""Points fixtures: the shared `world` with two years of figures, a tier run and a scoring run of 2024.

Figures (万元): a 3000 revenue (成长期), b 800 (成长期), c 52000 (稳定期); R&D 150 in 2024 for all.
2023: a R&D 150 (flat), b R&D 200 (2024 is −25%: the R&D-drop alert fires), c has no 2023 row.
b holds a 高企 certificate with 8 tech staff of 100 (8% < 10%: the tech-staff alert fires).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest


@pytest.fixture
def figures(world):
    from kechuang.enterprises.models import AnnualFigure

    a, b = world["a"], world["b"]
    AnnualFigure.objects.create(
        enterprise=a,
        year=2023,
        staff_total=90,
        tech_staff=20,
        revenue=Decimal("2500"),
        rd_expense=Decimal("150"),
    )
    AnnualFigure.objects.create(
        enterprise=b,
        year=2023,
        staff_total=90,
        tech_staff=20,
        revenue=Decimal("700"),
        rd_expense=Decimal("200"),
    )
    AnnualFigure.objects.filter(enterprise=b, year=2024).update(
        tech_staff=8, hte_certified=True, hte_certified_on=dt.date(2022, 11, 1)
    )
    return world


@pytest.fixture
def scored(figures):
    from kechuang.points.services import score_year
    from kechuang.tiers.services import evaluate_all

    evaluate_all(dt.date(2025, 6, 30))
    run = score_year(2024, user=figures["users"]["bureau_staff"])
    return {**figures, "run": run}
