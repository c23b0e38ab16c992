"""Service requests: routed to the right office or carrier, deadlines in working days, handled by whoever runs the
office, rated by the firm; one click from the diagnosis report; every role on the pages and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.core.models import AuditEvent
from kechuang.onestop import services
from kechuang.onestop.models import ServiceRequest
from tests.conftest import ROLES, bearer

pytestmark = pytest.mark.django_db
D = dt.date


def test_requests_are_routed_to_the_hall_of_the_firms_carrier_or_to_the_office(sworld):
    staff = sworld["staff"]
    a = services.submit(user=sworld["own"], enterprise=sworld["a"], category="finance", title="创新积分贷对接")
    c = services.submit(user=staff, enterprise=sworld["c"], category="finance", title="创新积分贷对接")
    nowhere = services.submit(user=staff, enterprise=sworld["c"], category="space", title="扩租场地")
    assert (a.office, a.route_reason, a.source) == (
        sworld["hall"],
        "企业在驻晋创谷·太原，由其晋创谷一站式服务大厅受理科技金融事项",
        "enterprise",
    )
    assert (c.office, c.route_reason, c.source) == (
        sworld["finance"],
        "由科技局科技金融服务中心受理（负责科技金融事项）",
        "official",
    )
    assert (nowhere.office, nowhere.route_reason) == (None, "没有负责场地空间事项的科室或服务大厅，请手工分派")
    assert AuditEvent.objects.filter(action="service_request.submit").count() == 3
    with pytest.raises(PermissionDenied):  # a firm submits for itself only
        services.submit(user=sworld["own"], enterprise=sworld["b"], category="finance", title="x")
    with pytest.raises(ValidationError, match="请选择事项类别"):
        services.submit(user=staff, enterprise=sworld["a"], category="tax", title="x")


def test_the_deadline_counts_chinese_working_days_and_the_hall_handles_its_requests(sworld):
    req = services.submit(
        user=sworld["own"], enterprise=sworld["a"], category="registration_tax", title="变更地址", on=D(2025, 9, 29)
    )
    with pytest.raises(PermissionDenied):  # a bureau office's request is not the operator's
        other = services.submit(
            user=sworld["staff"], enterprise=sworld["c"], category="cultivation", title="高企辅导", on=D(2025, 9, 29)
        )
        services.accept(user=sworld["operator"], request=other, on=D(2025, 9, 30))
    assert ServiceRequest.objects.get(title="高企辅导").status == "submitted"
    services.accept(user=sworld["operator"], request=req, on=D(2025, 9, 30))
    req.refresh_from_db()
    # 3 working days after 2025-09-30: the National Day holiday (10-01 to 10-08) is skipped, and Saturday 10-11
    # is a 调休 working day.
    assert (req.status, req.accepted_on, req.due_on, req.assigned_to) == (
        "accepted",
        D(2025, 9, 30),
        D(2025, 10, 11),
        sworld["operator"],
    )
    assert req.deadline_basis.startswith("注册登记与税务事项自受理起 3 个工作日内办结；按国务院办公厅公布的节假日安排")
    assert req.rule_key == "default@2024-01-01"
    with pytest.raises(ValidationError, match="请填写办理结果"):
        services.complete(user=sworld["operator"], request=req, result=" ")
    services.complete(user=sworld["operator"], request=req, result="已办结", on=D(2025, 10, 13))
    with pytest.raises(PermissionDenied):
        services.rate(user=sworld["users"]["park_operator"], request=req, rating=5)
    services.rate(user=sworld["own"], request=req, rating=4, comment="顺利")
    with pytest.raises(ValidationError, match="该服务单已评价"):
        services.rate(user=sworld["own"], request=req, rating=5)
    req.refresh_from_db()
    assert (req.status, req.finished_on, req.rating, req.rating_comment) == ("completed", D(2025, 10, 13), 4, "顺利")


def test_refusal_withdrawal_and_rerouting_rules(sworld):
    staff = sworld["staff"]
    req = services.submit(user=sworld["own"], enterprise=sworld["a"], category="space", title="扩租")
    with pytest.raises(ValidationError, match="科技局高新技术科 不受理场地空间事项"):
        services.reroute(user=staff, request=req, office=sworld["hightech"])
    with pytest.raises(ValidationError, match="只有已办结的服务单可以评价"):
        services.rate(user=sworld["own"], request=req, rating=5)
    with pytest.raises(ValidationError, match="请填写不予受理的理由"):
        services.reject(user=staff, request=req, reason="")
    services.withdraw(user=sworld["own"], request=req)
    with pytest.raises(ValidationError, match="服务单当前为“已撤回”，不能撤回"):
        services.withdraw(user=sworld["own"], request=req)
    with pytest.raises(ValidationError, match="服务单当前为“已撤回”，不能受理"):
        services.accept(user=staff, request=req)


def test_one_click_from_the_diagnosis_report(scored, client_for):
    from kechuang.onestop.models import Office

    Office.objects.create(name="知识产权窗口", categories=["ip"])
    Office.objects.create(name="高企科", categories=["cultivation"])
    b = scored["b"]
    staff = client_for(scored["users"]["bureau_staff"])
    page = staff.get(f"/points/firm/{b.uscc}/diagnosis/").content.decode()
    services_section = page[page.index('data-testid="services"') : page.index('data-testid="policies"')]
    buttons = re.findall(r'data-testid="request-([a-z_]+)"', services_section)
    assert buttons, "the report lists services with a button each"
    response = staff.post(f"/services/diagnosis/{b.uscc}/", {"service": buttons[0]}, follow=True)
    req = ServiceRequest.objects.get()
    assert (req.source, req.catalogue_service, req.enterprise) == ("diagnosis", buttons[0], b)
    assert "已生成服务单" in response.content.decode()
    again = staff.post(f"/services/diagnosis/{b.uscc}/", {"service": buttons[0]}, follow=True)
    assert f"该服务已有办理中的服务单（编号 {req.pk}）" in again.content.decode()
    page = staff.get(f"/points/firm/{b.uscc}/diagnosis/").content.decode()
    assert f"服务单 {req.pk}（待受理）" in page
    assert ServiceRequest.objects.count() == 1
    # A park operator reads the report but cannot create requests from it.
    operator = client_for(scored["users"]["park_operator"])
    page = operator.get(f"/points/firm/{b.uscc}/diagnosis/").content.decode()
    assert "申请此服务" not in page
    assert operator.post(f"/services/diagnosis/{b.uscc}/", {"service": buttons[0]}).status_code in (302, 403)
    assert ServiceRequest.objects.count() == 1


def test_the_diagnosis_category_table_decides_the_request_category(sworld):
    req = services.from_diagnosis(user=sworld["staff"], enterprise=sworld["c"], service_id="rd_bookkeeping")
    assert (req.category, req.title) == ("registration_tax", "研发费用归集与加计扣除辅导")
    with pytest.raises(ValidationError, match="诊断服务目录中没有该服务"):
        services.from_diagnosis(user=sworld["staff"], enterprise=sworld["c"], service_id="nope")


INBOX = {"bureau_admin", "bureau_staff", "park_operator", "enterprise_user"}


@pytest.fixture
def requests(sworld):
    staff = sworld["staff"]
    return {
        "hall": services.submit(user=sworld["own"], enterprise=sworld["a"], category="finance", title="a 金融"),
        "office": services.submit(user=staff, enterprise=sworld["c"], category="cultivation", title="c 培育"),
        "b": services.submit(user=staff, enterprise=sworld["b"], category="cultivation", title="b 培育"),
    }


# Which requests each role sees: the operator those its hall handles, the firm its own.
SEES = {
    "bureau_admin": {"hall", "office", "b"},
    "bureau_staff": {"hall", "office", "b"},
    "park_operator": {"hall"},
    "enterprise_user": {"hall"},
    "bank_user": set(),
    "institution_user": set(),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_the_service_pages_and_api(role, requests, sworld, client_for, client):
    web = client_for(sworld["users"][role])
    assert web.get("/services/").status_code == (200 if role in INBOX else 403)
    for key, req in requests.items():
        assert web.get(f"/services/{req.pk}/").status_code == (200 if key in SEES[role] else 404), (role, key)
    for url in ("/services/mine/", "/services/officials/", "/services/visits/new/"):
        assert web.get(url).status_code == (200 if role in ("bureau_admin", "bureau_staff") else 403), (role, url)
    listed = client.get("/api/services/requests", **bearer(sworld["users"][role]))
    if role in INBOX:
        assert {r["title"] for r in listed.json()["items"]} == {requests[k].title for k in SEES[role]}
    else:
        assert (listed.status_code, listed.json()) == (403, {"detail": "无权查看服务单"})


def test_the_operator_accepts_on_the_page_and_the_firm_rates(requests, sworld, client_for):
    req = requests["hall"]
    operator = client_for(sworld["operator"])
    from kechuang.engine.workdays import add_workdays

    today = dt.date.today()
    early = operator.post(f"/services/{req.pk}/", {"action": "accept", "accept-on": "2020-01-01"}, follow=True)
    assert "受理日期不能早于提交日期" in early.content.decode()
    operator.post(f"/services/{req.pk}/", {"action": "accept", "accept-on": today.isoformat()})
    operator.post(f"/services/{req.pk}/", {"action": "complete", "complete-result": "已对接银行"})
    req.refresh_from_db()
    assert (req.status, req.due_on) == ("completed", add_workdays(today, 5).date)  # finance: 5 working days
    page = client_for(sworld["own"]).get(f"/services/{req.pk}/").content.decode()
    assert 'value="rate"' in page
    client_for(sworld["own"]).post(f"/services/{req.pk}/", {"action": "rate", "rate-rating": "5", "rate-comment": "好"})
    req.refresh_from_db()
    assert req.rating == 5


def test_submitting_through_the_api(requests, sworld, client):
    created = client.post(
        "/api/services/requests",
        {"category": "ip", "title": "专利申请"},
        content_type="application/json",
        **bearer(sworld["own"]),
    )
    assert created.status_code == 201 and created.json()["uscc"] == sworld["a"].uscc
    bad = client.post(
        "/api/services/requests",
        {"category": "tax", "title": "x"},
        content_type="application/json",
        **bearer(sworld["own"]),
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith(
        "请求参数无效：category 不是可选的值（可选：'registration_tax'"
    )
    blank = client.post(
        "/api/services/requests",
        {"category": "ip", "title": " "},
        content_type="application/json",
        **bearer(sworld["own"]),
    )
    assert (blank.status_code, blank.json()) == (422, {"detail": "请求参数无效：title 不能为空"})
    anonymous_firm = client.post(
        "/api/services/requests",
        {"category": "ip", "title": "x"},
        content_type="application/json",
        **bearer(sworld["staff"]),
    )
    assert anonymous_firm.status_code == 404 and "uscc" in anonymous_firm.json()["detail"]
    denied = client.post(
        "/api/services/requests",
        {"category": "ip", "title": "x"},
        content_type="application/json",
        **bearer(sworld["users"]["bank_user"]),
    )
    assert denied.status_code == 403
    staff = client.post(
        "/api/services/requests",
        {"category": "ip", "title": "x", "uscc": sworld["c"].uscc},
        content_type="application/json",
        **bearer(sworld["staff"]),
    )
    assert staff.status_code == 201 and staff.json()["office"] == "科技局科技金融服务中心"
    assert ServiceRequest.objects.count() == 5
