"""The security pages in Chromium (issue 20, 21.7): the Content-Security-Policy blocks nothing the pages need
(htmx, ECharts, auto-submitting selects), the one login answer, user management and tokens as a bureau admin,
the audit log as the audit admin, one's own password as a normal user. Screenshots go to the tmp folder printed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.conftest import CHROMIUM, SKIP_REASON

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)]
sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 playwright 包 / playwright missing")
expect = sync_api.expect


def _violations(page) -> list[str]:
    """CSP violations (and script errors) the page reports to its console."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    return seen


def test_csp_blocks_nothing_on_chart_and_htmx_pages(page, world, login_as):
    from kechuang.tiers.models import TierRun

    TierRun.objects.create(as_of=dt.date(2025, 6, 30), status=TierRun.Status.DONE)
    TierRun.objects.create(as_of=dt.date(2024, 6, 30), status=TierRun.Status.DONE)
    errors = _violations(page)
    login_as(world["users"]["bureau_admin"])
    response = page.goto(f"/enterprises/{world['a'].uscc}/")
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    expect(page.locator("#figure-chart canvas").first).to_be_visible()  # the nonced inline script ran
    page.goto("/tiers/")
    select = page.locator("select[data-autosubmit]").first
    options = select.locator("option").all()
    with page.expect_navigation():
        select.select_option(options[-1].get_attribute("value"))  # app.js submits, no inline handler
    assert "run=" in page.url
    page.goto("/enterprises/?q=太原")
    assert errors == []


def test_login_refusal_user_management_and_tokens(page, world, login_as, screenshots, settings):
    settings.LOGIN_MAX_FAILURES = 2
    page.goto("/accounts/login/")
    for _ in range(3):
        page.get_by_label("用户名").fill("bureau_staff")
        page.get_by_label("密码").fill("Wrong-Password1")
        page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("用户名或密码错误，或账号暂时无法登录")
    page.screenshot(path=screenshots / "login-refused.png", full_page=True)

    login_as(world["users"]["bureau_admin"])
    page.goto("/")
    page.get_by_role("link", name="用户管理").click()
    expect(page.get_by_test_id("users")).to_contain_text("bureau_staff")
    expect(page.get_by_test_id("users")).to_contain_text("已锁定")
    page.get_by_role("link", name="bureau_staff").click()
    page.get_by_test_id("unlock").click()
    expect(page.locator(".messages")).to_contain_text("已解除锁定")
    page.screenshot(path=screenshots / "user-detail.png", full_page=True)

    page.goto("/accounts/users/")
    page.get_by_test_id("user-new").click()
    page.get_by_label("用户名").fill("filer_c")
    page.get_by_label("姓名").fill("丙企业填报员")
    page.get_by_label("角色").select_option("enterprise_user")
    page.get_by_label("所属企业（统一社会信用代码）").fill(world["c"].uscc)
    page.get_by_label("初始密码").fill("Chushi@Mima2027")
    page.get_by_role("button", name="新建").click()
    expect(page.locator("h1")).to_contain_text("filer_c")
    expect(page.locator(".messages")).to_contain_text("首次登录须修改密码")

    page.get_by_role("link", name="API 令牌").click()
    page.get_by_label("名称").fill("数据对接")
    page.get_by_role("button", name="生成令牌").click()
    expect(page.get_by_test_id("new-key")).to_have_text(re.compile(r"^kc_"))
    expect(page.get_by_test_id("tokens")).to_contain_text("有效")
    page.screenshot(path=screenshots / "tokens.png", full_page=True)
    print(f"screenshots: {screenshots}")


def test_audit_admin_reads_the_log_and_a_user_changes_their_password(page, world, login_as, screenshots):
    from kechuang.accounts import services

    services.reset_password(
        actor=world["users"]["bureau_admin"], user=world["users"]["park_operator"], new_password="Linshi@Mima2027"
    )
    login_as(world["users"]["audit_admin"])
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/audit/$"))
    expect(page.locator("header nav a")).to_have_text(["首页", "操作日志"])  # 首页 leads to the log too
    expect(page.get_by_test_id("audit-log")).to_contain_text("管理员重置密码")
    expect(page.get_by_test_id("audit-retention")).to_contain_text("至少保存 365 天")
    page.screenshot(path=screenshots / "audit-log-auditor.png", full_page=True)

    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("park_operator")
    page.get_by_label("密码").fill("Linshi@Mima2027")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(page.get_by_test_id("password-forced")).to_be_visible()
    page.get_by_label("原密码").fill("Linshi@Mima2027")
    page.get_by_label("新密码：", exact=True).fill("123")
    page.get_by_label("再次输入新密码").fill("123")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator(".errorlist")).to_contain_text("密码太短")
    page.screenshot(path=screenshots / "password-change.png", full_page=True)
    page.get_by_label("原密码").fill("Linshi@Mima2027")
    page.get_by_label("新密码：", exact=True).fill("Yuanqu@Mima2027")
    page.get_by_label("再次输入新密码").fill("Yuanqu@Mima2027")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator(".messages")).to_contain_text("密码已修改")
