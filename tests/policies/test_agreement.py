"""A simulation and an eligibility run on the same date and records agree: the same decision (the same payout
history: a policy's own entitlements of the payout year are this year's grant, not a benefit received before)
and the same rule for what is granted (`funding.grant`: not twice in a year, 从优、就高、不重复 against the
ledger, the Budget row's envelope left). Where they differ from "eligible", the simulation page says why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kechuang.enterprises.models import AnnualFigure
from kechuang.policies import selectors, services
from kechuang.policies.models import Budget, Entitlement
from tests.policies.conftest import AS_OF, policy, versions
from tests.policies.test_eligibility import make_policy


def simulate(user, code, as_of=AS_OF):
    version = selectors.version_on(policy(code), as_of)
    return services.start_simulation(user=user, version=version, as_of=as_of).result


@pytest.fixture
def certified(pworld):
    """a and b first certified as 高企 in 2024: the one-off hte_reward as of 2025-06-30 grants both 10万."""
    AnnualFigure.objects.filter(enterprise__in=[pworld["a"], pworld["b"]], year=2024).update(
        hte_certified_on=dt.date(2024, 5, 1)
    )
    return pworld


@pytest.mark.django_db
def test_a_simulation_after_a_run_finds_the_same_eligible_firms_and_says_they_hold_it(certified):
    staff = certified["users"]["bureau_staff"]
    run = services.run_eligibility("hte_reward", AS_OF)
    assert (run.eligible, run.created) == (2, 2)
    r = simulate(staff, "hte_reward")
    # before: 0 eligible and 2 "held" — the run's own pending grants were read as a reward received before
    assert (r["summary"]["eligible"], r["summary"]["held"]) == (2, 0)
    assert r["run"] == {
        "eligible": 2,
        "new": 0,
        "this_year": 2,
        "stacked": 0,
        "out_of_budget": 0,
        "total": "0.0000",
        "budget_left": "980.0000",  # the 2025 envelope of 1000万 less the two 10万 grants
    }
    rerun = services.run_eligibility("hte_reward", AS_OF)
    assert (rerun.eligible, rerun.created) == (2, 0) and Entitlement.objects.count() == 2
    # a later payout year: the 2025 reward is now received before, and the one-off rule holds
    later = simulate(staff, "hte_reward", dt.date(2026, 6, 30))
    assert later["summary"]["eligible"] == 0


@pytest.mark.django_db
def test_a_simulation_predicts_the_runs_grants_with_stacking_and_the_budget_left(pworld):
    staff = pworld["users"]["bureau_staff"]
    make_policy("p_high", 8)
    make_policy("p_low", 5)
    services.run_eligibility("p_high", AS_OF)  # a and b hold 8万 each in the group
    Entitlement.objects.filter(policy__code="p_high", enterprise=pworld["b"]).update(status="cancelled")
    make_policy("p_mid", 6)  # same group, 6万 for a and b
    Budget.objects.create(policy=policy("p_mid"), year=2025, amount=Decimal("4"))
    r = simulate(staff, "p_mid")
    run = services.run_eligibility("p_mid", AS_OF)
    # a keeps p_high (8万 ≥ 6万): stacked; b's p_high was cancelled: b gets p_mid within the 4万 left
    assert r["run"] == {
        "eligible": 2,
        "new": 1,
        "this_year": 0,
        "stacked": 1,
        "out_of_budget": 0,
        "total": "4.0000",
        "budget_left": "4.0000",
    }
    assert (run.eligible, run.created, run.stacked, run.total) == (2, 1, 1, Decimal("4"))
    assert r["summary"]["eligible"] == run.eligible


@pytest.mark.django_db
def test_the_simulation_page_gives_the_reason_per_count(certified, client_for):
    services.run_eligibility("hte_reward", AS_OF)
    client = client_for(certified["users"]["bureau_staff"])
    current = versions("hte_reward").get(status="published")
    response = client.post(
        reverse("policies:simulate", args=["hte_reward"]), {"version": current.pk, "as_of": AS_OF.isoformat()}
    )
    html = client.get(response.url).content.decode()
    assert "若在基准日进行资格评价" in html
    assert "按与资格评价相同的规则和兑现台账：符合条件 2 家，其中：" in html
    assert "新增兑现资格 0 项，合计 0.00 万元" in html
    assert "2 家已有本年度本政策的兑现资格（含待确认、待兑现），按不重复享受不再生成" in html


@pytest.mark.django_db
def test_the_simulation_allocates_the_envelope_the_run_allocates(pworld):
    # the bureau set 2025's envelope to 7.5万 apart from the version (which says 3000万): the run pays 7.5万
    Budget.objects.filter(policy=policy("rd_subsidy"), year=2025).update(amount=Decimal("7.5"))
    r = simulate(pworld["users"]["bureau_staff"], "rd_subsidy")
    run = services.run_eligibility("rd_subsidy", AS_OF)
    assert (r["summary"]["budget"], r["summary"]["demand"], r["summary"]["granted"]) == ("7.5000", "15.0000", "7.5000")
    assert (r["run"]["new"], r["run"]["total"]) == (2, "7.5000")
    assert (run.created, run.total) == (2, Decimal("7.5"))
