"""Password rules, lockout after repeated failures, idle timeout."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    "password, ok",
    [
        ("Kechuang@2026", True),
        ("abcdefgh12", False),
        ("Abcdefgh12", True),
        ("Ab1@", False),
        ("ABCDEFGH!!", False),
        ("abcdefgh!1", True),
    ],
)
def test_password_rules(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


@pytest.mark.django_db
def test_login_and_lockout(client, world, settings):
    from kechuang.accounts.models import User
    from kechuang.accounts.services import LOGIN_REFUSED

    settings.LOGIN_MAX_FAILURES = 3
    url = reverse("accounts:login")
    for _ in range(3):
        response = client.post(url, {"username": "bureau_staff", "password": "wrong-Password1"})
        assert response.status_code == 401 and LOGIN_REFUSED in response.content.decode()
    assert User.objects.get(username="bureau_staff").is_locked
    # Locked: even the right password is refused (with the same answer), and no session is created.
    response = client.post(url, {"username": "bureau_staff", "password": PASSWORD})
    assert response.status_code == 401 and LOGIN_REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session
    User.objects.filter(username="bureau_staff").update(locked_until=None)
    response = client.post(url, {"username": "bureau_staff", "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"]


@pytest.mark.django_db
def test_open_redirect_is_refused(client, world):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/", {"username": "bureau_staff", "password": PASSWORD}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_idle_timeout_logs_out(client_for, world, settings):
    client = client_for(world["users"]["bureau_staff"])
    assert client.get(reverse("enterprises:list")).status_code == 200
    session = client.session
    session["last_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = client.get(reverse("enterprises:list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("enterprises:detail", args=[world["a"].uscc]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_token_page_issues_a_working_token_and_revokes_it(world, client_for, client):
    from kechuang.accounts.models import ApiToken

    staff = client_for(world["users"]["bureau_staff"])
    response = staff.post(reverse("accounts:tokens"), {"name": "对接"})
    key = response.context["new_key"]
    assert key.startswith("kc_") and ApiToken.objects.get().key_hash != key  # only a hash is stored
    staff.logout()
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    other = client_for(world["users"]["bureau_admin"])
    other.post(reverse("accounts:tokens"), {"revoke": ApiToken.objects.get().pk})  # not theirs: nothing happens
    assert ApiToken.objects.get().status == "active"
    other.logout()
    client_for(world["users"]["bureau_staff"]).post(reverse("accounts:tokens"), {"revoke": ApiToken.objects.get().pk})
    assert ApiToken.objects.get().status == "revoked"  # kept, with when and why
    client.logout()
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


@pytest.mark.django_db
def test_load_reference_command(ref, capsys):
    from kechuang import cli

    assert cli.main(["load_reference"]) == 0
    assert "已载入行政区划" in capsys.readouterr().out
