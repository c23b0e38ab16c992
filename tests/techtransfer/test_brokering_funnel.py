"""The funnel (matches → introduced → negotiating → signed → registered → converted) with rates by manager,
institution and field, its Excel export, the technology managers' caseload and results, and who may see them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kechuang.engine.techtransfer import funnel
from kechuang.techtransfer import brokerselectors

pytestmark = pytest.mark.django_db
COLUMNS = ("label", "matches", "introduced", "negotiating", "signed", "registered", "converted")
RATES = tuple(f"{s}_rate" for s in funnel.STEPS)


def _rows(by):
    rows = brokerselectors.funnel_view(by)["rows"]
    return [tuple(r[k] for k in COLUMNS) for r in rows], [tuple(str(r[k]) for k in RATES) for r in rows]


def test_rates_are_percentages_with_two_decimals_half_up():
    assert (funnel.rate(1, 3), funnel.rate(2, 3), funnel.rate(1, 8), funnel.rate(0, 0)) == (
        Decimal("33.33"),
        Decimal("66.67"),
        Decimal("12.50"),
        None,
    )


def test_funnel_totals_count_cases_and_pinned_matches_once(pipeline):
    total = brokerselectors.funnel_view("manager")["total"]
    assert tuple(total[k] for k in COLUMNS[1:]) == (5, 3, 2, 1, 1, 1)
    assert tuple(str(total[k]) for k in RATES) == ("60.00", "40.00", "20.00", "20.00", "20.00")


def test_funnel_by_manager_institution_and_field(world, pipeline):
    counts, rates = _rows("manager")
    assert counts == [
        ("王经理（山西大学）", 3, 2, 2, 1, 1, 1),
        ("未指定", 1, 0, 0, 0, 0, 0),
        ("李经理（太原理工大学）", 1, 1, 0, 0, 0, 0),
    ]
    assert rates == [
        ("66.67", "66.67", "33.33", "33.33", "33.33"),
        ("0.00", "0.00", "0.00", "0.00", "0.00"),
        ("100.00", "0.00", "0.00", "0.00", "0.00"),
    ]
    counts, rates = _rows("institution")
    assert counts == [
        ("山西大学", 2, 1, 1, 1, 1, 1),
        ("太原理工大学", 2, 1, 0, 0, 0, 0),
        (world["b"].name, 1, 1, 1, 0, 0, 0),
    ]
    assert rates[0] == ("50.00", "50.00", "50.00", "50.00", "50.00")
    counts, _rates = _rows("field")
    assert counts == [
        ("新材料", 2, 1, 1, 1, 1, 1),
        ("先进制造与自动化", 1, 1, 1, 0, 0, 0),
        ("电子信息", 1, 0, 0, 0, 0, 0),
        ("资源与环境", 1, 1, 0, 0, 0, 0),
    ]


def test_funnel_page_and_excel(client_for, world, pipeline):
    client = client_for(world["users"]["bureau_staff"])
    page = client.get("/techtransfer/funnel/?by=institution").content.decode()
    assert "60.00%" in page and "太原理工大学" in page
    got = client.get("/techtransfer/funnel/?by=field&format=xlsx")
    sheet = load_workbook(io.BytesIO(got.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][:3] == ["技术领域", "匹配", "介绍对接"]
    assert rows[1] == ["新材料", 2, 1, 1, 1, 1, 1, "50.00%", "50.00%", "50.00%", "50.00%", "50.00%"]
    assert rows[-1] == ["合计", 5, 3, 2, 1, 1, 1, "60.00%", "40.00%", "20.00%", "20.00%", "20.00%"]


def test_managers_caseload_and_results(client_for, world, pipeline):
    rows = [
        (r["name"], r["open_cases"], r["total_cases"], r["signed"], r["registered"], r["converted"], r["tech_amount"])
        for r in brokerselectors.managers_table()
    ]
    assert rows == [("王经理", 1, 2, 1, 1, 1, Decimal("100.00")), ("李经理", 0, 1, 0, 0, 0, Decimal("0.00"))]
    page = client_for(world["users"]["bureau_staff"]).get("/techtransfer/managers/").content.decode()
    assert "100.00 万元" in page


@pytest.mark.parametrize("role", ["institution_user", "enterprise_user", "park_operator", "bank_user"])
def test_funnel_and_managers_are_the_bureaus(role, client_for, world, pipeline):
    client = client_for(world["users"][role])
    for url in (
        "/techtransfer/funnel/",
        "/techtransfer/managers/",
        "/techtransfer/events/",
        "/techtransfer/cases/new/",
    ):
        assert client.get(url).status_code == 403, url
