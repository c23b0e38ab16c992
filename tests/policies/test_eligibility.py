"""Eligibility runs: entitlements with explanation and facts snapshot, no double grant, near misses and
unknowns kept, stacking against the ledger (从优、就高、不重复), budget allocation, replay, claw-back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.enterprises.models import AnnualFigure
from kechuang.policies import selectors, services
from kechuang.policies.models import (
    Budget,
    Clawback,
    EligibilityResult,
    Entitlement,
    Policy,
)
from kechuang.rules.models import RuleVersion
from tests.policies.conftest import AS_OF, policy


def amounts(code="rd_subsidy", field="amount"):
    return {
        e.enterprise.name[:3]: (getattr(e, field), e.status)
        for e in Entitlement.objects.filter(policy__code=code).select_related("enterprise")
    }


@pytest.mark.django_db
def test_run_creates_entitlements_with_explanation_and_snapshot(pworld):
    run = services.run_eligibility("rd_subsidy", AS_OF)
    assert amounts() == {"太原甲": (Decimal("5"), "pending"), "太原乙": (Decimal("10"), "pending")}
    assert (run.firms, run.eligible, run.unknown, run.created, run.total) == (3, 2, 0, 2, Decimal("15"))
    e = Entitlement.objects.get(enterprise=pworld["a"])
    assert e.version.key == "rd_subsidy@2024-01-01" and e.as_of == AS_OF and e.year == 2025
    assert e.decided_amount == Decimal("5")
    assert e.facts["rd_expense"] == 150.0 and e.facts["hte_certified"] is True
    assert e.facts["paid_before"] == 0
    assert e.conditions == {"tech_firm": True, "rd_min": True, "amount_min": True, "limit_reached": True}
    created = AuditEvent.objects.get(action="entitlement.create", enterprise=pworld["a"])
    name = Policy.objects.get(code="rd_subsidy").name
    assert created.note == f"{name} rd_subsidy@2024-01-01 基准日 {AS_OF}（待确认）"
    assert created.changes == {"amount": [None, "5"]}
    # The run's note reads as the audit log shows it: the policy's name, status and totals in plain numbers.
    ran = AuditEvent.objects.get(action="policy.eligibility_run", object_id=str(run.pk))
    assert ran.note == f"{name} rd_subsidy@2024-01-01 基准日 {AS_OF}：新增 2 项，合计 15.00 万元"


@pytest.mark.django_db
def test_rerun_does_not_grant_twice(pworld):
    services.run_eligibility("rd_subsidy", AS_OF)
    run = services.run_eligibility("rd_subsidy", AS_OF + dt.timedelta(days=1))
    assert run.created == 0 and Entitlement.objects.count() == 2


@pytest.mark.django_db
def test_replay_reproduces_decision_and_amount(pworld, client_for):
    services.run_eligibility("rd_subsidy", AS_OF)
    e = Entitlement.objects.get(enterprise=pworld["b"])
    # later facts change and a new version doubles the bands: the stored decision still replays the same
    AnnualFigure.objects.filter(enterprise=pworld["b"]).update(rd_expense=Decimal("40"))
    assert selectors.replay(e) == {
        "version_id": "rd_subsidy@2024-01-01",
        "as_of": "2025-06-30",
        "eligible": "true",
        "amount": "10.0000",
        "stored_amount": "10.0000",
        "same": True,
        "failed": "",
    }
    client = client_for(pworld["users"]["bureau_staff"])
    body = client.get(reverse("policies:replay", args=[e.pk]) + "?format=json").json()
    assert body["same"] is True and body["amount"] == "10.0000"
    # the page a person opens speaks Chinese, not JSON
    html = client.get(reverse("policies:replay", args=[e.pk])).content.decode()
    assert "复核一致" in html and "10.00 万元" in html and '"same"' not in html and '"eligible"' not in html
    # the facts snapshot names fields in Chinese, without their codes
    page = client.get(reverse("policies:entitlement", args=[e.pk])).content.decode()
    assert "研发费用" in page and "rd_expense" not in page
    # a tampered snapshot does not replay to the stored amount
    Entitlement.objects.filter(pk=e.pk).update(facts={**e.facts, "rd_expense": 600.0})
    e.refresh_from_db()
    assert selectors.replay(e)["amount"] == "20.0000" and selectors.replay(e)["same"] is False


@pytest.mark.django_db
def test_near_misses_and_unknowns_are_kept_for_the_portal(pworld):
    AnnualFigure.objects.filter(enterprise=pworld["a"], year=2024).update(hte_certified_on=dt.date(2024, 3, 1))
    AnnualFigure.objects.filter(enterprise=pworld["c"], year=2024).update(hte_certified_on=dt.date(2022, 5, 1))
    run = services.run_eligibility("hte_reward", AS_OF)
    assert amounts("hte_reward") == {"太原甲": (Decimal("10"), "pending")}
    rows = {
        r.enterprise.name[:3]: (r.eligible, r.failed, r.missing)
        for r in EligibilityResult.objects.filter(run=run).select_related("enterprise")
    }
    assert rows == {"泰州丙": ("false", "certified_that_year", ""), "太原乙": ("unknown", "", "hte_certified_on")}
    assert run.unknown == 1


def make_policy(code, amount, group="rent_support", budget=None):
    """A fixed-amount policy in a stacking group, for valley firms with R&D ≥ 50万."""
    data = {
        "id": code,
        "name": f"测试{code}",
        "issuer": "测试",
        "document": "测试",
        "source": "测试",
        "verification": "U",
        "delivery": "auto",
        "stacking_group": group,
        "effective_from": "2024-01-01",
        "facts_year": "last",
        "eligibility": [{"id": "valley", "label": "入驻谷区", "when": "valley_resident"}],
        "benefit": {"kind": "fixed", "amount": amount},
        "version_id": f"{code}@2024-01-01",
    }
    if budget:
        data["budget"] = {"by_year": {2025: budget}, "allocation": {"method": "pro_rata"}}
    p = Policy.objects.create(
        code=code,
        name=data["name"],
        issuer="测试",
        document="测试",
        source="测试",
        verification="U",
        delivery="auto",
        stacking_group=group,
    )
    RuleVersion.objects.create(
        kind="policies", rule_id=code, effective_from=dt.date(2024, 1, 1), source="测试", value=data
    )
    services._sync_budgets(p, None)
    return p


@pytest.mark.django_db
def test_valley_residency_comes_from_the_carriers_registry(pworld):
    make_policy("p_one", 5)
    services.run_eligibility("p_one", AS_OF)
    # a and b are resident in the valley (Residency), c is not: the registry decides, not an empty fact
    assert amounts("p_one") == {"太原甲": (Decimal("5"), "pending"), "太原乙": (Decimal("5"), "pending")}
    assert Entitlement.objects.filter(policy__code="p_one").first().facts["valley_resident"] is True


@pytest.mark.django_db
def test_stacking_keeps_the_best_within_a_group(pworld):
    make_policy("p_low", 5)
    make_policy("p_high", 8)
    make_policy("p_lower", 3)
    services.run_eligibility("p_low", AS_OF)
    services.run_eligibility("p_high", AS_OF)
    # the higher one wins; the pending lower one is marked stacked with amount 0
    assert amounts("p_low") == {"太原甲": (Decimal("0"), "stacked"), "太原乙": (Decimal("0"), "stacked")}
    assert amounts("p_high") == {"太原甲": (Decimal("8"), "pending"), "太原乙": (Decimal("8"), "pending")}
    run = services.run_eligibility("p_lower", AS_OF)
    assert amounts("p_lower") == {"太原甲": (Decimal("0"), "stacked"), "太原乙": (Decimal("0"), "stacked")}
    assert set(Entitlement.objects.filter(policy__code="p_lower").values_list("stacked_by", flat=True)) == {"p_high"}
    assert (run.created, run.stacked, run.total) == (0, 2, Decimal("0"))
    assert AuditEvent.objects.filter(action="entitlement.stacked").count() == 2


@pytest.mark.django_db
def test_an_approved_grant_is_not_displaced_by_a_higher_one(pworld):
    make_policy("p_low", 5)
    make_policy("p_high", 8)
    services.run_eligibility("p_low", AS_OF)
    Entitlement.objects.filter(policy__code="p_low", enterprise=pworld["a"]).update(status="approved")
    services.run_eligibility("p_high", AS_OF)
    assert amounts("p_low") == {"太原甲": (Decimal("5"), "approved"), "太原乙": (Decimal("0"), "stacked")}
    assert amounts("p_high") == {"太原甲": (Decimal("0"), "stacked"), "太原乙": (Decimal("8"), "pending")}


@pytest.mark.django_db
def test_budget_left_is_allocated_pro_rata(pworld):
    Budget.objects.filter(policy=policy("rd_subsidy"), year=2025).update(amount=Decimal("7.5"))
    services.run_eligibility("rd_subsidy", AS_OF)
    # demand 15 for 7.5 left: every grant × 7.5 / 15, decided amounts unchanged
    assert amounts() == {"太原甲": (Decimal("2.5"), "pending"), "太原乙": (Decimal("5"), "pending")}
    assert amounts(field="decided_amount") == {
        "太原甲": (Decimal("5"), "pending"),
        "太原乙": (Decimal("10"), "pending"),
    }


@pytest.mark.django_db
def test_lost_eligibility_flags_clawback_or_cancels(pworld):
    services.run_eligibility("rd_subsidy", AS_OF)
    Entitlement.objects.filter(enterprise=pworld["a"]).update(status="paid")
    # both firms' 2024 R&D is corrected below the 50万 threshold
    AnnualFigure.objects.filter(year=2024).update(rd_expense=Decimal("40"))
    assert services.check_clawbacks(policy("rd_subsidy")) == 2
    c = Clawback.objects.get()
    assert (c.entitlement.enterprise, c.amount, c.status) == (pworld["a"], Decimal("5"), "open")
    assert "rd_min" in c.failed and c.reason.startswith("企业不再符合条件")
    b = Entitlement.objects.get(enterprise=pworld["b"])
    assert b.status == "cancelled" and b.note.startswith("企业不再符合条件")
    flagged = AuditEvent.objects.get(action="clawback.flag")
    assert (flagged.object_id, flagged.enterprise_id, flagged.changes) == (
        str(c.pk),
        pworld["a"].pk,
        {"amount": [None, "5"]},
    )
    cancelled = AuditEvent.objects.get(action="entitlement.cancel")
    assert (cancelled.object_id, cancelled.changes) == (str(b.pk), {"status": ["pending", "cancelled"]})
    assert services.check_clawbacks(policy("rd_subsidy")) == 1  # flagged once, not twice
    assert Clawback.objects.count() == 1 and AuditEvent.objects.filter(action="clawback.flag").count() == 1


@pytest.mark.django_db
def test_a_paid_one_off_entitlement_is_not_a_reason_to_claw_back(pworld):
    AnnualFigure.objects.filter(enterprise=pworld["a"], year=2024).update(hte_certified_on=dt.date(2024, 3, 1))
    services.run_eligibility("hte_reward", AS_OF)
    Entitlement.objects.filter(policy__code="hte_reward").update(status="paid")
    assert services.check_clawbacks(policy("hte_reward")) == 0


@pytest.mark.django_db
def test_run_without_version_in_force_is_refused_in_chinese(pworld):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="没有有效版本"):
        services.run_eligibility("startup_fund", dt.date(2030, 1, 1))
