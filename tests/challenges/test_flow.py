"""A race from need to acceptance through the services: every step's record, the money, the audit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kechuang.challenges import services
from kechuang.challenges.models import Application, LedgerEntry, PoolSource, Tranche
from kechuang.core.models import AuditEvent

from .conftest import D

pytestmark = pytest.mark.django_db


def test_a_race_from_need_to_acceptance(cworld, racing, experts, pool):
    ch, teams = racing["challenge"], racing["teams"]
    staff, admin, admin2 = (cworld["users"][k] for k in ("bureau_staff", "bureau_admin", "bureau_admin2"))
    assert ch.stage == "implementing" and ch.race
    assert [t.score for t in teams] == [Decimal("90.00"), Decimal("80.00"), Decimal("70.00")]
    assert [t.rank for t in teams] == [1, 2, 3]
    assert ch.committed == Decimal("300") and ch.contracted_on == ch.notice_ends + D(days=2)
    # the panel of five left out the experts of 太原理工大学 and 山西大学 (applicants)
    excluded = {x["name"] for x in racing["panel"].draw["excluded"]}
    assert excluded == {"张一", "李二"}
    assert racing["panel"].members.count() == 5
    # first tranches paid in one batch, split 1:1:1
    batch = services.create_batch(user=staff, pool=pool)
    for t in teams:
        services.add_tranche_payment(user=staff, batch=batch, tranche=t.tranches.get(seq=1))
    services.approve_batch(user=admin, batch_id=batch.pk)
    assert [s.paid for s in PoolSource.objects.order_by("order")] == [Decimal("100")] * 3
    parts = LedgerEntry.objects.filter(kind="payment", tranche=teams[0].tranches.get(seq=1)).order_by("source__order")
    assert [p.amount for p in parts] == [Decimal("33.3334"), Decimal("33.3333"), Decimal("33.3333")]
    # milestone 1: reports, race review drops the weakest, merges none
    m1, m2 = ch.milestones.order_by("seq")
    for t in teams:
        services.report_milestone(user=t.submitted_by, team=t, milestone=m1, summary="样件完成", on=m1.due_on)
    review = services.race_review(
        user=staff,
        challenge=ch,
        milestone=m1,
        held_on=m1.due_on + D(days=5),
        experts=experts[2:5],
        staff="王科长",
        note="中期评审",
        decisions={
            teams[0].pk: {"decision": "continue", "score": "88"},
            teams[1].pk: {"decision": "continue", "score": "75"},
            teams[2].pk: {"decision": "eliminate", "score": "62", "reason": "得分最低，样件强度仅 430MPa"},
        },
    )
    assert [d.recommendation for d in review.decisions.order_by("application")] == ["continue", "continue", "eliminate"]
    teams[2].refresh_from_db()
    assert teams[2].status == "eliminated" and teams[2].out_reason == "得分最低，样件强度仅 430MPa"
    ch.refresh_from_db()
    assert ch.committed == Decimal("300")  # first tranches were all paid: nothing left to release
    # later tranches concentrate on the two still racing
    later = services.concentrate(user=staff, challenge=ch, milestone=m1, amount="200")
    assert [t.amount for t in later] == [Decimal("100"), Decimal("100")]
    batch2 = services.create_batch(user=staff, pool=pool)
    for t in later:
        services.add_tranche_payment(user=staff, batch=batch2, tranche=t)
    services.approve_batch(user=admin2, batch_id=batch2.pk)
    ch.refresh_from_db()
    assert (ch.committed, ch.paid) == (Decimal("500"), Decimal("500"))
    # acceptance against the published indicators: the winner passes, the challenge is accepted
    winner = teams[0]
    acc = services.record_acceptance(
        user=staff, team=winner, held_on=m2.due_on, experts=experts[5:8], measured={"i1": "520", "i2": "78"}
    )
    assert acc.outcome == "passed"
    ch = services.move(user=staff, challenge=ch, target="accepted", on=m2.due_on + D(days=1))
    assert Application.objects.get(pk=teams[1].pk).status == "eliminated"
    services.publish_results(user=staff, challenge=ch, summary="研制出抗拉强度 520MPa 的铝合金")
    assert AuditEvent.objects.filter(action="challenge.race_decision").count() == 3
    assert Tranche.objects.filter(application=teams[1]).count() == 2
