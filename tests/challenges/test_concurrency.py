"""Two (or more) staff approving at once can never pay out more than a source holds (PostgreSQL row locks).

Three batches of one 100万 first tranche each compete for sources that hold 40万 each (120万 in all): each
batch fits alone, any two do not. Every worker approves at the same moment; the approval locks the pool and its
sources first, so exactly one is approved and the others are refused with the Chinese reason, writing nothing.
SQLite has no row locks (it serialises writes), so this proof runs on PostgreSQL only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from kechuang.challenges import services
from kechuang.challenges.models import LedgerEntry, PaymentBatch, PoolSource

WORKER = Path(__file__).with_name("approve_worker.py")


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_never_overspend_a_source(cworld, racing, pool, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks: run with DATABASE_URL=postgres://… (SQLite serialises writes)")
    staff, admin = cworld["users"]["bureau_staff"], cworld["users"]["bureau_admin"]
    PoolSource.objects.update(paid=Decimal("960"))  # 40万 left in each source
    batches = []
    for team in racing["teams"]:
        batch = services.create_batch(user=staff, pool=pool, title=f"并发批次 {team.team_name}")
        services.add_tranche_payment(user=staff, batch=batch, tranche=team.tranches.get(seq=1))
        batches.append(batch)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "kechuang.settings"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(b.pk), str(admin.pk), str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for b in batches
    ]
    deadline = time.time() + 180
    while len(list(tmp_path.glob("ready-*"))) < len(procs):
        assert time.time() < deadline and all(p.poll() is None for p in procs), "a worker did not start"
        time.sleep(0.05)
    (tmp_path / "go").touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(o["status"] for o in outputs) == ["approved", "refused", "refused"]
    for o in outputs:
        if o["status"] == "refused":
            assert any("余额不足：剩余 6.66" in m for m in o["messages"]), o
    assert [s.paid for s in PoolSource.objects.order_by("order")] == [
        Decimal("993.3334"),
        Decimal("993.3333"),
        Decimal("993.3333"),
    ]
    assert all(s.paid <= s.contributed + s.returned for s in PoolSource.objects.all())
    assert PaymentBatch.objects.filter(status="approved").count() == 1
    assert PaymentBatch.objects.filter(status="draft").count() == 2
    assert LedgerEntry.objects.filter(kind="payment").count() == 3
