"""Policies as a kind of the rule-data layer: one PolicyDoc per version, Chinese messages naming file, rule
and field, the engine's deeper checks run by the document's validator, in force through validity.in_force."""

from __future__ import annotations

import datetime as dt

import pytest

from kechuang.engine.policies import PolicyDoc, PolicyError, load_policies, load_policy_file
from kechuang.engine.ruledata import RuleDataError, kinds, parse, rulebook

HEAD = """id: demo
name: 示例补助
issuer: 市科学技术局
document: 示例文件
source: 示例来源
verification: P
delivery: auto
"""
VERSION = """  - effective_from: 2025-01-01
    eligibility: [{id: big, label: 营收达标, when: "revenue >= 100"}]
    benefit: {kind: fixed, amount: 10}
"""


def write(tmp_path, text: str, name: str = "demo.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def messages(path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy_file(path)
    assert isinstance(info.value, RuleDataError)
    return [str(p) for p in info.value.problems]


def test_a_missing_field_is_named_by_file_rule_and_field(tmp_path):
    text = HEAD.replace("delivery: auto\n", "") + "versions:\n" + VERSION
    assert messages(write(tmp_path, text)) == ["文件 demo.yaml，规则 demo，字段 delivery（兑现方式）：缺少此项"]


def test_every_typed_problem_is_collected(tmp_path):
    text = HEAD.replace("delivery: auto", "delivery: fast").replace("verification: P", "verification: X")
    found = messages(write(tmp_path, text + "versions:\n" + VERSION))
    assert found == [
        "文件 demo.yaml，规则 demo，字段 verification（核对状态）：应为 V、P、U 之一，现为“X”",
        "文件 demo.yaml，规则 demo，字段 delivery（兑现方式）：应为 auto、quick、apply 之一，现为“fast”",
    ]


def test_a_problem_in_a_later_version_says_which_version(tmp_path):
    later = "  - effective_from: 2026-01-01\n    eligibility: []\n"
    found = messages(write(tmp_path, HEAD + "versions:\n" + VERSION + later))
    assert found == ["文件 demo.yaml，规则 demo，字段 第 2 版·eligibility（申报条件）：至少需要 1 项"]


def test_the_engines_deeper_checks_run_from_the_documents_validator(tmp_path):
    text = HEAD + "versions:\n" + VERSION.replace("kind: fixed", "kind: bonus")
    assert messages(write(tmp_path, text)) == [
        "文件 demo.yaml，规则 demo，字段 兑现标准·计算方式：“bonus”无效，应为 fixed、rate、bands、range 之一"
    ]
    bad_condition = HEAD + "versions:\n" + VERSION.replace("revenue >= 100", "revenu >= 100")
    (found,) = messages(write(tmp_path, bad_condition))
    assert found.startswith("文件 demo.yaml，规则 demo，字段 申报条件第 1 项：条件表达式无效")
    # a later version's problem says which version, as the layer's own problems do
    later = "  - effective_from: 2026-01-01\n    benefit: {kind: fixed, amount: -1}\n"
    assert messages(write(tmp_path, HEAD + "versions:\n" + VERSION + later)) == [
        "文件 demo.yaml，规则 demo，字段 第 2 版·兑现标准·金额：应为正数（万元）"
    ]


def test_overlapping_versions_are_named_with_the_version(tmp_path):
    first = VERSION.replace("2025-01-01\n", "2025-01-01\n    effective_to: 2025-12-31\n")
    later = "  - effective_from: 2025-06-01\n"
    assert messages(write(tmp_path, HEAD + "versions:\n" + first + later)) == [
        "文件 demo.yaml，规则 demo，字段 第 2 版·effective_from（生效日期）：生效日期与上一版本的有效期重叠"
    ]


def test_yaml_and_shape_errors_name_the_file(tmp_path):
    assert messages(write(tmp_path, "id: [unclosed"))[0].startswith("文件 demo.yaml：YAML 格式错误")
    assert messages(write(tmp_path, "- a\n- b\n")) == ["文件 demo.yaml：文件内容应为键值映射（YAML mapping）"]


def test_a_duplicate_policy_id_names_both_files(tmp_path):
    write(tmp_path, HEAD + "versions:\n" + VERSION, "a.yaml")
    write(tmp_path, HEAD + "versions:\n" + VERSION, "b.yaml")
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    assert info.value.message == "文件 b.yaml，规则 demo：政策 id“demo”与 a.yaml 重复"


def test_in_force_goes_through_the_layer(tmp_path):
    later = "  - effective_from: 2026-01-01\n    benefit: {amount: 20}\n"
    path = write(tmp_path, HEAD + "versions:\n" + VERSION + later)
    policy = load_policy_file(path)
    assert policy.version_on(dt.date(2024, 12, 31)) is None
    assert policy.version_on(dt.date(2025, 12, 31))["benefit"] == {"kind": "fixed", "amount": 10}
    assert policy.version_on(dt.date(2026, 1, 1))["version_id"] == "demo@2026-01-01"
    book = rulebook("policies", tmp_path)
    doc = book.in_force("demo", dt.date(2026, 1, 1))
    assert isinstance(doc, PolicyDoc) and doc.key == "demo@2026-01-01"
    assert doc.typed.benefit.amount_yuan == 200_000
    assert doc.version_dict() == policy.latest()


def test_a_stored_version_dict_parses_back_to_the_same_version():
    shipped = rulebook("policies")
    assert "policies" in [k.id for k in kinds()]
    assert shipped.ids() == sorted(load_policies())
    for doc in shipped.docs:
        again = parse(PolicyDoc, doc.version_dict())
        assert again.key == doc.key and again.version_dict() == doc.version_dict() and again.typed == doc.typed
