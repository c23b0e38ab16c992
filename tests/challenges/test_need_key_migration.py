"""The loose `techtransfer_need_id` integer becomes a foreign key: an id that names a Need is kept, a dangling one
becomes NULL, and reversing gives the integer back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("challenges", "0001_initial"), ("techtransfer", "0002_supply_map_and_needs")]
AFTER = [("challenges", "0002_techtransfer_need_foreign_key")]


@pytest.mark.django_db(transaction=True)
def test_existing_need_ids_become_keys_and_dangling_ones_null():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    firm = old.get_model("enterprises", "Enterprise").objects.create(uscc="91140100MA0KC00011", name="迁移测试企业")
    need = old.get_model("techtransfer", "Need").objects.create(enterprise=firm, title="需求", summary="公开")
    Challenge = old.get_model("challenges", "Challenge")

    def challenge(code, need_id):
        Challenge.objects.create(
            code=code,
            title=code,
            origin="techtransfer_need",
            need_text="需求",
            techtransfer_need_id=need_id,
            collected_on=dt.date(2026, 1, 5),
        )

    challenge("JB-LINKED", need.pk)
    challenge("JB-DANGLING", need.pk + 1000)
    challenge("JB-NONE", None)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("challenges", "Challenge")
    assert dict(new.objects.values_list("code", "techtransfer_need_id")) == {
        "JB-LINKED": need.pk,
        "JB-DANGLING": None,
        "JB-NONE": None,
    }
    assert new.objects.get(code="JB-LINKED").techtransfer_need.title == "需求"

    executor = MigrationExecutor(connection)
    executor.migrate([("challenges", "0001_initial")])
    back = executor.loader.project_state([("challenges", "0001_initial")]).apps.get_model("challenges", "Challenge")
    assert dict(back.objects.values_list("code", "techtransfer_need_id")) == {
        "JB-LINKED": need.pk,
        "JB-DANGLING": None,
        "JB-NONE": None,
    }

    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
