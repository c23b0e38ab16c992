"""Issue 14: one facts reader. The same file gives the same row errors through the command line
(`kechuang tiers evaluate`, `points score`, `policies simulate` read it with kechuang.engine.facts_file and the
reference lists) and through the import (`kechuang import facts`, the import page: the same reader with the
database's codes)."""

from __future__ import annotations

import pytest

from kechuang import cli
from kechuang.engine.facts_file import read_facts
from kechuang.enterprises import importing
from kechuang.enterprises.models import Enterprise
from kechuang.reference.load import facts_codes
from tests.conftest import make_uscc
from tests.registry.test_import import HEADER, good_row, write_csv

COLUMNS = [*HEADER, "主营业务收入(万元)"]


def _row(n, **cells):
    row = [*good_row(n), ""]
    for column, value in cells.items():
        row[COLUMNS.index(column)] = value
    return row


@pytest.fixture
def mixed(tmp_path):
    """One row for each check, and good rows between them."""
    wrong_check = make_uscc(2)[:-1] + ("0" if make_uscc(2)[-1] != "0" else "1")
    rows = [
        _row(1),  # 2
        _row(2, 统一社会信用代码=wrong_check),  # 3
        _row(3, **{"营业收入(万元)": "一百"}),  # 4
        _row(4, 行政区划代码="999999"),  # 5: not a county of the reference list
        _row(5, 科技人员数="101"),  # 6: part larger than its whole (职工总数 100)
        _row(1),  # 7: the same firm and year as row 2
        _row(6, 企业名称="太原\x00科技"),  # 8
        _row(7, 企业名称="晋" * 201),  # 9
        _row(8, **{"营业收入(万元)": "٣٠٠٠"}),  # 10: Arabic-Indic digits
        _row(9, **{"营业收入(万元)": "１０００"}),  # 11: full-width digits are read as ASCII
        _row(10, 国民经济行业分类="9999"),  # 12
        _row(11, **{"营业收入(万元)": "1000.0001", "主营业务收入(万元)": "1000.0002"}),  # 13: exact, not float
        _row(12, 企业名称=""),  # 14
        _row(13, 年度="2024.5"),  # 15
        _row(14),  # 16
    ]
    return write_csv(tmp_path / "混合.csv", rows, header=COLUMNS)


EXPECTED = {
    (3, "统一社会信用代码", "统一社会信用代码校验位错误"),
    (4, "营业收入(万元)", "“一百”不是数字"),
    (5, "行政区划代码", "行政区划代码不存在（应为 GB/T 2260 县级代码）"),
    (6, "科技人员数", "科技人员数不能大于职工总数"),
    (7, "统一社会信用代码", "与第 2 行重复（同一企业同一年度只能出现一次）"),
    (8, "企业名称", "含有控制字符（第 3 个字符，U+0000），请删除后重新填写"),
    (9, "企业名称", "长度为 201 个字符，超过上限 200 个字符"),
    (10, "营业收入(万元)", "“٣٠٠٠”不是数字：请使用 0–9 的数字"),
    (12, "国民经济行业分类", "行业代码不存在（应为 GB/T 4754-2017 四位小类代码）"),
    (13, "主营业务收入(万元)", "主营业务收入不能大于营业收入"),
    (14, "企业名称", "必填项为空"),
    (15, "年度", "“2024.5”应为整数"),
}


@pytest.mark.django_db
def test_the_command_line_and_the_import_report_the_same_rows(ref, mixed, tmp_path, capsys):
    read = read_facts(mixed, codes=facts_codes())  # what `kechuang tiers evaluate` reads
    assert {(p.row, p.column, p.message) for p in read.errors} == EXPECTED
    report = importing.import_facts(mixed, dry_run=True)  # what `kechuang import facts` and the page read
    assert {(e["row"], e["column"], e["message"]) for e in report["errors"]} == EXPECTED
    assert (report["total_rows"], report["accepted_rows"], report["rejected_rows"]) == (15, 3, 12)
    assert (
        cli.main(
            ["tiers", "evaluate", "--input", str(mixed), "--as-of", "2025-06-30", "--output", str(tmp_path / "out.csv")]
        )
        == 2
    )
    printed = capsys.readouterr().err
    assert printed.startswith(f"错误：{mixed} 有 12 个单元格无法读取：\n")
    assert all(f"第 {row} 行，列“{column}”：{message}" in printed for row, column, message in EXPECTED)
    assert not (tmp_path / "out.csv").exists()
    assert cli.main(["import", "facts", str(mixed)]) == 1
    printed = capsys.readouterr().err
    assert all(f"混合.csv 第{row}行 列「{column}」" in printed for row, column, _ in EXPECTED)
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {make_uscc(1), make_uscc(9), make_uscc(14)}


@pytest.mark.django_db
def test_a_repeated_column_makes_the_file_unreadable_on_both_paths(ref, tmp_path, capsys):
    path = write_csv(tmp_path / "重复.csv", [[*good_row(1), "2024"]], header=[*HEADER, "year"])
    message = "重复.csv 的表头有重复的列：列“year”与列“年度”同为年度（year）。请每项数据只保留一列"
    assert (
        cli.main(
            ["tiers", "evaluate", "--input", str(path), "--as-of", "2025-06-30", "--output", str(tmp_path / "o.csv")]
        )
        == 2
    )
    assert capsys.readouterr().err == f"错误：{message}\n"
    assert cli.main(["import", "facts", str(path)]) == 2
    assert capsys.readouterr().err == f"错误：{message}\n"
    assert Enterprise.objects.count() == 0


def test_the_import_module_has_no_reader_of_its_own():
    """The import reads through the engine's reader only: no CSV or Excel parsing of its own."""
    from pathlib import Path

    source = Path(importing.__file__).read_text(encoding="utf-8")
    assert "import csv" not in source and "openpyxl" not in source and "read_facts" in source
    assert not (Path(importing.__file__).parent / "imports.py").exists()


def test_rejected_cells_are_the_rows_original_cells_as_text(tmp_path):
    """The rejected rows' cells as written (an .xlsx date without its midnight time, a whole number without
    ".0"), for the rejected-rows download; accepted rows are not among them, and the limit holds."""
    import datetime as dt

    from openpyxl import Workbook

    from kechuang.engine.facts_file import Codes

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(
        [make_uscc(1), "好企业", "140105", "6513", 2024, 100, 22, 3000.0, "150", "否", dt.datetime(2019, 3, 1)]
    )
    sheet.append([make_uscc(2), "坏企业", "999999", "6513", 2024, 10.0, None, 12.5, "5", "否", dt.datetime(2020, 1, 2)])
    sheet.append([make_uscc(3), "坏企业三", "999999", "6513", 2024])
    path = tmp_path / "x.xlsx"
    book.save(path)
    read = read_facts(path, codes=Codes(regions=frozenset({"140105"}), industries=frozenset({"6513"})))
    assert read.rejected_cells(1) == {
        3: [make_uscc(2), "坏企业", "999999", "6513", "2024", "10", "", "12.5", "5", "否", "2020-01-02"]
    }
    assert list(read.rejected_cells(10)) == [3, 4]
