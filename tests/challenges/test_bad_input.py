"""Bad input is refused with a Chinese message and nothing is written: a tranche before its milestone, a
payment above what remains, a reviewer with a conflict, an application after the deadline, and their kin."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kechuang.challenges import services
from kechuang.challenges.models import (
    Application,
    LedgerEntry,
    Payment,
    PaymentBatch,
    PoolSource,
    RaceReview,
    Score,
    Tranche,
)
from kechuang.core.models import AuditEvent

from .conftest import TODAY, D, application

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Payment.objects.count(),
        LedgerEntry.objects.count(),
        AuditEvent.objects.count(),
        list(PoolSource.objects.order_by("pk").values_list("paid", flat=True)),
    )


# ---------------------------------------------------------------- an application after the deadline


def test_an_application_on_the_deadline_day_counts_the_day_after_is_refused(cworld, published):
    user = cworld["users"]["tyut_user"]
    late = published.deadline + D(days=1)
    before = (Application.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as err:
        application(cworld, user, published, "迟到团队", on=late)
    assert err.value.messages == [f"揭榜申报已于 {published.deadline:%Y-%m-%d} 截止，不能再提交申报"]
    assert (Application.objects.count(), AuditEvent.objects.count()) == before
    app = application(cworld, user, published, "准时团队", on=published.deadline)
    assert app.eligibility == "eligible"
    assert app.eligibility_detail["conditions"][0]["reason"].startswith(f"{published.deadline:%Y-%m-%d} 提交")


def test_the_apply_page_after_the_deadline_shows_the_reason_and_writes_nothing(cworld, published, client_for):
    published.deadline = TODAY - D(days=1)
    published.save(update_fields=["deadline"])
    client = client_for(cworld["users"]["tyut_user"])
    data = {
        "team_name": "迟到团队",
        "leader": "刘",
        "contact": "1",
        "plan": "方案",
        "budget_requested": "100",
        "declared_credit": "on",
        "members-0-name": "甲",
        "members-0-organisation": "太原理工大学",
        "plan-0-title": "样件",
        "plan-0-due_on": (TODAY + D(days=100)).isoformat(),
    }
    response = client.post(reverse("challenges:apply", args=[published.pk]), data)
    assert response.status_code == 200
    assert f"揭榜申报已于 {TODAY - D(days=1):%Y-%m-%d} 截止" in response.content.decode()
    assert not Application.objects.exists()


def test_applications_are_refused_before_publication_twice_by_one_lead_and_from_roles_that_never_solve(
    cworld, published, pool
):
    from .conftest import draft

    user = cworld["users"]["tyut_user"]
    other = draft(cworld, pool, title="另一个榜单")
    with pytest.raises(ValidationError, match="该榜单当前不接受揭榜申报（榜单编制）"):
        application(cworld, user, other, "早到团队")
    application(cworld, user, published, "团队一")
    with pytest.raises(ValidationError, match="太原理工大学已申报该榜单，同一单位对同一榜单只能牵头申报一次"):
        application(cworld, user, published, "团队二")
    from django.core.exceptions import PermissionDenied

    for role in ("bureau_staff", "park_operator", "bank_user"):
        with pytest.raises(PermissionDenied, match="只有高校院所用户或企业用户可以揭榜申报"):
            application(cworld, cworld["users"][role], published, f"{role}队")
    assert Application.objects.count() == 1


def test_an_incomplete_application_names_every_problem(cworld, published):
    with pytest.raises(ValidationError) as err:
        services.apply(
            user=cworld["users"]["tyut_user"],
            challenge=published,
            team_name=" ",
            leader="",
            contact="",
            members=[{"name": "甲"}],
            plan="",
            budget_requested="十万",
            milestones=[{"title": "", "due_on": "2026-13-01"}],
            declared_credit=False,
        )
    assert err.value.messages == [
        "请填写团队名称",
        "请填写团队负责人",
        "请填写联系方式",
        "请填写技术方案",
        "申请经费应为数字，现为“十万”",
        "第 1 名团队成员：请填写姓名和所在单位",
        "实施计划第 1 个里程碑：请填写名称",
        "实施计划第 1 个里程碑：计划完成日期应为日期（如 2026-06-30），现为“2026-13-01”",
    ]
    assert not Application.objects.exists()


# ---------------------------------------------------------------- a reviewer with a conflict


def test_a_reviewer_with_a_conflict_is_refused_everywhere_and_nothing_is_written(cworld, racing, experts):
    ch, teams, panel = racing["challenge"], racing["teams"], racing["panel"]
    staff = cworld["users"]["bureau_staff"]
    zhang = experts[0]  # 太原理工大学, the institution of team 0
    assert panel.members.filter(expert=zhang).count() == 0  # left out of the draw
    m1 = ch.milestones.get(seq=1)
    for t in teams:
        services.report_milestone(user=t.submitted_by, team=t, milestone=m1, summary="完成", on=m1.due_on)
    with pytest.raises(ValidationError) as err:
        services.race_review(
            user=staff,
            challenge=ch,
            milestone=m1,
            held_on=m1.due_on,
            experts=[zhang, experts[3]],
            staff="",
            note="",
            decisions={t.pk: {"decision": "continue", "score": "80", "reason": "好"} for t in teams},
        )
    assert err.value.messages == ["专家张一存在利益冲突，须回避：专家所在单位与太原理工大学为同一单位"]
    assert not RaceReview.objects.exists()
    with pytest.raises(ValidationError, match="专家李二存在利益冲突，须回避：专家所在单位与山西大学为同一单位"):
        services.record_acceptance(
            user=staff, team=teams[1], held_on=m1.due_on, experts=[experts[1]], measured={"i1": "520", "i2": "70"}
        )
    assert not teams[1].acceptances.exists()


def test_a_conflict_declared_after_the_draw_stops_that_expert_scoring(cworld, race_published, experts):
    ch, u = race_published, cworld["users"]
    apps = [application(cworld, u["tyut_user"], ch, "理工团队"), application(cworld, u["firm_b_user"], ch, "乙队")]
    staff = u["bureau_staff"]
    ch = services.move(user=staff, challenge=ch, target="assessment", on=TODAY + D(days=31))
    panel = services.draw_panel(user=staff, challenge=ch, deadline=TODAY + D(days=40), seed=3, on=TODAY + D(days=31))
    before = (panel.members.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as err:
        services.add_member(user=staff, panel=panel, expert=experts[0])
    assert err.value.messages == ["专家张一存在利益冲突，须回避：专家所在单位与太原理工大学为同一单位"]
    assert (panel.members.count(), AuditEvent.objects.count()) == before
    member = panel.members.first()
    services.declare_conflict(expert=member.expert, user=staff, organisation="太原乙材料有限公司", reason="曾任顾问")
    with pytest.raises(ValidationError) as err:
        services.submit_score(
            member=member,
            application=apps[1],
            sheet=dict.fromkeys(("technical", "team", "plan", "budget"), 80),
            comment="好",
            on=TODAY + D(days=32),
        )
    assert err.value.messages == ["您与该申报存在利益冲突，须回避：本人申报与太原乙材料有限公司存在利益冲突：曾任顾问"]
    assert not Score.objects.exists()
    services.submit_score(
        member=member,
        application=apps[0],
        sheet=dict.fromkeys(("technical", "team", "plan", "budget"), 80),
        comment="好",
        on=TODAY + D(days=32),
    )
    assert Score.objects.count() == 1


def test_a_score_sheet_out_of_range_or_without_a_comment_is_refused(cworld, race_published, experts):
    ch, u = race_published, cworld["users"]
    app = application(cworld, u["tyut_user"], ch, "理工团队")
    staff = u["bureau_staff"]
    ch = services.move(user=staff, challenge=ch, target="assessment", on=TODAY + D(days=31))
    panel = services.draw_panel(user=staff, challenge=ch, deadline=TODAY + D(days=40), seed=3, on=TODAY + D(days=31))
    with pytest.raises(ValidationError) as err:
        services.submit_score(
            member=panel.members.first(),
            application=app,
            comment=" ",
            on=TODAY + D(days=32),
            sheet={"technical": "101", "team": "80", "plan": "-1", "budget": ""},
        )
    assert err.value.messages == [
        "“技术方案先进性与可行性”的得分应在 0 到 100 之间，现为 101",
        "“进度安排与里程碑”的得分应在 0 到 100 之间，现为 -1",
        "请为“经费预算合理性”打分",
        "请填写评审意见（申报团队将看到）",
    ]
    assert not Score.objects.exists()


# ---------------------------------------------------------------- a tranche before its milestone


def test_a_tranche_before_its_milestone_is_refused_when_batched_and_when_approved(cworld, racing, pool):
    ch, teams = racing["challenge"], racing["teams"]
    staff, admin = cworld["users"]["bureau_staff"], cworld["users"]["bureau_admin"]
    m1 = ch.milestones.get(seq=1)
    second = services.commit(user=staff, team=teams[0], amount="50", milestone=m1)
    batch = services.create_batch(user=staff, pool=pool)
    before = _counts()
    with pytest.raises(ValidationError) as err:
        services.add_tranche_payment(user=staff, batch=batch, tranche=second)
    assert err.value.messages == ["第 2 期资金须在里程碑“中期样件”验收通过后拨付，该里程碑尚未验收通过"]
    assert _counts() == before
    # a payment that slipped into a batch (added before a report was turned down) is refused at approval
    services.report_milestone(user=teams[0].submitted_by, team=teams[0], milestone=m1, summary="完成", on=m1.due_on)
    report = teams[0].reports.get()
    report.status = "accepted"
    report.save()
    services.add_tranche_payment(user=staff, batch=batch, tranche=second)
    report.status = "rejected"
    report.save()
    before = _counts()
    with pytest.raises(ValidationError) as err:
        services.approve_batch(user=admin, batch_id=batch.pk)
    assert err.value.messages == ["太原理工大学：第 2 期资金须在里程碑“中期样件”验收通过后拨付，该里程碑尚未验收通过"]
    assert _counts() == before and PaymentBatch.objects.get(pk=batch.pk).status == "draft"
    assert Tranche.objects.get(pk=second.pk).paid == 0


# ---------------------------------------------------------------- a payment above what remains


def test_a_payment_above_what_remains_is_refused_with_every_limit_named(cworld, racing, pool):
    teams = racing["teams"]
    staff, admin = cworld["users"]["bureau_staff"], cworld["users"]["bureau_admin"]
    first = teams[0].tranches.get(seq=1)
    batch = services.create_batch(user=staff, pool=pool)
    before = _counts()
    with pytest.raises(ValidationError) as err:
        services.add_tranche_payment(user=staff, batch=batch, tranche=first, amount="100.0001")
    assert err.value.messages == [
        "拨付金额 100.0001 万元 超过第 1 期剩余承诺 100.00 万元",
        "拨付金额 100.0001 万元 超过团队“理工轻合金团队”剩余承诺 100.00 万元",
    ]
    assert _counts() == before
    # exactly what remains is fine; the second half of the same tranche in another batch is then too much
    services.add_tranche_payment(user=staff, batch=batch, tranche=first, amount="60")
    other = services.create_batch(user=staff, pool=pool)
    with pytest.raises(ValidationError, match=re.escape("拨付金额 40.0001 万元 超过第 1 期剩余承诺 40.00 万元")):
        services.add_tranche_payment(user=staff, batch=other, tranche=first, amount="40.0001")
    services.add_tranche_payment(user=staff, batch=other, tranche=first, amount="40")
    services.approve_batch(user=admin, batch_id=batch.pk)
    services.approve_batch(user=cworld["users"]["bureau_admin2"], batch_id=other.pk)
    assert Tranche.objects.get(pk=first.pk).paid == Decimal("100")


def test_a_source_without_money_refuses_the_whole_batch(cworld, racing, pool):
    teams = racing["teams"]
    staff, admin = cworld["users"]["bureau_staff"], cworld["users"]["bureau_admin"]
    PoolSource.objects.filter(name="市级财政").update(paid=Decimal("960"))  # 40万 left in the city's share
    batch = services.create_batch(user=staff, pool=pool)
    for t in teams[:2]:
        services.add_tranche_payment(user=staff, batch=batch, tranche=t.tranches.get(seq=1))
    before = _counts()
    with pytest.raises(ValidationError) as err:
        services.approve_batch(user=admin, batch_id=batch.pk)
    # the city is far ahead of its share, so the leftover 元 of each split go to the others
    assert err.value.messages == ["山西大学：资金来源“市级财政”余额不足：剩余 6.6667 万元，本笔按份额需 33.3333 万元"]
    assert _counts() == before


def test_the_maker_cannot_approve_and_a_batch_is_approved_once(cworld, racing, pool):
    staff, admin = cworld["users"]["bureau_staff"], cworld["users"]["bureau_admin"]
    batch = services.create_batch(user=admin, pool=pool)
    services.add_tranche_payment(user=staff, batch=batch, tranche=racing["teams"][0].tranches.get(seq=1))
    with pytest.raises(ValidationError, match="审批人不能与经办人为同一人（经办、审批须分离）"):
        services.approve_batch(user=admin, batch_id=batch.pk)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="只有科技局管理员可以审批拨付批次"):
        services.approve_batch(user=staff, batch_id=batch.pk)
    services.approve_batch(user=cworld["users"]["bureau_admin2"], batch_id=batch.pk)
    with pytest.raises(ValidationError, match="该批次已处理（已审批），不能重复审批"):
        services.approve_batch(user=cworld["users"]["bureau_admin2"], batch_id=batch.pk)


def test_commitments_stay_within_the_contract_the_public_funding_and_the_pool(cworld, racing, pool):
    ch, teams = racing["challenge"], racing["teams"]
    staff = cworld["users"]["bureau_staff"]
    m1 = ch.milestones.get(seq=1)
    before = (Tranche.objects.count(), LedgerEntry.objects.count())
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "团队“理工轻合金团队”合同经费 200.00 万元，已承诺 100.00 万元，本期 100.0001 万元 将超出合同经费"
        ),
    ):
        services.commit(user=staff, team=teams[0], amount="100.0001", milestone=m1)
    services.commit(user=staff, team=teams[0], amount="100", milestone=m1)
    services.commit(user=staff, team=teams[1], amount="100", milestone=m1)
    type(ch).objects.filter(pk=ch.pk).update(issuer_funding=Decimal("450"))  # public funding 550
    with pytest.raises(
        ValidationError, match=re.escape("榜单财政资金 550.00 万元，已承诺 500.00 万元，本期 50.0001 万元 将超出")
    ):
        services.commit(user=staff, team=teams[2], amount="50.0001", milestone=m1)
    assert (Tranche.objects.count(), LedgerEntry.objects.count()) == (before[0] + 2, before[1] + 2)


def test_contributions_never_exceed_the_pledge(cworld, pool):
    source = pool.sources.get(name="省级财政")
    with pytest.raises(
        ValidationError,
        match=re.escape("省级财政认缴 1,000.00 万元，已到位 1,000.00 万元，本次 0.0001 万元 将超过认缴额"),
    ):
        services.contribute(user=cworld["users"]["bureau_staff"], source=source, amount="0.0001", on=TODAY)
    assert source.ledger.count() == 1


# ---------------------------------------------------------------- the stages


def test_a_draft_with_bad_rows_is_refused_row_by_row_and_nothing_changes(cworld, pool):
    from .conftest import draft

    ch = draft(cworld, pool)
    before = list(ch.indicators.values_list("name", flat=True))
    with pytest.raises(ValidationError) as err:
        services.save_draft(
            user=cworld["users"]["bureau_staff"],
            challenge=ch,
            fields={"budget": "-1", "deadline": "明天"},
            indicators=[{"name": "", "target": "五百"}, {"name": "强度", "comparison": "xx", "target": "1"}],
            milestones=[{"title": "a", "due_on": "2027-01-02"}, {"title": "b", "due_on": "2027-01-01"}],
        )
    assert err.value.messages == [
        "榜单总额不能为负数",
        "揭榜截止日期应为日期（如 2026-06-30），现为“明天”",
        "第 1 项考核指标：请填写指标名称",
        "第 1 项考核指标：目标值应为数字，现为“五百”",
        "第 2 项考核指标：比较方式无效",
        "第 2 个里程碑：计划完成日期应晚于上一个里程碑",
    ]
    ch.refresh_from_db()
    assert list(ch.indicators.values_list("name", flat=True)) == before and ch.budget == Decimal("500")


def test_the_submitter_cannot_publish_and_an_incomplete_draft_cannot_be_submitted(cworld, pool):
    from .conftest import draft

    admin = cworld["users"]["bureau_admin"]
    ch = draft(cworld, pool)
    ch = services.move(user=admin, challenge=ch, target="approval")
    with pytest.raises(ValidationError, match="审定人不能与提交人为同一人（编制、审定须分离）"):
        services.move(user=admin, challenge=ch, target="published")
    ch.refresh_from_db()
    assert ch.stage == "approval" and ch.published_on is None
    bare = services.create(user=cworld["users"]["bureau_staff"], title="空白", origin="staff", need_text="需求")
    services.move(user=cworld["users"]["bureau_staff"], challenge=bare, target="review")
    with pytest.raises(ValidationError, match="尚无走访记录：请先录入实地走访情况"):
        services.move(user=cworld["users"]["bureau_staff"], challenge=bare, target="drafting")


def test_an_objection_outside_the_notice_period_is_refused(cworld, published):
    with pytest.raises(ValidationError, match="该榜单不在公示期内，不能提出异议"):
        services.file_objection(challenge=published, name="张", contact="1", text_="异议")
    assert not published.objections.exists()
