"""An eligibility run stopped half-way leaves the previous results in force; a completed run then replaces them.

The run is stopped at a chunk boundary of its writes through the documented hook `core.bulk.chunk_written` (an
exception, as a crash would stop it): its entitlements, near misses, run row and audit events are all one
transaction, so none of it is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from kechuang.core import bulk
from kechuang.core.models import AuditEvent
from kechuang.enterprises.models import AnnualFigure
from kechuang.policies import services
from kechuang.policies.models import EligibilityResult, EligibilityRun, Entitlement
from tests.policies.conftest import AS_OF


def state() -> tuple:
    """Every run, entitlement, near miss and audit event, as the pages and selectors read them."""
    return (
        list(EligibilityRun.objects.order_by("pk").values_list("pk", "firms", "eligible", "created", "total")),
        sorted(Entitlement.objects.values_list("enterprise__name", "amount", "status", "run_id")),
        sorted(EligibilityResult.objects.values_list("enterprise__name", "eligible", "failed", "run_id")),
        AuditEvent.objects.count(),
    )


def pages(client, run) -> tuple[str, ...]:
    return tuple(
        re.sub(r'(name="csrfmiddlewaretoken" value|nonce)="[^"]*"', "", client.get(url).content.decode())
        for url in (reverse("policies:entitlements"), reverse("policies:run", args=[run.pk]))
    )


@pytest.mark.django_db
def test_an_eligibility_run_stopped_half_way_leaves_the_previous_results(pworld, client_for, monkeypatch):
    staff, b = pworld["users"]["bureau_staff"], pworld["b"]
    client = client_for(staff)
    # 高企首次认定奖励 (as tests/policies/test_eligibility.py): a is granted, c is a near miss, b's date is unknown.
    AnnualFigure.objects.filter(enterprise=pworld["a"], year=2024).update(hte_certified_on=dt.date(2024, 3, 1))
    AnnualFigure.objects.filter(enterprise=pworld["c"], year=2024).update(hte_certified_on=dt.date(2022, 5, 1))
    first = services.run_eligibility("hte_reward", AS_OF, user=staff)
    before = state()
    assert [(name[:3], amount) for name, amount, *_ in before[1]] == [("太原甲", Decimal("10"))]
    assert [(name[:3], eligible, failed) for name, eligible, failed, _ in before[2]] == [
        ("太原乙", "unknown", ""),
        ("泰州丙", "false", "certified_that_year"),
    ]
    pages_before = pages(client, first)
    # b's certificate date is now known (first certified in 2024): the next run grants it too.
    AnnualFigure.objects.filter(enterprise=b, year=2024).update(hte_certified_on=dt.date(2024, 3, 1))
    monkeypatch.setattr(bulk, "BATCH", 1)

    def stop(sender, label, rows, **kwargs):
        if label == "policies.eligibility":
            raise RuntimeError("stopped half-way")

    bulk.chunk_written.connect(stop)
    try:
        with pytest.raises(RuntimeError, match="stopped half-way"):
            services.run_eligibility("hte_reward", AS_OF + dt.timedelta(days=1), user=staff)
    finally:
        bulk.chunk_written.disconnect(stop)

    assert state() == before
    assert pages(client, first) == pages_before

    second = services.run_eligibility("hte_reward", AS_OF + dt.timedelta(days=1), user=staff)
    assert (second.created, second.total) == (1, Decimal("10"))
    granted = Entitlement.objects.get(enterprise=b)
    assert (granted.amount, granted.run_id) == (Decimal("10"), second.pk)
    near = EligibilityResult.objects.filter(run=second).values_list("enterprise__name", "eligible", "failed")
    assert [(name[:3], e, f) for name, e, f in near] == [("泰州丙", "false", "certified_that_year")]
    assert b.name in pages(client, second)[0]
