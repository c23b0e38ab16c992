"""Tier rule sets as documents of the rule-data layer (kind `tiers`): loaded by its rulebook, dated by
`validity.in_force`, parameters from `params()`, and malformed files refused with Chinese messages naming the
file, the rule and the field."""

from __future__ import annotations

import datetime as dt

import pytest

from kechuang.engine.ruledata import RuleDataError, kind, rulebook
from kechuang.engine.ruledata.registry import load_file
from kechuang.engine.tiers.model import RuleSet, ruleset_by_label, rulesets_in_force, select_rulesets
from kechuang.rulesets import TIERS_DIR

RULE = """id: demo_tier
tier: demo
name: 示例梯队
effective_from: 2025-01-01
fiscal_year_offset: 1
source: 示例文件
verification: V
parameters:
  revenue_min: {label: 营业收入下限（万元）, value: 1000, verified: V, source: 示例}
conditions:
  - {id: revenue_floor, label: "营业收入≥{revenue_min}万元", when: revenue >= revenue_min}
routes:
  - {kind: conditions, all: [revenue_floor]}
"""


def _load(tmp_path, old: str | None = None, new: str = ""):
    if old is not None:
        assert old in RULE
    path = tmp_path / "demo.yaml"
    path.write_text(RULE if old is None else RULE.replace(old, new), encoding="utf-8")
    return load_file(path, RuleSet)


def test_tier_rule_sets_are_a_registered_kind_read_by_its_rulebook():
    assert kind("tiers").model is RuleSet and kind("tiers").directory == TIERS_DIR
    book = rulebook("tiers")
    assert len(book.docs) == len(list(TIERS_DIR.glob("*.yaml"))) == 13
    giant = book.in_force("little_giant", dt.date(2026, 3, 31))
    assert (giant.key, giant.label, giant.tier, giant.fiscal_year_offset) == (
        "little_giant@2022-08-01",
        "little_giant@2022-08-01",
        "little_giant",
        1,
    )
    with pytest.raises(RuleDataError, match="2026-04-01 没有生效的梯队认定规则“专精特新“小巨人”企业”"):
        book.in_force("little_giant", dt.date(2026, 4, 1))  # the 2022 text ended; little_giant_2026 took over


def test_in_force_on_the_last_and_first_day_of_a_version():
    ids = [r.id for r in rulesets_in_force(dt.date(2026, 3, 31))]
    assert "innovative_sme" in ids and "innovative_sme_2026" not in ids
    ids = [r.id for r in rulesets_in_force(dt.date(2026, 4, 1))]
    assert "innovative_sme_2026" in ids and "innovative_sme" not in ids
    assert rulesets_in_force(dt.date(2015, 12, 31)) == []


def test_parameters_are_the_layer_s_with_the_bureau_s_version_winning_from_its_day():
    (tech,) = select_rulesets(dt.date(2025, 6, 1), ["tech_sme"])
    bureau = [{"rule_id": "tech_sme", "parameter": "pass_score", "effective_from": dt.date(2025, 7, 1), "value": 65}]
    assert tech.params(dt.date(2025, 6, 30), bureau)["pass_score"] == 60
    after = tech.params(dt.date(2025, 7, 1), bureau)
    assert after["pass_score"] == 65
    assert after.version("pass_score").origin == "bureau"
    assert after.cite("pass_score") == "综合评分及格分：本局调整（自 2025-07-01 起）"
    assert tech.parameter_labels["pass_score"] == "综合评分及格分"


def test_a_stored_label_finds_its_version_through_the_rulebook():
    assert ruleset_by_label("tech_sme@2022-05-01") is rulebook("tiers").get("tech_sme@2022-05-01")
    assert ruleset_by_label("gazelle_jinan@2020-01-01").key == "gazelle_jinan@2016-01-01"


def test_a_valid_file_loads_with_its_parts_as_written(tmp_path):
    (doc,) = _load(tmp_path)
    assert (doc.key, doc.variant, doc.default, doc.values, doc.scores) == (
        "demo_tier@2025-01-01",
        "national",
        True,
        {},
        [],
    )
    assert doc.conditions == [
        {"id": "revenue_floor", "label": "营业收入≥{revenue_min}万元", "when": "revenue >= revenue_min"}
    ]
    assert doc.params(dt.date(2025, 1, 1))["revenue_min"] == 1000


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("tier: demo\n", "", "字段 tier（梯队）：缺少此项"),
        ("when: revenue", "wen: revenue", "字段 条件第 1 项·wen：不认识的项（拼写错误？）"),
        ("all: [revenue_floor]", "all: [revenue_flor]", "字段 认定路径第 1 项·all：没有条件“revenue_flor”"),
        (
            "fiscal_year_offset: 1",
            "fiscal_year_offset: -1",
            "字段 fiscal_year_offset（评估财年（基准日年份减几年））：不能小于 0，现为“-1”",
        ),
        ("verification: V", "verification: X", "字段 verification（核对状态）：应为 V、P、U 之一，现为“X”"),
        (
            "routes:",
            "  - {id: revenue_floor, label: 营业收入为正, when: revenue > 0}\nroutes:",
            "字段 条件第 2 项·id：条件编号“revenue_floor”重复",
        ),
        (
            "verified: V, source: 示例}",
            "verified: Y, source: 示例}",
            "字段 parameters.revenue_min：verified 应为 V、P 或 U，现为“Y”",
        ),
        (
            "{revenue_min}万元",
            "{revenue_max}万元",
            "字段 条件第 1 项·label：条件 revenue_floor 的 label 引用了“revenue_max”，它不是本规则集的数值参数",
        ),
        (
            'label: "营业收入≥{revenue_min}万元"',
            'label: " "',
            "字段 条件第 1 项·label：条件 revenue_floor 缺少 label（中文名称）",
        ),
        (
            "when: revenue >= revenue_min}",
            'when: revenue >= revenue_min, gaps: [{field: revenue, op: ">="}]}',
            "字段 条件第 1 项·gaps第 1 项·required：缺少此项",
        ),
        (
            "routes:\n  - {kind: conditions, all: [revenue_floor]}\n",
            "routes: []\n",
            "字段 routes（认定路径）：至少需要 1 项",
        ),
    ],
)
def test_a_malformed_rule_set_is_refused_naming_file_rule_and_field(tmp_path, old, new, message):
    with pytest.raises(RuleDataError) as refused:
        _load(tmp_path, old, new)
    assert refused.value.message == f"文件 demo.yaml，规则 demo_tier，{message}"


def test_every_problem_of_a_file_is_named_at_once(tmp_path):
    with pytest.raises(RuleDataError) as refused:
        _load(tmp_path, "name: 示例梯队", "name_zh: 示例梯队")  # the key the tiers' own loader read
    assert refused.value.message == (
        "规则数据有误（共 2 处）：\n"
        "- 文件 demo.yaml，规则 demo_tier，字段 name（名称）：缺少此项\n"
        "- 文件 demo.yaml，规则 demo_tier，字段 name_zh：不认识的项（拼写错误？）"
    )


def test_an_impossible_date_is_named_with_its_file(tmp_path):
    with pytest.raises(RuleDataError) as refused:
        _load(tmp_path, "effective_from: 2025-01-01", "effective_from: 2025-13-01")
    assert refused.value.message == "文件 demo.yaml：有无效的日期（应为真实存在的日期 YYYY-MM-DD）"


def test_a_folder_with_a_broken_file_fails_to_load_as_a_whole(tmp_path):
    (tmp_path / "good.yaml").write_text(RULE, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(RULE.replace("id: demo_tier", "id: Bad-Id"), encoding="utf-8")
    with pytest.raises(RuleDataError, match=r"^文件 bad\.yaml，规则 Bad-Id，字段 id（规则编号）：格式不对"):
        select_rulesets(dt.date(2025, 6, 1), directory=tmp_path)


def test_a_new_value_must_keep_the_tier_usable():
    (tech,) = select_rulesets(dt.date(2025, 6, 1), ["tech_sme"])
    bands = tech.params(dt.date(2025, 6, 1))["tech_staff_bands"]
    fine = [{"when": "hte_certified", "points": 3}, {"points": 0}]
    assert tech.check_parameter("tech_staff_bands", bands, fine) is None
    broken = [{"when": "hte_certified and ((", "points": 3}, {"points": 0}]
    assert (
        tech.check_parameter("tech_staff_bands", bands, broken)
        == "按新取值无法计算规则集“科技型中小企业”：条件“hte_certified and ((”：此处不应出现“结尾”"
    )
    unknown = [{"when": "no_such_fact", "points": 3}, {"points": 0}]
    assert (
        tech.check_parameter("tech_staff_bands", bands, unknown)
        == "按新取值无法计算规则集“科技型中小企业”，请对照现值检查格式"
    )
    unreachable = [{"min": 0.1, "points": 4}, {"min": 0.3, "points": 20}, {"points": 0}]
    assert "第 2 档永远用不到" in tech.check_parameter("tech_staff_bands", bands, unreachable)
