"""Long work on the points pages. The batch-diagnosis button offers only what a batch can do: up to BATCH_LIMIT
firms as filtered, beyond it the first BATCH_LIMIT by rank, the limit said on the page; never a button that then
refuses. A large leaderboard export runs as a job whose file only its owner (or a bureau admin) downloads."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from huey.contrib.djhuey import HUEY
from openpyxl import load_workbook

from kechuang.core import jobs
from kechuang.core.models import Job
from kechuang.points import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_two(monkeypatch):
    """The scored world has 3 firms; a limit of 2 puts the full list above it and the 成长期 filter at it."""
    monkeypatch.setattr(selectors, "BATCH_LIMIT", 2)


def batch_buttons(html: str) -> list[str]:
    form = re.search(r'<form[^>]*data-testid="batch-form".*?</form>', html, re.S).group(0)
    return re.findall(r"<button[^>]*>(.*?)</button>", form, re.S)


def test_above_the_limit_the_page_offers_the_first_n_and_says_why(scored, client_for, limit_two):
    client = client_for(scored["users"]["bureau_staff"])
    html = client.get(reverse("points:leaderboard")).content.decode()
    assert batch_buttons(html) == ["为排名前 2 家企业批量生成诊断书（PDF）"]
    assert "一次最多生成 2 份诊断书；筛选出 3 家，可缩小筛选范围后分批生成。" in html
    assert "为筛选出的 3 家企业" not in html

    response = client.post(reverse("points:batch_start"), {"first": "1"})
    job = Job.objects.get(kind="points_diagnosis_batch")
    assert response.url == reverse("points:batch", args=[job.pk])
    assert (job.total, job.title) == (2, "批量诊断书（2024 年度，排名前 2 家）")
    jobs.execute(str(job.pk), job.func, job.kwargs)
    job.refresh_from_db()
    assert (job.status, job.done, job.result["count"]) == ("done", 2, 2)  # the first two by rank, as offered


def test_at_the_limit_the_page_offers_the_whole_filtered_list(scored, client_for, limit_two):
    html = client_for(scored["users"]["bureau_staff"]).get(reverse("points:leaderboard"), {"stage": "growth"})
    assert batch_buttons(html.content.decode()) == ["为筛选出的 2 家企业批量生成诊断书（PDF）"]


def test_a_request_above_the_limit_without_first_is_refused_and_queues_nothing(scored, client_for, limit_two):
    response = client_for(scored["users"]["bureau_staff"]).post(reverse("points:batch_start"), follow=True)
    assert "一次最多生成 2 份诊断书，请缩小筛选范围（当前 3 家）" in response.content.decode()
    assert not Job.objects.exists()


@pytest.fixture
def immediate_huey():
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def test_large_leaderboard_export_is_a_job_with_the_filtered_rows(
    scored, client_for, settings, immediate_huey, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client = client_for(scored["users"]["bureau_staff"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("points:leaderboard_export"), {"stage": "growth"})
    job = Job.objects.get(kind="export")
    assert response.url == reverse("core:job", args=[job.pk])
    assert (job.status, job.total, job.result["rows"], job.title) == (
        "done",
        2,
        2,
        "导出创新积分排行榜（2024 年度，2 家）",
    )
    download = client.get(reverse("core:job_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == [scored["a"].uscc, scored["b"].uscc]
    other = client_for(scored["users"]["park_operator"])
    assert other.get(reverse("core:job_download", args=[job.pk])).status_code == 403


def test_large_alert_digest_is_a_job_with_the_filtered_alerts(
    scored, client_for, settings, immediate_huey, django_capture_on_commit_callbacks
):
    client = client_for(scored["users"]["bureau_staff"])
    settings.EXPORT_BACKGROUND_ROWS = 2
    at_once = load_workbook(io.BytesIO(client.get(reverse("points:alerts_export")).content)).worksheets[0]
    assert [r[2] for r in at_once.iter_rows(min_row=2, values_only=True)] == [
        "高企科技人员占比不足",
        "研发费用大幅下降",
    ]
    assert not Job.objects.exists()

    settings.EXPORT_BACKGROUND_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("points:alerts_export"), {"rule": "rd_expense_drop"})
    job = Job.objects.get(kind="export")
    assert response.url == reverse("core:job", args=[job.pk])
    assert (job.status, job.total, job.result["rows"], job.title) == ("done", 1, 1, "导出创新积分预警摘要（1 行）")
    download = client.get(reverse("core:job_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    assert [r[2:5] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("研发费用大幅下降", scored["b"].name, scored["b"].uscc)
    ]
    other = client_for(scored["users"]["park_operator"])
    assert other.get(reverse("core:job_download", args=[job.pk])).status_code == 403
