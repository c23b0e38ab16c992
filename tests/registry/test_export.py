"""Export → import changes nothing; the template's headers map back to every column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kechuang import cli
from kechuang.engine import facts
from kechuang.enterprises import exporting, importing
from kechuang.enterprises.models import AnnualFigure, Enterprise


@pytest.mark.django_db
def test_export_then_import_is_a_round_trip(world, tmp_path):
    a = world["a"]
    a.paid_in_capital = Decimal("1234.5678")
    a.hightech_field = "electronic_information"
    a.strategic_emerging = True
    a.save()
    AnnualFigure.objects.filter(enterprise=a).update(
        net_profit=Decimal("-12.3456"),
        hte_certified=True,
        hte_certified_on=dt.date(2023, 11, 30),
        niche_market_share=Decimal("0.125"),
        rd_institution_level="provincial",
        tech_contract_amount=None,
    )
    path = tmp_path / "out.xlsx"
    assert exporting.write_facts(path, Enterprise.objects.all()) == 3
    before = list(AnnualFigure.objects.order_by("pk").values())
    report = importing.import_facts(path)
    assert report["errors"] == []
    assert report["stats"] == {
        "enterprises_created": 0,
        "enterprises_updated": 0,
        "figures_created": 0,
        "figures_updated": 0,
        "unchanged": 3,
    }
    assert list(AnnualFigure.objects.order_by("pk").values()) == before
    sheet = load_workbook(path, read_only=True).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:2] == ["统一社会信用代码", "企业名称"] and "营业收入(万元)" in header


@pytest.mark.django_db
def test_template_headers_cover_every_column(tmp_path):
    path = tmp_path / "t.xlsx"
    exporting.write_template(path)
    header = [c.value for c in next(load_workbook(path).active.iter_rows(max_row=1))]
    assert [facts.header_to_column(h).name for h in header] == [c.name for c in facts.COLUMNS]


@pytest.mark.django_db
def test_cli_export(world, tmp_path, capsys):
    assert cli.main(["export", "facts", str(tmp_path / "x.xlsx")]) == 0
    assert "已导出 3 行" in capsys.readouterr().out
    assert cli.main(["export", "facts", str(tmp_path / "x.csv")]) == 2
