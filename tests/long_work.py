"""What the long-work tests of every app share: a data folder of their own for job files, jobs run at once, and
an export asked for, answered by its job's page, and downloaded by its owner."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from huey.contrib.djhuey import HUEY
from openpyxl import load_workbook

from kechuang.core.models import Job


@pytest.fixture(autouse=True)
def own_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def immediate_huey():
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def rows_of(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))


def export_job(client, url, capture, params: dict | None = None) -> tuple[Job, list[tuple]]:
    """Ask for the export (as Excel, with `params` when given); it must answer with the job's page; the job's
    file, downloaded by its owner."""
    with capture(execute=True):
        response = client.get(url) if params is None else client.get(url, {**params, "format": "xlsx"})
    job = Job.objects.get(kind="export")
    assert response.status_code == 302 and response.url == reverse("core:job", args=[job.pk])
    assert job.status == "done"
    download = client.get(reverse("core:job_download", args=[job.pk]))
    return job, rows_of(b"".join(download.streaming_content))
