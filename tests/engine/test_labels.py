"""Chinese labels for the names rules read: facts, earlier years, derived values, policy inputs, tiers."""

import datetime as dt

import pytest

from kechuang.engine import derive, facts, labels
from kechuang.engine.ruledata import RuleDataError
from kechuang.engine.ruledata.registry import load_file
from kechuang.engine.tiers.model import RuleSet, all_rulesets, select_rulesets
from kechuang.rulesets import TIERS_DIR

AS_OF = dt.date(2025, 6, 1)


def test_labels_of_each_kind_of_name():
    assert labels.label("rd_expense") == "研发费用"
    assert labels.label("rd_expense_prev1") == "研发费用（1年前）"
    assert labels.label("main_revenue_growth_prev1") == "主营业务收入增长率（1年前）"
    assert labels.label("revenue@2023") == "营业收入（2023年度）"
    assert labels.label("rd_ratio_3y") == "近三年研发费用占比"
    assert labels.label("loan_interest_paid") == "当年实际支付的贷款利息"
    assert labels.label("tier.high_tech") == "高新技术企业资格"
    assert labels.label("paid_before") == "此前已兑现金额（元）"
    assert labels.label("no_such_name") == "no_such_name"


def test_every_derived_value_has_a_label():
    columns = derive.derived_for_year(facts.empty_frame(), 2024, dt.date(2025, 1, 1)).columns
    assert [c for c in columns if labels.label(c) == c] == []


def test_every_value_a_rule_set_computes_has_a_label():
    names = {name for r in all_rulesets() for name in r.values} | {"score_min", "score_max"}
    assert sorted(n for n in names if labels.label(n) == n) == []


def test_value_text():
    assert [labels.value_text(v) for v in (None, True, False, 3, 0.045080240745, "electronic_information")] == [
        "未知",
        "是",
        "否",
        "3",
        "0.0451",
        "electronic_information",
    ]


def test_missing_and_gap_texts():
    assert labels.names_text("revenue@2023;class1_ip") == "营业收入（2023年度）、Ⅰ类知识产权数"
    assert labels.names_text("") == ""
    gaps = [{"condition": "rd_min", "field": "rd_expense", "current": 40.0, "required": 100.0, "delta": 60.0}]
    assert labels.gaps_text(gaps) == "研发费用：40.00 万元 → 100.00 万元（差 60.00 万元）"
    debt = [
        {
            "condition": "debt_70",
            "field": "total_liabilities",
            "current": 1078.6039,
            "required": 865.78824,
            "delta": -212.8157,
        }
    ]
    assert labels.gaps_text(debt) == "负债总额：1,078.60 万元 → 865.79 万元（需减少 212.82 万元）"
    assert labels.gap_text({"field": "rd_expense", "current": 40}) == "研发费用：40.00 万元 → 未知（差 未知）"
    assert labels.number_text(0.00004) == "0"
    assert labels.gaps_text(None) == ""


def test_condition_labels_show_the_parameters_in_force():
    tech, hte, lg = select_rulesets(AS_OF, ["tech_sme", "high_tech", "little_giant"])
    assert labels.condition_labels(tech, AS_OF)["size_limits"] == "规模（职工≤500人、年销售收入≤2亿元、资产总额≤2亿元）"
    assert labels.condition_labels(hte, AS_OF)["tech_staff_ratio"] == "科技人员占职工总数≥10%"
    assert labels.condition_labels(lg, AS_OF)["debt_70"] == "资产负债率≤70%"
    raised = [
        {
            "ruleset": "high_tech",
            "parameter": "tech_staff_ratio_min",
            "effective_from": "2025-01-01",
            "value": 0.125,
            "source": "局文件",
        }
    ]
    assert labels.condition_labels(hte, AS_OF, raised)["tech_staff_ratio"] == "科技人员占职工总数≥12.5%"
    # a version dated after the as-of date is not in force yet
    later = [{**raised[0], "effective_from": "2025-07-01"}]
    assert labels.condition_labels(hte, AS_OF, later)["tech_staff_ratio"] == "科技人员占职工总数≥10%"


def test_a_condition_id_shared_by_two_tiers_keeps_each_tier_s_meaning():
    tech, innovative = select_rulesets(AS_OF, ["tech_sme", "innovative_sme"])
    assert labels.condition_labels(tech, AS_OF)["direct_award"] == "直通：近五年国家级科技奖励（前三名）"
    assert labels.condition_labels(innovative, AS_OF)["direct_award"] == "直通：近三年获国家级、省级科技奖励"


def test_every_shipped_condition_has_a_label_naming_only_numeric_parameters():
    for r in all_rulesets():
        rendered = labels.condition_labels(r, r.effective_from)
        assert list(rendered) == [c["id"] for c in r.conditions]
        assert all(text and "{" not in text for text in rendered.values()), r.id


def _ruleset_file(tmp_path, label_line):
    text = (TIERS_DIR / "unicorn.yaml").read_text(encoding="utf-8")
    text = text.replace('    label: "成立≤{age_max}年"', label_line)
    path = tmp_path / "unicorn.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_rule_set_without_a_label_or_with_a_wrong_placeholder_is_refused(tmp_path):
    with pytest.raises(RuleDataError, match=r"^文件 unicorn\.yaml，规则 unicorn，字段 条件第 4 项·label：缺少此项$"):
        load_file(_ruleset_file(tmp_path, ""), RuleSet)
    with pytest.raises(RuleDataError) as refused:
        load_file(_ruleset_file(tmp_path, '    label: "成立≤{age_min}年"'), RuleSet)
    assert refused.value.message == (
        "文件 unicorn.yaml，规则 unicorn，字段 条件第 4 项·label："
        "条件 age_10y 的 label 引用了“age_min”，它不是本规则集的数值参数"
    )
    (loaded,) = load_file(_ruleset_file(tmp_path, '    label: "成立≤{age_max}年"'), RuleSet)
    assert next(c["label"] for c in loaded.conditions if c["id"] == "age_10y") == "成立≤{age_max}年"


def test_every_parameter_has_a_chinese_label_and_a_missing_one_is_refused(tmp_path):
    for r in all_rulesets():
        assert set(r.parameter_labels) == set(r.parameters), r.id
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in r.parameter_labels.values()), r.id
    text = (TIERS_DIR / "unicorn.yaml").read_text(encoding="utf-8")
    path = tmp_path / "unicorn.yaml"
    path.write_text(text.replace("label: 成立年限上限（年，含）, ", ""), encoding="utf-8")
    with pytest.raises(RuleDataError) as refused:
        load_file(path, RuleSet)
    assert refused.value.message == "文件 unicorn.yaml，规则 unicorn，字段 parameters.age_max：缺少 label（中文名称）"


def test_field_values_read_with_their_units():
    assert labels.field_value_text("tech_staff_ratio", 0.6471) == "64.71%"
    assert labels.field_value_text("rd_ratio_3y", 0.05) == "5%"
    assert labels.field_value_text("revenue", 1042.1733) == "1,042.17 万元"
    assert labels.field_value_text("revenue_prev1", 1000) == "1,000.00 万元"
    assert labels.field_value_text("revenue_3y", 3000.42) == "3,000.42 万元"
    assert labels.field_value_text("hightech_field", "electronic_information") == "电子信息"
    assert labels.field_value_text("rd_institution_level", "none") == "无"
    assert labels.field_value_text("staff_total", 100) == "100"
    assert labels.field_value_text("age_years", 4.58871) == "4.5887"
    assert labels.field_value_text("hte_certified", True) == "是"
    assert labels.field_value_text("revenue", None) == "未知"


def test_condition_values_take_the_unit_of_what_they_compare():
    ratio = labels.condition_values_text({"tech_staff_ratio": 0.6471}, {"tech_staff_ratio_min": 0.1})
    assert ratio == "科技人员占比=64.71%｜门槛 10%"
    money = labels.condition_values_text({"revenue": 50000}, {"young_revenue_above": 50000})
    assert money == "营业收入=5.00 亿元｜门槛 5.00 亿元"
    mixed = labels.condition_values_text({"revenue": 1.0, "tech_staff_ratio": 0.2}, {"a": 0.1, "b": 2})
    assert mixed.endswith("｜门槛 0.1、2")


def test_thresholds_take_their_own_unit_and_name_from_the_rule_set():
    """A share threshold reads in % beside money values, a USD amount in 万美元 (not the 万元 of what it is
    compared with), and each of several thresholds is named — parameters and rule-set values alike."""
    high_tech = next(r for r in all_rulesets() if r.id == "high_tech").label
    rd = labels.condition_values_text({"rd_ratio_3y": 0.04508, "revenue": 3000}, {"rd_ratio_small": 0.05}, high_tech)
    assert rd == "近三年研发费用占比=4.508% 营业收入=3,000.00 万元｜门槛 5%"
    unicorn = next(r for r in all_rulesets() if r.id == "unicorn").label
    valuation = labels.condition_values_text(
        {"valuation": 710000}, {"valuation_usd_above": 100000, "usd_cny": 7.1}, unicorn
    )
    assert valuation.endswith("｜门槛 估值须超过（万美元，不含） 100000 万美元、美元兑人民币汇率 7.1")
    little_giant = next(r for r in all_rulesets() if r.id == "little_giant").label
    required = labels.condition_values_text(
        {"rd_ratio_revenue": 0.05, "revenue": 6000}, {"revenue_mid_min": 5000, "rd_ratio_required": 0.06}, little_giant
    )
    assert required.endswith(
        "｜门槛 研发投入分档：营业收入中档下限（万元，含；不足的看融资、研发费用与研发人员）"
        " 5,000.00 万元、研发费用占比要求（按收入规模） 6%"
    )


def test_money_gaps_read_with_two_decimals_and_a_tiny_gap_is_not_zero():
    assert labels.gap_text({"field": "paid_in_capital", "current": 26.6801, "required": 30, "delta": 3.3199}) == (
        "实缴资本：26.68 万元 → 30.00 万元（差 3.32 万元）"
    )
    assert labels.gap_text({"field": "rd_expense", "current": 99.9993, "required": 100, "delta": 0.0007}) == (
        "研发费用：100.00 万元 → 100.00 万元（差 不足 0.01 万元）"
    )
    assert labels.gap_text({"field": "tech_staff", "current": 9.0, "required": 10.0, "delta": 1.0}) == (
        "科技人员数：9 → 10（差 1）"
    )


def test_gaps_read_with_units():
    assert labels.gap_text({"field": "tech_staff", "current": 14, "required": 15, "delta": 1}) == (
        "科技人员数：14 → 15（差 1）"
    )
    assert labels.gap_text({"field": "total_liabilities", "current": 800, "required": 700, "delta": -100}) == (
        "负债总额：800.00 万元 → 700.00 万元（需减少 100.00 万元）"
    )
    assert labels.condition_values_text({}, None) == ""
    sized = labels.condition_values_text(
        {"staff_total": 100}, {"staff_max": 500, "revenue_max": 20000}, "tech_sme@2022-05-01"
    )
    assert sized == "职工总数=100｜门槛 职工总数上限（人，含） 500、年销售收入上限（万元，含） 2.00 亿元"


def test_ruleset_text_names_the_rule_set_and_its_version():
    assert labels.ruleset_text("tech_sme@2022-05-01") == "科技型中小企业（2022-05-01 版）"
    assert labels.ruleset_text("gazelle_jinan@2023-01-01") == "瞪羚企业（济南高新区）（2023-01-01 版）"
    assert labels.ruleset_text("unknown") == "unknown"
