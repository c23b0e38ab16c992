"""Large tier-list exports (a tier's firms, near misses, what lapses soon) run as jobs above
EXPORT_BACKGROUND_ROWS, with the user's scope and filters; below it the file comes at once; only the job's
owner downloads its file."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.core.models import Job
from kechuang.tiers import services
from tests.long_work import export_job, immediate_huey, own_data_dir, rows_of  # noqa: F401  (autouse fixtures)
from tests.tiers.test_recognitions import recognitions  # noqa: F401  (a fixture)
from tests.tiers.test_tiers_platform import AS_OF, evaluated, worked_example  # noqa: F401  (evaluated: a fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("evaluated")
def test_tier_list_above_the_threshold_is_a_job_with_the_filtered_rows(
    world, client_for, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 0
    client = client_for(world["users"]["bureau_staff"])
    url = reverse("tiers:tier_list", args=["tech_sme"])
    job, rows = export_job(client, url, django_capture_on_commit_callbacks, {"qualified": "true"})
    assert (job.total, job.result["rows"], job.title) == (1, 1, "导出科技型中小企业名单_基准日20250630（1 行）")
    assert rows[1:] == [(world["a"].name, world["a"].uscc, "达标", "评分", 64, 64, 64, None, None, None)]
    assert job.result["filename"].startswith("科技型中小企业名单_基准日20250630_")
    assert (
        client_for(world["users"]["park_operator"]).get(reverse("core:job_download", args=[job.pk])).status_code == 403
    )


@pytest.mark.usefixtures("evaluated")
def test_tier_list_at_the_threshold_comes_at_once(world, client_for, settings):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client = client_for(world["users"]["bureau_staff"])
    response = client.get(reverse("tiers:tier_list", args=["tech_sme"]), {"qualified": "true", "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert [r[1] for r in rows_of(response.content)[1:]] == [world["a"].uscc]
    assert not Job.objects.exists()


def test_near_misses_job_reads_the_users_filters(world, client_for, settings, django_capture_on_commit_callbacks):
    for firm in ("a", "b"):  # both one condition short of 科技型中小企业
        worked_example(world[firm], tech_staff=14)
    services.evaluate_all(AS_OF)
    client = client_for(world["users"]["bureau_staff"])
    url = reverse("tiers:near_misses")
    everyone = rows_of(client.get(url, {"format": "xlsx"}).content)[1:]
    assert [r[1] for r in everyone] == [world["a"].uscc, world["b"].uscc]  # the filter below must narrow

    settings.EXPORT_BACKGROUND_ROWS = 0
    job, rows = export_job(client, url, django_capture_on_commit_callbacks, {"q": "太原乙"})
    assert job.kwargs["writer_kwargs"]["params"]["filters"] == {"q": "太原乙"}
    assert rows[1:] == everyone[1:] and job.result["rows"] == 1
    assert (
        client_for(world["users"]["bureau_admin"]).get(reverse("core:job_download", args=[job.pk])).status_code == 200
    )  # a bureau admin answers for the data leaving the platform


def test_expiring_titles_above_the_threshold_are_a_job_below_it_at_once(
    recognitions,  # noqa: F811
    client_for,
    settings,
    django_capture_on_commit_callbacks,
):
    client = client_for(recognitions["users"]["bureau_staff"])
    url = reverse("tiers:expiring")
    settings.EXPORT_BACKGROUND_ROWS = 2
    at_once = rows_of(client.get(url, {"list": "titles", "format": "xlsx"}).content)
    assert {r[2] for r in at_once[1:]} == {"专精特新中小企业", "专精特新“小巨人”"} and len(at_once) == 3
    assert not Job.objects.exists()

    settings.EXPORT_BACKGROUND_ROWS = 1
    job, rows = export_job(client, url, django_capture_on_commit_callbacks, {"list": "titles"})
    assert (job.total, job.result["rows"], job.title) == (2, 2, "导出梯度称号即将到期（2 行）")
    assert sorted(rows[1:]) == sorted(at_once[1:])
    operator = client_for(recognitions["users"]["park_operator"])
    assert operator.get(reverse("core:job_download", args=[job.pk])).status_code == 403
