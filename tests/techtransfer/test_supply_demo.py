"""The demo's supply map and needs at the seeds' scale: counts, every need status, the institution user's own
records, and the demo firm's needs with matches, a disclosure and staff feedback."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from kechuang.demo import supply
from kechuang.techtransfer import supplymatching, supplyselectors
from kechuang.techtransfer.models import Achievement, MatchFeedback, Need, NeedDisclosure

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 7)
REGION = SimpleNamespace(
    seed=2024,
    institutions=[
        {"name": "山西大学", "kind": "university", "in_province": True, "region_code": "140105"},
        {"name": "中国科学院山西煤炭化学研究所", "kind": "research_institute", "in_province": True},
        {"name": "清华大学", "kind": "university", "in_province": False},
    ],
)


def test_the_supply_map_at_the_seeds_scale(world):
    got = supply.build(REGION, progress=lambda _: None, today=TODAY)
    assert got == {
        "institutions": 7,
        "disciplines": 80,
        "platforms": 50,
        "research_teams": 120,
        "people": 240,
        "tech_managers": 49,
        "achievements": 1500,
        "needs": 300,
    }
    # An institution works in its specialties (data/supply.yaml): 煤化所 in materials, energy and environment.
    coal = Achievement.objects.filter(institution__name="中国科学院山西煤炭化学研究所")
    assert coal.exists() and set(coal.values_list("field", flat=True)) <= {"materials", "energy", "environment"}
    assert set(Need.objects.values_list("status", flat=True)) == {"open", "matching", "solved", "closed"}
    assert set(Need.objects.values_list("source", flat=True)) == {"firm", "visit"}
    assert set(Achievement.objects.values_list("kind", flat=True)) == {"patent", "result", "know_how"}
    patents = Achievement.objects.filter(kind="patent")
    assert patents.filter(patent_no__isnull=True).count() == 0
    assert len(set(patents.values_list("patent_no", flat=True))) == patents.count()
    users = world["users"]
    own = supplyselectors.achievements_for(users["institution_user"])
    assert own.exists() and set(own.values_list("institution__name", flat=True)) == {"山西大学"}
    mine = list(supplyselectors.needs_for(users["enterprise_user"]).order_by("pk"))
    assert [n.status for n in mine] == ["open", "matching", "solved", "open"]
    assert NeedDisclosure.objects.filter(need=mine[0], institution__name="山西大学").exists()
    assert supplyselectors.sees_detail(users["institution_user"], mine[0])
    assert sorted(MatchFeedback.objects.filter(need=mine[0]).values_list("action", flat=True)) == ["dismiss", "pin"]
    ranked = supplymatching.matches(mine[0])
    assert ranked[0].pinned and len(ranked) == supplymatching.DEFAULT_TOP
    dismissed = MatchFeedback.objects.get(need=mine[0], action="dismiss").achievement
    assert dismissed not in [m.achievement for m in ranked]
