"""Correcting an open brokering case: the dates reached (never before the previous stage's), the manager once
assigned, contacts and notes; by bureau staff or the assigned manager's institution; each change audited old → new;
closed cases read-only; a refusal writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.techtransfer import brokerservices as svc
from kechuang.techtransfer.brokering import BrokerCase

pytestmark = pytest.mark.django_db
d = dt.date


def _updates() -> list:
    return list(AuditEvent.objects.filter(action="case.update").order_by("id").values_list("changes", flat=True))


def test_staff_correct_dates_contacts_and_notes_audited_old_to_new(world, pipeline):
    four = pipeline["four"]
    svc.update_case(
        user=world["users"]["bureau_staff"],
        case=four,
        introduced_on=d(2026, 5, 3),
        buyer_contact="  刘工 13900000001 ",
        notes="样品已寄出",
        opened_on=d(2026, 5, 1),  # unchanged: not audited
    )
    four.refresh_from_db()
    assert (four.introduced_on, four.buyer_contact, four.notes, four.stage) == (
        d(2026, 5, 3),
        "刘工 13900000001",
        "样品已寄出",
        "negotiating",
    )
    assert _updates() == [
        {
            "introduced_on": ["2026-05-02", "2026-05-03"],
            "buyer_contact": ["", "刘工 13900000001"],
            "notes": ["", "样品已寄出"],
        }
    ]
    # Nothing changed: nothing written.
    svc.update_case(user=world["users"]["bureau_staff"], case=four, notes="样品已寄出")
    assert len(_updates()) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"assigned_on": d(2026, 5, 1)}, "“指派技术经理人”日期 2026-05-01 不能早于上一阶段“介绍对接”的日期 2026-05-02"),
        ({"opened_on": d(2026, 5, 3)}, "“介绍对接”日期 2026-05-02 不能早于上一阶段“已匹配”的日期 2026-05-03"),
        ({"buyer_consent_on": d(2026, 5, 5)}, "同意对接日期须在立案日期与介绍对接日期之间"),
        ({"negotiating_on": d(2026, 5, 10)}, "洽谈开始日期不能晚于首次洽谈记录的日期 2026-05-09"),
        ({"signed_on": d(2026, 6, 1)}, "案件当前阶段不能修改：签约日期"),
        ({"stage": "signed"}, "案件当前阶段不能修改：阶段"),
        ({"introduced_on": None}, "介绍对接日期不能清空"),
    ],
)
def test_a_refused_edit_writes_nothing(world, pipeline, data, message):
    four = pipeline["four"]
    with pytest.raises(ValidationError) as refused:
        svc.update_case(user=world["users"]["bureau_staff"], case=four, notes="不应保存", **data)
    assert refused.value.messages == [message]
    stored = BrokerCase.objects.get(pk=four.pk)
    assert (stored.notes, stored.opened_on, stored.introduced_on, stored.assigned_on, stored.negotiating_on) == (
        "",
        d(2026, 5, 1),
        d(2026, 5, 2),
        d(2026, 5, 3),
        d(2026, 5, 9),
    )
    assert _updates() == []


def test_closed_cases_are_read_only(world, pipeline, client_for):
    staff = world["users"]["bureau_staff"]
    for key, label in (("one", "转化"), ("two", "终止")):
        with pytest.raises(ValidationError, match=f"案件已{label}，不能再修改"):
            svc.update_case(user=staff, case=pipeline[key], notes="补记")
        client = client_for(staff)
        assert client.get(reverse("techtransfer:case_edit", args=[pipeline[key].pk])).status_code == 403
        assert "修改案件" not in client.get(reverse("techtransfer:case", args=[pipeline[key].pk])).content.decode()
    assert svc.editable_fields(pipeline["one"]) == ()
    assert _updates() == []


def test_who_may_edit(world, supply, pipeline, client_for):
    """The firm sees its case but cannot edit it; the institution of the assigned manager can, and assigns only its
    own institution's managers; an institution that keeps the achievement but not the manager cannot."""
    four, firm, inst = pipeline["four"], world["users"]["enterprise_user"], world["users"]["institution_user"]
    with pytest.raises(PermissionDenied):
        svc.update_case(user=firm, case=four, notes="企业备注")
    assert client_for(firm).get(reverse("techtransfer:case", args=[four.pk])).status_code == 200
    assert client_for(firm).post(reverse("techtransfer:case_edit", args=[four.pk]), {"notes": "x"}).status_code == 403

    with pytest.raises(ValidationError, match="只能指派本机构的技术经理人"):
        svc.update_case(user=inst, case=four, manager=supply["quiet_manager"])
    svc.update_case(user=inst, case=four, seller_contact="王经理 13800000001")
    assert _updates() == [{"seller_contact": ["", "王经理 13800000001"]}]

    staff = world["users"]["bureau_staff"]
    foreign = svc.open_case(
        user=staff, on=d(2026, 7, 1), enterprise=world["b"], need=supply["need_b"], achievement=supply["patent"]
    )
    foreign = svc.advance(
        user=staff, case=foreign, stage="introduced", on=d(2026, 7, 2), buyer_consent_on=d(2026, 7, 2),
        seller_consent_on=d(2026, 7, 2),
    )  # fmt: skip
    foreign = svc.advance(user=staff, case=foreign, stage="assigned", on=d(2026, 7, 3), manager=supply["quiet_manager"])
    client = client_for(inst)
    assert client.get(reverse("techtransfer:case", args=[foreign.pk])).status_code == 200  # its achievement
    assert client.get(reverse("techtransfer:case_edit", args=[foreign.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        svc.update_case(user=inst, case=foreign, notes="越权")
    # Staff change the manager; the audit names them.
    svc.update_case(user=staff, case=foreign, manager=supply["open_manager"])
    assert _updates()[-1] == {"manager": ["李经理", "王经理"]}


def test_the_edit_page_shows_what_the_stage_allows_and_shows_a_refusal(world, pipeline, client_for):
    client = client_for(world["users"]["bureau_staff"])
    three, four = pipeline["three"], pipeline["four"]
    html = client.get(reverse("techtransfer:case_edit", args=[three.pk])).content.decode()
    assert 'name="opened_on"' in html and 'value="2026-03-01"' in html
    assert 'name="introduced_on"' not in html and 'name="manager"' not in html
    url = reverse("techtransfer:case_edit", args=[four.pk])
    form = {
        "opened_on": "2026-05-01",
        "introduced_on": "2026-05-02",
        "assigned_on": "2026-04-30",
        "negotiating_on": "2026-05-09",
        "buyer_consent_on": "2026-05-02",
        "seller_consent_on": "2026-05-02",
        "manager": four.manager_id,
        "seller_contact": "王经理",
    }
    answer = client.post(url, form)
    assert answer.status_code == 200
    assert "“指派技术经理人”日期 2026-04-30 不能早于上一阶段“介绍对接”的日期 2026-05-02" in answer.content.decode()
    assert BrokerCase.objects.get(pk=four.pk).seller_contact == ""
    answer = client.post(url, {**form, "assigned_on": "2026-05-04"})
    assert answer.status_code == 302
    four.refresh_from_db()
    assert (four.assigned_on, four.seller_contact) == (d(2026, 5, 4), "王经理")
    assert _updates() == [{"assigned_on": ["2026-05-03", "2026-05-04"], "seller_contact": ["", "王经理"]}]
    assert "王经理" in client.get(reverse("techtransfer:case", args=[four.pk])).content.decode()
