"""The finance workflow in Chromium: a firm finds a product and applies with consent, the bank sees the firm's
consented data and approves within the rate ceiling, the firm withdraws consent and the bank's view closes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from tests.browser.conftest import CHROMIUM, SKIP_REASON

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)]

sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 playwright 包 / playwright missing")
expect = sync_api.expect


@pytest.fixture
def products(world):
    from kechuang.accounts.models import Organisation
    from kechuang.enterprises.models import AnnualFigure
    from kechuang.finance.models import LoanProduct
    from kechuang.tiers.models import TierResult, TierRun

    bank = Organisation.objects.get(name="晋商银行")
    LoanProduct.objects.create(
        code="js_points", name="创新积分贷", bank=bank, rule_id="points_loan_taiyuan", launched_on=dt.date(2024, 1, 1)
    )
    AnnualFigure.objects.create(
        enterprise=world["a"],
        year=dt.date.today().year - 1,
        staff_total=100,
        tech_staff=22,
        revenue=Decimal("3200"),
        rd_expense=Decimal("150"),
    )
    run = TierRun.objects.create(as_of=dt.date(2026, 6, 30), status="done")
    TierResult.objects.create(run=run, enterprise=world["a"], tier="tech_sme", ruleset="x", qualified="true")
    return world


def test_apply_with_consent_bank_approves_firm_withdraws(page, login_as, products, screenshots):
    world = products
    login_as(world["users"]["enterprise_user"])
    page.goto("/finance/mine/")
    expect(page.locator("h1")).to_have_text("我的融资 · 太原甲科技有限公司")
    qualifies = page.get_by_test_id("qualifies")
    expect(qualifies).to_contain_text("创新积分贷")
    expect(qualifies).to_contain_text("3.80%")
    page.screenshot(path=str(screenshots / "finance_mine.png"), full_page=True)
    qualifies.get_by_role("link", name="申请").click()
    expect(page.get_by_test_id("promise")).to_contain_text("晋商银行 承诺 5 个工作日内")
    page.get_by_label("申请金额（万元）").fill("300")
    page.get_by_label("资金用途").fill("采购研发设备")
    page.get_by_label(re.compile("我已阅读并同意")).check()
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("h1")).to_contain_text("太原甲科技有限公司 · 创新积分贷")
    expect(page.get_by_test_id("sla")).to_contain_text("承诺 5 个工作日内给出审批结论")
    page.screenshot(path=str(screenshots / "finance_application.png"), full_page=True)
    url = page.url

    login_as(world["users"]["bank_user"])
    page.goto("/finance/bank/")
    expect(page.get_by_test_id("queue")).to_contain_text("太原甲科技有限公司")
    page.goto(url)
    page.get_by_role("link", name="查看授权数据").click()
    expect(page.get_by_test_id("consent-note")).to_contain_text("本次查看已留痕")
    expect(page.get_by_test_id("scope-figures")).to_contain_text("营业收入")
    page.screenshot(path=str(screenshots / "finance_bank_firm.png"), full_page=True)
    firm_url = page.url
    page.goto(url)
    steps = page.get_by_test_id("steps")
    steps.get_by_label("办理").select_option("approved")
    steps.get_by_label("金额（万元）").fill("300")
    steps.get_by_label("年利率（%）").fill("3.9")
    steps.get_by_role("button", name="提交").click()
    expect(page.locator(".messages")).to_contain_text("年利率 3.9% 高于本产品利率上限 3.80%")
    steps = page.get_by_test_id("steps")
    steps.get_by_label("办理").select_option("approved")
    steps.get_by_label("金额（万元）").fill("300")
    steps.get_by_label("年利率（%）").fill("3.7")
    steps.get_by_role("button", name="提交").click()
    expect(page.locator(".messages")).to_contain_text("已办理：批准")
    expect(page.locator("h1 .tag")).to_have_text("已批准")

    login_as(world["users"]["enterprise_user"])
    page.goto("/finance/mine/")
    page.get_by_test_id("my-consents").get_by_role("button", name="撤回授权").click()
    expect(page.locator(".messages")).to_contain_text("已撤回对 晋商银行 的授权，银行即刻无法再查看")
    expect(page.get_by_test_id("my-accesses")).to_contain_text("年度经营数据")

    login_as(world["users"]["bank_user"])
    response = page.goto(firm_url)
    assert response.status == 404
    print(f"截图：{screenshots}")
