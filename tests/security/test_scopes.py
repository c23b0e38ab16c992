"""Scopes the tests can tell apart (issue 20: 13). The shared `world` separates every scope rule (see
tests/conftest.py VISIBLE); each selector is pinned here role by role, so a planted scoping bug in any of them
fails (scripts/mutate_selectors.py plants them and shows it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kechuang.enterprises import selectors as registry
from kechuang.enterprises import services as registry_services
from kechuang.points import selectors as points_selectors
from kechuang.points.models import PointsResult, ScoringRun
from kechuang.policies import selectors as policy_selectors
from kechuang.policies import services as policy_services
from kechuang.tiers import selectors as tier_selectors
from kechuang.tiers.models import TierResult, TierRun
from tests.conftest import ROLES, VISIBLE
from tests.policies.conftest import AS_OF

EVERYONE = (*ROLES, "audit_admin")


def _keys(world, enterprises) -> set[str]:
    by_pk = {world[k].pk: k for k in ("a", "b", "c")}
    return {by_pk[pk] for pk in enterprises}


def test_the_world_separates_every_rule():
    # each rule has a firm on each side of it
    assert VISIBLE["park_operator"] == {"a", "b"}  # c lives in the other operator's carrier
    assert VISIBLE["institution_user"] == {"b", "c"}  # b by team only, c by origin only


@pytest.mark.django_db
@pytest.mark.parametrize("role", EVERYONE)
def test_enterprises_for(world, role):
    user = world["users"][role]
    assert _keys(world, registry.enterprises_for(user).values_list("pk", flat=True)) == VISIBLE.get(role, set())


@pytest.mark.django_db
def test_the_world_holds_each_separating_case(world):
    from kechuang.carriers.models import Residency, Team

    assert Residency.objects.get(enterprise=world["c"]).carrier.operator.name == "别的运营公司"
    assert not Team.objects.filter(enterprise=world["c"]).exists() and world["c"].origin_institution == "山西大学"
    assert Team.objects.filter(enterprise=world["b"]).exists() and world["b"].origin_institution != "山西大学"


@pytest.mark.django_db
@pytest.mark.parametrize("role", EVERYONE)
def test_submissions_for(world, role):
    registry_services.submit_figures(world["a"], 2025, {"revenue": 4000}, actor=world["users"]["enterprise_user"])
    seen = {s.enterprise_id for s in registry.submissions_for(world["users"][role])}
    expected = {"bureau_admin": {"a", "b"}, "bureau_staff": {"a", "b"}, "enterprise_user": {"a"}}.get(role, set())
    assert _keys(world, seen) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", EVERYONE)
def test_tier_and_points_results_follow_the_enterprise_scope(world, role):
    run = TierRun.objects.create(as_of=dt.date(2025, 6, 30), status=TierRun.Status.DONE)
    scoring = ScoringRun.objects.create(
        scheme_id="s", scheme_version="1", scheme_key="s@1", year=2024, as_of=dt.date(2025, 6, 30)
    )
    for key in ("a", "b", "c"):
        TierResult.objects.create(run=run, enterprise=world[key], tier="tsme", ruleset="r", qualified="true")
        PointsResult.objects.create(run=scoring, enterprise=world[key], points=10, rank=1)
    user = world["users"][role]
    expected = VISIBLE.get(role, set())
    assert _keys(world, tier_selectors.results_for(user).values_list("enterprise_id", flat=True)) == expected
    assert _keys(world, points_selectors.results_for(user).values_list("enterprise_id", flat=True)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", EVERYONE)
def test_entitlements_batches_and_ledger(pworld, role):
    from decimal import Decimal

    from kechuang.enterprises.models import AnnualFigure
    from kechuang.policies.models import PayoutBatch
    from tests.policies.conftest import policy

    AnnualFigure.objects.filter(enterprise=pworld["c"], year=2024).update(rd_expense=Decimal("300"))
    policy_services.run_eligibility("rd_subsidy", AS_OF)
    PayoutBatch.objects.create(
        policy=policy("rd_subsidy"), year=2025, title="批次", created_by=pworld["users"]["bureau_staff"]
    )
    user = pworld["users"][role]
    seen = _keys(pworld, policy_selectors.entitlements_for(user).values_list("enterprise_id", flat=True))
    bureau = role in ("bureau_admin", "bureau_staff")
    expected = {"park_operator": {"a", "b"}, "enterprise_user": {"a"}}.get(role, {"a", "b", "c"} if bureau else set())
    assert seen == expected
    assert policy_selectors.batches_for(user).count() == (1 if bureau else 0)
    assert policy_selectors.can_see_entitlements(user) is (bureau or role == "park_operator")
    assert points_selectors.can_view_leaderboard(user) is (bureau or role == "park_operator")
    # The alert inbox: the bureau's holds every alert, a park operator's its firms' (tests/security/test_access.py).
    assert points_selectors.alerts_inbox(user).query.is_empty() is not (bureau or role == "park_operator")


@pytest.mark.django_db
@pytest.mark.parametrize("role", EVERYONE)
def test_alerts_inbox(world, role):
    from kechuang.points.models import Alert

    for key in ("a", "b", "c"):
        Alert.objects.create(
            enterprise=world[key],
            year=2024,
            rule="rd_drop",
            ruleset="v1",
            severity="warning",
            label="研发下降",
            message="-",
            created_at=timezone.now(),
        )
    seen = _keys(world, points_selectors.alerts_inbox(world["users"][role]).values_list("enterprise_id", flat=True))
    bureau = role in ("bureau_admin", "bureau_staff")
    assert seen == ({"a", "b", "c"} if bureau else {"park_operator": {"a", "b"}}.get(role, set()))


@pytest.mark.django_db
def test_a_disabled_account_sees_nothing(world):
    staff = world["users"]["bureau_staff"]
    staff.is_active = False
    assert not registry.enterprises_for(staff).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", EVERYONE)
def test_figures_for(world, role):
    from django.http import Http404

    user = world["users"][role]
    for key in ("a", "b", "c"):
        if key in VISIBLE.get(role, set()):
            assert registry.figures_for(user, world[key]).count() == 1
        else:
            with pytest.raises(Http404):
                registry.figures_for(user, world[key])
