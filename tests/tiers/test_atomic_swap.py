"""A tier evaluation run stopped half-way leaves the previous results in force; a completed run then takes over.

As for scoring runs (tests/points/test_atomic_swap.py): the run is stopped at a chunk boundary of its result writes
through the documented hook `core.bulk.chunk_written`, in this process by an exception and in a child process by a
real SIGKILL (the child shares the test database: tests/ops/childdb.py). The killed run leaves a half-written
`running` run that nobody reads; the next completed run of the same date removes it.
"""

from __future__ import annotations

import re
import signal

import pytest
from django.urls import reverse

from kechuang.core import bulk
from kechuang.core.models import AuditEvent
from kechuang.tiers import selectors, services
from kechuang.tiers.models import TierResult, TierRun
from tests.ops.childdb import ChildDatabase
from tests.stopping import stopped_at_chunk
from tests.tiers.test_tiers_platform import AS_OF, worked_example

STOP_AT = 5  # of the run's 3 firms × every tier in force, one row a chunk


def standings() -> list[tuple]:
    """What the other engines read: the latest completed run's tech_sme decisions as (firm, qualified, score)."""
    run = selectors.latest_run()
    rows = TierResult.objects.filter(run=run, tier="tech_sme").values_list("enterprise__name", "qualified", "score")
    return sorted((name[:3], qualified, score) for name, qualified, score in rows)


def pages(client, uscc: str) -> tuple[str, ...]:
    """The pipeline, the tech_sme list and the firm's tiers page, without form tokens and script nonces."""
    urls = (
        reverse("tiers:pipeline"),
        reverse("tiers:tier_list", args=["tech_sme"]),
        reverse("tiers:enterprise", args=[uscc]),
    )
    return tuple(
        re.sub(r'(name="csrfmiddlewaretoken" value|nonce)="[^"]*"', "", client.get(url).content.decode())
        for url in urls
    )


def evaluated_then_b_improves(world):
    """The first run (a qualifies with 64 points, b fails with 56, c unknown), then b's tech staff reach 22 of
    100: the next run qualifies b with 64 points too."""
    worked_example(world["a"])
    worked_example(world["b"], tech_staff=14)
    worked_example(world["c"], staff_total=None)
    first = services.evaluate_all(AS_OF, user_id=world["users"]["bureau_staff"].pk)
    assert standings() == [("太原乙", "false", 56.0), ("太原甲", "true", 64.0), ("泰州丙", "unknown", None)]
    worked_example(world["b"])
    return first


@pytest.mark.django_db
def test_a_tier_run_stopped_half_way_leaves_the_previous_results(world, client_for, monkeypatch):
    client = client_for(world["users"]["bureau_staff"])
    first = evaluated_then_b_improves(world)
    before, pages_before = standings(), pages(client, world["b"].uscc)
    results_before = TierResult.objects.count()
    monkeypatch.setattr(bulk, "BATCH", 1)

    with stopped_at_chunk("tiers.evaluate", STOP_AT), pytest.raises(RuntimeError, match="stopped half-way"):
        services.evaluate_all(AS_OF)

    assert list(TierRun.objects.values_list("pk", "status")) == [(first.pk, "done")]
    assert TierResult.objects.count() == results_before  # the stopped run's rows are gone with it
    assert AuditEvent.objects.filter(action="tier_run.create").count() == 1
    assert standings() == before
    assert pages(client, world["b"].uscc) == pages_before

    second = services.evaluate_all(AS_OF)
    assert list(TierRun.objects.order_by("pk").values_list("pk", "status")) == [
        (first.pk, "done"),
        (second.pk, "done"),
    ]
    assert selectors.latest_run() == second
    assert standings() == [("太原乙", "true", 64.0), ("太原甲", "true", 64.0), ("泰州丙", "unknown", None)]
    assert TierResult.objects.filter(run=second).count() == results_before
    assert AuditEvent.objects.filter(action="tier_run.create").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_killed_tier_evaluation_leaves_the_previous_results(world, client_for, tmp_path):
    client = client_for(world["users"]["bureau_staff"])
    first = evaluated_then_b_improves(world)
    before, pages_before = standings(), pages(client, world["b"].uscc)
    per_run = TierResult.objects.count()
    database = ChildDatabase(tmp_path)

    child = database.python(
        "import datetime as dt, os, signal\n"
        "from kechuang.core import bulk\n"
        "from kechuang.tiers.services import evaluate_all\n"
        "bulk.BATCH = 1\n"
        "def kill(sender, label, rows, **kwargs):\n"
        f"    if label == 'tiers.evaluate' and rows == {STOP_AT}:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "bulk.chunk_written.connect(kill)\n"
        f"evaluate_all(dt.date.fromisoformat('{AS_OF.isoformat()}'))\n"
    )
    assert child.wait(timeout=120) == -signal.SIGKILL
    database.pull()

    # The killed run wrote five of its results under its own id, and nobody reads them.
    half = TierRun.objects.get(status="running")
    assert TierResult.objects.filter(run=half).count() == STOP_AT
    assert list(TierRun.objects.filter(status="done").values_list("pk", flat=True)) == [first.pk]
    assert selectors.latest_run() == first and list(selectors.runs()) == [first]
    assert standings() == before
    assert pages(client, world["b"].uscc) == pages_before
    assert not selectors.results_for_any_run(world["users"]["bureau_staff"]).filter(run=half).exists()

    second = services.evaluate_all(AS_OF)
    assert list(TierRun.objects.order_by("pk").values_list("pk", "status")) == [
        (first.pk, "done"),
        (second.pk, "done"),
    ]  # the half-written run of the same date is gone
    assert TierResult.objects.count() == 2 * per_run
    assert standings() == [("太原乙", "true", 64.0), ("太原甲", "true", 64.0), ("泰州丙", "unknown", None)]
