"""Monitoring runs after every change of figures — an import, a hand edit, a confirmed submission — as a job
scheduled on commit: a fall in R&D expense raises an alert for the changed year."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kechuang.core import jobs
from kechuang.core.models import Job
from kechuang.enterprises import importing, services
from kechuang.enterprises.models import AnnualFigure, FigureSubmission
from kechuang.points.models import Alert
from tests.registry.test_import import write_csv

JOB = "kechuang.points.services.alerts_after_facts_job"


def scheduled(callbacks) -> list[Job]:
    """Run what the writer scheduled on commit; the follow-up jobs it created."""
    before = set(Job.objects.values_list("pk", flat=True))
    for callback in callbacks:
        callback()
    return list(Job.objects.filter(kind="facts_followup").exclude(pk__in=before))


@pytest.mark.django_db
def test_import_schedules_monitoring_on_commit(world, tmp_path, django_capture_on_commit_callbacks):
    a, staff = world["a"], world["users"]["bureau_staff"]
    AnnualFigure.objects.filter(enterprise=a, year=2024).update(rd_expense=Decimal(200))
    header = ["统一社会信用代码", "企业名称", "年度", "研发费用(万元)"]
    path = write_csv(tmp_path / "r.csv", [[a.uscc, a.name, 2025, "150"]], header=header)
    with django_capture_on_commit_callbacks() as callbacks:
        importing.import_facts(path, actor=staff)
    assert not Alert.objects.exists()  # nothing ran inside the import's transaction
    (job,) = scheduled(callbacks)
    assert (job.title, job.created_by) == ("数据变更后的监测预警（2025 年度）", staff)
    jobs.execute(str(job.pk), JOB, {"years": [2025], "user_id": staff.pk})
    alert = Alert.objects.get(enterprise=a, year=2025, rule="rd_expense_drop")
    assert "下降 25" in alert.message
    # Importing the same file again changes nothing, so nothing is scheduled.
    with django_capture_on_commit_callbacks() as callbacks:
        importing.import_facts(path, actor=staff)
    assert scheduled(callbacks) == []


@pytest.mark.django_db
def test_hand_edits_and_confirmed_submissions_schedule_it_too(world, django_capture_on_commit_callbacks):
    staff = world["users"]["bureau_staff"]
    with django_capture_on_commit_callbacks() as callbacks:
        services.save_figure(world["a"], 2024, {"rd_expense": Decimal("99")}, actor=staff)
    assert [j.title for j in scheduled(callbacks)] == ["数据变更后的监测预警（2024 年度）"]
    submission = FigureSubmission.objects.create(
        enterprise=world["a"], year=2023, data={"rd_expense": "12"}, submitted_by=world["users"]["enterprise_user"]
    )
    with django_capture_on_commit_callbacks() as callbacks:
        services.review_submission(submission, actor=staff, approve=True)
    assert [j.title for j in scheduled(callbacks)] == ["数据变更后的监测预警（2023 年度）"]


@pytest.mark.django_db
def test_a_failing_consequence_is_a_failed_job_not_a_lost_error(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.save_figure(world["a"], 2024, {"rd_expense": Decimal("98")}, actor=world["users"]["bureau_staff"])
    (job,) = scheduled(callbacks)
    jobs.execute(str(job.pk), JOB, {"years": ["not a year"], "user_id": None})
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


@pytest.mark.django_db
def test_dry_run_raises_no_alerts(world, tmp_path):
    AnnualFigure.objects.filter(enterprise=world["a"], year=2024).update(rd_expense=Decimal(200))
    header = ["统一社会信用代码", "企业名称", "年度", "研发费用(万元)"]
    path = write_csv(tmp_path / "r.csv", [[world["a"].uscc, world["a"].name, 2025, "150"]], header=header)
    importing.import_facts(path, dry_run=True)
    assert not Alert.objects.exists()
