"""Shared fixtures: reference data, one user per role, and small enterprises with valid USCCs."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from stdnum.cn import uscc as uscc_std

PASSWORD = "Kechuang@2026"
ROLES = ("bureau_admin", "bureau_staff", "park_operator", "enterprise_user", "bank_user", "institution_user")
# Which of the `world` enterprises each role may see (enterprise_for): the scope of every page and API endpoint.
# Every scope rule is separated by some firm (tests/security/test_scopes.py pins each):
# - park operator: a and b are resident in its valley; c is resident in the *other* operator's incubator;
# - institution user (山西大学): b only through a team link (its origin_institution names another university),
#   c only through origin_institution (no team);
# - enterprise user: a only; the world holds figure submissions of a and of b.
VISIBLE = {
    "bureau_admin": {"a", "b", "c"},
    "bureau_staff": {"a", "b", "c"},
    "park_operator": {"a", "b"},
    "enterprise_user": {"a"},
    "bank_user": set(),
    "institution_user": {"b", "c"},
}


def bearer(user) -> dict:
    """Request headers with a fresh API token of `user`."""
    from kechuang.accounts.models import ApiToken

    _, key = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def make_uscc(n: int, region: str = "140105") -> str:
    """A valid USCC: 91 (company) + region + 9-char organisation code + check digit."""

    body = f"91{region}{n:08d}"
    org = body[8:]
    # The organisation-code part carries its own check character (GB 11714).
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    check = 11 - sum(alphabet.index(c) * w for c, w in zip(org, weights, strict=True)) % 11
    org += {10: "X", 11: "0"}.get(check, str(check))
    body = body[:8] + org
    return body + uscc_std.calc_check_digit(body)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from kechuang.core.reference import load_reference

    with django_db_blocker.unblock():
        load_reference()


@pytest.fixture
def ref(db):
    """Reference data, reloaded when a transactional test has flushed it."""
    from kechuang.core.models import Region
    from kechuang.core.reference import load_reference

    if not Region.objects.exists():
        load_reference()


@pytest.fixture
def world(ref):
    """Two enterprises in the valley, one outside, an institution spin-off, and one user per role."""
    from kechuang.accounts.models import Organisation, User
    from kechuang.carriers.models import Carrier, Residency, Team
    from kechuang.enterprises.models import AnnualFigure, Enterprise, FigureSubmission

    bureau = Organisation.objects.create(name="太原市科学技术局", kind="bureau")
    operator = Organisation.objects.create(name="晋创谷运营公司", kind="operator")
    other_operator = Organisation.objects.create(name="别的运营公司", kind="operator")
    bank = Organisation.objects.create(name="晋商银行", kind="bank")
    university = Organisation.objects.create(name="山西大学", kind="institution", in_province=True)
    valley = Carrier.objects.create(name="晋创谷·太原", kind="valley", operator=operator, region_id="140105")
    incubator = Carrier.objects.create(name="别的孵化器", kind="incubator", operator=other_operator)
    a = Enterprise.objects.create(
        uscc=make_uscc(1),
        name="太原甲科技有限公司",
        region_id="140105",
        industry_id="6513",
        registered_on=dt.date(2019, 3, 1),
        origin="local_startup",
    )
    b = Enterprise.objects.create(
        uscc=make_uscc(2),
        name="太原乙材料有限公司",
        region_id="140106",
        industry_id="3985",
        registered_on=dt.date(2021, 5, 1),
        origin="local_institution_team",
        origin_institution="太原理工大学",
    )
    c = Enterprise.objects.create(
        uscc=make_uscc(3),
        name="泰州丙医药有限公司",
        region_id="321202",
        industry_id="2710",
        registered_on=dt.date(2015, 1, 1),
        origin="other",
        origin_institution="山西大学",
    )
    Residency.objects.create(carrier=valley, enterprise=a, start=dt.date(2024, 1, 1))
    Residency.objects.create(carrier=valley, enterprise=b, start=dt.date(2024, 2, 1))
    Residency.objects.create(carrier=incubator, enterprise=c, start=dt.date(2023, 6, 1))
    Team.objects.create(name="某团队", institution=university, enterprise=b)
    for e, revenue in ((a, "3000"), (b, "800"), (c, "52000")):
        AnnualFigure.objects.create(
            enterprise=e, year=2024, staff_total=100, tech_staff=22, revenue=Decimal(revenue), rd_expense=Decimal("150")
        )
    orgs = {
        "bureau_admin": bureau,
        "bureau_staff": bureau,
        "park_operator": operator,
        "enterprise_user": None,
        "bank_user": bank,
        "institution_user": university,
    }
    users = {}
    for role in ROLES:
        user = User(
            username=role,
            role=role,
            organisation=orgs[role],
            enterprise=a if role == "enterprise_user" else None,
            display_name=role,
        )
        user.set_password(PASSWORD)
        user.save()
        users[role] = user
    # The audit administrator (三员分立): reads the audit log, nothing else. Not in ROLES: the business pages'
    # role tables predate it; tests/security/test_roles.py checks it against every page.
    auditor = User(username="audit_admin", role="audit_admin", organisation=bureau, display_name="审计管理员")
    auditor.set_password(PASSWORD)
    auditor.save()
    users["audit_admin"] = auditor
    # A pending submission of firm b (by b's own filer), beside any the tests make for a.
    filer_b = User.objects.create(username="enterprise_user_b", role="enterprise_user", enterprise=b)
    FigureSubmission.objects.create(enterprise=b, year=2024, data={"revenue": "820"}, submitted_by=filer_b)
    return {"a": a, "b": b, "c": c, "valley": valley, "incubator": incubator, "users": users, "bureau": bureau}


@pytest.fixture
def client_for(client):
    """Log a test client in as a user (force_login skips the password hasher: fast)."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def postgres_only(request):
    """Tests marked `postgres` need PostgreSQL: skipped with a message on SQLite, but a failure where the run
    must be on PostgreSQL (KECHUANG_REQUIRE_POSTGRES=1, set by `make test-postgres`), so CI cannot pass them
    silently."""
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if os.environ.get("KECHUANG_REQUIRE_POSTGRES") == "1":
        pytest.fail("此测试须在 PostgreSQL 上运行，但当前数据库是 " + connection.vendor)
    pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (SQLite serialises writes)")


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """PBKDF2's deliberate slowness is for production; tests hash six passwords per `world`. The browser
    tests' live server runs in this process, so it verifies with the same setting."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
