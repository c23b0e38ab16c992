"""The tiers API: every role against both endpoints, exact values of stored results and explanations, the
latest run only, and 401/404 answers in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest

from kechuang.tiers import services
from kechuang.tiers.models import TierResult
from tests.conftest import ROLES, VISIBLE, bearer
from tests.tiers.test_tiers_platform import AS_OF, worked_example

pytestmark = pytest.mark.django_db

ALL_TIERS = [
    "tech_sme",
    "high_tech",
    "innovative_sme",
    "specialized_sme",
    "potential_gazelle",
    "gazelle",
    "little_giant",
    "potential_unicorn",
    "unicorn",
]
NOT_VISIBLE = "企业不存在或无权查看"


@pytest.fixture
def evaluated(world):
    worked_example(world["a"])  # 64 points: a tech SME
    worked_example(world["b"], tech_staff=14)  # 56 points: fails only the score threshold
    worked_example(world["c"], staff_total=None)  # unknown staff: unknown
    return services.evaluate_all(AS_OF, user_id=world["users"]["bureau_staff"].pk)


def by_tier(body) -> dict:
    return {r["tier"]: r for r in body["results"]}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_tiers_of_exactly_the_enterprises_it_may_see(role, world, evaluated, client):
    auth = bearer(world["users"][role])
    for key in "abc":
        uscc = world[key].uscc
        results = client.get(f"/api/tiers/enterprises/{uscc}", **auth)
        explanation = client.get(f"/api/tiers/enterprises/{uscc}/explanation/tech_sme", **auth)
        if key in VISIBLE[role]:
            assert (results.status_code, explanation.status_code) == (200, 200), (role, key)
            body = results.json()
            assert (body["uscc"], body["run_id"], body["as_of"]) == (uscc, evaluated.pk, "2025-06-30")
            assert [r["tier"] for r in body["results"]] == ALL_TIERS  # pipeline order
            assert explanation.json()["uscc"] == uscc
        else:
            assert (results.status_code, explanation.status_code) == (404, 404), (role, key)
            assert results.json() == explanation.json() == {"detail": NOT_VISIBLE}


def test_exact_values_of_a_qualified_and_a_failed_result(world, evaluated, client):
    auth = bearer(world["users"]["bureau_staff"])
    version = evaluated.rulesets["tech_sme"].split("@")[1]
    a = by_tier(client.get(f"/api/tiers/enterprises/{world['a'].uscc}", **auth).json())["tech_sme"]
    assert a == {
        "tier": "tech_sme",
        "tier_label": "科技型中小企业",
        "qualified": "true",
        "qualified_label": "达标",
        "route": "score",
        "score": 64.0,
        "score_min": 64.0,
        "score_max": 64.0,
        "failed": [],
        "failed_labels": [],
        "missing": [],
        "missing_labels": [],
        "short_of": [],
        "short_of_labels": [],
        "gaps": [],
        "ruleset_id": "tech_sme",
        "ruleset_version": version,
        "as_of": "2025-06-30",
        "run_id": evaluated.pk,
    }
    b = by_tier(client.get(f"/api/tiers/enterprises/{world['b'].uscc}", **auth).json())["tech_sme"]
    assert (b["qualified"], b["route"], b["score"]) == ("false", None, 56.0)
    assert (b["failed"], b["failed_labels"]) == (["score_threshold"], ["综合评分≥60分"])
    assert (b["short_of"], b["short_of_labels"]) == (["score_threshold"], ["综合评分≥60分"])  # one short
    tech_staff = next(g for g in b["gaps"] if g["field"] == "tech_staff")
    assert tech_staff == {
        "condition": "score_threshold",
        "condition_label": "综合评分≥60分",
        "field": "tech_staff",
        "field_label": "科技人员数",
        "current": 14.0,
        "required": 15.0,
        "delta": 1.0,
    }
    c = by_tier(client.get(f"/api/tiers/enterprises/{world['c'].uscc}", **auth).json())["tech_sme"]
    assert c["qualified"] == "unknown" and "staff_total" in c["missing"] and "职工总数" in c["missing_labels"]


def test_explanation_is_the_stored_one_with_condition_labels(world, evaluated, client):
    auth = bearer(world["users"]["enterprise_user"])
    body = client.get(f"/api/tiers/enterprises/{world['a'].uscc}/explanation/tech_sme", **auth).json()
    stored = TierResult.objects.get(run=evaluated, enterprise=world["a"], tier="tech_sme")
    assert body["explanation"] == stored.explanation
    assert body["explanation"]["conditions"]["score_threshold"]["outcome"] == "true"
    assert body["explanation"]["conditions"]["score_threshold"]["thresholds"] == {"pass_score": 60.0}
    assert body["condition_labels"]["score_threshold"] == "综合评分≥60分"
    assert set(body["condition_labels"]) == set(stored.explanation["conditions"])
    assert (body["tier"], body["tier_label"], body["qualified"], body["run_id"]) == (
        "tech_sme",
        "科技型中小企业",
        "true",
        evaluated.pk,
    )


def test_unknown_tier_is_a_chinese_404(world, evaluated, client):
    auth = bearer(world["users"]["bureau_admin"])
    response = client.get(f"/api/tiers/enterprises/{world['a'].uscc}/explanation/no_such_tier", **auth)
    assert response.status_code == 404
    assert response.json() == {"detail": "该企业在最新一次梯队评价中没有此梯队的结果"}


def test_only_the_latest_run_is_served(world, evaluated, client):
    worked_example(world["b"])  # b now has 22 tech staff: 64 points
    later = services.evaluate_all(dt.date(2025, 7, 31))
    auth = bearer(world["users"]["institution_user"])
    body = client.get(f"/api/tiers/enterprises/{world['b'].uscc}", **auth).json()
    assert (body["run_id"], body["as_of"]) == (later.pk, "2025-07-31")
    b = by_tier(body)["tech_sme"]
    assert (b["qualified"], b["score"], b["gaps"], b["run_id"]) == ("true", 64.0, [], later.pk)


def test_no_run_yet_is_a_chinese_404(world, client):
    auth = bearer(world["users"]["bureau_staff"])
    uscc = world["a"].uscc
    for url in (f"/api/tiers/enterprises/{uscc}", f"/api/tiers/enterprises/{uscc}/explanation/tech_sme"):
        response = client.get(url, **auth)
        assert (response.status_code, response.json()) == (404, {"detail": "尚未进行梯队评价"})
    # an invisible enterprise is "not found" whether or not there is a run
    response = client.get(f"/api/tiers/enterprises/{world['c'].uscc}", **bearer(world["users"]["park_operator"]))
    assert (response.status_code, response.json()) == (404, {"detail": NOT_VISIBLE})


def test_no_token_is_401(world, evaluated, client):
    uscc = world["a"].uscc
    for url in (f"/api/tiers/enterprises/{uscc}", f"/api/tiers/enterprises/{uscc}/explanation/tech_sme"):
        assert client.get(url).status_code == 401
        assert client.get(url, HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_openapi_lists_the_tier_paths(client):
    spec = client.get("/api/openapi.json").json()
    for path in ("/api/tiers/enterprises/{uscc}", "/api/tiers/enterprises/{uscc}/explanation/{tier}"):
        assert spec["paths"][path]["get"]["tags"] == ["企业梯度"]
    result = spec["components"]["schemas"]["TierResultOut"]["properties"]
    assert result["qualified"]["enum"] == ["true", "false", "unknown"]
    assert result["gaps"]["items"] == {"$ref": "#/components/schemas/GapOut"}
