"""The cases API, scoped per role: the bureau every case, the institution user its institution's (and its
managers') cases, a firm its own as buyer or patent holder; other roles 403; a case outside the scope 404."""

from __future__ import annotations

import pytest

from kechuang.accounts.models import User
from tests.conftest import ROLES, bearer

pytestmark = pytest.mark.django_db


def _offers(response) -> list[str]:
    return sorted(i["offer"] for i in response.json()["items"])


@pytest.mark.parametrize("role", [*ROLES, "audit_admin"])
def test_cases_per_role(role, client, world, pipeline):
    got = client.get("/api/techtransfer/cases", **bearer(world["users"][role]))
    if role in ("park_operator", "bank_user", "audit_admin"):
        assert got.status_code == 403
        return
    everything = ["一种耐磨涂层的制备方法（CN110000001B）", "一种锂离子电池隔膜的涂覆方法", "动力电池热失控预警算法"]
    everything += ["煤矸石制备陶瓷材料技术"]
    expected = {
        "bureau_admin": sorted(everything),
        "bureau_staff": sorted(everything),
        # 山西大学: case 1 (its achievement, its manager 王经理) and case 4 (王经理 brokers firm b's patent).
        "institution_user": ["一种耐磨涂层的制备方法（CN110000001B）", "一种锂离子电池隔膜的涂覆方法"],
        # Firm a: cases 1, 3 and 4 (the buyer); not case 2 (firm b's need).
        "enterprise_user": [
            "一种耐磨涂层的制备方法（CN110000001B）",
            "一种锂离子电池隔膜的涂覆方法",
            "动力电池热失控预警算法",
        ],
    }[role]
    assert _offers(got) == expected
    two = client.get(f"/api/techtransfer/cases/{pipeline['two'].pk}", **bearer(world["users"][role]))
    assert two.status_code == (200 if role.startswith("bureau") else 404)


def test_the_patent_holding_firm_sees_its_brokered_patent(client, world, pipeline):
    got = client.get(
        "/api/techtransfer/cases?stage=negotiating", **bearer(User.objects.get(username="enterprise_user_b"))
    )
    assert [(i["kind"], i["seller"], i["manager"]) for i in got.json()["items"]] == [
        ("patent", world["b"].name, "王经理")
    ]


def test_a_converted_case_in_full(client, world, pipeline):
    one = client.get(f"/api/techtransfer/cases/{pipeline['one'].pk}", **bearer(world["users"]["bureau_staff"])).json()
    assert {k: one[k] for k in ("stage_label", "seller", "field", "contract_no", "tech_amount", "converted_on")} == {
        "stage_label": "转化",
        "seller": "山西大学",
        "field": "materials",
        "contract_no": "JZ-100",
        "tech_amount": "100.00",
        "converted_on": "2026-06-01",
    }
    bad = client.get("/api/techtransfer/cases?stage=won", **bearer(world["users"]["bureau_staff"]))
    assert bad.status_code == 422
