"""Double submits (issue 20: 10): money-forming actions are idempotent. Four 组建兑现批次 posts at once make one
batch: the same form (double click) answers with that batch; separate forms are refused with the reason."""

from __future__ import annotations

import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from kechuang.policies import services
from kechuang.policies.models import BankAccount, Entitlement, PayoutBatch
from tests.policies.conftest import AS_OF

POSTS = 4


@pytest.fixture
def ready(pworld):
    """Confirmed rd_subsidy entitlements of a and b (5 + 10 万), both firms with bank accounts."""
    services.run_eligibility("rd_subsidy", AS_OF)
    staff = pworld["users"]["bureau_staff"]
    for e in Entitlement.objects.filter(enterprise__in=[pworld["a"], pworld["b"]]):
        services.confirm_entitlement(user=staff, entitlement=e)
        BankAccount.objects.create(
            enterprise=e.enterprise,
            account_name=e.enterprise.name,
            bank_name="晋商银行",
            account_number="6222020200112233",
        )
    return pworld


def _post(user, token):
    client = Client()
    client.force_login(user)
    return client.post(
        reverse("policies:batch_create", args=["rd_subsidy"]), {"year": 2025, "submit_token": str(token)}
    )


@pytest.mark.django_db
def test_the_same_form_twice_makes_one_batch(ready):
    staff = ready["users"]["bureau_staff"]
    token = uuid.uuid4()
    first, second = _post(staff, token), _post(staff, token)
    assert PayoutBatch.objects.count() == 1
    batch = PayoutBatch.objects.get()
    assert first["Location"] == second["Location"] == reverse("policies:batch", args=[batch.pk])
    assert (batch.count, batch.total) == (2, Decimal("15"))
    # another form (a new token) finds nothing left to batch
    third = _post(staff, uuid.uuid4())
    assert third["Location"] == reverse("policies:detail", args=["rd_subsidy"]) and PayoutBatch.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_form", [True, False], ids=["double click", "four forms"])
def test_parallel_posts_make_one_batch(ready, monkeypatch, same_form):
    # Hold each assembly's transaction open a little, so that without the lock all four read the same free
    # entitlements before any commits (what the probe saw: four batches each claiming every entitlement).
    record = services.audit.record

    def slow_record(**kwargs):
        time.sleep(0.3)
        return record(**kwargs)

    monkeypatch.setattr(services.audit, "record", slow_record)
    staff = ready["users"]["bureau_staff"]
    token = uuid.uuid4()
    barrier = threading.Barrier(POSTS)
    responses = []

    def post():
        try:
            barrier.wait()
            responses.append(_post(staff, token if same_form else uuid.uuid4()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(POSTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(responses) == POSTS and all(r.status_code == 302 for r in responses)
    batch = PayoutBatch.objects.get()
    assert (batch.count, batch.total) == (2, Decimal("15"))
    assert set(Entitlement.objects.filter(status="confirmed").values_list("batch", flat=True)) == {batch.pk}
    to_batch = sum(r["Location"] == reverse("policies:batch", args=[batch.pk]) for r in responses)
    assert to_batch == (POSTS if same_form else 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_eligibility_runs_grant_each_firm_once(pworld, monkeypatch):
    """Two 资格比对 of one policy started together (the form sent twice) create each entitlement once."""
    check = services.check_clawbacks

    def slow_check(*args, **kwargs):  # inside the run's transaction, after it has read what firms hold
        time.sleep(0.5)
        return check(*args, **kwargs)

    monkeypatch.setattr(services, "check_clawbacks", slow_check)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            services.run_eligibility("rd_subsidy", AS_OF, user=pworld["users"]["bureau_staff"])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    held = list(Entitlement.objects.values_list("enterprise_id", "year"))
    assert len(held) == len(set(held)) == 2  # a and b, once each
