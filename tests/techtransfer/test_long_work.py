"""Large technology-transfer exports (contracts, achievements) run as jobs above EXPORT_BACKGROUND_ROWS with the
user's filters; below it the file comes at once; only the job's owner (or a bureau admin) downloads it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.core.models import Job
from tests.long_work import export_job, immediate_huey, own_data_dir, rows_of  # noqa: F401  (autouse fixtures)

pytestmark = pytest.mark.django_db


def test_contracts_above_the_threshold_are_a_job_with_the_filtered_rows(
    world, record, client_for, settings, django_capture_on_commit_callbacks
):
    for no in ("A", "B", "C"):
        record(no)
    record("Z", type="consulting")
    staff = client_for(world["users"]["bureau_staff"])
    settings.EXPORT_BACKGROUND_ROWS = 3
    at_once = rows_of(staff.get("/techtransfer/contracts/?type=development&format=xlsx").content)
    assert sorted(r[0] for r in at_once[1:]) == ["A", "B", "C"]
    assert not Job.objects.exists()

    settings.EXPORT_BACKGROUND_ROWS = 2
    job, rows = export_job(
        staff,
        "/techtransfer/contracts/?type=development&start=2000-01-01&format=xlsx",
        django_capture_on_commit_callbacks,
    )
    assert (job.total, job.result["rows"], job.title) == (3, 3, "导出技术合同（3 行）")
    assert job.kwargs["writer_kwargs"]["params"]["start"] == "2000-01-01"
    assert rows == at_once
    other = client_for(world["users"]["park_operator"])
    assert other.get(reverse("core:job_download", args=[job.pk])).status_code == 403


def test_achievements_above_the_threshold_are_a_job_with_the_filtered_rows(
    world, supply, client_for, settings, django_capture_on_commit_callbacks
):
    staff = client_for(world["users"]["bureau_staff"])
    settings.EXPORT_BACKGROUND_ROWS = 1
    small = rows_of(staff.get("/techtransfer/achievements/?q=cn112345678a&format=xlsx").content)
    assert [r[0] for r in small[1:]] == ["一种锂离子电池隔膜的涂覆方法"] and not Job.objects.exists()

    job, rows = export_job(staff, "/techtransfer/achievements/?q=h01m&format=xlsx", django_capture_on_commit_callbacks)
    assert (job.total, job.result["rows"]) == (2, 2)
    assert sorted(r[0] for r in rows[1:]) == ["一种锂离子电池隔膜的涂覆方法", "动力电池热失控预警算法"]
    other = client_for(world["users"]["institution_user"])
    assert other.get(reverse("core:job_download", args=[job.pk])).status_code == 403
