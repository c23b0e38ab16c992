"""Reading one cell (facts.parse_value, shared by the command line and the platform's import) and the USCC check."""

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
        "none", "none", "municipal", "municipal", "provincial", "provincial", "national", "national"
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
        None, "统一社会信用代码校验位错误", "统一社会信用代码应为18位",
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
    assert [(p.row, p.value) for p in problems] == [
        (i + 2, v) for i, v in enumerate(values) if expected[i] is None
    ]
