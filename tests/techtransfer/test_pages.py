"""The contract register's pages: every role, recording with Chinese validation, the clerk's confirmation, the
certificate, the Excel exports (formula-safe) and exact statistics by period, type and region."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import polars as pl
import pytest

from kechuang.techtransfer import selectors, services
from kechuang.techtransfer.models import TechContract
from tests.conftest import ROLES
from tests.techtransfer.conftest import BUYER, SELLER

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.mark.parametrize("role", [*ROLES, "audit_admin"])
def test_every_role_on_the_pages(role, world, record, client_for):
    made = {"inst": record("I"), "bureau": record("U", user="bureau_staff")}
    web = client_for(world["users"][role])
    uses = role in ("bureau_admin", "bureau_staff", "institution_user")
    bureau = role in ("bureau_admin", "bureau_staff")
    assert web.get("/techtransfer/contracts/").status_code == (200 if uses else 403)
    assert web.get("/techtransfer/contracts/new/").status_code == (200 if uses else 403)
    assert web.get("/techtransfer/contracts/statistics/").status_code == (200 if bureau else 403)
    for key, c in made.items():
        seen = bureau or (role == "institution_user" and key == "inst")
        expected = 200 if seen else (404 if uses else 403)
        assert web.get(f"/techtransfer/contracts/{c.pk}/").status_code == expected, (role, key)
    nav = web.get("/").content.decode()
    assert ("/techtransfer/contracts/" in nav) is uses


def test_an_institution_cannot_decide_and_nothing_is_written(world, record, client_for):
    c = record("I")
    response = client_for(world["users"]["institution_user"]).post(f"/techtransfer/contracts/{c.pk}/", {})
    assert response.status_code == 403
    c.refresh_from_db()
    assert (c.status, c.registration_no) == ("submitted", None)


def test_recording_on_the_page_with_chinese_validation(world, client_for):
    web = client_for(world["users"]["institution_user"])
    form = {
        "contract_no": "P-1",
        "project": "隔膜工艺",
        "type": "development",
        "seller_name": "山西大学",
        "seller_uscc": SELLER.lower(),
        "seller_region": "140105",
        "buyer_name": "乙",
        "buyer_uscc": "",
        "buyer_country": "",
        "buyer_region": "14070",
        "signed_on": "2026-06-01",
        "valid_to": "2026-05-01",
        "total_amount": "-1",
        "non_tech_amount": "",
        "written": "on",
    }
    page = web.post("/techtransfer/contracts/new/", form).content.decode()
    for message in (
        "行政区划代码应为 6 位数字",
        "有效期至不能早于签订日期",
        "境内买方请填写统一社会信用代码",
        "确保该值大于或等于0",
    ):
        assert message in page, message
    assert TechContract.objects.count() == 0
    # a code of the right shape with a wrong check digit is refused on the form, not only at the decision
    wrong = BUYER[:-1] + ("0" if BUYER[-1] != "0" else "1")
    page = web.post("/techtransfer/contracts/new/", {**form, "buyer_uscc": wrong}).content.decode()
    assert "统一社会信用代码校验位错误" in page and TechContract.objects.count() == 0
    form.update(buyer_uscc=BUYER, buyer_region="140702", valid_to="", total_amount="50.5")
    response = web.post("/techtransfer/contracts/new/", form)
    c = TechContract.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/techtransfer/contracts/{c.pk}/"
    assert (c.seller_uscc, c.total_amount, c.non_tech_amount, c.institution.name) == (
        SELLER,
        Decimal("50.5"),
        Decimal("0"),
        "山西大学",
    )


def test_the_clerk_sees_the_engines_decision_and_confirms_it(world, record, client_for):
    c = record("C")
    staff = client_for(world["users"]["bureau_staff"])
    page = staff.get(f"/techtransfer/contracts/{c.pk}/").content.decode()
    assert "符合认定登记条件" in page and "技术交易额：100.00 万元" in page
    assert "应于受理后 15 个工作日内办结，即 2026-07-21 前" in page
    staff.post(f"/techtransfer/contracts/{c.pk}/", {"refuse_reason": ""})
    c.refresh_from_db()
    assert (c.status, c.tech_amount) == ("registered", Decimal("100"))
    pdf = staff.get(f"/techtransfer/contracts/{c.pk}/certificate.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    unregistered = record("D")
    assert staff.get(f"/techtransfer/contracts/{unregistered.pk}/certificate.pdf").status_code == 404


def test_the_list_filters_and_its_export_neutralises_formulas(world, record, client_for):
    record("=HYPERLINK(1)", project="@SUM(A1)")
    record("Z", type="consulting")
    staff = client_for(world["users"]["bureau_staff"])
    assert "@SUM(A1)" not in staff.get("/techtransfer/contracts/?type=consulting").content.decode()
    response = staff.get("/techtransfer/contracts/?type=development&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("合同编号", "项目名称", "合同类型")
    assert rows[1][:3] == ("'=HYPERLINK(1)", "'@SUM(A1)", "技术开发")
    assert len(rows) == 2


def _registered(record, staff, no, on, **kw):
    return services.decide(user=staff, contract=record(no, **kw), on=on)


def test_exact_statistics_by_period_type_and_region(world, record):
    staff = world["users"]["bureau_staff"]
    _registered(record, staff, "A", D(2026, 7, 1))  # 120 / 100, development, 140105 → 140702
    _registered(
        record,
        staff,
        "B",
        D(2026, 7, 20),
        type="transfer",
        total_amount=Decimal("520.5"),
        non_tech_amount=Decimal("20.25"),
    )  # 500.25
    _registered(
        record,
        staff,
        "C",
        D(2026, 10, 8),
        type="transfer",
        buyer_uscc="",
        buyer_country="DE",
        buyer_region="",
        total_amount=Decimal("30"),
        non_tech_amount=Decimal("0"),
    )
    services.decide(user=staff, contract=record("R", written=False), on=D(2026, 7, 2))  # refused: not counted
    record("S")  # submitted: not counted
    quarters = selectors.statistics(staff, by="period", period="quarter")
    assert [(r["label"], r["count"], r["total_amount"], r["tech_amount"]) for r in quarters] == [
        ("2026 年第 3 季度", 2, Decimal("640.5"), Decimal("600.25")),
        ("2026 年第 4 季度", 1, Decimal("30"), Decimal("30")),
    ]
    months = selectors.statistics(staff, by="period", period="month", end=D(2026, 7, 31))
    assert [(r["label"], r["count"]) for r in months] == [("2026-07", 2)]
    assert [r["label"] for r in selectors.statistics(staff, by="period", period="year")] == ["2026 年"]
    types = selectors.statistics(staff, by="type")
    assert [(r["label"], r["count"], r["tech_amount"]) for r in types] == [
        ("技术转让", 2, Decimal("530.25")),
        ("技术开发", 1, Decimal("100")),
    ]
    buyers = selectors.statistics(staff, by="buyer_region")
    assert [(r["key"], r["count"], r["tech_amount"]) for r in buyers] == [
        ("140702", 2, Decimal("600.25")),
        ("", 1, Decimal("30")),
    ]
    assert buyers[1]["label"] == "境外或未填"
    sellers = selectors.statistics(staff, by="seller_region")
    assert [(r["key"], r["count"], r["tech_amount"]) for r in sellers] == [("140105", 3, Decimal("630.25"))]
    _registered(
        record,
        staff,
        "F",
        D(2026, 10, 9),
        user="bureau_staff",
        total_amount=Decimal("10"),
        non_tech_amount=Decimal("0"),
    )  # recorded by the bureau: no institution
    institutions = selectors.statistics(staff, by="institution", end=D(2026, 10, 8))
    assert [(r["label"], r["count"], r["tech_amount"]) for r in institutions] == [("山西大学", 3, Decimal("630.25"))]
    institutions = selectors.statistics(staff, by="institution")
    assert [(r["label"], r["tech_amount"]) for r in institutions] == [
        ("山西大学", Decimal("630.25")),
        ("企业及其他卖方", Decimal("10")),
    ]
    quarters = selectors.statistics(staff, by="period", period="quarter", end=D(2026, 10, 8))
    assert selectors.totals(quarters) == {
        "count": 3,
        "total_amount": Decimal("670.5"),
        "tech_amount": Decimal("630.25"),
    }
    assert selectors.statistics(world["users"]["institution_user"], by="type") == []


def test_the_statistics_page_and_its_export(world, record, client_for):
    staff = world["users"]["bureau_staff"]
    _registered(record, staff, "A", D(2026, 7, 1))
    web = client_for(staff)
    page = web.get("/techtransfer/contracts/statistics/?by=type").content.decode()
    assert "技术开发" in page and "100.00 万元" in page
    response = web.get("/techtransfer/contracts/statistics/?by=period&period=month&format=xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows == [
        ("分组", "登记合同数", "合同成交额（万元）", "技术交易额（万元）"),
        ("2026-07", 1, 120, 100),
        ("合计", 1, 120, 100),
    ]


def test_the_points_indicator_reads_registered_tech_amounts_per_seller_and_year(world, record):
    from kechuang.techtransfer.loaders import registered_tech_amounts

    staff = world["users"]["bureau_staff"]
    _registered(record, staff, "A", D(2026, 7, 1))  # tech amount 100 of a total of 120
    _registered(record, staff, "B", D(2026, 7, 2), total_amount=Decimal("50"), non_tech_amount=Decimal("0"))
    services.decide(user=staff, contract=record("R", written=False), on=D(2026, 7, 2))
    record("S")
    assert registered_tech_amounts([2025, 2026]).rows() == [(SELLER, 2026, 150.0)]
    assert registered_tech_amounts([2025]).is_empty()


def test_scoring_uses_the_registered_amount_in_place_of_the_reported_one(world, record):
    """The seller's reported 2026 技术合同成交额 (5 万元) gives way to its registered 技术交易额 (100 万元); a firm the
    register does not know keeps its reported figure."""
    from kechuang.enterprises.models import AnnualFigure, Enterprise
    from kechuang.points.loaders import panel

    seller = Enterprise.objects.create(uscc=SELLER, name="山西大学科技成果转化有限公司", registered_on=D(2015, 1, 1))
    AnnualFigure.objects.create(enterprise=seller, year=2026, tech_contract_amount=Decimal("5"))
    AnnualFigure.objects.create(enterprise=world["a"], year=2026, tech_contract_amount=Decimal("7.5"))
    _registered(record, world["users"]["bureau_staff"], "A", D(2026, 7, 1))

    amounts = dict(panel([2026]).filter(pl.col("year") == 2026).select("uscc", "tech_contract_amount").rows())

    assert amounts[SELLER] == 100.0 and amounts[world["a"].uscc] == 7.5


def test_the_workbench_counts_contracts_waiting_for_a_decision(world, record, client_for):
    record("JZ-001")
    record("JZ-002")
    decided = record("JZ-003")
    services.decide(user=world["users"]["bureau_staff"], contract=decided, on=dt.date(2026, 7, 1))

    def waiting(role):
        needs = client_for(world["users"][role]).get("/").context["needs"]
        return {n.key: (n.count, n.url) for n in needs}.get("contracts")

    assert waiting("bureau_staff") == (2, "/techtransfer/contracts/?status=submitted")
    assert waiting("institution_user") == (2, "/techtransfer/contracts/?status=submitted")  # its own
    assert waiting("enterprise_user") is None and waiting("park_operator") is None
    listed = client_for(world["users"]["bureau_staff"]).get("/techtransfer/contracts/?status=submitted")
    assert [c.contract_no for c in listed.context["page"].object_list] == ["JZ-002", "JZ-001"]
