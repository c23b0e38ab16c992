"""Challenge fixtures: a 3000万 pool 1:1:1, an expert pool, solver accounts, and a challenge at each step.

Dates: the services take the business date (`on`), so a test walks a challenge through time by passing dates
relative to today (publication today, deadline in 30 days, assessment the day after, and so on).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

TODAY = dt.date.today()
D = dt.timedelta
PASSWORD = "Kechuang@2026"
CRITERIA = {"technical": 80, "team": 80, "plan": 80, "budget": 80}
EXPERTS = [
    ("张一", "太原理工大学", "新材料"),
    ("李二", "山西大学", "新材料"),
    ("王三", "中北大学", "新材料"),
    ("赵四", "清华大学", "新材料"),
    ("钱五", "天津大学", "新材料、装备"),
    ("孙六", "浙江大学", "新材料"),
    ("周七", "北京理工大学", "装备"),
    ("吴八", "西安交通大学", "新材料"),
]


def make_cworld(world) -> dict:
    """The `world`, plus solver accounts: 太原理工大学 (institution) and firm b (enterprise), and a second admin."""
    from kechuang.accounts.models import Organisation, User
    from kechuang.enterprises.models import AnnualFigure

    AnnualFigure.objects.filter(enterprise=world["b"]).update(dishonest_listed=False)
    tyut = Organisation.objects.create(name="太原理工大学", kind="institution", in_province=True)
    users = dict(world["users"])
    for username, role, org, firm in (
        ("tyut_user", "institution_user", tyut, None),
        ("firm_b_user", "enterprise_user", None, world["b"]),
        ("bureau_admin2", "bureau_admin", world["bureau"], None),
    ):
        user = User(username=username, role=role, organisation=org, enterprise=firm, display_name=username)
        user.set_password(PASSWORD)
        user.save()
        users[username] = user
    return {**world, "users": users, "tyut": tyut}


def make_pool(cworld):
    """The 3000万 pool 1:1:1, all of it contributed."""
    from kechuang.challenges import services

    admin, staff = cworld["users"]["bureau_admin"], cworld["users"]["bureau_staff"]
    p = services.create_pool(
        user=admin,
        name="2025年揭榜挂帅资金池",
        year=2025,
        sources=[("省级财政", 1, 1000), ("市级财政", 1, 1000), ("产研院", 1, 1000)],
    )
    for source in p.sources.all():
        services.contribute(user=staff, source=source, amount=Decimal("1000"), on=TODAY - D(days=60))
    return p


def make_experts(cworld):
    from kechuang.challenges import services

    staff = cworld["users"]["bureau_staff"]
    return [services.save_expert(user=staff, name=n, institution=i, fields=f) for n, i, f in EXPERTS]


@pytest.fixture
def cworld(world):
    return make_cworld(world)


@pytest.fixture
def pool(cworld):
    return make_pool(cworld)


@pytest.fixture
def experts(cworld):
    return make_experts(cworld)


def draft(world, pool, *, race=False, budget="500", issuer_funding="200", max_teams=None, title="高强韧铝合金轻量化"):
    """A challenge drafted for firm a, ready to submit (the deadline in 30 days, completion in a year)."""
    from kechuang.challenges import services

    staff = world["users"]["bureau_staff"]
    ch = services.create(
        user=staff,
        title=title,
        origin="department",
        origin_department="市工信局",
        need_text="车身结构件需要抗拉强度500MPa以上的铝合金",
        field="新材料",
        issuer=world["a"],
        collected_on=TODAY - D(days=40),
    )
    ch = services.move(user=staff, challenge=ch, target="review", on=TODAY - D(days=39))
    services.add_visit(
        user=staff,
        challenge=ch,
        visited_on=TODAY - D(days=35),
        visitors="科技局 王科长",
        findings="需求真实，企业愿意自筹 40%",
    )
    ch = services.move(user=staff, challenge=ch, target="drafting", on=TODAY - D(days=30))
    fields = {
        "title": title,
        "goals": "抗拉强度≥500MPa，成本≤80元/千克",
        "budget": budget,
        "issuer_funding": issuer_funding,
        "deadline": (TODAY + D(days=30)).isoformat(),
        "completion_due": (TODAY + D(days=400)).isoformat(),
        "ip_ownership": "shared",
        "licence_back": "non_exclusive_free",
        "publication": "issuer_consent",
        "race": race,
        "max_teams": max_teams,
        "pool": pool.pk,
    }
    indicators = [
        {"name": "抗拉强度", "unit": "MPa", "comparison": "ge", "target": "500", "required": True},
        {"name": "单位成本", "unit": "元/千克", "comparison": "le", "target": "80", "required": True},
    ]
    milestones = [
        {"title": "中期样件", "due_on": (TODAY + D(days=150)).isoformat(), "deliverable": "样件检测报告"},
        {"title": "小批量试制", "due_on": (TODAY + D(days=300)).isoformat(), "deliverable": "试制报告"},
    ]
    return services.save_draft(user=staff, challenge=ch, fields=fields, indicators=indicators, milestones=milestones)


def publish(world, ch):
    from kechuang.challenges import services

    ch = services.move(user=world["users"]["bureau_staff"], challenge=ch, target="approval")
    return services.move(user=world["users"]["bureau_admin"], challenge=ch, target="published")


def application(world, user, ch, team, *, budget="280", members=3, on=None, organisation=None):
    from kechuang.challenges import services

    org = organisation or str(user.organisation or user.enterprise)
    return services.apply(
        user=user,
        challenge=ch,
        team_name=team,
        leader="刘教授",
        contact="13800000000",
        members=[{"name": f"成员{i}", "organisation": org, "title": "研究员"} for i in range(members)],
        plan="真空熔炼+热处理工艺优化",
        budget_requested=budget,
        milestones=[
            {"title": "样件", "due_on": (TODAY + D(days=150)).isoformat()},
            {"title": "试制", "due_on": (TODAY + D(days=300)).isoformat()},
        ],
        declared_credit=True,
        on=on or TODAY,
    )


@pytest.fixture
def published(cworld, pool):
    return publish(cworld, draft(cworld, pool))


@pytest.fixture
def race_published(cworld, pool):
    return publish(cworld, draft(cworld, pool, race=True, max_teams=3, budget="1000", issuer_funding="400"))


def score_all(panel, apps, totals: dict | None = None):
    """Every active panel member scores every app (all criteria at `totals[app.pk]`, default 80)."""
    from kechuang.challenges import services

    for member in panel.members.filter(active=True):
        for app in apps:
            value = (totals or {}).get(app.pk, 80)
            services.submit_score(
                member=member,
                application=app,
                sheet={k: value for k in CRITERIA},
                comment="方案可行",
                on=TODAY + D(days=32),
            )


@pytest.fixture
def racing(cworld, race_published, experts):
    """A race with three contracted teams (太原理工大学, 山西大学, firm b), each with a 100万 first tranche."""
    from kechuang.challenges import services

    ch, u = race_published, cworld["users"]
    apps = [
        application(cworld, u["tyut_user"], ch, "理工轻合金团队"),
        application(cworld, u["institution_user"], ch, "山大材料团队"),
        application(cworld, u["firm_b_user"], ch, "乙材料攻关队"),
    ]
    staff = u["bureau_staff"]
    ch = services.move(user=staff, challenge=ch, target="assessment", on=TODAY + D(days=31))
    panel = services.draw_panel(user=staff, challenge=ch, deadline=TODAY + D(days=40), seed=1, on=TODAY + D(days=31))
    score_all(panel, apps, {apps[0].pk: 90, apps[1].pk: 80, apps[2].pk: 70})
    services.finalise_review(user=staff, challenge=ch, on=TODAY + D(days=41))
    ch.refresh_from_db()
    services.select_teams(user=staff, challenge=ch, application_ids=[a.pk for a in apps])
    ch = services.move(user=staff, challenge=ch, target="notice", on=TODAY + D(days=42))
    ch = services.move(user=staff, challenge=ch, target="contracting", on=ch.notice_ends + D(days=1))
    for i, app in enumerate(apps):
        app.refresh_from_db()
        services.sign_contract(
            user=staff,
            team=app,
            contract_no=f"HT-{i}",
            contract_sum="200",
            signed_on=ch.notice_ends + D(days=2),
            account_name=app.lead_name,
            bank_name="晋商银行",
            account_number="6222020200112233",
            first_tranche="100",
        )
    ch = services.move(user=staff, challenge=ch, target="implementing", on=ch.notice_ends + D(days=3))
    for app in apps:
        app.refresh_from_db()
    return {"challenge": ch, "teams": apps, "panel": panel}
