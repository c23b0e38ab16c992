"""Monitoring runs after each import: a fall in R&D expense raises an alert for the imported year."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kechuang.enterprises import importing
from kechuang.enterprises.models import AnnualFigure
from kechuang.points.models import Alert
from tests.registry.test_import import write_csv


@pytest.mark.django_db
def test_import_refreshes_alerts(world, tmp_path):
    a = world["a"]
    AnnualFigure.objects.filter(enterprise=a, year=2024).update(rd_expense=Decimal(200))
    header = ["统一社会信用代码", "企业名称", "年度", "研发费用(万元)"]
    path = write_csv(tmp_path / "r.csv", [[a.uscc, a.name, 2025, "150"]], header=header)
    importing.import_facts(path, actor=world["users"]["bureau_staff"])
    alert = Alert.objects.get(enterprise=a, year=2025, rule="rd_expense_drop")
    assert "下降 25" in alert.message
    # Importing the same file again changes nothing, so no monitoring run and no second alert.
    importing.import_facts(path, actor=world["users"]["bureau_staff"])
    assert Alert.objects.filter(enterprise=a, rule="rd_expense_drop").count() == 1


@pytest.mark.django_db
def test_dry_run_raises_no_alerts(world, tmp_path):
    AnnualFigure.objects.filter(enterprise=world["a"], year=2024).update(rd_expense=Decimal(200))
    header = ["统一社会信用代码", "企业名称", "年度", "研发费用(万元)"]
    path = write_csv(tmp_path / "r.csv", [[world["a"].uscc, world["a"].name, 2025, "150"]], header=header)
    importing.import_facts(path, dry_run=True)
    assert not Alert.objects.exists()
