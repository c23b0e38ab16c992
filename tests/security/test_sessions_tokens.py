"""Sessions and API tokens (issue 20: 6; issue 14: `kechuang token create`)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from kechuang import cli
from kechuang.accounts import services
from kechuang.accounts.models import ApiToken, User
from kechuang.core.models import AuditEvent
from tests.conftest import bearer

API = "/api/enterprises"


def test_session_cookie_ends_with_the_browser_and_within_a_day():
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert django_settings.SESSION_COOKIE_AGE <= 24 * 3600
    assert django_settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_idle_timeout_applies_to_api_calls_with_the_session_cookie(client_for, world, settings):
    client = client_for(world["users"]["bureau_staff"])
    assert client.get(API).status_code == 200
    session = client.session
    session["last_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    assert client.get(API).status_code == 401
    assert client.get(reverse("enterprises:list")).status_code == 302  # and the session is gone for pages too
    assert AuditEvent.objects.filter(action="auth.idle_logout", actor_name="bureau_staff").count() == 1


@pytest.mark.django_db
def test_a_token_expires(client, world):
    token, key = services.issue_token(
        actor=world["users"]["bureau_staff"], user=world["users"]["bureau_staff"], name="对接", days=30
    )
    assert token.expires_at.date() == (timezone.now() + dt.timedelta(days=30)).date()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(API, **auth).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(API, **auth).status_code == 401
    assert AuditEvent.objects.get(action="auth.token_failed").note.startswith("令牌已过期")


@pytest.mark.django_db
def test_a_token_records_its_last_use(client, world):
    token, key = services.issue_token(actor=None, user=world["users"]["bureau_staff"])
    assert token.last_used_at is None and token.expires_at > timezone.now() + dt.timedelta(days=89)
    client.get(API, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["password", "disabled", "locked", "admin reset"])
def test_tokens_end_when_the_account_changes(client, world, change):
    staff = User.objects.get(username="bureau_staff")
    headers = bearer(staff)
    assert client.get(API, **headers).status_code == 200
    if change == "password":
        staff.set_password("Another@Pass2027")
        staff.save()
    elif change == "disabled":
        services.set_active(actor=world["users"]["bureau_admin"], user=staff, active=False)
    elif change == "locked":
        staff.locked_until = timezone.now() + dt.timedelta(minutes=15)
        staff.save(update_fields=["locked_until"])
    else:
        services.reset_password(actor=world["users"]["bureau_admin"], user=staff, new_password="Temp@Pass2027x")
    if change == "locked":  # the lock passes, the token stays ended
        User.objects.filter(pk=staff.pk).update(locked_until=None)
    elif change == "disabled":
        User.objects.filter(pk=staff.pk).update(is_active=True)
    assert client.get(API, **headers).status_code == 401
    token = ApiToken.objects.get(user=staff)
    assert token.status == "revoked" and token.revoked_reason
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).exists()


@pytest.mark.django_db
def test_a_lockout_from_wrong_passwords_ends_tokens(client, world, settings):
    settings.LOGIN_MAX_FAILURES = 2
    headers = bearer(world["users"]["bureau_staff"])
    for _ in range(2):
        client.post("/accounts/login/", {"username": "bureau_staff", "password": "Wrong-Pass1"})
    assert client.get(API, **headers).status_code == 401
    assert ApiToken.objects.get().revoked_reason == "账号已锁定"


@pytest.mark.django_db
def test_bad_tokens_count_against_the_address(client, world, settings):
    settings.LOGIN_ADDRESS_MAX_FAILURES = 3
    headers = bearer(world["users"]["bureau_staff"])
    for i in range(3):
        client.get(API, HTTP_AUTHORIZATION=f"Bearer kc_guess{i}", REMOTE_ADDR="203.0.113.50")
    assert client.get(API, REMOTE_ADDR="203.0.113.50", **headers).status_code == 401
    assert client.get(API, REMOTE_ADDR="203.0.113.51", **headers).status_code == 200


@pytest.mark.django_db
def test_token_page_lists_expiry_and_revokes_with_a_reason(client_for, world):
    staff = client_for(world["users"]["bureau_staff"])
    response = staff.post(reverse("accounts:tokens"), {"name": "报表", "days": "30"})
    assert response.status_code == 200 and response.context["new_key"].startswith("kc_")
    token = ApiToken.objects.get()
    html = staff.get(reverse("accounts:tokens")).content.decode()
    # The page shows the expiry in the bureau's time (Asia/Shanghai): eight hours ahead of UTC, another day after 16:00.
    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d") in html and "有效" in html
    staff.post(reverse("accounts:tokens"), {"revoke": token.pk})
    html = staff.get(reverse("accounts:tokens")).content.decode()
    assert "已撤销" in html and "本人撤销" in html
    assert [e.action for e in AuditEvent.objects.order_by("id")] == ["token.create", "token.revoke"]
    assert staff.post(reverse("accounts:tokens"), {"name": "x", "days": "9999"}).context["form"].errors


@pytest.mark.django_db
def test_a_bureau_admin_revokes_another_user_s_token(client_for, world):
    token, _key = services.issue_token(actor=None, user=world["users"]["park_operator"])
    url = reverse("accounts:user_action", args=[world["users"]["park_operator"].pk, "revoke"])
    assert client_for(world["users"]["bureau_staff"]).post(url, {"token": token.pk}).status_code == 403
    assert ApiToken.objects.get(pk=token.pk).status == "active"
    assert client_for(world["users"]["bureau_admin"]).post(url, {"token": token.pk}).status_code == 302
    token.refresh_from_db()
    assert token.status == "revoked" and token.revoked_reason == "管理员撤销"
    assert AuditEvent.objects.get(action="token.revoke").actor_name == "bureau_admin"


@pytest.mark.django_db
def test_token_create_command_prints_a_working_token(world, client, capsys):
    assert cli.main(["token", "create", "--user", "park_operator", "--days", "7"]) == 0
    out = capsys.readouterr()
    key = out.out.strip()
    assert key.startswith("kc_") and "有效期至" in out.err
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    token = ApiToken.objects.get()
    assert round((token.expires_at - token.created_at).total_seconds() / 86400) == 7
    event = AuditEvent.objects.get(action="token.create")
    assert event.actor is None and "命令行生成" in event.note and "park_operator" in event.note
    assert cli.main(["token", "create", "--user", "nobody"]) == 2
    assert cli.main(["token", "create", "--user", "park_operator", "--days", "4000"]) == 2
    assert "有效天数应在 1 到 365 之间" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_temporary_password_must_be_changed_first(client, world):
    staff = User.objects.get(username="bureau_staff")
    services.reset_password(actor=world["users"]["bureau_admin"], user=staff, new_password="Temp@Pass2027x")
    response = client.post("/accounts/login/", {"username": "bureau_staff", "password": "Temp@Pass2027x"})
    assert response.status_code == 302
    response = client.get(reverse("enterprises:list"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password")
    assert client.get(API).status_code == 403
    response = client.post(
        reverse("accounts:password"),
        {"old_password": "Temp@Pass2027x", "new_password1": "Mine@Only2027", "new_password2": "Mine@Only2027"},
    )
    assert response.status_code == 302
    assert client.get(reverse("enterprises:list")).status_code == 200
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="user.").order_by("id")] == [
        "user.password_reset",
        "user.password_change",
    ]
