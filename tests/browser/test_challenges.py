"""揭榜挂帅 in Chromium: the public 榜单 without an account, a solver applying, the bureau opening the review
and drawing a panel (conflicts left out), an expert scoring through a link without an account, the panel's score
going back to the team, and a bureau admin approving a payment batch split across the pool's sources."""

from __future__ import annotations

import datetime as dt

import pytest

from kechuang.challenges import services, tokens
from kechuang.challenges.models import Application, Challenge
from tests.challenges.conftest import TODAY, D, application, draft, make_cworld, make_experts, make_pool, publish

pytestmark = pytest.mark.browser


def test_a_challenge_from_the_public_list_to_a_paid_first_tranche(
    page, world, login_as, screenshots, browser, live_server
):
    cw = make_cworld(world)
    pool = make_pool(cw)
    make_experts(cw)
    users = cw["users"]
    ch = publish(cw, draft(cw, pool, race=True, max_teams=3, budget="1000", issuer_funding="400"))

    # anyone reads the 榜单 and the challenge, without an account
    page.goto("/challenges/public/")
    page.get_by_role("link", name=ch.title).click()
    page.get_by_text("≥ 500 MPa").wait_for()
    assert page.get_by_role("link", name="登录后揭榜申报").is_visible()
    page.screenshot(path=screenshots / "challenge_public.png", full_page=True)

    # a university team applies; eligibility comes back at once with its reasons
    login_as(users["tyut_user"])
    page.goto(f"/challenges/solver/apply/{ch.pk}/")
    page.fill("input[name=team_name]", "理工轻合金团队")
    page.fill("input[name=leader]", "刘教授")
    page.fill("input[name=contact]", "0351-6010000")
    page.fill("textarea[name=plan]", "真空熔炼与热处理工艺优化")
    page.fill("input[name=budget_requested]", "280")
    page.check("input[name=declared_credit]")
    for i, name in enumerate(("刘教授", "王博士", "张工")):
        page.fill(f"input[name=members-{i}-name]", name)
        page.fill(f"input[name=members-{i}-organisation]", "太原理工大学")
    page.get_by_role("button", name="提交申报").click()
    page.get_by_test_id("eligibility").wait_for()
    assert page.get_by_test_id("eligibility").inner_text() == "符合条件"
    assert "团队 3 人" in page.get_by_test_id("conditions").inner_text()
    page.screenshot(path=screenshots / "challenge_applied.png", full_page=True)
    mine = Application.objects.get(team_name="理工轻合金团队")
    other = application(cw, users["firm_b_user"], ch, "乙材料攻关队")

    # the deadline has passed: the bureau opens the review and draws a panel, conflicts left out
    Challenge.objects.filter(pk=ch.pk).update(deadline=TODAY - D(days=1))
    login_as(users["bureau_staff"])
    page.goto(f"/challenges/{ch.pk}/")
    page.get_by_role("button", name="截止申报，进入专家评审").click()
    page.get_by_test_id("stage").get_by_text("专家评审").wait_for()
    page.fill("input[name=deadline]", (TODAY + D(days=7)).isoformat())
    page.fill("input[name=seed]", "7")
    page.get_by_role("button", name="从专家库抽取（回避利益冲突）").click()
    page.get_by_test_id("panel").wait_for()
    assert page.get_by_test_id("review-link").count() == 5
    panel_text = page.get_by_test_id("panel").inner_text()
    assert "张一" not in panel_text  # 太原理工大学, the applicant's own institution
    page.screenshot(path=screenshots / "challenge_panel.png", full_page=True)

    # an expert opens the link in a fresh browser, with no account, and scores both applications
    ch.refresh_from_db()
    panel = ch.panels.get()
    members = list(panel.members.order_by("pk"))
    expert = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    expert.goto(tokens.link_for(members[0]))
    for app, value in ((mine, "90"), (other, "70")):
        sheet = expert.get_by_test_id(f"sheet-{app.pk}")
        for code in ("technical", "team", "plan", "budget"):
            sheet.locator(f"input[name=s-{code}]").fill(value)
        sheet.locator("textarea[name=comment]").fill("技术路线清晰" if value == "90" else "指标论证不足")
        sheet.get_by_role("button", name="保存评分").click()
        expert.get_by_text(f"已保存对“{app.team_name}”的评分。").wait_for()
    expert.screenshot(path=screenshots / "challenge_expert.png", full_page=True)
    expert.context.close()
    for m in members[1:]:
        for app, value in ((mine, 85), (other, 65)):
            services.submit_score(
                member=m,
                application=app,
                sheet=dict.fromkeys(("technical", "team", "plan", "budget"), value),
                comment="可行",
            )

    # the panel's score: five reviewers, the highest and the lowest dropped; the team reads it back
    page.goto(f"/challenges/{ch.pk}/")
    page.get_by_role("button", name="汇总定分").click()
    page.get_by_text("已汇总定分").wait_for()
    login_as(users["tyut_user"])
    page.goto(f"/challenges/solver/applications/{mine.pk}/")
    score = page.get_by_test_id("score").inner_text()
    assert "综合得分 85.00" in score and "去掉一个最高分 90.00 和一个最低分 85.00" in score
    assert "技术路线清晰" in page.get_by_test_id("sheets").inner_text()
    page.screenshot(path=screenshots / "challenge_scores.png", full_page=True)

    # selected, announced, contracted (services); a bureau admin approves the first tranches in the browser
    staff, admin = users["bureau_staff"], users["bureau_admin"]
    ch.refresh_from_db()
    services.select_teams(user=staff, challenge=ch, application_ids=[mine.pk, other.pk])
    ch = services.move(user=staff, challenge=ch, target="notice", on=TODAY - D(days=20))
    ch = services.move(user=staff, challenge=ch, target="contracting", on=ch.notice_ends + D(days=1))
    for app in (mine, other):
        app.refresh_from_db()
        services.sign_contract(
            user=staff,
            team=app,
            contract_no=f"HT-{app.pk}",
            contract_sum="150",
            signed_on=ch.notice_ends + D(days=2),
            account_name=app.lead_name,
            bank_name="晋商银行",
            account_number="6222020200112233",
            first_tranche="60",
        )
    batch = services.create_batch(user=staff, pool=pool, title="首期资金拨付")
    for app in (mine, other):
        services.add_tranche_payment(user=staff, batch=batch, tranche=app.tranches.get(seq=1))
    login_as(admin)
    page.goto(f"/challenges/batches/{batch.pk}/")
    page.get_by_role("button", name="审批通过").click()
    page.get_by_test_id("status").get_by_text("已审批").wait_for()
    rows = page.get_by_test_id("payments").inner_text()
    assert "20.00 万元" in rows and "60.00 万元" in rows
    page.screenshot(path=screenshots / "challenge_batch.png", full_page=True)
    print(f"screenshots: {screenshots}")
    assert dt.date.today() == TODAY
