"""Headers and pages (issue 20: 12): CSP without inline-script breakage, HTTPS in production and a clean
`check --deploy`, the CSRF failure page and password messages in Chinese, a page to change one's password."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kechuang.accounts.models import ApiToken, User
from kechuang.core.models import AuditEvent
from tests.conftest import PASSWORD, bearer

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "kechuang" / "templates"


@pytest.mark.django_db
def test_every_page_has_a_content_security_policy_and_inline_scripts_carry_its_nonce(client_for, world):
    client = client_for(world["users"]["bureau_admin"])
    response = client.get(reverse("enterprises:detail", args=[world["a"].uscc]))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)


def test_templates_have_no_inline_event_handlers_or_unnonced_scripts():
    """A handler attribute or a <script> block without the nonce would be blocked by the policy (forms set
    widget attributes in Python too)."""
    for path in TEMPLATES.parent.rglob("*.py"):
        assert not re.search(
            r"""attrs\[["']on[a-z]+["']\]|["']on(change|click|submit|input|load)["']\s*:""",
            path.read_text(encoding="utf-8"),
        ), path
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "javascript:" not in text, path
        for attrs in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
            assert "csp_nonce" in attrs, path


@pytest.mark.django_db
def test_csrf_failure_page_is_chinese(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["bureau_staff"])
    response = client.post(reverse("accounts:tokens"), {"name": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "请求已失效" in html and "CSRF" in html and "Forbidden" not in html
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "password, message",
    [
        ("Ab1@xyz", "密码太短：至少需要 10 个字符。"),
        ("bureau_staff@2026", "密码与用户名或姓名太相似。"),
        ("1234567890", "密码不能全为数字。"),
        ("password123", "密码过于常见，容易被猜中。"),
        ("abcdefghijkl", "密码须至少包含大写字母、小写字母、数字、符号中的三类。"),
    ],
)
def test_password_rules_speak_chinese(password, message):
    user = User(username="bureau_staff", display_name="科技局工作人员")
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user)
    assert message in exc.value.messages


@pytest.mark.django_db
def test_change_own_password(client, world):
    client.post("/accounts/login/", {"username": "park_operator", "password": PASSWORD})
    other = Client()
    other.post("/accounts/login/", {"username": "park_operator", "password": PASSWORD})  # another device
    headers = bearer(world["users"]["park_operator"])
    url = reverse("accounts:password")
    assert "原密码" in client.get(url).content.decode()
    response = client.post(
        url, {"old_password": "wrong", "new_password1": "Yuanqu@2027x", "new_password2": "Yuanqu@2027x"}
    )
    assert "原密码不正确" in response.content.decode()
    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": "park_operator1!A", "new_password2": "park_operator1!A"}
    )
    assert "密码与用户名或姓名太相似" in response.content.decode()
    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": "Yuanqu@2027x", "new_password2": "Yuanqu@2027x"}
    )
    assert response.status_code == 302
    assert client.get(reverse("enterprises:list")).status_code == 200  # this session stays
    assert other.get(reverse("enterprises:list")).status_code == 302  # the other device is signed out
    assert client.get("/api/enterprises", **headers).status_code in (200, 401)
    assert Client().get("/api/enterprises", **headers).status_code == 401  # tokens end
    assert AuditEvent.objects.filter(action="user.password_change", actor_name="park_operator").count() == 1


def _settings_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "KECHUANG_PRODUCTION")}
    env.update(extra)
    return env


def test_check_deploy_is_clean_in_production(tmp_path):
    env = _settings_env(
        KECHUANG_DATA_DIR=str(tmp_path),
        KECHUANG_PRODUCTION="1",
        SECRET_KEY="q8Zt3vLx9Pw2Rk7Ny4Hs6Jd1Fm5Gb0Cv8Xn3Tz6Wq2Ey7Ua4Io9Sl1Dk5Fj0Gh3",
        ALLOWED_HOSTS="kc.example.gov.cn",
    )
    result = subprocess.run(
        [sys.executable, "-m", "kechuang.cli", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_redirects_to_https_and_sends_hsts(tmp_path):
    code = (
        "import kechuang.settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    prod = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=_settings_env(KECHUANG_DATA_DIR=str(tmp_path), KECHUANG_PRODUCTION="1", SECRET_KEY="x" * 50),
    )
    assert prod.stdout.split() == ["True", "31536000", "True", "True", "True"]
    demo = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=_settings_env(KECHUANG_DATA_DIR=str(tmp_path)),
    )
    assert demo.stdout.split() == ["False", "0", "False", "False", "False"]


@pytest.mark.django_db
def test_https_redirect_and_hsts_header_when_on(client, world, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/accounts/login/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/accounts/login/"
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
