"""The diagnosis and the leaderboard show the region profile's products and waivers, never another city's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kechuang.points import diagnosis
from kechuang.points.models import PointsResult
from kechuang.rules import region

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(scored):
    """Three products on offer: the bureau's 创新积分贷 and 科技贷, and the 淮安 rule shipped for reference; firm a
    is a 科小 with last year's figures, so it qualifies for the products open to 科小."""
    from kechuang.accounts.models import Organisation
    from kechuang.enterprises.models import AnnualFigure
    from kechuang.finance.models import LoanProduct
    from kechuang.tiers.models import TierResult

    last_year = timezone.localdate().year - 1
    AnnualFigure.objects.update_or_create(
        enterprise=scored["a"], year=last_year, defaults={"revenue": 3000, "staff_total": 100, "tech_staff": 30}
    )
    TierResult.objects.filter(enterprise=scored["a"], tier="tech_sme").update(qualified="true")

    jinshang = Organisation.objects.get(name="晋商银行")
    for code, name, rule in (
        ("js_points", "创新积分贷", "points_loan_taiyuan"),
        ("js_tech", "科技贷", "tech_loan_tyrcb"),
        ("js_huaian", "淮安创新积分贷", "points_loan_huaian"),
    ):
        LoanProduct.objects.create(code=code, name=name, bank=jinshang, rule_id=rule, launched_on=dt.date(2024, 1, 1))
    return scored


def _policies(world, key):
    result = PointsResult.objects.select_related("run", "enterprise").get(enterprise=world[key])
    ctx = diagnosis.build(result.enterprise, result, world["users"]["bureau_staff"])
    return [p["label"] for p in ctx["policies"]]


def _set_profile(world, products, waivers=()):
    region.save_profile(
        user=world["users"]["bureau_admin"], name="太原市", code="140100", tier_variants={}, products=products,
        waivers=list(waivers), on=dt.date(2026, 6, 30),
    )  # fmt: skip


def test_a_taiyuan_firms_diagnosis_lists_only_the_profiles_products(offered):
    # Without a profile nothing is filtered: the 淮安 reference rule reaches the diagnosis (the defect).
    assert _policies(offered, "a") == ["创新积分贷（晋商银行）", "淮安创新积分贷（晋商银行）", "科技贷（晋商银行）"]
    _set_profile(offered, ["points_loan_taiyuan", "tech_loan_tyrcb"])
    labels = _policies(offered, "a")
    assert labels == ["创新积分贷（晋商银行）", "科技贷（晋商银行）"]
    assert not any(city in label for label in labels for city in ("淮安", "泰州", "泰信保"))


def test_the_indicative_credit_line_needs_its_product_in_the_profile(offered):
    _set_profile(offered, ["tech_loan_tyrcb"])
    assert _policies(offered, "a") == ["科技贷（晋商银行）"]


def test_the_leaderboard_names_the_profiles_products_and_waivers(offered, client_for):
    from kechuang.policies.services import load_shipped_policies

    client = client_for(offered["users"]["bureau_staff"])
    assert 'data-testid="points-uses"' not in client.get("/points/leaderboard/").content.decode()
    load_shipped_policies()
    _set_profile(offered, ["points_loan_taiyuan"], ["guarantee_fee_waiver"])
    page = client.get("/points/leaderboard/").content.decode()
    banner = page.split('data-testid="points-uses"><p>')[1].split("</p>")[0]
    assert banner == (
        "太原市科技金融与积分应用：本局推荐的金融产品 创新积分贷（晋商银行）；减免政策 创新积分前100名免担保费"
    )
