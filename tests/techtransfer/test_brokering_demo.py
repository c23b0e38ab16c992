"""The demo's brokering: 200 cases in every stage with consistent dates, 105 conversions on registered contracts,
two patents brokered between firms, 10 events with attendees, and the demo firm's case in 洽谈."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count

from kechuang.demo import brokering, supply
from kechuang.techtransfer import brokerselectors, brokerservices
from kechuang.techtransfer.brokering import STAGES
from kechuang.techtransfer.models import BrokerCase, CaseMeeting, MatchFeedback, MatchmakingEvent, TechContract
from tests.techtransfer.test_supply_demo import REGION, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(world):
    supply.build(REGION, progress=lambda _: None, today=TODAY)
    firms = [world["a"], world["b"], world["c"]]
    TechContract.objects.bulk_create(
        TechContract(
            contract_no=f"HT{i:05d}",
            project="中试工艺开发",
            type="development",
            seller_name="山西大学",
            seller_uscc="12140000405200013X",
            buyer_name=firms[i % 3].name,
            buyer_uscc=firms[i % 3].uscc,
            signed_on=dt.date(2025, 1, 1) + dt.timedelta(days=i),
            total_amount=Decimal("100"),
            status="registered",
            received_on=dt.date(2025, 2, 1) + dt.timedelta(days=i),
            due_on=dt.date(2025, 3, 1) + dt.timedelta(days=i),
            registration_no=f"1401052025{i:06d}",
            tech_amount=Decimal("80"),
            decided_on=dt.date(2025, 2, 20) + dt.timedelta(days=i),
        )
        for i in range(130)
    )
    return brokering.build(REGION, progress=lambda _: None, today=TODAY)


def test_cases_in_every_stage_at_the_seeds_scale(built):
    assert built == {"broker_cases": 200, "matchmaking_events": 10}
    stages = dict(BrokerCase.objects.values_list("stage").annotate(n=Count("pk")))
    assert stages == {
        "matched": 12,
        "introduced": 10,
        "assigned": 8,
        "negotiating": 18,
        "signed": 12,
        "registered": 15,
        "converted": 105,
        "terminated": 20,
    }
    total = brokerselectors.funnel_view("field")["total"]
    pins = set(MatchFeedback.objects.filter(action="pin").values_list("need_id", "achievement_id"))
    uncased = pins - set(BrokerCase.objects.values_list("need_id", "achievement_id"))
    assert (total["matches"], total["converted"]) == (200 + len(uncased), 105) and len(uncased) > 30
    assert BrokerCase.objects.filter(stage="terminated", termination_reason="").count() == 0
    patents = BrokerCase.objects.filter(kind="patent")
    assert patents.count() == 2 and all(p.seller_enterprise_id != p.enterprise_id for p in patents)


def test_stage_dates_follow_the_rules_the_services_keep(built):
    for case in BrokerCase.objects.select_related("contract"):
        dates = [getattr(case, f) for _s, f in STAGES if getattr(case, f) is not None]
        assert dates == sorted(dates), case.pk
        if case.introduced_on:
            assert case.opened_on <= case.buyer_consent_on <= case.introduced_on
            assert case.opened_on <= case.seller_consent_on <= case.introduced_on
        if case.registered_on:
            assert case.contract.status == "registered"
        assert (case.assigned_on is None) == (case.manager_id is None)
        if case.negotiating_on:
            assert case.meetings.exists()
    assert CaseMeeting.objects.filter(held_on__gt=TODAY).count() == 0


def test_events_have_attendees_and_outcomes(built):
    events = list(brokerselectors.events())
    assert len(events) == 10 and {e.kind for e in events} == {"matchmaking", "roadshow"}
    assert all(e.n_institutions >= 1 for e in events)
    for case in BrokerCase.objects.filter(event__isnull=False):
        assert case.event.held_on <= case.opened_on
        assert case.event.enterprises.filter(pk=case.enterprise_id).exists()
    assert BrokerCase.objects.filter(event__isnull=False).count() > 0
    assert MatchmakingEvent.objects.count() == 10


def test_the_demo_firm_negotiates_and_the_institution_user_may_move_it(world, built):
    pin = MatchFeedback.objects.filter(action="pin", need__enterprise=world["a"]).order_by("pk").first()
    own = BrokerCase.objects.get(need=pin.need, achievement=pin.achievement)
    assert own.stage == "negotiating"
    assert own.manager.institution.name == "山西大学"
    assert brokerservices.can_move(world["users"]["institution_user"], own)
    assert own in brokerselectors.cases_for(world["users"]["enterprise_user"])


def test_cases_and_pins_pair_a_need_with_one_of_its_best_matches(built):
    """Staff take a case up from a need's page: its achievement is one of the need's best matches, not any
    achievement of the same field."""
    from kechuang.techtransfer import supplymatching

    def best(need):
        return {pk for pk, _s, _r in supplymatching.ranked(supplymatching.need_text(need), brokering.BEST)}

    paired = BrokerCase.objects.filter(need__isnull=False, achievement__isnull=False).select_related("need")
    assert paired.count() > 60
    assert [c.pk for c in paired if c.achievement_id not in best(c.need)] == []
    pins = MatchFeedback.objects.filter(action="pin").select_related("need")
    assert [p.pk for p in pins if p.achievement_id not in best(p.need)] == []
