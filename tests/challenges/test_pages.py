"""Pages per role: who may open what (allowed, 403, 404, or the login page), and what each page shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kechuang.challenges import services, tokens
from kechuang.challenges.models import Application, Capability, Objection, Score

from .conftest import TODAY, D, application

pytestmark = pytest.mark.django_db

ROLES = ("bureau_admin", "bureau_staff", "park_operator", "enterprise_user", "bank_user", "institution_user")


def _status(client_for, user, url):
    return client_for(user).get(url).status_code


def test_every_bureau_page_renders_for_the_bureau_and_is_403_for_every_other_role(
    cworld, racing, client_for, pool, experts
):
    ch, teams = racing["challenge"], racing["teams"]
    batch = services.create_batch(user=cworld["users"]["bureau_staff"], pool=pool)
    urls = [
        reverse("challenges:board"),
        reverse("challenges:intake"),
        reverse("challenges:figures"),
        reverse("challenges:pool"),
        reverse("challenges:batches"),
        reverse("challenges:batch", args=[batch.pk]),
        reverse("challenges:experts"),
        reverse("challenges:expert", args=[experts[0].pk]),
        reverse("challenges:race_review", args=[ch.pk]),
        reverse("challenges:acceptance", args=[ch.pk, teams[0].pk]),
    ]
    for role in (*ROLES, "tyut_user", "firm_b_user"):
        want = 200 if role.startswith("bureau") else 403
        assert {url: _status(client_for, cworld["users"][role], url) for url in urls} == dict.fromkeys(urls, want), role
    anonymous = Client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login")), url
    for url in (
        reverse("challenges:board") + "?format=xlsx",
        reverse("challenges:pool") + "?format=xlsx",
        reverse("challenges:figures") + "?format=xlsx",
    ):
        response = client_for(cworld["users"]["bureau_staff"]).get(url)
        assert response["Content-Type"].startswith("application/vnd.openxmlformats"), url


def test_the_public_pages_need_no_account_and_hide_drafts_money_and_scores(cworld, racing, pool):
    from .conftest import draft

    hidden = draft(cworld, pool, title="尚在编制的榜单")
    ch = racing["challenge"]
    client = Client()
    listing = client.get(reverse("challenges:public_list")).content.decode()
    assert ch.title in listing and "尚在编制的榜单" not in listing
    assert client.get(reverse("challenges:public_detail", args=[hidden.pk])).status_code == 404
    page = client.get(reverse("challenges:public_detail", args=[ch.pk])).content.decode()
    assert "抗拉强度" in page and "≥ 500 MPa" in page and "理工轻合金团队" in page
    for secret in ("6222020200112233", "资金台账", "走访", "专家 1", "需求真实"):
        assert secret not in page, secret
    assert client.get(reverse("challenges:public_capabilities")).status_code == 200


def test_anyone_may_object_during_the_notice_and_the_bureau_answers(cworld, race_published, experts, client_for):
    ch, u = race_published, cworld["users"]
    apps = [application(cworld, u["tyut_user"], ch, "理工团队"), application(cworld, u["firm_b_user"], ch, "乙队")]
    staff = u["bureau_staff"]
    ch = services.move(user=staff, challenge=ch, target="assessment", on=TODAY + D(days=31))
    panel = services.draw_panel(user=staff, challenge=ch, deadline=TODAY + D(days=40), seed=3, on=TODAY + D(days=31))
    from .conftest import score_all

    score_all(panel, apps)
    services.finalise_review(user=staff, challenge=ch, on=TODAY + D(days=41))
    ch.refresh_from_db()
    services.select_teams(user=staff, challenge=ch, application_ids=[a.pk for a in apps])
    ch = services.move(user=staff, challenge=ch, target="notice", on=TODAY)
    assert ch.notice_starts == TODAY and ch.notice_ends > TODAY
    response = Client().post(
        reverse("challenges:objection", args=[ch.pk]),
        {"name": "王先生", "contact": "13900000000", "text": "乙队成员与发榜企业有关联", "application": apps[1].pk},
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert (objection.name, objection.application, objection.answered_at) == ("王先生", apps[1], None)
    with pytest.raises(Exception, match="还有 1 条异议未答复"):
        services.move(user=staff, challenge=ch, target="contracting", on=ch.notice_ends + D(days=1))
    client_for(staff).post(reverse("challenges:answer", args=[ch.pk, objection.pk]), {"text": "经核实无关联"})
    objection.refresh_from_db()
    assert objection.answer == "经核实无关联" and objection.answered_by == staff
    with pytest.raises(Exception, match=r"公示期至 .*尚未期满"):
        services.move(user=staff, challenge=ch, target="contracting", on=ch.notice_ends)
    services.move(user=staff, challenge=ch, target="contracting", on=ch.notice_ends + D(days=1))
    page = Client().get(reverse("challenges:public_detail", args=[ch.pk])).content.decode()
    assert "经核实无关联" in page


def test_the_challenge_page_is_the_bureau_s_and_the_issuer_s_and_404_for_the_rest(cworld, racing, client_for):
    ch = racing["challenge"]
    url = reverse("challenges:detail", args=[ch.pk])
    expected = {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "enterprise_user": 200,
        "park_operator": 404,
        "bank_user": 404,
        "institution_user": 404,
        "tyut_user": 404,
        "firm_b_user": 404,
    }
    assert {k: _status(client_for, cworld["users"][k], url) for k in expected} == expected
    bureau = client_for(cworld["users"]["bureau_staff"]).get(url).content.decode()
    issuer = client_for(cworld["users"]["enterprise_user"]).get(url).content.decode()
    expert_name = racing["panel"].members.first().expert.name
    assert expert_name in bureau and "资金台账" in bureau and "****2233" in bureau
    assert expert_name not in issuer and "资金台账" not in issuer and "****2233" not in issuer and "专家 1" in issuer
    assert "登记实际支出" in issuer


def test_the_issuer_drafts_with_the_bureau_but_not_the_bureau_s_fields(cworld, pool, client_for):
    from django.core.exceptions import PermissionDenied

    from .conftest import draft

    ch = draft(cworld, pool)
    issuer = cworld["users"]["enterprise_user"]
    response = client_for(issuer).post(
        reverse("challenges:draft", args=[ch.pk]),
        {
            "title": "高强韧铝合金轻量化（修订）",
            "goals": "新目标",
            "budget": "520",
            "issuer_funding": "220",
            "deadline": ch.deadline.isoformat(),
            "completion_due": ch.completion_due.isoformat(),
            "ip_ownership": "shared",
            "licence_back": "none",
            "publication": "issuer_consent",
            "indicators-0-name": "抗拉强度",
            "indicators-0-comparison": "ge",
            "indicators-0-target": "520",
            "indicators-0-unit": "MPa",
            "indicators-0-required": "1",
            "milestones-0-title": "样件",
            "milestones-0-due_on": (TODAY + D(days=100)).isoformat(),
            "milestones-1-title": "试制",
            "milestones-1-due_on": (TODAY + D(days=200)).isoformat(),
        },
    )
    assert response.status_code == 302
    ch.refresh_from_db()
    assert (ch.title, ch.budget, ch.pool_id) == ("高强韧铝合金轻量化（修订）", 520, pool.pk)
    assert [i.text for i in ch.indicators.all()] == ["抗拉强度 ≥ 520 MPa"]
    with pytest.raises(PermissionDenied, match="无权修改：pool"):
        services.save_draft(user=issuer, challenge=ch, fields={"pool": None})
    assert _status(client_for, cworld["users"]["firm_b_user"], reverse("challenges:draft", args=[ch.pk])) == 404


def test_the_solver_portal_and_an_application_page_per_role(cworld, racing, client_for):
    team = racing["teams"][0]  # 太原理工大学
    portal = reverse("challenges:portal")
    expected = {
        "bureau_staff": 403,
        "park_operator": 403,
        "bank_user": 403,
        "institution_user": 200,
        "enterprise_user": 200,
        "tyut_user": 200,
        "firm_b_user": 200,
    }
    assert {k: _status(client_for, cworld["users"][k], portal) for k in expected} == expected
    url = reverse("challenges:application", args=[team.pk])
    expected = {
        "tyut_user": 200,
        "bureau_staff": 200,
        "enterprise_user": 200,
        "institution_user": 404,
        "firm_b_user": 404,
        "park_operator": 404,
        "bank_user": 404,
    }
    assert {k: _status(client_for, cworld["users"][k], url) for k in expected} == expected
    page = client_for(cworld["users"]["tyut_user"]).get(url).content.decode()
    # every applicant gets its scores and the comments back, without the experts' names
    assert "综合得分 <strong>90.00</strong>" in page and "方案可行" in page and "专家 5" in page
    assert racing["panel"].members.first().expert.name not in page
    assert "5 名专家评分，去掉一个最高分 90.00 和一个最低分 90.00" in page


def test_a_solver_applies_through_the_page_and_reads_why_it_is_ineligible(cworld, published, client_for):
    client = client_for(cworld["users"]["tyut_user"])
    data = {
        "team_name": "两人小队",
        "leader": "刘",
        "contact": "1",
        "plan": "方案",
        "budget_requested": "100",
        "declared_credit": "on",
        "members-0-name": "甲",
        "members-0-organisation": "太原理工大学",
        "members-1-name": "乙",
        "members-1-organisation": "太原理工大学",
        "plan-0-title": "样件",
        "plan-0-due_on": (TODAY + D(days=100)).isoformat(),
        "plan-1-title": "试制",
        "plan-1-due_on": (TODAY + D(days=200)).isoformat(),
    }
    response = client.post(reverse("challenges:apply", args=[published.pk]), data)
    app = Application.objects.get()
    assert response.url == reverse("challenges:application", args=[app.pk])
    assert (app.eligibility, app.lead_organisation.name, len(app.members)) == ("ineligible", "太原理工大学", 2)
    page = client.get(response.url).content.decode()
    assert "不符合条件" in page and "团队 2 人，少于最低要求 3 人" in page


def test_a_team_reports_a_milestone_only_for_itself(cworld, racing, client_for):
    team, other = racing["teams"][0], racing["teams"][1]
    m1 = racing["challenge"].milestones.get(seq=1)
    client = client_for(cworld["users"]["tyut_user"])
    response = client.post(reverse("challenges:report", args=[team.pk]), {"milestone": m1.pk, "summary": "样件完成"})
    assert response.status_code == 302 and team.reports.get().summary == "样件完成"
    assert (
        client.post(reverse("challenges:report", args=[other.pk]), {"milestone": m1.pk, "summary": "冒充"}).status_code
        == 404
    )
    assert not other.reports.exists()


def test_the_issuer_view_lists_only_its_firm_s_challenges(cworld, racing, client_for, pool):
    from .conftest import draft

    mine = racing["challenge"]
    theirs = draft(cworld, pool, title="别家的榜单")
    type(theirs).objects.filter(pk=theirs.pk).update(issuer=cworld["b"])
    page = client_for(cworld["users"]["enterprise_user"]).get(reverse("challenges:issuer")).content.decode()
    assert mine.title in page and "别家的榜单" not in page
    assert _status(client_for, cworld["users"]["institution_user"], reverse("challenges:issuer")) == 403
    assert (
        _status(client_for, cworld["users"]["enterprise_user"], reverse("challenges:detail", args=[theirs.pk])) == 404
    )


def test_an_expert_scores_through_a_link_without_an_account(cworld, race_published, experts):
    ch, u = race_published, cworld["users"]
    app = application(cworld, u["tyut_user"], ch, "理工团队")
    staff = u["bureau_staff"]
    type(ch).objects.filter(pk=ch.pk).update(deadline=TODAY - D(days=2))
    ch.refresh_from_db()
    ch = services.move(user=staff, challenge=ch, target="assessment", on=TODAY - D(days=1))
    panel = services.draw_panel(user=staff, challenge=ch, deadline=TODAY + D(days=5), seed=4, on=TODAY)
    member = panel.members.first()
    url = tokens.link_for(member)
    client = Client()
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and member.expert.name in text and "理工团队" in text
    response = client.post(
        reverse("challenges:review_score", args=[tokens.token_for(member), app.pk]),
        {"s-technical": "90", "s-team": "80", "s-plan": "70", "s-budget": "60", "comment": "可行"},
    )
    assert response.status_code == 302
    score = Score.objects.get()
    assert (score.total, score.comment, score.member) == (79, "可行", member)
    # a forged token, a reissued link's old token, a withdrawn seat and a passed deadline are all refused
    assert client.get(url[:-3] + "xx/").status_code == 404
    services.reissue_link(user=staff, member=member)
    assert client.get(url).status_code == 404
    member.refresh_from_db()
    assert client.get(tokens.link_for(member)).status_code == 200
    type(panel).objects.filter(pk=panel.pk).update(deadline=TODAY - D(days=1))
    assert client.get(tokens.link_for(member)).status_code == 404


def test_an_expert_declaring_a_conflict_leaves_the_panel(cworld, race_published, experts):
    ch, u = race_published, cworld["users"]
    application(cworld, u["tyut_user"], ch, "理工团队")
    staff = u["bureau_staff"]
    type(ch).objects.filter(pk=ch.pk).update(deadline=TODAY - D(days=2))
    ch.refresh_from_db()
    ch = services.move(user=staff, challenge=ch, target="assessment", on=TODAY - D(days=1))
    panel = services.draw_panel(user=staff, challenge=ch, deadline=TODAY + D(days=5), seed=4, on=TODAY)
    member = panel.members.first()
    client = Client()
    response = client.post(
        reverse("challenges:review_conflict", args=[tokens.token_for(member)]),
        {"organisation": "太原理工大学", "reason": "博士导师"},
    )
    assert "您已退出本评审组" in response.content.decode()
    member.refresh_from_db()
    assert not member.active and member.expert.declared_conflicts.get().reason == "博士导师"
    assert client.get(tokens.link_for(member)).status_code == 404


def test_an_institution_publishes_a_capability_seen_by_everyone(cworld, client_for):
    client = client_for(cworld["users"]["tyut_user"])
    client.post(
        reverse("challenges:capability"),
        {"title": "镁合金成形", "field": "新材料", "description": "挤压与锻造", "contact": "0351-1"},
    )
    cap = Capability.objects.get()
    assert (cap.organisation.name, cap.status) == ("太原理工大学", "published")
    assert "镁合金成形" in Client().get(reverse("challenges:public_capabilities")).content.decode()
    client_for(cworld["users"]["firm_b_user"]).post(reverse("challenges:capability_withdraw", args=[cap.pk]))
    assert Capability.objects.get().status == "published"
    client_for(cworld["users"]["tyut_user"]).post(reverse("challenges:capability_withdraw", args=[cap.pk]))
    assert Capability.objects.get().status == "withdrawn"


def test_the_board_shows_money_per_source_with_a_constant_number_of_queries(
    cworld, racing, client_for, django_assert_max_num_queries, pool
):
    from .conftest import draft

    client = client_for(cworld["users"]["bureau_staff"])
    page = client.get(reverse("challenges:board")).content.decode()
    assert "省级财政" in page and '<td class="num">100.00 万元</td>' in page  # 300万 committed, a third per source
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("challenges:board"))
    for i in range(5):
        draft(cworld, pool, title=f"加量榜单{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("challenges:board"))


def test_the_figures_the_bureau_reports(cworld, racing, client_for):
    response = client_for(cworld["users"]["bureau_admin"]).get(reverse("challenges:figures"))
    d = response.context["d"]
    ch = racing["challenge"]
    assert (d["published"], d["rewards"], d["teams"], d["implemented"], d["accepted"]) == (1, 1000, 3, 1, 0)
    assert d["avg_days_to_contract"] == (ch.contracted_on - ch.published_on).days
    assert d["money"]["省级财政"]["contributed"] == 1000 and d["money"]["省级财政"]["committed"] == 100


def test_the_rule_pages_list_the_challenge_rules(cworld, client_for):
    page = client_for(cworld["users"]["bureau_admin"]).get(reverse("rules:index")).content.decode()
    for name in ("揭榜申报资格", "揭榜方案专家评审", "赛马制", "揭榜结果公示", "揭榜挂帅积分补助"):
        assert name in page
    detail = client_for(cworld["users"]["bureau_admin"]).get(
        reverse("rules:detail", args=["challenge", "points_subsidy"])
    )
    assert "补助比例（占实际支出）" in detail.content.decode()
    assert dt.date.today() >= dt.date(2023, 1, 1)


def test_every_action_of_the_challenge_page_is_the_bureau_s(cworld, racing, client_for, pool):
    ch, team = racing["challenge"], racing["teams"][0]
    member = racing["panel"].members.first()
    posts = [
        reverse("challenges:move", args=[ch.pk]),
        reverse("challenges:visit", args=[ch.pk]),
        reverse("challenges:panel_draw", args=[ch.pk]),
        reverse("challenges:panel_add", args=[ch.pk]),
        reverse("challenges:panel_member", args=[ch.pk, member.pk]),
        reverse("challenges:finalise", args=[ch.pk]),
        reverse("challenges:select", args=[ch.pk]),
        reverse("challenges:eligibility", args=[ch.pk, team.pk]),
        reverse("challenges:contract", args=[ch.pk, team.pk]),
        reverse("challenges:tranche", args=[ch.pk]),
        reverse("challenges:concentrate", args=[ch.pk]),
        reverse("challenges:subsidy", args=[ch.pk]),
        reverse("challenges:results", args=[ch.pk]),
        reverse("challenges:clawback_flag", args=[ch.pk]),
        reverse("challenges:contribute"),
        reverse("challenges:batch_approve", args=[1]),
        reverse("challenges:clawback_resolve", args=[1]),
    ]
    before = (ch.stage, ch.committed, team.tranches.count())
    for role in ("enterprise_user", "institution_user", "tyut_user", "park_operator", "bank_user"):
        client = client_for(cworld["users"][role])
        assert {
            url: client.post(url, {"target": "closed", "reason": "x"}).status_code for url in posts
        } == dict.fromkeys(posts, 403), role
    ch.refresh_from_db()
    assert (ch.stage, ch.committed, team.tranches.count()) == before
    # the issuer records spending on its own challenge; another firm's user cannot even see it
    data = {
        "amount": "12",
        "spent_on": TODAY.isoformat(),
        "payee": "太原理工大学",
        "description": "研发",
        "evidence_ref": "FP9",
    }
    assert (
        client_for(cworld["users"]["firm_b_user"]).post(reverse("challenges:spending", args=[ch.pk]), data).status_code
        == 404
    )
    assert (
        client_for(cworld["users"]["enterprise_user"])
        .post(reverse("challenges:spending", args=[ch.pk]), data)
        .status_code
        == 302
    )
    assert ch.spending.get().submitted_by == cworld["users"]["enterprise_user"]


def test_evidence_files_are_served_to_those_who_may_see_them_only(cworld, racing, client_for, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    ch, team = racing["challenge"], racing["teams"][0]
    m1 = ch.milestones.get(seq=1)
    report = services.report_milestone(
        user=cworld["users"]["tyut_user"],
        team=team,
        milestone=m1,
        summary="完成",
        evidence=SimpleUploadedFile("检测报告.pdf", b"%PDF-1.4 demo"),
    )
    spending = services.record_spending(
        user=cworld["users"]["enterprise_user"],
        challenge=ch,
        amount="5",
        spent_on=TODAY,
        payee="太原理工大学",
        description="检测",
        evidence_ref="FP1",
        evidence=SimpleUploadedFile("发票.png", b"png"),
    )
    report_url = reverse("challenges:report_file", args=[report.pk])
    spending_url = reverse("challenges:spending_file", args=[ch.pk, spending.pk])
    got = {
        k: (_status(client_for, cworld["users"][k], report_url), _status(client_for, cworld["users"][k], spending_url))
        for k in ("bureau_staff", "enterprise_user", "tyut_user", "institution_user", "firm_b_user", "park_operator")
    }
    assert got == {
        "bureau_staff": (200, 200),
        "enterprise_user": (200, 200),
        "tyut_user": (200, 404),
        "institution_user": (404, 404),
        "firm_b_user": (404, 404),
        "park_operator": (404, 404),
    }
    response = client_for(cworld["users"]["bureau_staff"]).get(report_url)
    assert b"".join(response.streaming_content) == b"%PDF-1.4 demo"
    assert "attachment" in response["Content-Disposition"]
    assert Client().get(report_url).status_code == 302
