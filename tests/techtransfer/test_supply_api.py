"""The REST API of achievements, needs and matches, scoped per role: institution users see their own institution's
achievements, firms their own needs and matches, the confidential detail only where the pages show it."""

from __future__ import annotations

import pytest

from kechuang.techtransfer.models import NeedDisclosure
from tests.conftest import ROLES, bearer

pytestmark = pytest.mark.django_db
SECRET_A = "现有隔膜在130度收缩率超过5%，配方为A-17"


def _titles(response) -> list[str]:
    return sorted(i["title"] for i in response.json()["items"])


@pytest.mark.parametrize("role", [*ROLES, "audit_admin"])
def test_achievements_per_role(role, client, world, supply):
    got = client.get("/api/techtransfer/achievements", **bearer(world["users"][role]))
    if role in ("park_operator", "bank_user", "audit_admin"):
        assert got.status_code == 403
        return
    everything = ["一种锂离子电池隔膜的涂覆方法", "动力电池热失控预警算法", "煤矸石制备陶瓷材料技术"]
    assert _titles(got) == (["一种锂离子电池隔膜的涂覆方法"] if role == "institution_user" else everything)
    other = client.get(f"/api/techtransfer/achievements/{supply['result'].pk}", **bearer(world["users"][role]))
    assert other.status_code == (404 if role == "institution_user" else 200)


def test_an_achievement_in_full_with_the_phone_only_by_consent(client, world, supply):
    auth = bearer(world["users"]["enterprise_user"])
    patent = client.get(f"/api/techtransfer/achievements/{supply['patent'].pk}", **auth).json()
    assert {k: patent[k] for k in ("kind_label", "ipc", "patent_no", "trl", "modes", "price_min", "manager")} == {
        "kind_label": "专利",
        "ipc": ["H01M"],
        "patent_no": "CN112345678A",
        "trl": 5,
        "modes": ["transfer", "licence"],
        "price_min": "50.00",
        "manager": {"name": "王经理", "affiliation": "山西大学", "phone": "13800000001"},
    }
    result = client.get(f"/api/techtransfer/achievements/{supply['result'].pk}", **auth).json()
    assert result["manager"] == {"name": "李经理", "affiliation": "太原理工大学", "phone": None}
    filtered = client.get("/api/techtransfer/achievements?kind=know_how&trl=4", **auth)
    assert _titles(filtered) == ["动力电池热失控预警算法"]


def test_needs_and_their_detail_per_role(client, world, supply):
    a, b = supply["need_a"], supply["need_b"]
    users = world["users"]

    def needs(role):
        return {
            n["title"]: n["detail"]
            for n in client.get("/api/techtransfer/needs", **bearer(users[role])).json()["items"]
        }

    assert needs("bureau_staff") == {"动力电池隔膜耐热改进": SECRET_A, "固废综合利用": "年产20万吨的秘密工艺参数"}
    assert needs("enterprise_user") == {"动力电池隔膜耐热改进": SECRET_A}
    assert needs("institution_user") == {"动力电池隔膜耐热改进": None, "固废综合利用": None}
    assert client.get(f"/api/techtransfer/needs/{b.pk}", **bearer(users["enterprise_user"])).status_code == 404
    NeedDisclosure.objects.create(need=a, institution=supply["sxu"])
    assert needs("institution_user") == {"动力电池隔膜耐热改进": SECRET_A, "固废综合利用": None}
    got = client.get(f"/api/techtransfer/needs/{b.pk}", **bearer(users["institution_user"])).json()
    assert got["detail"] is None
    assert client.get("/api/techtransfer/needs", **bearer(users["bank_user"])).status_code == 403


def test_matches_for_the_bureau_and_the_firm_only(client, world, supply):
    a = supply["need_a"]
    users = world["users"]
    got = client.get(f"/api/techtransfer/needs/{a.pk}/matches", **bearer(users["enterprise_user"]))
    assert [(m["title"], m["institution"], m["pinned"]) for m in got.json()] == [
        ("一种锂离子电池隔膜的涂覆方法", "山西大学", False),
        ("动力电池热失控预警算法", "太原理工大学", False),
    ]
    assert got.json()[0]["reason"] == "共同词：电池、隔膜；IPC H01M；同一技术领域：新材料；同一产业链：新能源电池"
    assert client.get(f"/api/techtransfer/needs/{a.pk}/matches", **bearer(users["bureau_staff"])).status_code == 200
    inst = client.get(f"/api/techtransfer/needs/{a.pk}/matches", **bearer(users["institution_user"]))
    assert inst.status_code == 403
    b = supply["need_b"]
    assert client.get(f"/api/techtransfer/needs/{b.pk}/matches", **bearer(users["enterprise_user"])).status_code == 404
