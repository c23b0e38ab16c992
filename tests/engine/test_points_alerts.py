"""Monitoring alerts as data: boundaries, unknowns, messages."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from kechuang.engine.points.alerts import AlertRules, evaluate_alerts
from kechuang.engine.ruledata import RuleDataError, parse, rulebook

AS_OF = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def rules():
    return rulebook("alert_rules").in_force("monitoring", AS_OF)


def _firms() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "uscc": ["A", "B", "C", "D", "E", "F"],
            "rd_expense": [75.0, 80.0, None, 10.0, 10.0, 10.0],
            "rd_expense_prev1": [100.0, 100.0, 100.0, 10.0, 10.0, 10.0],
            "rd_expense_growth": [-0.25, -0.2, None, 0.0, 0.0, 0.0],
            "hte_certified": [True, True, None, True, True, False],
            "tech_staff_ratio": [0.0999, 0.10, 0.01, 0.5, 0.5, 0.01],
            "hte_certified_on": [
                dt.date(2022, 12, 1),
                dt.date(2022, 12, 2),
                dt.date(2022, 12, 1),
                dt.date(2022, 12, 3),
                dt.date(2022, 5, 31),
                dt.date(2022, 12, 1),
            ],
        }
    )


def _points() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "uscc": ["A", "B", "A", "B"],
            "year": [2024, 2024, 2023, 2023],
            "points": [50.0, 60.0, 60.0, 70.01],
        }
    )


def test_alerts_fire_on_known_facts_past_the_boundary(rules):
    out = evaluate_alerts(_firms(), rules, 2024, AS_OF, points=_points())
    fired = sorted(zip(out["uscc"], out["rule"], strict=True))
    assert fired == [
        ("A", "hte_expiring"),  # expires 2025-11-30, within 6 months of 2025-06-01
        ("A", "hte_tech_staff_low"),  # 9.99% < 10%
        ("A", "rd_expense_drop"),  # −25% < −20%
        ("B", "hte_expiring"),  # expires 2025-12-01: the last day counts
        ("B", "points_drop"),  # −10.01 < −10; A's −10 does not fire
    ]
    # C: unknown growth and unknown certificate → nothing; D expires 2025-12-02; E already expired; F no 高企.


def test_messages_and_values(rules):
    out = evaluate_alerts(_firms(), rules, 2024, AS_OF, points=_points())
    row = out.filter((pl.col("uscc") == "A") & (pl.col("rule") == "rd_expense_drop")).row(0, named=True)
    assert row["severity"] == "warning" and row["label"] == "研发费用大幅下降"
    assert row["message"] == "研发费用由 100.00 万元 降至 75.00 万元，下降 25%（预警线 20%）"
    assert json.loads(row["values"]) == {
        "rd_expense_growth": -0.25,
        "rd_expense_prev1": 100.0,
        "rd_expense": 75.0,
    }
    staff = out.filter(pl.col("rule") == "hte_tech_staff_low").row(0, named=True)
    assert staff["severity"] == "critical"
    assert staff["message"] == "持有高企证书，但科技人员占比为 9.99%，低于高企认定要求的 10%"
    exp = out.filter((pl.col("uscc") == "B") & (pl.col("rule") == "hte_expiring")).row(0, named=True)
    assert exp["message"] == "高企证书将于 2025-12-01 到期（6 个月内），请及早准备重新认定"
    drop = out.filter(pl.col("rule") == "points_drop").row(0, named=True)
    assert drop["message"] == "创新积分由 70.01 分降至 60 分，下降 10.01 分（预警线 10 分）"
    assert out["severity"].to_list()[0] == "critical"  # most severe first


def test_messages_carry_no_float_noise(rules):
    # 四舍五入 lands on 2858 / 100; Polars divides by multiplying with 0.01, which read "28.580000000000002 分".
    firms = _firms().with_columns(
        rd_expense=pl.Series([76.01, 80.0, None, 10.0, 10.0, 10.0]),
        rd_expense_growth=pl.Series([-0.2399, -0.2, None, 0.0, 0.0, 0.0]),
    )
    points = _points().with_columns(points=pl.Series([51.42, 60.0, 80.0, 70.01]))
    out = evaluate_alerts(firms, rules, 2024, AS_OF, points=points)
    drop = out.filter((pl.col("uscc") == "A") & (pl.col("rule") == "points_drop")).row(0, named=True)
    assert drop["message"] == "创新积分由 80 分降至 51.42 分，下降 28.58 分（预警线 10 分）"
    rd = out.filter((pl.col("uscc") == "A") & (pl.col("rule") == "rd_expense_drop")).row(0, named=True)
    assert rd["message"] == "研发费用由 100.00 万元 降至 76.01 万元，下降 23.99%（预警线 20%）"


def test_points_rules_stay_quiet_without_points(rules):
    out = evaluate_alerts(_firms(), rules, 2024, AS_OF)
    assert "points_drop" not in out["rule"].to_list()


HEAD = {"id": "x", "name": "测试", "effective_from": AS_OF, "source": "本局", "verification": "U"}


def test_a_rule_without_conditions_is_refused():
    with pytest.raises(RuleDataError) as exc:
        parse(
            AlertRules, {**HEAD, "rules": [{"id": "r", "label": "R", "severity": "info", "when": [], "message": "m"}]}
        )
    assert [str(p) for p in exc.value.problems] == ["规则 x，字段 预警规则第 1 项·条件：至少需要 1 项"]


def test_rule_validation():
    with pytest.raises(RuleDataError) as exc:
        parse(
            AlertRules,
            {
                **HEAD,
                "rules": [
                    {
                        "id": "r",
                        "label": "R",
                        "severity": "loud",
                        "when": [{"field": "a", "op": "<"}],
                        "message": "{a:yuan}",
                    }
                ],
            },
        )
    assert [str(p) for p in exc.value.problems] == [
        "规则 x，字段 预警规则第 1 项·级别：应为 info、warning、critical 之一，现为“loud”",
        "规则 x，字段 预警规则第 1 项·条件第 1 项：条件 a 小于 缺少比较值",
        "规则 x，字段 预警规则第 1 项·提示：提示中的单位 yuan 应为 percent、wan、number、count、date 之一",
    ]


def test_rule_ids_are_unique_and_fields_known():
    rule = {
        "id": "r",
        "label": "R",
        "severity": "info",
        "when": [{"field": "rd_expens", "op": "is_true"}],
        "message": "m",
    }
    with pytest.raises(RuleDataError, match="预警规则编号重复：r"):
        parse(AlertRules, {**HEAD, "rules": [rule, rule]})
    doc = parse(AlertRules, {**HEAD, "rules": [rule]})
    assert [str(p) for p in doc.problems()] == [
        "规则 x，字段 rules.r：字段 rd_expens 不存在（应为派生指标表的列，或 points、points_prev、points_delta、"
        "hte_expires_on）"
    ]
