"""evaluate(): result shape, explanation, gaps by hand, parameter versions, variants, no leakage."""

import datetime as dt
import json

import polars as pl
import pytest

from kechuang.engine.tiers import (
    GAPS,
    RESULT_COLUMNS,
    RuleSetError,
    evaluate,
    explanations,
    for_file,
    list_rulesets,
)

AS_OF = dt.date(2025, 6, 1)
WORKED = {
    "uscc": "A",
    "name": "甲",
    "year": 2024,
    "staff_total": 100.0,
    "tech_staff": 22.0,
    "revenue": 3000.0,
    "rd_expense": 150.0,
    "total_cost_expense": 2000.0,
    "total_assets": 5000.0,
    "utility_models": 2,
    "industry_code": "3911",
    "major_accident": False,
    "env_violation": False,
    "research_misconduct": False,
    "abnormal_listed": False,
    "dishonest_listed": False,
    "restricted_products": False,
    "hte_certified": False,
    "national_award_5y_top3": False,
    "rd_institution_level": "none",
    "led_standard_5y": False,
}


def _tech_sme(*rows, **kw):
    return evaluate(pl.DataFrame(list(rows), strict=False), AS_OF, ["tech_sme"], **kw)


def test_columns_are_the_tier_results_csv_plus_explanation_and_short_of():
    out = _tech_sme(WORKED)
    assert tuple(out.columns) == (*RESULT_COLUMNS, "explanation", "short_of")
    assert tuple(_tech_sme(WORKED, explain=False).columns) == RESULT_COLUMNS


def test_near_misses_without_explanations_are_the_same_short_of():
    weak = {**WORKED, "uscc": "B", "tech_staff": 14}  # 56 points: one requirement short of 60
    full = _tech_sme(WORKED, weak)
    out = _tech_sme(WORKED, weak, explain=False, near_misses=True)
    assert tuple(out.columns) == (*RESULT_COLUMNS, "short_of")
    assert out["short_of"].to_list() == full["short_of"].to_list() == ["", "score_threshold"]
    assert out.equals(full.drop("explanation"))


def test_decisions_alone_are_those_of_the_full_evaluation():
    weak = {**WORKED, "uscc": "B", "tech_staff": 14}
    unknown = {**WORKED, "uscc": "C", "staff_total": None}
    full = _tech_sme(WORKED, weak, unknown, explain=False)
    out = _tech_sme(WORKED, weak, unknown, explain=False, detail=False)
    assert out.columns == ["uscc", "tier", "ruleset", "qualified", "route", "score", "score_min", "score_max"]
    assert out["qualified"].to_list() == ["true", "false", "unknown"]
    assert out.equals(full.select(out.columns))


def test_explanations_on_demand_are_those_of_the_evaluation_for_the_named_version():
    weak = {**WORKED, "uscc": "B", "tech_staff": 14}
    frame = pl.DataFrame([WORKED, weak], strict=False)
    full = evaluate(frame, AS_OF, ["tech_sme"])
    out = explanations(frame, AS_OF, ["tech_sme@2022-05-01"])
    assert out.columns == ["uscc", "tier", "ruleset", "qualified", "route", "explanation"]
    assert out.rows() == full.select(out.columns).rows()
    with pytest.raises(RuleSetError, match="tech_sme@1999"):
        explanations(frame, AS_OF, ["tech_sme@1999-01-01"])


def test_worked_example_and_its_explanation():
    row = _tech_sme(WORKED).row(0, named=True)
    assert (row["qualified"], row["route"], row["score"], row["ruleset"]) == (
        "true",
        "score",
        64.0,
        "tech_sme@2022-05-01",
    )
    ex = json.loads(row["explanation"])
    assert ex["fiscal_year"] == 2024
    assert ex["scores"] == {
        "tech_staff": {"min": 12.0, "max": 12.0},
        "rd": {"min": 40.0, "max": 40.0},
        "achievements": {"min": 12.0, "max": 12.0},
    }
    assert ex["conditions"]["score_threshold"] == {
        "outcome": "true",
        "values": {"score_min": 64.0, "score_max": 64.0},
        "thresholds": {"pass_score": 60.0},
    }
    assert ex["conditions"]["size_limits"]["thresholds"] == {
        "staff_max": 500,
        "revenue_max": 20000,
        "assets_max": 20000,
    }


def test_gaps_by_hand_rd_expense_for_the_3_year_ratio():
    # 3-year revenue 4000 + 4000 + 5000 = 13000 at 5% needs 650; other years give 500 → last year 150.
    rows = [
        {**WORKED, "uscc": "H", "revenue": 5000.0, "rd_expense": 120.0, "registered_on": dt.date(2010, 1, 1)},
        {"uscc": "H", "name": "h", "year": 2023, "revenue": 4000.0, "rd_expense": 250.0},
        {"uscc": "H", "name": "h", "year": 2022, "revenue": 4000.0, "rd_expense": 250.0},
    ]
    out = evaluate(pl.DataFrame(rows, strict=False), AS_OF, ["high_tech"]).row(0, named=True)
    gaps = [g for g in out["gaps"] if g["condition"] == "rd_ratio_3y"]
    assert gaps == [
        {
            "condition": "rd_ratio_3y",
            "field": "rd_expense",
            "current": 120.0,
            "required": 150.0,
            "delta": 30.0,
        }
    ]


def test_gaps_are_typed_in_memory_and_json_text_when_written():
    weak = {**WORKED, "uscc": "A", "tech_staff": 5.0, "rd_expense": 10.0}
    out = _tech_sme(weak, {**WORKED, "uscc": "B"}, explain=False)
    assert out.schema["gaps"] == GAPS
    assert out["gaps"].to_list() == [
        [
            {"condition": "score_threshold", "field": "rd_expense", "current": 10.0, "required": 180.0, "delta": 170.0},
            {"condition": "tech_staff_nonzero", "field": "tech_staff", "current": 5.0, "required": 10.0, "delta": 5.0},
        ],
        [],
    ]
    text = for_file(out)["gaps"]
    assert [json.loads(t) for t in text] == out["gaps"].to_list()
    assert text[1] == "[]"
    assert for_file(_tech_sme(WORKED).head(0))["gaps"].dtype == pl.Utf8


def test_gap_money_rounds_up_to_4_decimals():
    # 5% of 3-year revenue 3333.33 = 166.6665 → R&D 166.6665; with 3 years of 1111.11 revenue each.
    rows = [{**WORKED, "uscc": "R", "revenue": 1111.11, "rd_expense": 0.0, "registered_on": dt.date(2010, 1, 1)}]
    rows += [{"uscc": "R", "name": "r", "year": y, "revenue": 1111.11, "rd_expense": 0.0} for y in (2022, 2023)]
    out = evaluate(pl.DataFrame(rows, strict=False), AS_OF, ["high_tech"]).row(0, named=True)
    gap = next(g for g in out["gaps"] if g["condition"] == "rd_ratio_3y")
    assert gap["required"] == 166.6665


def test_enterprises_do_not_leak_into_each_other():
    rows = [dict(WORKED, uscc=f"E{i}", tech_staff=float(t)) for i, t in enumerate([30, 9, 22])]
    out = _tech_sme(*rows)
    assert out["uscc"].to_list() == ["E0", "E1", "E2"]
    assert out["qualified"].to_list() == ["true", "false", "true"]
    assert out["score"].to_list() == [72.0, 52.0, 64.0]


def test_parameter_versions_from_the_platform():
    version = {
        "ruleset": "tech_sme",
        "parameter": "pass_score",
        "effective_from": "2025-01-01",
        "value": 65,
        "source": "局务会 2025-01",
        "note": "测试",
    }
    assert _tech_sme(WORKED, parameter_versions=[version])["qualified"][0] == "false"
    later = dict(version, effective_from="2025-07-01")
    assert _tech_sme(WORKED, parameter_versions=[later])["qualified"][0] == "true"
    with pytest.raises(RuleSetError):
        _tech_sme(WORKED, parameter_versions=[dict(version, parameter="nope")])


def test_list_rulesets_shows_unverified_parameters_and_versions():
    sets = {r["id"]: r for r in list_rulesets(AS_OF)}
    assert {
        "tech_sme",
        "high_tech",
        "innovative_sme",
        "specialized_sme",
        "little_giant",
        "gazelle",
        "gazelle_jinan",
        "potential_gazelle",
        "unicorn",
        "potential_unicorn",
    } <= set(sets)
    rate = next(p for p in sets["unicorn"]["parameters"] if p["path"] == "usd_cny")
    assert (rate["value"], rate["verified"], rate["effective_from"]) == (7.10, "U", dt.date(2024, 1, 1))
    old = {r["id"]: r for r in list_rulesets(dt.date(2023, 6, 1))}
    assert next(p for p in old["unicorn"]["parameters"] if p["path"] == "usd_cny")["value"] == 6.75
    # the 2026 SME revision (工信部企业〔2026〕2号) replaces the 2022 梯度 rules from 2026-04-01; the 2022 versions
    # stay for earlier dates, each version saying where its text came from
    last_2022 = {r["id"]: r for r in list_rulesets(dt.date(2026, 3, 31))}
    first_2026 = {r["id"]: r for r in list_rulesets(dt.date(2026, 4, 1))}
    for tier in ("innovative_sme", "specialized_sme", "little_giant"):
        assert last_2022[tier]["effective_to"] == dt.date(2026, 3, 31)
        assert tier not in first_2026 and first_2026[f"{tier}_2026"]["effective_from"] == dt.date(2026, 4, 1)
        assert "工信部企业〔2026〕2号" in first_2026[f"{tier}_2026"]["source"]
    assert first_2026["innovative_sme_2026"]["name_zh"] == "科技和创新型中小企业"
    assert "未能找到" in first_2026["specialized_sme_2026"]["notes"]
    assert all(p["verified"] == "P" for p in first_2026["specialized_sme_2026"]["parameters"])
    assert {r["id"]: r["effective_from"] for r in list_rulesets(dt.date(2022, 7, 31))}.keys().isdisjoint(
        {"innovative_sme", "specialized_sme", "little_giant"}
    )  # the 2022 measure took effect on 2022-08-01


def test_local_set_selects_jinan_gazelle():
    rows = [
        {"uscc": "G", "name": "g", "year": 2024, "revenue": 1440.0001, "hte_certified": True},
        {"uscc": "G", "name": "g", "year": 2022, "revenue": 1000.0},
    ]
    frame = pl.DataFrame(rows, strict=False)
    jinan = evaluate(frame, AS_OF, ["gazelle"], local_set="jinan").row(0, named=True)
    assert (jinan["ruleset"], jinan["qualified"]) == ("gazelle_jinan@2016-01-01", "true")
    huangpu = evaluate(frame, AS_OF, ["gazelle"]).row(0, named=True)
    assert huangpu["ruleset"] == "gazelle@2020-01-01"


def test_unknown_tier_is_a_clear_error():
    with pytest.raises(RuleSetError, match="nope"):
        evaluate(pl.DataFrame([WORKED]), AS_OF, ["nope"])


def test_repeated_texts_are_categoricals_in_memory_and_plain_text_when_written():
    weak = {**WORKED, "uscc": "B", "tech_staff": 14}  # one requirement short
    unknown = {**WORKED, "uscc": "C", "staff_total": None}
    out = _tech_sme(WORKED, weak, unknown)
    assert out.schema["qualified"] == pl.Enum(["false", "true", "unknown"])
    for name in ("tier", "ruleset", "route", "failed", "missing", "short_of"):
        assert out.schema[name] == pl.Categorical, name
    assert out.schema["explanation"] == pl.Utf8
    assert out.select("tier", "qualified", "route", "failed", "missing", "short_of").rows() == [
        ("tech_sme", "true", "score", "", "", ""),
        ("tech_sme", "false", None, "score_threshold", "", "score_threshold"),
        ("tech_sme", "unknown", None, "", "staff_total", ""),
    ]
    # qualified sorts as its text does (the CLI's counts are printed in that order)
    assert out.sort("qualified")["qualified"].to_list() == ["false", "true", "unknown"]
    written = for_file(out)
    assert all(written.schema[c] == pl.Utf8 for c in ("tier", "ruleset", "qualified", "route", "failed", "short_of"))
    assert written.drop("gaps").rows() == out.drop("gaps").cast({pl.Categorical: pl.Utf8, pl.Enum: pl.Utf8}).rows()


def test_no_rule_set_in_force_gives_the_same_types_empty():
    out = _tech_sme(WORKED)
    empty = evaluate(pl.DataFrame([WORKED], strict=False), dt.date(1990, 1, 1))
    assert empty.height == 0 and empty.schema == out.schema


def test_all_tiers_one_row_each():
    out = evaluate(pl.DataFrame([WORKED], strict=False), AS_OF)
    assert out.height == 9 and out["tier"].n_unique() == 9
    assert set(out["qualified"].to_list()) <= {"true", "false", "unknown"}


def test_slices_of_enterprises_give_the_same_results_in_the_same_order(monkeypatch):
    import importlib

    module = importlib.import_module("kechuang.engine.tiers.evaluate")
    rows = [
        dict(WORKED, uscc=f"E{i}", tech_staff=float(t), rd_expense=float(r))
        for i, (t, r) in enumerate([(30, 150), (9, 20), (22, 400), (0, 10), (15, 90)])
    ]
    whole = evaluate(pl.DataFrame(rows, strict=False), AS_OF)
    monkeypatch.setattr(module, "CHUNK_ROWS", 2)
    sliced = evaluate(pl.DataFrame(rows, strict=False), AS_OF)
    assert sliced.equals(whole)
    assert sliced["uscc"].to_list()[:5] == ["E0", "E1", "E2", "E3", "E4"]
    assert sliced["tier"].n_unique() == 9 and sliced.height == 45
    assert (sliced["gaps"].list.len() > 0).sum() > 0


@pytest.mark.parametrize(
    ("registered", "failed", "missing"),
    [
        (dt.date(2024, 6, 1), False, False),  # registered one year before as-of to the day: 满1年
        (dt.date(2024, 6, 2), True, False),
        (dt.date(2025, 6, 2), False, True),  # after as-of: the age is unknown
        (None, False, True),
    ],
)
def test_high_tech_age_condition_on_the_boundary_day(registered, failed, missing):
    """高企 `age_years >= min_age_years` is compared as dates (the age is not computed): the same outcome as the
    age, failed and unknown included."""
    row = dict(WORKED, registered_on=registered)
    out = evaluate(pl.DataFrame([row], strict=False), AS_OF, ["high_tech"], explain=True)
    assert ("age_1y" in out["failed"].cast(pl.Utf8).item().split(";")) is failed
    outcome = json.loads(out["explanation"].item())["conditions"]["age_1y"]["outcome"]
    assert outcome == ("false" if failed else "unknown" if missing else "true")
