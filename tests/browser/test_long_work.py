"""In Chromium (issue 21: 8): an import preview is confirmed with 确认导入 without a second upload, its rejected
rows download with their reasons; a large export runs as a job whose page ends with the download."""

from __future__ import annotations

import io

import pytest
from huey.contrib.djhuey import HUEY
from openpyxl import load_workbook

from tests.browser.conftest import CHROMIUM, SKIP_REASON
from tests.browser.test_browser import BAD_CHECK, bad_csv
from tests.conftest import make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)]
sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 playwright 包 / playwright missing")
expect = sync_api.expect


@pytest.fixture
def immediate_huey():
    """Jobs run as they are queued, in the live server's thread (as in the one-process demo)."""
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def test_import_preview_then_confirm_without_a_second_upload(page, world, login_as):
    from kechuang.enterprises.models import Enterprise

    login_as(world["users"]["bureau_staff"])
    page.goto("/enterprises/import/")
    page.get_by_label("数据文件（.xlsx 或 .csv）").set_input_files(
        {"name": "企业数据.csv", "mimeType": "text/csv", "buffer": bad_csv()}
    )
    page.get_by_role("button", name="上传并校验").click()
    report = page.get_by_test_id("import-report")
    expect(report.locator("p").first).to_have_text("企业数据.csv：共 7 行， 可导入 2 行， 拒绝 5 行。 （预览，未写入）")
    assert Enterprise.objects.count() == 3

    with page.expect_download() as info:
        page.get_by_test_id("rejected-download").click()
    rows = list(load_workbook(io.BytesIO(info.value.path().read_bytes())).worksheets[0].iter_rows(values_only=True))
    # one line per rejected row: its reasons, then its cells as written (to fix and upload again)
    assert rows[0][:3] == ("文件", "行号", "问题")
    assert rows[1][:4] == ("企业数据.csv", 3, "统一社会信用代码：统一社会信用代码校验位错误", BAD_CHECK)
    assert len(rows) == 1 + 5

    page.get_by_role("button", name="确认导入（写入可导入的 2 行）").click()
    expect(report.locator("p").first).to_have_text("企业数据.csv：共 7 行， 已导入 2 行， 拒绝 5 行。")
    expect(report.locator("p.muted").first).to_have_text(
        "新增企业 2，更新企业 0，新增年度数据 2，更新年度数据 0，未变化 0"
    )
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)  # imported: nothing left to confirm
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {
        world["a"].uscc,
        world["b"].uscc,
        world["c"].uscc,
        make_uscc(11),
        make_uscc(16),
    }


def test_large_export_runs_as_a_job_and_ends_with_its_download(page, world, login_as, settings, immediate_huey):
    settings.EXPORT_BACKGROUND_ROWS = 2  # the world's 3 firm-years are "large"
    login_as(world["users"]["bureau_staff"])
    page.goto("/enterprises/")
    page.get_by_role("link", name="导出 Excel").click()
    expect(page.get_by_test_id("job-status")).to_have_text("已完成")
    expect(page.get_by_test_id("job-progress")).to_have_text("进度：3 / 3")
    with page.expect_download() as info:
        page.get_by_test_id("export-download").click()
    assert info.value.suggested_filename.startswith("企业年度数据_")
    rows = list(load_workbook(io.BytesIO(info.value.path().read_bytes())).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + 3
