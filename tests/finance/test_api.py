"""The finance API, scoped per role: a bank sees its own products, the applications addressed to it and
consented data only; firms apply and grant or withdraw consent; documented status codes."""

from __future__ import annotations

import datetime as dt

import pytest

from kechuang.finance.models import Application, Consent, Loan
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


def get(client, user, url, **params):
    return client.get(url, params, **bearer(user))


def post(client, user, url, body):
    return client.post(url, body, content_type="application/json", **bearer(user))


def test_products_per_role(fworld, client):
    fworld["tech_loan"].status = "paused"
    fworld["tech_loan"].save()
    seen = {
        role: [p["code"] for p in get(client, user, "/api/finance/products").json()]
        for role, user in fworld["users"].items()
        if role != "audit_admin"
    }
    assert get(client, fworld["users"]["audit_admin"], "/api/finance/products").status_code == 403
    assert seen == {
        "bureau_admin": ["sx_tech", "js_points"],
        "bureau_staff": ["sx_tech", "js_points"],
        "park_operator": ["js_points"],
        "enterprise_user": ["js_points"],
        "bank_user": ["js_points"],
        "institution_user": ["js_points"],
    }
    assert get(client, fworld["bank_other"], "/api/finance/products").json()[0]["code"] == "sx_tech"
    one = get(client, fworld["users"]["enterprise_user"], "/api/finance/products/js_points").json()
    assert {k: one[k] for k in ("bank", "kind", "kind_label", "rule", "max_amount", "decision_days")} == {
        "bank": "晋商银行",
        "kind": "credit",
        "kind_label": "信用贷",
        "rule": "points_loan_taiyuan@2024-01-01",
        "max_amount": "1000",
        "decision_days": 5,
    }
    assert get(client, fworld["users"]["bank_user"], "/api/finance/products/sx_tech").status_code == 404


def test_applications_consents_and_loans_per_role(fworld, application, client):
    Loan.objects.create(
        bank=fworld["shanxi"],
        enterprise=fworld["b"],
        contract_no="SX-1",
        amount=100,
        rate=3.5,
        disbursed_on=dt.date(2026, 1, 5),
        maturity_on=dt.date(2027, 1, 5),
    )
    counts = {}
    for role, user in {
        **{r: u for r, u in fworld["users"].items() if r != "audit_admin"},
        "bank_other": fworld["bank_other"],
    }.items():
        apps = get(client, user, "/api/finance/applications")
        consents = get(client, user, "/api/finance/consents")
        loans = get(client, user, "/api/finance/loans")
        counts[role] = tuple(
            r.status_code if r.status_code != 200 else (r.json()["count"] if "count" in r.json() else len(r.json()))
            for r in (apps, consents, loans)
        )
    assert counts == {
        "bureau_admin": (1, 1, 1),
        "bureau_staff": (1, 1, 1),
        "park_operator": (403, 403, 403),
        "enterprise_user": (1, 1, 0),
        "bank_user": (1, 1, 0),
        "institution_user": (403, 403, 403),
        "bank_other": (0, 0, 1),
    }
    one = get(client, fworld["users"]["bank_user"], f"/api/finance/applications/{application.pk}").json()
    assert (one["deadline_on"], one["decision_days"], one["late"], one["status_label"]) == (
        "2026-10-13",
        5,
        True,
        "已受理",
    )  # today (the build date) is past 2026-10-13 and it is undecided
    assert get(client, fworld["bank_other"], f"/api/finance/applications/{application.pk}").status_code == 404


def test_a_firm_applies_and_the_bank_steps_through_the_api(fworld, client):
    firm = fworld["users"]["enterprise_user"]
    body = {
        "product": "js_points",
        "amount": "250",
        "term_months": 12,
        "purpose": "订单生产备货",
        "scopes": ["points", "figures"],
        "months": 6,
    }
    response = post(client, firm, "/api/finance/applications", body)
    assert response.status_code == 201
    created = response.json()
    assert (created["status"], created["amount"], created["bank"]) == ("received", "250.0000", "晋商银行")
    assert post(client, fworld["users"]["bank_user"], "/api/finance/applications", body).status_code == 403
    assert post(client, firm, "/api/finance/applications", {**body, "amount": "5000"}).json() == {
        "detail": "申请金额 5000.00 万元超过本产品单户上限 1000.00 万元"
    }
    url = f"/api/finance/applications/{created['id']}/steps"
    assert post(client, fworld["bank_other"], url, {"target": "due_diligence"}).status_code == 404
    refused = post(client, fworld["users"]["bank_user"], url, {"target": "declined"})
    assert (refused.status_code, refused.json()) == (400, {"detail": "不予批准须填写原因"})
    done = post(client, fworld["users"]["bank_user"], url, {"target": "declined", "reason": "征信有逾期"})
    assert (done.status_code, done.json()["status"], done.json()["decision_reason"]) == (200, "declined", "征信有逾期")
    assert Application.objects.get().status == "declined"


def test_withdrawing_through_the_api_closes_the_banks_read_at_once(fworld, client):
    firm, bank = fworld["users"]["enterprise_user"], fworld["users"]["bank_user"]
    made = post(client, firm, "/api/finance/consents", {"bank": "晋商银行", "scopes": ["points", "tiers"], "months": 3})
    assert made.status_code == 201 and made.json()["live"] is True
    url = f"/api/finance/firms/{fworld['a'].uscc}/tiers"
    assert get(client, bank, url).status_code == 200
    withdrawn = post(client, firm, f"/api/finance/consents/{made.json()['id']}/withdraw", {})
    assert withdrawn.json()["live"] is False
    assert get(client, bank, url).status_code == 404
    assert post(client, bank, f"/api/finance/consents/{made.json()['id']}/withdraw", {}).status_code == 403
    assert (
        post(
            client, firm, "/api/finance/consents", {"bank": "不存在银行", "scopes": ["points"], "months": 3}
        ).status_code
        == 400
    )
    assert Consent.objects.count() == 1


def test_the_finder_for_the_firm_and_the_bureau_only(fworld, client):
    firm = get(client, fworld["users"]["enterprise_user"], "/api/finance/finder")
    assert firm.status_code == 200
    assert {r["product"] for r in firm.json()} == {"js_points", "sx_tech"}
    assert get(client, fworld["users"]["bureau_staff"], "/api/finance/finder", uscc=fworld["a"].uscc).status_code == 200
    for role in ("bank_user", "park_operator", "institution_user"):
        assert get(client, fworld["users"][role], "/api/finance/finder").status_code == 403
