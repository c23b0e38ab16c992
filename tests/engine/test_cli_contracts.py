"""`kechuang contracts check` end to end on small files (stateless; no Django): decisions, row errors, exit codes."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from kechuang.cli import main

SELLER, BUYER = "911401050000000195", "911401050000000270"
HEADER = [
    "contract_no",
    "project",
    "type",
    "seller_name",
    "seller_uscc",
    "seller_region",
    "buyer_name",
    "buyer_uscc",
    "buyer_country",
    "buyer_region",
    "signed_on",
    "valid_to",
    "total_amount",
    "non_tech_amount",
    "written",
]


def row(no, **kw):
    values = {
        "contract_no": no,
        "project": "锂电池隔膜中试",
        "type": "技术开发",
        "seller_name": "太原理工大学",
        "seller_uscc": SELLER,
        "seller_region": "140105",
        "buyer_name": "山西某新材料有限公司",
        "buyer_uscc": BUYER,
        "buyer_country": "",
        "buyer_region": "140702",
        "signed_on": "2026-06-01",
        "valid_to": "2027-05-31",
        "total_amount": "120",
        "non_tech_amount": "20",
        "written": "true",
        **kw,
    }
    return [values[h] for h in HEADER]


def write_csv(path, rows, header=HEADER, encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def check(tmp_path, source, as_of="2026-06-30"):
    out = tmp_path / "out.csv"
    code = main(["contracts", "check", "--input", str(source), "--as-of", as_of, "--output", str(out)])
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig"))) if out.exists() else None
    return code, rows


def test_every_reason_code_and_the_boundaries(tmp_path, capsys):
    rows = [
        row("OK"),
        row("EQUAL", total_amount="80", non_tech_amount="80"),
        row("SAME-DAY", signed_on="2026-06-30", valid_to=""),
        row("FOREIGN", buyer_uscc="", buyer_country="DE", buyer_region="", type="licence"),
        row("ORAL", written="否"),
        row("NOPARTY", buyer_name=""),
        row("BADUSCC", seller_uscc="911401050000000196"),
        row("ZERO", total_amount="0", non_tech_amount=""),
        row("NOPRICE", total_amount="", non_tech_amount=""),
        row("OVER", total_amount="80", non_tech_amount="80.01"),
        row("TYPE", type="技术入股"),
        row("LATE", signed_on="2026-07-01", valid_to=""),
    ]
    code, out = check(tmp_path, write_csv(tmp_path / "c.csv", rows))
    assert code == 0
    got = {r["contract_no"]: (r["decision"], r["reason_code"], r["tech_amount"]) for r in out}
    assert got == {
        "OK": ("registered", "ok", "100"),
        "EQUAL": ("registered", "ok", "0"),
        "SAME-DAY": ("registered", "ok", "100"),
        "FOREIGN": ("registered", "ok", "100"),
        "ORAL": ("refused", "not_written", ""),
        "NOPARTY": ("refused", "party_unclear", ""),
        "BADUSCC": ("refused", "party_unclear", ""),
        "ZERO": ("refused", "price_unclear", ""),
        "NOPRICE": ("refused", "price_unclear", ""),
        "OVER": ("refused", "amounts_inconsistent", ""),
        "TYPE": ("refused", "type_unknown", ""),
        "LATE": ("refused", "signed_after_as_of", ""),
    }
    assert [r["contract_no"] for r in out] == [r[0] for r in rows]  # file order
    assert out[5]["reason"] == "未予登记：当事人不明确（买方名称为空）"
    assert out[6]["reason"] == "未予登记：当事人不明确（卖方统一社会信用代码校验位错误）"
    printed = capsys.readouterr().out
    assert "予以登记 4 份，技术交易额合计 300 万元；未予登记 8 份" in printed
    assert "registration_2026@2026-03-01" in printed


def test_malformed_cells_are_row_errors_exit_1_and_good_rows_still_written(tmp_path, capsys):
    rows = [
        row("A"),
        row("B", total_amount="abc"),
        row("C", signed_on="2026-02-30"),
        row("D", written="maybe"),
        row("E", seller_region="14010"),
        row("F", valid_to="2026-05-01"),
        row("A"),
        row("", project="无编号"),
    ]
    code, out = check(tmp_path, write_csv(tmp_path / "c.csv", rows))
    assert code == 1
    assert [r["contract_no"] for r in out] == ["A"]
    err = capsys.readouterr().err
    assert "错误：c.csv 第 3 行，列“total_amount”：“abc”不是数字" in err
    assert "错误：c.csv 第 4 行，列“signed_on”：“2026-02-30”不是有效日期，请使用 YYYY-MM-DD 格式" in err
    assert "错误：c.csv 第 5 行，列“written”：“maybe”不是有效的是/否值" in err
    assert "错误：c.csv 第 6 行，列“seller_region”：行政区划代码应为 6 位数字（GB/T 2260）" in err
    assert "错误：c.csv 第 7 行，列“valid_to”：有效期至早于签订日期 2026-06-01" in err
    assert "错误：c.csv 第 8 行，列“contract_no”：合同编号与第 2 行重复" in err
    assert "错误：c.csv 第 9 行，列“contract_no”：必填" in err


def test_chinese_headers_gbk_and_an_unknown_column(tmp_path, capsys):
    labels = [
        "合同编号",
        "项目名称",
        "合同类型",
        "卖方名称",
        "卖方统一社会信用代码",
        "卖方行政区划代码",
        "买方名称",
        "买方统一社会信用代码",
        "买方国家或地区代码",
        "买方行政区划代码",
        "签订日期",
        "有效期至",
        "合同成交额（万元）",
        "非技术性款项（万元）",
        "书面合同",
    ]
    source = write_csv(tmp_path / "c.csv", [[*row("G1"), "x"]], header=[*labels, "备注"], encoding="gbk")
    code, out = check(tmp_path, source)
    assert code == 0
    assert (out[0]["decision"], out[0]["tech_amount"]) == ("registered", "100")
    assert "提示：c.csv 列“备注”：未知的列，已忽略" in capsys.readouterr().err


def test_xlsx_input_and_formula_text_neutralised_in_the_output(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(row("-C1+1", total_amount=520, non_tech_amount=20))
    book.save(tmp_path / "c.xlsx")
    code, out = check(tmp_path, tmp_path / "c.xlsx")
    assert code == 0
    assert out[0]["contract_no"] == "'-C1+1"
    assert (out[0]["decision"], out[0]["tech_amount"]) == ("registered", "500")


def test_the_rules_of_the_application_date_decide(tmp_path):
    source = write_csv(tmp_path / "c.csv", [row("OLD", signed_on="2025-06-01", valid_to="")])
    assert check(tmp_path, source, as_of="2026-02-28")[0] == 0
    assert check(tmp_path, source, as_of="2025-05-31")[1][0]["reason_code"] == "signed_after_as_of"


@pytest.mark.parametrize(
    ("content", "as_of", "message"),
    [
        (None, "2026-06-30", "不存在"),
        ("contract_no,type\nA,技术开发\n", "2026-06-30", "缺少必需的列：卖方名称（seller_name）"),
        (",".join([*HEADER, "合同编号"]) + "\n", "2026-06-30", "表头有重复的列"),
        (",".join(HEADER) + "\n", "2026-13-01", "日期“2026-13-01”无效"),
        (",".join(HEADER) + "\n", "1999-01-01", "没有生效的技术合同认定登记规则"),
    ],
)
def test_an_unreadable_file_or_bad_arguments_exit_2_and_write_nothing(tmp_path, capsys, content, as_of, message):
    source = tmp_path / "c.csv"
    if content is not None:
        source.write_text(content, encoding="utf-8")
    code, out = check(tmp_path, source, as_of=as_of)
    assert (code, out) == (2, None)
    assert message in capsys.readouterr().err


def test_an_output_that_is_not_csv_or_xlsx_exits_2(tmp_path, capsys):
    source = write_csv(tmp_path / "c.csv", [row("A")])
    code = main(
        ["contracts", "check", "--input", str(source), "--as-of", "2026-06-30", "--output", str(tmp_path / "out.txt")]
    )
    assert code == 2
    assert "只支持写出 .csv 或 .xlsx 文件" in capsys.readouterr().err
