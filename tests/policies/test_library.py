"""The policy library: shipped YAML loaded idempotently, dated versions added in the UI and validated by the
engine (Chinese errors), the version in force on a date, drafts, budgets from versions, audit events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.core.models import AuditEvent
from kechuang.policies import selectors, services
from kechuang.policies.models import Budget, Policy
from kechuang.rules.models import RuleVersion
from tests.policies.conftest import policy, versions

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
    # the log names the policy, not its code
    created = AuditEvent.objects.get(action="policy.create", object_id=str(p.pk))
    assert created.note == "载入内置政策“创新启动资金”"
    v = selectors.versions(p).get()
    assert (v.key, v.effective_from, v.effective_to, v.origin) == (
        "startup_fund@2024-01-01",
        dt.date(2024, 1, 1),
        dt.date(2028, 12, 31),
        "shipped",
    )
    assert v.value["benefit"]["max"] == 100
    assert {(b.year, b.amount) for b in p.budgets.all()} == {(2024, Decimal("3500")), (2025, Decimal("3500"))}


def _benefit(**changes):
    """The startup fund's benefit with `changes`: what the editor posts when an admin edits those inputs."""
    return {"benefit": {**versions("startup_fund").get().value["benefit"], **changes}}


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
    assert v2.key == "startup_fund@2026-01-01"
    assert v2.value["benefit"]["max"] == 50 and v2.value["name"] == "创新启动资金"
    assert v2.value["source"] == "晋城市科技局通知（示例）"
    assert selectors.version_on(p, dt.date(2025, 12, 31)).value["benefit"]["max"] == 100
    assert selectors.version_on(p, dt.date(2026, 1, 1)) == v2
    assert (v2.kind, v2.rule_id, v2.parameter, v2.origin, v2.created_by) == (
        "policies",
        "startup_fund",
        "",
        "bureau",
        admin,
    )
    assert v2.previous["benefit"]["max"] == 100  # what it replaced: the version in force on its date
    ev = AuditEvent.objects.get(action="rule_version.create", object_id=str(v2.pk))
    assert ev.object_type == "rules.ruleversion"
    assert ev.changes["benefit"][0]["max"] == 100 and ev.changes["benefit"][1]["max"] == 50
    assert ev.actor == admin
    assert ev.note == (
        "政策“创新启动资金” startup_fund@2026-01-01 自 2026-01-01 起替代 startup_fund@2024-01-01"
        "；依据：晋城市科技局通知（示例）；原因：晋城上限调整为50万"
    )


@pytest.mark.django_db
def test_invalid_version_shows_the_engine_chinese_error_and_saves_nothing(world, library):
    admin = world["users"]["bureau_admin"]
    p = policy("startup_fund")
    before = RuleVersion.objects.filter(kind="policies").count()
    with pytest.raises(ValidationError) as exc:
        services.add_version(
            user=admin, policy=p, changes=_benefit(max=20), effective_from=dt.date(2026, 1, 1), source="x", note="y"
        )
    assert exc.value.messages == ["兑现标准·最高金额：不能小于最低金额"]
    with pytest.raises(ValidationError) as exc:
        services.add_version(
            user=admin,
            policy=p,
            changes={"benefit": {"kind": "lump"}},
            effective_from=dt.date(2026, 1, 1),
            source="x",
            note="y",
        )
    assert exc.value.messages == ["兑现标准·计算方式：“lump”无效，应为 fixed、rate、bands、range 之一"]
    with pytest.raises(ValidationError) as exc:
        services.add_version(
            user=admin,
            policy=p,
            changes={"eligibility": [{"id": "a", "label": "A", "when": "revenue >>> 1"}]},
            effective_from=dt.date(2026, 1, 1),
            source="x",
            note="y",
        )
    assert exc.value.messages[0].startswith("申报条件第 1 项：条件表达式无效：")
    with pytest.raises(ValidationError, match="依据来源"):
        services.add_version(user=admin, policy=p, changes={}, effective_from=dt.date(2026, 1, 1), source=" ", note="y")
    with pytest.raises(ValidationError, match="已有发布的版本"):
        services.add_version(user=admin, policy=p, changes={}, effective_from=dt.date(2024, 1, 1), source="x", note="y")
    assert RuleVersion.objects.filter(kind="policies").count() == before


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
    assert selectors.version_on(p, dt.date(2025, 8, 1)).key == "rd_subsidy@2024-01-01"
    assert Budget.objects.get(policy=p, year=2025).amount == Decimal("3000")
    services.publish_version(user=admin, version=draft)
    assert selectors.version_on(p, dt.date(2025, 8, 1)) == draft
    published = AuditEvent.objects.get(action="rule_version.publish", object_id=str(draft.pk))
    assert (published.changes, published.actor) == ({"status": ["draft", "published"]}, admin)
    with pytest.raises(ValidationError, match="只有草稿可以发布"):
        services.publish_version(user=admin, version=draft)
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
    assert selectors.versions(p).count() == 1
