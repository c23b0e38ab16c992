"""The facts the corrected and 2026 rules read are enterable everywhere the registry takes figures: the import
(Chinese headers and values), the figure form, the API, the export and the template — and reach the engine."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kechuang.engine import facts
from kechuang.enterprises import importing
from kechuang.enterprises.exporting import write_template
from kechuang.enterprises.loaders import facts_frame
from kechuang.enterprises.models import AnnualFigure
from tests.conftest import bearer, make_uscc

NEW = (
    "total_income",
    "nontaxable_income",
    "pre_a_investment",
    "class1_ip_applied",
    "hte_annual_report_filed",
    "tech_sme_registered",
    "innovative_sme_on",
    "specialized_sme_on",
    "little_giant_on",
    "innovation_title_other",
    "hightech_firm",
    "rd_institution_own",
    "award_3y_provincial_top3",
    "award_3y_national_top5",
    "award_3y_national_top3",
    "maker_china_3y",
    "standard_drafted",
    "core_business_it_system",
    "quality_award",
    "management_certified",
    "product_intl_certified",
    "niche_top3",
    "niche_leading",
    "chain_key_link",
    "key_field_product",
    "sme_dev_score",
    "private_equity_raised",
    "procurement_sales",
    "data_security_incident",
    "tax_evasion",
    "restricted_products",
)


def test_every_new_fact_is_an_annual_column_with_a_chinese_label():
    for name in NEW:
        column = facts.BY_NAME[name]
        assert not column.static and name in facts.ANNUAL_NAMES, name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in column.label), name
        assert hasattr(AnnualFigure, name), name


def _csv(tmp_path, header, row):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerow(row)
    path = tmp_path / "new.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


@pytest.mark.django_db
def test_the_import_takes_the_new_columns_by_their_chinese_labels(ref, tmp_path):
    header = [
        "统一社会信用代码",
        "企业名称",
        "年度",
        "收入总额(万元)",
        "不征税收入(万元)",
        "存在偷漏税等违法违规行为",
        "发生重大网络安全或数据安全事件",
        "产品（服务）属于国家禁止、限制或淘汰类",
        "近3年“创客中国”大赛全国企业组最好名次",
        "中小企业专精特新发展评价得分",
        "专精特新中小企业称号认定日期",
    ]
    row = [
        make_uscc(1),
        "测试企业有限公司",
        2025,
        "5500",
        "500",
        "否",
        "否",
        "否",
        "全国50强企业组",
        "61.5",
        "2024-06-01",
    ]
    report = importing.import_facts(_csv(tmp_path, header, row))
    assert report["errors"] == [] and report["accepted_rows"] == 1
    figure = AnnualFigure.objects.get(enterprise__uscc=make_uscc(1), year=2025)
    assert (figure.total_income, figure.nontaxable_income) == (Decimal("5500"), Decimal("500"))
    assert (figure.tax_evasion, figure.data_security_incident, figure.restricted_products) == (False, False, False)
    assert (figure.maker_china_3y, figure.sme_dev_score) == ("top50", Decimal("61.5"))
    frame = facts_frame()
    assert frame.select("maker_china_3y", "tax_evasion", "sme_dev_score").row(0) == ("top50", False, 61.5)


@pytest.mark.django_db
def test_a_wrong_ranking_is_reported_by_row_and_column_and_nothing_is_written(ref, tmp_path):
    header = ["统一社会信用代码", "企业名称", "年度", "近3年“创客中国”大赛全国企业组最好名次"]
    report = importing.import_facts(_csv(tmp_path, header, [make_uscc(2), "乙有限公司", 2025, "全国第一"]))
    assert report["accepted_rows"] == 0
    (error,) = report["errors"]
    assert error["row"] == 2 and error["column"] == "近3年“创客中国”大赛全国企业组最好名次"
    assert "全国500强企业组" in error["message"] and "全国50强企业组" in error["message"]
    assert not AnnualFigure.objects.exists()


def test_the_template_lists_the_new_columns(tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path)
    headers = [c.value for c in load_workbook(path)["企业年度数据"][1]]
    for name in NEW:
        assert facts.header_label(facts.BY_NAME[name]) in headers, name


@pytest.mark.django_db
def test_bureau_staff_enter_the_new_facts_in_the_figure_form(world, client_for):
    client = client_for(world["users"]["bureau_staff"])
    a = world["a"]
    page = client.get(f"/enterprises/{a.uscc}/figures/2024/")
    assert "存在偷漏税等违法违规行为" in page.content.decode() and "全国50强企业组" in page.content.decode()
    data = {
        "year": "2024",
        "revenue": "3000",
        "staff_total": "100",
        "tech_staff": "22",
        "rd_expense": "150",
        "tax_evasion": "true",
        "maker_china_3y": "top500",
        "specialized_sme_on": "2024-05-20",
        "sme_dev_score": "55",
    }
    response = client.post(f"/enterprises/{a.uscc}/figures/2024/", data)
    assert response.status_code == 302
    figure = a.figures.get(year=2024)
    assert (figure.tax_evasion, figure.maker_china_3y, str(figure.specialized_sme_on), figure.sme_dev_score) == (
        True,
        "top500",
        "2024-05-20",
        Decimal("55"),
    )


@pytest.mark.django_db
def test_the_api_reads_and_writes_the_new_facts(world, client):
    a = world["a"]
    headers = bearer(world["users"]["bureau_staff"])
    body = {"restricted_products": False, "chain_key_link": True, "class1_ip_applied": 2, "procurement_sales": "80.5"}
    put = client.put(
        f"/api/enterprises/{a.uscc}/figures/2024", json.dumps(body), content_type="application/json", **headers
    )
    assert put.status_code == 200, put.content
    got = client.get(f"/api/enterprises/{a.uscc}/figures", **headers).json()[0]
    assert (got["restricted_products"], got["chain_key_link"], got["class1_ip_applied"]) == (False, True, 2)
    assert Decimal(str(got["procurement_sales"])) == Decimal("80.5")
    denied = client.put(
        f"/api/enterprises/{a.uscc}/figures/2024",
        json.dumps(body),
        content_type="application/json",
        **bearer(world["users"]["bank_user"]),
    )
    assert denied.status_code in (403, 404)
