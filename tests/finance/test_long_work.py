"""Large finance exports (loans, applications) run as jobs above EXPORT_BACKGROUND_ROWS with the user's scope
(a bank's own records) and filters; below it the file comes at once; only the job's owner downloads it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kechuang.core.models import Job
from kechuang.finance.models import Loan
from tests.long_work import export_job, immediate_huey, own_data_dir, rows_of  # noqa: F401  (autouse fixtures)

pytestmark = pytest.mark.django_db


def loan(bank, firm, no):
    return Loan.objects.create(
        bank=bank,
        enterprise=firm,
        contract_no=no,
        amount=100,
        rate=3,
        disbursed_on=dt.date(2026, 1, 1),
        maturity_on=dt.date(2027, 1, 1),
    )


def test_loans_above_the_threshold_are_a_job_with_the_banks_own(
    fworld, client_for, settings, django_capture_on_commit_callbacks
):
    loan(fworld["jinshang"], fworld["a"], "JS-001")
    loan(fworld["jinshang"], fworld["b"], "JS-002")
    loan(fworld["shanxi"], fworld["b"], "SX-001")  # another bank's: never in 晋商银行's file
    bank = client_for(fworld["users"]["bank_user"])
    settings.EXPORT_BACKGROUND_ROWS = 1
    small = rows_of(bank.get("/finance/loans/?q=JS-002&format=xlsx").content)
    assert [r[1] for r in small[1:]] == ["JS-002"] and not Job.objects.exists()

    job, rows = export_job(bank, "/finance/loans/?format=xlsx", django_capture_on_commit_callbacks)
    assert (job.total, job.result["rows"], job.title) == (2, 2, "导出贷款记录（2 行）")
    assert sorted(r[1] for r in rows[1:]) == ["JS-001", "JS-002"]
    assert client_for(fworld["bank_other"]).get(reverse("core:job_download", args=[job.pk])).status_code == 403
    staff = client_for(fworld["users"]["bureau_staff"])
    assert staff.get(reverse("core:job_download", args=[job.pk])).status_code == 403


def test_applications_above_the_threshold_are_a_job(
    application, fworld, client_for, settings, django_capture_on_commit_callbacks
):
    bank = client_for(fworld["users"]["bank_user"])
    settings.EXPORT_BACKGROUND_ROWS = 1
    at_once = rows_of(bank.get("/finance/applications/?format=xlsx").content)
    assert [r[2] for r in at_once[1:]] == [fworld["a"].uscc] and not Job.objects.exists()

    settings.EXPORT_BACKGROUND_ROWS = 0
    job, rows = export_job(bank, "/finance/applications/?format=xlsx", django_capture_on_commit_callbacks)
    assert (job.total, job.result["rows"], job.title) == (1, 1, "导出融资申请（1 行）")
    assert rows == at_once
    assert client_for(fworld["bank_other"]).get(reverse("core:job_download", args=[job.pk])).status_code == 403
