"""Importing the facts table: row-level errors, all-or-nothing rows, upsert, idempotence, exit codes."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from kechuang import cli
from kechuang.core.models import AuditEvent
from kechuang.engine.facts_file import FactsFileError
from kechuang.enterprises import importing
from kechuang.enterprises.models import AnnualFigure, Enterprise
from tests.conftest import make_uscc

HEADER = [
    "统一社会信用代码",
    "企业名称",
    "行政区划代码",
    "国民经济行业分类",
    "年度",
    "职工总数",
    "科技人员数",
    "营业收入(万元)",
    "研发费用(万元)",
    "持有效高新技术企业证书",
    "成立日期",
]


def write_csv(path: Path, rows: list[list], header=HEADER, encoding="utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def good_row(n: int, year: int = 2024, revenue="3000", name=None):
    return [
        make_uscc(n),
        name or f"测试企业{n}有限公司",
        "140105",
        "6513",
        year,
        100,
        22,
        revenue,
        "150",
        "否",
        "2019-03-01",
    ]


@pytest.fixture
def bad_file(tmp_path):
    bad_check = make_uscc(7)[:-1] + ("0" if make_uscc(7)[-1] != "0" else "1")
    rows = [
        good_row(1),
        [bad_check, "校验位错企业", "140105", "6513", 2024, 10, 1, "100", "5", "否", "2020-01-01"],
        good_row(2, revenue="一百"),
        [*good_row(3)[:10], "2020-13-45"],
        [make_uscc(4), "行政区划错企业", "999999", "6513", 2024, 10, 1, "100", "5", "否", ""],
        [make_uscc(5), "科技人员超标企业", "140105", "6513", 2024, 10, 11, "100", "5", "否", ""],
        good_row(6),
    ]
    return write_csv(tmp_path / "企业数据.csv", rows)


@pytest.mark.django_db
def test_bad_rows_are_reported_with_file_row_column_and_valid_rows_are_imported(ref, bad_file):
    report = importing.import_facts(bad_file)
    assert report["total_rows"] == 7
    assert report["accepted_rows"] == 2
    assert report["rejected_rows"] == 5
    errors = {(e["row"], e["column"]): e for e in report["errors"]}
    assert errors[(3, "统一社会信用代码")]["message"] == "统一社会信用代码校验位错误"
    assert errors[(3, "统一社会信用代码")]["file"] == "企业数据.csv"
    assert errors[(4, "营业收入(万元)")]["value"] == "一百"  # the column as headed in the file
    assert errors[(4, "营业收入(万元)")]["message"] == "“一百”不是数字"
    assert "不是有效日期" in errors[(5, "成立日期")]["message"]
    assert "行政区划代码不存在" in errors[(6, "行政区划代码")]["message"]
    assert errors[(7, "科技人员数")]["message"] == "科技人员数不能大于职工总数"
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {make_uscc(1), make_uscc(6)}
    # The rejected rows wrote nothing at all, not even their valid cells.
    assert not Enterprise.objects.filter(uscc__in=[make_uscc(2), make_uscc(3)]).exists()
    figure = AnnualFigure.objects.get(enterprise__uscc=make_uscc(1), year=2024)
    assert figure.revenue == Decimal("3000") and figure.tech_staff == Decimal("22")
    assert figure.hte_certified is False
    assert figure.net_profit is None  # a column the file lacks stays unknown


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_and_records_nothing(ref, bad_file):
    importing.import_facts(bad_file)
    events = AuditEvent.objects.count()
    stamps = list(AnnualFigure.objects.order_by("pk").values_list("updated_at", flat=True))
    report = importing.import_facts(bad_file)
    assert report["stats"] == {
        "enterprises_created": 0,
        "enterprises_updated": 0,
        "figures_created": 0,
        "figures_updated": 0,
        "unchanged": 2,
    }
    assert AuditEvent.objects.count() == events
    assert list(AnnualFigure.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


@pytest.mark.django_db
def test_upsert_updates_by_uscc_and_year_and_audits_old_and_new(ref, tmp_path, world):
    user = world["users"]["bureau_staff"]
    first = write_csv(tmp_path / "a.csv", [good_row(101, 2023), good_row(101, 2024)])
    importing.import_facts(first, actor=user)
    second = write_csv(tmp_path / "b.csv", [good_row(101, 2024, revenue="3500.5", name="测试企业改名有限公司")])
    report = importing.import_facts(second, actor=user)
    assert report["stats"]["figures_updated"] == 1 and report["stats"]["enterprises_updated"] == 1
    enterprise = Enterprise.objects.get(uscc=make_uscc(101))
    assert enterprise.name == "测试企业改名有限公司"
    assert enterprise.figures.get(year=2023).revenue == Decimal("3000")
    assert enterprise.figures.get(year=2024).revenue == Decimal("3500.5")
    event = AuditEvent.objects.get(enterprise=enterprise, action="figure.update")
    assert event.changes == {"revenue": ["3000", "3500.5"]}
    assert event.actor == user
    rename = AuditEvent.objects.get(enterprise=enterprise, action="enterprise.update")
    assert rename.changes == {"name": ["测试企业101有限公司", "测试企业改名有限公司"]}


@pytest.mark.django_db
def test_static_attributes_come_from_the_latest_year(ref, tmp_path):
    rows = [good_row(1, 2024, name="新名称有限公司"), good_row(1, 2022, name="旧名称有限公司")]
    importing.import_facts(write_csv(tmp_path / "x.csv", rows))
    assert Enterprise.objects.get(uscc=make_uscc(1)).name == "新名称有限公司"


@pytest.mark.django_db
def test_dry_run_writes_nothing(ref, bad_file):
    report = importing.import_facts(bad_file, dry_run=True)
    assert report["accepted_rows"] == 2 and report["stats"] == {}
    assert Enterprise.objects.count() == 0 and AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_gbk_csv_and_english_headers(ref, tmp_path):
    header = ["uscc", "name", "year", "revenue", "hte_certified", "region_code"]
    path = write_csv(
        tmp_path / "gbk.csv",
        [[make_uscc(9), "晋中某某科技有限公司", 2025, "12.3456", "是", "140105"]],
        header=header,
        encoding="gbk",
    )
    report = importing.import_facts(path)
    assert report["errors"] == [] and report["accepted_rows"] == 1
    enterprise = Enterprise.objects.get(uscc=make_uscc(9))
    assert enterprise.name == "晋中某某科技有限公司"
    assert enterprise.figures.get().revenue == Decimal("12.3456")
    assert enterprise.figures.get().hte_certified is True


@pytest.mark.django_db
def test_xlsx_import_with_duplicate_key_rejected(ref, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(good_row(1))
    sheet.append(good_row(1))
    path = tmp_path / "dup.xlsx"
    workbook.save(path)
    report = importing.import_facts(path)
    assert report["accepted_rows"] == 1
    assert report["errors"] == [
        {
            "file": "dup.xlsx",
            "row": 3,
            "column": "统一社会信用代码",
            "value": f"{make_uscc(1)} / 2024",
            "message": "与第 2 行重复（同一企业同一年度只能出现一次）",
        }
    ]


@pytest.mark.django_db
def test_unreadable_files(ref, tmp_path):
    missing = write_csv(tmp_path / "m.csv", [["x"]], header=["企业名称"])
    with pytest.raises(FactsFileError, match=re.escape("m.csv 缺少必需的列：统一社会信用代码（uscc）、年度（year）")):
        importing.import_facts(missing)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip")
    with pytest.raises(FactsFileError, match="不是有效的 Excel"):
        importing.import_facts(fake)
    (tmp_path / "a.txt").write_text("uscc,name,year\n")
    with pytest.raises(FactsFileError, match=re.escape("a.txt：只支持 .csv 或 .xlsx 文件")):
        importing.import_facts(tmp_path / "a.txt")


@pytest.mark.django_db
def test_cli_exit_codes(ref, tmp_path, bad_file, capsys):
    good = write_csv(tmp_path / "good.csv", [good_row(11), good_row(12)])
    assert cli.main(["import", "facts", str(good), "--dry-run"]) == 0
    assert Enterprise.objects.count() == 0
    assert cli.main(["import", "facts", str(good)]) == 0
    assert Enterprise.objects.count() == 2
    assert cli.main(["import", "facts", str(bad_file)]) == 1
    err = capsys.readouterr().err
    assert "企业数据.csv 第3行 列「统一社会信用代码」" in err and "统一社会信用代码校验位错误" in err
    assert cli.main(["import", "facts", str(tmp_path / "missing.csv")]) == 2
    assert capsys.readouterr().err == f"错误：找不到文件：{tmp_path / 'missing.csv'}\n"


@pytest.mark.django_db
def test_an_empty_cell_keeps_the_stored_value_and_only_given_values_change(ref, tmp_path, world):
    """A row made from the template with two figures given must not erase the firm's other figures: an
    empty cell means "not given in this file" (clearing is the edit form's business)."""
    user = world["users"]["bureau_staff"]
    importing.import_facts(write_csv(tmp_path / "a.csv", [good_row(121, 2025)]), actor=user)
    enterprise = Enterprise.objects.get(uscc=make_uscc(121))
    # Only 职工总数 and 营业收入 given; 行政区划代码, 行业, 科技人员数, 研发费用, 高企证书, 成立日期 left empty.
    row = [make_uscc(121), "测试企业121有限公司", "", "", 2025, 120, "", "3200.5", "", "", ""]
    report = importing.import_facts(write_csv(tmp_path / "b.csv", [row]), actor=user)
    assert report["stats"] == {
        "enterprises_created": 0,
        "enterprises_updated": 0,
        "figures_created": 0,
        "figures_updated": 1,
        "unchanged": 0,
    }
    figure = AnnualFigure.objects.get(enterprise=enterprise, year=2025)
    assert (figure.staff_total, figure.revenue) == (120, Decimal("3200.5"))
    assert (figure.tech_staff, figure.rd_expense, figure.hte_certified) == (22, Decimal("150"), False)
    enterprise.refresh_from_db()
    assert (enterprise.region_id, enterprise.industry_id, str(enterprise.registered_on)) == (
        "140105",
        "6513",
        "2019-03-01",
    )
    event = AuditEvent.objects.get(enterprise=enterprise, action="figure.update")
    assert event.changes == {"staff_total": ["100", "120"], "revenue": ["3000", "3200.5"]}
    assert not AuditEvent.objects.filter(enterprise=enterprise, action="enterprise.update").exists()
    # The same sparse row again changes nothing and counts as 未变化, not 更新.
    again = importing.import_facts(write_csv(tmp_path / "c.csv", [row]), actor=user)
    assert (again["stats"]["figures_updated"], again["stats"]["unchanged"]) == (0, 1)
