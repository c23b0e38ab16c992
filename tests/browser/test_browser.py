"""End-to-end flows in a real browser: login, dashboard, search and filters, the enterprise page with its
chart and audit history, a CSV import with row-level errors, role scoping, and Chinese glyphs that are not
tofu.

Assertions are on the exact visible text a user reads; the fixtures are in tests/conftest.py (world) and
tests/browser/conftest.py (browser, page, login_as).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, SKIP_REASON
from tests.conftest import PASSWORD, make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)]

sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 playwright 包 / playwright missing")
expect = sync_api.expect
Page = sync_api.Page


def stats(page: Page) -> dict[str, str]:
    """The dashboard cards as {label: number}."""
    cards = page.locator(".stat")
    return {
        cards.nth(i).locator(".l").inner_text(): cards.nth(i).locator(".n").inner_text() for i in range(cards.count())
    }


def table_rows(page: Page, testid: str) -> list[list[str]]:
    """A table's body rows (the header row has <th> cells only and is left out), cell texts stripped."""
    return (
        page.get_by_test_id(testid)
        .locator("tr")
        .evaluate_all(
            "rows => rows.filter(r => r.querySelector('td')).map(r => [...r.children].map(c => c.innerText.trim()))"
        )
    )


def expect_listed(page: Page, names: list[str]) -> None:
    """Wait for the result list to show exactly these names and the matching count (htmx swaps it in place,
    so a plain read could still see the previous results)."""
    expect(page.get_by_test_id("enterprise-table").locator("td:first-child a")).to_have_text(names)
    expect(page.locator("#results p.muted")).to_have_text(f"共 {len(names)} 家企业")


# --- login and dashboard -----------------------------------------------------------------------------------


def test_login_form_leads_to_dashboard_with_counts(page, world):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("h1")).to_have_text("科创平台 · 登录")
    page.get_by_label("用户名").fill("bureau_staff")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.locator("h1")).to_have_text("工作台")
    assert page.url.endswith("/")
    expect(page.locator("header.top .who span")).to_have_text("bureau_staff · 科技局工作人员")
    # c is resident in the other operator's incubator and b has a pending submission (tests/conftest.py world)
    # the workbench: what needs the user (nothing yet in this world), then the overview
    assert stats(page) == {
        "待处理预警": "0",
        "待确认兑现资格": "0",
        "待登记兑现批次": "0",
        "即将到期的高企证书": "0",
        "待认定的技术合同": "0",
        "有拒绝行的导入": "0",  # no job counters: this user has started no background work
        "可见企业": "3",
        "年度数据记录（最新 2024）": "3",
        "在驻企业": "3",
        "载体": "2",
        "待确认填报": "1",
    }
    # Staff get the import and confirmation pages (the menu grows with the platform: a subset, not the list).
    menu = set(page.locator("header.top nav a").all_inner_texts())
    assert {"首页", "企业库", "数据导入", "待确认填报"} <= menu


def test_wrong_password_is_refused_with_a_chinese_message(page, world):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("bureau_staff")
    page.get_by_label("密码").fill(PASSWORD + "x")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="登录").click()
    assert answer.value.status == 401
    from kechuang.accounts.services import LOGIN_REFUSED

    expect(page.get_by_role("alert")).to_have_text(LOGIN_REFUSED)  # the one answer to every refused sign-in
    expect(page.locator("header.top")).to_have_count(0)  # still signed out
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


# --- enterprise list, enterprise page, chart, audit ---------------------------------------------------------


def test_search_by_name_and_uscc_prefix_and_filter_by_region(page, world, login_as):
    login_as(world["users"]["bureau_staff"])
    page.goto("/enterprises/")
    expect_listed(page, ["太原乙材料有限公司", "太原甲科技有限公司", "泰州丙医药有限公司"])

    search = page.get_by_placeholder("企业名称或统一社会信用代码")
    search.fill("乙材料")
    page.get_by_role("button", name="查询").click()
    expect_listed(page, ["太原乙材料有限公司"])
    b = world["b"]
    assert table_rows(page, "enterprise-table") == [
        [b.name, b.uscc, "迎泽区", b.industry.name, "2021-05-01", "省内高校院所团队"],
    ]

    # A prefix of the credit code, typed in lower case, finds exactly the one enterprise it starts.
    search.fill(make_uscc(3)[:16].lower())
    page.get_by_role("button", name="查询").click()
    expect_listed(page, ["泰州丙医药有限公司"])

    search.fill("")
    page.locator("select[name=region]").select_option("140106")  # a county: exact match
    expect_listed(page, ["太原乙材料有限公司"])
    page.locator("select[name=region]").select_option("140100")  # a city: every county below it
    expect_listed(page, ["太原乙材料有限公司", "太原甲科技有限公司"])
    expect(page).to_have_url(re.compile(r"region=140100"))  # htmx pushed the filter into the address bar


def test_enterprise_page_shows_uscc_figures_chart_and_audit_history(page, world, login_as):
    a = world["a"]
    login_as(world["users"]["bureau_staff"])
    echarts = []
    page.on("response", lambda r: echarts.append(r.status) if r.url.endswith("echarts.min.js") else None)
    page.goto("/enterprises/")
    page.get_by_role("link", name="太原甲科技有限公司").click()

    expect(page.locator("h1")).to_have_text("太原甲科技有限公司")
    expect(page.get_by_test_id("uscc")).to_have_text(a.uscc)
    assert table_rows(page, "figures-table") == [
        ["职工总数", "100"],
        ["科技人员数", "22"],
        ["营业收入(万元)", "3,000.00"],
        ["研发费用(万元)", "150.00"],
        ["净利润(万元)", "—"],
        ["资产总额(万元)", "—"],
        ["发明专利", "—"],
        ["实用新型专利", "—"],
        ["软件著作权", "—"],
        ["持有效高新技术企业证书", "—"],
    ]
    expect(page.locator("#figure-chart canvas").first).to_be_visible()
    assert echarts == [200]
    expect(page.get_by_text("暂无变更记录。")).to_be_visible()

    # An edit through the year form shows up in the history as old → new, with who did it.
    page.get_by_role("link", name="编辑", exact=True).click()
    page.get_by_label("营业收入(万元)").fill("3200")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("ul.messages li")).to_have_text("2024 年度数据已保存，修改 1 项。")
    (audit,) = table_rows(page, "audit-table")
    assert audit[1:] == ["bureau_staff", "修改年度数据", "营业收入：3,000.00 万元 → 3,200.00 万元", "2024年度"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", audit[0])
    assert table_rows(page, "figures-table")[2] == ["营业收入(万元)", "3,200.00"]


# --- import -------------------------------------------------------------------------------------------------

HEADER = [
    "统一社会信用代码",
    "企业名称",
    "行政区划代码",
    "国民经济行业分类",
    "年度",
    "职工总数",
    "科技人员数",
    "营业收入(万元)",
    "研发费用(万元)",
    "持有效高新技术企业证书",
    "成立日期",
]
# A valid USCC with its check character changed.
BAD_CHECK = make_uscc(17)[:-1] + ("0" if make_uscc(17)[-1] != "0" else "1")


def bad_csv() -> bytes:
    def good(n, revenue="3000"):
        return [
            make_uscc(n),
            f"测试企业{n}有限公司",
            "140105",
            "6513",
            2024,
            100,
            22,
            revenue,
            "150",
            "否",
            "2019-03-01",
        ]

    rows = [
        good(11),
        [BAD_CHECK, "校验位错企业", "140105", "6513", 2024, 10, 1, "100", "5", "否", "2020-01-01"],
        good(12, revenue="一百"),
        [*good(13)[:10], "2020-13-45"],
        [make_uscc(14), "行政区划错企业", "999999", "6513", 2024, 10, 1, "100", "5", "否", ""],
        [make_uscc(15), "科技人员超标企业", "140105", "6513", 2024, 10, 11, "100", "5", "否", ""],
        good(16),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_csv_import_reports_row_level_errors_then_writes_the_good_rows(page, world, login_as):
    from kechuang.enterprises.models import Enterprise

    login_as(world["users"]["bureau_staff"])
    page.goto("/enterprises/import/")
    expect(page.locator("h1")).to_have_text("导入企业年度数据")
    upload = {"name": "企业数据.csv", "mimeType": "text/csv", "buffer": bad_csv()}
    dry_run = page.get_by_label("仅预览校验，不写入")
    expect(dry_run).to_be_checked()  # previewing is the default

    page.get_by_label("数据文件（.xlsx 或 .csv）").set_input_files(upload)
    page.get_by_role("button", name="上传并校验").click()
    report = page.get_by_test_id("import-report")
    expect(report.locator("p").first).to_have_text("企业数据.csv：共 7 行， 可导入 2 行， 拒绝 5 行。 （预览，未写入）")
    expected_errors = [
        ["企业数据.csv", "3", "统一社会信用代码", BAD_CHECK, "统一社会信用代码校验位错误"],
        ["企业数据.csv", "4", "营业收入(万元)", "一百", "“一百”不是数字"],  # the column as headed in the file
        ["企业数据.csv", "5", "成立日期", "2020-13-45", "“2020-13-45”不是有效日期，请使用 YYYY-MM-DD 格式"],
        ["企业数据.csv", "6", "行政区划代码", "999999", "行政区划代码不存在（应为 GB/T 2260 县级代码）"],
        ["企业数据.csv", "7", "科技人员数", "11", "科技人员数不能大于职工总数"],
    ]
    assert table_rows(page, "import-errors") == expected_errors
    assert Enterprise.objects.count() == 3  # a preview writes nothing

    page.get_by_label("数据文件（.xlsx 或 .csv）").set_input_files(upload)
    dry_run.uncheck()
    page.get_by_role("button", name="上传并校验").click()
    expect(report.locator("p").first).to_have_text("企业数据.csv：共 7 行， 已导入 2 行， 拒绝 5 行。")
    expect(report.get_by_test_id("accepted")).to_have_text("2")
    expect(report.get_by_test_id("rejected")).to_have_text("5")
    expect(report.locator("p.muted").first).to_have_text(
        "新增企业 2，更新企业 0，新增年度数据 2，更新年度数据 0，未变化 0"
    )
    assert table_rows(page, "import-errors") == expected_errors
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {
        world["a"].uscc,
        world["b"].uscc,
        world["c"].uscc,
        make_uscc(11),
        make_uscc(16),
    }

    page.goto("/enterprises/?q=测试企业")
    expect_listed(page, ["测试企业11有限公司", "测试企业16有限公司"])


# --- scoping ------------------------------------------------------------------------------------------------


def test_policy_simulation_chart_switches_dimension(page, world, login_as):
    from decimal import Decimal

    from kechuang.enterprises.models import AnnualFigure
    from kechuang.policies import services as policy_services
    from kechuang.rules.models import RuleVersion

    policy_services.load_shipped_policies()
    for key, rd in (("a", "150"), ("b", "250"), ("c", "40")):
        AnnualFigure.objects.filter(enterprise=world[key], year=2024).update(rd_expense=Decimal(rd), hte_certified=True)
    version = RuleVersion.objects.get(kind="policies", rule_id="rd_subsidy", status="published")
    sim = policy_services.start_simulation(
        user=world["users"]["bureau_staff"], version=version, as_of=dt.date(2025, 6, 30)
    )
    login_as(world["users"]["bureau_staff"])
    page.goto(f"/policies/simulations/{sim.pk}/")
    expect(page.locator("#distribution-chart canvas").first).to_be_visible()
    axis = "el => echarts.getInstanceByDom(el).getOption().xAxis[0].data"
    assert page.locator("#distribution-chart").evaluate(axis) == ["小店区", "迎泽区", "海陵区"]  # by amount
    page.get_by_role("button", name="按载体").click()
    assert page.locator("#distribution-chart").evaluate(axis) == ["晋创谷·太原", "别的孵化器"]


def test_bureau_admin_edits_a_band_table_as_rows(page, world, login_as):
    """调整 beside a band table opens its rows; a changed bound and a cleared row are saved as the new
    version, which the list of added versions shows as the JSON it became."""
    from kechuang.rules.models import RuleVersion

    login_as(world["users"]["bureau_admin"])
    page.goto("/tiers/parameters/")
    page.locator('select[name="parameter"]').select_option("high_tech:tech_staff_ratio_min")
    expect(page.locator('input[name="value"]')).to_have_value("0.1")  # the value in force, to edit
    page.locator('a[href="?parameter=tech_sme:tech_staff_bands#new-version"]').click()
    editor = page.get_by_test_id("band-editor")
    expect(editor).to_contain_text("从上到下依次判断科技人员占比")
    page.locator('input[name="band-0-bound"]').fill("0.35")
    page.locator('input[name="band-4-bound"]').fill("")
    page.locator('input[name="band-4-lo"]').fill("")
    page.locator('input[name="effective_from"]').fill("2025-01-01")
    page.locator('input[name="source"]').fill("测试文件〔2025〕1号")
    page.get_by_role("button", name="保存（留痕）").click()
    expect(page.get_by_text("已新增参数版本，自 2025-01-01 起的评价将使用新值。")).to_be_visible()
    assert RuleVersion.objects.filter(kind="tiers").get().value == [
        {"min": 0.35, "points": 20},
        {"min": 0.25, "points": 16},
        {"min": 0.2, "points": 12},
        {"min": 0.15, "points": 8},
        {"points": 0},
    ]


def test_bureau_staff_see_titles_about_to_lapse_and_outstanding_hte_reports(page, world, login_as):
    """The expiring page's tabs: a 专精特新 title lapsing within 6 months, and a 高企 that missed a report."""
    from kechuang.enterprises.models import AnnualFigure

    today = dt.date.today()
    granted = dt.date(today.year - 3, today.month, min(today.day, 28)) + dt.timedelta(days=40)
    AnnualFigure.objects.filter(enterprise=world["a"]).update(specialized_sme_on=granted)
    for year, filed in ((today.year - 2, False), (today.year - 1, True)):
        AnnualFigure.objects.update_or_create(
            enterprise=world["b"],
            year=year,
            defaults={
                "hte_certified": True,
                "hte_certified_on": dt.date(today.year - 2, 3, 1),
                "hte_annual_report_filed": filed,
            },
        )
    login_as(world["users"]["bureau_staff"])
    page.goto("/tiers/expiring/")
    page.get_by_role("link", name="梯度称号 6 个月内到期").click()
    rows = table_rows(page, "expiring-titles")
    expires = granted.replace(year=granted.year + 3)
    assert rows == [
        [
            "太原甲科技有限公司",
            "专精特新中小企业",
            f"{granted:%Y-%m-%d}",
            "3",
            f"{expires:%Y-%m-%d}",
            str((expires - today).days),
        ]
    ]
    page.get_by_role("link", name="高企年度报表待填报或逾期").click()
    rows = table_rows(page, "hte-reports")
    assert rows == [
        ["太原乙材料有限公司", f"{today.year - 2}-03-01", str(today.year - 1), "已填报", "1 再漏报一次即取消资格"]
    ]


def test_park_operator_sees_only_its_valley(page, world, login_as):
    login_as(world["users"]["park_operator"])
    page.goto("/")
    assert stats(page)["可见企业"] == "2"
    assert "数据导入" not in page.locator("header.top nav a").all_inner_texts()
    page.goto("/enterprises/")
    expect_listed(page, ["太原乙材料有限公司", "太原甲科技有限公司"])
    page.get_by_placeholder("企业名称或统一社会信用代码").fill("泰州")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text("没有符合条件的企业。")).to_be_visible()
    assert page.goto(f"/enterprises/{world['c'].uscc}/").status == 404
    assert page.goto(f"/enterprises/{world['b'].uscc}/").status == 200


def test_enterprise_user_gets_404_for_another_enterprise(page, world, login_as):
    login_as(world["users"]["enterprise_user"])
    own = page.goto(f"/enterprises/{world['a'].uscc}/")
    assert own.status == 200
    expect(page.get_by_test_id("uscc")).to_have_text(world["a"].uscc)
    for other in ("b", "c"):
        assert page.goto(f"/enterprises/{world[other].uscc}/").status == 404
        expect(page.get_by_text(world[other].name)).to_have_count(0)
    page.goto("/enterprises/")
    expect_listed(page, ["太原甲科技有限公司"])
    assert page.goto("/enterprises/import/").status == 403


# --- Chinese glyphs are real glyphs -------------------------------------------------------------------------

# Two unassigned code points: no font has them, so they render as the missing-glyph box ("tofu"). A Chinese
# character rendered without a CJK font looks exactly like them.
TOFU = ("\u0378", "\u0379")

PROBE = """(el, tofu) => {
  const han = [...new Set([...el.textContent].filter(c => /\\p{Script=Han}/u.test(c)))];
  const probe = document.createElement("div");
  probe.id = "glyph-probe";
  const style = getComputedStyle(el);
  Object.assign(probe.style, {fontFamily: style.fontFamily, fontWeight: style.fontWeight, fontSize: "32px",
    position: "absolute", top: "0", left: "0", zIndex: "99999", background: "#fff", color: "#000"});
  for (const c of [...han, ...tofu, " "]) {
    const cell = document.createElement("span");
    cell.textContent = c;
    Object.assign(cell.style, {display: "inline-block", width: "40px", height: "44px", lineHeight: "44px",
      textAlign: "center", overflow: "hidden"});
    probe.appendChild(cell);
  }
  document.body.appendChild(probe);
  return han;
}"""


def glyph_check(page: Page, selector: str, shots: Path, tag: str) -> dict:
    """Screenshot the element, then each distinct Chinese character of it in the element's own font, one per
    equal-sized cell, next to the tofu references and a blank cell; compare the pixels (PNG bytes)."""
    page.locator(selector).screenshot(path=shots / f"{tag}-heading.png")
    han = page.locator(selector).evaluate(PROBE, list(TOFU))
    cells = page.locator("#glyph-probe > span")
    images = [cells.nth(i).screenshot(path=shots / f"{tag}-glyph-{i}.png") for i in range(cells.count())]
    glyphs, (tofu_a, tofu_b, blank) = images[: len(han)], images[len(han) :]
    page.evaluate("document.getElementById('glyph-probe').remove()")
    return {
        "characters": len(han),
        "distinct_shapes": len(set(glyphs)),
        "tofu_like": sum(g == tofu_a for g in glyphs),
        "blank": sum(g == blank for g in glyphs),
        "references_agree": tofu_a == tofu_b and tofu_a != blank,
    }


def test_chinese_text_renders_as_distinct_glyphs_not_tofu(page, screenshots):
    page.goto("/accounts/login/")
    expect(page.locator("h1")).to_have_text("科创平台 · 登录")
    result = glyph_check(page, "h1", screenshots, "noto")
    print(f"screenshots: {screenshots}")
    # 科创平台登录: six characters, six different shapes, none of them the missing-glyph box, none blank.
    assert result == {"characters": 6, "distinct_shapes": 6, "tofu_like": 0, "blank": 0, "references_agree": True}

    # And the font Chromium actually used for the heading is the CJK one the stylesheet asks for.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert "Noto Sans CJK SC" in {f["familyName"] for f in fonts}


def test_the_glyph_check_fails_without_a_cjk_font(font_starved_browser, live_server, transactional_db, screenshots):
    """Negative control: the same check in a Chromium that sees no CJK font must report tofu."""
    context = font_starved_browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        result = glyph_check(page, "h1", screenshots, "no-cjk")
    finally:
        context.close()
    assert result == {"characters": 6, "distinct_shapes": 1, "tofu_like": 6, "blank": 0, "references_agree": True}
