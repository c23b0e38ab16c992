"""Brokering cases: the stages in order with dates, refusals that write nothing, and who may move a case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.core.models import AuditEvent
from kechuang.techtransfer import brokerservices as svc
from kechuang.techtransfer.models import BrokerCase, CaseMeeting

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def case(world, supply):
    return svc.open_case(
        user=world["users"]["bureau_staff"],
        on=D(2026, 3, 1),
        enterprise=world["a"],
        need=supply["need_a"],
        achievement=supply["patent"],
    )


def _walk_to(case, user, stage, record):
    steps = {
        "introduced": {"on": D(2026, 3, 5), "buyer_consent_on": D(2026, 3, 2), "seller_consent_on": D(2026, 3, 4)},
        "assigned": {"on": D(2026, 3, 6), "manager": case.achievement.manager},
        "negotiating": {"on": D(2026, 3, 10), "meeting_notes": "首次洽谈：价格区间"},
        "signed": {"on": D(2026, 4, 1)},
        "registered": {"on": D(2026, 4, 20), "contract": record()},
        "converted": {"on": D(2026, 6, 1)},
    }
    for name, kw in steps.items():
        case = svc.advance(user=user, case=case, stage=name, **kw)
        if name == stage:
            return case
    return case


def test_a_case_walks_every_stage_with_dates_and_audit(world, case, record):
    staff = world["users"]["bureau_staff"]
    assert (case.institution.name, case.field, case.stage) == ("山西大学", "materials", "matched")

    def registered():
        from kechuang.techtransfer import services

        c = record("JZ-100", on=D(2026, 4, 10), signed_on=D(2026, 4, 1))
        return services.decide(user=staff, contract=c, on=D(2026, 4, 15))

    case = _walk_to(case, staff, "converted", registered)
    case.refresh_from_db()
    assert (case.stage, case.introduced_on, case.assigned_on, case.negotiating_on) == (
        "converted",
        D(2026, 3, 5),
        D(2026, 3, 6),
        D(2026, 3, 10),
    )
    assert (case.signed_on, case.registered_on, case.converted_on) == (D(2026, 4, 1), D(2026, 4, 20), D(2026, 6, 1))
    assert (case.contract.contract_no, case.manager.name) == ("JZ-100", "王经理")
    assert list(CaseMeeting.objects.values_list("notes", flat=True)) == ["首次洽谈：价格区间"]
    stages = list(
        AuditEvent.objects.filter(action="case.stage", object_id=str(case.pk))
        .order_by("pk")
        .values_list("changes", flat=True)
    )
    assert [c["stage"] for c in stages] == [
        ["matched", "introduced"],
        ["introduced", "assigned"],
        ["assigned", "negotiating"],
        ["negotiating", "signed"],
        ["signed", "registered"],
        ["registered", "converted"],
    ]
    with pytest.raises(ValidationError, match="案件已转化"):
        svc.advance(user=staff, case=case, stage="converted", on=D(2026, 7, 1))


def _refused(case, exc, match, **kw):
    before = (BrokerCase.objects.values().get(pk=case.pk), AuditEvent.objects.count(), CaseMeeting.objects.count())
    with pytest.raises(exc, match=match):
        svc.advance(case=case, **kw)
    after = (BrokerCase.objects.values().get(pk=case.pk), AuditEvent.objects.count(), CaseMeeting.objects.count())
    assert after == before


def test_stage_refusals_write_nothing(world, case):
    staff = world["users"]["bureau_staff"]
    _refused(
        case,
        ValidationError,
        "不能跳过阶段：案件处于“已匹配”，下一步应为“介绍对接”",
        user=staff,
        stage="signed",
        on=D(2026, 4, 1),
    )
    _refused(
        case,
        ValidationError,
        "介绍对接须双方同意",
        user=staff,
        stage="introduced",
        on=D(2026, 3, 5),
        buyer_consent_on=D(2026, 3, 2),
    )
    _refused(
        case,
        ValidationError,
        "“介绍对接”日期 2026-02-28 不能早于上一阶段“已匹配”的日期 2026-03-01",
        user=staff,
        stage="introduced",
        on=D(2026, 2, 28),
        buyer_consent_on=D(2026, 3, 1),
        seller_consent_on=D(2026, 3, 1),
    )
    _refused(
        case,
        ValidationError,
        "同意对接日期须在立案日期与介绍对接日期之间",
        user=staff,
        stage="introduced",
        on=D(2026, 3, 5),
        buyer_consent_on=D(2026, 3, 6),
        seller_consent_on=D(2026, 3, 2),
    )
    case = svc.advance(
        user=staff,
        case=case,
        stage="introduced",
        on=D(2026, 3, 5),
        buyer_consent_on=D(2026, 3, 2),
        seller_consent_on=D(2026, 3, 3),
    )
    _refused(case, ValidationError, "请选择技术经理人", user=staff, stage="assigned", on=D(2026, 3, 6))
    case = svc.advance(user=staff, case=case, stage="assigned", on=D(2026, 3, 6), manager=case.achievement.manager)
    _refused(case, ValidationError, "洽谈须填写首次洽谈纪要", user=staff, stage="negotiating", on=D(2026, 3, 7))
    case = svc.advance(user=staff, case=case, stage="negotiating", on=D(2026, 3, 7), meeting_notes="初谈")
    case = svc.advance(user=staff, case=case, stage="signed", on=D(2026, 3, 20))
    _refused(case, ValidationError, "登记须关联已认定登记的技术合同", user=staff, stage="registered", on=D(2026, 4, 1))


def test_meetings_and_termination(world, case):
    staff = world["users"]["bureau_staff"]
    with pytest.raises(ValidationError, match="案件进入洽谈阶段后才能记录洽谈"):
        svc.add_meeting(user=staff, case=case, on=D(2026, 3, 2), notes="太早")
    with pytest.raises(ValidationError, match="终止须填写原因"):
        svc.terminate(user=staff, case=case, on=D(2026, 3, 2), reason=" ")
    assert BrokerCase.objects.get(pk=case.pk).stage == "matched"
    case = svc.terminate(user=staff, case=case, on=D(2026, 3, 9), reason="企业转向自主研发")
    assert (case.stage, case.terminated_on, case.termination_reason) == (
        "terminated",
        D(2026, 3, 9),
        "企业转向自主研发",
    )
    with pytest.raises(ValidationError, match="案件已终止，不能再推进"):
        svc.advance(user=staff, case=case, stage="introduced", on=D(2026, 3, 10))


def test_who_may_open_and_move_a_case(world, supply, case):
    users = world["users"]
    for role in ("institution_user", "enterprise_user", "park_operator"):
        with pytest.raises(PermissionDenied):
            svc.open_case(
                user=users[role],
                on=D(2026, 3, 1),
                enterprise=world["b"],
                need=supply["need_b"],
                achievement=supply["result"],
            )
    # Before a manager of 山西大学 is assigned, its institution user may not move the case; after, it may.
    _refused(
        case,
        PermissionDenied,
        "只有科技局工作人员或所指派技术经理人的机构可以推进案件",
        user=users["institution_user"],
        stage="introduced",
        on=D(2026, 3, 5),
        buyer_consent_on=D(2026, 3, 2),
        seller_consent_on=D(2026, 3, 3),
    )
    staff = users["bureau_staff"]
    case = svc.advance(
        user=staff,
        case=case,
        stage="introduced",
        on=D(2026, 3, 5),
        buyer_consent_on=D(2026, 3, 2),
        seller_consent_on=D(2026, 3, 3),
    )
    case = svc.advance(user=staff, case=case, stage="assigned", on=D(2026, 3, 6), manager=supply["open_manager"])
    case = svc.advance(
        user=users["institution_user"], case=case, stage="negotiating", on=D(2026, 3, 8), meeting_notes="初谈"
    )
    assert case.stage == "negotiating"
    _refused(case, PermissionDenied, "可以推进案件", user=users["enterprise_user"], stage="signed", on=D(2026, 3, 20))
    # A manager of another institution (太原理工大学, kept by nobody here) shuts 山西大学's user out again.
    other = BrokerCase.objects.get(pk=case.pk)
    other.manager = supply["quiet_manager"]
    assert not svc.can_move(users["institution_user"], other)


def test_a_patent_brokered_between_firms(world):
    staff = world["users"]["bureau_staff"]
    with pytest.raises(ValidationError, match="企业间专利转移须填写专利持有企业、专利号和专利名称"):
        svc.open_case(user=staff, on=D(2026, 5, 1), enterprise=world["a"], kind="patent", seller_enterprise=world["b"])
    assert BrokerCase.objects.count() == 0
    case = svc.open_case(
        user=staff,
        on=D(2026, 5, 1),
        enterprise=world["a"],
        kind="patent",
        seller_enterprise=world["b"],
        patent_no="CN110000001B",
        patent_title="一种耐磨涂层的制备方法",
        product="耐磨轴承",
    )
    assert (case.seller_name, case.offer_title) == (world["b"].name, "一种耐磨涂层的制备方法（CN110000001B）")


def test_one_case_per_need_and_achievement(world, supply, case):
    with pytest.raises(ValidationError, match="该需求与成果已有对接案件"):
        svc.open_case(
            user=world["users"]["bureau_staff"],
            on=D(2026, 3, 2),
            enterprise=world["a"],
            need=supply["need_a"],
            achievement=supply["patent"],
        )
