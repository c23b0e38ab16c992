"""Teams and experts for a need, firms for an achievement (issue 16): ranked with reasons, consent respected,
staff feedback kept and replayed, who sees what on the pages and in the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kechuang.chains.models import Placement, ProductProfile, Segment
from kechuang.core.models import AuditEvent
from kechuang.enterprises.models import AnnualFigure
from kechuang.techtransfer import expertmatching, firmmatching
from kechuang.techtransfer.expertmatching import PERSON, TEAM
from kechuang.techtransfer.models import Discipline, ExpertFeedback, FirmFeedback, Person, Team, TechContract
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def experts(supply):
    """A separator team at 山西大学 (the patent is its), a solid-waste team at 太原理工大学 (the result), a
    non-consenting member of the first, and a consenting battery researcher without a team."""
    sxu, tyut = supply["sxu"], supply["tyut"]
    materials = Discipline.objects.create(institution=sxu, name="材料科学与工程", level="provincial", field="materials")
    separator = Team.objects.create(
        institution=sxu,
        discipline=materials,
        name="功能膜材料创新团队",
        leader="孙教授",
        field="materials",
        directions="锂电池隔膜涂覆、热稳定性",
    )
    waste = Team.objects.create(institution=tyut, name="固废资源化团队", leader="吴教授", field="environment")
    supply["patent"].team = separator
    supply["patent"].save()
    supply["result"].team = waste
    supply["result"].save()
    Person.objects.create(
        institution=sxu, team=separator, name="孙教授", title="教授", contact="sun@sxu.example", field="materials"
    )
    Person.objects.create(
        institution=tyut,
        name="周研究员",
        title="研究员",
        directions="动力电池热失控预警",
        contact="zhou@tyut.example",
        profile_shown=True,
    )
    return {"separator": separator, "waste": waste}


TEAM_REASONS = "同一技术领域：新材料；依托学科：材料科学与工程（省级）；有同一产业链成果：新能源电池"
SUN_REASON = f"共同词：电池、隔膜；IPC H01M；{TEAM_REASONS}"


def _names(matches) -> list[tuple[str, str, bool]]:
    return [(m.record.name, m.reason, m.pinned) for m in matches]


SEPARATOR_REASON = f"共同词：锂电池、隔膜；IPC H01M；{TEAM_REASONS}"


def test_teams_and_people_for_a_need_with_reasons_and_consent(world, supply, experts):
    need, users = supply["need_a"], world["users"]
    bureau = users["bureau_staff"]
    assert _names(expertmatching.experts(need, bureau, TEAM)) == [("功能膜材料创新团队", SEPARATOR_REASON, False)]
    people = expertmatching.experts(need, bureau, PERSON)
    assert [(m.record.name, m.reason, m.contact) for m in people] == [
        ("孙教授", SUN_REASON, "sun@sxu.example"),
        ("周研究员", "共同词：动力电池", "zhou@tyut.example"),
    ]
    # The firm sees only who consented to be listed, and a contact only with its own consent.
    firm = expertmatching.experts(need, users["enterprise_user"], PERSON)
    assert [(m.record.name, m.contact) for m in firm] == [("周研究员", "")]
    # The waste team shares nothing with the battery need, but is the best for the solid-waste need.
    assert [m.record.name for m in expertmatching.experts(supply["need_b"], bureau, TEAM)] == ["固废资源化团队"]


def test_expert_rankings_follow_the_records(world, supply, experts):
    bureau = world["users"]["bureau_staff"]
    assert [m.record.name for m in expertmatching.experts(supply["need_b"], bureau, PERSON)] == []
    zhao = Person.objects.get(name="赵教授")
    zhao.directions = "煤矸石建材"
    zhao.save()
    assert [m.record.name for m in expertmatching.experts(supply["need_b"], bureau, PERSON)] == ["赵教授"]


def test_expert_feedback_on_the_page_kept_and_replayed(world, supply, experts, client_for):
    need = supply["need_a"]
    zhou = Person.objects.get(name="周研究员")
    sun = Person.objects.get(name="孙教授")
    staff = client_for(world["users"]["bureau_staff"])
    base = f"/techtransfer/needs/{need.pk}/experts"
    assert staff.post(f"{base}/person/{zhou.pk}/", {"action": "pin"}).status_code == 302
    assert staff.post(f"{base}/person/{sun.pk}/", {"action": "dismiss"}).status_code == 302
    assert staff.post(f"{base}/team/{experts['separator'].pk}/", {"action": "dismiss"}).status_code == 302
    assert _names(expertmatching.experts(need, world["users"]["bureau_staff"], PERSON)) == [
        ("周研究员", "工作人员置顶；共同词：动力电池", True)
    ]
    assert expertmatching.experts(need, world["users"]["bureau_staff"], TEAM) == []
    page = staff.get(f"/techtransfer/needs/{need.pk}/").content.decode()
    assert "已排除 1 项" in page and "功能膜材料创新团队（山西大学）" in page and "孙教授（山西大学）" in page
    assert sorted(ExpertFeedback.objects.values_list("action", flat=True)) == ["dismiss", "dismiss", "pin"]
    # An unknown kind or action, and the firm's attempt, write nothing.
    assert staff.post(f"{base}/manager/{zhou.pk}/", {"action": "pin"}).status_code == 404
    assert staff.post(f"{base}/person/{zhou.pk}/", {"action": "promote"}).status_code == 404
    firm = client_for(world["users"]["enterprise_user"])
    assert firm.post(f"{base}/person/{zhou.pk}/", {"action": "clear"}).status_code == 403
    assert ExpertFeedback.objects.count() == 3
    staff = client_for(world["users"]["bureau_staff"])
    staff.post(f"{base}/team/{experts['separator'].pk}/", {"action": "clear"})
    assert [m.record.name for m in expertmatching.experts(need, world["users"]["bureau_staff"], TEAM)] == [
        "功能膜材料创新团队"
    ]
    notes = list(AuditEvent.objects.filter(action__startswith="match.").order_by("id").values_list("action", "note"))
    assert notes[0] == ("match.pin", "动力电池隔膜耐热改进 ↔ 专家 周研究员（太原理工大学）")
    assert [a for a, _n in notes] == ["match.pin", "match.dismiss", "match.dismiss", "match.clear"]


def test_need_page_sections_per_role(world, supply, experts, client_for):
    url = f"/techtransfer/needs/{supply['need_a'].pk}/"
    staff = client_for(world["users"]["bureau_staff"]).get(url).content.decode()
    assert 'data-testid="team-matches"' in staff and "sun@sxu.example" in staff and "孙教授" in staff
    firm = client_for(world["users"]["enterprise_user"]).get(url).content.decode()
    people = firm.split('data-testid="person-matches"')[1].split("</table>")[0]
    assert "周研究员" in people and "孙教授" not in people and "zhou@tyut.example" not in people
    assert "置顶" not in people  # no feedback buttons for the firm
    institution = client_for(world["users"]["institution_user"]).get(url).content.decode()
    assert "team-matches" not in institution and "person-matches" not in institution


def test_experts_api_scoping(client, world, supply, experts):
    url = f"/api/techtransfer/needs/{supply['need_a'].pk}/experts"
    staff = client.get(url, **bearer(world["users"]["bureau_staff"])).json()
    assert [t["name"] for t in staff["teams"]] == ["功能膜材料创新团队"]
    assert [(p["name"], p["contact"]) for p in staff["people"]] == [
        ("孙教授", "sun@sxu.example"),
        ("周研究员", "zhou@tyut.example"),
    ]
    firm = client.get(url, **bearer(world["users"]["enterprise_user"])).json()
    assert [(p["name"], p["contact"]) for p in firm["people"]] == [("周研究员", None)]
    assert client.get(url, **bearer(world["users"]["institution_user"])).status_code == 403
    other = f"/api/techtransfer/needs/{supply['need_b'].pk}/experts"
    assert client.get(other, **bearer(world["users"]["enterprise_user"])).status_code == 404
    assert client.get(url, **bearer(world["users"]["bank_user"])).status_code == 403


# Firms for an achievement ---------------------------------------------------------------------------------


@pytest.fixture
def firms(world, supply):
    """The patent (山西大学, 小店区, 新材料, chain 新能源电池, segment 隔膜 which supplies 电芯制造) and three
    firms: a of the same field in the same district; b downstream, with matching products and two registered contracts
    as a buyer, in the same city; c rejected from the separator segment, with unrelated products: no tie."""
    a, b, c = world["a"], world["b"], world["c"]
    chain = supply["chain"]
    separator = Segment.objects.create(chain=chain, name="隔膜", position="upstream")
    cells = Segment.objects.create(chain=chain, name="电芯制造", position="midstream")
    separator.supplies.set([cells])
    patent = supply["patent"]
    patent.segment = separator
    patent.save()
    a.hightech_field = "new_materials"
    a.save()
    AnnualFigure.objects.create(enterprise=a, year=2023, revenue=Decimal("2000"), rd_expense=Decimal("0"))
    Placement.objects.create(segment=cells, enterprise=b, status="confirmed")
    Placement.objects.create(segment=separator, enterprise=c, status="rejected")
    ProductProfile.objects.create(enterprise=b, products="动力电池隔膜、涂覆隔膜的生产与销售")
    ProductProfile.objects.create(enterprise=c, products="化学药品制剂制造")
    for no, amount, status in (("B-1", "80", "registered"), ("B-2", "40.5", "registered"), ("B-3", "99", "refused")):
        TechContract.objects.create(
            contract_no=no,
            project="隔膜项目",
            type="development",
            seller_name="山西大学",
            seller_uscc="12140000MB1234567X",
            buyer_name=b.name,
            buyer_uscc=b.uscc,
            signed_on=dt.date(2025, 3, 1),
            total_amount=Decimal(amount),
            tech_amount=Decimal(amount) if status == "registered" else None,
            registration_no=f"R{no}" if status == "registered" else None,
            status=status,
            received_on=dt.date(2025, 3, 2),
            due_on=dt.date(2025, 3, 30),
        )
    return patent


B_TIES = "位于下游环节：电芯制造；主营产品相关（共同词：涂覆、隔膜）"
B_REASON = (
    f"{B_TIES}；研发投入强度 18.75%（2024 年）；曾作为买方登记技术合同 2 项（技术交易额 120.50 万元）；"
    "与成果所属机构同在太原市"
)
A_REASON = "同一技术领域：新材料；研发投入强度 5.00%（2024 年）；与成果所属机构同在小店区"


def _firms(achievement) -> list[tuple[str, float, str, bool]]:
    return [(m.enterprise.name, m.score, m.reason, m.pinned) for m in firmmatching.matches(achievement)]


def test_firms_for_an_achievement_ranked_with_reasons(world, firms):
    assert _firms(firms) == [
        ("太原乙材料有限公司", 2.85, B_REASON, False),
        ("太原甲科技有限公司", 1.8, A_REASON, False),
    ]


def test_firm_rankings_follow_the_records(world, firms):
    profile = ProductProfile.objects.get(enterprise=world["c"])
    profile.products = "锂电池隔膜涂覆设备"
    profile.save()
    assert [name for name, *_rest in _firms(firms)] == [
        "太原乙材料有限公司",
        "太原甲科技有限公司",
        "泰州丙医药有限公司",
    ]


def test_firm_feedback_kept_and_replayed(world, firms, client_for):
    staff = client_for(world["users"]["bureau_staff"])
    url = f"/techtransfer/achievements/{firms.pk}/firms"
    assert staff.post(f"{url}/{world['a'].pk}/", {"action": "pin"}).status_code == 302
    assert staff.post(f"{url}/{world['b'].pk}/", {"action": "dismiss"}).status_code == 302
    assert _firms(firms) == [("太原甲科技有限公司", 1.8, f"工作人员置顶；{A_REASON}", True)]
    page = staff.get(f"/techtransfer/achievements/{firms.pk}/").content.decode()
    assert "已排除 1 项" in page and "太原乙材料有限公司" in page.split("已排除 1 项")[1]
    institution = client_for(world["users"]["institution_user"])
    assert institution.post(f"{url}/{world['b'].pk}/", {"action": "clear"}).status_code == 403
    assert dict(FirmFeedback.objects.values_list("enterprise__name", "action")) == {
        "太原甲科技有限公司": "pin",
        "太原乙材料有限公司": "dismiss",
    }
    staff = client_for(world["users"]["bureau_staff"])
    staff.post(f"{url}/{world['b'].pk}/", {"action": "clear"})
    assert [name for name, *_r in _firms(firms)] == ["太原甲科技有限公司", "太原乙材料有限公司"]
    assert list(
        AuditEvent.objects.filter(action__startswith="match.").order_by("id").values_list("action", "note")
    ) == [
        ("match.pin", "一种锂离子电池隔膜的涂覆方法 ↔ 太原甲科技有限公司"),
        ("match.dismiss", "一种锂离子电池隔膜的涂覆方法 ↔ 太原乙材料有限公司"),
        ("match.clear", "一种锂离子电池隔膜的涂覆方法 ↔ 太原乙材料有限公司"),
    ]


def test_achievement_page_firms_per_role(world, supply, firms, client_for):
    url = f"/techtransfer/achievements/{firms.pk}/"
    staff = client_for(world["users"]["bureau_staff"]).get(url).content.decode()
    table = staff.split('data-testid="firm-matches"')[1].split("</table>")[0]
    assert "研发投入强度 18.75%" in table and 'name="action"' in table
    # The owning institution sees the firms and what ties them, not the firms' own figures, and cannot act.
    own = client_for(world["users"]["institution_user"]).get(url).content.decode()
    table = own.split('data-testid="firm-matches"')[1].split("</table>")[0]
    assert B_TIES in table and "太原甲科技有限公司" in table
    assert "研发投入" not in table and "技术合同" not in table and 'name="action"' not in table
    firm = client_for(world["users"]["enterprise_user"]).get(url)
    assert firm.status_code == 200 and "firm-matches" not in firm.content.decode()
    # Another institution's achievement is out of the institution user's scope.
    other = client_for(world["users"]["institution_user"]).get(f"/techtransfer/achievements/{supply['result'].pk}/")
    assert other.status_code == 404


def test_firms_api_scoping(client, world, supply, firms):
    url = f"/api/techtransfer/achievements/{firms.pk}/firms"
    staff = client.get(url, **bearer(world["users"]["bureau_staff"])).json()
    assert [(f["name"], f["score"], f["reason"]) for f in staff] == [
        ("太原乙材料有限公司", 2.85, B_REASON),
        ("太原甲科技有限公司", 1.8, A_REASON),
    ]
    own = client.get(url, **bearer(world["users"]["institution_user"])).json()
    assert [(f["uscc"], f["reason"]) for f in own] == [
        (world["b"].uscc, B_TIES),
        (world["a"].uscc, "同一技术领域：新材料"),
    ]
    assert client.get(url, **bearer(world["users"]["enterprise_user"])).status_code == 403
    assert client.get(url, **bearer(world["users"]["park_operator"])).status_code == 403
    other = f"/api/techtransfer/achievements/{supply['result'].pk}/firms"
    assert client.get(other, **bearer(world["users"]["institution_user"])).status_code == 404
    assert client.get(other, **bearer(world["users"]["bureau_staff"])).json() == []


def test_a_team_added_on_its_institutions_page_is_matched_at_once(world, supply, experts, client_for):
    keeper = client_for(world["users"]["institution_user"])
    added = keeper.post(
        f"/techtransfer/supply/institutions/{supply['sxu'].pk}/add/team/",
        {"name": "建材创新团队", "leader": "郑教授", "members": 6, "field": "", "directions": "煤矸石制建材"},
    )
    assert added.status_code == 302
    bureau = world["users"]["bureau_staff"]
    assert [m.record.name for m in expertmatching.experts(supply["need_b"], bureau, TEAM)] == [
        "固废资源化团队",
        "建材创新团队",
    ]
