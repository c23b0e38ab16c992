"""Chinese labels for the names rules read: facts, earlier years, derived values, policy inputs, tiers."""

import datetime as dt

from kechuang.engine import derive, facts, labels


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


def test_missing_and_gap_texts():
    assert labels.names_text("revenue@2023;class1_ip") == "营业收入（2023年度）、Ⅰ类知识产权数"
    assert labels.names_text("") == ""
    gaps = [{"condition": "rd_min", "field": "rd_expense", "current": 40.0, "required": 100.0, "delta": 60.0}]
    assert labels.gaps_text(gaps) == "研发费用：40 → 100（差 60）"
    debt = [{"condition": "debt_70", "field": "total_liabilities", "current": 1078.6039, "required": 865.78824,
             "delta": -212.8157}]
    assert labels.gaps_text(debt) == "负债总额：1078.6039 → 865.7882（需减少 212.8157）"
    assert labels.delta_text(None) == "差 未知" and labels.number_text(0.00004) == "0"
    assert labels.gaps_text(None) == ""


def test_every_condition_of_every_tier_rule_set_has_a_chinese_label():
    from kechuang.engine.rules.model import all_rulesets
    from kechuang.tiers.labels import CONDITIONS

    ids = {c["id"] for r in all_rulesets() for c in r.conditions}
    assert sorted(ids - set(CONDITIONS)) == []
