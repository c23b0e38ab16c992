"""In Chromium (issue 21: 3, 7): /api/docs renders Swagger UI from this site's own files under the CSP, and the
workbench's items open their lists."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, SKIP_REASON
from tests.browser.test_security_pages import _violations

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)]
sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 playwright 包 / playwright missing")
expect = sync_api.expect


def test_api_docs_render_offline_under_the_csp(page, world, login_as, live_server):
    errors = _violations(page)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url) if not r.url.startswith(live_server.url) and not r.url.startswith("data:") else None
        ),
    )
    login_as(world["users"]["bureau_staff"])
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("科创平台 API")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    assert errors == [] and outside == []


def test_workbench_items_open_their_lists(page, world, login_as):
    from kechuang.core.models import Job

    Job.objects.create(
        kind="import_facts",
        title="导入 名单.xlsx",
        created_by=world["users"]["bureau_staff"],
        status="done",
        result={"rejected_rows": 2},
        message="共 5 行，导入 3 行，拒绝 2 行",
    )
    login_as(world["users"]["bureau_staff"])
    page.goto("/")
    item = page.locator("[data-testid=need-imports]")
    expect(item.locator(".n")).to_have_text("1")
    with page.expect_navigation():
        item.click()
    expect(page.locator("[data-testid=jobs]")).to_contain_text("导入 名单.xlsx")
    expect(page.locator("[data-testid=jobs]")).to_contain_text("拒绝 2 行")
