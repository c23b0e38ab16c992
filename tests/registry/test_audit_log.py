"""The audit log page: bureau admins only; every recorded change findable by text, action, person and date;
the Excel export follows the filters and refuses past its row limit."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kechuang.core import audit, views
from kechuang.core.models import AuditEvent
from kechuang.enterprises import services
from kechuang.rules import services as rule_services
from kechuang.tiers import services as tier_services
from kechuang.tiers.models import TierRun

URL = "/audit/"


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 30)))


@pytest.fixture
def events(world):
    """Three changes by two people on three days: a renamed enterprise, a figure, a void."""
    users = world["users"]
    run = TierRun.objects.create(as_of=dt.date(2025, 6, 1), status=TierRun.Status.DONE)
    # Audit records cannot be changed afterwards: each change is made on its day (the clock set back).
    with mock.patch.object(timezone, "now", return_value=_at(dt.date(2026, 3, 1))):
        services.update_enterprise(world["a"], {"name": "太原甲新材料有限公司"}, actor=users["bureau_staff"])
    with mock.patch.object(timezone, "now", return_value=_at(dt.date(2026, 4, 15))):
        services.save_figure(world["b"], 2023, {"revenue": "500"}, actor=users["bureau_admin"], note="补录")
    with mock.patch.object(timezone, "now", return_value=_at(dt.date(2026, 5, 20))):
        tier_services.void_run(user=users["bureau_admin"], run_id=run.pk, reason="基准日填错")
    by_action = {e.action: e for e in AuditEvent.objects.all()}
    assert set(by_action) == {"enterprise.update", "figure.create", "tier_run.void"}
    return by_action


def _rows(response) -> list[str]:
    """The action cell of each table row, in page order."""
    html = response.content.decode()
    table = html.split('data-testid="audit-log"', 1)[1].split("</table>", 1)[0] if "audit-log" in html else ""
    return [
        re.sub(r"<[^>]+>", "", cells[2])
        for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row) for row in table.split("<tr>")[2:])
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["bureau_staff", "park_operator", "enterprise_user", "bank_user", "institution_user"])
def test_only_bureau_admins_see_the_audit_log(world, events, client_for, role):
    client = client_for(world["users"][role])
    response = client.get(URL)
    assert response.status_code == 403
    assert "只有审计管理员和科技局管理员可以查看操作日志" in response.content.decode()
    assert client.get(URL, {"format": "xlsx"}).status_code == 403
    assert "操作日志" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(world, client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_the_log_lists_every_change_newest_first_in_chinese(world, events, client_for):
    client = client_for(world["users"]["bureau_admin"])
    assert 'href="/audit/"' in client.get("/").content.decode()
    response = client.get(URL)
    assert response.status_code == 200
    assert _rows(response) == ["作废梯队评价批次", "新增年度数据", "修改企业信息"]
    html = response.content.decode()
    assert "共 3 条" in html
    assert "企业名称：太原甲科技有限公司 → 太原甲新材料有限公司" in html
    assert f'href="/enterprises/{world["a"].uscc}/"' in html
    assert "基准日填错" in html and "2026-05-20 10:30" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "figure.create"}, ["新增年度数据"]),
        ({"q": "太原甲"}, ["修改企业信息"]),
        ({"q": "填错"}, ["作废梯队评价批次"]),
        ({"start": "2026-04-15"}, ["作废梯队评价批次", "新增年度数据"]),
        ({"start": "2026-04-16", "end": "2026-05-20"}, ["作废梯队评价批次"]),
        ({"end": "2026-04-14"}, ["修改企业信息"]),
        ({"start": "2026-06-01"}, []),
    ],
)
def test_filters_narrow_the_log(world, events, client_for, params, expected):
    response = client_for(world["users"]["bureau_admin"]).get(URL, params)
    assert _rows(response) == expected


@pytest.mark.django_db
def test_filter_by_person(world, events, client_for):
    staff = world["users"]["bureau_staff"]
    response = client_for(world["users"]["bureau_admin"]).get(URL, {"actor": staff.pk})
    assert _rows(response) == ["修改企业信息"]


@pytest.mark.django_db
def test_a_backwards_date_range_is_refused_with_a_message(world, events, client_for):
    response = client_for(world["users"]["bureau_admin"]).get(URL, {"start": "2026-05-01", "end": "2026-04-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "起始日期不能晚于截止日期" in html
    assert _rows(response) == [] and "没有符合条件的记录" in html


@pytest.mark.django_db
def test_export_follows_the_filters(world, events, client_for):
    response = client_for(world["users"]["bureau_admin"]).get(URL, {"start": "2026-04-01", "format": "xlsx"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:9] == [
        "时间",
        "操作人",
        "操作",
        "对象类型",
        "对象",
        "企业",
        "统一社会信用代码",
        "变更（原值 → 新值）",
        "说明",
    ]
    assert [r[2] for r in rows[1:]] == ["作废梯队评价批次", "新增年度数据"]
    void, figure = rows[1:]
    assert void[0] == "2026-05-20 10:30:00" and void[1] == "bureau_admin"
    assert void[3] == "梯队评价" and void[7] == "状态：已完成 → 已作废" and void[8] == "基准日 2025-06-01；基准日填错"
    assert figure[5] == world["b"].name and figure[6] == world["b"].uscc and figure[3] == "年度数据"


@pytest.mark.django_db
def test_an_export_past_the_row_limit_is_refused(world, events, client_for, monkeypatch):
    monkeypatch.setattr(views, "EXPORT_MAX_ROWS", 2)
    response = client_for(world["users"]["bureau_admin"]).get(URL, {"format": "xlsx"})
    assert response["Content-Type"].startswith("text/html")
    assert "共 3 条记录，超过导出上限 2 条" in response.content.decode()
    assert len(_rows(response)) == 3


def test_every_action_the_services_record_has_a_chinese_name():
    source = Path(audit.__file__).resolve().parents[1]
    written = set()
    for path in source.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'action="([a-z_]+(?:\.[a-z_]+)+)"', text))
        written |= set(re.findall(r'_event\(actor, "([a-z_]+(?:\.[a-z_]+)+)"', text))
    assert {"enterprise.update", "figure.create", "tier_run.void", "batch.paid"} <= written
    assert sorted(written - set(audit.ACTION_LABELS)) == []


def test_changes_read_in_the_models_words():
    assert audit.changes_text("policies.payoutbatch", {"status": ["draft", "approved"]}) == "状态：待审批 → 已审批"
    assert audit.changes_text("enterprises.annualfigure", {"revenue": [None, "500"]}) == "营业收入：空 → 500.00 万元"
    assert audit.object_type_label("enterprises.annualfigure") == "年度数据"
    assert audit.object_type_label("no.such") == "no.such"
    # a version saved before its table moved into rules.RuleVersion keeps a Chinese name in the log
    assert audit.object_type_label("policies.policyversion") == "政策版本"
    assert audit.object_type_label("rules.ruleversion") == "规则版本"


@pytest.mark.django_db
def test_a_new_band_table_shows_in_the_log_and_its_export(world, client_for):
    """A band table is a list: the log shows old → new as JSON (it used to fail on the unhashable list)."""
    bands = [{"min": 0.3, "points": 20}, {"min": 0.1, "points": 10}, {"points": 0}]
    rule_services.add_parameter_version(
        user=world["users"]["bureau_admin"],
        kind="tiers",
        rule_id="tech_sme",
        parameter="tech_staff_bands",
        effective_from=dt.date(2025, 1, 1),
        value=bands,
        source="测试文件",
    )
    client = client_for(world["users"]["bureau_admin"])
    html = client.get(URL, {"action": "rule_version.create"}).content.decode()
    assert "→ [{&quot;min&quot;: 0.3, &quot;points&quot;: 20}, {&quot;min&quot;: 0.1, &quot;points&quot;: 10}" in html
    export = load_workbook(io.BytesIO(client.get(URL, {"format": "xlsx"}).content)).active
    cells = [c.value for row in export.iter_rows(min_row=2) for c in row]
    assert any(
        isinstance(c, str) and c.endswith('→ [{"min": 0.3, "points": 20}, {"min": 0.1, "points": 10}, {"points": 0}]')
        for c in cells
    )
