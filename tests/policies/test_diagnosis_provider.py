"""The diagnosis's policy list shows a firm's entitlements and its near misses."""

from __future__ import annotations

import pytest

from kechuang.points import policies as diagnosis_policies
from kechuang.policies.diagnosis import entitlements


@pytest.mark.django_db
def test_provider_is_connected_and_lists_nothing_for_a_firm_without_records(world):
    assert diagnosis_policies.entitlements_connected()
    assert entitlements(world["a"]) == []


@pytest.mark.django_db
def test_provider_lists_entitlement_and_near_miss(pworld):
    import datetime as dt

    from kechuang.enterprises.models import AnnualFigure
    from kechuang.policies import services
    from tests.policies.conftest import AS_OF

    # 高企 first-recognition reward: a was certified in the fiscal year (entitled), c in 2022 (fails one condition).
    AnnualFigure.objects.filter(enterprise=pworld["a"], year=2024).update(hte_certified_on=dt.date(2024, 3, 1))
    AnnualFigure.objects.filter(enterprise=pworld["c"], year=2024).update(hte_certified_on=dt.date(2022, 5, 1))
    services.run_eligibility("hte_reward", AS_OF)
    items = entitlements(pworld["a"])
    assert [(i["kind"], i["status"], i["amount"]) for i in items] == [("entitlement", "qualifies", 10)]
    assert items[0]["source"] == "高新技术企业首次认定奖励（2024-01-01 起施行）" and "待确认" in items[0]["explanation"]
    near = entitlements(pworld["c"])
    assert [(i["kind"], i["status"]) for i in near] == [("benefit", "near")]
    assert near[0]["explanation"] == "仅差一项条件：证书于上一年度颁发（首次认定当年）"


@pytest.mark.django_db
def test_an_entitlement_amount_reads_in_the_house_money_format(pworld):
    import datetime as dt

    from kechuang.enterprises.models import AnnualFigure
    from kechuang.policies import services
    from kechuang.policies.models import Entitlement
    from tests.policies.conftest import AS_OF

    AnnualFigure.objects.filter(enterprise=pworld["a"], year=2024).update(hte_certified_on=dt.date(2024, 3, 1))
    services.run_eligibility("hte_reward", AS_OF)
    Entitlement.objects.filter(enterprise=pworld["a"]).update(amount="1.6286")
    [item] = entitlements(pworld["a"])
    assert item["explanation"].endswith("，金额 1.63 万元")
