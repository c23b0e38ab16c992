"""Importing achievements and patent lists: row errors with file, row, column and a Chinese message; a patent list
re-imported updates by publication number and never duplicates; institution users import only for their own."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kechuang.core.models import AuditEvent
from kechuang.engine.io import FactsFileError
from kechuang.techtransfer.models import Achievement
from kechuang.techtransfer.supplyimport import HEADER, import_achievements

pytestmark = pytest.mark.django_db
PATENT_LIST = "公开号,专利名称,IPC分类号,申请人,法律状态\n" + (
    "CN200000001A,一种煤基石墨烯的制备方法,C01B 32/184,山西大学,有效\n"
    "CN200000002A,一种镁合金板材轧制装置,B21B,山西大学,审中\n"
)


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_a_patent_list_imports_by_publication_number_without_duplicates(world, supply):
    user = world["users"]["institution_user"]
    first = import_achievements(user=user, name="专利清单.csv", content=_csv(PATENT_LIST))
    assert (first.total_rows, first.created, first.updated, first.errors) == (2, 2, 0, [])
    made = Achievement.objects.get(patent_no="CN200000001A")
    assert (made.institution, made.kind, made.ipc, made.trl, made.legal_status) == (
        supply["sxu"],
        "patent",
        ["C01B"],
        None,
        "granted",
    )
    again = import_achievements(
        user=user, name="专利清单.csv", content=_csv(PATENT_LIST.replace("有效", "失效").replace("审中", "有效"))
    )
    assert (again.created, again.updated) == (0, 2)
    assert Achievement.objects.filter(patent_no__startswith="CN2000").count() == 2
    assert dict(
        Achievement.objects.filter(patent_no__startswith="CN2000").values_list("patent_no", "legal_status")
    ) == {
        "CN200000001A": "lapsed",
        "CN200000002A": "granted",
    }
    assert list(
        AuditEvent.objects.filter(action="achievement.import").order_by("id").values_list("note", flat=True)
    ) == [
        "专利清单.csv：新增 2 项、更新 0 项科技成果，拒绝 0 行",
        "专利清单.csv：新增 0 项、更新 2 项科技成果，拒绝 0 行",
    ]


def test_row_errors_name_file_row_column_and_nothing_bad_is_written(world, supply):
    text = (
        "所属机构,成果类型,成果名称,技术成熟度,报价下限（万元）,报价上限（万元）,转化方式,专利公开号,到期日\n"
        "山西大学,科技成果,好成果,5,10,20,转让、许可,,\n"
        "山西大学,科技成果,,12,30,20,出租,,2030-13-01\n"
        "太原理工大学,科技成果,越权成果,5,,,,,\n"
        "山西大学,专利,无号专利,,,,,,\n"
        "山西大学,专利,他校专利,,,,,,\n"
        "山西大学,科技成果,好成果,5,,,,,\n"
    )
    # 他校专利 reuses 太原理工大学's patent number once that patent exists.
    Achievement.objects.create(institution=supply["tyut"], kind="patent", title="理工专利", patent_no="CN900000001A")
    text = text.replace("他校专利,,,,,,", "他校专利,,,,,CN900000001A,")
    report = import_achievements(user=world["users"]["institution_user"], name="成果.csv", content=_csv(text))
    got = [(e.file, e.row, e.column, e.message) for e in report.errors]
    assert got == [
        ("成果.csv", 3, "成果名称", "必填项为空"),
        ("成果.csv", 3, "到期日", "日期应写作 2030-06-01"),
        ("成果.csv", 3, "技术成熟度", "技术成熟度应为 1–9 级"),
        ("成果.csv", 3, "转化方式", "未知的转化方式：出租；应为 转让、许可、作价入股、合作开发"),
        ("成果.csv", 3, "报价上限（万元）", "报价上限不能低于报价下限"),
        ("成果.csv", 4, "所属机构", "只能导入本单位的成果"),
        ("成果.csv", 5, "专利公开号", "专利须填写专利公开号"),
        ("成果.csv", 6, "专利公开号", "该专利已由太原理工大学登记"),
        ("成果.csv", 7, "", "与第 2 行是同一成果"),
    ]
    assert (report.total_rows, report.created, report.rejected_rows) == (6, 1, 5)
    assert list(Achievement.objects.filter(title="好成果").values_list("institution__name", "trl", "modes")) == [
        ("山西大学", 5, ["transfer", "licence"])
    ]
    assert not Achievement.objects.filter(title__in=["越权成果", "无号专利", "他校专利"]).exists()
    assert Achievement.objects.get(patent_no="CN900000001A").title == "理工专利"


def test_a_malformed_number_or_an_overlong_summary_is_a_row_error(world, supply):
    text = "成果名称,专利公开号,成果简介\n坏号专利,CN-1,\n长简介专利,CN300000001A," + "字" * 4001 + "\n"
    report = import_achievements(user=world["users"]["institution_user"], name="p.csv", content=_csv(text))
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "专利公开号", "专利公开号应为国家代码加号码，如 CN112345678A"),
        (3, "成果简介", "超过 4000 字"),
    ]
    assert report.created == 0


def test_a_file_without_titles_is_unreadable(world, supply):
    with pytest.raises(FactsFileError, match="缺少必填列：成果名称"):
        import_achievements(user=world["users"]["bureau_staff"], name="x.csv", content=_csv("所属机构\n山西大学\n"))


def test_an_unknown_column_is_a_warning_and_a_repeated_one_makes_the_file_unreadable(world, supply):
    user = world["users"]["institution_user"]
    before = Achievement.objects.count()
    text = "公开号,专利名称,申请人,备 注\nCN200000003A,一种镁合金,山西大学,无\n"
    report = import_achievements(user=user, name="x.csv", content=_csv(text))
    assert report.warnings == ["x.csv：忽略未知列“备 注”"] and (report.created, report.errors) == (1, [])
    with pytest.raises(FactsFileError, match=r"x\.csv：列“成果 名称”重复出现"):
        import_achievements(user=user, name="x.csv", content=_csv("成果名称,成果 名称\n甲,乙\n"))
    assert Achievement.objects.count() == before + 1


def test_the_bureau_imports_for_any_institution_on_the_page(world, supply, client_for):
    web = client_for(world["users"]["bureau_staff"])
    template = openpyxl.load_workbook(io.BytesIO(web.get("/techtransfer/achievements/import/?template=1").content))
    assert [c.value for c in template.active[1]] == HEADER
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(
        [
            "太原理工大学",
            "技术秘密",
            "焦化废水处理工艺",
            "",
            "资源与环境",
            "新能源电池",
            "C02F",
            "",
            "",
            "",
            "",
            7,
            "合作开发",
            100,
            100,
            "李经理",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("成果.xlsx", buffer.getvalue())
    page = web.post("/techtransfer/achievements/import/", {"file": upload}).content.decode()
    assert "成果.xlsx：共 1 行，新增 1 项，更新 0 项，拒绝 0 行。" in page
    a = Achievement.objects.get(title="焦化废水处理工艺")
    assert (a.institution, a.kind, a.field, a.chain, a.trl, a.manager, a.price_max) == (
        supply["tyut"],
        "know_how",
        "environment",
        supply["chain"],
        7,
        supply["quiet_manager"],
        100,
    )


def test_a_firm_cannot_import(world, supply, client_for):
    web = client_for(world["users"]["enterprise_user"])
    upload = SimpleUploadedFile("专利.csv", _csv(PATENT_LIST))
    assert web.post("/techtransfer/achievements/import/", {"file": upload}).status_code == 403
    assert not Achievement.objects.filter(patent_no__startswith="CN2000").exists()
