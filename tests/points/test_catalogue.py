"""Service catalogue matching: thresholds exclude the boundary, unknown is not weak, reasons are Chinese."""

from __future__ import annotations

import pytest

from kechuang.engine.points import SchemeError, get_scheme
from kechuang.points.catalogue import catalogue_from_dict, load_catalogue, match_services


def explanation(stage="growth", **indicators):
    items = []
    for iid, (label, known, score, pct) in indicators.items():
        items.append({"id": iid, "label": label, "known": known, "normalised": score, "stage_percentile": pct})
    missing = [i["label"] for i in items if not i["known"]]
    return {"stage": stage, "indicators": items, "missing_labels": missing}


CATALOGUE = catalogue_from_dict(
    {
        "services": [
            {
                "id": "ip",
                "label": "知识产权",
                "when_any": [
                    {"indicator": "inv", "score_below": 0.5},
                    {"indicator": "pct", "percentile_below": 20},
                    {"gap_field": "class2_ip"},
                ],
            },
            {"id": "rd", "label": "研发辅导", "when_any": [{"indicator": "rd", "unknown": True}]},
            {"id": "hte", "label": "高企辅导", "when_any": [{"near_miss": "high_tech", "max_failed": 2}]},
            {
                "id": "vc",
                "label": "融资",
                "stages": ["startup"],
                "when_any": [{"indicator": "inv", "score_below": 1}],
            },
            {"id": "data", "label": "补数据", "when_any": [{"missing_any": True}]},
        ]
    }
)


def test_boundaries_are_excluded():
    at = explanation(inv=("发明专利申请量", True, 0.5, 50.0), pct=("PCT", True, 0.0, 20.0), rd=("研发费用", True, 1, 1))
    assert match_services(at, {}, CATALOGUE) == []
    below = explanation(
        inv=("发明专利申请量", True, 0.49, 50.0), pct=("PCT", True, 0.0, 19.9), rd=("研发费用", True, 1, 1)
    )
    (ip,) = match_services(below, {}, CATALOGUE)
    assert ip["reasons"] == [
        "发明专利申请量得分率 49%，低于 50%",
        "PCT在同阶段企业中处于第 20 百分位，低于 20",
    ]


def test_unknown_is_not_weak_but_is_named():
    unknown = explanation(inv=("发明专利申请量", False, 0.0, None), rd=("研发费用", False, 0.0, None))
    found = {s["id"]: s["reasons"] for s in match_services(unknown, {}, CATALOGUE)}
    assert found == {"rd": ["研发费用未知（缺数据）"], "data": ["缺少数据的指标：发明专利申请量、研发费用"]}


def test_tier_gaps_and_near_misses():
    tiers = {
        "high_tech": {
            "tier": "high_tech",
            "label": "高新技术企业",
            "qualified": "false",
            "failed": ["ip", "growth"],
            "gaps": [{"field": "class2_ip", "text": "Ⅱ类知识产权：现为 0，需达到 1，差 1"}],
        },
        "little_giant": {
            "tier": "little_giant",
            "label": "小巨人",
            "qualified": "false",
            "failed": ["a", "b", "c"],
            "gaps": [],
        },
    }
    found = {s["id"]: s["reasons"] for s in match_services(explanation(), tiers, CATALOGUE)}
    assert found == {
        "ip": ["高新技术企业：Ⅱ类知识产权：现为 0，需达到 1，差 1"],
        "hte": ["高新技术企业仅差 2 项条件（ip、growth）"],
    }
    # Gaps of tiers beyond the next level do not count when the caller names the next level.
    found = {s["id"] for s in match_services(explanation(), tiers, CATALOGUE, gap_tiers={"tech_sme"})}
    assert found == {"hte"}
    tiers["high_tech"]["failed"] = ["ip", "growth", "field"]
    assert "hte" not in {s["id"] for s in match_services(explanation(), tiers, CATALOGUE)}


def test_stage_restriction():
    weak = explanation(stage="startup", inv=("发明专利申请量", True, 0.9, 50.0))
    assert [s["id"] for s in match_services(weak, {}, CATALOGUE)] == ["vc"]
    assert match_services(explanation(stage="growth", inv=("发明专利申请量", True, 0.9, 50.0)), {}, CATALOGUE) == []


def test_bad_catalogue_lists_every_problem_in_chinese():
    with pytest.raises(SchemeError) as err:
        catalogue_from_dict(
            {
                "services": [
                    {"id": "x", "label": "X", "when_any": [{"indicator": "a"}]},
                    {"id": "y", "when_any": []},
                ]
            }
        )
    assert err.value.errors == [
        "服务 x：指标条件须含 score_below、percentile_below 或 unknown 之一",
        "服务 y：缺少编号 id 或名称 label",
        "服务 y：至少需要一个触发条件 when_any",
    ]


def test_shipped_catalogue_names_only_indicators_of_the_shipped_scheme():
    ids = {i.id for i in get_scheme("core18").indicators}
    named = {t["indicator"] for s in load_catalogue() for t in s.when_any if "indicator" in t}
    assert named and named <= ids
