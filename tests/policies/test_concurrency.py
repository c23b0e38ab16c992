"""The budget can never be overspent: approvals from several processes at once against PostgreSQL.

Each process approves a different batch of 10万 competing for one 25万 envelope. The budget row is locked
(`select_for_update`) inside the approval's transaction, so exactly two batches are approved and the others
are refused with the Chinese reason, whatever the interleaving. SQLite has no row locks (it serialises whole
writes instead), so this proof runs only when PostgreSQL is the test database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from kechuang.accounts.models import User
from kechuang.policies.models import Budget, EligibilityRun, Entitlement, PayoutBatch
from tests.policies.conftest import policy, versions

WORKERS = 6
WORKER = Path(__file__).with_name("approve_worker.py")


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_never_overspend(library, world, tmp_path):
    p = policy("rd_subsidy")
    Budget.objects.filter(policy=p, year=2025).update(amount=Decimal("25"), committed=0)
    maker = world["users"]["bureau_staff"]
    checker = world["users"]["bureau_admin"]
    batches = [
        PayoutBatch.objects.create(
            policy=p, year=2025, title=f"并发批次{i}", count=1, total=Decimal("10"), created_by=maker
        )
        for i in range(WORKERS)
    ]
    # Each batch holds one confirmed 10万 entitlement, as an assembled batch does (approval checks that).
    version = versions(p.code).order_by("effective_from").last()
    run = EligibilityRun.objects.create(policy=p, version=version, as_of=dt.date(2025, 6, 30), year=2025)
    firms = [world["a"], world["b"], world["c"]]
    for i, batch in enumerate(batches):
        Entitlement.objects.create(
            policy=p,
            version=version,
            run=run,
            enterprise=firms[i % 3],
            as_of=run.as_of,
            year=2025,
            decided_amount=Decimal("10"),
            amount=Decimal("10"),
            status=Entitlement.Status.CONFIRMED,
            batch=batch,
        )
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "kechuang.settings"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(b.pk), str(checker.pk), str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for b in batches
    ]
    deadline = time.time() + 180
    while len(list(tmp_path.glob("ready-*"))) < WORKERS:  # every worker has set Django up: release them at once
        assert time.time() < deadline and all(p.poll() is None for p in procs), "a worker did not start"
        time.sleep(0.05)
    (tmp_path / "go").touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    statuses = sorted(o["status"] for o in outputs)
    assert statuses == ["approved"] * 2 + ["refused"] * (WORKERS - 2)
    budget = Budget.objects.get(policy=p, year=2025)
    assert budget.committed == Decimal("20") <= budget.amount
    approved = PayoutBatch.objects.filter(status="approved")
    assert sum(b.total for b in approved) == budget.committed
    for o in outputs:
        if o["status"] == "refused":
            assert o["reason"].startswith("预算不足：2025 年度预算 25.00 万元，已审批 20.00 万元"), o
    assert User.objects.filter(pk=checker.pk).exists()
