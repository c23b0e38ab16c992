"""Confirmation, bank accounts, batch assembly, maker–checker approval against the budget, treasury export
and payment."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from kechuang.accounts.models import User
from kechuang.core.models import AuditEvent
from kechuang.policies import services
from kechuang.policies.models import BankAccount, Budget, Entitlement, PayoutBatch
from tests.policies.conftest import AS_OF, policy


@pytest.fixture
def confirmed(pworld):
    """rd_subsidy 2025: a (5万) and b (10万) confirmed, both with a bank account; a second admin."""
    services.run_eligibility("rd_subsidy", AS_OF)
    for key, number in (("a", "6222020200112233"), ("b", "6222020200445566")):
        BankAccount.objects.create(
            enterprise=pworld[key], account_name=pworld[key].name, bank_name="晋商银行", account_number=number
        )
        services.confirm_entitlement(
            user=pworld["users"]["bureau_staff"], entitlement=Entitlement.objects.get(enterprise=pworld[key])
        )
    checker = User.objects.create(username="admin2", role="bureau_admin", organisation=pworld["bureau"])
    return {**pworld, "checker": checker}


@pytest.mark.django_db
def test_enterprise_confirms_its_own_and_keeps_its_bank_account(pworld):
    services.run_eligibility("rd_subsidy", AS_OF)
    user = pworld["users"]["enterprise_user"]
    own = Entitlement.objects.get(enterprise=pworld["a"])
    other = Entitlement.objects.get(enterprise=pworld["b"])
    with pytest.raises(PermissionDenied):
        services.confirm_entitlement(user=user, entitlement=other)
    assert services.confirm_entitlement(user=user, entitlement=own).status == "confirmed"
    with pytest.raises(ValidationError, match="只有“待确认”"):
        services.confirm_entitlement(user=user, entitlement=own)
    ev = AuditEvent.objects.get(action="entitlement.confirm")
    assert (ev.enterprise, ev.note, ev.changes) == (pworld["a"], "企业确认", {"status": ["pending", "confirmed"]})
    with pytest.raises(ValidationError, match="8–30 位数字"):
        services.save_bank_account(
            user=user, enterprise=pworld["a"], account_name="甲", bank_name="晋商银行", account_number="12ab"
        )
    services.save_bank_account(
        user=user, enterprise=pworld["a"], account_name="甲", bank_name="晋商银行", account_number="6222 0202 0011 2233"
    )
    assert BankAccount.objects.get().account_number == "6222020200112233"
    ev = AuditEvent.objects.get(action="bank_account.save")
    assert ev.changes["account_number"] == [None, "****2233"]  # the number itself is not in the audit trail
    with pytest.raises(PermissionDenied):
        services.save_bank_account(
            user=user, enterprise=pworld["b"], account_name="乙", bank_name="x", account_number="62220202004455"
        )


@pytest.mark.django_db
def test_batch_takes_only_confirmed_entitlements_with_a_bank_account(pworld):
    services.run_eligibility("rd_subsidy", AS_OF)
    staff = pworld["users"]["bureau_staff"]
    with pytest.raises(ValidationError, match="没有可纳入批次"):
        services.assemble_batch(user=staff, policy=policy("rd_subsidy"), year=2025)
    for e in Entitlement.objects.all():
        services.confirm_entitlement(user=staff, entitlement=e)
    BankAccount.objects.create(
        enterprise=pworld["b"], account_name="乙", bank_name="晋商银行", account_number="6222020200445566"
    )
    batch = services.assemble_batch(user=staff, policy=policy("rd_subsidy"), year=2025)
    assert (batch.count, batch.total, batch.status) == (1, Decimal("10"), "draft")
    assert batch.title == "企业研发费用分档补助 2025 年度第 1 批"
    assert list(batch.entitlements.values_list("enterprise", flat=True)) == [pworld["b"].pk]
    with pytest.raises(ValidationError):  # nothing left to batch: b is in a draft batch, a has no account
        services.assemble_batch(user=staff, policy=policy("rd_subsidy"), year=2025)


@pytest.mark.django_db
def test_maker_cannot_approve_and_checker_commits_budget(confirmed):
    maker = confirmed["users"]["bureau_admin"]
    batch = services.assemble_batch(user=maker, policy=policy("rd_subsidy"), year=2025)
    with pytest.raises(ValidationError, match="审批人不能与经办人为同一人"):
        services.approve_batch(user=maker, batch_id=batch.pk)
    with pytest.raises(PermissionDenied):
        services.approve_batch(user=confirmed["users"]["bureau_staff"], batch_id=batch.pk)
    assert PayoutBatch.objects.get().status == "draft"
    assert Budget.objects.get(policy=policy("rd_subsidy"), year=2025).committed == 0
    batch = services.approve_batch(user=confirmed["checker"], batch_id=batch.pk)
    assert (batch.status, batch.approved_by) == ("approved", confirmed["checker"])
    budget = Budget.objects.get(policy=policy("rd_subsidy"), year=2025)
    assert (budget.amount, budget.committed, budget.paid) == (Decimal("3000"), Decimal("15"), Decimal("0"))
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"approved"}
    with pytest.raises(ValidationError, match="不能重复审批"):
        services.approve_batch(user=confirmed["checker"], batch_id=batch.pk)
    assert Budget.objects.get(pk=budget.pk).committed == Decimal("15")


@pytest.mark.django_db
def test_batch_over_budget_is_refused_with_reason(confirmed):
    Budget.objects.filter(policy=policy("rd_subsidy"), year=2025).update(
        amount=Decimal("20"), committed=Decimal("5.0001")
    )
    batch = services.assemble_batch(user=confirmed["users"]["bureau_staff"], policy=policy("rd_subsidy"), year=2025)
    batch = services.approve_batch(user=confirmed["checker"], batch_id=batch.pk)
    assert batch.status == "refused"
    assert batch.reason == (
        "预算不足：2025 年度预算 20.00 万元，已审批 5.0001 万元，剩余 14.9999 万元，本批次 15.00 万元"
    )
    assert Budget.objects.get(policy=policy("rd_subsidy"), year=2025).committed == Decimal("5.0001")
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"confirmed"}
    # exactly at the limit is allowed: the refused entitlements can be batched again
    Budget.objects.filter(policy=policy("rd_subsidy"), year=2025).update(committed=Decimal("5"))
    again = services.assemble_batch(user=confirmed["users"]["bureau_staff"], policy=policy("rd_subsidy"), year=2025)
    assert services.approve_batch(user=confirmed["checker"], batch_id=again.pk).status == "approved"
    assert Budget.objects.get(policy=policy("rd_subsidy"), year=2025).committed == Decimal("20")


@pytest.mark.django_db
def test_no_budget_for_the_year_refuses(confirmed):
    Budget.objects.filter(policy=policy("rd_subsidy"), year=2025).delete()
    batch = services.assemble_batch(user=confirmed["users"]["bureau_staff"], policy=policy("rd_subsidy"), year=2025)
    batch = services.approve_batch(user=confirmed["checker"], batch_id=batch.pk)
    assert (batch.status, batch.reason) == ("refused", "未设定 2025 年度预算，不能审批")


@pytest.mark.django_db
def test_treasury_export_and_payment(confirmed, client_for):
    staff = confirmed["users"]["bureau_staff"]
    batch = services.assemble_batch(user=staff, policy=policy("rd_subsidy"), year=2025)
    client = client_for(staff)
    assert client.get(reverse("policies:batch_export", args=[batch.pk])).status_code == 302  # not approved yet
    services.approve_batch(user=confirmed["checker"], batch_id=batch.pk)
    response = client.get(reverse("policies:batch_export", args=[batch.pk]))
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:8] == (
        "序号",
        "企业名称",
        "统一社会信用代码",
        "户名",
        "开户行",
        "账号",
        "金额（万元）",
        "金额（元）",
    )
    assert [r[1:8] for r in rows[1:]] == [
        ("太原乙材料有限公司", confirmed["b"].uscc, "太原乙材料有限公司", "晋商银行", "6222020200445566", 10, 100000),
        ("太原甲科技有限公司", confirmed["a"].uscc, "太原甲科技有限公司", "晋商银行", "6222020200112233", 5, 50000),
    ]
    assert AuditEvent.objects.filter(action="batch.export", object_id=str(batch.pk)).count() == 1
    # Neither the maker nor the approver records the payment (经办、审批、兑现登记 by three people).
    for who in (staff, confirmed["checker"]):
        with pytest.raises(ValidationError, match="不能是该批次的经办人或审批人"):
            services.mark_paid(user=who, batch_id=batch.pk)
    assert Budget.objects.get(policy=policy("rd_subsidy"), year=2025).paid == Decimal("0")
    staff = confirmed["users"]["bureau_admin"]
    services.mark_paid(user=staff, batch_id=batch.pk)
    budget = Budget.objects.get(policy=policy("rd_subsidy"), year=2025)
    assert (budget.committed, budget.paid) == (Decimal("15"), Decimal("15"))
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"paid"}
    with pytest.raises(ValidationError, match="只有已审批的批次"):
        services.mark_paid(user=staff, batch_id=batch.pk)
    assert Budget.objects.get(pk=budget.pk).paid == Decimal("15")
