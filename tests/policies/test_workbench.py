"""The workbench (issue 21: 7): `/` lists what needs the user, counted by the owning apps' selectors (scoped by
role), each linking to its list filtered to what was counted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kechuang.core.models import Job
from kechuang.engine import clock
from kechuang.enterprises.models import Qualification
from kechuang.points.models import Alert
from kechuang.policies import services
from kechuang.policies.models import BankAccount, Entitlement
from tests.policies.conftest import AS_OF, policy

pytestmark = pytest.mark.django_db


def needs_of(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return {n.key: (n.count, n.url) for n in response.context["needs"]}


def test_workbench_counts_what_needs_each_role(pworld, client_for):
    users = pworld["users"]
    staff, admin = users["bureau_staff"], users["bureau_admin"]
    services.run_eligibility("rd_subsidy", AS_OF)  # a and b qualify (R&D 150 and 250), pending
    pending = Entitlement.objects.filter(status="pending").order_by("enterprise__uscc")
    assert pending.count() == 2
    first = pending.first()
    BankAccount.objects.create(
        enterprise=first.enterprise, account_name="甲", bank_name="晋商银行", account_number="621600000001"
    )
    services.confirm_entitlement(user=staff, entitlement=first)
    services.assemble_batch(user=staff, policy=policy("rd_subsidy"), year=AS_OF.year)
    Alert.objects.create(
        enterprise=pworld["a"],
        year=2024,
        rule="rd_drop",
        ruleset="x",
        severity="warning",
        label="研发下降",
        message="研发费用下降",
        created_at=timezone.now(),
    )
    Alert.objects.create(
        enterprise=pworld["b"],
        year=2024,
        rule="rd_drop",
        ruleset="x",
        severity="warning",
        label="研发下降",
        message="研发费用下降",
        status="acknowledged",
        created_at=timezone.now(),
    )
    today = clock.today()
    Qualification.objects.create(
        enterprise=pworld["c"],
        kind="hte_certificate",
        title="高企",
        issued_on=today - dt.timedelta(days=1000),
        expires_on=today + dt.timedelta(days=30),
    )
    Job.objects.create(
        kind="import_facts", title="导入 a.xlsx", created_by=staff, status="done", result={"rejected_rows": 3}
    )
    Job.objects.create(
        kind="import_facts", title="导入 b.xlsx", created_by=staff, status="done", result={"rejected_rows": 0}
    )
    Job.objects.create(kind="x", title="失败", created_by=staff, status="failed")
    Job.objects.create(kind="x", title="运行", created_by=admin, status="running")

    staff_needs = needs_of(client_for(staff))
    assert staff_needs == {
        "alerts": (1, "/points/alerts/?status=open"),
        "entitlements": (1, "/policies/entitlements/?status=pending"),
        "batches": (0, "/policies/batches/?status=approved"),
        "certificates": (1, "/tiers/expiring/"),
        "contracts": (0, "/techtransfer/contracts/?status=submitted"),
        "imports": (1, "/jobs/?rejected=1"),
        "running": (0, "/jobs/?status=running"),
        "failed": (1, "/jobs/?status=failed"),
    }
    admin_needs = needs_of(client_for(admin))
    assert admin_needs["batches"] == (1, "/policies/batches/?status=draft")
    assert (admin_needs["running"][0], admin_needs["failed"][0], admin_needs["imports"][0]) == (1, 0, 0)
    # a firm sees what it must do to be paid (its own entitlements to confirm, a bank account to register); no
    # alert inbox, batches, expiries, imports, nor job counters while it has started no background work
    firm = client_for(users["enterprise_user"])
    assert needs_of(firm) == {"to_confirm": (0, "/policies/mine/")}  # a's was confirmed above
    BankAccount.objects.filter(enterprise=pworld["a"]).delete()
    assert needs_of(firm) == {"to_confirm": (0, "/policies/mine/"), "bank_account": (1, "/policies/mine/bank-account/")}
    assert "可见企业" not in firm.get("/").content.decode()  # the registry overview is not a firm's
    # the links open the lists filtered to what was counted
    client = client_for(staff)
    assert "导入 a.xlsx" in client.get("/jobs/?rejected=1").content.decode()
    listed = client.get("/jobs/?rejected=1").content.decode()
    assert "导入 b.xlsx" not in listed and "失败" not in listed
    batches = client_for(admin).get("/policies/batches/?status=draft").context["page"].object_list
    assert [b.status for b in batches] == ["draft"]
