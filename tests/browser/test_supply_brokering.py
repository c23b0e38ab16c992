"""In Chromium: bureau staff walk the supply map to an institution and its achievement, a need and its matches,
open a case from a match, move it to 介绍对接 and note the buyer's contact; an institution user sees only its own
institution's records and imports a teams file with one bad row, which is reported with its row and column while
the good row is stored."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, SKIP_REASON
from tests.techtransfer.conftest import record, supply  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)]

sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 playwright 包 / playwright missing")
expect = sync_api.expect

TEAMS = "团队名称,团队负责人,成员人数\n隔膜团队,张教授,8\n,李教授,3\n".encode()


def test_staff_open_a_case_from_a_match_and_an_institution_imports_its_teams(page, login_as, world, supply):  # noqa: F811
    from kechuang.techtransfer.models import BrokerCase, Team

    login_as(world["users"]["bureau_staff"])
    page.goto("/techtransfer/supply/")
    table = page.get_by_test_id("supply")
    expect(table).to_contain_text("太原理工大学")
    table.get_by_role("link", name="山西大学").click()
    expect(page.locator("h1")).to_have_text("山西大学")
    page.get_by_role("link", name="科技成果 1 项").click()
    page.get_by_test_id("achievements").get_by_role("link", name="一种锂离子电池隔膜的涂覆方法").click()
    expect(page.get_by_test_id("achievement")).to_contain_text("CN112345678A")

    page.goto("/techtransfer/needs/")
    page.get_by_role("link", name="动力电池隔膜耐热改进").click()
    matches = page.get_by_test_id("matches")
    row = matches.locator("tr", has_text="一种锂离子电池隔膜的涂覆方法")
    row.get_by_role("link", name="立案对接").click()
    page.locator('input[name="opened_on"]').fill("2026-06-01")
    page.get_by_role("button", name="立案").click()
    expect(page.get_by_test_id("stage")).to_have_text("已匹配")
    advance = page.locator('form[action$="/advance/"]')
    for name in ("on", "buyer_consent_on", "seller_consent_on"):
        advance.locator(f'input[name="{name}"]').fill("2026-06-03")
    advance.get_by_role("button", name="推进").click()
    expect(page.get_by_test_id("stage")).to_have_text("介绍对接")
    page.get_by_role("link", name="修改案件").click()
    page.locator('input[name="buyer_contact"]').fill("刘工 13900000001")
    page.get_by_test_id("case-edit").get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("case")).to_contain_text("刘工 13900000001")
    case = BrokerCase.objects.get()
    assert (case.need, case.achievement, case.stage, str(case.introduced_on)) == (
        supply["need_a"],
        supply["patent"],
        "introduced",
        "2026-06-03",
    )

    page.context.clear_cookies()
    login_as(world["users"]["institution_user"])
    page.goto("/techtransfer/supply/")
    table = page.get_by_test_id("supply")
    expect(table).to_contain_text("山西大学")
    expect(table).not_to_contain_text("太原理工大学")
    page.goto("/techtransfer/achievements/")
    expect(page.get_by_test_id("achievements")).to_contain_text("一种锂离子电池隔膜的涂覆方法")
    expect(page.get_by_test_id("achievements")).not_to_contain_text("煤矸石制备陶瓷材料技术")

    page.goto(f"/techtransfer/supply/institutions/{supply['sxu'].pk}/")
    page.get_by_role("link", name="Excel 导入学科、平台、团队、人员").click()
    page.get_by_role("link", name="科研团队").click()
    expect(page.locator("h1")).to_have_text("导入科研团队")
    page.locator('input[name="file"]').set_input_files({"name": "团队.csv", "mimeType": "text/csv", "buffer": TEAMS})
    page.get_by_role("button", name="导入").click()
    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("团队.csv：共 2 行，新增 1 项，更新 0 项，拒绝 1 行。")
    error = page.get_by_test_id("row-errors").locator("tr").nth(1)
    expect(error).to_have_text("团队.csv3团队名称—必填项为空")
    assert list(Team.objects.values_list("institution__name", "name", "members")) == [("山西大学", "隔膜团队", 8)]
