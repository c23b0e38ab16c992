"""score_year: exact stored values, one run per (scheme version, year, as-of), set-based writes, alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kechuang.core.models import AuditEvent
from kechuang.points import schemes, services
from kechuang.points.models import Alert, PointsResult, ScoringRun
from tests.conftest import make_uscc

pytestmark = pytest.mark.django_db


def by_name(run):
    return {r.enterprise.name[:3]: r for r in PointsResult.objects.filter(run=run).select_related("enterprise")}


def test_stored_points_ranks_and_contributions_are_exact(scored):
    run = scored["run"]
    assert (run.scheme_key, run.year, run.as_of) == ("core18@2022-01-01", 2024, dt.date(2024, 12, 31))
    assert (run.enterprises, run.scored, run.stage_sizes) == (3, 3, {"growth": 2, "mature": 1})
    r = by_name(run)
    a, b, c = r["太原甲"], r["太原乙"], r["泰州丙"]
    # a: 成长期; R&D 150 / reference 500 × 8 = 2.4; R&D/revenue 5% → band 0.6 × 9 = 5.4;
    # tech staff 22% → band 0.8 × 8 = 6.4; revenue min–max top of its stage × 8; growth percentiles top
    # × 6 and 8.
    assert a.contributions["rd_expense"] == 2.4
    assert a.contributions["rd_ratio_revenue"] == 5.4
    assert a.contributions["tech_staff_ratio"] == 6.4
    assert a.contributions["revenue"] == 8.0
    assert (a.points, b.points, c.points) == (36.2, 11.4, 5.4)
    # b: R&D/revenue 150/800 = 18.75% ≥ 10% → full 9; tech staff 8% → band 0.
    assert (b.contributions["rd_ratio_revenue"], b.contributions["tech_staff_ratio"]) == (9.0, 0.0)
    assert [(x.rank, x.stage, x.stage_rank) for x in (a, b, c)] == [
        (1, "growth", 1),
        (2, "growth", 2),
        (3, "mature", 1),
    ]
    assert a.percentiles["tech_staff_ratio"] == 100.0 and b.percentiles["tech_staff_ratio"] == 0.0
    assert a.percentiles["invention_applications"] is None  # unknown has no percentile
    assert "invention_applications" in a.missing.split(";")
    assert (a.industry_code, a.region_code, a.carrier, c.carrier) == ("6513", "140105", "晋创谷·太原", "别的孵化器")
    assert a.credit["revenue_basis"] == 2750.0  # (3000 + 2500) / 2
    assert a.credit["rule"] == "points_loan_taiyuan@2024-01-01"  # the bureau's choice (finance programme rule)
    assert schemes.run_scheme(run).key == "core18@2022-01-01"


def test_alerts_fire_on_known_facts_only(scored):
    alerts = {(a.enterprise.name[:3], a.rule): a for a in Alert.objects.select_related("enterprise")}
    assert set(alerts) == {("太原乙", "rd_expense_drop"), ("太原乙", "hte_tech_staff_low")}
    drop = alerts[("太原乙", "rd_expense_drop")]
    assert drop.message == "研发费用由 200.00 万元 降至 150.00 万元，下降 25%（预警线 20%）"
    assert drop.values == {"rd_expense_growth": -0.25, "rd_expense_prev1": 200.0, "rd_expense": 150.0}
    assert (drop.severity, drop.status, drop.run_id, drop.year) == ("warning", "open", scored["run"].pk, 2024)


def test_rescoring_the_same_key_replaces_and_keeps_acknowledged_alerts(scored):
    staff = scored["users"]["bureau_staff"]
    alert = Alert.objects.get(rule="rd_expense_drop")
    services.acknowledge_alert(alert, user=staff)
    before = sorted(PointsResult.objects.values_list("enterprise_id", "points", "rank", "contributions", "raw"))
    run = services.score_year(2024, user=staff)
    assert ScoringRun.objects.count() == 1 and run.pk != scored["run"].pk
    after = sorted(PointsResult.objects.values_list("enterprise_id", "points", "rank", "contributions", "raw"))
    assert after == before  # reproducible
    assert Alert.objects.count() == 2
    assert Alert.objects.get(pk=alert.pk).status == "acknowledged"
    assert AuditEvent.objects.filter(action="points.score").count() == 2


def test_another_as_of_is_another_run(scored):
    services.score_year(2024, user=scored["users"]["bureau_admin"], as_of=dt.date(2025, 3, 31))
    assert sorted(ScoringRun.objects.values_list("as_of", flat=True)) == [
        dt.date(2024, 12, 31),
        dt.date(2025, 3, 31),
    ]


def test_writes_are_set_based(scored):
    """The number of queries does not grow with the number of firms."""
    from kechuang.enterprises.models import AnnualFigure, Enterprise

    staff = scored["users"]["bureau_staff"]
    with CaptureQueriesContext(connection) as few:
        services.score_year(2024, user=staff)
    for n in range(10, 40):
        e = Enterprise.objects.create(uscc=make_uscc(n), name=f"企业{n}", region_id="140105", industry_id="6513")
        AnnualFigure.objects.create(
            enterprise=e,
            year=2024,
            revenue=Decimal(100 * n),
            rd_expense=Decimal(n),
            staff_total=50,
            tech_staff=n % 20,
        )
    with CaptureQueriesContext(connection) as many:
        run = services.score_year(2024, user=staff)
    assert run.enterprises == 33
    assert len(many.captured_queries) == len(few.captured_queries)


def test_last_years_rank_is_a_policy_input_for_the_next_year(figures):
    """The guarantee-fee waiver (a policy) reads the rank of the year before the payout year."""
    import polars as pl

    from kechuang.points.policies import policy_inputs

    run = services.score_year(2024)
    got = policy_inputs([2025, 2026], dt.date(2025, 6, 30)).sort("points_rank_prev_year")
    r = by_name(run)
    assert got.filter(pl.col("year") == 2026).is_empty()  # 2025 not scored: no rank, so no row
    assert got.select("uscc", "year", "points_rank_prev_year").rows() == [
        (r["太原甲"].enterprise.uscc, 2025, 1),
        (r["太原乙"].enterprise.uscc, 2025, 2),
        (r["泰州丙"].enterprise.uscc, 2025, 3),
    ]


@pytest.mark.parametrize("role", ["park_operator", "enterprise_user", "bank_user", "institution_user"])
def test_only_bureau_scores(figures, role):
    with pytest.raises(PermissionDenied):
        services.score_year(2024, user=figures["users"][role])
    assert ScoringRun.objects.count() == 0


def test_a_year_without_figures_is_refused_in_chinese(figures):
    with pytest.raises(ValidationError) as err:
        services.score_year(2026)
    assert err.value.messages == ["2026 年度没有企业年度数据，无法计算积分"]
    with pytest.raises(ValidationError) as err:
        services.score_year(2019)
    assert err.value.messages == ["方案 core18 在 2019-12-31 没有生效的版本（已有版本：core18@2022-01-01）"]


def test_scoring_job_reports_progress(figures):
    from kechuang.core import jobs
    from kechuang.core.models import Job

    job = Job.objects.create(kind="points_scoring", title="t", created_by=figures["users"]["bureau_staff"])
    jobs.execute(
        str(job.pk),
        "kechuang.points.services.scoring_job",
        {"year": 2024, "scheme_id": "core18", "user_id": figures["users"]["bureau_staff"].pk},
    )
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 4, 4)
    assert job.result["message"] == "已计算 3 家企业（计分 3 家）"


def test_refresh_alerts_adds_only_new_keys(scored):
    from kechuang.enterprises.models import AnnualFigure

    staff = scored["users"]["bureau_staff"]
    assert services.refresh_alerts(2024, user=staff) == 0
    # a's R&D falls from 150 to 119.99: −20.007% (超过 20%); exactly −20% would not fire.
    AnnualFigure.objects.filter(enterprise=scored["a"], year=2024).update(rd_expense=Decimal("120"))
    assert services.refresh_alerts(2024, user=staff) == 0
    AnnualFigure.objects.filter(enterprise=scored["a"], year=2024).update(rd_expense=Decimal("119.99"))
    assert services.refresh_alerts(2024, user=staff) == 1
    assert Alert.objects.filter(enterprise=scored["a"], rule="rd_expense_drop").count() == 1
