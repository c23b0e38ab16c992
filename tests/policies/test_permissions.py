"""Every role against every policy endpoint: allowed and denied, and a denied request changes nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from kechuang.core.models import AuditEvent, Job
from kechuang.policies import services
from kechuang.policies.models import BankAccount, Budget, Clawback, Entitlement, PayoutBatch
from kechuang.rules.models import RuleVersion
from tests.conftest import ROLES
from tests.policies.conftest import AS_OF, editor_post, policy, versions

BUREAU = {"bureau_admin", "bureau_staff"}
LIBRARY = BUREAU | {"park_operator"}


def state():
    return (
        list(RuleVersion.objects.filter(kind="policies").order_by("pk").values_list("pk", "status")),
        list(Entitlement.objects.order_by("pk").values_list("pk", "status", "amount", "batch_id")),
        list(PayoutBatch.objects.order_by("pk").values_list("pk", "status")),
        list(Budget.objects.order_by("pk").values_list("pk", "amount", "committed", "paid")),
        list(BankAccount.objects.values_list("enterprise_id", "account_number")),
        list(Clawback.objects.values_list("pk", "status")),
        AuditEvent.objects.count(),
        Job.objects.count(),
    )


@pytest.fixture
def setup(pworld):
    services.run_eligibility("rd_subsidy", AS_OF)
    staff = pworld["users"]["bureau_staff"]
    a = Entitlement.objects.get(enterprise=pworld["a"])
    b = Entitlement.objects.get(enterprise=pworld["b"])
    services.confirm_entitlement(user=staff, entitlement=b)
    BankAccount.objects.create(
        enterprise=pworld["b"], account_name="乙", bank_name="晋商银行", account_number="6222020200445566"
    )
    batch = services.assemble_batch(user=staff, policy=policy("rd_subsidy"), year=2025)
    approved = PayoutBatch.objects.create(
        policy=policy("rd_subsidy"), year=2025, title="已审批", status="approved", created_by=staff
    )
    clawback = Clawback.objects.create(entitlement=b, amount=b.amount, reason="测试")
    draft = services.add_version(
        user=pworld["users"]["bureau_admin"],
        policy=policy("rd_subsidy"),
        changes={},
        effective_from=AS_OF,
        source="x",
        note="草稿",
        draft=True,
    )
    return {
        **pworld,
        "ent_a": a,
        "ent_b": b,
        "batch": batch,
        "approved": approved,
        "clawback": clawback,
        "draft": draft,
    }


def reads(s):
    """(name, url, roles allowed: 200)."""
    return [
        ("list", reverse("policies:list"), LIBRARY),
        ("detail", reverse("policies:detail", args=["rd_subsidy"]), LIBRARY),
        ("version form", reverse("policies:version_add", args=["rd_subsidy"]), {"bureau_admin"}),
        ("entitlements", reverse("policies:entitlements"), LIBRARY),
        ("entitlements xlsx", reverse("policies:entitlements") + "?format=xlsx", LIBRARY),
        # a is resident in the operator's valley and is the enterprise user's own firm
        ("entitlement a", reverse("policies:entitlement", args=[s["ent_a"].pk]), LIBRARY | {"enterprise_user"}),
        ("entitlement b", reverse("policies:entitlement", args=[s["ent_b"].pk]), LIBRARY),
        ("replay a", reverse("policies:replay", args=[s["ent_a"].pk]), LIBRARY | {"enterprise_user"}),
        ("batches", reverse("policies:batches"), BUREAU),
        ("batch", reverse("policies:batch", args=[s["batch"].pk]), BUREAU),
        ("clawbacks", reverse("policies:clawbacks"), BUREAU),
        ("run", reverse("policies:run", args=[s["ent_a"].run_id]), BUREAU),
        ("mine", reverse("policies:mine"), {"enterprise_user"}),
        ("bank account", reverse("policies:bank_account"), {"enterprise_user"}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_reads(role, setup, client_for):
    client = client_for(setup["users"][role])
    before = state()
    for name, url, allowed in reads(setup):
        status = client.get(url).status_code
        if role in allowed:
            assert status == 200, (role, name)
        else:
            # out of scope for a role that may see entitlements: 404; a role without the page: 403
            assert status in (403, 404), (role, name, status)
            if name in ("entitlement b",) and role == "enterprise_user":
                assert status == 404
    assert state() == before


def writes(s):
    """(name, url, data, roles allowed to change something)."""
    return [
        (
            "add version",
            reverse("policies:version_add", args=["rd_subsidy"]),
            {
                "effective_from": "2026-01-01",
                "source": "文件",
                "note": "改",
                **editor_post(versions("rd_subsidy").get(status="published").value, kind="fixed", amount="6"),
            },
            {"bureau_admin"},
        ),
        ("publish", reverse("policies:version_publish", args=[s["draft"].pk]), {}, {"bureau_admin"}),
        (
            "simulate",
            reverse("policies:simulate", args=["rd_subsidy"]),
            {"version": s["draft"].pk, "as_of": "2025-06-30"},
            BUREAU,
        ),
        ("eligibility", reverse("policies:run_eligibility", args=["rd_subsidy"]), {"as_of": "2025-06-30"}, BUREAU),
        ("confirm a", reverse("policies:confirm", args=[s["ent_a"].pk]), {}, BUREAU | {"enterprise_user"}),
        ("batch new", reverse("policies:batch_create", args=["rd_subsidy"]), {"year": 2025}, set()),
        ("approve", reverse("policies:batch_approve", args=[s["batch"].pk]), {}, {"bureau_admin"}),
        ("refuse", reverse("policies:batch_refuse", args=[s["batch"].pk]), {"reason": "材料不全"}, {"bureau_admin"}),
        # the maker (bureau_staff) may not record the payment of its own batch: separation of duties
        ("paid", reverse("policies:batch_paid", args=[s["approved"].pk]), {}, {"bureau_admin"}),
        ("export", reverse("policies:batch_export", args=[s["approved"].pk]), None, BUREAU),
        (
            "clawback",
            reverse("policies:clawback_resolve", args=[s["clawback"].pk]),
            {"status": "waived"},
            {"bureau_admin"},
        ),
        ("check", reverse("policies:clawback_check", args=["rd_subsidy"]), {}, BUREAU),
        (
            "bank",
            reverse("policies:bank_account"),
            {"account_name": "甲", "bank_name": "晋商银行", "account_number": "6222020200112233"},
            {"enterprise_user"},
        ),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_writes(role, setup, client_for):
    client = client_for(setup["users"][role])
    for name, url, data, allowed in writes(setup):
        # each request runs in a savepoint that is rolled back, so every endpoint starts from the same state
        with transaction.atomic():
            before = state()
            response = client.get(url) if data is None else client.post(url, data)
            after = state()
            transaction.set_rollback(True)
        if role in allowed:
            assert response.status_code in (200, 302), (role, name)
            assert after != before, (role, name)  # the change (and its audit event or job) happened
        else:
            assert response.status_code in (302, 403, 404), (role, name)
            if response.status_code == 302:  # allowed to try, refused by a rule (maker–checker, nothing to batch)
                assert role in BUREAU, (role, name)
            assert after == before, (role, name)
