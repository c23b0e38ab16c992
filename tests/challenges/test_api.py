"""The challenges API: every role against every endpoint (200 with the role's scope, 403 or 404 in Chinese),
the public list without a token, exact values and filters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tests.conftest import bearer

pytestmark = pytest.mark.django_db

SOLVERS = {"institution_user", "enterprise_user", "tyut_user", "firm_b_user"}


def _get(client, user, path):
    return client.get(f"/api/challenges{path}", **(bearer(user) if user else {}))


def test_the_public_list_needs_no_token_and_shows_only_published_challenges(cworld, racing, pool):
    from .conftest import draft

    draft(cworld, pool, title="尚在编制")
    response = Client().get("/api/challenges/public")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["items"][0]["title"] == "高强韧铝合金轻量化"
    assert body["items"][0]["stage"] == "implementing" and body["items"][0]["public_funding"] == "600.0000"
    assert Client().get("/api/challenges/public?stage=nope").status_code == 422


def test_every_role_against_every_endpoint(cworld, racing, client):
    ch = racing["challenge"]
    users = cworld["users"]
    expected = {
        # role: (list, detail, teams seen, milestones teams, applications, ledger)
        "bureau_admin": (200, 200, 3, 3, 403, 200),
        "bureau_staff": (200, 200, 3, 3, 403, 200),
        "enterprise_user": (200, 200, 3, 3, 200, 403),  # the issuer (firm a); also may apply elsewhere
        "institution_user": (403, 404, 1, 1, 200, 403),  # 山西大学: its own team only
        "tyut_user": (403, 404, 1, 1, 200, 403),
        "firm_b_user": (200, 404, 1, 1, 200, 403),  # an enterprise user: its firm issued none (an empty list)
        "park_operator": (403, 404, 0, 0, 403, 403),
        "bank_user": (403, 404, 0, 0, 403, 403),
    }
    for role, (listing, detail, teams, progress, apps, ledger) in expected.items():
        user = users[role]
        got = (
            _get(client, user, "").status_code,
            _get(client, user, f"/{ch.pk}").status_code,
            len(_get(client, user, f"/{ch.pk}/teams").json()),
            len(_get(client, user, f"/{ch.pk}/milestones").json()["teams"]),
            _get(client, user, "/applications").status_code,
            _get(client, user, "/ledger").status_code,
        )
        assert got == (listing, detail, teams, progress, apps, ledger), role
    assert _get(client, users["firm_b_user"], "").json()["count"] == 0
    assert _get(client, users["enterprise_user"], "").json()["count"] == 1
    assert _get(client, users["park_operator"], "").json() == {
        "detail": "无权查看榜单列表（公开榜单见 /api/challenges/public）"
    }
    assert _get(client, users["bank_user"], "/ledger").json() == {"detail": "资金台账只对科技局开放"}
    assert _get(client, users["tyut_user"], f"/{ch.pk}").json() == {"detail": "榜单不存在或无权查看"}
    assert Client().get("/api/challenges").status_code == 401


def test_a_challenge_the_user_cannot_see_at_all_is_a_404_on_every_sub_resource(cworld, pool, client):
    from .conftest import draft

    hidden = draft(cworld, pool)
    for path in (f"/{hidden.pk}", f"/{hidden.pk}/teams", f"/{hidden.pk}/milestones"):
        assert _get(client, cworld["users"]["tyut_user"], path).status_code == 404, path
    assert _get(client, cworld["users"]["bureau_staff"], f"/{hidden.pk}/teams").json() == []


def test_the_detail_teams_milestones_and_ledger_carry_exact_values(cworld, racing, client):
    ch, teams = racing["challenge"], racing["teams"]
    staff = cworld["users"]["bureau_staff"]
    detail = _get(client, staff, f"/{ch.pk}").json()
    assert (detail["budget"], detail["issuer_funding"], detail["committed"], detail["paid"]) == (
        "1000.0000",
        "400.0000",
        "300.0000",
        "0.0000",
    )
    assert [i["name"] for i in detail["indicators"]] == ["抗拉强度", "单位成本"]
    assert detail["money"] == [
        {"source": s, "committed": "100.0000", "paid": None} for s in ("省级财政", "市级财政", "产研院")
    ]
    team = next(t for t in _get(client, staff, f"/{ch.pk}/teams").json() if t["id"] == teams[0].pk)
    assert (team["status"], team["score"], team["rank"], team["committed"], team["paid"]) == (
        "racing",
        "90.00",
        1,
        "100.0000",
        "0.0000",
    )
    progress = _get(client, staff, f"/{ch.pk}/milestones").json()
    assert [m["title"] for m in progress["plan"]] == ["中期样件", "小批量试制"]
    assert progress["teams"][0]["tranches"] == [
        {"seq": 1, "milestone": None, "amount": "100.0000", "paid": "0.0000", "released": "0.0000", "payable": True}
    ]
    ledger = _get(client, staff, "/ledger?kind=commitment").json()
    assert ledger["count"] == 3 and {i["amount"] for i in ledger["items"]} == {"100.0000"}
    assert _get(client, staff, "/ledger?kind=nope").status_code == 422
    assert _get(client, staff, f"/ledger?source=省级财政&challenge={ch.pk}").json()["count"] == 0
    mine = _get(client, cworld["users"]["tyut_user"], "/applications").json()
    assert [(a["team_name"], a["score"], a["eligibility"]) for a in mine] == [("理工轻合金团队", "90.00", "eligible")]
    assert Decimal(mine[0]["committed"]) == 100
