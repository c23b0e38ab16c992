"""The policy library: shipped YAML loaded idempotently, dated versions added in the UI and validated by the
engine (Chinese errors), the version in force on a date, drafts, budgets from versions, audit events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.core.models import AuditEvent
from kechuang.policies import selectors, services
from kechuang.policies.models import Budget, Policy, PolicyVersion
from tests.policies.conftest import policy

SHIPPED = [
    "guarantee_fee_waiver",
    "hte_reward",
    "loan_interest_subsidy",
    "procurement_subsidy",
    "rd_subsidy",
    "rent_refund",
    "risk_compensation",
    "startup_fund",
]


@pytest.mark.django_db
def test_load_shipped_is_idempotent(ref):
    assert services.load_shipped_policies() == {"policies": 8, "versions": 8}
    events = AuditEvent.objects.count()
    assert services.load_shipped_policies() == {"policies": 0, "versions": 0}
    assert AuditEvent.objects.count() == events
    assert list(Policy.objects.values_list("code", flat=True)) == SHIPPED
    p = policy("startup_fund")
    assert (p.name, p.document, p.delivery, p.verification) == ("创新启动资金", "晋政办发〔2023〕95号", "auto", "P")
    assert policy("rent_refund").stacking_group == "rent_support"
    v = p.versions.get()
    assert (v.version_id, v.effective_from, v.effective_to, v.origin) == (
        "startup_fund@2024-01-01",
        dt.date(2024, 1, 1),
        dt.date(2028, 12, 31),
        "shipped",
    )
    assert v.data["benefit"]["max"] == 100
    assert {(b.year, b.amount) for b in p.budgets.all()} == {(2024, Decimal("3500")), (2025, Decimal("3500"))}


def _benefit(**changes):
    """The startup fund's benefit with `changes`: what the editor posts when an admin edits those inputs."""
    return {"benefit": {**policy("startup_fund").versions.get().data["benefit"], **changes}}


@pytest.mark.django_db
def test_new_version_changes_amount_from_its_date(world, library):
    admin = world["users"]["bureau_admin"]
    p = policy("startup_fund")
    v2 = services.add_version(
        user=admin,
        policy=p,
        changes=_benefit(max=50),
        effective_from=dt.date(2026, 1, 1),
        source="晋城市科技局通知（示例）",
        note="晋城上限调整为50万",
    )
    assert v2.version_id == "startup_fund@2026-01-01"
    assert v2.data["benefit"]["max"] == 50 and v2.data["name"] == "创新启动资金"
    assert v2.data["source"] == "晋城市科技局通知（示例）"
    assert selectors.version_on(p, dt.date(2025, 12, 31)).data["benefit"]["max"] == 100
    assert selectors.version_on(p, dt.date(2026, 1, 1)) == v2
    ev = AuditEvent.objects.get(action="policy.version.create", object_id=str(v2.pk))
    assert ev.changes["benefit"][0]["max"] == 100 and ev.changes["benefit"][1]["max"] == 50
    assert ev.actor == admin


@pytest.mark.django_db
def test_invalid_version_shows_the_engine_chinese_error_and_saves_nothing(world, library):
    admin = world["users"]["bureau_admin"]
    p = policy("startup_fund")
    before = PolicyVersion.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.add_version(
            user=admin, policy=p, changes=_benefit(max=20), effective_from=dt.date(2026, 1, 1), source="x", note="y"
        )
    assert "max 不能小于 min" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        services.add_version(
            user=admin,
            policy=p,
            changes={"benefit": {"kind": "lump"}},
            effective_from=dt.date(2026, 1, 1),
            source="x",
            note="y",
        )
    assert "kind“lump”无效" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        services.add_version(
            user=admin,
            policy=p,
            changes={"eligibility": [{"id": "a", "label": "A", "when": "revenue >>> 1"}]},
            effective_from=dt.date(2026, 1, 1),
            source="x",
            note="y",
        )
    assert "条件表达式无效" in exc.value.messages[0]
    with pytest.raises(ValidationError, match="依据来源"):
        services.add_version(user=admin, policy=p, changes={}, effective_from=dt.date(2026, 1, 1), source=" ", note="y")
    with pytest.raises(ValidationError, match="已有发布的版本"):
        services.add_version(user=admin, policy=p, changes={}, effective_from=dt.date(2024, 1, 1), source="x", note="y")
    assert PolicyVersion.objects.count() == before


@pytest.mark.django_db
def test_only_admin_edits(world, library):
    with pytest.raises(PermissionDenied):
        services.add_version(
            user=world["users"]["bureau_staff"],
            policy=policy("startup_fund"),
            changes={},
            effective_from=dt.date(2026, 1, 1),
            source="x",
            note="y",
        )


@pytest.mark.django_db
def test_draft_is_not_in_force_until_published_and_budget_follows(world, library):
    admin = world["users"]["bureau_admin"]
    p = policy("rd_subsidy")
    draft = services.add_version(
        user=admin,
        policy=p,
        changes={"budget": {"by_year": {2025: 3200, 2026: 4000}}},
        effective_from=dt.date(2025, 7, 1),
        source="预算调整文件",
        note="增加预算",
        draft=True,
    )
    assert draft.status == "draft"
    assert selectors.version_on(p, dt.date(2025, 8, 1)).version_id == "rd_subsidy@2024-01-01"
    assert Budget.objects.get(policy=p, year=2025).amount == Decimal("3000")
    services.publish_version(user=admin, version=draft)
    assert selectors.version_on(p, dt.date(2025, 8, 1)) == draft
    assert {(b.year, b.amount) for b in p.budgets.all()} == {(2025, Decimal("3200")), (2026, Decimal("4000"))}
    assert AuditEvent.objects.filter(action="budget.update", changes__amount=["3000.0000", "3200.0000"]).exists()


@pytest.mark.django_db
def test_budget_cannot_drop_below_what_is_approved(world, library):
    admin = world["users"]["bureau_admin"]
    p = policy("rd_subsidy")
    Budget.objects.filter(policy=p, year=2025).update(committed=Decimal("2000"))
    with pytest.raises(ValidationError, match="不能低于已审批金额"):
        services.add_version(
            user=admin,
            policy=p,
            changes={"budget": {"by_year": {2025: 1999.9999}}},
            effective_from=dt.date(2025, 7, 1),
            source="x",
            note="y",
        )
    assert Budget.objects.get(policy=p, year=2025).amount == Decimal("3000")
    assert p.versions.count() == 1
