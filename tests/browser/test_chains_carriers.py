"""In Chromium: a bureau user reads a chain map drawn by ECharts and confirms the engine's suggestions; the park
operator accepts and completes a service request routed to its hall; the firm rates it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, SKIP_REASON
from tests.chains.conftest import chain_world  # noqa: F401  (fixtures)
from tests.onestop.conftest import sworld  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)]

sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 playwright 包 / playwright missing")
expect = sync_api.expect


def test_a_chain_map_is_drawn_and_suggestions_are_confirmed(page, login_as, chain_world, screenshots):  # noqa: F811
    login_as(chain_world["users"]["bureau_staff"])
    page.goto("/chains/")
    page.get_by_role("link", name="永磁材料产业链").click()
    expect(page.locator("h1")).to_contain_text("永磁材料产业链")
    expect(page.locator("#chain-chart canvas")).to_have_count(1)  # ECharts drew the tree
    page.get_by_role("button", name="供给关系").click()
    gaps = page.get_by_test_id("gaps")
    expect(gaps.locator("tr").nth(1)).to_contain_text("稀土合金")
    expect(gaps.locator("tr").nth(1)).to_contain_text("空白")
    page.get_by_role("link", name="企业归集").click()
    page.get_by_role("button", name="重新推荐").click()
    expect(page.locator(".messages")).to_contain_text("新增 2 家次待确认")
    rows = page.get_by_test_id("placements").locator("tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("钕铁硼")
    page.get_by_label("太原乙材料有限公司").check()
    page.get_by_role("button", name="确认所选").click()
    expect(page.locator(".messages")).to_contain_text("已确认 1 家")
    page.goto("/chains/pm/")
    segments = page.get_by_test_id("segments")
    expect(segments).to_contain_text("太原乙材料有限公司")
    page.screenshot(path=str(screenshots / "chain_map.png"), full_page=True)
    print("screenshots:", screenshots)


def test_a_request_is_accepted_completed_and_rated(page, login_as, sworld, live_server):  # noqa: F811
    from kechuang.onestop import services

    req = services.submit(user=sworld["own"], enterprise=sworld["a"], category="finance", title="创新积分贷对接")
    login_as(sworld["operator"])
    page.goto("/services/")
    page.get_by_role("link", name="创新积分贷对接").click()
    expect(page.get_by_test_id("request-status")).to_have_text("待受理")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已受理，办结时限")
    page.get_by_label("办理结果").fill("已对接科技支行，授信 200 万元")
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已办结")
    page.context.clear_cookies()
    login_as(sworld["own"])
    page.goto(f"/services/{req.pk}/")
    page.get_by_label("满意度").select_option("5")
    page.get_by_role("button", name="评价").click()
    expect(page.locator(".messages")).to_contain_text("感谢评价")
    expect(page.locator("table").first).to_contain_text("★★★★★（5/5）")
