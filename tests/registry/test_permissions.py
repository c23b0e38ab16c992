"""Every role against every list, detail, edit, export and API endpoint: what is allowed, and that a denied
request sees and changes nothing."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kechuang.accounts.models import ApiToken
from kechuang.core.models import AuditEvent
from kechuang.enterprises.models import AnnualFigure, Enterprise, FigureSubmission, Qualification
from tests.conftest import ROLES, VISIBLE

EDITORS = {"bureau_admin", "bureau_staff"}
EXPORTERS = {"bureau_admin", "bureau_staff", "park_operator"}


def snapshot():
    return (
        list(Enterprise.objects.order_by("pk").values()),
        list(AnnualFigure.objects.order_by("pk").values()),
        Qualification.objects.count(),
        FigureSubmission.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_list_and_detail_are_scoped(role, world, client_for):
    client = client_for(world["users"][role])
    page = client.get(reverse("enterprises:list")).content.decode()
    for key in ("a", "b", "c"):
        e = world[key]
        assert (e.uscc in page) == (key in VISIBLE[role]), (role, key)
        status = client.get(reverse("enterprises:detail", args=[e.uscc])).status_code
        assert status == (200 if key in VISIBLE[role] else 404), (role, key)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_profile_edit(role, world, client_for):
    client = client_for(world["users"][role])
    e = world["a"]
    before = snapshot()
    # The form posts every field; only the name differs from what is stored.
    response = client.post(
        reverse("enterprises:edit", args=[e.uscc]),
        {"name": "改名有限公司", "registered_on": "2019-03-01", "origin": "local_startup"},
    )
    if role in EDITORS:
        assert response.status_code == 302
        assert Enterprise.objects.get(pk=e.pk).name == "改名有限公司"
        event = AuditEvent.objects.get(action="enterprise.update", enterprise=e)
        assert event.changes == {"name": ["太原甲科技有限公司", "改名有限公司"]}
        assert event.actor == world["users"][role]
    else:
        assert response.status_code == 403
        assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_figures_edit_or_submit(role, world, client_for):
    client = client_for(world["users"][role])
    e = world["a"]
    before = snapshot()
    response = client.post(reverse("enterprises:figure_new", args=[e.uscc]), {"year": 2025, "revenue": "4000"})
    if role in EDITORS:
        assert response.status_code == 302
        assert AnnualFigure.objects.get(enterprise=e, year=2025).revenue == 4000
    elif role == "enterprise_user":
        assert response.status_code == 302
        submission = FigureSubmission.objects.get(enterprise=e)
        assert submission.data == {"revenue": "4000"} and submission.status == "submitted"
        assert not AnnualFigure.objects.filter(enterprise=e, year=2025).exists()
    else:
        assert response.status_code == 403
        assert snapshot() == before


@pytest.mark.django_db
def test_enterprise_user_cannot_submit_for_another_enterprise(world, client_for):
    client = client_for(world["users"]["enterprise_user"])
    before = snapshot()
    response = client.post(reverse("enterprises:figure_new", args=[world["b"].uscc]), {"year": 2025})
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_qualification_add(role, world, client_for):
    client = client_for(world["users"][role])
    before = snapshot()
    data = {
        "kind": "hte_certificate",
        "level": "national",
        "title": "高新技术企业证书",
        "number": "GR1",
        "issued_on": "2024-12-01",
        "expires_on": "2027-12-01",
    }
    response = client.post(reverse("enterprises:qualification_add", args=[world["a"].uscc]), data)
    if role in EDITORS:
        assert response.status_code == 302 and Qualification.objects.count() == 1
    else:
        assert response.status_code == 403 and snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_export_is_scoped(role, world, client_for):
    client = client_for(world["users"][role])
    response = client.get(reverse("enterprises:export"))
    if role not in EXPORTERS:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    usccs = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert usccs == {world[k].uscc for k in VISIBLE[role]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_import_page_and_template(role, world, client_for):
    client = client_for(world["users"][role])
    for name in ("enterprises:import", "enterprises:import_template"):
        assert client.get(reverse(name)).status_code == (200 if role in EDITORS else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_submission_review(role, world, client_for):
    from kechuang.enterprises import services

    submission = services.submit_figures(world["a"], 2025, {"revenue": 4000}, actor=world["users"]["enterprise_user"])
    client = client_for(world["users"][role])
    before = snapshot()
    response = client.post(reverse("enterprises:submission_review", args=[submission.pk]), {"decision": "confirm"})
    if role in EDITORS:
        assert response.status_code == 302
        submission.refresh_from_db()
        assert submission.status == "confirmed" and submission.reviewed_by == world["users"][role]
        assert AnnualFigure.objects.get(enterprise=world["a"], year=2025).revenue == 4000
        assert AuditEvent.objects.filter(action="submission.confirm", enterprise=world["a"]).count() == 1
    else:
        assert response.status_code == 403
        assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_is_scoped(role, world, client):
    _, key = ApiToken.issue(world["users"][role])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    listing = client.get("/api/enterprises", **auth)
    if role == "bank_user":  # no firm list (accounts.access): banks see firms through their finance consents
        assert (listing.status_code, listing.json()) == (403, {"detail": "无权使用该功能"})
    else:
        body = listing.json()
        assert {item["uscc"] for item in body["items"]} == {world[k].uscc for k in VISIBLE[role]}
        assert body["count"] == len(VISIBLE[role])
    for key_ in ("a", "b", "c"):
        uscc = world[key_].uscc
        expected = 200 if key_ in VISIBLE[role] else 404
        response = client.get(f"/api/enterprises/{uscc}", **auth)
        assert response.status_code == expected
        if expected == 404:
            assert response.json() == {"detail": "企业不存在或无权查看"}
        assert client.get(f"/api/enterprises/{uscc}/figures", **auth).status_code == expected
    before = snapshot()
    response = client.put(
        f"/api/enterprises/{world['a'].uscc}/figures/2025",
        data={"revenue": "4100"},
        content_type="application/json",
        **auth,
    )
    if role in EDITORS:
        assert response.status_code == 200 and response.json()["status"] == "saved"
        assert AnnualFigure.objects.get(enterprise=world["a"], year=2025).revenue == 4100
    elif role == "enterprise_user":
        assert response.json()["status"] == "submitted"
    else:
        assert response.status_code == 403
        assert snapshot() == before


@pytest.mark.django_db
def test_api_rejects_missing_or_wrong_token(world, client):
    assert client.get("/api/enterprises").status_code == 401
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


@pytest.mark.django_db
def test_api_validation_message_is_chinese_and_writes_nothing(world, client):
    _, key = ApiToken.issue(world["users"]["bureau_staff"])
    before = snapshot()
    response = client.put(
        f"/api/enterprises/{world['a'].uscc}/figures/2025",
        data={"revenue": "-5"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "营业收入：“-5”不能为负数"
    assert snapshot() == before


@pytest.mark.django_db
def test_openapi_document(world, client):
    spec = client.get("/api/openapi.json").json()
    assert "/api/enterprises" in spec["paths"] and "/api/enterprises/{uscc}/figures/{year}" in spec["paths"]
