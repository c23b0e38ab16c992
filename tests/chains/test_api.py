"""The chains API per role: chains and segments (bureau, operators), placements scoped, decisions by the bureau."""

from __future__ import annotations

import pytest

from kechuang.chains.models import Placement
from tests.conftest import ROLES, bearer

pytestmark = pytest.mark.django_db
READERS = {"bureau_admin", "bureau_staff", "park_operator"}
# Placements of the pm chain each role sees (firms a and b are the operator's residents; c is on the bio chain).
PLACEMENTS = {"bureau_admin": {"a", "b"}, "bureau_staff": {"a", "b"}, "park_operator": {"a", "b"}}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_the_chain_endpoints(role, placed, client):
    auth = bearer(placed["users"][role])
    chains = client.get("/api/chains", **auth)
    segments = client.get("/api/chains/pm/segments", **auth)
    listed = client.get("/api/chains/pm/placements", **auth)
    if role not in READERS:
        for r in (chains, segments, listed):
            assert (r.status_code, r.json()) == (403, {"detail": "无权查看产业链"})
        return
    assert [c["code"] for c in chains.json()] == ["pm", "bio"]  # by order, then name
    body = segments.json()
    assert [(s["name"], s["status"], s["gap_rank"], s["firms"]) for s in body] == [
        ("稀土合金", "missing", 1, 0),
        ("磁材", "weak", 2, 1),
        ("工业软件", "weak", 3, 1),
    ]
    assert body[0]["supplies"] == [placed["magnet"].pk] and body[0]["industry_codes"] == ["3254"]
    uscc = {placed[k].uscc: k for k in "abc"}
    assert {uscc[p["uscc"]] for p in listed.json()["items"]} == PLACEMENTS[role]
    gaps = client.get("/api/chains/pm/gaps", **auth).json()
    assert [g["name"] for g in gaps] == ["稀土合金", "磁材", "工业软件"]
    assert client.get("/api/chains/nope/segments", **auth).status_code == 404


def test_only_the_bureau_decides_through_the_api(chain_world, client):
    from kechuang.chains import services

    services.suggest_placements(user=chain_world["users"]["bureau_admin"], chain=chain_world["pm"])
    p = Placement.objects.get(segment=chain_world["magnet"])
    url = f"/api/chains/placements/{p.pk}/decision"
    denied = client.post(
        url, {"confirm": True}, content_type="application/json", **bearer(chain_world["users"]["park_operator"])
    )
    assert (denied.status_code, denied.json()) == (403, {"detail": "只有科技局可以确认或否决推荐"})
    assert Placement.objects.get(pk=p.pk).status == "suggested"
    ok = client.post(
        url,
        {"confirm": False, "note": "不符"},
        content_type="application/json",
        **bearer(chain_world["users"]["bureau_staff"]),
    )
    assert ok.status_code == 200 and ok.json()["status"] == "rejected"
    assert (
        client.post(
            "/api/chains/placements/999999/decision",
            {"confirm": True},
            content_type="application/json",
            **bearer(chain_world["users"]["bureau_staff"]),
        ).status_code
        == 404
    )
