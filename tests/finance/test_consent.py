"""No bank reads a firm without a live consent — pages, exports and API — and a withdrawal closes access at once.
Every view under a consent is logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kechuang.finance import selectors, services
from kechuang.finance.models import Consent, ConsentAccess
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


def urls(uscc):
    return {
        "page": f"/finance/firms/{uscc}/",
        "export": f"/finance/firms/{uscc}/figures.xlsx",
        "api": f"/api/finance/firms/{uscc}/figures",
    }


def consent(fworld, scopes=("points", "tiers", "figures"), bank=None, months=6):
    return services.grant_consent(
        user=fworld["users"]["enterprise_user"],
        enterprise=fworld["a"],
        bank=bank or fworld["jinshang"],
        scopes=list(scopes),
        months=months,
    )


def reads(client, fworld, user):
    u = urls(fworld["a"].uscc)
    page = client.get(u["page"]).status_code
    export = client.get(u["export"]).status_code
    api = client.get(u["api"], **bearer(user)).status_code
    return page, export, api


def test_without_consent_a_bank_sees_nothing_of_the_firm(fworld, client_for):
    bank_user = fworld["users"]["bank_user"]
    assert reads(client_for(bank_user), fworld, bank_user) == (404, 404, 404)
    assert not ConsentAccess.objects.exists()
    assert "太原甲科技" not in client_for(bank_user).get("/finance/firms/").content.decode()


def test_a_live_consent_opens_what_it_covers_and_logs_every_view(fworld, client_for):
    consent(fworld)
    bank_user = fworld["users"]["bank_user"]
    client = client_for(bank_user)
    page = client.get(urls(fworld["a"].uscc)["page"])
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="scope-figures"' in body and 'data-testid="scope-tiers"' in body
    assert 'data-testid="scope-diagnosis"' not in body  # not granted
    assert reads(client, fworld, bank_user)[1:] == (200, 200)
    logged = list(ConsentAccess.objects.order_by("pk").values_list("scope", "channel", "user__username"))
    # the page shows three scopes (one row each), then one export and one API read of the figures
    assert logged == [
        ("points", "page", "bank_user"),
        ("tiers", "page", "bank_user"),
        ("figures", "page", "bank_user"),
        ("points", "page", "bank_user"),
        ("tiers", "page", "bank_user"),
        ("figures", "page", "bank_user"),
        ("figures", "export", "bank_user"),
        ("figures", "api", "bank_user"),
    ]


def test_a_scope_not_granted_is_not_served(fworld, client_for):
    consent(fworld, scopes=("points",))
    bank_user = fworld["users"]["bank_user"]
    client = client_for(bank_user)
    assert client.get(urls(fworld["a"].uscc)["page"]).status_code == 200
    assert reads(client, fworld, bank_user)[1:] == (404, 404)  # figures: neither export nor API
    assert client.get(f"/api/finance/firms/{fworld['a'].uscc}/points", **bearer(bank_user)).status_code == 200


def test_another_banks_consent_opens_nothing(fworld, client_for):
    consent(fworld, bank=fworld["shanxi"])
    bank_user = fworld["users"]["bank_user"]
    assert reads(client_for(bank_user), fworld, bank_user) == (404, 404, 404)
    other = fworld["bank_other"]
    assert reads(client_for(other), fworld, other) == (200, 200, 200)


def test_a_withdrawn_consent_closes_access_at_once(fworld, client_for):
    granted = consent(fworld)
    bank_user = fworld["users"]["bank_user"]
    client = client_for(bank_user)
    assert reads(client, fworld, bank_user) == (200, 200, 200)
    logged = ConsentAccess.objects.count()
    firm = client_for(fworld["users"]["enterprise_user"])
    response = firm.post(f"/finance/consents/{granted.pk}/withdraw/")
    assert response.status_code == 302
    client = client_for(bank_user)  # the bank's session is untouched: the very next read is refused
    assert reads(client, fworld, bank_user) == (404, 404, 404)
    assert ConsentAccess.objects.count() == logged
    assert Consent.objects.get(pk=granted.pk).withdrawn_at is not None
    assert not selectors.consented_firms(bank_user).exists()


def test_an_expired_consent_opens_nothing(fworld, client_for):
    granted = consent(fworld)
    Consent.objects.filter(pk=granted.pk).update(ends_on=timezone.localdate() - dt.timedelta(days=1))
    bank_user = fworld["users"]["bank_user"]
    assert reads(client_for(bank_user), fworld, bank_user) == (404, 404, 404)


@pytest.mark.parametrize(
    "role", ["bureau_admin", "bureau_staff", "park_operator", "enterprise_user", "institution_user"]
)
def test_only_bank_users_read_through_consents(fworld, client_for, role):
    consent(fworld)
    user = fworld["users"][role]
    assert reads(client_for(user), fworld, user) == (404, 404, 404)


def test_only_the_firm_or_the_bureau_withdraws(fworld, client_for):
    granted = consent(fworld)
    for role in ("bank_user", "park_operator", "institution_user"):
        client_for(fworld["users"][role]).post(f"/finance/consents/{granted.pk}/withdraw/")
    assert Consent.objects.get(pk=granted.pk).withdrawn_at is None
    client_for(fworld["users"]["bureau_staff"]).post(f"/finance/consents/{granted.pk}/withdraw/")
    assert Consent.objects.get(pk=granted.pk).withdrawn_at is not None


@pytest.mark.parametrize(
    ("scopes", "months", "message"),
    [
        ([], 6, "请至少选择一项授权查看的数据"),
        (["points", "salary"], 6, "不认识的授权范围：salary"),
        (["points"], 13, "授权期限不能超过 12 个月"),
        (["points"], 0, "授权期限至少 1 个月"),
    ],
)
def test_a_bad_consent_is_refused_in_chinese_and_nothing_is_written(fworld, scopes, months, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        consent(fworld, scopes=scopes, months=months)
    assert not Consent.objects.exists()


def test_the_firm_sees_who_viewed_its_data(fworld, client_for):
    consent(fworld)
    client_for(fworld["users"]["bank_user"]).get(urls(fworld["a"].uscc)["export"])
    page = client_for(fworld["users"]["enterprise_user"]).get("/finance/mine/").content.decode()
    assert 'data-testid="my-accesses"' in page and "年度经营数据" in page and "导出" in page
