"""Long work on the registry pages: a large export runs as a job with a download only its owner (or a bureau
admin) gets; an import preview is confirmed without a second upload, by its uploader only, while it lasts; the
rejected rows download with their reasons; a small .xlsx is checked at once as the page says."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from huey.contrib.djhuey import HUEY
from openpyxl import Workbook, load_workbook

from kechuang.core import exports
from kechuang.core.models import AuditEvent, Job
from kechuang.enterprises import previews
from kechuang.enterprises.models import AnnualFigure, Enterprise
from tests.conftest import make_uscc
from tests.registry.test_import import HEADER, good_row
from tests.registry.test_jobs import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_data_dir(settings, tmp_path):
    """Kept previews and export files of this test only."""
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def immediate_huey():
    """Jobs run in this process as they are queued (as in the one-process demo)."""
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def sheet_rows(content: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- export --------------------------------------------------------------------------------------------------


def test_large_export_is_a_job_whose_file_only_its_owner_or_an_admin_downloads(
    world, client_for, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 3
    for year in (2022, 2023):  # 3 firms × 3 years = 9 rows
        for firm in ("a", "b", "c"):
            AnnualFigure.objects.create(enterprise=world[firm], year=year, staff_total=10)
    Enterprise.objects.filter(pk=world["a"].pk).update(name="=HYPERLINK(1)")
    staff = world["users"]["bureau_staff"]
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("enterprises:export"))
    job = Job.objects.get(kind="export")
    assert response.status_code == 302 and response["Location"] == reverse("core:job", args=[job.pk])
    assert (job.status, job.done, job.total, job.result["rows"]) == ("done", 9, 9, 9)
    page = client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert reverse("core:job_download", args=[job.pk]) in page and "已导出 9 行" in page

    download = client.get(reverse("core:job_download", args=[job.pk]))
    rows = sheet_rows(body(download))
    assert len(rows) == 1 + 9  # the header and one row per firm and year
    assert sum(1 for r in rows if r[1] == "'=HYPERLINK(1)") == 3  # a formula is neutralised
    assert AuditEvent.objects.filter(action="export.download", actor=staff, object_id=str(job.pk)).count() == 1

    other = client_for(world["users"]["park_operator"])
    assert other.get(reverse("core:job_download", args=[job.pk])).status_code == 403
    admin = client_for(world["users"]["bureau_admin"])
    assert len(sheet_rows(body(admin.get(reverse("core:job_download", args=[job.pk]))))) == 10
    assert AuditEvent.objects.filter(action="export.download").count() == 2


def test_filtered_export_job_keeps_the_filter_and_the_users_scope(
    world, client_for, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 0  # every export is a job
    client = client_for(world["users"]["park_operator"])  # sees a and b only
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("enterprises:export"), {"q": "乙"})
    job = Job.objects.get(kind="export")
    rows = sheet_rows(body(client.get(reverse("core:job_download", args=[job.pk]))))
    assert [r[0] for r in rows[1:]] == [world["b"].uscc]


def test_an_export_older_than_the_keeping_days_is_cleared_when_another_starts(world, client_for, settings):
    import os
    import time

    settings.EXPORT_BACKGROUND_ROWS = 0
    old, recent = exports.path_for("old"), exports.path_for("recent")
    old.parent.mkdir(parents=True)
    for path, days in ((old, 8), (recent, 6)):
        path.write_bytes(b"x")
        stamp = time.time() - days * 86400
        os.utime(path, (stamp, stamp))
    client_for(world["users"]["bureau_staff"]).get(reverse("enterprises:export"))
    assert (old.exists(), recent.exists()) == (False, True)


def test_small_export_stays_immediate(world, client_for):
    response = client_for(world["users"]["bureau_staff"]).get(reverse("enterprises:export"))
    assert response.status_code == 200 and len(sheet_rows(response.content)) == 4
    assert not Job.objects.exists()


# --- import preview → 确认导入 ---------------------------------------------------------------------------------

BAD = [make_uscc(900)[:-1] + "0", "坏企业", "140105", "6513", 2024]


def preview(client, rows, name="预览.csv"):
    upload = SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")
    response = client.post(reverse("enterprises:import"), {"file": upload, "dry_run": "on"})
    assert response.status_code == 200
    return response.context["report"]


def test_confirm_imports_exactly_the_previewed_valid_rows_without_a_second_upload(world, client_for):
    staff = world["users"]["bureau_staff"]
    client = client_for(staff)
    report = preview(client, [good_row(801), BAD, good_row(802)])
    assert (report["accepted_rows"], report["rejected_rows"], report["confirmable"]) == (2, 1, True)
    assert not Enterprise.objects.filter(uscc__in=[make_uscc(801), make_uscc(802)]).exists()
    figures, firms = AnnualFigure.objects.count(), Enterprise.objects.count()

    response = client.post(reverse("enterprises:import_confirm", args=[report["token"]]))
    assert response.status_code == 200
    done = response.context["report"]
    assert (done["dry_run"], done["accepted_rows"], done["rejected_rows"]) == (False, 2, 1)
    assert (AnnualFigure.objects.count(), Enterprise.objects.count()) == (figures + 2, firms + 2)
    assert Enterprise.objects.filter(uscc__in=[make_uscc(801), make_uscc(802)]).count() == 2
    assert not Enterprise.objects.filter(name="坏企业").exists()
    # Confirmed once: the preview's file is gone and a second confirm writes nothing more.
    assert list(previews.folder().iterdir()) == [previews.folder() / f"{done['token']}.json"]  # the new report
    again = client.post(reverse("enterprises:import_confirm", args=[report["token"]]))
    assert again.status_code == 302 and again["Location"] == reverse("enterprises:import")
    assert AnnualFigure.objects.count() == figures + 2


def test_confirm_by_another_user_or_after_expiry_writes_nothing(world, client_for, settings):
    staff = world["users"]["bureau_staff"]
    report = preview(client_for(staff), [good_row(811)])
    figures = AnnualFigure.objects.count()

    other = client_for(world["users"]["bureau_admin"])
    response = other.post(reverse("enterprises:import_confirm", args=[report["token"]]))
    assert response.status_code == 302 and AnnualFigure.objects.count() == figures
    assert other.get(reverse("enterprises:import_rejected", args=[report["token"]])).status_code == 404

    record = previews.folder() / f"{report['token']}.json"
    data = json.loads(record.read_text())
    data["created_at"] = (dt.datetime.fromisoformat(data["created_at"]) - dt.timedelta(hours=25)).isoformat()
    record.write_text(json.dumps(data))
    owner = client_for(staff)
    response = owner.post(reverse("enterprises:import_confirm", args=[report["token"]]), follow=True)
    assert "预览已过期" in response.content.decode()
    assert AnnualFigure.objects.count() == figures and not Enterprise.objects.filter(uscc=make_uscc(811)).exists()


def test_confirm_refuses_when_the_check_no_longer_matches_the_preview(world, client_for):
    from kechuang.core.models import Region

    client = client_for(world["users"]["bureau_staff"])
    report = preview(client, [good_row(821), [*good_row(822)[:2], "140109", *good_row(822)[3:]]])
    assert report["accepted_rows"] == 2
    Region.objects.filter(code="140109").delete()  # a reference code withdrawn between preview and confirm
    response = client.post(reverse("enterprises:import_confirm", args=[report["token"]]), follow=True)
    assert "与预览时的 2 行不一致" in response.content.decode()
    assert not Enterprise.objects.filter(uscc__in=[make_uscc(821), make_uscc(822)]).exists()


def test_rejected_rows_download_with_their_exact_reasons(world, client_for):
    staff = world["users"]["bureau_staff"]
    client = client_for(staff)
    hostile = [make_uscc(831), "=1+1", "999999", "6513", 2024]
    report = preview(client, [good_row(830), BAD, hostile], name="数据.csv")
    response = client.get(reverse("enterprises:import_rejected", args=[report["token"]]))
    assert response["Content-Disposition"].startswith("attachment;")
    # One line per rejected row: its reasons, then its cells as in the file, under the file's headers, so the
    # user fixes them there and uploads the sheet again; a formula-like cell stays text.
    empty = [None] * (len(HEADER) - 5)
    unknown_region = "行政区划代码不存在（应为 GB/T 2260 县级代码）"
    assert sheet_rows(response.content) == [
        ["文件", "行号", "问题", *HEADER],
        ["数据.csv", 3, "统一社会信用代码：统一社会信用代码校验位错误", *BAD[:4], "2024", *empty],
        ["数据.csv", 4, f"行政区划代码：{unknown_region}", make_uscc(831), "'=1+1", "999999", "6513", "2024", *empty],
    ]
    assert AuditEvent.objects.filter(action="import.rejected_download", actor=staff).count() == 1


def test_a_small_xlsx_is_checked_at_once_as_the_page_says(world, client_for, settings):
    settings.IMPORT_BACKGROUND_ROWS = 5
    book = Workbook()
    book.active.append(HEADER)
    for n in range(840, 845):  # 5 rows: not above the limit
        book.active.append(good_row(n))
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("小.xlsx", buffer.getvalue())
    response = client_for(world["users"]["bureau_staff"]).post(
        reverse("enterprises:import"), {"file": upload, "dry_run": "on"}
    )
    assert response.status_code == 200 and response.context["report"]["accepted_rows"] == 5
    assert not Job.objects.exists()
    book.active.append(good_row(845))  # 6 rows: in the background
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("大.xlsx", buffer.getvalue())
    response = client_for(world["users"]["bureau_staff"]).post(
        reverse("enterprises:import"), {"file": upload, "dry_run": "on"}
    )
    assert response.status_code == 302 and Job.objects.filter(kind="import_facts").count() == 1


def test_a_large_preview_job_offers_confirm_which_runs_as_a_job(
    world, client_for, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 2
    client = client_for(world["users"]["bureau_staff"])
    upload = SimpleUploadedFile("大.csv", csv_bytes([good_row(850), good_row(851), BAD]), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enterprises:import"), {"file": upload, "dry_run": "on"})
    job = Job.objects.get(kind="import_facts")
    assert job.status == "done" and job.result["confirmable"] is True
    page = client.get(reverse("core:job", args=[job.pk])).content.decode()
    confirm = reverse("enterprises:import_confirm", args=[job.result["token"]])
    assert confirm in page and reverse("enterprises:import_rejected", args=[job.result["token"]]) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm)
    second = Job.objects.filter(kind="import_facts").exclude(pk=job.pk).get()
    assert response["Location"] == reverse("core:job", args=[second.pk])
    assert (second.status, second.result["accepted_rows"], second.result["dry_run"]) == ("done", 2, False)
    assert Enterprise.objects.filter(uscc__in=[make_uscc(850), make_uscc(851)]).count() == 2


# --- the audit log's export ------------------------------------------------------------------------------------


def test_large_audit_export_is_a_job_only_its_owner_downloads(
    world, client_for, settings, django_capture_on_commit_callbacks
):
    from kechuang.core import audit
    from kechuang.enterprises import services

    settings.EXPORT_BACKGROUND_ROWS = 1
    staff = world["users"]["bureau_staff"]
    services.update_enterprise(world["a"], {"name": "甲"}, actor=staff)
    audit.record(actor=staff, action="enterprise.update", obj=world["b"], note="=HYPERLINK(1)")
    audit.record(actor=staff, action="user.password_change", obj=staff)  # a security event: not a bureau admin's
    admin = world["users"]["bureau_admin"]
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/audit/", {"format": "xlsx"})
    job = Job.objects.get(kind="export")
    assert response["Location"] == reverse("core:job", args=[job.pk])
    rows = sheet_rows(body(client.get(reverse("core:job_download", args=[job.pk]))))
    # The two changes; not the security events (the password change, the export itself) a bureau admin may not read.
    assert [r[2] for r in rows[1:]] == ["修改企业信息", "修改企业信息"]
    assert {r[8] for r in rows[1:]} == {None, "'=HYPERLINK(1)"}  # a formula in a note, neutralised
    other_admin = type(admin).objects.create(username="admin2", role="bureau_admin", organisation=admin.organisation)
    assert client_for(other_admin).get(reverse("core:job_download", args=[job.pk])).status_code == 403


def test_the_audit_admins_export_stays_immediate(world, client_for, settings):
    """The audit admin reaches the audit log alone, not the job pages: the export comes back at once."""
    settings.EXPORT_BACKGROUND_ROWS = 0
    response = client_for(world["users"]["audit_admin"]).get("/audit/", {"format": "xlsx"})
    assert response.status_code == 200 and sheet_rows(response.content)[1][2] == "导出审计记录"
    assert not Job.objects.exists()


def test_a_confirmed_preview_with_empty_cells_changes_only_the_given_figures(world, client_for):
    """Preview → 确认导入 of a row with two figures given: those two change, every other stored figure keeps
    its exact value, the change log lists the two, and the page says blanks do not overwrite."""
    staff = world["users"]["bureau_staff"]
    client = client_for(staff)
    page = client.get(reverse("enterprises:import")).content.decode()
    assert "空白单元格不会覆盖已有数据；如需清空某项，请在企业页面编辑。" in page
    first = preview(client, [good_row(841, 2025)])
    client.post(reverse("enterprises:import_confirm", args=[first["token"]]))
    sparse = [make_uscc(841), "测试企业841有限公司", "", "", 2025, 130, "", "2890.25", "", "", ""]
    report = preview(client, [sparse])
    assert (report["accepted_rows"], report["rejected_rows"], report["confirmable"]) == (1, 0, True)
    done = client.post(reverse("enterprises:import_confirm", args=[report["token"]])).context["report"]
    assert (done["stats"]["figures_updated"], done["stats"]["enterprises_updated"]) == (1, 0)
    figure = AnnualFigure.objects.get(enterprise__uscc=make_uscc(841), year=2025)
    assert (figure.staff_total, figure.revenue) == (130, Decimal("2890.25"))
    assert (figure.tech_staff, figure.rd_expense, figure.hte_certified) == (22, Decimal("150"), False)
    event = AuditEvent.objects.get(enterprise=figure.enterprise, action="figure.update", actor=staff)
    assert event.changes == {"staff_total": ["100", "130"], "revenue": ["3000", "2890.25"]}
