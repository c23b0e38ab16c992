"""In Chromium: a payout batch from the confirmed entitlements to the payment, by three people (经办、审批、兑现登记):
bureau staff assemble it, a second admin approves it against the year's budget, the bureau admin records it paid."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, SKIP_REASON
from tests.policies.conftest import AS_OF, library, pworld  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)]

sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 playwright 包 / playwright missing")
expect = sync_api.expect


def test_a_batch_is_assembled_approved_and_paid_by_three_people(page, login_as, pworld):  # noqa: F811
    from kechuang.accounts.models import User
    from kechuang.policies import services
    from kechuang.policies.models import BankAccount, Budget, Entitlement, PayoutBatch

    services.run_eligibility("rd_subsidy", AS_OF)
    for key, number in (("a", "6222020200112233"), ("b", "6222020200445566")):
        BankAccount.objects.create(
            enterprise=pworld[key], account_name=pworld[key].name, bank_name="晋商银行", account_number=number
        )
        services.confirm_entitlement(
            user=pworld["users"]["bureau_staff"], entitlement=Entitlement.objects.get(enterprise=pworld[key])
        )
    checker = User.objects.create(username="admin2", role="bureau_admin", organisation=pworld["bureau"])

    login_as(pworld["users"]["bureau_staff"])
    page.goto("/policies/rd_subsidy/")
    page.locator('input[name="year"]').fill("2025")
    page.get_by_role("button", name="纳入全部已确认资格").click()
    expect(page.get_by_test_id("status")).to_have_text("待审批")
    expect(page.locator(".card").first).to_contain_text("15.00 万元")
    expect(page.get_by_test_id("batch-items").locator("tr")).to_have_count(3)  # header + two firms
    expect(page.get_by_role("button", name="审批通过")).to_have_count(0)  # the maker cannot approve
    batch_url = page.url

    login_as(checker)
    page.goto(batch_url)
    page.get_by_role("button", name="审批通过").click()
    expect(page.get_by_test_id("status")).to_have_text("已审批")
    expect(page.locator(".card").first).to_contain_text("已审批 15.00 万元")
    expect(page.get_by_role("button", name="登记已兑现")).to_have_count(0)  # nor may the approver pay

    login_as(pworld["users"]["bureau_admin"])
    page.goto(batch_url)
    page.get_by_role("button", name="登记已兑现").click()
    expect(page.get_by_test_id("status")).to_have_text("已兑现")

    batch = PayoutBatch.objects.get()
    assert (batch.created_by, batch.approved_by, batch.paid_by) == (
        pworld["users"]["bureau_staff"],
        checker,
        pworld["users"]["bureau_admin"],
    )
    budget = Budget.objects.get(policy__code="rd_subsidy", year=2025)
    assert (str(budget.committed), str(budget.paid)) == ("15.0000", "15.0000")
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"paid"}
