"""What lapses soon besides 高企 certificates: 梯度 titles (3-year validity, a dated rule parameter) and 高企 annual
reports (due by 31 May, two missed cancel the status) — the engine functions and the page, by role."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import polars as pl
import pytest
from django.urls import reverse

from kechuang.engine.tiers.recognitions import hte_report_status, title_expiries
from kechuang.enterprises.models import AnnualFigure
from tests.conftest import ROLES


def _years_ago(today: dt.date, years: int, days: int = 0) -> dt.date:
    return dt.date(today.year - years, today.month, min(today.day, 28)) + dt.timedelta(days=days)


def test_titles_lapse_after_the_validity_of_the_version_that_granted_them():
    panel = pl.DataFrame(
        {
            "uscc": ["A", "A", "B", "C"],
            "year": [2023, 2024, 2024, 2025],
            "specialized_sme_on": [dt.date(2021, 3, 1), dt.date(2024, 2, 29), None, dt.date(2026, 5, 1)],
            "little_giant_on": [None, None, dt.date(2023, 7, 1), None],
        }
    )
    rows = {(r["uscc"], r["tier"]): r for r in title_expiries(panel).iter_rows(named=True)}
    assert set(rows) == {("A", "specialized_sme"), ("B", "little_giant"), ("C", "specialized_sme")}
    assert rows["A", "specialized_sme"]["expires_on"] == dt.date(2027, 2, 28)  # the latest row's title; 29 Feb
    assert rows["A", "specialized_sme"]["ruleset"] == "specialized_sme@2022-08-01"
    assert rows["C", "specialized_sme"]["ruleset"] == "specialized_sme_2026@2026-04-01"
    assert rows["B", "little_giant"]["expires_on"] == dt.date(2026, 7, 1)
    longer = [{"ruleset": "little_giant", "parameter": "title_valid_years", "effective_from": "2022-08-01", "value": 5}]
    assert title_expiries(panel, longer).filter(pl.col("uscc") == "B")["expires_on"][0] == dt.date(2028, 7, 1)


def test_report_status_counts_missed_reports_of_the_certificate_years():
    panel = pl.DataFrame(
        {
            "uscc": ["A"] * 3 + ["B"] * 2 + ["C"],
            "year": [2022, 2023, 2024, 2023, 2024, 2024],
            "hte_certified": [True, True, True, True, True, False],
            "hte_certified_on": [dt.date(2022, 10, 1)] * 3 + [dt.date(2023, 10, 1)] * 2 + [None],
            "hte_annual_report_filed": [False, None, None, True, True, None],
        }
    )
    before = {r["uscc"]: r for r in hte_report_status(panel, dt.date(2025, 5, 31)).iter_rows(named=True)}
    after = {r["uscc"]: r for r in hte_report_status(panel, dt.date(2025, 6, 1)).iter_rows(named=True)}
    assert set(before) == {"A", "B"}  # C holds no certificate
    assert (before["A"]["due_on"], before["A"]["report_year"], before["A"]["cancel_at"]) == (
        dt.date(2025, 5, 31),
        2024,
        2,
    )
    assert (before["A"]["missed_min"], before["A"]["missed_max"]) == (1, 2)  # 2024's report is not due yet
    assert (after["A"]["missed_min"], after["A"]["missed_max"]) == (1, 3)
    assert (after["B"]["filed"], after["B"]["missed_min"], after["B"]["missed_max"]) == (True, 0, 0)


@pytest.fixture
def recognitions(world):
    today = dt.date.today()
    a, b, c = world["a"], world["b"], world["c"]
    AnnualFigure.objects.filter(enterprise=a, year=2024).delete()
    # a: a 专精特新 title lapsing in 30 days; a 高企 whose report two years ago was missed
    for year, filed in ((today.year - 2, False), (today.year - 1, None)):
        AnnualFigure.objects.create(
            enterprise=a,
            year=year,
            hte_certified=True,
            hte_certified_on=dt.date(today.year - 2, 1, 15),
            hte_annual_report_filed=filed,
            specialized_sme_on=_years_ago(today, 3, days=30),
        )
    # b: a title granted last year; c (not in the valley): a title lapsing soon and an unfiled report
    AnnualFigure.objects.create(enterprise=b, year=today.year - 1, innovative_sme_on=_years_ago(today, 1))
    AnnualFigure.objects.create(
        enterprise=c,
        year=today.year - 1,
        little_giant_on=_years_ago(today, 3, days=10),
        hte_certified=True,
        hte_certified_on=dt.date(today.year - 1, 11, 1),
        hte_annual_report_filed=False,
    )
    return world


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_lists_by_role(role, recognitions, client_for):
    client = client_for(recognitions["users"][role])
    allowed = role in ("bureau_admin", "bureau_staff", "park_operator")
    for kind in ("hte", "titles", "reports"):
        response = client.get(reverse("tiers:expiring") + f"?list={kind}")
        assert response.status_code == (200 if allowed else 403), kind
    if not allowed:
        return
    titles = client.get(reverse("tiers:expiring") + "?list=titles").content.decode()
    reports = client.get(reverse("tiers:expiring") + "?list=reports").content.decode()
    assert "太原甲科技有限公司" in titles and "专精特新中小企业" in titles
    assert "太原乙材料有限公司" not in titles  # granted a year ago
    assert "太原甲科技有限公司" in reports and "再漏报一次即取消资格" in reports
    seen_c = role != "park_operator"  # the operator sees its valley's firms only
    assert ("泰州丙医药有限公司" in titles) is seen_c and ("泰州丙医药有限公司" in reports) is seen_c


@pytest.mark.django_db
def test_the_lists_export_and_refuse_an_unknown_list(recognitions, client_for):
    client = client_for(recognitions["users"]["bureau_staff"])
    response = client.get(reverse("tiers:expiring") + "?list=titles&format=xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "企业名称")
    assert header[:6] == ("企业名称", "统一社会信用代码", "称号", "认定日期", "有效期（年）", "到期日")
    assert {r[2] for r in rows if r and r[0] and "公司" in str(r[0])} == {"专精特新中小企业", "专精特新“小巨人”"}
    assert client.get(reverse("tiers:expiring") + "?list=nope").status_code == 404


@pytest.mark.django_db
def test_empty_lists_say_so(world, client_for):
    client = client_for(world["users"]["bureau_staff"])
    assert "6 个月内没有到期的梯度称号" in client.get(reverse("tiers:expiring") + "?list=titles").content.decode()
    assert "都已按期填报" in client.get(reverse("tiers:expiring") + "?list=reports").content.decode()
