"""Explanations: per-firm structure, radar percentiles, year-on-year changes in Chinese."""

from __future__ import annotations

import json

import polars as pl
import pytest

from kechuang.engine.points import scheme_from_dict, score_frame
from kechuang.engine.points.explain import explain_changes, explain_firm, indicator_percentiles
from kechuang.engine.points.fmt import number_text, python_value_text
from tests.engine.test_points_fixtures import firms, scheme_dict


@pytest.fixture(scope="module")
def scheme():
    return scheme_from_dict(scheme_dict())


def _one(**values) -> pl.DataFrame:
    base = {
        "uscc": "F1",
        "revenue": 100.0,
        "rd_ratio_revenue": 0.06,
        "rd_expense": 50.0,
        "revenue_growth": 0.1,
        "led_standard_5y": True,
        "abnormal_listed": False,
        "dishonest_listed": False,
    }
    base.update(values)
    return pl.DataFrame([base])


def test_change_is_explained_by_indicator(scheme):
    prev = score_frame(_one(rd_ratio_revenue=0.03, rd_expense=80.0), scheme, year=2023)
    now = score_frame(_one(), scheme, year=2024)
    out = explain_changes(now, prev, scheme).row(0, named=True)
    assert (out["points_prev"], out["points"], out["delta"]) == (49.0, 60.0, 11.0)
    assert out["message"] == (
        "上升 11 分：研发费用占营业收入比例 3% → 6%（+20 分）；研发费用 80.00 万元 → 50.00 万元（−9 分）"
    )
    assert [d["indicator"] for d in out["drivers"]] == ["a", "b"]


def test_drop_with_stage_change_and_top_limit(scheme):
    prev = score_frame(_one(abnormal_listed=False), scheme, year=2023)
    now = score_frame(_one(revenue=1500.0, rd_ratio_revenue=0.04, rd_expense=820.0, abnormal_listed=True), scheme)
    out = explain_changes(now, prev, scheme, top=2).row(0, named=True)
    # now (big): a 0.5 × 25 = 12.5, b 0.82 × 25 = 20.5, e +5, f −10 → 28; before 60 → −32.
    assert out["delta"] == -32
    assert out["message"] == (
        "下降 32 分（阶段由初创期变为成长期，权重随之变化）：研发费用占营业收入比例 6% → 4%（−27.5 分）；"
        "失信或经营异常 否 → 是（−10 分）"
    )


def test_new_firm_and_unchanged_firm(scheme):
    now = score_frame(pl.concat([_one(), _one(uscc="F9")]), scheme)
    prev = score_frame(pl.concat([_one(uscc="F1")]), scheme)
    out = {r["uscc"]: r for r in explain_changes(now, prev, scheme).iter_rows(named=True)}
    assert out["F9"]["message"] == "上年无积分，无法比较"
    # F1's percentile-based and minmax scores move with its new cohort, but here both are 0 in both years.
    assert out["F1"]["message"] == "积分持平" and out["F1"]["drivers"] is None


def test_explain_firm_structure_is_json_able_and_adds_up(scheme):
    scored = score_frame(firms(), scheme, year=2024)
    info = explain_firm(scored, "F2", scheme)
    json.dumps(info, ensure_ascii=False)
    assert info["stage_label"] == "初创期" and info["points"] == 64.44 and info["list_label"] == "领跑榜"
    assert info["weights_official"] is False and info["weights_note"] == "测试用权重"
    assert sum(i["contribution"] for i in info["indicators"]) == pytest.approx(info["points"])
    a = next(i for i in info["indicators"] if i["id"] == "a")
    assert (a["raw_text"], a["normalised"], a["max_points"], a["contribution"]) == ("5.99%", 0.5, 40, 20)
    assert a["method_text"] == "分档：≥6% 得 1，≥3% 得 0.5，其余 得 0"
    # radar: of the other known small firms (F1 0.06), none is below F2's 0.0599 → 0; revenue: 1 of 2 below.
    assert a["stage_percentile"] == 0
    assert next(i for i in info["indicators"] if i["id"] == "d")["stage_percentile"] == 50
    f = next(i for i in info["indicators"] if i["id"] == "f")
    assert (f["max_points"], f["contribution"], f["raw_text"]) == (-10, -10, "是")
    assert info["groups"]["tech_innovation"] == {"label": "技术创新", "points": 50.0, "max_points": 70.0}
    assert info["ranks"]["overall"] == {"rank": 1, "percentile": 100.0}
    assert explain_firm(scored, "F3", scheme)["missing_labels"] == [
        "研发费用占营业收入比例",
        "主导制定标准",
        "失信或经营异常",
    ]
    with pytest.raises(KeyError):
        explain_firm(scored, "NOPE", scheme)


def test_indicator_percentiles_exclude_unknowns(scheme):
    scored = score_frame(firms(), scheme)
    q = dict(zip(*indicator_percentiles(scored, scheme).select("uscc", "q_a").to_dict().values(), strict=True))
    assert q == {"F1": 100.0, "F2": 0.0, "F3": None, "F4": 100.0, "F5": 0.0, "F6": None}


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.18, "percent", "18%"),
        (0.1125, "percent", "11.25%"),
        (0.099949, "percent", "9.99%"),
        (1234.5, "wan", "1,234.50 万元"),
        (None, "wan", "未知"),
        (3.0, "count", "3"),
        (True, "bool", "是"),
        (-0.0001, "number", "0"),
    ],
)
def test_value_text(value, unit, text):
    assert python_value_text(value, unit) == text


def test_number_text_drops_trailing_zeros():
    s = pl.DataFrame({"x": [8.2, 8.20001, 100.0, 0.5]}).select(number_text(pl.col("x"), 2))[:, 0]
    assert s.to_list() == ["8.2", "8.2", "100", "0.5"]
