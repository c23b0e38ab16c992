"""Monthly KPIs: the form and the Excel import (row errors, nothing half-written), the checks against the carrier's
own history and the registry, the monthly ranking with why ranks moved, the Torch conditions."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from kechuang.carriers import services
from kechuang.carriers.models import KpiReport, RankingEntry, Residency
from kechuang.core.models import AuditEvent
from tests.carriers.conftest import month

pytestmark = pytest.mark.django_db


def values(**kw):
    base = {"firms_signed": None, "revenue": None, "ip_applications": None, "financing": None, "events": None}
    return {**base, **kw}


def test_an_operator_reports_its_own_carrier_only(cworld):
    report = services.save_kpis(
        user=cworld["operator"],
        carrier=cworld["valley"],
        month=month(2026, 5),
        values=values(revenue=Decimal("1200.5"), events=4),
    )
    assert (report.revenue, report.events, report.firms_signed, report.source) == (Decimal("1200.5"), 4, None, "form")
    with pytest.raises(PermissionDenied):
        services.save_kpis(
            user=cworld["operator"], carrier=cworld["other"], month=month(2026, 5), values=values(events=1)
        )
    with pytest.raises(ValidationError, match="请至少填写一项指标"):
        services.save_kpis(user=cworld["operator"], carrier=cworld["valley"], month=month(2026, 4), values=values())
    with pytest.raises(ValidationError, match="不能填报未来月份"):
        services.save_kpis(
            user=cworld["operator"], carrier=cworld["valley"], month=month(2099, 1), values=values(events=1)
        )
    assert KpiReport.objects.count() == 1 and AuditEvent.objects.filter(action="kpi.save").count() == 1


def test_a_jump_beyond_the_carriers_own_history_is_flagged(cworld):
    staff, other = cworld["staff"], cworld["other"]
    for m, rev in ((1, 100), (2, 110), (3, 90), (4, 100), (5, 120), (6, 100)):
        services.save_kpis(user=staff, carrier=other, month=month(2025, m), values=values(revenue=Decimal(rev)))
    report = services.save_kpis(user=staff, carrier=other, month=month(2025, 7), values=values(revenue=Decimal(500)))
    assert [f["message"] for f in report.flags] == [
        "在驻企业营业收入 500.00 万元，是此前 6 个月中位数 100.00 万元的 5.0 倍（超过 3 倍即提示）"
    ]
    # Correcting the figure clears the flag.
    report = services.save_kpis(user=staff, carrier=other, month=month(2025, 7), values=values(revenue=Decimal(130)))
    assert report.flags == []


def test_signings_that_disagree_with_the_registry_are_flagged(cworld):
    # The valley's registry: a moved in 2024-01, b in 2024-02 (one each).
    staff, valley = cworld["staff"], cworld["valley"]
    jan = services.save_kpis(user=staff, carrier=valley, month=month(2024, 1), values=values(firms_signed=1))
    feb = services.save_kpis(user=staff, carrier=valley, month=month(2024, 2), values=values(firms_signed=4))
    jan.refresh_from_db()
    assert jan.flags == []
    assert [f["message"] for f in feb.flags] == [
        "新签约入驻企业 4 家，企业库记录本月开始入驻 1 家（含团队），相差 3 家（容差 1 家）"
    ]
    # The other incubator has no residencies on the platform: nothing to compare with.
    report = services.save_kpis(
        user=staff, carrier=cworld["other"], month=month(2024, 2), values=values(firms_signed=9)
    )
    assert report.flags == []


def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = [
    "载体名称",
    "月份",
    "新签约入驻企业数",
    "在驻企业营业收入（万元）",
    "知识产权申请数",
    "在驻企业融资额（万元）",
    "活动场次",
    "备注",
]


def test_the_import_stores_good_rows_and_names_every_bad_one(cworld, client_for):
    content = workbook(
        [
            HEADER,
            ["晋创谷·太原", "2026-03", 3, 1500, 12, 200, 5, "x"],
            ["晋创谷·太原", dt.datetime(2026, 4, 15), 2, "1,600.5", None, None, 6, ""],
            ["晋创谷·太原", "2026年3月", 1, 1, 1, 1, 1, ""],  # the same month again
            ["别的孵化器", "2026-03", 1, 100, 1, 1, 1, ""],  # another operator's carrier
            ["不存在的载体", "2026-03", 1, 100, 1, 1, 1, ""],
            ["晋创谷·太原", "三月", "两家", -5, 1.5, 1, 1, ""],
        ]
    )
    client = client_for(cworld["operator"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/carriers/kpis/import/", {"file": SimpleUploadedFile("kpi.xlsx", content)})
    page = response.content.decode()
    assert "kpi.xlsx：共 6 行，导入 2 行，拒绝 4 行" in page
    assert "忽略未知列「备注」" in page
    assert "与第2行重复（同一载体同一月份只能出现一次）" in page
    assert "无权为该载体报送指标" in page and "载体不存在（请填写平台登记的载体全称）" in page
    assert "月份“三月”无法识别，应写作 2026-05" in page and "“新签约入驻企业数”应为数字，现为“两家”" in page
    assert "“在驻企业营业收入（万元）”不能为负数" in page and "“知识产权申请数”应为整数，现为“1.5”" in page
    stored = {(r.month, r.firms_signed, r.revenue, r.ip_applications) for r in KpiReport.objects.all()}
    assert stored == {(month(2026, 3), 3, Decimal("1500"), 12), (month(2026, 4), 2, Decimal("1600.5"), None)}
    assert KpiReport.objects.get(month=month(2026, 3)).source == "import"


def test_an_unreadable_file_writes_nothing(cworld, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(cworld["staff"])
    response = client.post("/carriers/kpis/import/", {"file": SimpleUploadedFile("kpi.xlsx", b"not a workbook")})
    assert "kpi.xlsx 不是有效的 Excel(.xlsx) 文件" in response.content.decode()
    response = client.post("/carriers/kpis/import/", {"file": SimpleUploadedFile("kpi.xlsx", workbook([["月份"]]))})
    assert "缺少必填列：载体名称" in response.content.decode()
    assert not KpiReport.objects.exists() and not AuditEvent.objects.exists()


def test_the_monthly_ranking_and_why_ranks_moved(cworld):
    from kechuang.carriers.models import Carrier

    staff = cworld["staff"]
    # Neither carrier has residencies on the platform: signings are not compared with the registry here.
    valley, other = Carrier.objects.create(name="晋创谷加速器", kind="accelerator"), cworld["other"]
    services.save_kpis(
        user=staff,
        carrier=valley,
        month=month(2026, 4),
        values=values(firms_signed=10, revenue=Decimal(1000), ip_applications=20, financing=500, events=4),
    )
    services.save_kpis(
        user=staff,
        carrier=other,
        month=month(2026, 4),
        values=values(firms_signed=5, revenue=Decimal(2000), financing=0, events=8),
    )
    april = services.rank_month(user=staff, month=month(2026, 4))
    rows = {e.carrier.name: e for e in april.entries.select_related("carrier")}
    # firms 30 + revenue 12.5 + IP 20 + financing 15 + events 5 = 82.5; the other: 15 + 25 + 0 + 0 + 10 = 50.
    assert (rows["晋创谷加速器"].rank, rows["晋创谷加速器"].points) == (1, 82.5)
    assert (rows["别的孵化器"].rank, rows["别的孵化器"].points, rows["别的孵化器"].notes) == (
        2,
        50.0,
        ["知识产权申请数未报送，不得分"],
    )
    assert rows["别的孵化器"].movement == "上月未参与排名；本月第 2 名，50.00 分"
    assert april.scheme_key == "monthly@2024-01-01" and april.params["w_revenue"] == 25
    services.save_kpis(
        user=staff, carrier=valley, month=month(2026, 5), values=values(firms_signed=2, revenue=Decimal(1000), events=4)
    )
    services.save_kpis(
        user=staff, carrier=other, month=month(2026, 5), values=values(firms_signed=5, revenue=Decimal(2000), events=8)
    )
    may = services.rank_month(user=staff, month=month(2026, 5))
    moved = RankingEntry.objects.get(run=may, carrier=other)
    assert (moved.rank, moved.previous_rank) == (1, 2)
    assert moved.movement.startswith(
        "较上月上升 1 位（第 2 → 第 1 名），总分 50.00 → 65.00；主要因为新签约入驻企业数 +15.00 分"
    )
    with pytest.raises(PermissionDenied):
        services.rank_month(user=cworld["operator"], month=month(2026, 5))
    with pytest.raises(ValidationError, match="2026-06 没有载体报送月度指标，无法排名"):
        services.rank_month(user=staff, month=month(2026, 6))


def test_the_torch_conditions_on_an_incubator_page(cworld, client_for):
    other = cworld["other"]
    Residency.objects.create(carrier=other, enterprise=cworld["c"], start=dt.date(2020, 1, 1))
    page = client_for(cworld["staff"]).get(f"/carriers/{other.pk}/").content.decode()
    torch = page[page.index('data-testid="torch"') :]
    assert (
        "未达到" in torch and "1 家，要求不少于 50 家" in torch and "12,000 平方米，要求不低于 10,000 平方米" in torch
    )
    assert "导师 6 名，要求每 10 家在孵企业至少 1 名" in torch
    valley_page = client_for(cworld["staff"]).get(f"/carriers/{cworld['valley'].pk}/").content.decode()
    assert 'data-testid="torch"' not in valley_page  # the conditions apply to incubators only


def test_the_bureau_edits_the_ranking_scheme_on_the_rule_pages(cworld, client_for):
    from kechuang.carriers.models import Carrier

    staff = cworld["staff"]
    fast, other = Carrier.objects.create(name="晋创谷加速器", kind="accelerator"), cworld["other"]
    for m in (4, 5):
        services.save_kpis(user=staff, carrier=fast, month=month(2026, m), values=values(firms_signed=10, events=2))
        services.save_kpis(user=staff, carrier=other, month=month(2026, m), values=values(firms_signed=5, events=8))
    admin = client_for(cworld["users"]["bureau_admin"])
    response = admin.post(
        "/rules/carrier_ranking/monthly/w_events/",
        {"value": "60", "effective_from": "2026-05-01", "source": "本局 2026 年考核细则", "note": "重视活动"},
    )
    assert response.status_code == 302
    april = services.rank_month(user=staff, month=month(2026, 4))
    may = services.rank_month(user=staff, month=month(2026, 5))
    # April: 30 + 2.5 against 15 + 10; May, events weigh 60: 30 + 15 against 15 + 60.
    assert [(e.carrier.name, e.points) for e in april.entries.order_by("rank")] == [
        ("晋创谷加速器", 32.5),
        ("别的孵化器", 25.0),
    ]
    assert [(e.carrier.name, e.points) for e in may.entries.order_by("rank")] == [
        ("别的孵化器", 75.0),
        ("晋创谷加速器", 45.0),
    ]
    assert (april.params["w_events"], may.params["w_events"]) == (10, 60)
    assert RankingEntry.objects.get(run=may, carrier=fast).movement.startswith("较上月下降 1 位（第 1 → 第 2 名）")


def test_the_kpi_table_shows_money_in_the_house_format(cworld, client_for):
    services.save_kpis(
        user=cworld["operator"],
        carrier=cworld["valley"],
        month=month(2026, 5),
        values=values(revenue=Decimal("6487.02"), financing=Decimal("12345.678"), events=4),
    )
    page = client_for(cworld["operator"]).get(f"/carriers/{cworld['valley'].pk}/kpis/").content.decode()
    assert '<td class="num">6,487.02 万元</td>' in page
    assert '<td class="num">1.23 亿元</td>' in page
    assert '<td class="num">4</td>' in page
