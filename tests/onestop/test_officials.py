"""包联: officials' firms, visits and follow-ups, firms not visited for N months flagged, 高企 due routed to their
official; the bureau's overview."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.enterprises.models import Qualification
from kechuang.onestop import services
from kechuang.onestop.models import Assignment, ServiceRequest, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def officials(sworld):
    today = dt.date.today()
    staff, admin = sworld["staff"], sworld["users"]["bureau_admin"]
    services.assign(user=admin, official=staff, enterprise=sworld["a"], since=today - dt.timedelta(days=400))
    services.assign(user=admin, official=staff, enterprise=sworld["b"], since=today - dt.timedelta(days=400))
    services.record_visit(
        user=staff,
        enterprise=sworld["a"],
        visited_on=today - dt.timedelta(days=10),
        kind="on_site",
        notes="了解研发情况",
        follow_up="对接银行",
        follow_up_due=today + dt.timedelta(days=20),
    )
    services.record_visit(
        user=staff, enterprise=sworld["b"], visited_on=today - dt.timedelta(days=200), kind="phone", notes="电话回访"
    )
    Qualification.objects.create(
        enterprise=sworld["b"],
        kind="hte_certificate",
        title="高新技术企业证书",
        issued_on=today - dt.timedelta(days=1000),
        expires_on=today + dt.timedelta(days=60),
    )
    return {**sworld, "today": today}


def test_my_firms_flags_the_unvisited_and_the_hte_due(officials, client_for):
    page = client_for(officials["staff"]).get("/services/mine/").content.decode()
    table = page[page.index('data-testid="my-firms"') : page.index('data-testid="follow-ups"')]
    # b first: not visited for more than 3 months, and its 高企 certificate expires within 6 months.
    assert table.index("太原乙材料有限公司") < table.index("太原甲科技有限公司")
    b_visit = officials["today"] - dt.timedelta(days=200)
    assert f"上次走访 {b_visit:%Y-%m-%d}，已超过 3 个月未走访" in table
    expires = officials["today"] + dt.timedelta(days=60)
    assert f"高企证书 {expires:%Y-%m-%d} 到期（还有 60 天），需按新申请重新认定" in table
    stats = page[page.index('data-testid="mine-stats"') : page.index('data-testid="my-firms"')]
    assert re.findall(r'<div class="n[^"]*">(?:<a [^>]*>)?(\d+)', stats) == ["2", "1", "1", "1"]
    assert "对接银行" in page[page.index('data-testid="follow-ups"') :]
    # Another official has none of these firms.
    other = client_for(officials["users"]["bureau_admin"]).get("/services/mine/").content.decode()
    assert "还没有安排包联企业" in other


def test_the_hte_due_firm_gets_a_coaching_request_for_its_official(officials, client_for):
    client = client_for(officials["users"]["bureau_admin"])
    response = client.post(f"/services/hte/{officials['b'].uscc}/", follow=True)
    req = ServiceRequest.objects.get()
    assert (req.category, req.title, req.assigned_to, req.source) == (
        "cultivation",
        "高新技术企业重新认定辅导",
        officials["staff"],
        "official",
    )
    assert req.office == officials["hightech"] and "已生成服务单" in response.content.decode()
    overview = client.get("/services/officials/").content.decode()
    due = overview[overview.index('data-testid="hte-due"') :]
    assert "太原乙材料有限公司" in due and "bureau_staff" in due


def test_assignments_move_from_one_official_to_another(officials):
    admin = officials["users"]["bureau_admin"]
    today = officials["today"]
    with pytest.raises(ValidationError, match="已由 bureau_staff 包联"):
        services.assign(user=admin, official=officials["staff"], enterprise=officials["a"], since=today)
    services.assign(user=admin, official=admin, enterprise=officials["a"], since=today)
    rows = list(
        Assignment.objects.filter(enterprise=officials["a"])
        .order_by("since")
        .values_list("official__username", "until")
    )
    assert rows == [("bureau_staff", today), ("bureau_admin", None)]
    with pytest.raises(ValidationError, match="包联干部须为科技局工作人员"):
        services.assign(user=admin, official=officials["operator"], enterprise=officials["c"], since=today)
    with pytest.raises(PermissionDenied):
        services.assign(user=officials["operator"], official=admin, enterprise=officials["c"], since=today)


def test_visits_are_checked_and_follow_ups_closed_once(officials, client_for):
    staff = officials["staff"]
    today = officials["today"]
    with pytest.raises(ValidationError, match="走访日期不能晚于今天"):
        services.record_visit(
            user=staff, enterprise=officials["c"], visited_on=today + dt.timedelta(days=1), kind="on_site", notes="x"
        )
    with pytest.raises(ValidationError, match="填写了待办期限，请同时填写待办事项"):
        services.record_visit(
            user=staff, enterprise=officials["c"], visited_on=today, kind="on_site", notes="x", follow_up_due=today
        )
    visit = Visit.objects.get(follow_up="对接银行")
    client_for(staff).post(f"/services/visits/{visit.pk}/done/")
    visit.refresh_from_db()
    assert visit.follow_up_done_on == today
    with pytest.raises(ValidationError, match="该待办已办结"):
        services.follow_up_done(user=staff, visit=visit)
    response = client_for(staff).post(
        "/services/visits/new/",
        {"enterprise": officials["c"].uscc, "visited_on": today.isoformat(), "kind": "meeting", "notes": "座谈"},
    )
    assert response.status_code == 302 and Visit.objects.filter(enterprise=officials["c"]).count() == 1
    bad = client_for(staff).post(
        "/services/visits/new/",
        {"enterprise": "91140105MA00000000", "visited_on": today.isoformat(), "kind": "meeting", "notes": "座谈"},
    )
    assert "企业库中没有统一社会信用代码为 91140105MA00000000 的企业" in bad.content.decode()


def test_one_open_coaching_request_per_firm(officials, client_for):
    client = client_for(officials["staff"])
    client.post(f"/services/hte/{officials['b'].uscc}/")
    again = client.post(f"/services/hte/{officials['b'].uscc}/", follow=True)
    first = ServiceRequest.objects.get()
    assert f"该企业已有办理中的重新认定辅导服务单（编号 {first.pk}）" in again.content.decode()
    assert client_for(officials["operator"]).post(f"/services/hte/{officials['b'].uscc}/").status_code == 403
