"""The condition language: grammar, three-valued logic, safety."""

import datetime as dt

import polars as pl
import pytest

from kechuang.engine.conditions import ConditionError, compile_condition, condition_fields

FRAME = pl.DataFrame(
    {
        "a": [1.0, None, 5.0, 0.0],
        "b": ["x", "y", None, "x"],
        "t": [True, None, False, False],
        "tier.high_tech": [True, False, None, True],
        "code": ["3911", "5211", None, "6510"],
        "d": [dt.date(2022, 10, 1), None, dt.date(2024, 1, 1), dt.date(2025, 5, 31)],
        "y": [2024, 2024, None, 2024],
    }
)


def _eval(text, params=None):
    return FRAME.select(compile_condition(text, params).alias("r"))["r"].to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a >= 1", [True, None, True, False]),
        ("a > 1 and b == 'x'", [False, False, None, False]),
        ("a > 1 or b == 'x'", [True, None, True, True]),
        ("not t", [False, None, True, True]),
        ("t or tier.high_tech", [True, None, None, True]),
        ("b in ['x', 'z']", [True, False, None, True]),
        ("b not in ['x']", [False, True, None, False]),
        ("a is null", [False, True, False, False]),
        ("known(b)", [True, True, False, True]),
        ("a / a >= 1", [True, None, True, None]),  # 0/0 is unknown, not an error
        ("max(a, 3) == 3", [True, None, False, True]),
        ("coalesce(a, 9) == 9", [False, True, False, False]),
        ("if(t, 1, 2) == 2", [False, None, True, True]),
        ("-a + 2 * 3 < 6", [True, None, True, False]),
        ("pow(a, 2) == 25", [False, None, True, False]),
        ("prefix_in(code, ['39', '65'])", [True, False, None, True]),
        ("floor(a / 2) == 2", [False, None, True, False]),
        ("floor(0 - a / 2) == -1", [True, None, False, False]),
        ("year(d) == 2022", [True, None, False, False]),
        ("d <= make_date(y + 1, 5, 31)", [True, None, None, True]),  # a deadline in the year after y
        ("make_date(y, 12, 31) > d", [True, None, None, False]),
    ],
)
def test_semantics(text, expected):
    assert _eval(text) == expected


def test_parameters_are_literals_and_lists():
    assert _eval("a >= lim and code in codes", {"lim": 1, "codes": ["3911"]}) == [True, False, None, False]


def test_fields_exclude_parameters():
    assert condition_fields("a >= lim and tier.high_tech and min(a, b) > 0", {"lim": 1}) == [
        "a",
        "tier.high_tech",
        "b",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a >=",
        "__import__('os')",
        "a.__class__ == 1",
        "a; b",
        "open('x')",
        "a ** 2",
        "lambda: 1",
        "a in b",
        "(a > 1",
    ],
)
def test_rejects_unsafe_or_malformed(text):
    with pytest.raises(ConditionError):
        FRAME.select(compile_condition(text, {}, columns=FRAME.columns))


def test_unknown_column_named_in_message():
    with pytest.raises(ConditionError, match="revenu"):
        compile_condition("revenu > 1", columns=["revenue"])
