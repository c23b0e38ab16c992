"""Pages of brokering: matchmaking events (create with attendees, list, detail with the cases opened there),
opening a case, and moving it from its page (refusals shown, nothing written; others 403/404)."""

from __future__ import annotations

import pytest

from kechuang.core.models import AuditEvent
from kechuang.techtransfer.models import BrokerCase, MatchmakingEvent

pytestmark = pytest.mark.django_db


def _event_post(world, supply, firms):
    return {
        "title": "新材料专场对接会",
        "kind": "matchmaking",
        "held_on": "2026-05-20",
        "place": "晋创谷·太原",
        "institutions": [supply["sxu"].pk, supply["tyut"].pk],
        "firms": firms,
        "notes": "12 家企业现场发布需求",
    }


def test_staff_record_an_event_with_attendees_and_its_cases(client_for, world, supply):
    client = client_for(world["users"]["bureau_staff"])
    bad = client.post("/techtransfer/events/new/", _event_post(world, supply, f"{world['a'].uscc}\n91140100XXXXXXXXXX"))
    assert "第 2 行：没有统一社会信用代码为 91140100XXXXXXXXXX 的企业" in bad.content.decode()
    assert MatchmakingEvent.objects.count() == 0
    got = client.post("/techtransfer/events/new/", _event_post(world, supply, f"{world['a'].uscc}\n{world['b'].uscc}"))
    ev = MatchmakingEvent.objects.get()
    assert got.status_code == 302
    assert (sorted(ev.enterprises.values_list("name", flat=True)), ev.institutions.count()) == (
        ["太原乙材料有限公司", "太原甲科技有限公司"],
        2,
    )
    assert AuditEvent.objects.filter(action="matchmaking_event.create", object_id=str(ev.pk)).count() == 1
    opened = client.post(
        "/techtransfer/cases/new/",
        {"kind": "match", "opened_on": "2026-05-20", "need": supply["need_a"].pk, "achievement": supply["patent"].pk}
        | {"event": ev.pk},
    )
    case = BrokerCase.objects.get()
    assert opened.status_code == 302 and (case.event, case.enterprise) == (ev, world["a"])
    page = client.get(f"/techtransfer/events/{ev.pk}/").content.decode()
    assert "一种锂离子电池隔膜的涂覆方法" in page and "太原乙材料有限公司" in page
    listing = client.get("/techtransfer/events/").content.decode()
    assert "新材料专场对接会" in listing


def test_an_event_is_the_bureaus(client_for, world, supply):
    client = client_for(world["users"]["institution_user"])
    got = client.post("/techtransfer/events/new/", _event_post(world, supply, ""))
    assert got.status_code == 403 and MatchmakingEvent.objects.count() == 0


def test_moving_a_case_from_its_page(client_for, world, pipeline):
    staff = client_for(world["users"]["bureau_staff"])
    three = pipeline["three"]
    skipped = staff.post(f"/techtransfer/cases/{three.pk}/advance/", {"on": "2026-03-04"}, follow=True)
    assert "请填写需求方和成果方的同意日期" in skipped.content.decode()
    early = staff.post(
        f"/techtransfer/cases/{three.pk}/advance/",
        {"on": "2026-02-01", "buyer_consent_on": "2026-02-01", "seller_consent_on": "2026-02-01"},
        follow=True,
    )
    assert "不能早于上一阶段“已匹配”的日期 2026-03-01" in early.content.decode()
    assert BrokerCase.objects.get(pk=three.pk).stage == "matched"
    ok = staff.post(
        f"/techtransfer/cases/{three.pk}/advance/",
        {"on": "2026-03-04", "buyer_consent_on": "2026-03-02", "seller_consent_on": "2026-03-03"},
    )
    assert ok.status_code == 302 and BrokerCase.objects.get(pk=three.pk).stage == "introduced"
    page = staff.get(f"/techtransfer/cases/{three.pk}/").content.decode()
    assert "推进到“指派技术经理人”" in page


def test_who_sees_and_moves_a_case_on_its_page(client_for, world, pipeline):
    four = pipeline["four"]  # 王经理 of 山西大学 brokers firm b's patent to firm a
    inst = client_for(world["users"]["institution_user"])
    assert inst.get(f"/techtransfer/cases/{four.pk}/").status_code == 200
    meeting = inst.post(f"/techtransfer/cases/{four.pk}/meeting/", {"on": "2026-05-20", "notes": "第二次洽谈：报价"})
    assert meeting.status_code == 302 and four.meetings.count() == 2
    assert inst.get(f"/techtransfer/cases/{pipeline['two'].pk}/").status_code == 404
    firm = client_for(world["users"]["enterprise_user"])
    assert "洽谈" in firm.get(f"/techtransfer/cases/{four.pk}/").content.decode()
    before = AuditEvent.objects.count()
    refused = firm.post(f"/techtransfer/cases/{four.pk}/terminate/", {"on": "2026-05-21", "reason": "不要了"})
    assert refused.status_code == 403
    assert (BrokerCase.objects.get(pk=four.pk).stage, AuditEvent.objects.count()) == ("negotiating", before)


def test_a_case_is_opened_from_a_need_match(client_for, world, supply):
    client = client_for(world["users"]["bureau_staff"])
    need, patent = supply["need_a"], supply["patent"]
    page = client.get(f"/techtransfer/needs/{need.pk}/").content.decode()
    assert f"/techtransfer/cases/new/?need={need.pk}&amp;achievement={patent.pk}" in page
    form = client.get(f"/techtransfer/cases/new/?need={need.pk}&achievement={patent.pk}").content.decode()
    assert f'value="{patent.pk}"' in form and f'<option value="{need.pk}" selected>' in form
