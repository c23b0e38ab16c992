"""四舍五入 on exact decimals, the same in a Polars column and for one value."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from kechuang.engine.rounding import half_up, half_up_value

# (value as the arithmetic produces it, places, what a bureau writes by hand)
TIES = [
    (2.675, 2, 2.68),  # stored as 2.67499999…: half to even and float rounding both give 2.67
    (1.005, 2, 1.01),  # stored as 1.00499999…
    (0.125, 2, 0.13),  # exact in binary: half to even gives 0.12
    (-2.675, 2, -2.68),  # away from zero
    (2.665, 2, 2.67),  # stored as 2.66500000…04: half to even on the decimal tie gives 2.66
    (-2.665, 2, -2.67),
    (5 * 0.537, 2, 2.69),  # 2.685 by decimal arithmetic, 2.6850000000000005 in floats
    (0.1 + 0.2, 1, 0.3),
    (12.5, 0, 13.0),
    (2.674999, 2, 2.67),  # not a tie: stays down
]


@pytest.mark.parametrize(("value", "places", "expected"), TIES)
def test_one_value(value, places, expected):
    assert half_up_value(value, places) == expected


def test_a_column_rounds_exactly_like_one_value():
    frame = pl.DataFrame({"x": [v for v, _p, _e in TIES], "p": [p for _v, p, _e in TIES]})
    for places in {p for _v, p, _e in TIES}:
        got = frame.filter(pl.col("p") == places).select(half_up(pl.col("x"), places))["x"].to_list()
        want = [e for _v, p, e in TIES if p == places]
        assert got == want


def test_unknown_stays_unknown_and_decimals_are_accepted():
    assert half_up_value(None, 2) is None
    assert half_up_value(Decimal("2.675"), 2) == 2.68
    assert pl.DataFrame({"x": [None]}, schema={"x": pl.Float64}).select(half_up(pl.col("x"), 2))["x"][0] is None


def test_a_rounded_column_holds_the_float_nearest_the_decimal():
    # Polars divides by multiplying with the reciprocal (2858 × 0.01 = 28.580000000000002): a page showed that.
    values = [28.58, 73.82, 1.4, 12.62, 23.99, 30.56]
    got = pl.DataFrame({"x": values}).select(half_up(pl.col("x"), 2))["x"].to_list()
    assert [repr(v) for v in got] == ["28.58", "73.82", "1.4", "12.62", "23.99", "30.56"]
