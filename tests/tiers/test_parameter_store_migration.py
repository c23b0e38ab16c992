"""Tier parameter versions saved before the one rule store move into it with who, when, source and reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tiers", "0005_tierresult_gap_size"), ("rules", "0001_rule_version")]
AFTER = [("tiers", "0006_parameter_versions_in_the_rule_store")]


@pytest.mark.django_db(transaction=True)
def test_saved_parameter_versions_move_into_the_rule_store_and_back(django_user_model):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    admin = django_user_model.objects.create(username="admin_before", role="bureau_admin")
    saved = old.get_model("tiers", "ParameterVersion").objects.create(
        ruleset="tech_sme",
        parameter="pass_score",
        effective_from=dt.date(2025, 1, 1),
        value=65,
        source="测试文件〔2025〕1号",
        note="提高门槛",
        created_by_id=admin.pk,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    moved = new.get_model("rules", "RuleVersion").objects.get()
    assert (moved.kind, moved.rule_id, moved.parameter, moved.effective_from, moved.value) == (
        "tiers",
        "tech_sme",
        "pass_score",
        dt.date(2025, 1, 1),
        65,
    )
    assert (moved.source, moved.note, moved.created_by_id, moved.status, moved.previous) == (
        "测试文件〔2025〕1号",
        "提高门槛",
        admin.pk,
        "published",
        None,
    )
    assert moved.created_at == saved.created_at

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    back = executor.loader.project_state(BEFORE).apps.get_model("tiers", "ParameterVersion").objects.get()
    assert (back.ruleset, back.parameter, back.value) == ("tech_sme", "pass_score", 65)
    assert not executor.loader.project_state(BEFORE).apps.get_model("rules", "RuleVersion").objects.exists()

    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
