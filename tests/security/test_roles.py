"""Separation of duties (issue 20: 9) and user management (issue 21: 7): who may do what, all audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kechuang.accounts import services
from kechuang.accounts.models import Organisation, User
from kechuang.core.models import AuditEvent
from tests.conftest import ROLES

NEW_PASSWORD = "Xin@Mima2027"


# ---------------------------------------------------------------- the audit admin reads, and changes nothing


@pytest.mark.django_db
def test_the_audit_admin_reads_the_audit_log_and_nothing_else(client_for, world):
    client = client_for(world["users"]["audit_admin"])
    assert client.get("/").status_code == 302  # home is the audit log
    assert client.get(reverse("core:audit")).status_code == 200
    assert client.get(reverse("accounts:password")).status_code == 200
    html = client.get(reverse("core:audit")).content.decode()
    assert "用户管理" not in html and "企业库" not in html
    uscc = world["a"].uscc
    for url in (
        reverse("enterprises:list"),
        reverse("enterprises:detail", args=[uscc]),
        "/api/enterprises",
        reverse("policies:list"),
        reverse("points:home"),
        reverse("tiers:pipeline"),
        reverse("accounts:tokens"),
    ):
        assert client.get(url).status_code == 403, url
    before = (User.objects.count(), AuditEvent.objects.exclude(action__startswith="auth.").count())
    for url, data in (
        (reverse("accounts:user_new"), {"username": "x", "role": "bureau_admin"}),
        (reverse("accounts:user_action", args=[world["users"]["bureau_staff"].pk, "disable"]), {}),
        (reverse("enterprises:edit", args=[uscc]), {"name": "改名"}),
        (reverse("accounts:tokens"), {"name": "x"}),
    ):
        assert client.post(url, data).status_code in (403, 404), url
    assert (User.objects.count(), AuditEvent.objects.exclude(action__startswith="auth.").count()) == before


@pytest.mark.django_db
def test_bureau_admins_cannot_touch_the_audit_admin(world):
    admin, auditor = world["users"]["bureau_admin"], world["users"]["audit_admin"]
    with pytest.raises(PermissionDenied, match="命令行"):
        services.reset_password(actor=admin, user=auditor, new_password=NEW_PASSWORD)
    with pytest.raises(PermissionDenied):
        services.set_active(actor=admin, user=auditor, active=False)
    with pytest.raises(PermissionDenied):
        services.update_user(
            actor=admin,
            user=world["users"]["bureau_staff"],
            role="audit_admin",
            organisation=world["bureau"],
            enterprise=None,
            display_name="x",
        )
    with pytest.raises(PermissionDenied):
        services.create_user(
            actor=admin,
            username="aud2",
            display_name="",
            role="audit_admin",
            organisation=world["bureau"],
            password=NEW_PASSWORD,
        )
    assert User.objects.get(pk=auditor.pk).is_active


@pytest.mark.django_db
def test_audit_admin_accounts_come_from_the_command_line(world, monkeypatch, capsys):
    from kechuang import cli

    monkeypatch.setenv("KECHUANG_NEW_PASSWORD", NEW_PASSWORD)
    assert cli.main(["user", "create", "auditor2", "--role", "audit_admin", "--organisation", "太原市科学技术局"]) == 0
    user = User.objects.get(username="auditor2")
    assert user.role == "audit_admin" and user.must_change_password and user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.get(action="user.create", object_id=str(user.pk)).actor is None
    assert cli.main(["user", "create", "auditor3", "--role", "audit_admin", "--organisation", "晋商银行"]) == 2
    assert "不能担任审计管理员" in capsys.readouterr().err


# ---------------------------------------------------------------- user management (bureau admin)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*ROLES, "audit_admin"])
def test_only_bureau_admins_manage_users(role, client_for, world):
    client = client_for(world["users"][role])
    target = world["users"]["bank_user"]
    allowed = role == "bureau_admin"
    for url in (reverse("accounts:users"), reverse("accounts:user_new"), reverse("accounts:user", args=[target.pk])):
        assert client.get(url).status_code == (200 if allowed else 403), (role, url)
    response = client.post(reverse("accounts:user_action", args=[target.pk, "disable"]))
    assert response.status_code == (302 if allowed else 403)
    assert User.objects.get(pk=target.pk).is_active is not allowed
    nav = client.get(reverse("accounts:password")).content.decode()
    assert ("用户管理" in nav) is allowed


@pytest.mark.django_db
def test_create_a_user_with_role_and_scope(client_for, world, client):
    admin = client_for(world["users"]["bureau_admin"])
    url = reverse("accounts:user_new")
    # scope must fit the role: a park operator belongs to an operating company
    bank = Organisation.objects.get(name="晋商银行")
    response = admin.post(
        url,
        {
            "username": "op2",
            "display_name": "运营专员二",
            "role": "park_operator",
            "organisation": bank.pk,
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200 and "不能担任园区运营方" in response.content.decode()
    response = admin.post(
        url,
        {
            "username": "op2",
            "display_name": "运营专员二",
            "role": "park_operator",
            "organisation": bank.pk,
            "password": "short",
        },
    )
    assert "密码太短：至少需要 10 个字符。" in response.content.decode()
    response = admin.post(
        url,
        {
            "username": "filer",
            "display_name": "丙填报员",
            "role": "enterprise_user",
            "enterprise": world["c"].uscc,
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="filer")
    assert (user.role, user.enterprise_id, user.must_change_password) == ("enterprise_user", world["c"].pk, True)
    event = AuditEvent.objects.get(action="user.create")
    assert event.actor_name == "bureau_admin" and event.changes["role"] == [None, "enterprise_user"]
    assert event.changes["enterprise"] == [None, world["c"].uscc]
    admin.logout()
    client.post("/accounts/login/", {"username": "filer", "password": NEW_PASSWORD})
    assert client.get("/").url == reverse("accounts:password")  # chooses their own password first


@pytest.mark.django_db
def test_change_role_and_scope_disable_enable_reset(client_for, world):
    admin = client_for(world["users"]["bureau_admin"])
    target = world["users"]["institution_user"]
    url = reverse("accounts:user", args=[target.pk])
    operator = Organisation.objects.get(name="晋创谷运营公司")
    response = admin.post(url, {"display_name": "转岗", "role": "park_operator", "organisation": operator.pk})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.organisation_id) == ("park_operator", operator.pk)
    assert AuditEvent.objects.get(action="user.update").changes["role"] == ["institution_user", "park_operator"]
    admin.post(reverse("accounts:user_action", args=[target.pk, "disable"]))
    admin.post(reverse("accounts:user_action", args=[target.pk, "enable"]))
    admin.post(reverse("accounts:user_action", args=[target.pk, "password"]), {"password": "abc"})
    assert not User.objects.get(pk=target.pk).must_change_password  # refused: too short
    admin.post(reverse("accounts:user_action", args=[target.pk, "password"]), {"password": NEW_PASSWORD})
    target.refresh_from_db()
    assert target.must_change_password and target.check_password(NEW_PASSWORD)
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="user.").order_by("id")] == [
        "user.update",
        "user.disable",
        "user.enable",
        "user.password_reset",
    ]


@pytest.mark.django_db
def test_a_disabled_user_s_session_ends(client_for, world):
    staff = client_for(world["users"]["bureau_staff"])
    assert staff.get(reverse("enterprises:list")).status_code == 200
    services.set_active(actor=world["users"]["bureau_admin"], user=world["users"]["bureau_staff"], active=False)
    assert staff.get(reverse("enterprises:list")).status_code == 302


@pytest.mark.django_db
def test_an_admin_cannot_demote_or_disable_themselves(world):
    admin = world["users"]["bureau_admin"]
    with pytest.raises(PermissionDenied):
        services.update_user(
            actor=admin,
            user=admin,
            role="bureau_staff",
            organisation=world["bureau"],
            enterprise=None,
            display_name="x",
        )
    with pytest.raises(PermissionDenied):
        services.set_active(actor=admin, user=admin, active=False)
    with pytest.raises(ValidationError):
        services.update_user(
            actor=admin,
            user=world["users"]["bank_user"],
            role="enterprise_user",
            organisation=None,
            enterprise=None,
            display_name="x",
        )


# ---------------------------------------------------------------- maker, checker, payer


@pytest.mark.django_db
def test_no_one_both_prepares_and_completes_a_payout(pworld):
    from decimal import Decimal

    from kechuang.policies import services as payouts
    from kechuang.policies.models import BankAccount, Budget, Entitlement
    from tests.policies.conftest import AS_OF, policy

    payouts.run_eligibility("rd_subsidy", AS_OF)
    # an admin assembles (maker), another admin approves (checker), a third person records the payment
    maker = User.objects.create(username="maker_admin", role="bureau_admin", organisation=pworld["bureau"])
    checker = pworld["users"]["bureau_admin"]
    payer = User.objects.create(username="cashier", role="bureau_staff", organisation=pworld["bureau"])
    for e in Entitlement.objects.all():
        payouts.confirm_entitlement(user=maker, entitlement=e)
        BankAccount.objects.get_or_create(
            enterprise=e.enterprise,
            defaults={"account_name": e.enterprise.name, "bank_name": "晋商银行", "account_number": "6222020200112233"},
        )
    Budget.objects.filter(policy=policy("rd_subsidy"), year=2025).update(amount=Decimal("1000"))
    batch = payouts.assemble_batch(user=maker, policy=policy("rd_subsidy"), year=2025)
    with pytest.raises(ValidationError, match="审批人不能与经办人为同一人"):
        payouts.approve_batch(user=maker, batch_id=batch.pk)
    assert payouts.approve_batch(user=checker, batch_id=batch.pk).status == "approved"
    for who in (maker, checker):
        with pytest.raises(ValidationError, match="经办、审批、兑现登记须由三人分别完成"):
            payouts.mark_paid(user=who, batch_id=batch.pk)
    assert Budget.objects.get(policy=policy("rd_subsidy"), year=2025).paid == Decimal("0")
    assert payouts.mark_paid(user=payer, batch_id=batch.pk).status == "paid"
