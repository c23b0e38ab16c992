"""The supply map's and the needs' pages: every role, institution users keeping only their own records, consent
on people and phones, a need's confidential detail shown only to the bureau, its firm and the institutions it
disclosed to, staff posting after a visit, the map's tables with exact counts, Excel, and audit events."""

from __future__ import annotations

import io

import openpyxl
import pytest

from kechuang.core.models import AuditEvent
from kechuang.techtransfer.models import Achievement, Need, NeedDisclosure
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db
SECRET_A = "配方为A-17"
SECRET_B = "秘密工艺参数"


@pytest.mark.parametrize("role", [*ROLES, "audit_admin"])
def test_every_role_on_the_pages(role, world, supply, client_for):
    web = client_for(world["users"][role])
    uses = role in ("bureau_admin", "bureau_staff", "institution_user", "enterprise_user")
    for url in ("/techtransfer/supply/", "/techtransfer/achievements/", "/techtransfer/needs/"):
        assert web.get(url).status_code == (200 if uses else 403), url
    keeps = role in ("bureau_admin", "bureau_staff", "institution_user")
    assert web.get("/techtransfer/achievements/new/").status_code == (200 if keeps else 403)
    assert web.get("/techtransfer/achievements/import/").status_code == (200 if keeps else 403)
    posts = role in ("bureau_admin", "bureau_staff", "enterprise_user")
    assert web.get("/techtransfer/needs/new/").status_code == (200 if posts else 403)
    nav = web.get("/").content.decode()
    assert ("/techtransfer/supply/" in nav) is uses
    assert ("/techtransfer/needs/" in nav) is uses


def test_an_institution_user_sees_and_keeps_only_its_own(world, supply, client_for):
    web = client_for(world["users"]["institution_user"])
    page = web.get("/techtransfer/achievements/").content.decode()
    assert "一种锂离子电池隔膜的涂覆方法" in page
    assert "煤矸石制备陶瓷材料技术" not in page and "动力电池热失控预警算法" not in page
    assert web.get(f"/techtransfer/achievements/{supply['result'].pk}/").status_code == 404
    assert web.get(f"/techtransfer/achievements/{supply['result'].pk}/edit/").status_code == 404
    assert web.get(f"/techtransfer/supply/institutions/{supply['tyut'].pk}/").status_code == 404
    before = Achievement.objects.get(pk=supply["result"].pk).title
    # Posting a new record for another institution is refused by the form (its choices are the user's own).
    form = {"institution": supply["tyut"].pk, "kind": "result", "title": "越权成果", "trl": "3"}
    assert web.post("/techtransfer/achievements/new/", form).status_code == 200
    assert not Achievement.objects.filter(title="越权成果").exists()
    assert Achievement.objects.get(pk=supply["result"].pk).title == before
    form["institution"] = supply["sxu"].pk
    response = web.post("/techtransfer/achievements/new/", {**form, "title": "本校新成果", "modes": ["licence"]})
    made = Achievement.objects.get(title="本校新成果")
    assert response["Location"] == f"/techtransfer/achievements/{made.pk}/"
    assert (made.institution, made.modes, made.created_by) == (
        supply["sxu"],
        ["licence"],
        world["users"]["institution_user"],
    )
    event = AuditEvent.objects.get(action="achievement.create")
    assert (event.object_id, event.note) == (str(made.pk), "山西大学：本校新成果")


def test_editing_is_audited_with_the_changes(world, supply, client_for):
    web = client_for(world["users"]["bureau_staff"])
    a = supply["result"]
    form = {"institution": a.institution_id, "kind": "result", "title": a.title, "trl": "7", "modes": ["joint"]}
    assert web.post(f"/techtransfer/achievements/{a.pk}/edit/", form).status_code == 302
    event = AuditEvent.objects.get(action="achievement.update")
    assert event.changes == {"trl": [6, 7]}


def test_the_bureau_and_firms_see_every_institution_firms_only_what_people_consented_to(world, supply, client_for):
    url = f"/techtransfer/supply/institutions/{supply['tyut'].pk}/"
    firm = client_for(world["users"]["enterprise_user"]).get(url).content.decode()
    assert "赵教授" in firm and "钱教授" not in firm
    assert "zhao@tyut.example" not in firm and "13800000002" not in firm
    bureau = client_for(world["users"]["bureau_staff"]).get(url).content.decode()
    assert "钱教授" in bureau and "zhao@tyut.example" in bureau and "13800000002" in bureau
    patent = client_for(world["users"]["enterprise_user"]).get(f"/techtransfer/achievements/{supply['patent'].pk}/")
    assert "13800000001" in patent.content.decode()  # this manager consented


def test_the_map_counts_by_institution_field_and_chain(world, supply, client_for):
    web = client_for(world["users"]["bureau_staff"])
    supply["tyut"].disciplines.create(name="矿业工程", level="national")
    page = web.get("/techtransfer/supply/").content.decode()
    assert "共 3 项成果，其中专利 1 件" in page
    sheet = openpyxl.load_workbook(
        io.BytesIO(web.get("/techtransfer/supply/?by=institution&format=xlsx").content)
    ).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["机构", "类型", "重点学科", "科研平台", "科研团队", "成果", "其中专利"],
        ["太原理工大学", "高等院校", 1, 0, 0, 2, 0],
        ["山西大学", "高等院校", 0, 0, 0, 1, 1],
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(web.get("/techtransfer/supply/?by=chain&format=xlsx").content)).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["产业链", "成果", "其中专利"],
        ["新能源电池", 2, 1],
        ["未标产业链", 1, 0],
    ]
    sheet = openpyxl.load_workbook(
        io.BytesIO(web.get("/techtransfer/supply/?by=field&kind=patent&format=xlsx").content)
    ).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [["技术领域", "成果", "其中专利"], ["新材料", 1, 1]]
    inst = client_for(world["users"]["institution_user"]).get("/techtransfer/supply/").content.decode()
    assert "共 1 项成果，其中专利 1 件" in inst and "太原理工大学" not in inst


def test_the_achievement_export_is_formula_safe(world, supply, client_for):
    Achievement.objects.filter(pk=supply["result"].pk).update(title="=HYPERLINK(1)")
    sheet = openpyxl.load_workbook(
        io.BytesIO(client_for(world["users"]["bureau_staff"]).get("/techtransfer/achievements/?format=xlsx").content)
    ).active
    titles = sorted(r[0] for r in sheet.iter_rows(min_row=2, values_only=True))
    assert titles == ["'=HYPERLINK(1)", "一种锂离子电池隔膜的涂覆方法", "动力电池热失控预警算法"]


def _pages(web, need) -> str:
    return (
        web.get(f"/techtransfer/needs/{need.pk}/").content.decode() + web.get("/techtransfer/needs/").content.decode()
    )


def test_a_needs_detail_is_shown_only_to_the_bureau_its_firm_and_disclosed_institutions(world, supply, client_for):
    a, b = supply["need_a"], supply["need_b"]
    users = world["users"]
    assert SECRET_A in client_for(users["bureau_staff"]).get(f"/techtransfer/needs/{a.pk}/").content.decode()
    firm = client_for(users["enterprise_user"])
    assert SECRET_A in firm.get(f"/techtransfer/needs/{a.pk}/").content.decode()
    assert firm.get(f"/techtransfer/needs/{b.pk}/").status_code == 404
    assert "固废综合利用" not in firm.get("/techtransfer/needs/").content.decode()
    inst = client_for(users["institution_user"])
    page = _pages(inst, a)
    assert "寻求提高锂电池隔膜耐热性的技术" in page and SECRET_A not in page and SECRET_B not in page
    # The firm discloses need a to 山西大学: its users now read the detail, and only of that need.
    firm = client_for(users["enterprise_user"])
    response = firm.post(f"/techtransfer/needs/{a.pk}/disclose/", {"institution": supply["sxu"].pk})
    assert response.status_code == 302
    assert NeedDisclosure.objects.get().institution == supply["sxu"]
    inst = client_for(users["institution_user"])
    assert SECRET_A in inst.get(f"/techtransfer/needs/{a.pk}/").content.decode()
    assert SECRET_B not in inst.get(f"/techtransfer/needs/{b.pk}/").content.decode()
    # Neither the institution nor another firm may disclose, and nothing is written when refused.
    assert inst.post(f"/techtransfer/needs/{b.pk}/disclose/", {"institution": supply["sxu"].pk}).status_code == 403
    assert NeedDisclosure.objects.count() == 1
    firm = client_for(users["enterprise_user"])
    firm.post(f"/techtransfer/needs/{a.pk}/disclose/", {"institution": supply["sxu"].pk, "revoke": "1"})
    assert not NeedDisclosure.objects.exists()
    assert SECRET_A not in client_for(users["institution_user"]).get(f"/techtransfer/needs/{a.pk}/").content.decode()
    assert list(
        AuditEvent.objects.filter(action__startswith="need.").order_by("id").values_list("action", "enterprise_id")
    ) == [
        ("need.disclose", world["a"].pk),
        ("need.revoke", world["a"].pk),
    ]


def test_a_closed_need_is_not_offered_to_institutions(world, supply, client_for):
    Need.objects.filter(pk=supply["need_b"].pk).update(status="closed")
    inst = client_for(world["users"]["institution_user"])
    assert inst.get(f"/techtransfer/needs/{supply['need_b'].pk}/").status_code == 404


def test_a_firm_posts_its_own_need_and_staff_post_one_after_a_visit(world, supply, client_for):
    form = {"title": "高温合金焊接", "summary": "焊接裂纹", "detail": "牌号保密", "budget_min": "5", "budget_max": "5"}
    firm = client_for(world["users"]["enterprise_user"])
    assert firm.post("/techtransfer/needs/new/", {**form, "enterprise_uscc": world["b"].uscc}).status_code == 302
    mine = Need.objects.get(title="高温合金焊接")
    assert (mine.enterprise, mine.source, mine.status) == (world["a"], "firm", "open")
    staff = client_for(world["users"]["bureau_staff"])
    assert staff.post("/techtransfer/needs/new/", {**form, "title": "走访需求"}).status_code == 200
    assert not Need.objects.filter(title="走访需求").exists()
    assert (
        staff.post(
            "/techtransfer/needs/new/", {**form, "title": "走访需求", "enterprise_uscc": world["b"].uscc}
        ).status_code
        == 302
    )
    visit = Need.objects.get(title="走访需求")
    assert (visit.enterprise, visit.source, visit.posted_by) == (world["b"], "visit", world["users"]["bureau_staff"])
    firm = client_for(world["users"]["enterprise_user"])
    assert firm.post(f"/techtransfer/needs/{visit.pk}/edit/", {**form, "status": "closed"}).status_code == 404
    visit.refresh_from_db()
    assert visit.status == "open"
    inst = client_for(world["users"]["institution_user"])
    assert inst.post(f"/techtransfer/needs/{visit.pk}/edit/", {**form, "status": "closed"}).status_code == 403
    assert list(
        AuditEvent.objects.filter(action="need.create").order_by("id").values_list("enterprise_id", flat=True)
    ) == [
        world["a"].pk,
        world["b"].pk,
    ]


def test_an_institution_user_adds_a_team_to_its_own_institution_only(world, supply, client_for):
    web = client_for(world["users"]["institution_user"])
    form = {"name": "储能材料团队", "leader": "孙老师", "members": "8"}
    assert web.post(f"/techtransfer/supply/institutions/{supply['tyut'].pk}/add/team/", form).status_code == 404
    assert web.post(f"/techtransfer/supply/institutions/{supply['sxu'].pk}/add/team/", form).status_code == 302
    assert list(supply["sxu"].teams.values_list("name", "members")) == [("储能材料团队", 8)]
    assert supply["tyut"].teams.count() == 0
    firm = client_for(world["users"]["enterprise_user"])
    assert firm.post(f"/techtransfer/supply/institutions/{supply['sxu'].pk}/add/team/", form).status_code == 403


def test_needs_are_searched_by_title_and_summary(world, supply, client_for):
    NeedDisclosure.objects.create(need=supply["need_b"], institution=supply["sxu"])
    page = client_for(world["users"]["institution_user"]).get("/techtransfer/needs/?q=煤矸石").content.decode()
    table = page.split('data-testid="needs"')[1]
    assert "固废综合利用" in table and "动力电池隔膜耐热改进" not in table
    assert table.count("固废综合利用") == 1  # a need both open and disclosed is listed once


def test_records_are_edited_only_by_those_who_keep_the_institution(world, supply, client_for):
    from kechuang.techtransfer.models import Person

    mine = Person.objects.create(institution=supply["sxu"], name="周老师", contact="zhou@sxu.example")
    theirs = Person.objects.get(name="钱教授")
    web = client_for(world["users"]["institution_user"])
    form = {"name": "周老师", "title": "教授", "contact": "zhou@sxu.example", "profile_shown": "on"}
    url = f"/techtransfer/supply/institutions/{supply['sxu'].pk}/person/"
    assert web.post(f"{url}{mine.pk}/edit/", form).status_code == 302
    mine.refresh_from_db()
    assert (mine.title, mine.profile_shown, mine.contact_shown) == ("教授", True, False)
    # Another institution's person, reached through one's own institution's address, is not found.
    assert web.post(f"{url}{theirs.pk}/edit/", {**form, "name": "改名"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "钱教授"
    event = AuditEvent.objects.get(action="supply_record.save")
    assert (event.object_type, event.note) == ("techtransfer.person", "山西大学：科研人员 周老师")
    page = client_for(world["users"]["enterprise_user"]).get(f"/techtransfer/supply/institutions/{supply['sxu'].pk}/")
    assert "周老师" in page.content.decode() and "zhou@sxu.example" not in page.content.decode()
    assert "/person/" not in page.content.decode()  # no edit links for those who do not keep it


def test_achievements_are_searched_by_title_number_and_ipc(world, supply, client_for):
    web = client_for(world["users"]["bureau_staff"])

    def titles(query: str) -> list[str]:
        sheet = openpyxl.load_workbook(io.BytesIO(web.get(f"/techtransfer/achievements/?{query}&format=xlsx").content))
        return sorted(r[0] for r in sheet.active.iter_rows(min_row=2, values_only=True))

    assert titles("q=h01m") == ["一种锂离子电池隔膜的涂覆方法", "动力电池热失控预警算法"]
    assert titles("q=cn112345678a") == ["一种锂离子电池隔膜的涂覆方法"]
    assert titles("q=煤矸石&trl=6") == ["煤矸石制备陶瓷材料技术"]
    assert titles(f"institution={supply['tyut'].pk}&kind=know_how") == ["动力电池热失控预警算法"]


def test_the_map_grid_counts_institution_by_field(world, supply, client_for):
    """The heat map: one cell per institution and 技术领域 with achievements, in the user's scope and filters."""

    def grid(user, query=""):
        response = client_for(world["users"][user]).get("/techtransfer/supply/" + query)
        g = response.context["grid"]
        names, fields = [n for _pk, n in g["institutions"]], [label for _key, label in g["fields"]]
        return {(names[i], fields[j]): n for i, j, n in g["cells"]}, names, fields, response.content.decode()

    cells, names, fields, page = grid("bureau_staff")
    assert names == ["太原理工大学", "山西大学"] and fields == ["电子信息", "新材料", "资源与环境"]
    assert cells == {("太原理工大学", "电子信息"): 1, ("太原理工大学", "资源与环境"): 1, ("山西大学", "新材料"): 1}
    assert 'data-testid="supply-map"' in page and "vendor/echarts/echarts.min.js" in page
    assert grid("bureau_staff", "?kind=patent")[0] == {("山西大学", "新材料"): 1}
    assert grid("institution_user")[0] == {("山西大学", "新材料"): 1}
    cells, names, fields, page = grid("bureau_staff", "?q=没有这样的成果")
    assert cells == {} and names == [] and 'data-testid="supply-map"' not in page
