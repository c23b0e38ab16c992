"""Innovation points round half away from zero at every exact half (one case per tie).

The scheme's `precision` rounds each contribution, the total and the year-on-year change. Exact binary halves
(0.125, 0.375, 0.25 …) are ties: half away from zero gives 0.13 / −0.13, while banker's rounding (half to even)
would give 0.12 / −0.12 and pass every other test. The ties here are built from bonus and negative indicators,
whose contribution is `points × 1` exactly, so no float noise hides the rule.
"""

from __future__ import annotations

import polars as pl
import pytest

from kechuang.engine.points import scheme_from_dict, score_frame
from kechuang.engine.points.fmt import number_text
from tests.engine.test_points_fixtures import scheme_dict


def _scheme(precision: int, bonus: float, negative: float):
    data = scheme_dict()
    data["precision"] = precision
    for ind in data["indicators"]:
        if ind["id"] == "e":
            ind["points"] = bonus
        if ind["id"] == "f":
            ind["points"] = negative
    return scheme_from_dict(data)


def _one_firm(standard: bool, listed: bool) -> pl.DataFrame:
    """A firm whose weighted indicators score 0 (R&D 0, lowest and only revenue), so points = bonus − negative."""
    return pl.DataFrame(
        {
            "uscc": ["T"],
            "industry_code": ["3911"],
            "region_code": ["140105"],
            "revenue": [100.0],
            "rd_ratio_revenue": [0.0],
            "rd_expense": [0.0],
            "revenue_growth": [0.0],
            "led_standard_5y": [standard],
            "abnormal_listed": [listed],
            "dishonest_listed": [False],
        }
    )


@pytest.mark.parametrize(
    ("precision", "bonus", "expected"),
    [
        (2, 0.125, 0.13),  # half-even: 0.12
        (2, 0.375, 0.38),  # half-down: 0.37 (half-even keeps 0.38: the cases around it catch that)
        (2, 0.625, 0.63),  # half-even: 0.62
        (1, 0.25, 0.3),  # half-even: 0.2
        (0, 2.5, 3.0),  # half-even: 2
        (0, 0.5, 1.0),  # half-even: 0
    ],
)
def test_a_positive_contribution_at_an_exact_half_rounds_up(precision, bonus, expected):
    out = score_frame(_one_firm(standard=True, listed=False), _scheme(precision, bonus, 10)).row(0, named=True)
    assert out["c_e"] == expected
    assert out["points"] == expected


@pytest.mark.parametrize(
    ("precision", "negative", "expected"),
    [
        (2, 0.125, -0.13),  # half-even: −0.12; half-up (towards +∞): −0.12
        (1, 0.25, -0.3),  # half-even: −0.2
        (0, 2.5, -3.0),  # half-even: −2; half-up: −2
    ],
)
def test_a_negative_contribution_at_an_exact_half_rounds_away_from_zero(precision, negative, expected):
    out = score_frame(_one_firm(standard=False, listed=True), _scheme(precision, 5, negative)).row(0, named=True)
    assert out["c_f"] == expected
    assert out["points"] == expected


def test_display_rounds_half_away_from_zero():
    frame = pl.DataFrame({"x": [0.125, -0.125, 2.5, 0.5]})
    assert frame.select(number_text(pl.col("x"), 2).alias("t"))["t"].to_list()[:2] == ["0.13", "-0.13"]
    assert frame.select(number_text(pl.col("x"), 0).alias("t"))["t"].to_list()[2:] == ["3", "1"]
