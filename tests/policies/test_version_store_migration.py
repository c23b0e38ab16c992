"""Policy versions saved before the one rule store move into it (rules.RuleVersion, kind "policies") with their
dates, status, version dict, source, note, author, time and origin; every eligibility run, entitlement and
simulation keeps pointing at the same version; moving back gives the policies' own table again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("policies", "0003_batch_submit_token"), ("rules", "0002_region_profile")]
AFTER = [("policies", "0006_drop_policy_versions")]


def _data(code: str, start: str, amount: int) -> dict:
    return {
        "id": code,
        "version_id": f"{code}@{start}",
        "name": "迁移测试政策",
        "effective_from": start,
        "benefit": {"kind": "fixed", "amount": amount},
    }


@pytest.mark.django_db(transaction=True)
def test_policy_versions_move_into_the_rule_store_with_their_runs_and_back(django_user_model):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    admin = django_user_model.objects.create(username="admin_before", role="bureau_admin")
    firm = old.get_model("enterprises", "Enterprise").objects.create(uscc="91140100MA0KC00011", name="迁移测试企业")
    policy = old.get_model("policies", "Policy").objects.create(
        code="mig_policy",
        name="迁移测试政策",
        issuer="测试",
        document="测试",
        source="测试",
        verification="U",
        delivery="auto",
    )
    PolicyVersion = old.get_model("policies", "PolicyVersion")
    shipped = PolicyVersion.objects.create(
        policy=policy,
        version_id="mig_policy@2024-01-01",
        effective_from=dt.date(2024, 1, 1),
        effective_to=dt.date(2028, 12, 31),
        status="published",
        note="首个版本",
        source="内置文件",
        data=_data("mig_policy", "2024-01-01", 5),
        origin="shipped",
    )
    edited = PolicyVersion.objects.create(
        policy=policy,
        version_id="mig_policy@2026-01-01",
        effective_from=dt.date(2026, 1, 1),
        status="draft",
        note="提高金额",
        source="本局通知〔2026〕1号",
        data=_data("mig_policy", "2026-01-01", 8),
        created_by_id=admin.pk,
    )
    run = old.get_model("policies", "EligibilityRun").objects.create(
        policy=policy, version=shipped, as_of=dt.date(2025, 6, 30), year=2025
    )
    entitlement = old.get_model("policies", "Entitlement").objects.create(
        policy=policy,
        version=shipped,
        run=run,
        enterprise=firm,
        as_of=dt.date(2025, 6, 30),
        year=2025,
        decided_amount=Decimal("5"),
        amount=Decimal("5"),
    )
    sim = old.get_model("policies", "SimulationRun").objects.create(
        version=edited, compare_to=shipped, as_of=dt.date(2026, 1, 1)
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    RuleVersion = new.get_model("rules", "RuleVersion")
    moved = {
        v.effective_from: v for v in RuleVersion.objects.filter(kind="policies", rule_id="mig_policy", parameter="")
    }
    assert sorted(moved) == [dt.date(2024, 1, 1), dt.date(2026, 1, 1)]
    first, second = moved[dt.date(2024, 1, 1)], moved[dt.date(2026, 1, 1)]
    assert (first.effective_to, first.status, first.origin, first.source, first.note, first.created_by_id) == (
        dt.date(2028, 12, 31),
        "published",
        "shipped",
        "内置文件",
        "首个版本",
        None,
    )
    assert (second.effective_to, second.status, second.origin, second.source, second.note, second.created_by_id) == (
        None,
        "draft",
        "bureau",
        "本局通知〔2026〕1号",
        "提高金额",
        admin.pk,
    )
    assert first.value == _data("mig_policy", "2024-01-01", 5) and second.value["benefit"]["amount"] == 8
    assert (first.previous, second.previous) == (None, None)
    assert (first.created_at, second.created_at) == (shipped.created_at, edited.created_at)
    assert new.get_model("policies", "EligibilityRun").objects.get(pk=run.pk).version_id == first.pk
    assert new.get_model("policies", "Entitlement").objects.get(pk=entitlement.pk).version_id == first.pk
    moved_sim = new.get_model("policies", "SimulationRun").objects.get(pk=sim.pk)
    assert (moved_sim.version_id, moved_sim.compare_to_id, moved_sim.policy_id) == (second.pk, first.pk, policy.pk)
    assert "policyversion" not in {m._meta.model_name for m in new.get_app_config("policies").get_models()}

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    back_apps = executor.loader.project_state(BEFORE).apps
    back = {v.effective_from: v for v in back_apps.get_model("policies", "PolicyVersion").objects.all()}
    assert [(v.version_id, v.status, v.origin, v.created_by_id) for v in back.values()] == [
        ("mig_policy@2024-01-01", "published", "shipped", None),
        ("mig_policy@2026-01-01", "draft", "ui", admin.pk),
    ]
    old_first = back[dt.date(2024, 1, 1)]
    assert back_apps.get_model("policies", "Entitlement").objects.get(pk=entitlement.pk).version_id == old_first.pk
    assert back_apps.get_model("policies", "EligibilityRun").objects.get(pk=run.pk).version_id == old_first.pk
    back_sim = back_apps.get_model("policies", "SimulationRun").objects.get(pk=sim.pk)
    assert (back_sim.version_id, back_sim.compare_to_id) == (back[dt.date(2026, 1, 1)].pk, old_first.pk)
    assert not back_apps.get_model("rules", "RuleVersion").objects.filter(kind="policies").exists()

    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
