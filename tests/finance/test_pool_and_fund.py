"""The risk-compensation pool (share, caps, ledger) and the angel fund (committee, limits, pipeline, fault
tolerance and documented exemptions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.finance import services
from kechuang.finance.models import Deal, Fund, Loan, PoolEntry, RiskPool

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def pool(fworld):
    pool = RiskPool.objects.create(
        name="科技贷款风险补偿资金池", rule_id="risk_pool_taiyuan", manager="科技局", opened_on=D(2024, 1, 1)
    )
    services.contribute(user=fworld["users"]["bureau_admin"], pool=pool, amount=1000, on=D(2024, 1, 1), source="市财政")
    return pool


def defaulted(fworld, contract, principal, on, product="points_loan"):
    return Loan.objects.create(
        bank=fworld["jinshang"],
        enterprise=fworld["a"],
        product=fworld[product],
        contract_no=contract,
        amount=1000,
        rate=3.5,
        disbursed_on=D(2025, 1, 1),
        maturity_on=D(2026, 1, 1),
        status="defaulted",
        defaulted_on=on,
        defaulted_principal=principal,
    )


def test_claims_follow_the_share_the_cap_and_what_is_left(fworld, pool):
    first = services.file_claim(user=None, pool=pool, loan=defaulted(fworld, "A", 1200, D(2025, 3, 1)))
    second = services.file_claim(user=None, pool=pool, loan=defaulted(fworld, "B", 1000, D(2025, 4, 1)))
    # 60% of 1200 = 720 → the per-loan cap 600; then only 400 of 1000 is left for 60% of 1000 = 600.
    assert (first.amount, second.amount) == (Decimal("600.0000"), Decimal("400.0000"))
    assert "超过单笔上限 600.00 万元，按上限计" in first.explanation
    assert "资金池可用余额不足，补偿 400.00 万元" in second.explanation
    assert services.file_claim(user=None, pool=pool, loan=second.loan) is None  # once per loan
    services.record_recovery(
        user=fworld["users"]["bureau_staff"], pool=pool, loan=first.loan, amount=100, on=D(2025, 9, 1)
    )
    with pytest.raises(ValidationError, match=r"回款累计 600\.01 万元超过资金池为该笔贷款补偿的 600\.00 万元"):
        services.record_recovery(
            user=fworld["users"]["bureau_staff"], pool=pool, loan=first.loan, amount=500.01, on=D(2025, 9, 2)
        )
    assert PoolEntry.objects.filter(kind="recovery").count() == 1


def test_a_loan_without_a_risk_share_files_no_claim(fworld, pool):
    fworld["points_loan"].rule_id = "hte_loan_ccb"  # pure credit, no risk share
    fworld["points_loan"].save()
    assert services.file_claim(user=None, pool=pool, loan=defaulted(fworld, "C", 500, D(2025, 3, 1))) is None


def test_only_an_admin_pays_into_the_pool_and_the_page_is_the_bureaus(fworld, pool, client_for):
    with pytest.raises(PermissionDenied):
        services.contribute(user=fworld["users"]["bureau_staff"], pool=pool, amount=1, on=D(2025, 1, 1), source="x")
    for role, status in {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "bank_user": 403,
        "enterprise_user": 403,
        "park_operator": 403,
        "institution_user": 403,
    }.items():
        assert client_for(fworld["users"][role]).get("/finance/pool/").status_code == status, role


@pytest.fixture
def fund(fworld):
    return Fund.objects.create(
        name="晋创谷天使投资基金",
        size=Decimal(100000),
        manager="运营公司",
        launched_on=D(2026, 9, 1),
        rule_id="angel_fund_taiyuan",
    )


def through_committee(fworld, fund, project, amount, yes, on):
    staff = fworld["users"]["bureau_staff"]
    deal = services.add_deal(user=staff, fund=fund, project=project, amount=amount, sourced_on=on)
    services.move_deal(user=staff, deal=deal, target="due_diligence", on=on + dt.timedelta(days=5))
    services.move_deal(user=staff, deal=deal, target="committee", on=on + dt.timedelta(days=20))
    for i in range(5):
        services.record_vote(user=staff, deal=deal, member=f"委员{i}", vote="yes" if i < yes else "no")
    return services.decide_committee(user=staff, deal=deal, on=on + dt.timedelta(days=21))


def test_the_committee_decides_from_its_votes_and_the_pace_view(fworld, fund, client_for):
    staff = fworld["users"]["bureau_staff"]
    approved = [
        through_committee(fworld, fund, f"项目{i}", amount, 4, D(2026, 9, 5) + dt.timedelta(days=i))
        for i, amount in enumerate((1000, 1000, 800, 600, 700))
    ]
    rejected = through_committee(fworld, fund, "项目R", 500, 3, D(2026, 9, 10))
    assert [d.stage for d in approved] == ["approved"] * 5 and rejected.stage == "rejected"
    assert rejected.events.last().note == "出席 5 人，同意 3 票（60%），未达到过会所需比例 67%，未过会"
    for deal, day in zip(approved[:3], (D(2026, 10, 20), D(2026, 11, 5), D(2026, 11, 25)), strict=True):
        services.move_deal(user=staff, deal=deal, target="closed", on=day)
    page = client_for(staff).get(f"/finance/funds/{fund.pk}/").content.decode()
    assert "5 个项目过会、3 个完成交割，交割金额 2,800.00 万元，自首个项目入库起用时 81 天（不到 3 个月）" in page


def test_a_quorum_is_needed_and_limits_hold(fworld, fund):
    staff = fworld["users"]["bureau_staff"]
    deal = services.add_deal(user=staff, fund=fund, project="P", amount=500, sourced_on=D(2026, 9, 1))
    services.move_deal(user=staff, deal=deal, target="due_diligence", on=D(2026, 9, 2))
    services.move_deal(user=staff, deal=deal, target="committee", on=D(2026, 9, 3))
    services.record_vote(user=staff, deal=deal, member="甲", vote="yes")
    with pytest.raises(ValidationError, match="不足法定人数 5 人"):
        services.decide_committee(user=staff, deal=deal, on=D(2026, 9, 4))
    with pytest.raises(ValidationError, match="委员“甲”已表决"):
        services.record_vote(user=staff, deal=deal, member="甲", vote="no")
    with pytest.raises(ValidationError, match=r"超过单个项目上限 1000\.00 万元"):
        services.add_deal(user=staff, fund=fund, project="Q", amount=1000.01, sourced_on=D(2026, 9, 1))
    with pytest.raises(ValidationError, match="不能转为“已交割”"):
        services.move_deal(user=staff, deal=deal, target="closed", on=D(2026, 9, 5))


def closed_deal(fworld, fund, project, amount):
    deal = Deal.objects.create(
        fund=fund,
        project=project,
        amount=amount,
        sourced_on=D(2024, 1, 1),
        stage="post_investment",
        closed_on=D(2024, 3, 1),
    )
    return deal


def test_a_write_off_inside_tolerance_with_its_trail_is_exempt(fworld, fund):
    staff = fworld["users"]["bureau_staff"]
    deals = [closed_deal(fworld, fund, f"P{i}", 200) for i in range(5)]
    for kind in ("尽职调查报告", "投资决策委员会决议", "投资协议", "投后管理记录", "风险处置报告"):
        services.add_document(user=staff, deal=deals[0], kind=kind, title=kind, dated_on=D(2024, 2, 1))
    services.move_deal(user=staff, deal=deals[0], target="written_off", on=D(2026, 6, 1))
    services.move_deal(user=staff, deal=deals[1], target="written_off", on=D(2026, 6, 2))
    deals[0].refresh_from_db()
    deals[1].refresh_from_db()
    assert deals[0].exempt is True and "予以免责" in deals[0].exemption_text
    # decided when written off: 1 of 5 closed projects (and of the amount) had failed then
    assert "按项目数失败占比 20.0%；按投资金额失败占比 20.0%，未超过容错上限 80%" in deals[0].exemption_text
    assert deals[1].exempt is False and "缺：尽职调查报告、投资决策委员会决议" in deals[1].exemption_text
    # documenting the missing procedures afterwards re-decides it
    for kind in ("尽职调查报告", "投资决策委员会决议", "投资协议", "投后管理记录", "风险处置报告"):
        services.add_document(user=staff, deal=deals[1], kind=kind, title=kind, dated_on=D(2026, 6, 3))
    deals[1].refresh_from_db()
    assert deals[1].exempt is True and deals[1].rule_key == "angel_fund_taiyuan@2024-01-01"
    assert "按项目数失败占比 40.0%" in deals[1].exemption_text


def test_beyond_the_ceiling_no_write_off_is_exempt(fworld, fund):
    staff = fworld["users"]["bureau_staff"]
    deals = [closed_deal(fworld, fund, f"P{i}", 100) for i in range(5)]
    for d in deals[:4]:
        services.move_deal(user=staff, deal=d, target="written_off", on=D(2026, 6, 1))
    for kind in ("尽职调查报告", "投资决策委员会决议", "投资协议", "投后管理记录", "风险处置报告"):
        services.add_document(user=staff, deal=deals[4], kind=kind, title=kind, dated_on=D(2024, 2, 1))
    services.move_deal(user=staff, deal=deals[4], target="written_off", on=D(2026, 6, 2))  # 5 of 5 failed
    deals[4].refresh_from_db()
    assert deals[4].exempt is False and "超过容错上限 80%" in deals[4].exemption_text


@pytest.mark.parametrize("role", ["bank_user", "enterprise_user", "park_operator", "institution_user"])
def test_funds_are_the_bureaus(fworld, fund, client_for, role):
    client = client_for(fworld["users"][role])
    assert client.get("/finance/funds/").status_code == 403
    assert client.get(f"/finance/funds/{fund.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.add_deal(user=fworld["users"][role], fund=fund, project="X", amount=1, sourced_on=D(2026, 9, 1))
