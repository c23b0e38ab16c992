"""Importing an institution's disciplines, platforms, teams and people: row errors naming file, row and column in
Chinese; re-import updates by institution and name, never duplicates; institution users import only for their own
institution, the bureau for any; the valid rows are written with one audit event, the bad ones never."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.engine.io import FactsFileError
from kechuang.techtransfer.models import Discipline, Person, Platform, Team
from kechuang.techtransfer.recordimport import KINDS, import_records

pytestmark = pytest.mark.django_db


def _run(user, kind: str, text: str, name: str = "清单.csv"):
    return import_records(user=user, kind=KINDS[kind], name=name, content=text.encode("utf-8"))


def _errors(report) -> list[tuple]:
    return [(e.file, e.row, e.column, e.value, e.message) for e in report.errors]


def test_disciplines_import_and_reimport_updates_without_duplicates(world, supply):
    user = world["users"]["institution_user"]
    text = "学科名称,重点学科级别,技术领域\n材料科学与工程,省级,新材料\n化学,国家级,\n"
    first = _run(user, "discipline", text, "学科.csv")
    assert (first.total_rows, first.created, first.updated, first.errors) == (2, 2, 0, [])
    assert sorted(Discipline.objects.values_list("institution__name", "name", "level", "field")) == [
        ("山西大学", "化学", "national", ""),
        ("山西大学", "材料科学与工程", "provincial", "materials"),
    ]
    again = _run(user, "discipline", "学科名称,重点学科级别\n化学,省级\n", "学科.csv")
    assert (again.created, again.updated) == (0, 1)
    assert Discipline.objects.count() == 2
    # A column the file lacks keeps its value (化学's field stays empty, 材料's untouched).
    assert dict(Discipline.objects.values_list("name", "level")) == {
        "化学": "provincial",
        "材料科学与工程": "provincial",
    }
    assert list(
        AuditEvent.objects.filter(action="supply_record.import").order_by("id").values_list("note", flat=True)
    ) == [
        "学科.csv：新增 2 项、更新 0 项重点学科，拒绝 0 行",
        "学科.csv：新增 0 项、更新 1 项重点学科，拒绝 0 行",
    ]


def test_team_rows_are_checked_and_only_the_valid_ones_written(world, supply):
    Discipline.objects.create(institution=supply["sxu"], name="材料科学与工程", level="provincial")
    Discipline.objects.create(institution=supply["tyut"], name="化学", level="city")
    text = (
        "所属机构,团队名称,团队负责人,依托学科,技术领域,成员人数\n"
        "山西大学,隔膜团队,张教授,材料科学与工程,新材料,8\n"
        "山西大学,,李教授,,,3\n"
        "山西大学,催化团队,,化学,生物医药,0\n"
        "太原理工大学,越权团队,王教授,,,\n"
        "晋北大学,无名团队,赵教授,,,\n"
        "山西大学,隔膜团队,钱教授,,,2\n"
        "山西大学,储能团队,孙教授,,,\n"
    )
    report = _run(world["users"]["institution_user"], "team", text, "团队.csv")
    assert _errors(report) == [
        ("团队.csv", 3, "团队名称", "", "必填项为空"),
        ("团队.csv", 4, "团队负责人", "", "必填项为空"),
        ("团队.csv", 4, "依托学科", "化学", "本机构没有该学科，请先导入或登记学科"),
        (
            "团队.csv",
            4,
            "技术领域",
            "生物医药",
            "应为 电子信息、生物与新医药、航空航天、新材料、高技术服务、新能源与节能、资源与环境、"
            "先进制造与自动化 之一",
        ),
        ("团队.csv", 4, "成员人数", "0", "应为 1 至 32767 的整数"),
        ("团队.csv", 5, "所属机构", "太原理工大学", "只能导入本单位的信息"),
        ("团队.csv", 6, "所属机构", "晋北大学", "没有该机构"),
        ("团队.csv", 7, "团队名称", "隔膜团队", "与第 2 行是同一科研团队"),
    ]
    assert (report.total_rows, report.created, report.updated, report.rejected_rows) == (7, 2, 0, 5)
    assert sorted(Team.objects.values_list("name", "leader", "discipline__name", "members", "field")) == [
        ("储能团队", "孙教授", None, 1, ""),
        ("隔膜团队", "张教授", "材料科学与工程", 8, "materials"),
    ]


def test_the_bureau_imports_for_any_institution_and_an_institution_is_required(world, supply):
    staff = world["users"]["bureau_staff"]
    text = "所属机构,平台名称,平台类型,级别\n太原理工大学,煤化工中试基地,中试基地,市级\n,无主平台,重点实验室,省级\n"
    report = _run(staff, "platform", text, "平台.csv")
    assert _errors(report) == [("平台.csv", 3, "所属机构", "", "必填项为空")]
    assert list(Platform.objects.values_list("institution__name", "name", "kind", "level")) == [
        ("太原理工大学", "煤化工中试基地", "pilot_base", "city")
    ]


def test_people_keep_their_consent_and_an_ambiguous_name_is_refused(world, supply):
    sxu = supply["sxu"]
    Team.objects.create(institution=sxu, name="隔膜团队", leader="张教授")
    Person.objects.create(institution=sxu, name="周明", contact="a@sxu.example")
    Person.objects.create(institution=sxu, name="周明", contact="b@sxu.example")
    text = (
        "姓名,职称,所在团队,联系方式,同意公开个人简介,同意公开联系方式\n"
        "张三,教授,隔膜团队,zhang@sxu.example,是,否\n"
        "李四,,,li@sxu.example,,\n"
        "王五,,,,同意,是\n"
        "周明,副教授,,,否,否\n"
    )
    report = _run(world["users"]["institution_user"], "person", text, "人员.csv")
    assert _errors(report) == [
        ("人员.csv", 4, "同意公开个人简介", "同意", "应为 是 或 否"),
        ("人员.csv", 5, "姓名", "周明", "本机构有 2 条同名记录，无法确定是哪一条，请在机构页面上修改"),
    ]
    assert sorted(
        Person.objects.filter(institution=sxu)
        .exclude(name="周明")
        .values_list("name", "title", "team__name", "profile_shown", "contact_shown")
    ) == [("张三", "教授", "隔膜团队", True, False), ("李四", "", None, False, False)]
    # Consent withdrawn by a re-import: 张三 is no longer shown outside the institution.
    again = _run(world["users"]["institution_user"], "person", "姓名,同意公开个人简介\n张三,否\n", "人员.csv")
    assert (again.created, again.updated) == (0, 1)
    assert Person.objects.get(name="张三").profile_shown is False
    assert Person.objects.get(name="张三").contact == "zhang@sxu.example"


def test_research_directions_import_and_an_update_is_stamped_for_the_matchers(world, supply):
    sxu, user = supply["sxu"], world["users"]["institution_user"]
    _run(user, "team", "团队名称,团队负责人,研究方向\n隔膜团队,张教授,锂电池隔膜\n", "团队.csv")
    team = Team.objects.get(institution=sxu, name="隔膜团队")
    assert team.directions == "锂电池隔膜"
    before = team.updated_at
    report = _run(user, "team", "团队名称,团队负责人,研究方向\n隔膜团队,张教授,锂电池隔膜、涂覆工艺\n", "团队.csv")
    team.refresh_from_db()
    # The experts' matcher rebuilds its index from the latest edit: an imported change must move it.
    assert (report.updated, team.directions, team.leader) == (1, "锂电池隔膜、涂覆工艺", "张教授")
    assert team.updated_at > before


def test_an_unreadable_file_writes_nothing(world, supply):
    user = world["users"]["institution_user"]
    with pytest.raises(FactsFileError, match="缺少必填列：重点学科级别"):
        _run(user, "discipline", "学科名称\n化学\n")
    with pytest.raises(FactsFileError, match="不支持的文件类型"):
        _run(user, "discipline", "学科名称,重点学科级别\n化学,省级\n", "学科.txt")
    assert not Discipline.objects.exists()
    assert not AuditEvent.objects.filter(action="supply_record.import").exists()


def test_an_unknown_column_is_a_warning_and_a_repeated_one_makes_the_file_unreadable(world, supply):
    user = world["users"]["institution_user"]
    report = _run(user, "discipline", "学科名称,重点学科级别,负责人\n化学,省级,张三\n", "学科.csv")
    assert report.warnings == ["学科.csv：忽略未知列“负责人”"] and report.created == 1
    with pytest.raises(FactsFileError, match=r"学科\.csv：列“学科 名称”重复出现"):
        _run(user, "discipline", "学科名称,学科 名称,重点学科级别\n化学,化学,省级\n", "学科.csv")
    assert Discipline.objects.count() == 1


def test_a_firm_cannot_import_and_a_foreign_institution_user_sees_403(world, supply, client_for):
    firm = client_for(world["users"]["enterprise_user"])
    for kind in KINDS:
        assert firm.get(reverse(f"techtransfer:{kind}_import")).status_code == 403
    upload = SimpleUploadedFile("学科.csv", "学科名称,重点学科级别\n化学,省级\n".encode())
    assert firm.post(reverse("techtransfer:discipline_import"), {"file": upload}).status_code == 403
    assert not Discipline.objects.exists()


def test_the_template_lists_the_allowed_values_and_the_page_imports_it(world, supply, client_for):
    client = client_for(world["users"]["institution_user"])
    answer = client.get(reverse("techtransfer:person_import"), {"template": 1})
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["科研人员导入", "填写说明"]
    rows = list(book["科研人员导入"].iter_rows(values_only=True))
    assert rows[0] == (
        "所属机构",
        "姓名",
        "职称",
        "所在团队",
        "技术领域",
        "研究方向",
        "联系方式",
        "同意公开个人简介",
        "同意公开联系方式",
    )
    notes = {r[0]: r[1:] for r in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["同意公开联系方式"] == ("选填", "是、否（不填为否）", "本人同意后才展示联系方式")
    assert notes["技术领域"][1].startswith("电子信息、生物与新医药")
    # The example row imports once its team exists.
    Team.objects.create(institution=supply["sxu"], name="锂电池隔膜团队", leader="张教授")
    buffer = io.BytesIO(answer.content)
    page = client.post(reverse("techtransfer:person_import"), {"file": SimpleUploadedFile("人员.xlsx", buffer.read())})
    html = page.content.decode()
    assert "人员.xlsx：共 1 行，新增 1 项，更新 0 项，拒绝 0 行。" in html
    assert Person.objects.get(name="张三").team.name == "锂电池隔膜团队"
    level = client.get(reverse("techtransfer:platform_import"), {"template": 1})
    book = openpyxl.load_workbook(io.BytesIO(level.content))
    notes = {r[0]: r[2] for r in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["级别"] == "国家级、省级、市级、校（院）级"
    assert notes["平台类型"] == "重点实验室、工程（技术）研究中心、中试基地"
