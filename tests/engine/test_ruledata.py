"""The rule-data layer: typed documents validated once, one in_force, dated parameters with the bureau's versions."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import Field

from kechuang.engine.ruledata import (
    Kind,
    RuleDataError,
    RuleDoc,
    check_value,
    in_force,
    parse,
    register,
    registry,
    rulebook,
)
from kechuang.engine.ruledata.params import Parameter, ParameterVersion

D = dt.date


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch):
    """Kinds registered here vanish after each test (the registry is process-wide)."""
    monkeypatch.setattr(registry, "_KINDS", dict(registry._KINDS))


class Deadline(RuleDoc):
    decision_days: int = Field(ge=1, title="办理时限")


BASE = {
    "id": "registration",
    "name": "登记规则",
    "effective_from": "2026-03-01",
    "source": "工信部 2026",
    "verification": "P",
    "decision_days": 15,
    "parameters": {
        "expert_above": {"label": "专家评审门槛", "unit": "wan", "value": 500, "verified": "P", "source": "第十条"},
        "lpr": {
            "label": "LPR",
            "versions": [
                {"effective_from": "2025-01-01", "value": 3.1},
                {"effective_from": "2026-05-20", "value": 3.0},
            ],
        },
    },
}


def test_a_document_is_typed_and_keyed_by_its_version():
    doc = parse(Deadline, BASE)
    assert doc.decision_days == 15
    assert doc.version == "2026-03-01" and doc.key == "registration@2026-03-01"
    assert doc.parameters["expert_above"].unit == "wan"


def test_every_problem_is_named_by_file_rule_and_field_in_one_error():
    bad = {
        **BASE,
        "verification": "X",
        "decision_days": 0,
        "typo": 1,
        "parameters": {"share": {"unit": "share", "value": 20}},
    }
    with pytest.raises(RuleDataError) as err:
        parse(Deadline, bad, file="registration.yaml")
    text = err.value.message
    assert text.startswith("规则数据有误（共 5 处）")
    assert "文件 registration.yaml，规则 registration，字段 verification（核对状态）：" in text
    assert "verification（核对状态）：应为 V、P、U 之一，现为“X”" in text
    assert "字段 decision_days（办理时限）：不能小于 1，现为“0”" in text
    assert "字段 typo：不认识的项（拼写错误？）" in text
    assert "字段 parameters.share：缺少 label（中文名称）" in text
    assert "字段 parameters.share：比例应在 0 到 1 之间（如 20% 写 0.2），现为 20" in text


def test_an_end_before_the_start_is_refused():
    with pytest.raises(RuleDataError, match="失效日期早于生效日期"):
        parse(Deadline, {**BASE, "effective_to": "2026-02-28"})


def test_in_force_takes_the_latest_start_covering_the_date_and_the_later_item_on_a_tie():
    a = parse(Deadline, BASE)
    b = parse(Deadline, {**BASE, "effective_from": "2026-06-01", "effective_to": "2026-12-31", "decision_days": 20})
    c = parse(Deadline, {**BASE, "effective_from": "2026-06-01", "decision_days": 30})
    assert in_force([a, b], D(2026, 2, 28)) is None
    assert in_force([a, b], D(2026, 5, 31)) is a
    assert in_force([a, b], D(2026, 6, 1)) is b
    assert in_force([a, b], D(2026, 12, 31)) is b
    assert in_force([a, b], D(2027, 1, 1)) is a  # b has ended; a is open-ended
    assert in_force([a, b, c], D(2026, 6, 1)) is c  # same day: the later one (a bureau's) wins


def test_parameters_on_a_date_with_the_bureaus_versions_and_their_sources():
    doc = parse(Deadline, BASE)
    assert doc.params(D(2026, 5, 19))["lpr"] == 3.1
    assert doc.params(D(2026, 5, 20))["lpr"] == 3.0
    bureau = [
        {
            "rule_id": "registration",
            "parameter": "expert_above",
            "effective_from": D(2026, 7, 1),
            "value": 300,
            "source": "本市细则",
        },
        {"rule_id": "other", "parameter": "expert_above", "effective_from": D(2026, 1, 1), "value": 1},
    ]
    assert doc.params(D(2026, 6, 30), bureau)["expert_above"] == 500
    on = doc.params(D(2026, 7, 1), bureau)
    assert on["expert_above"] == 300
    assert on.version("expert_above").origin == "bureau"
    assert on.cite("expert_above") == "专家评审门槛：本局调整（自 2026-07-01 起）"
    assert doc.params(D(2026, 6, 30)).cite("expert_above") == "专家评审门槛：第十条（自 2026-03-01 起）"
    with pytest.raises(RuleDataError, match="没有参数“nope”"):
        doc.params(
            D(2026, 7, 1),
            [{"rule_id": "registration", "parameter": "nope", "effective_from": D(2026, 1, 1), "value": 1}],
        )


@pytest.mark.parametrize(
    ("current", "value", "unit", "message"),
    [
        (500, "x", "", "应为数字"),
        (500, 500, "", "与现行取值相同"),
        (500, -1, "", "不能为负数"),
        (0.2, 1.5, "share", "比例应在 0 到 1 之间"),
        (15, 2.5, "working_days", "应为整数"),
        (True, 1, "", "应为 true（是）或 false（否）"),
        ([1, 2], [3, 2], "", "最低不大于最高"),
        (["a"], [1], "", "应为文字列表"),
        ([{"min": 1, "points": 2}], [{"min": "x", "points": 2}], "", "第 1 档的“min”应为数字"),
        ([{"min": 1, "points": 2}], [{"max": 1, "points": 2}], "", "不认识的项：max"),
        (500, float("nan"), "", "NaN"),
    ],
)
def test_a_new_value_must_have_the_shape_of_the_value_it_replaces(current, value, unit, message):
    p = Parameter("p", "某参数", (ParameterVersion(current, D(2026, 1, 1)),), unit=unit)
    assert message in check_value(p, current, value)


def test_a_value_of_the_right_shape_passes():
    p = Parameter("p", "某参数", (ParameterVersion(0.2, D(2026, 1, 1)),), unit="share")
    assert check_value(p, 0.2, 0.25) is None


def test_a_rulebook_loads_a_folder_once_and_refuses_a_duplicate_version(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "- {id: registration, name: 登记, effective_from: 2001-01-01, effective_to: 2026-02-28, source: 2000办法, "
        "verification: V, decision_days: 30}\n"
        "- {id: registration, name: 登记, effective_from: 2026-03-01, source: 2026办法, verification: P, "
        "decision_days: 15}\n",
        encoding="utf-8",
    )
    register(Kind("test_deadline", "测试时限", str(tmp_path), Deadline))
    book = rulebook("test_deadline")
    assert [d.decision_days for d in book.versions("registration")] == [30, 15]
    assert book.in_force("registration", D(2026, 2, 28)).decision_days == 30
    assert book.in_force("registration", D(2026, 3, 1)).decision_days == 15
    assert book.get("registration@2001-01-01").source == "2000办法"
    with pytest.raises(RuleDataError, match="2000-12-31 没有生效的测试时限“登记”"):
        book.in_force("registration", D(2000, 12, 31))
    with pytest.raises(RuleDataError, match="没有测试时限“nope”"):
        book.in_force("nope", D(2026, 3, 1))
    dup = tmp_path / "dup"
    dup.mkdir()
    (dup / "b.yaml").write_text(
        "- {id: x, name: X, effective_from: 2026-01-01, source: s, verification: V, "
        "decision_days: 1}\n- {id: x, name: X, effective_from: 2026-01-01, source: s, "
        "verification: V, decision_days: 2}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleDataError, match="规则 x：版本 2026-01-01 重复"):
        rulebook("test_deadline", dup)


def test_a_broken_file_names_itself(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    register(Kind("test_broken", "测试", str(tmp_path), Deadline))
    with pytest.raises(RuleDataError, match=r"文件 broken\.yaml：YAML 格式有误"):
        rulebook("test_broken")
