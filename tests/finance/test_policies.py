"""Interest subsidies, the guarantee-fee waiver for last year's top 100 and risk compensation are policies of the
library, decided by the same engine on inputs the loan records and points results provide, paid through the
same budgets and maker–checker batches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kechuang.enterprises.models import AnnualFigure
from kechuang.finance import loaders, services
from kechuang.finance.models import Loan, PoolEntry, RiskPool
from kechuang.policies import services as policy_services
from kechuang.policies.loaders import panel
from kechuang.policies.models import BankAccount, Entitlement, Policy

pytestmark = pytest.mark.django_db
YEAR_END = dt.date(2025, 12, 31)


@pytest.fixture
def booked(fworld):
    """Firm a: a 300万 loan at 4% all 2025, a guaranteed 500万 loan with 5万 fee, and a defaulted 400万 loan."""
    AnnualFigure.objects.filter(enterprise=fworld["a"], year=2025).update(hte_certified=True)
    j, a = fworld["jinshang"], fworld["a"]
    Loan.objects.create(
        bank=j,
        enterprise=a,
        product=fworld["points_loan"],
        contract_no="L1",
        amount=300,
        rate=4,
        disbursed_on=dt.date(2025, 1, 1),
        maturity_on=dt.date(2026, 1, 1),
    )
    Loan.objects.create(
        bank=fworld["shanxi"],
        enterprise=a,
        product=fworld["tech_loan"],
        contract_no="L2",
        amount=500,
        rate=3.5,
        disbursed_on=dt.date(2025, 7, 1),
        maturity_on=dt.date(2026, 7, 1),
        guaranteed=True,
        guarantee_fee=Decimal(5),
    )
    bad = Loan.objects.create(
        bank=j,
        enterprise=a,
        product=fworld["points_loan"],
        contract_no="L3",
        amount=400,
        rate=4,
        disbursed_on=dt.date(2025, 2, 1),
        maturity_on=dt.date(2026, 2, 1),
        status="defaulted",
        defaulted_on=dt.date(2025, 9, 1),
        defaulted_principal=400,
    )
    pool = RiskPool.objects.create(
        name="池", rule_id="risk_pool_taiyuan", manager="科技局", opened_on=dt.date(2024, 1, 1)
    )
    PoolEntry.objects.create(pool=pool, kind="contribution", on=dt.date(2024, 1, 1), amount=Decimal(3000))
    services.file_claim(user=None, pool=pool, loan=bad)
    policy_services.load_shipped_policies()
    return fworld


def test_the_loan_records_become_policy_inputs(booked):
    row = panel(YEAR_END).filter(uscc=booked["a"].uscc, year=2025).row(0, named=True)
    # interest: 300 × 4% × 365/365 = 12; 500 × 3.5% × 184/365 = 8.8219; 400 × 4% × 212/365 = 9.2932 (to default)
    assert row["loan_interest_paid"] == pytest.approx(30.1151)
    assert row["loan_amount"] == 800.0  # L1 and L2 outstanding on 2025-12-31; L3 defaulted
    assert row["guarantee_fee_paid"] == 5.0
    assert row["risk_compensation_due"] == 240.0  # 60% of 400
    assert loaders.policy_inputs([2025], YEAR_END).height == 1


def test_risk_compensation_and_interest_subsidy_are_decided_by_the_policy_engine(booked):
    policy_services.run_eligibility("risk_compensation", YEAR_END)
    policy_services.run_eligibility("loan_interest_subsidy", YEAR_END)
    granted = {
        e.policy.code: (e.enterprise.name, e.decided_amount, e.status)
        for e in Entitlement.objects.select_related("policy", "enterprise")
    }
    assert granted == {
        "risk_compensation": ("太原甲科技有限公司", Decimal("240.0000"), "pending"),
        "loan_interest_subsidy": ("太原甲科技有限公司", Decimal("15.0575"), "pending"),
    }  # 50%


def test_the_fee_waiver_is_fed_by_last_years_points_rank(booked):
    from kechuang.points.services import score_year

    policy_services.run_eligibility("guarantee_fee_waiver", YEAR_END)
    assert not Entitlement.objects.exists()  # no 2024 points run: not in the top 100 list
    score_year(2024)
    policy_services.run_eligibility("guarantee_fee_waiver", YEAR_END)
    e = Entitlement.objects.get()
    assert (e.enterprise, e.decided_amount, e.facts["points_rank_prev_year"], e.facts["guarantee_fee_paid"]) == (
        booked["a"],
        Decimal("5.0000"),
        1,
        5.0,
    )


def test_payouts_go_through_the_maker_checker_batch_and_budget(booked):
    policy_services.run_eligibility("risk_compensation", YEAR_END)
    e = Entitlement.objects.get()
    BankAccount.objects.create(
        enterprise=booked["a"], account_name="甲", bank_name="晋商银行", account_number="62160001"
    )
    policy_services.confirm_entitlement(user=booked["users"]["bureau_staff"], entitlement=e)
    policy = Policy.objects.get(code="risk_compensation")
    admin = booked["users"]["bureau_admin"]
    own = policy_services.assemble_batch(user=admin, policy=policy, year=2025)
    with pytest.raises(ValidationError, match="审批人不能与经办人为同一人"):
        policy_services.approve_batch(user=admin, batch_id=own.pk)
    own.delete()  # the maker-checker refusal leaves it a draft; start over with another maker
    batch = policy_services.assemble_batch(user=booked["users"]["bureau_staff"], policy=policy, year=2025)
    batch = policy_services.approve_batch(user=admin, batch_id=batch.pk)
    assert (batch.status, batch.total) == ("approved", Decimal("240.0000"))
    assert policy.budgets.get(year=2025).committed == Decimal("240.0000")  # of its 1500万 envelope
