"""The demo's 揭榜挂帅 on a small region: every stage, races with eliminations and a merge, the 3000万 pool
1:1:1, batches in every state, and 泰州's calibration (28 published, about 1.1亿 of rewards, 9 implemented)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest

from kechuang.accounts.models import Organisation, User
from kechuang.challenges import reports, tokens
from kechuang.challenges.models import (
    Application,
    Capability,
    Challenge,
    Clawback,
    PanelMember,
    PaymentBatch,
    PoolSource,
    RaceDecision,
    Subsidy,
)
from kechuang.demo import challenges as challenge_demo
from kechuang.enterprises.models import AnnualFigure, Enterprise
from tests.conftest import PASSWORD, make_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(world):
    for name, kind in (
        ("太原理工大学", "institution"),
        ("中北大学", "institution"),
        ("中国科学院山西煤炭化学研究所", "rd_institution"),
    ):
        Organisation.objects.create(name=name, kind=kind, in_province=True)
    for i in range(10, 22):
        firm = Enterprise.objects.create(
            uscc=make_uscc(i),
            name=f"太原示例{i}科技有限公司",
            region_id="140105",
            industry_id="3985",
            registered_on=dt.date(2018, 1, 1),
            origin="other",
        )
        AnnualFigure.objects.create(enterprise=firm, year=2024, revenue=Decimal(1000 * i), dishonest_listed=False)
    return world


def test_the_demo_challenges(region):
    result = challenge_demo.build(2024, PASSWORD, progress=lambda m: None)
    stages = Counter(Challenge.objects.values_list("stage", flat=True))
    assert result["challenges"] == Challenge.objects.count() == 33
    assert stages == {
        "intake": 1,
        "review": 1,
        "drafting": 1,
        "approval": 1,
        "rejected": 1,
        "published": 10,
        "assessment": 3,
        "notice": 3,
        "contracting": 1,
        "implementing": 4,
        "accepted": 4,
        "closed": 3,
    }
    f = reports.figures()
    assert (f["published"], f["implemented"], f["accepted"]) == (28, 9, 4)
    assert Decimal("10000") <= f["rewards"] <= Decimal("12500")
    sources = {s.name: s for s in PoolSource.objects.all()}
    assert {n: (s.share, s.pledged, s.contributed) for n, s in sources.items()} == {
        n: (Decimal("1"), Decimal("1000"), Decimal("1000")) for n in ("省级财政", "市级财政", "产研院")
    }
    assert all(s.paid <= s.contributed + s.returned for s in sources.values())
    assert {b for b in PaymentBatch.objects.values_list("status", flat=True)} == {
        "paid",
        "approved",
        "refused",
        "draft",
    }
    decisions = Counter(RaceDecision.objects.values_list("decision", flat=True))
    assert decisions["eliminate"] >= 4 and decisions["merge"] == 1
    assert Challenge.objects.filter(race=True, stage__in=["implementing", "accepted"]).count() == 3
    assert Application.objects.filter(status="eliminated").exists() and Subsidy.objects.count() >= 3
    assert set(Clawback.objects.values_list("status", flat=True)) == {"open", "recovered"}
    assert Capability.objects.filter(status="published").count() >= 5
    assert Application.objects.filter(eligibility="ineligible").exists()
    # the accounts the walkthrough uses
    roles = dict(
        User.objects.filter(
            username__in=["challenge_issuer", "solver_tyut", "solver_nuc", "solver_sxicc", "solver_firm"]
        ).values_list("username", "role")
    )
    assert roles == {
        "challenge_issuer": "enterprise_user",
        "solver_tyut": "institution_user",
        "solver_nuc": "institution_user",
        "solver_sxicc": "institution_user",
        "solver_firm": "enterprise_user",
    }
    issuer = User.objects.get(username="challenge_issuer")
    assert Challenge.objects.filter(issuer=issuer.enterprise).count() >= 5
    assert Challenge.objects.filter(issuer=User.objects.get(username="enterprise_user").enterprise).count() >= 2
    # open challenges are open today, and the review links of the panels still scoring work
    today = dt.date.today()
    assert all(c.deadline >= today for c in Challenge.objects.filter(stage="published"))
    links = challenge_demo.demo_links()
    assert len(links) == 3
    # printed for the address the demo serves (`kechuang demo --port 8001`)
    assert all(
        "：http://127.0.0.1:8001/challenges/review/" in s for s in challenge_demo.demo_links("http://127.0.0.1:8001")
    )
    member = PanelMember.objects.get(
        pk=int(
            links[0].split("/review/")[1].split(":")[0]
            and tokens.member_for(links[0].split("/review/")[1].rstrip("/"), today).pk
        )
    )
    assert member.active
