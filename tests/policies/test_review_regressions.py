"""Regressions from a review: stale batches, open redirects, internal events shown to firms, bad ids, and a sweep
of every page with odd query strings for every role (no 500s)."""

from decimal import Decimal

import pytest

from tests.policies.conftest import AS_OF, policy


@pytest.mark.django_db
def test_batch_whose_entitlements_changed_is_refused(pworld):
    from kechuang.accounts.models import User
    from kechuang.enterprises.models import AnnualFigure
    from kechuang.policies import services
    from kechuang.policies.models import BankAccount, Budget, Entitlement

    services.run_eligibility("rd_subsidy", AS_OF)
    staff = pworld["users"]["bureau_staff"]
    for key, number in (("a", "6222020200112233"), ("b", "6222020200445566")):
        BankAccount.objects.create(enterprise=pworld[key], account_name="x", bank_name="y", account_number=number)
        services.confirm_entitlement(user=staff, entitlement=Entitlement.objects.get(enterprise=pworld[key]))
    maker = pworld["users"]["bureau_admin"]
    checker = User.objects.create(username="admin2", role="bureau_admin", organisation=pworld["bureau"])
    batch = services.assemble_batch(user=maker, policy=policy("rd_subsidy"), year=2025)
    # firm a no longer qualifies: claw-back check cancels its confirmed entitlement in the draft batch
    AnnualFigure.objects.filter(enterprise=pworld["a"], year=2024).update(rd_expense=Decimal("1"))
    n = services.review_clawbacks(user=staff, policy=policy("rd_subsidy"))
    ea = Entitlement.objects.get(enterprise=pworld["a"])
    assert n >= 0 and ea.status == "cancelled"
    refused = services.approve_batch(user=checker, batch_id=batch.pk)
    ea.refresh_from_db()
    assert refused.status == "refused" and "重新组建" in refused.reason
    assert ea.status == "cancelled"
    assert Entitlement.objects.get(enterprise=pworld["b"]).status == "confirmed"
    assert Budget.objects.get(policy=policy("rd_subsidy"), year=2025).committed == 0


@pytest.mark.django_db
def test_open_redirect(world, client_for):
    from kechuang.points.models import Alert

    a = Alert.objects.create(
        enterprise=world["a"],
        year=2024,
        rule="r",
        ruleset="x",
        severity="info",
        label="l",
        message="m",
        created_at=__import__("django.utils.timezone").utils.timezone.now(),
    )
    c = client_for(world["users"]["bureau_staff"])
    r = c.post(f"/points/alerts/{a.pk}/acknowledge/", {"next": "https://evil.example/phish"})
    assert r.status_code == 302 and r["Location"] == "/points/alerts/"


URLS = [
    "/",
    "/enterprises/",
    "/enterprises/?page=abc",
    "/enterprises/?carrier=abc",
    "/enterprises/export/",
    "/enterprises/submissions/?status=zzz&page=abc",
    "/tiers/",
    "/tiers/?run=999999",
    "/tiers/?run=abc",
    "/tiers/near-misses/",
    "/tiers/near-misses/?format=xlsx",
    "/tiers/expiring/",
    "/tiers/expiring/?format=xlsx",
    "/tiers/parameters/",
    "/tiers/tier/high_tech/",
    "/tiers/tier/high_tech/?format=xlsx&run=999",
    "/tiers/results/999/replay/",
    "/points/",
    "/points/leaderboard/",
    "/points/leaderboard/?run=999999&page=abc",
    "/points/leaderboard/export/",
    "/points/alerts/?year=abc&page=x",
    "/points/alerts/export/",
    "/points/runs/",
    "/points/schemes/",
    "/points/schemes/core18/",
    "/points/schemes/nope/",
    "/policies/",
    "/policies/entitlements/?year=abc&status=zz",
    "/policies/entitlements/?format=xlsx",
    "/policies/batches/",
    "/policies/clawbacks/",
    "/policies/clawbacks/?format=xlsx",
    "/policies/mine/",
    "/policies/mine/bank-account/",
    "/policies/entitlements/999/",
    "/policies/simulations/999/",
    "/policies/runs/999/",
    "/policies/nope/",
    "/api/enterprises?page=abc",
    "/api/enterprises?carrier=abc",
    "/api/enterprises?page=0",
    "/api/enterprises?page=-5",
    "/api/enterprises?sort=zzz",
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["bureau_admin", "park_operator", "enterprise_user", "bank_user", "institution_user"])
def test_no_500_empty(role, world, client_for):
    c = client_for(world["users"][role])
    c.raise_request_exception = False
    bad = []
    for u in [
        *URLS,
        f"/points/firm/{world['a'].uscc}/",
        f"/points/firm/{world['a'].uscc}/?run=abc",
        f"/points/firm/{world['a'].uscc}/diagnosis/",
        f"/tiers/enterprise/{world['a'].uscc}/",
        f"/enterprises/{world['a'].uscc}/",
        f"/enterprises/{world['a'].uscc}/figures/2024/",
    ]:
        r = c.get(u)
        if r.status_code >= 500:
            bad.append((u, r.status_code))
    assert not bad


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["bureau_admin", "park_operator", "enterprise_user"])
def test_no_500_library(role, pworld, client_for):
    c = client_for(pworld["users"][role])
    c.raise_request_exception = False
    bad = []
    for u in [*URLS, "/policies/rd_subsidy/"]:
        r = c.get(u)
        if r.status_code >= 500:
            bad.append((u, r.status_code))
    assert not bad


@pytest.mark.django_db
def test_alert_leaks_to_enterprise_user_via_audit(world, client_for):
    from django.utils import timezone

    from kechuang.points import services
    from kechuang.points.models import Alert

    a = Alert.objects.create(
        enterprise=world["a"],
        year=2024,
        rule="r",
        ruleset="x",
        severity="critical",
        label="研发投入骤降预警",
        message="m",
        created_at=timezone.now(),
    )
    services.acknowledge_alert(a, user=world["users"]["bureau_staff"])
    c = client_for(world["users"]["enterprise_user"])
    assert c.get("/points/alerts/").status_code == 403
    body = c.get(f"/enterprises/{world['a'].uscc}/").content.decode()
    assert "研发投入骤降预警" not in body
    staff_body = client_for(world["users"]["bureau_staff"]).get(f"/enterprises/{world['a'].uscc}/").content.decode()
    assert "研发投入骤降预警" in staff_body


@pytest.mark.django_db
def test_token_revoke_bad(world, client_for):
    c = client_for(world["users"]["bureau_staff"])
    c.raise_request_exception = False
    r = c.post("/accounts/tokens/", {"revoke": "abc"})
    assert r.status_code == 302


@pytest.mark.django_db
def test_api_session_put_csrf(world):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(world["users"]["bureau_staff"])
    r = c.put(
        f"/api/enterprises/{world['a'].uscc}/figures/2024", data='{"staff_total": 5}', content_type="application/json"
    )
    assert r.status_code in (401, 403)
