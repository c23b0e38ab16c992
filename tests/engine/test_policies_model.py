"""Policy YAML: version resolution, dates, validation with Chinese messages."""

import datetime as dt
import textwrap

import pytest

from kechuang.engine.policies import (
    PolicyError,
    load_policies,
    load_policy_file,
    resolve_versions,
    validate_version,
)

BASE = {
    "id": "demo",
    "name": "示例政策",
    "issuer": "市科学技术局",
    "document": "示例〔2025〕1号",
    "source": "https://example.gov.cn/1",
    "verification": "V",
    "delivery": "auto",
    "effective_from": "2025-01-01",
    "eligibility": [{"id": "valley", "label": "入驻谷区", "when": "valley_resident"}],
    "benefit": {"kind": "fixed", "amount": 10},
}


def version(**changes):
    return {**BASE, **changes}


def write(tmp_path, text, name="demo.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


TWO_VERSIONS = """
    id: demo
    name: 示例政策
    issuer: 市科学技术局
    document: 示例〔2025〕1号
    source: https://example.gov.cn/1
    verification: V
    delivery: auto
    versions:
      - effective_from: 2025-01-01
        effective_to: 2025-12-31
        note: 首次发布
        eligibility:
          - {id: valley, label: 入驻谷区, when: valley_resident}
        benefit: {kind: range, min: 30, max: 100, caps: [{id: half, rate: 0.5, of: paid_in_capital}]}
      - effective_from: 2026-01-01
        effective_to: null
        note: 上限调整为50万
        source: https://example.gov.cn/2
        benefit: {max: 50}
"""


def test_later_version_merges_only_what_changed(tmp_path):
    policy = load_policy_file(write(tmp_path, TWO_VERSIONS))
    first, second = policy.versions
    assert first["version_id"] == "demo@2025-01-01"
    assert second["version_id"] == "demo@2026-01-01"
    assert second["benefit"] == {
        "kind": "range",
        "min": 30,
        "max": 50,
        "caps": [{"id": "half", "rate": 0.5, "of": "paid_in_capital"}],
    }
    assert second["eligibility"] == first["eligibility"]
    assert (first["source"], second["source"]) == ("https://example.gov.cn/1", "https://example.gov.cn/2")
    assert second["note"] == "上限调整为50万"
    assert first["benefit"]["max"] == 100  # the earlier version is untouched


def test_version_on_uses_inclusive_dates(tmp_path):
    policy = load_policy_file(write(tmp_path, TWO_VERSIONS))
    assert policy.version_on(dt.date(2024, 12, 31)) is None
    assert policy.version_on(dt.date(2025, 1, 1))["version_id"] == "demo@2025-01-01"
    assert policy.version_on(dt.date(2025, 12, 31))["version_id"] == "demo@2025-01-01"
    assert policy.version_on(dt.date(2026, 1, 1))["version_id"] == "demo@2026-01-01"


def test_version_dict_is_json_safe():
    import json

    (resolved,) = resolve_versions({**BASE, "effective_from": dt.date(2025, 1, 1)})
    assert json.loads(json.dumps(resolved)) == resolved
    assert resolved["effective_from"] == "2025-01-01"


def test_overlapping_versions_are_rejected(tmp_path):
    text = TWO_VERSIONS.replace("effective_to: 2025-12-31", "effective_to: 2026-01-01")
    with pytest.raises(PolicyError, match="重叠"):
        load_policy_file(write(tmp_path, text))


def test_valid_version_is_typed():
    typed = validate_version(
        version(
            benefit={
                "kind": "rate",
                "base": "procurement_amount",
                "rate": 0.1,
                "caps": [{"id": "cap", "amount": 1000}],
            }
        )
    )
    assert typed.benefit.rate == (1, 10)
    assert typed.benefit.caps[0].amount_yuan == 10_000_000
    assert typed.version_id == "demo@2025-01-01"
    assert typed.facts_year == "last"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"delivery": "post"}, "字段 delivery（兑现方式）：“post”无效，应为 auto、quick、apply 之一"),
        ({"verification": "X"}, "字段 verification（核对状态）：“X”无效，应为 V、P、U 之一"),
        ({"colour": "red"}, "未知字段 colour（可用：benefit（兑现标准）、budget（预算）"),
        (
            {"benefit": {"kind": "fixed", "amount": 1, "caps": [{"id": "c", "amount": 1, "rate": 0.5}]}},
            "字段 兑现标准·金额上限第 1 项：固定金额与比例（比例 × 比例基数）只能二选一",
        ),
        ({"name": ""}, "字段 name（名称）：缺少此项"),
        ({"effective_from": "2025-13-01"}, "字段 effective_from（生效日期）：“2025-13-01”不是有效日期（YYYY-MM-DD）"),
        ({"effective_to": "2024-12-31"}, "字段 effective_to（失效日期）：失效日期早于生效日期"),
        ({"id": "Demo-1"}, "字段 id（规则编号）：“Demo-1”格式无效（小写字母开头，仅含小写字母、数字、下划线）"),
        (
            {"benefit": {"kind": "grant", "amount": 1}},
            "字段 兑现标准·计算方式：“grant”无效，应为 fixed、rate、bands、range 之一",
        ),
        (
            {"benefit": {"kind": "fixed", "amount": 1.00001}},
            "字段 兑现标准·金额：金额“1.00001”小数位数过多（单位为万元，最多 4 位小数）",
        ),
        ({"benefit": {"kind": "fixed", "amount": -1}}, "字段 兑现标准·金额：应为正数（万元）"),
        (
            {"benefit": {"kind": "rate", "base": "procurement_amount", "rate": 1.5}},
            "字段 兑现标准·比例：“1.5”应在 0 到 1 之间（如 0.1 表示 10%）",
        ),
        (
            {"benefit": {"kind": "rate", "base": "staff_total", "rate": 0.1}},
            "字段 兑现标准·计算基数：“staff_total”应为事实表或政策输入中的金额字段（万元），如研发费用（rd_expense）",
        ),
        ({"benefit": {"kind": "range", "min": 30}}, "字段 benefit（兑现标准）：计算方式为区间时须写最高金额（万元）"),
        ({"benefit": {"kind": "range", "min": 50, "max": 30}}, "字段 兑现标准·最高金额：不能小于最低金额"),
        (
            {
                "benefit": {
                    "kind": "bands",
                    "base": "rd_expense",
                    "bands": [{"from": 0, "to": 200, "amount": 5}, {"from": 100, "amount": 10}],
                }
            },
            "字段 兑现标准·分档第 2 项：各档应按从低到高排列且互不重叠（下限含、上限不含）",
        ),
        (
            {"benefit": {"kind": "fixed", "amount": 1, "caps": [{"id": "c", "rate": 0.5}]}},
            "字段 兑现标准·金额上限第 1 项：上限应写固定金额，或写比例与比例基数（比例 × 金额字段）",
        ),
        (
            {"eligibility": [{"id": "a", "when": "valley_resident"}, {"id": "a", "when": "listed"}]},
            "字段 申报条件第 2 项·编号：条件 id“a”重复或为保留字",
        ),
        (
            {"eligibility": [{"id": "amount_min", "when": "listed"}]},
            "字段 申报条件第 1 项·编号：条件 id“amount_min”重复或为保留字",
        ),
        ({"eligibility": [{"id": "a", "when": "revenue >"}]}, "字段 申报条件第 1 项：条件表达式无效：条件“revenue >”"),
        (
            {"eligibility": [{"id": "a", "when": "revenu > 5"}]},
            "字段 申报条件第 1 项：条件表达式无效：条件“revenu > 5”：未知字段“revenu”",
        ),
        ({"budget": {"by_year": {"二〇二五": 10}}}, "字段 预算·年度预算：键“二〇二五”应为年度（如 2025）"),
        (
            {"budget": {"allocation": {"method": "ranking"}}},
            "字段 预算·分配办法·排序依据：分配方式为按排序分配时须写排序依据的字段",
        ),
        ({"limits": {"one_off": "yes"}}, "字段 兑现限额·仅享受一次：应为 true 或 false"),
    ],
)
def test_invalid_versions_name_the_field_in_chinese(changes, message):
    """Each problem names its field as the rule-data layer does (申报条件第 1 项), never a key path like
    `eligibility[0]`; the message starts with it (a file's reader adds the file and the version)."""
    with pytest.raises(PolicyError) as info:
        validate_version(version(**changes))
    assert info.value.message.startswith(message)
    assert "[" not in info.value.problems[0].field


def test_tier_references_are_accepted():
    typed = validate_version(version(eligibility=[{"id": "t", "when": "tier.high_tech or hte_certified"}]))
    assert typed.eligibility[0].when == "tier.high_tech or hte_certified"


def test_yaml_syntax_error_names_the_file(tmp_path):
    with pytest.raises(PolicyError, match=r"bad\.yaml：YAML 格式错误"):
        load_policy_file(write(tmp_path, "id: [unclosed", name="bad.yaml"))


def test_missing_file_message(tmp_path):
    with pytest.raises(PolicyError, match="无法读取政策文件"):
        load_policy_file(tmp_path / "nope.yaml")


def test_duplicate_ids_in_a_directory(tmp_path):
    write(tmp_path, TWO_VERSIONS, "a.yaml")
    write(tmp_path, TWO_VERSIONS, "b.yaml")
    with pytest.raises(PolicyError, match="重复"):
        load_policies(tmp_path)


def test_shipped_policies_carry_their_source_and_flag():
    policies = load_policies()
    for policy in policies.values():
        for v in policy.versions:
            assert v["source"] and v["verification"] in ("V", "P", "U") and v["document"]
    assert policies["startup_fund"].latest()["delivery"] == "auto"
    assert policies["startup_fund"].latest()["effective_to"] == "2028-12-31"
    assert policies["procurement_subsidy"].latest()["benefit"]["rate"] == 0.1
