"""A large service-request export runs as a job above EXPORT_BACKGROUND_ROWS with the user's scope and filters;
below it the file comes at once; only the job's owner (or a bureau admin) downloads it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.core.models import Job
from tests.long_work import immediate_huey, own_data_dir, rows_of  # noqa: F401  (autouse fixtures)
from tests.onestop.test_requests import requests  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("requests")
def test_the_inbox_export_above_the_threshold_is_a_job_with_the_filtered_rows(
    sworld, client_for, settings, django_capture_on_commit_callbacks
):
    staff = client_for(sworld["users"]["bureau_staff"])
    settings.EXPORT_BACKGROUND_ROWS = 2
    at_once = rows_of(staff.get("/services/", {"category": "cultivation", "format": "xlsx"}).content)
    assert sorted(r[4] for r in at_once[1:]) == ["b 培育", "c 培育"] and not Job.objects.exists()

    settings.EXPORT_BACKGROUND_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.get("/services/", {"category": "cultivation", "format": "xlsx"})
    job = Job.objects.get(kind="export")
    assert response.url == reverse("core:job", args=[job.pk])
    assert (job.status, job.total, job.result["rows"], job.title) == ("done", 2, 2, "导出服务单（2 行）")
    download = staff.get(reverse("core:job_download", args=[job.pk]))
    assert rows_of(b"".join(download.streaming_content)) == at_once
    operator = client_for(sworld["users"]["park_operator"])
    assert operator.get(reverse("core:job_download", args=[job.pk])).status_code == 403
