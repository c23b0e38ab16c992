"""A scoring run stopped half-way leaves the previous results in force; a completed run then replaces them.

The run is stopped at a chunk boundary of its result writes through the documented hook `core.bulk.chunk_written`:
in this process by an exception, and in a child process by a real SIGKILL (the child shares the test database:
tests/ops/childdb.py), which leaves a half-written `running` run behind that nobody reads and the next swap removes.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
from decimal import Decimal

import pytest
from django.urls import reverse

from kechuang.core import bulk
from kechuang.enterprises.models import AnnualFigure
from kechuang.points import selectors, services
from kechuang.points.models import PointsResult, ScoringRun
from tests.ops.childdb import ChildDatabase
from tests.stopping import stopped_at_chunk

# Firm a's R&D doubled: the next run scores it differently from the fixture's run (a 36.2, b 11.4, c 5.4).
MORE_RD = Decimal("300")


def standings(user) -> list[tuple]:
    """What the selectors serve: the latest completed run's leaderboard as (name, points, rank)."""
    run = selectors.latest_run()
    rows = selectors.leaderboard(user, run, {}).values_list("enterprise__name", "points", "rank")
    return [(name[:3], points, rank) for name, points, rank in rows]


def page(client, uscc: str) -> tuple[str, ...]:
    """The leaderboard and the firm's points page, without the form tokens and script nonces (new on every
    render)."""
    return tuple(
        re.sub(r'(name="csrfmiddlewaretoken" value|nonce)="[^"]*"', "", client.get(url).content.decode())
        for url in (reverse("points:leaderboard"), reverse("points:firm", args=[uscc]))
    )


@pytest.mark.django_db
def test_a_run_stopped_half_way_leaves_the_previous_results(scored, client_for, monkeypatch):
    staff, a = scored["users"]["bureau_staff"], scored["a"]
    client = client_for(staff)
    before = standings(staff)
    assert before == [("太原甲", 36.2, 1), ("太原乙", 11.4, 2), ("泰州丙", 5.4, 3)]
    pages_before = page(client, a.uscc)
    AnnualFigure.objects.filter(enterprise=a, year=2024).update(rd_expense=MORE_RD)
    monkeypatch.setattr(bulk, "BATCH", 1)

    with stopped_at_chunk("points.score", 2), pytest.raises(RuntimeError, match="stopped half-way"):
        services.score_year(2024, user=staff)

    assert list(ScoringRun.objects.values_list("pk", "status")) == [(scored["run"].pk, "done")]
    assert standings(staff) == before
    assert page(client, a.uscc) == pages_before

    run = services.score_year(2024, user=staff)
    assert list(ScoringRun.objects.values_list("pk", "status")) == [(run.pk, "done")]
    after = standings(staff)
    assert after[0][0] == "太原甲" and after[0][1] > 36.2 and after[1:] == before[1:]
    leaderboard = page(client, a.uscc)[0]
    assert f"?run={run.pk}" in leaderboard and f"?run={scored['run'].pk}" not in leaderboard
    assert f'<td class="num">{after[0][1]}</td>' in leaderboard


@pytest.mark.django_db(transaction=True)
def test_a_killed_scoring_process_leaves_the_previous_results(scored, client_for, tmp_path):
    staff, a = scored["users"]["bureau_staff"], scored["a"]
    client = client_for(staff)
    old = scored["run"]
    before = standings(staff)
    pages_before = page(client, a.uscc)
    AnnualFigure.objects.filter(enterprise=a, year=2024).update(rd_expense=MORE_RD)
    database = ChildDatabase(tmp_path)

    child = database.python(
        "import os, signal\n"
        "from kechuang.core import bulk\n"
        "from kechuang.points.services import score_year\n"
        "bulk.BATCH = 1\n"
        "def kill(sender, label, rows, **kwargs):\n"
        "    if label == 'points.score' and rows == 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "bulk.chunk_written.connect(kill)\n"
        "score_year(2024)\n"
    )
    assert child.wait(timeout=120) == -signal.SIGKILL
    database.pull()

    # The killed run wrote two of its three results under its own id, and nobody reads them.
    half = ScoringRun.objects.get(status="running")
    assert PointsResult.objects.filter(run=half).count() == 2
    assert list(ScoringRun.objects.filter(status="done").values_list("pk", flat=True)) == [old.pk]
    assert standings(staff) == before
    assert page(client, a.uscc) == pages_before

    run = services.score_year(2024, user=staff, as_of=dt.date(2024, 12, 31))
    assert list(ScoringRun.objects.values_list("pk", "status")) == [(run.pk, "done")]  # both others gone
    assert PointsResult.objects.filter(run=run).count() == 3 and PointsResult.objects.count() == 3
    after = standings(staff)
    assert after[0][0] == "太原甲" and after[0][1] > 36.2 and after[1:] == before[1:]
