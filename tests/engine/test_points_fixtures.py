"""A small hand-checkable points scheme and frames for the points tests."""

from __future__ import annotations

import copy
import datetime as dt

import polars as pl

SCHEME = {
    "id": "tiny",
    "name": "测试方案",
    "effective_from": dt.date(2024, 1, 1),
    "verification": "U",
    "weights_official": False,
    "weights_note": "测试用权重",
    "precision": 2,
    "stage_rule": {
        "field": "revenue",
        "label": "营业收入",
        "unit": "wan",
        "stages": [
            {"id": "small", "label": "初创期", "min": None},
            {"id": "big", "label": "成长期", "min": 1000},
        ],
    },
    "indicators": [
        {
            "id": "a",
            "label": "研发费用占营业收入比例",
            "group": "tech_innovation",
            "core": True,
            "value": {"field": "rd_ratio_revenue"},
            "unit": "percent",
            "normalise": {
                "method": "bands",
                "bands": [{"min": 0.06, "score": 1}, {"min": 0.03, "score": 0.5}, {"min": None, "score": 0}],
            },
        },
        {
            "id": "b",
            "label": "研发费用",
            "group": "tech_innovation",
            "core": True,
            "value": {"field": "rd_expense"},
            "unit": "wan",
            "normalise": {"method": "share", "reference": {"small": 100, "big": 1000}, "cap": 1},
        },
        {
            "id": "c",
            "label": "营业收入增长率",
            "group": "growth_operation",
            "core": True,
            "value": {"field": "revenue_growth"},
            "unit": "percent",
            "normalise": {"method": "percentile"},
        },
        {
            "id": "d",
            "label": "营业收入",
            "group": "growth_operation",
            "core": True,
            "value": {"field": "revenue"},
            "unit": "wan",
            "normalise": {"method": "minmax"},
        },
        {
            "id": "e",
            "label": "主导制定标准",
            "group": "bonus",
            "kind": "bonus",
            "points": 5,
            "value": {"field": "led_standard_5y"},
            "unit": "bool",
            "normalise": {"method": "flag"},
        },
        {
            "id": "f",
            "label": "失信或经营异常",
            "group": "negative",
            "kind": "negative",
            "points": 10,
            "value": {"any_true": ["abnormal_listed", "dishonest_listed"]},
            "unit": "bool",
            "normalise": {"method": "flag"},
        },
    ],
    "weights": {
        "small": {"a": 40, "b": 30, "c": 20, "d": 10},
        "big": {"a": 25, "b": 25, "c": 25, "d": 25},
    },
    "lists": {
        "within": "stage",
        "tiers": [
            {"id": "leading", "label": "领跑榜", "top": 0.34},
            {"id": "competing", "label": "竞跑榜", "top": 0.67},
        ],
    },
    "rankings": {"industry_digits": 2},
}


def scheme_dict() -> dict:
    return copy.deepcopy(SCHEME)


def firms() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "uscc": ["F1", "F2", "F3", "F4", "F5", "F6"],
            "industry_code": ["3911", "3912", "2710", "3911", "2710", "2710"],
            "region_code": ["140105", "140105", "140106", "140106", "140106", "140105"],
            "revenue": [100.0, 500.0, 999.99, 1000.0, 3000.0, None],
            "rd_ratio_revenue": [0.06, 0.0599, None, 0.03, 0.01, 0.1],
            "rd_expense": [50.0, 200.0, 0.0, 1000.0, 250.0, 10.0],
            "revenue_growth": [0.1, 0.3, 0.1, None, 0.5, 0.2],
            "led_standard_5y": [True, False, None, True, False, True],
            "abnormal_listed": [False, True, None, False, False, False],
            "dishonest_listed": [False, False, False, False, False, False],
        },
        schema_overrides={"led_standard_5y": pl.Boolean, "abnormal_listed": pl.Boolean},
    )
