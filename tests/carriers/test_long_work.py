"""A carrier's large residents export runs as a job above EXPORT_BACKGROUND_ROWS with the user's scope and
filters; below it the file comes at once; only the job's owner (or a bureau admin) downloads it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.core.models import Job
from tests.long_work import immediate_huey, own_data_dir, rows_of  # noqa: F401  (autouse fixtures)

pytestmark = pytest.mark.django_db


def test_residents_above_the_threshold_are_a_job_below_it_at_once(
    cworld, client_for, settings, django_capture_on_commit_callbacks
):
    operator = client_for(cworld["operator"])
    url = f"/carriers/{cworld['valley'].pk}/residents/"
    settings.EXPORT_BACKGROUND_ROWS = 1
    small = rows_of(operator.get(url, {"q": "太原甲", "format": "xlsx"}).content)
    assert [r[0] for r in small[1:]] == ["太原甲科技有限公司"] and not Job.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = operator.get(url, {"format": "xlsx"})
    job = Job.objects.get(kind="export")
    assert response.url == reverse("core:job", args=[job.pk])
    assert (job.status, job.total, job.result["rows"]) == ("done", 2, 2)
    assert job.title == f"导出{cworld['valley'].name}入驻名单（2 行）"
    download = operator.get(reverse("core:job_download", args=[job.pk]))
    rows = rows_of(b"".join(download.streaming_content))
    assert {r[0] for r in rows[1:]} == {"太原甲科技有限公司", "太原乙材料有限公司"} and len(rows) == 3
    staff = client_for(cworld["staff"])
    assert staff.get(reverse("core:job_download", args=[job.pk])).status_code == 403
