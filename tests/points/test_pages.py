"""Every role against every points endpoint: allowed, denied (403/404), and a denied write changes nothing."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kechuang.core.models import AuditEvent
from kechuang.points.models import Alert, ScoringRun
from kechuang.rules.models import RuleVersion
from tests.conftest import ROLES, VISIBLE

pytestmark = pytest.mark.django_db

LEADERBOARD = {"bureau_admin": {"a", "b", "c"}, "bureau_staff": {"a", "b", "c"}, "park_operator": {"a", "b"}}
BUREAU = {"bureau_admin", "bureau_staff"}
# Roles with no points pages at all (accounts.access): a firm's points are refused before its scope is asked.
NO_POINTS = {"bank_user", "institution_user"}


def snapshot():
    return (
        list(Alert.objects.order_by("pk").values()),
        ScoringRun.objects.count(),
        RuleVersion.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_leaderboard_and_export_are_scoped(role, scored, client_for):
    client = client_for(scored["users"][role])
    response = client.get(reverse("points:leaderboard"))
    export = client.get(reverse("points:leaderboard_export"))
    if role not in LEADERBOARD:
        assert (response.status_code, export.status_code) == (403, 403)
        return
    page = response.content.decode()
    for key in "abc":
        assert (scored[key].uscc in page) == (key in LEADERBOARD[role]), key
    assert "权重说明" in page
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("总排名", "企业名称", "统一社会信用代码", "阶段", "积分")
    assert {r[2] for r in rows[1:]} == {scored[k].uscc for k in LEADERBOARD[role]}


@pytest.mark.parametrize("role", ROLES)
def test_home_routes_by_role(role, scored, client_for):
    response = client_for(scored["users"][role]).get(reverse("points:home"))
    if role in LEADERBOARD:
        assert response.url == reverse("points:leaderboard")
    elif role == "enterprise_user":
        assert response.url == reverse("points:firm", args=[scored["a"].uscc])
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_firm_page_and_diagnosis_are_scoped(role, scored, client_for):
    client = client_for(scored["users"][role])
    for key in "abc":
        uscc = scored[key].uscc
        allowed = key in VISIBLE[role]
        for name in ("points:firm", "points:diagnosis"):
            response = client.get(reverse(name, args=[uscc]))
            expected = 403 if role in NO_POINTS else 200 if allowed else 404
            assert response.status_code == expected, (name, key)
        if allowed and key == "b" and role not in NO_POINTS:
            page = client.get(reverse("points:firm", args=[uscc])).content.decode()
            # Alerts show to bureau and park operators only.
            assert ("持有高企证书，但科技人员占比为 8%" in page) == (role in LEADERBOARD)


@pytest.mark.parametrize("role", ROLES)
def test_alert_inbox_and_actions(role, scored, client_for):
    client = client_for(scored["users"][role])
    alert = Alert.objects.get(rule="rd_expense_drop")
    before = snapshot()
    inbox = client.get(reverse("points:alerts"))
    digest = client.get(reverse("points:alerts_export"))
    ack = client.post(reverse("points:alert_acknowledge", args=[alert.pk]))
    assign = client.post(
        reverse("points:alert_assign", args=[alert.pk]), {"assignee": scored["users"]["bureau_staff"].pk}
    )
    if role in BUREAU:
        assert inbox.status_code == 200 and "研发费用由 200.00 万元 降至 150.00 万元" in inbox.content.decode()
        assert "规则版本 2025-01-01 起施行" in inbox.content.decode() and "monitoring@" not in inbox.content.decode()
        rows = list(load_workbook(io.BytesIO(digest.content)).active.iter_rows(values_only=True))
        assert [r[2] for r in rows[1:]] == ["高企科技人员占比不足", "研发费用大幅下降"]  # severity order
        drop = rows[2]
        assert drop[6] == "研发费用=150.0；研发费用增长率=-0.25；研发费用（1年前）=200.0"  # labels, not codes
        assert drop[10] == "monitoring@2025-01-01"
        alert.refresh_from_db()
        assert (alert.status, alert.acknowledged_by, alert.assignee) == (
            "acknowledged",
            scored["users"][role],
            scored["users"]["bureau_staff"],
        )
        assert set(AuditEvent.objects.filter(object_id=str(alert.pk)).values_list("action", flat=True)) == {
            "points.alert.acknowledge",
            "points.alert.assign",
        }
    elif role == "park_operator":  # reads its firms' alerts (b is resident in its valley); handling is the bureau's
        assert inbox.status_code == 200 and "研发费用由 200.00 万元 降至 150.00 万元" in inbox.content.decode()
        assert digest.status_code == 200
        assert [r.status_code for r in (ack, assign)] == [403] * 2
        assert snapshot() == before
    else:
        assert [r.status_code for r in (inbox, digest, ack, assign)] == [403] * 4
        assert snapshot() == before


def test_alert_cannot_be_assigned_outside_the_bureau(scored, client_for):
    alert = Alert.objects.get(rule="rd_expense_drop")
    client = client_for(scored["users"]["bureau_admin"])
    client.post(reverse("points:alert_assign", args=[alert.pk]), {"assignee": scored["users"]["bank_user"].pk})
    alert.refresh_from_db()
    assert alert.assignee is None


@pytest.mark.parametrize("role", ROLES)
def test_runs_page_and_start(role, scored, client_for, django_capture_on_commit_callbacks):
    client = client_for(scored["users"][role])
    before_runs = ScoringRun.objects.count()
    assert client.get(reverse("points:runs")).status_code == (200 if role in LEADERBOARD else 403)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("points:runs"), {"year": 2024, "scheme_id": "core18"})
    if role in BUREAU:
        assert response.status_code == 302 and len(callbacks) == 1
    else:
        assert response.status_code == 403 and callbacks == []
    assert ScoringRun.objects.count() == before_runs


def test_leaderboard_filters(scored, client_for):
    client = client_for(scored["users"]["bureau_staff"])

    def usccs(**params):
        page = client.get(reverse("points:leaderboard"), params).content.decode()
        return {k for k in "abc" if scored[k].uscc in page}

    page = client.get(reverse("points:leaderboard")).content.decode()
    assert "2022-01-01 起施行" in page and "core18@" not in page  # the scheme version by its date, not its code
    assert usccs(stage="growth") == {"a", "b"}
    assert usccs(stage="mature") == {"c"}
    assert usccs(industry="65") == {"a"}
    assert usccs(region="140100") == {"a", "b"}  # a city code covers its counties
    assert usccs(region="140106") == {"b"}
    assert usccs(carrier="晋创谷·太原") == {"a", "b"}
    assert usccs(q="泰州") == {"c"}
    # Lists need rank × 20 ≤ cohort size for the top 5 %: cohorts of 2 and 1 put nobody on a list.
    assert usccs(list="leading") == set()
    tiers = scored["run"].tier_run.results.filter(qualified="true").values_list("enterprise__uscc", "tier")
    for uscc, tier in tiers:
        assert uscc in client.get(reverse("points:leaderboard"), {"tier": tier}).content.decode()


def test_leaderboard_query_count_is_constant(scored, client_for, django_assert_max_num_queries):
    from decimal import Decimal

    from kechuang.enterprises.models import AnnualFigure, Enterprise
    from kechuang.points.services import score_year
    from tests.conftest import make_uscc

    for n in range(10, 70):
        e = Enterprise.objects.create(uscc=make_uscc(n), name=f"企业{n}", region_id="140105", industry_id="6513")
        AnnualFigure.objects.create(enterprise=e, year=2024, revenue=Decimal(100 * n), rd_expense=Decimal(n))
    score_year(2024)
    client = client_for(scored["users"]["bureau_staff"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("points:leaderboard"), {"page": 2})
    assert "第 2 / 2 页" in response.content.decode()


def test_empty_states(world, client_for):
    client = client_for(world["users"]["bureau_staff"])
    assert "尚无积分计算结果" in client.get(reverse("points:leaderboard")).content.decode()
    assert "该企业尚无积分结果" in client.get(reverse("points:firm", args=[world["a"].uscc])).content.decode()
    assert client.get(reverse("points:diagnosis", args=[world["a"].uscc])).status_code == 404
    assert "没有预警" in client.get(reverse("points:alerts")).content.decode()


def test_firm_page_and_diagnosis_cost_a_fixed_number_of_queries(scored, client_for, django_assert_max_num_queries):
    client = client_for(scored["users"]["bureau_staff"])
    # A fixed count, whatever the firm's history: 16, plus the region profile read by the credit line and by the
    # products list, and the products on offer (rules/region.py, finance/diagnosis.py).
    for name in ("points:firm", "points:diagnosis"):
        with django_assert_max_num_queries(19):
            assert client.get(reverse(name, args=[scored["b"].uscc])).status_code == 200
