"""Large policy-list exports (entitlements, claw-backs, a simulation's near misses) run as jobs above
EXPORT_BACKGROUND_ROWS with the user's filters; below it the file comes at once; only the job's owner (or a
bureau admin) downloads its file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kechuang.core.models import Job
from kechuang.policies import services
from kechuang.policies.models import Clawback, Entitlement, SimulationRun
from tests.long_work import export_job, immediate_huey, own_data_dir, rows_of  # noqa: F401  (autouse fixtures)
from tests.policies.conftest import AS_OF, policy, versions

pytestmark = pytest.mark.django_db


def test_entitlements_above_the_threshold_are_a_job_below_it_at_once(
    pworld, client_for, settings, django_capture_on_commit_callbacks
):
    services.run_eligibility("rd_subsidy", AS_OF)
    assert Entitlement.objects.count() == 2
    settings.EXPORT_BACKGROUND_ROWS = 1
    client = client_for(pworld["users"]["bureau_staff"])
    url = reverse("policies:entitlements")
    small = client.get(url, {"q": pworld["b"].uscc, "format": "xlsx"})  # one row: at once
    assert [r[3] for r in rows_of(small.content)[1:]] == [pworld["b"].uscc]
    assert not Job.objects.exists()

    job, rows = export_job(client, url, django_capture_on_commit_callbacks, {"policy": "rd_subsidy"})
    assert (job.total, job.result["rows"], job.title) == (2, 2, "导出兑现资格（2 行）")
    assert job.kwargs["writer_kwargs"]["params"] == {"status": "", "policy": "rd_subsidy", "year": "", "q": ""}
    assert sorted(r[3] for r in rows[1:]) == sorted([pworld["a"].uscc, pworld["b"].uscc])
    other = client_for(pworld["users"]["park_operator"])
    assert other.get(reverse("core:job_download", args=[job.pk])).status_code == 403


def test_clawbacks_above_the_threshold_are_a_job(pworld, client_for, settings, django_capture_on_commit_callbacks):
    services.run_eligibility("rd_subsidy", AS_OF)
    for e in Entitlement.objects.all():
        Clawback.objects.create(entitlement=e, amount=Decimal("5"), reason="不再符合")
    client = client_for(pworld["users"]["bureau_staff"])
    url = reverse("policies:clawbacks")
    settings.EXPORT_BACKGROUND_ROWS = 2
    assert len(rows_of(client.get(url, {"format": "xlsx"}).content)) == 3 and not Job.objects.exists()

    settings.EXPORT_BACKGROUND_ROWS = 1
    job, rows = export_job(client, url, django_capture_on_commit_callbacks, {})
    assert (job.total, job.result["rows"]) == (2, 2)
    assert sorted((r[1], r[4], r[5]) for r in rows[1:]) == sorted(
        [(pworld["a"].uscc, 5, "不再符合"), (pworld["b"].uscc, 5, "不再符合")]
    )
    other = client_for(pworld["users"]["park_operator"])
    assert other.get(reverse("core:job_download", args=[job.pk])).status_code == 403


def test_simulation_near_misses_above_the_threshold_are_a_job(
    pworld, client_for, settings, django_capture_on_commit_callbacks
):
    draft = services.add_version(
        user=pworld["users"]["bureau_admin"],
        policy=policy("rd_subsidy"),
        draft=True,
        effective_from=AS_OF,
        source="草案",
        note="门槛降到 200 万",
        changes={
            "benefit": {"kind": "fixed", "amount": 20},
            "eligibility": [{"id": "rd_min", "label": "研发费用不低于200万元", "when": "rd_expense >= 200"}],
        },
    )
    client = client_for(pworld["users"]["bureau_staff"])
    current = versions("rd_subsidy").get(status="published")
    client.post(
        reverse("policies:simulate", args=["rd_subsidy"]),
        {"version": draft.pk, "compare_to": current.pk, "as_of": "2025-06-30"},
    )
    url = reverse("policies:simulation", args=[SimulationRun.objects.get().pk])
    settings.EXPORT_BACKGROUND_ROWS = 2
    at_once = rows_of(client.get(url, {"format": "xlsx"}).content)
    assert [r[2] for r in at_once[1:]] == ["研发费用不低于200万元"] * 2 and not Job.objects.exists()

    settings.EXPORT_BACKGROUND_ROWS = 1
    job, rows = export_job(client, url, django_capture_on_commit_callbacks, {})
    assert (job.total, job.result["rows"]) == (2, 2) and rows == at_once
    other = client_for(pworld["users"]["bureau_admin"])  # not the owner, but an admin: may download
    assert other.get(reverse("core:job_download", args=[job.pk])).status_code == 200
    assert (
        client_for(pworld["users"]["institution_user"]).get(reverse("core:job_download", args=[job.pk])).status_code
        == 403
    )
