"""Finance fixtures: two banks with a staff account each, a product of each, firm a with three years of figures.

`fworld` extends the shared `world` (one user per role; bank_user works at 晋商银行). 山西银行 and its user
`bank_other` are added here, so "another bank" is always at hand.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

TODAY = dt.date(2026, 9, 30)  # the day before National Day 2026


@pytest.fixture
def fworld(world):
    from kechuang.accounts.models import Organisation, User
    from kechuang.enterprises.models import AnnualFigure
    from kechuang.finance.models import Branch, LoanProduct

    jinshang = Organisation.objects.get(name="晋商银行")
    shanxi = Organisation.objects.create(name="山西银行", kind="bank")
    other = User(username="bank_other", role="bank_user", organisation=shanxi, display_name="山西银行客户经理")
    other.set_password("Kechuang@2026")
    other.save()
    Branch.objects.create(bank=jinshang, name="科技支行")
    points_loan = LoanProduct.objects.create(
        code="js_points",
        name="创新积分贷",
        bank=jinshang,
        rule_id="points_loan_taiyuan",
        launched_on=dt.date(2024, 1, 1),
    )
    tech_loan = LoanProduct.objects.create(
        code="sx_tech", name="科技贷", bank=shanxi, rule_id="tech_loan_tyrcb", launched_on=dt.date(2024, 1, 1)
    )
    for year, revenue in ((2023, "2500"), (2025, "3200")):
        AnnualFigure.objects.create(
            enterprise=world["a"],
            year=year,
            staff_total=100,
            tech_staff=22,
            revenue=Decimal(revenue),
            rd_expense=Decimal("150"),
        )
    return {
        **world,
        "jinshang": jinshang,
        "shanxi": shanxi,
        "bank_other": other,
        "points_loan": points_loan,
        "tech_loan": tech_loan,
    }


@pytest.fixture
def application(fworld):
    """Firm a applied for 晋商银行's 创新积分贷 on 2026-09-30, granting it all four kinds of data."""
    from kechuang.finance import services

    return services.submit_application(
        user=fworld["users"]["enterprise_user"],
        enterprise=fworld["a"],
        product=fworld["points_loan"],
        amount=300,
        term_months=12,
        purpose="采购研发设备",
        scopes=["points", "diagnosis", "tiers", "figures"],
        months=6,
        today=TODAY,
    )
