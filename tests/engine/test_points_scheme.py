"""Points schemes: the shipped scheme, validation with Chinese errors, versions."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from kechuang.engine.points import SchemeError, get_scheme, new_version, scheme_from_dict, select_version
from kechuang.engine.points.registry import SCHEMES_DIR
from tests.engine.test_points_fixtures import scheme_dict


def test_shipped_scheme_has_18_core_indicators_in_three_groups():
    s = get_scheme("core18", dt.date(2025, 6, 30))
    core = [i for i in s.indicators if i.core]
    assert len(core) == 18
    assert Counter(i.group for i in core) == {"tech_innovation": 7, "growth_operation": 6, "auxiliary": 5}
    assert s.stage_ids == ("startup", "growth", "mature")
    for stage in s.stage_ids:
        assert sum(s.weights[stage].values()) == 100
        assert set(s.weights[stage]) == {i.id for i in core}


def test_shipped_scheme_says_weights_are_not_official():
    s = get_scheme("core18", dt.date(2025, 6, 30))
    assert s.weights_official is False
    assert "官方权重" in s.weights_note and "本局" in s.weights_note
    assert s.verification in ("V", "P", "U")


def test_shipped_scheme_is_not_in_force_before_it_starts():
    with pytest.raises(SchemeError, match="2021-12-31 没有生效的版本"):
        get_scheme("core18", dt.date(2021, 12, 31))
    assert get_scheme("core18", dt.date(2022, 1, 1)).key == "core18@2022-01-01"
    assert SCHEMES_DIR.joinpath("core18.yaml").exists()


def test_stage_weights_must_sum_to_100():
    data = scheme_dict()
    data["weights"]["big"]["d"] = 23
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(data)
    assert exc.value.errors == ["阶段 big 的权重合计为 98，应为 100"]


def test_decimal_weights_sum_exactly():
    data = scheme_dict()
    data["weights"]["small"] = {"a": 33.3, "b": 33.3, "c": 33.3, "d": 0.1}  # floats would give 99.99999…
    assert scheme_from_dict(data).weights["small"]["d"] == 0.1


def test_all_problems_are_reported_at_once_in_chinese():
    data = scheme_dict()
    data["weights_note"] = ""
    data["indicators"][0]["normalise"]["bands"] = [
        {"min": 0.03, "score": 0.5},
        {"min": 0.06, "score": 1},
        {"min": None, "score": 0},
    ]
    data["indicators"][1]["group"] = "nowhere"
    data["indicators"][2]["normalise"] = {"method": "zscore"}
    del data["weights"]["small"]["a"]
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(data)
    errors = exc.value.errors
    assert "权重非官方时必须填写 weights_note，供页面向用户说明" in errors
    assert "指标 a：分档下限必须从高到低严格递减" in errors
    assert any(e.startswith("指标 b：分组 group“nowhere”未定义") for e in errors)
    assert any(e.startswith("指标 c：赋分方法 normalise.method 应为") for e in errors)
    assert "阶段 small 缺少指标 a 的权重（不计分请填 0）" in errors
    assert "积分方案 tiny@2024-01-01 配置有误（共 5 处）" in str(exc.value)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"weights_official": "no"},
            "必须用 weights_official: true/false 说明权重是否为官方权重（官方权重未公开时填 false）",
        ),
        ({"effective_from": None}, "缺少生效日期 effective_from"),
        (
            {"lists": {"tiers": [{"id": "x", "top": 0.1}, {"id": "y", "top": 0.05}]}},
            "榜单 y 的比例 top 必须大于前一个榜单（榜单按前 x% 累计，从小到大排列）",
        ),
        (
            {
                "stage_rule": {
                    "field": "revenue",
                    "stages": [{"id": "small", "min": 0}, {"id": "big", "min": 1000}],
                }
            },
            "第一个阶段 small 的下限 min 应留空（表示无下限），否则部分企业无阶段",
        ),
    ],
)
def test_specific_validation_messages(patch, message):
    data = scheme_dict()
    data.update(patch)
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(data)
    assert message in exc.value.errors


def test_weighted_indicator_cannot_carry_points_and_bonus_needs_them():
    data = scheme_dict()
    data["indicators"][0]["points"] = 3
    del data["indicators"][4]["points"]
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(data)
    assert "指标 a：计权指标的分值由各阶段权重 weights 决定，不能填写 points" in exc.value.errors
    assert "指标 e：加减分值 points 缺少数值" in exc.value.errors


def test_versions_are_selected_by_effective_date_inclusive():
    old = scheme_from_dict(scheme_dict())
    new = new_version(old, dt.date(2025, 3, 1), {"weights": {"big": {"a": 40, "d": 10}}})
    assert new.key == "tiny@2025-03-01"
    assert new.weights["big"] == {"a": 40, "b": 25, "c": 25, "d": 10}
    assert old.weights["big"]["a"] == 25  # the old version is untouched
    both = [old, new]
    assert select_version(both, "tiny", dt.date(2025, 2, 28)) is old
    assert select_version(both, "tiny", dt.date(2025, 3, 1)) is new


def test_new_version_is_validated():
    old = scheme_from_dict(scheme_dict())
    with pytest.raises(SchemeError) as exc:
        new_version(old, dt.date(2025, 3, 1), {"weights": {"big": {"a": 30}}})
    assert exc.value.errors == ["阶段 big 的权重合计为 105，应为 100"]


def test_effective_to_closes_a_version():
    data = scheme_dict()
    data["effective_to"] = dt.date(2024, 12, 31)
    s = scheme_from_dict(data)
    assert select_version([s], "tiny", dt.date(2024, 12, 31)) is s
    with pytest.raises(SchemeError, match="2025-01-01 没有生效的版本"):
        select_version([s], "tiny", dt.date(2025, 1, 1))
