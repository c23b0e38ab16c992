"""Recording and registering technology contracts: the engine decides, the clerk confirms, every decision is
audited, nothing is written on an error; numbers per year; every role on the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.core.models import AuditEvent
from kechuang.techtransfer import services
from kechuang.techtransfer.models import TechContract
from tests.conftest import ROLES, bearer
from tests.techtransfer.conftest import BUYER, SELLER

pytestmark = pytest.mark.django_db
D = dt.date


def test_recording_sets_the_deadline_of_the_rules_of_the_day(world, record):
    small = record("S", on=D(2026, 6, 30))
    big = record("B", on=D(2026, 6, 30), total_amount=Decimal("520"), non_tech_amount=Decimal("20"))
    old = record("O", on=D(2026, 2, 27), signed_on=D(2026, 2, 1), valid_to=None)
    assert (small.due_on, small.expert_review, small.status) == (D(2026, 7, 21), False, "submitted")
    assert (big.due_on, big.expert_review) == (D(2026, 8, 11), True)
    assert (old.due_on, old.expert_review) == (D(2026, 3, 29), False)  # 2000 rules: 30 calendar days
    assert small.institution == world["users"]["institution_user"].organisation
    event = AuditEvent.objects.get(action="tech_contract.record", object_id=str(small.pk))
    assert event.actor == world["users"]["institution_user"]


def test_the_clerk_confirms_the_engines_registration_with_a_number_per_year(world, record):
    staff = world["users"]["bureau_staff"]
    first, second = record("A"), record("B", type="专利实施许可")
    c1 = services.decide(user=staff, contract=first, on=D(2026, 7, 2))
    c2 = services.decide(user=staff, contract=second, on=D(2026, 7, 3))
    assert (c1.status, c1.registration_no, c1.tech_amount) == ("registered", "2026140101000001", Decimal("100"))
    assert (c2.registration_no, c2.type) == ("2026140101000002", "licence")
    assert (c1.rule_key, c1.decided_by, c1.decided_on) == ("registration_2026@2026-03-01", staff, D(2026, 7, 2))
    event = AuditEvent.objects.get(action="tech_contract.registered", object_id=str(c1.pk))
    assert event.changes == {
        "status": ["submitted", "registered"],
        "registration_no": [None, "2026140101000001"],
        "tech_amount": [None, "100.0000"],
        "reason_code": [None, "ok"],
    }


def test_a_contract_the_engine_refuses_is_refused_with_its_reason(world, record):
    c = record("X", buyer_uscc=BUYER[:-1] + ("0" if BUYER[-1] != "0" else "1"))
    c = services.decide(user=world["users"]["bureau_staff"], contract=c, on=D(2026, 7, 1))
    assert (c.status, c.reason_code, c.registration_no, c.tech_amount) == ("refused", "party_unclear", None, None)
    assert c.reason == "未予登记：当事人不明确（买方统一社会信用代码校验位错误）"
    assert AuditEvent.objects.filter(action="tech_contract.refused", object_id=str(c.pk)).count() == 1


def test_the_clerk_may_refuse_what_the_engine_would_register_with_a_written_reason(world, record):
    c = services.decide(
        user=world["users"]["bureau_staff"],
        contract=record("M"),
        refuse_reason="含有限制技术竞争的条款",
        on=D(2026, 7, 1),
    )
    assert (c.status, c.reason_code, c.reason) == ("refused", "clerk_refused", "未予登记：含有限制技术竞争的条款")


def test_nothing_is_written_on_an_error(world, record):
    staff, inst = world["users"]["bureau_staff"], world["users"]["institution_user"]
    c = record("A")
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.decide(user=inst, contract=c)
    with pytest.raises(ValidationError, match="认定日期不能早于受理日期"):
        services.decide(user=staff, contract=c, on=D(2026, 6, 29))
    services.decide(user=staff, contract=c, on=D(2026, 7, 1))
    with pytest.raises(ValidationError, match="不能再次认定"):
        services.decide(user=staff, contract=c, on=D(2026, 7, 2))
    with pytest.raises(ValidationError, match="同一合同只登记一次"):
        record("A")
    with pytest.raises(ValidationError, match="合同类型应为"):
        record("T", type="技术入股")
    with pytest.raises(ValidationError, match="请填写：项目名称"):
        record("P", project=" ")
    for role in ("enterprise_user", "bank_user", "park_operator", "audit_admin"):
        with pytest.raises(PermissionDenied):
            record("R", user=role)
    assert TechContract.objects.count() == 1
    assert AuditEvent.objects.count() == events + 1  # the one registration


SEES = {"bureau_admin": {"inst", "bureau"}, "bureau_staff": {"inst", "bureau"}, "institution_user": {"inst"}}


@pytest.mark.parametrize("role", [*ROLES, "audit_admin"])
def test_every_role_on_the_api(role, world, record, client):
    made = {"inst": record("I"), "bureau": record("U", user="bureau_staff")}
    listed = client.get("/api/techtransfer/contracts", **bearer(world["users"][role]))
    if role not in SEES:
        assert listed.status_code == 403
        return
    assert {r["contract_no"] for r in listed.json()["items"]} == {made[k].contract_no for k in SEES[role]}
    for key, c in made.items():
        got = client.get(f"/api/techtransfer/contracts/{c.pk}", **bearer(world["users"][role]))
        assert got.status_code == (200 if key in SEES[role] else 404), (role, key)


def test_recording_through_the_api(world, client):
    auth = bearer(world["users"]["institution_user"])
    body = {
        "contract_no": "API-1",
        "project": "隔膜",
        "type": "consulting",
        "seller_name": "山西大学",
        "seller_uscc": SELLER,
        "buyer_name": "乙",
        "buyer_uscc": BUYER,
        "signed_on": "2026-06-01",
        "total_amount": "88.5",
    }
    created = client.post("/api/techtransfer/contracts", body, content_type="application/json", **auth)
    assert created.status_code == 201
    got = created.json()
    assert (got["status"], got["type_label"], got["institution"], got["total_amount"]) == (
        "submitted",
        "技术咨询",
        "山西大学",
        "88.5000",
    )
    again = client.post("/api/techtransfer/contracts", body, content_type="application/json", **auth)
    assert (again.status_code, again.json()["detail"]) == (409, "合同编号“API-1”已提交过，同一合同只登记一次")
    bad = client.post(
        "/api/techtransfer/contracts",
        {**body, "contract_no": "API-2", "total_amount": "1.5e3"},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    garbled = client.post("/api/techtransfer/contracts", b"\xff{", content_type="application/json", **auth)
    assert (garbled.status_code, garbled.json()) == (400, {"detail": "请求体无法解析（不是有效的 JSON）"})
    firm = client.post(
        "/api/techtransfer/contracts",
        {**body, "contract_no": "API-3"},
        content_type="application/json",
        **bearer(world["users"]["enterprise_user"]),
    )
    assert firm.status_code == 403
    assert TechContract.objects.count() == 1
