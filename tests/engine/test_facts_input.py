"""Reading one cell (facts.parse_value, shared by the command line and the platform's import) and the USCC check."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from kechuang.engine import facts, facts_file
from tests.conftest import make_uscc

REVENUE, STAFF, COUNT = facts.BY_NAME["revenue"], facts.BY_NAME["staff_total"], facts.BY_NAME["conversions"]
COMMA = "千位分隔符“,”只能每三位一组（如 1,234,567.8）"


@pytest.mark.parametrize(
    ("column", "raw", "value"),
    [
        (REVENUE, "1,234,567.8", Decimal("1234567.8")),
        (REVENUE, "12,345", Decimal("12345")),
        (facts.BY_NAME["net_profit"], "-1,000", Decimal("-1000")),
        (REVENUE, "+5", Decimal("5")),
        (REVENUE, ".5", Decimal("0.5")),
        (REVENUE, "１２", Decimal("12")),  # full-width digits, as typed with a Chinese input method
        (REVENUE, 3000, Decimal("3000")),
        (REVENUE, 12.5, Decimal("12.5")),
        (REVENUE, "", None),
        (COUNT, "1e3", 1000),
    ],
)
def test_numbers(column, raw, value):
    assert facts.parse_value(column, raw) == value


@pytest.mark.parametrize(
    ("column", "raw", "message"),
    [
        (REVENUE, "1e999", "“1e999”不是有效数字（数值过大，绝对值应小于 100000000000000）"),
        (REVENUE, "2e14", "“2e14”不是有效数字（数值过大，绝对值应小于 100000000000000）"),
        (STAFF, "1e12", "“1e12”不是有效数字（数值过大，绝对值应小于 1000000000000）"),
        (COUNT, "1e999", "“1e999”不是有效数字（数值过大，绝对值应小于 2147483648）"),
        (REVENUE, float("inf"), "“inf”不是有效数字"),
        (REVENUE, "NaN", "“NaN”不是有效数字"),
        (REVENUE, "sNaN", "“sNaN”不是有效数字"),
        (REVENUE, "12,3", f"“12,3”不是有效数字：{COMMA}"),
        (REVENUE, "1,2,3,4", f"“1,2,3,4”不是有效数字：{COMMA}"),
        (REVENUE, "1,2345", f"“1,2345”不是有效数字：{COMMA}"),
        (REVENUE, ",123", f"“,123”不是有效数字：{COMMA}"),
        (REVENUE, "1_000", "“1_000”不是数字"),
        (REVENUE, "一百", "“一百”不是数字"),
        (REVENUE, "1e-5", "“1e-5”小数位数过多（最多 4 位小数）"),
        (REVENUE, "٣٠٠", "“٣٠٠”不是数字：请使用 0–9 的数字"),  # Arabic-Indic digits, though Decimal reads them
        (COUNT, "३", "“३”不是数字：请使用 0–9 的数字"),  # Devanagari
        (REVENUE, "x" * 60, f"“{'x' * 50}…”不是数字"),  # a message quotes at most 50 characters
        (REVENUE, "1\x002", "“1␀2”不是数字"),  # control characters shown as their pictures
    ],
)
def test_invalid_numbers(column, raw, message):
    with pytest.raises(facts.CellError) as error:
        facts.parse_value(column, raw)
    assert error.value.message == message


def test_rd_institution_level_accepts_chinese():
    column = facts.BY_NAME["rd_institution_level"]
    accepted = ["none", "无", "市级", "市", "省级", "省", "国家级", "国家"]
    assert [facts.parse_value(column, v) for v in accepted] == [
        "none",
        "none",
        "municipal",
        "municipal",
        "provincial",
        "provincial",
        "national",
        "national",
    ]
    with pytest.raises(facts.CellError) as error:
        facts.parse_value(column, "区级")
    assert error.value.message == (
        "取值“区级”不在允许范围内：无（none）、市级（municipal）、省级（provincial）、国家级（national）"
    )


def test_uscc_problem_messages():
    good = make_uscc(1)
    codes = [good, good[:-1] + ("0" if good[-1] != "0" else "1"), "ABC", good[:8] + "I" + good[9:]]
    assert [facts.uscc_problem(c) for c in codes] == [
        None,
        "统一社会信用代码校验位错误",
        "统一社会信用代码应为18位",
        "统一社会信用代码格式错误（含非法字符或登记管理部门代码无效）",
    ]


def test_vectorised_uscc_check_agrees_with_the_reference():
    good = [make_uscc(n) for n in range(300)]
    bad = [c[:-1] + ("A" if c[-1] != "A" else "B") for c in good] + ["", "ABC", good[0] + "0", good[0][:17] + "I"]
    codes = pl.Series([*good, *bad, None])
    expected = [facts.uscc_problem(c) is None if c else False for c in codes.to_list()]
    assert facts_file._uscc_ok(codes).to_list() == expected


def test_csv_and_read_facts_agree_on_numbers(tmp_path):
    """The vectorised CSV path and parse_value (xlsx path) accept and reject the same cells."""
    values = ["1,234.5", "12,3", "1e3", "1e999", "NaN", "１２", "+5", ".5", "5.", "1_000", "-1"]
    path = tmp_path / "facts.csv"
    lines = ["uscc,name,year,revenue"] + [f'{make_uscc(i)},x,2024,"{v}"' for i, v in enumerate(values)]
    path.write_text("\n".join(lines), encoding="utf-8")
    read = facts_file.read_facts(path, codes=None)
    frame, problems = read.frame, read.problems
    expected = []
    for v in values:
        try:
            parsed = facts.parse_value(REVENUE, v)
            expected.append(float(parsed))
        except facts.CellError:
            expected.append(None)
    assert frame["revenue"].to_list() == expected
    assert [(p.row, p.value) for p in problems] == [(i + 2, v) for i, v in enumerate(values) if expected[i] is None]


NAME, ORIGIN = facts.BY_NAME["name"], facts.BY_NAME["origin_institution"]


@pytest.mark.parametrize(
    ("column", "raw", "value"),
    [
        (NAME, " 太原甲 ", "太原甲"),
        (NAME, "晋" * 200, "晋" * 200),
        (ORIGIN, "学" * 128, "学" * 128),
        (NAME, "'=HYPERLINK(1)", "=HYPERLINK(1)"),  # an export's guard is dropped: export → import changes nothing
        (NAME, "'abc", "'abc"),  # an apostrophe before anything else is the name's
        (facts.BY_NAME["uscc"], f" {make_uscc(1).lower()[:6]}-{make_uscc(1).lower()[6:]} ", make_uscc(1)),
        (facts.BY_NAME["registered_on"], "２０２４－０１－３１", dt.date(2024, 1, 31)),
    ],
)
def test_text_and_dates(column, raw, value):
    assert facts.parse_value(column, raw) == value


@pytest.mark.parametrize(
    ("column", "raw", "message"),
    [
        (NAME, "晋" * 201, "长度为 201 个字符，超过上限 200 个字符"),
        (ORIGIN, "学" * 129, "长度为 129 个字符，超过上限 128 个字符"),
        (NAME, "甲\x00乙", "含有控制字符（第 2 个字符，U+0000），请删除后重新填写"),
        (NAME, "甲\x85乙", "含有控制字符（第 2 个字符，U+0085），请删除后重新填写"),
        (NAME, "甲\n乙", "含有控制字符（第 2 个字符，U+000A），请删除后重新填写"),
        (facts.BY_NAME["uscc"], "x" * 300, "统一社会信用代码应为18位"),
        (facts.BY_NAME["registered_on"], "٢٠٢٤-01-01", "“٢٠٢٤-01-01”不是有效日期，请使用 YYYY-MM-DD 格式"),
        (facts.BY_NAME["digitalization_level"], "0", "数字化水平等级“0”超出合理范围（1–4）"),
    ],
)
def test_invalid_text_and_dates(column, raw, message):
    with pytest.raises(facts.CellError) as error:
        facts.parse_value(column, raw)
    assert error.value.message == message


def test_csv_and_xlsx_are_read_alike_and_money_stays_exact(tmp_path):
    """The vectorised CSV path and the cell-by-cell XLSX path give the same values and problems; the import's
    records carry money as exact decimals (no float on the way)."""
    import openpyxl

    header = ["uscc", "name", "year", "revenue", "main_revenue", "digitalization_level"]
    rows = [
        [make_uscc(1), "'=甲", "2024", "99999999999999.9999", "1.0001", "4"],
        [make_uscc(2), "乙\x85乙", "2024", "0.1", "0.2", "5"],
        [make_uscc(3), "丙" * 201, "2024", "12345678901234.5678", "12345678901234.5679", ""],
        [make_uscc(4), "丁", "2024", "１２．５", "", "1"],
    ]
    csv_path = tmp_path / "f.csv"
    csv_path.write_text("\n".join(",".join(r) for r in [header, *rows]), encoding="utf-8")
    book = openpyxl.Workbook()
    for r in [header, *rows]:
        book.active.append(r)
    xlsx_path = tmp_path / "f.xlsx"
    book.save(xlsx_path)
    read_csv, read_xlsx = (facts_file.read_facts(p, codes=None) for p in (csv_path, xlsx_path))
    for read in (read_csv, read_xlsx):
        assert [(p.row, p.column, p.message) for p in read.errors] == [
            (3, "name", "含有控制字符（第 2 个字符，U+0085），请删除后重新填写"),
            (3, "digitalization_level", "数字化水平等级“5”超出合理范围（1–4）"),
            (3, "main_revenue", "主营业务收入不能大于营业收入"),  # cells first, then the rows' checks
            (4, "name", "长度为 201 个字符，超过上限 200 个字符"),
            (4, "main_revenue", "主营业务收入不能大于营业收入"),  # decided on the exact decimals
        ]
        records, numbers = read.records()
        assert numbers == [2, 5]
        assert records[0]["name"] == "=甲"
        assert records[0]["revenue"] == Decimal("99999999999999.9999")
        assert records[1]["revenue"] == Decimal("12.5")
    assert read_csv.frame.equals(read_xlsx.frame)


def test_part_equal_to_whole_whatever_its_text_and_a_bom_or_quotes_read_alike(tmp_path):
    """A part equal to its whole is no error, written alike or not (5 and 5.00); one a ten-thousandth larger is.
    A file with a BOM (read from its own bytes) and one quoting its cells (the line-by-line quote check) give
    the same panel and problems as the plain file."""
    header = ["uscc", "name", "year", "revenue", "main_revenue"]
    rows = [
        [make_uscc(1), "甲", "2024", "5", "5"],
        [make_uscc(2), "乙", "2024", "5", "5.00"],
        [make_uscc(3), "丙", "2024", "5", "5.0001"],
    ]
    plain = "\n".join(",".join(r) for r in [header, *rows])
    quoted = "\n".join(",".join(f'"{c}"' for c in r) for r in [header, *rows])
    paths = [tmp_path / "plain.csv", tmp_path / "bom.csv", tmp_path / "quoted.csv"]
    paths[0].write_text(plain, encoding="utf-8")
    paths[1].write_bytes(b"\xef\xbb\xbf" + plain.encode("utf-8"))
    paths[2].write_text(quoted, encoding="utf-8")
    reads = [facts_file.read_facts(p, codes=None) for p in paths]
    for read in reads:
        assert read.headers == header
        assert [(p.row, p.column, p.value, p.message) for p in read.errors] == [
            (4, "main_revenue", "5.0001", "主营业务收入不能大于营业收入")
        ]
        assert read.frame.equals(reads[0].frame)
