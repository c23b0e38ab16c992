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
        ({"delivery": "post"}, "delivery“post”无效，应为 auto、quick、apply 之一"),
        ({"verification": "X"}, "verification“X”无效"),
        ({"colour": "red"}, "未知字段 colour"),
        ({"name": ""}, "缺少必填项 name"),
        ({"effective_from": "2025-13-01"}, "effective_from“2025-13-01”不是有效日期"),
        ({"effective_to": "2024-12-31"}, "effective_to 早于 effective_from"),
        ({"id": "Demo-1"}, "id“Demo-1”格式无效"),
        ({"benefit": {"kind": "grant", "amount": 1}}, "kind“grant”无效"),
        ({"benefit": {"kind": "fixed", "amount": 1.00001}}, "小数位数过多"),
        ({"benefit": {"kind": "fixed", "amount": -1}}, "amount 应为正数"),
        ({"benefit": {"kind": "rate", "base": "procurement_amount", "rate": 1.5}}, "应在 0 到 1 之间"),
        (
            {"benefit": {"kind": "rate", "base": "staff_total", "rate": 0.1}},
            "应为事实表或政策输入中的金额字段",
        ),
        ({"benefit": {"kind": "range", "min": 30}}, "须写 max"),
        ({"benefit": {"kind": "range", "min": 50, "max": 30}}, "max 不能小于 min"),
        (
            {
                "benefit": {
                    "kind": "bands",
                    "base": "rd_expense",
                    "bands": [{"from": 0, "to": 200, "amount": 5}, {"from": 100, "amount": 10}],
                }
            },
            "互不重叠",
        ),
        ({"benefit": {"kind": "fixed", "amount": 1, "caps": [{"id": "c", "rate": 0.5}]}}, "上限应写 amount"),
        ({"eligibility": [{"id": "a", "when": "valley_resident"}, {"id": "a", "when": "listed"}]}, "重复"),
        ({"eligibility": [{"id": "amount_min", "when": "listed"}]}, "保留字"),
        ({"eligibility": [{"id": "a", "when": "revenue >"}]}, "条件表达式无效"),
        ({"eligibility": [{"id": "a", "when": "revenu > 5"}]}, "未知字段“revenu”"),
        ({"budget": {"by_year": {"二〇二五": 10}}}, "应为年度"),
        ({"budget": {"allocation": {"method": "ranking"}}}, "须写 allocation.rank_by"),
        ({"limits": {"one_off": "yes"}}, "one_off 应为 true 或 false"),
    ],
)
def test_invalid_versions_give_chinese_messages(changes, message):
    with pytest.raises(PolicyError) as info:
        validate_version(version(**changes), "demo.yaml")
    assert message in info.value.message
    assert info.value.message.startswith("demo.yaml")


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
