"""The policies API: every role against the library, the entitlement list and one entitlement; exact values,
filters, pagination, and 401/403/404 answers in Chinese. Reads change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from kechuang.enterprises.models import AnnualFigure, Enterprise
from kechuang.policies import services
from kechuang.policies.models import Entitlement, Policy
from tests.conftest import ROLES, bearer, make_uscc
from tests.policies.conftest import AS_OF, policy
from tests.policies.test_permissions import state

pytestmark = pytest.mark.django_db

LIBRARY = {"bureau_admin", "bureau_staff", "park_operator"}
# The entitlement page (bureau, park operators: their carriers' firms) or 我的政策 (the enterprise user's own).
ENTITLEMENTS = {
    "bureau_admin": {"a", "b"},
    "bureau_staff": {"a", "b"},
    "park_operator": {"a", "b"},
    "enterprise_user": {"a"},
}


@pytest.fixture
def granted(pworld):
    """rd_subsidy as of 2025-06-30: a 5万 (pending), b 10万 (confirmed by the bureau); c fails rd_min."""
    services.run_eligibility("rd_subsidy", AS_OF)
    b = Entitlement.objects.get(enterprise=pworld["b"])
    services.confirm_entitlement(user=pworld["users"]["bureau_staff"], entitlement=b)
    return {**pworld, "ent_a": Entitlement.objects.get(enterprise=pworld["a"]), "ent_b": b}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_endpoint(role, granted, client):
    auth = bearer(granted["users"][role])
    before = state()
    library = client.get("/api/policies", **auth)
    if role in LIBRARY:
        assert library.status_code == 200
        assert [p["code"] for p in library.json()] == list(
            Policy.objects.order_by("code").values_list("code", flat=True)
        )
    else:
        assert (library.status_code, library.json()) == (403, {"detail": "无权查看政策库"})
    listing = client.get("/api/policies/entitlements", **auth)
    if role in ENTITLEMENTS:
        assert listing.status_code == 200
        body = listing.json()
        assert {i["uscc"] for i in body["items"]} == {granted[k].uscc for k in ENTITLEMENTS[role]}
        assert (body["count"], body["page"], body["pages"]) == (len(ENTITLEMENTS[role]), 1, 1)
    else:
        assert (listing.status_code, listing.json()) == (403, {"detail": "无权查看兑现资格"})
    for key in "ab":
        entitlement = granted[f"ent_{key}"]
        response = client.get(f"/api/policies/entitlements/{entitlement.pk}", **auth)
        if key in ENTITLEMENTS.get(role, set()):
            assert response.status_code == 200, (role, key)
            assert (response.json()["id"], response.json()["uscc"]) == (entitlement.pk, granted[key].uscc)
        else:
            assert (response.status_code, response.json()) == (404, {"detail": "兑现资格不存在或无权查看"}), (role, key)
    assert state() == before


def test_exact_values_of_an_entitlement(granted, client):
    b = granted["ent_b"]
    body = client.get(f"/api/policies/entitlements/{b.pk}", **bearer(granted["users"]["park_operator"])).json()
    assert body == {
        "id": b.pk,
        "uscc": granted["b"].uscc,
        "enterprise_name": "太原乙材料有限公司",
        "policy_code": "rd_subsidy",
        "policy_name": "企业研发费用分档补助",
        "version_id": "rd_subsidy@2024-01-01",
        "year": 2025,
        "as_of": "2025-06-30",
        "decided_amount": "10.0000",
        "amount": "10.0000",
        "status": "confirmed",
        "status_label": "已确认",
        "created_on": timezone.localdate(b.created_at).isoformat(),
        "stacked_by": "",
        "note": "",
        "confirmed_at": body["confirmed_at"],
        "conditions": [
            {"id": "tech_firm", "label": "科技型中小企业或高新技术企业", "outcome": True},
            {"id": "rd_min", "label": "上年度研发费用不低于50万元", "outcome": True},
            {"id": "amount_min", "label": "应享金额不低于政策下限", "outcome": True},
            {"id": "limit_reached", "label": "未超过每户/每年享受上限", "outcome": True},
        ],
        "facts": {
            "tier.tech_sme": None,
            "tier.high_tech": None,
            "hte_certified": True,
            "rd_expense": 250.0,
            "paid_before": 0,
            "paid_this_year": 0,
        },
    }
    b.refresh_from_db()
    assert body["confirmed_at"] is not None and Decimal(body["amount"]) == b.amount == Decimal("10")


def test_library_lists_published_versions_only(granted, client):
    services.add_version(
        user=granted["users"]["bureau_admin"],
        policy=policy("rd_subsidy"),
        changes={},
        effective_from=AS_OF,
        source="x",
        note="草稿",
        draft=True,
    )
    body = client.get("/api/policies", **bearer(granted["users"]["park_operator"])).json()
    rd = next(p for p in body if p["code"] == "rd_subsidy")
    assert rd == {
        "id": policy("rd_subsidy").pk,
        "code": "rd_subsidy",
        "name": "企业研发费用分档补助",
        "issuer": policy("rd_subsidy").issuer,
        "document": policy("rd_subsidy").document,
        "delivery": policy("rd_subsidy").delivery,
        "delivery_label": policy("rd_subsidy").get_delivery_display(),
        "package": policy("rd_subsidy").package,
        "measure": policy("rd_subsidy").measure,
        "stacking_group": policy("rd_subsidy").stacking_group,
        "current_version": "rd_subsidy@2024-01-01",
        "versions": [{"version_id": "rd_subsidy@2024-01-01", "effective_from": "2024-01-01", "effective_to": None}],
    }
    rent = next(p for p in body if p["code"] == "rent_refund")
    assert rent["versions"] == [
        {"version_id": "rent_refund@2024-01-01", "effective_from": "2024-01-01", "effective_to": "2028-12-31"}
    ]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["b", "a"]),  # same year and policy: by enterprise name
        ({"status": "confirmed"}, ["b"]),
        ({"status": "pending"}, ["a"]),
        ({"policy": "rd_subsidy"}, ["b", "a"]),
        ({"policy": "hte_reward"}, []),
        ({"year": 2025, "status": "pending"}, ["a"]),
        ({"year": 2024}, []),
    ],
)
def test_entitlement_filters(params, expected, granted, client):
    body = client.get("/api/policies/entitlements", params, **bearer(granted["users"]["bureau_staff"])).json()
    assert [i["uscc"] for i in body["items"]] == [granted[k].uscc for k in expected]
    assert body["count"] == len(expected)


def test_entitlement_list_item_values_and_invalid_status(granted, client):
    auth = bearer(granted["users"]["enterprise_user"])
    (item,) = client.get("/api/policies/entitlements", **auth).json()["items"]
    a = granted["ent_a"]
    assert item == {
        "id": a.pk,
        "uscc": granted["a"].uscc,
        "enterprise_name": "太原甲科技有限公司",
        "policy_code": "rd_subsidy",
        "policy_name": "企业研发费用分档补助",
        "version_id": "rd_subsidy@2024-01-01",
        "year": 2025,
        "as_of": "2025-06-30",
        "decided_amount": "5.0000",
        "amount": "5.0000",
        "status": "pending",
        "status_label": "待确认",
        "created_on": timezone.localdate(a.created_at).isoformat(),
    }
    response = client.get("/api/policies/entitlements", {"status": "granted"}, **auth)
    assert (response.status_code, response.json()) == (422, {"detail": "状态无效：granted"})


def test_entitlements_page_by_fifty(granted, client):
    for n in range(10, 63):
        e = Enterprise.objects.create(uscc=make_uscc(n), name=f"企业{n}", region_id="140105", industry_id="6513")
        AnnualFigure.objects.create(enterprise=e, year=2024, rd_expense=Decimal("150"), hte_certified=True)
    services.run_eligibility("rd_subsidy", AS_OF)
    assert Entitlement.objects.count() == 55
    auth = bearer(granted["users"]["bureau_admin"])
    first = client.get("/api/policies/entitlements", **auth).json()
    assert (first["count"], first["page"], first["pages"], len(first["items"])) == (55, 1, 2, 50)
    second = client.get("/api/policies/entitlements", {"page": 2}, **auth).json()
    assert (second["page"], len(second["items"])) == (2, 5)
    assert len({i["id"] for i in first["items"] + second["items"]}) == 55
    assert client.get("/api/policies/entitlements", {"page": 7}, **auth).json()["page"] == 2
    operator = client.get("/api/policies/entitlements", **bearer(granted["users"]["park_operator"])).json()
    assert (operator["count"], operator["pages"]) == (2, 1)


def test_unknown_entitlement_is_a_chinese_404(granted, client):
    response = client.get("/api/policies/entitlements/999999", **bearer(granted["users"]["bureau_admin"]))
    assert (response.status_code, response.json()) == (404, {"detail": "兑现资格不存在或无权查看"})


def test_no_token_is_401(granted, client):
    for url in ("/api/policies", "/api/policies/entitlements", f"/api/policies/entitlements/{granted['ent_a'].pk}"):
        assert client.get(url).status_code == 401
        assert client.get(url, HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_openapi_lists_the_policy_paths(client):
    spec = client.get("/api/openapi.json").json()
    for path in ("/api/policies", "/api/policies/entitlements", "/api/policies/entitlements/{pk}"):
        assert spec["paths"][path]["get"]["tags"] == ["政策"]
    params = {p["name"] for p in spec["paths"]["/api/policies/entitlements"]["get"]["parameters"]}
    assert params == {"status", "policy", "year", "page"}
    detail = spec["components"]["schemas"]["EntitlementDetail"]["properties"]
    assert detail["status"]["enum"] == ["pending", "confirmed", "approved", "paid", "stacked", "cancelled"]
    assert "conditions" in detail and "facts" in detail
