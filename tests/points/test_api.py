"""The points API: every role against the firm history and the leaderboard (bank users see nothing, as on the
pages), exact stored values, filters, pagination, and 401/403/404 answers in Chinese."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kechuang.enterprises.models import AnnualFigure, Enterprise
from kechuang.points.services import score_year
from tests.conftest import ROLES, VISIBLE, bearer, make_uscc

pytestmark = pytest.mark.django_db

# The same scopes as the pages (tests/points/test_pages.py).
LEADERBOARD = {"bureau_admin": {"a", "b", "c"}, "bureau_staff": {"a", "b", "c"}, "park_operator": {"a", "b"}}
NO_POINTS = {"bank_user", "institution_user"}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_both_endpoints(role, scored, client):
    auth = bearer(scored["users"][role])
    board = client.get("/api/points/leaderboard", **auth)
    if role in LEADERBOARD:
        assert board.status_code == 200
        body = board.json()
        assert [i["uscc"] for i in body["items"]] == [scored[k].uscc for k in "abc" if k in LEADERBOARD[role]]
        assert (body["count"], body["page"], body["pages"]) == (len(LEADERBOARD[role]), 1, 1)
        assert (body["run_id"], body["year"], body["scheme_key"]) == (scored["run"].pk, 2024, "core18@2022-01-01")
    else:
        assert (board.status_code, board.json()) == (403, {"detail": "无权查看创新积分排行榜"})
    for key in "abc":
        response = client.get(f"/api/points/enterprises/{scored[key].uscc}", **auth)
        if role in NO_POINTS:  # the role has no points pages (accounts.access): 403 whatever the firm
            assert (response.status_code, response.json()) == (403, {"detail": "无权使用该功能"}), (role, key)
        elif key in VISIBLE[role]:
            assert response.status_code == 200, (role, key)
            body = response.json()
            assert body["uscc"] == scored[key].uscc and [r["year"] for r in body["results"]] == [2024]
        else:
            assert (response.status_code, response.json()) == (404, {"detail": "企业不存在或无权查看"}), (role, key)


def test_exact_values_of_a_points_result(scored, client):
    body = client.get(f"/api/points/enterprises/{scored['a'].uscc}", **bearer(scored["users"]["enterprise_user"]))
    (a,) = body.json()["results"]
    assert {k: v for k, v in a.items() if k not in ("indicators", "missing", "credit")} == {
        "run_id": scored["run"].pk,
        "year": 2024,
        "as_of": "2024-12-31",
        "scheme_id": "core18",
        "scheme_key": "core18@2022-01-01",
        "scheme_name": scored["run"].scheme_name,
        "stage": "growth",
        "stage_label": "成长期",
        "stage_size": 2,
        "points": 36.2,
        "rank": 1,
        "percentile": 100.0,
        "stage_rank": 1,
        "stage_percentile": 100.0,
        "list_id": None,
        "list_label": None,
        "carrier": "晋创谷·太原",
    }
    indicators = {i["id"]: i for i in a["indicators"]}
    assert indicators["rd_expense"] == {
        "id": "rd_expense",
        "label": "研发费用",
        "group": "技术创新",
        "kind": "weighted",
        "unit": "wan",
        "raw": 150.0,
        "contribution": 2.4,
        "max_points": 8.0,
        "stage_percentile": 0.0,
    }
    assert indicators["rd_ratio_revenue"]["contribution"] == 5.4
    assert indicators["tech_staff_ratio"]["contribution"] == 6.4
    assert indicators["invention_applications"]["raw"] is None
    assert indicators["invention_applications"]["stage_percentile"] is None
    assert "invention_applications" in a["missing"]
    # The indicative line is the finance product rule the bureau chose (finance_programme.indicative_credit_rule);
    # without a tier run the tiers it asks for are unknown, so the line is too.
    assert a["credit"] == {
        "rule": "points_loan_taiyuan@2024-01-01",
        "name": "创新积分贷（晋商银行）",
        "eligible": None,
        "amount": None,
        "explanation": "无法判断：“具备高企、科小、专精特新、创新型中小企业之一”所需的数据不全。",
    }


def test_history_has_the_latest_run_of_each_year(scored, client):
    staff = scored["users"]["bureau_staff"]
    first_2023 = score_year(2023, user=staff)
    later_2023 = score_year(2023, user=staff, as_of=dt.date(2024, 3, 31))
    body = client.get(f"/api/points/enterprises/{scored['b'].uscc}", **bearer(scored["users"]["park_operator"]))
    results = body.json()["results"]
    assert [(r["year"], r["run_id"]) for r in results] == [(2023, later_2023.pk), (2024, scored["run"].pk)]
    assert first_2023.pk != later_2023.pk
    assert [r["points"] for r in results][1] == 11.4


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["a", "b", "c"]),
        ({"stage": "growth"}, ["a", "b"]),
        ({"stage": "mature"}, ["c"]),
        ({"industry": "65"}, ["a"]),
        ({"region": "140100"}, ["a", "b"]),  # a city code covers its counties
        ({"region": "140106"}, ["b"]),
        ({"year": 2024, "stage": "growth", "region": "140105"}, ["a"]),
    ],
)
def test_leaderboard_filters(params, expected, scored, client):
    body = client.get("/api/points/leaderboard", params, **bearer(scored["users"]["bureau_admin"])).json()
    assert [i["uscc"] for i in body["items"]] == [scored[k].uscc for k in expected]
    assert body["count"] == len(expected)


def test_leaderboard_item_values_and_year(scored, client):
    auth = bearer(scored["users"]["park_operator"])
    b = client.get("/api/points/leaderboard", **auth).json()["items"][1]
    assert {k: v for k, v in b.items() if k != "missing"} == {
        "rank": 2,
        "uscc": scored["b"].uscc,
        "name": "太原乙材料有限公司",
        "stage": "growth",
        "stage_label": "成长期",
        "points": 11.4,
        "percentile": pytest.approx(200 / 3),
        "stage_rank": 2,
        "stage_percentile": 50.0,
        "list_id": None,
        "list_label": None,
        "carrier": "晋创谷·太原",
    }
    run_2023 = score_year(2023)
    body = client.get("/api/points/leaderboard", {"year": 2023}, **auth).json()
    assert body["run_id"] == run_2023.pk and body["year"] == 2023
    assert client.get("/api/points/leaderboard", **auth).json()["year"] == 2024  # default: the latest year
    missing = client.get("/api/points/leaderboard", {"year": 2030}, **auth)
    assert (missing.status_code, missing.json()) == (404, {"detail": "2030 年度尚无积分计算结果"})


def test_leaderboard_rejects_invalid_filters_in_chinese(scored, client):
    response = client.get("/api/points/leaderboard", {"industry": "65131"}, **bearer(scored["users"]["bureau_staff"]))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("筛选条件无效：industry: ")


def test_leaderboard_pages_of_fifty(scored, client):
    for n in range(10, 62):
        e = Enterprise.objects.create(uscc=make_uscc(n), name=f"企业{n}", region_id="140105", industry_id="6513")
        AnnualFigure.objects.create(enterprise=e, year=2024, revenue=Decimal(100 * n), rd_expense=Decimal(n))
    run = score_year(2024)
    auth = bearer(scored["users"]["bureau_staff"])
    first = client.get("/api/points/leaderboard", **auth).json()
    assert (first["run_id"], first["count"], first["page"], first["pages"], len(first["items"])) == (
        run.pk,
        55,
        1,
        2,
        50,
    )
    second = client.get("/api/points/leaderboard", {"page": 2}, **auth).json()
    assert (second["page"], len(second["items"])) == (2, 5)
    ranks = [i["rank"] for i in first["items"] + second["items"]]
    assert ranks == sorted(ranks) and len({i["uscc"] for i in first["items"] + second["items"]}) == 55
    assert client.get("/api/points/leaderboard", {"page": 9}, **auth).json()["page"] == 2  # past the end: last page
    # the park operator's valley holds a and b only; the new firms are not resident anywhere
    operator = client.get("/api/points/leaderboard", **bearer(scored["users"]["park_operator"])).json()
    assert (operator["count"], operator["pages"]) == (2, 1)
    assert {i["uscc"] for i in operator["items"]} == {scored["a"].uscc, scored["b"].uscc}


def test_no_run_yet(world, client):
    auth = bearer(world["users"]["bureau_staff"])
    response = client.get("/api/points/leaderboard", **auth)
    assert (response.status_code, response.json()) == (404, {"detail": "尚无积分计算结果"})
    body = client.get(f"/api/points/enterprises/{world['a'].uscc}", **auth).json()
    assert body == {"uscc": world["a"].uscc, "name": "太原甲科技有限公司", "results": []}


def test_no_token_is_401(scored, client):
    for url in ("/api/points/leaderboard", f"/api/points/enterprises/{scored['a'].uscc}"):
        assert client.get(url).status_code == 401
        assert client.get(url, HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_openapi_lists_the_points_paths(client):
    spec = client.get("/api/openapi.json").json()
    for path in ("/api/points/enterprises/{uscc}", "/api/points/leaderboard"):
        assert spec["paths"][path]["get"]["tags"] == ["创新积分"]
    params = {p["name"] for p in spec["paths"]["/api/points/leaderboard"]["get"]["parameters"]}
    assert params == {"year", "stage", "region", "industry", "page"}
    assert set(spec["components"]["schemas"]["LeaderboardPage"]["required"]) >= {"count", "page", "pages", "items"}
