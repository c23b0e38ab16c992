"""Large imports run in the background with progress on the job page; a small one runs at once."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from kechuang.core.models import Job
from kechuang.enterprises.models import AnnualFigure
from tests.conftest import make_uscc
from tests.registry.test_import import HEADER, good_row


def csv_bytes(rows) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode()


@pytest.fixture
def immediate_huey():
    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.mark.django_db
def test_large_import_runs_as_a_job_with_progress(
    world, client_for, settings, immediate_huey, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 5
    rows = [good_row(500 + i) for i in range(8)] + [[make_uscc(600)[:-1] + "0", "坏", "140105", "6513", 2024]]
    upload = SimpleUploadedFile("大文件.csv", csv_bytes(rows), content_type="text/csv")
    client = client_for(world["users"]["bureau_staff"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("enterprises:import"), {"file": upload})
    job = Job.objects.get(kind="import_facts")
    assert response.status_code == 302 and response["Location"] == reverse("core:job", args=[job.pk])
    assert job.status == "done" and job.done == job.total == 9
    assert job.result["accepted_rows"] == 8 and job.result["rejected_rows"] == 1
    assert job.result["message"] == "共 9 行，已导入 8 行，拒绝 1 行"
    assert AnnualFigure.objects.filter(enterprise__uscc=make_uscc(500)).exists()
    # The import's consequence (the alerts of the imported year) ran as its own job after the commit.
    followup = Job.objects.get(kind="facts_followup")
    assert (followup.status, followup.title) == ("done", "数据变更后的监测预警（2024 年度）")
    page = client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert "已完成" in page and "统一社会信用代码校验位错误" in page
    # The stored upload is removed once imported.
    assert not list((settings.DATA_DIR / "uploads").glob("*.csv"))


@pytest.mark.django_db
def test_job_page_is_private_to_its_creator(world, client_for):
    job = Job.objects.create(kind="import_facts", title="x", created_by=world["users"]["bureau_staff"])
    assert client_for(world["users"]["bureau_admin"]).get(reverse("core:job", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_small_import_runs_at_once_and_dry_run_is_the_default(world, client_for):
    upload = SimpleUploadedFile("小.csv", csv_bytes([good_row(700)]), content_type="text/csv")
    response = client_for(world["users"]["bureau_staff"]).post(
        reverse("enterprises:import"), {"file": upload, "dry_run": "on"}
    )
    assert response.status_code == 200 and response.context["report"]["accepted_rows"] == 1
    assert not AnnualFigure.objects.filter(enterprise__uscc=make_uscc(700)).exists()
    assert Job.objects.count() == 0


@pytest.mark.django_db
def test_failed_job_shows_its_error(world):
    from kechuang.core import jobs

    job = Job.objects.create(kind="x", title="坏任务")
    jobs.execute(str(job.pk), "kechuang.core.jobs.no_such_function", {})
    job.refresh_from_db()
    assert job.status == "failed" and job.message.startswith("任务失败")


@pytest.mark.django_db
def test_job_page_says_a_queued_job_waits_and_counts_a_running_one(world, client_for):
    user = world["users"]["bureau_staff"]
    job = Job.objects.create(kind="tier_evaluation", title="梯队评价", created_by=user)
    client = client_for(user)
    html = client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert "等待后台开始处理" in html and "0 / " not in html
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, done=1, total=3)
    html = client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert '<p class="muted" data-testid="job-progress">进度：1 / 3</p>' in html and "等待后台" not in html
