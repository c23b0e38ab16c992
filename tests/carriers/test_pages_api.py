"""Carrier pages and API for every role: the bureau sees every carrier, an operator its own, others nothing."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kechuang.carriers import services
from kechuang.carriers.models import KpiReport, OffshoreProject
from tests.carriers.conftest import month
from tests.conftest import ROLES, bearer

pytestmark = pytest.mark.django_db
BUREAU = {"bureau_admin", "bureau_staff"}
READERS = BUREAU | {"park_operator"}


@pytest.fixture
def reported(cworld):
    staff = cworld["staff"]
    for carrier in (cworld["valley"], cworld["other"]):
        services.save_kpis(
            user=staff,
            carrier=carrier,
            month=month(2026, 4),
            values={"firms_signed": 0, "revenue": Decimal(900), "ip_applications": 3, "financing": None, "events": 2},
        )
    services.rank_month(user=staff, month=month(2026, 4))
    return cworld


@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_every_carrier_page(role, reported, client_for):
    client = client_for(reported["users"][role])
    valley, other = reported["valley"].pk, reported["other"].pk
    for url, allowed in (
        ("/carriers/", READERS),
        ("/carriers/ranking/", READERS),
        ("/carriers/offshore/", READERS),
        ("/carriers/kpis/import/", READERS),
        (f"/carriers/{valley}/", READERS),
        (f"/carriers/{valley}/kpis/", READERS),
        (f"/carriers/{valley}/residents/", READERS),
        ("/carriers/new/", BUREAU),
    ):
        status = client.get(url).status_code
        assert status == (200 if role in allowed else 403), (role, url, status)
    # Another operator's carrier is not found for the valley's operator.
    expected = 200 if role in BUREAU else (404 if role == "park_operator" else 403)
    assert client.get(f"/carriers/{other}/").status_code == expected, role


def test_the_list_the_ranking_board_and_the_residents_export(reported, client_for):
    operator = client_for(reported["operator"])
    listing = operator.get("/carriers/").content.decode()
    assert "晋创谷·太原" in listing and "别的孵化器" not in listing
    board = operator.get("/carriers/ranking/").content.decode()  # the board is published to every carrier
    assert "晋创谷·太原" in board and "别的孵化器" in board and "新上榜" in board
    export = operator.get(f"/carriers/{reported['valley'].pk}/residents/?format=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")

    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {"太原甲科技有限公司", "太原乙材料有限公司"}


def test_a_kpi_form_error_is_shown_in_chinese_and_nothing_is_written(reported, client_for):
    client = client_for(reported["operator"])
    response = client.post(f"/carriers/{reported['valley'].pk}/kpis/", {"month": "2026-13", "events": "-1"})
    page = response.content.decode()
    assert "月份“2026-13”无法识别，应写作 2026-05" in page and "确保该值大于或等于0" in page
    assert KpiReport.objects.count() == 2
    denied = client.post(f"/carriers/{reported['other'].pk}/kpis/", {"month": "2026-03", "events": "1"})
    assert denied.status_code == 404 and KpiReport.objects.count() == 2


def test_the_offshore_overview_counts_projects(cworld, client_for):
    from kechuang.carriers.models import Carrier

    centre = Carrier.objects.create(
        name="太原（上海）离岸创新中心", kind="offshore_centre", city="上海", status="operating"
    )
    Carrier.objects.create(name="太原（广州）离岸创新中心", kind="offshore_centre", city="广州", status="planning")
    for status, n in (("brought_in", 2), ("in_talks", 3)):
        for i in range(n):
            OffshoreProject.objects.create(
                carrier=centre,
                name=f"项目{status}{i}",
                status=status,
                started_on=dt.date(2026, 1, 1),
                brought_in_on=dt.date(2026, 3, 1) if status == "brought_in" else None,
            )
    page = client_for(cworld["staff"]).get("/carriers/offshore/").content.decode()
    totals = page[page.index('data-testid="offshore-totals"') : page.index('data-testid="offshore"')]
    assert [int(x) for x in re.findall(r'<div class="n">(\d+)</div>', totals)] == [2, 1, 2, 3]
    with pytest.raises(Exception, match="已引进的项目请填写引进日期"):
        services.save_offshore_project(
            user=cworld["staff"],
            carrier=centre,
            data={"name": "新项目", "status": "brought_in", "started_on": dt.date(2026, 1, 1)},
        )


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_the_carrier_endpoints(role, reported, client):
    auth = bearer(reported["users"][role])
    listing = client.get("/api/carriers", **auth)
    kpis = client.get(f"/api/carriers/{reported['valley'].pk}/kpis", **auth)
    residents = client.get(f"/api/carriers/{reported['valley'].pk}/residencies", **auth)
    if role not in READERS:
        assert (listing.status_code, listing.json()) == (403, {"detail": "无权查看载体"})
        assert kpis.status_code == residents.status_code == 403
        return
    names = [c["name"] for c in listing.json()]
    assert names == (["别的孵化器", "晋创谷·太原"] if role in BUREAU else ["晋创谷·太原"])
    assert [k["month"] for k in kpis.json()] == ["2026-04"] and kpis.json()[0]["revenue"] == "900.0000"
    assert [r["enterprise_name"] for r in residents.json()["items"]] == ["太原乙材料有限公司", "太原甲科技有限公司"]
    board = client.get("/api/carriers/ranking?month=2026-04", **auth).json()
    assert board["month"] == "2026-04" and [e["rank"] for e in board["entries"]] == [1, 1]


def test_kpis_submitted_through_the_api(reported, client):
    url = f"/api/carriers/{reported['valley'].pk}/kpis"
    auth = bearer(reported["operator"])
    ok = client.post(
        url, {"month": "2026-05", "events": 3, "revenue": "1000.5"}, content_type="application/json", **auth
    )
    assert ok.status_code == 200 and ok.json()["events"] == 3
    bad = client.post(url, {"month": "2026-05", "events": -1}, content_type="application/json", **auth)
    assert (bad.status_code, bad.json()) == (422, {"detail": "请求参数无效：events 不能为负数"})
    other = client.post(
        f"/api/carriers/{reported['other'].pk}/kpis",
        {"month": "2026-05", "events": 1},
        content_type="application/json",
        **auth,
    )
    assert other.status_code == 404
    assert KpiReport.objects.filter(month=month(2026, 5)).count() == 1


def test_applications_through_the_api_per_role(cworld, client):
    from kechuang.carriers.models import Residency

    Residency.objects.filter(enterprise=cworld["a"]).delete()
    services.apply(
        user=cworld["users"]["enterprise_user"], carrier=cworld["valley"], stage="nursery", enterprise=cworld["a"]
    )
    services.apply(user=cworld["staff"], carrier=cworld["other"], stage="nursery", team_name="某团队")
    seen = {role: client.get("/api/carriers/applications", **bearer(cworld["users"][role])) for role in ROLES}
    assert {r: [a["applicant"] for a in v.json()["items"]] for r, v in seen.items() if v.status_code == 200} == {
        "bureau_admin": ["某团队", "太原甲科技有限公司"],
        "bureau_staff": ["某团队", "太原甲科技有限公司"],
        "park_operator": ["太原甲科技有限公司"],
        "enterprise_user": ["太原甲科技有限公司"],
    }
    assert seen["bank_user"].status_code == seen["institution_user"].status_code == 403
