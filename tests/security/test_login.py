"""One authentication path for every way in: lockout, per-address throttling, one answer, audit (issue 20: 1, 7)."""

from __future__ import annotations

import pytest
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse

from kechuang.accounts.models import User
from kechuang.accounts.services import LOGIN_REFUSED
from kechuang.core.models import AuditEvent
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
WRONG = "Wrong-Password1"


def _post(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _error(response) -> str:
    html = response.content.decode()
    return html.split('data-testid="login-error">', 1)[1].split("</p>", 1)[0] if "login-error" in html else ""


@pytest.mark.django_db
def test_admin_site_is_off_by_default(client, world):
    admin = world["users"]["bureau_admin"]
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    assert client.get("/admin/login/").status_code == 404
    assert client.post("/admin/login/", {"username": "bureau_admin", "password": PASSWORD}).status_code == 404
    client.force_login(admin)
    assert client.get("/admin/").status_code == 404


@pytest.mark.django_db
def test_admin_site_when_on_signs_in_through_the_login_page(client, world, settings):
    settings.ADMIN_ENABLED = True
    admin = world["users"]["bureau_admin"]
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    response = client.post("/admin/login/?next=/admin/", {"username": "bureau_admin", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session  # the admin's own form is never processed
    response = _post(client, "bureau_admin", PASSWORD)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_every_authenticate_call_counts_failures_and_honours_the_lock(world, settings):
    """The admin site's form (or anything else calling authenticate) locks and is refused like the login page."""
    settings.LOGIN_MAX_FAILURES = 3
    settings.ADMIN_ENABLED = True
    User.objects.filter(username="bureau_admin").update(is_staff=True, is_superuser=True)
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="10.0.0.2")
    for _ in range(3):
        assert authenticate(request, username="bureau_admin", password=WRONG) is None
    admin = User.objects.get(username="bureau_admin")
    assert admin.is_locked
    form = AdminAuthenticationForm(request, data={"username": "bureau_admin", "password": PASSWORD})
    assert not form.is_valid()
    assert AuditEvent.objects.filter(action="auth.login_failed", object_id=str(admin.pk)).count() == 4
    assert AuditEvent.objects.filter(action="auth.lockout", object_id=str(admin.pk)).count() == 1


@pytest.mark.django_db
def test_one_answer_for_every_refusal(client, world, settings):
    """Unknown name, wrong password, locked, disabled, blocked address: the same status and the same words."""
    settings.LOGIN_MAX_FAILURES = 2
    settings.LOGIN_ADDRESS_MAX_FAILURES = 100
    User.objects.filter(username="bank_user").update(is_active=False)
    answers = {
        "unknown": _post(client, "nobody_here", WRONG),
        "wrong": _post(client, "bureau_staff", WRONG),
        "disabled": _post(client, "bank_user", PASSWORD),
    }
    _post(client, "bureau_staff", WRONG)  # second failure: locked
    answers["locked"] = _post(client, "bureau_staff", PASSWORD)
    settings.LOGIN_ADDRESS_MAX_FAILURES = 1
    answers["blocked address"] = _post(client, "park_operator", PASSWORD)
    assert {name: (r.status_code, _error(r)) for name, r in answers.items()} == {
        name: (401, LOGIN_REFUSED) for name in answers
    }
    for word in ("锁定至", "已锁定", "不存在", "停用"):
        assert all(word not in _error(r) for r in answers.values())
    # The audit log, not the page, says which it was.
    notes = list(AuditEvent.objects.filter(action="auth.login_failed").order_by("id").values_list("note", flat=True))
    assert "用户名“nobody_here”：用户名不存在" in notes and "用户名“bank_user”：账号已停用" in notes
    assert any(n.startswith("用户名“bureau_staff”：账号已锁定") for n in notes)


@pytest.mark.django_db
def test_many_usernames_from_one_address_are_throttled(client, world, settings):
    settings.LOGIN_ADDRESS_MAX_FAILURES = 20
    for i in range(30):
        _post(client, f"guess{i}", WRONG, address="203.0.113.9")
    # The right password from that address is refused now; from another address it works.
    assert _post(client, "bureau_staff", PASSWORD, address="203.0.113.9").status_code == 401
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.address_blocked", address="203.0.113.9").count() == 1
    # attempts past the block are refused without an audit record each (the block itself is recorded)
    assert AuditEvent.objects.filter(action="auth.login_failed", address="203.0.113.9").count() == 20
    assert _post(client, "bureau_staff", PASSWORD, address="198.51.100.7").status_code == 302


@pytest.mark.django_db
def test_forwarded_for_is_believed_only_from_trusted_proxies(client, world, settings):
    settings.LOGIN_ADDRESS_MAX_FAILURES = 2
    for _ in range(2):
        client.post(LOGIN, {"username": "x", "password": WRONG}, REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    # Without a trusted proxy a client cannot escape its block by sending another X-Forwarded-For.
    response = client.post(
        LOGIN,
        {"username": "bureau_staff", "password": PASSWORD},
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR="5.6.7.8",
    )
    assert response.status_code == 401
    settings.TRUSTED_PROXY_COUNT = 1
    response = client.post(
        LOGIN,
        {"username": "bureau_staff", "password": PASSWORD},
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR="5.6.7.8",
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login").latest("id").address == "5.6.7.8"


@pytest.mark.django_db
def test_login_success_and_logout_are_audited_with_the_address(client, world):
    assert _post(client, "bureau_staff", PASSWORD, address="192.0.2.5").status_code == 302
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor_name, event.address, event.object_id) == (
        "bureau_staff",
        "192.0.2.5",
        str(world["users"]["bureau_staff"].pk),
    )
    client.post(reverse("accounts:logout"), REMOTE_ADDR="192.0.2.5")
    assert AuditEvent.objects.filter(action="auth.logout", actor_name="bureau_staff", address="192.0.2.5").exists()


@pytest.mark.django_db
def test_an_admin_unlocks_an_account_and_it_is_audited(client, client_for, world, settings):
    settings.LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        _post(client, "bureau_staff", WRONG)
    staff = User.objects.get(username="bureau_staff")
    assert staff.is_locked
    url = reverse("accounts:user_action", args=[staff.pk, "unlock"])
    # Nobody but a bureau admin may unlock.
    for role in ("park_operator", "bank_user", "audit_admin"):
        assert client_for(world["users"][role]).post(url).status_code == 403
    assert User.objects.get(pk=staff.pk).is_locked
    admin = client_for(world["users"]["bureau_admin"])
    assert admin.post(url).status_code == 302
    assert not User.objects.get(pk=staff.pk).is_locked
    event = AuditEvent.objects.get(action="user.unlock")
    assert event.actor_name == "bureau_admin" and event.changes["locked_until"][1] is None
    admin.logout()
    assert _post(client, "bureau_staff", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_locked_account_s_session_ends(client_for, world):
    from django.utils import timezone

    client = client_for(world["users"]["bureau_staff"])
    assert client.get(reverse("enterprises:list")).status_code == 200
    User.objects.filter(username="bureau_staff").update(locked_until=timezone.now() + timezone.timedelta(minutes=5))
    response = client.get(reverse("enterprises:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
