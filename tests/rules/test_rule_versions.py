"""The one store of bureau-edited rule versions: the pages, the service, the audit, for any registered kind."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import Field

from kechuang.core.models import AuditEvent
from kechuang.engine.ruledata import Kind, RuleDoc, register, registry
from kechuang.rules import selectors
from kechuang.rules.models import RuleVersion

pytestmark = pytest.mark.django_db


class Subsidy(RuleDoc):
    paid_in: str = Field(default="batches", title="支付方式")


@pytest.fixture
def kind(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_KINDS", dict(registry._KINDS))
    (tmp_path / "subsidy.yaml").write_text(
        "id: challenge_subsidy\nname: 揭榜挂帅积分补助\neffective_from: 2025-01-01\nsource: 泰州市科技局\n"
        "verification: P\nparameters:\n"
        "  rate: {label: 补助比例, unit: share, value: 0.2, verified: P, source: 实际支出的 20%}\n"
        "  cap: {label: 单项上限, unit: wan, value: 200}\n"
        "  modes: {label: 支付方式, value: [分批, 一次性]}\n"
        "  bands: {label: 分档, value: [{min: 100, points: 5}, {points: 0}]}\n",
        encoding="utf-8",
    )
    return register(Kind("test_subsidy", "测试补助规则", str(tmp_path), Subsidy, domain="揭榜挂帅"))


def _post(client, data):
    return client.post("/rules/test_subsidy/challenge_subsidy/rate/", data)


VALID = {"value": "0.25", "effective_from": "2026-07-01", "source": "泰政办〔2026〕1号", "note": "提高补助"}


def test_admin_adds_a_dated_value_recorded_with_old_and_new(world, client_for, kind):
    admin = world["users"]["bureau_admin"]
    response = _post(client_for(admin), VALID)
    assert response.status_code == 302
    version = RuleVersion.objects.get()
    assert (version.kind, version.rule_id, version.parameter, version.value, version.previous) == (
        "test_subsidy",
        "challenge_subsidy",
        "rate",
        0.25,
        0.2,
    )
    assert version.created_by == admin and version.source == "泰政办〔2026〕1号" and version.note == "提高补助"
    event = AuditEvent.objects.get(action="rule_version.create")
    assert event.changes == {"value": [0.2, 0.25]} and event.actor == admin
    assert event.note == (
        "测试补助规则·揭榜挂帅积分补助·补助比例 自 2026-07-01 起；依据：泰政办〔2026〕1号；原因：提高补助"
    )
    assert selectors.params("test_subsidy", "challenge_subsidy", dt.date(2026, 6, 30))["rate"] == 0.2
    assert selectors.params("test_subsidy", "challenge_subsidy", dt.date(2026, 7, 1))["rate"] == 0.25


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**VALID, "value": "25%"}, "取值应为数字，现为“25%”"),
        ({**VALID, "value": "1.5"}, "比例应在 0 到 1 之间"),
        ({**VALID, "value": "0.2"}, "与现行取值相同"),
        ({**VALID, "source": " "}, "依据来源"),
        ({**VALID, "effective_from": "2024-12-31"}, "2024-12-31 没有生效的测试补助规则"),
    ],
)
def test_a_refused_value_says_why_and_writes_nothing(world, client_for, kind, data, message):
    response = _post(client_for(world["users"]["bureau_admin"]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RuleVersion.objects.exists() and not AuditEvent.objects.filter(action="rule_version.create").exists()


def test_a_second_value_for_the_same_day_is_refused(world, client_for, kind):
    client = client_for(world["users"]["bureau_admin"])
    _post(client, VALID)
    response = _post(client, {**VALID, "value": "0.3"})
    assert "“补助比例”在 2026-07-01 已有一个版本" in response.content.decode()
    assert RuleVersion.objects.count() == 1


def test_tables_and_lists_are_edited_as_inputs_not_json(world, client_for, kind):
    client = client_for(world["users"]["bureau_admin"])
    page = client.get("/rules/test_subsidy/challenge_subsidy/bands/").content.decode()
    assert 'name="row-0-min" value="100"' in page and 'name="row-2-points" value=""' in page
    response = client.post(
        "/rules/test_subsidy/challenge_subsidy/bands/",
        {
            "row-0-min": "200",
            "row-0-points": "6",
            "row-1-min": "",
            "row-1-points": "0",
            "row-2-min": "",
            "row-2-points": "",
            "effective_from": "2026-07-01",
            "source": "细则",
        },
    )
    assert response.status_code == 302
    assert RuleVersion.objects.get(parameter="bands").value == [{"min": 200, "points": 6}, {"points": 0}]
    response = client.post(
        "/rules/test_subsidy/challenge_subsidy/modes/",
        {"value": "分批\n一次性\n按里程碑", "effective_from": "2026-07-01", "source": "细则"},
    )
    assert RuleVersion.objects.get(parameter="modes").value == ["分批", "一次性", "按里程碑"]
    response = client.post(
        "/rules/test_subsidy/challenge_subsidy/bands/",
        {"row-0-min": "两百", "row-0-points": "6", "effective_from": "2026-08-01", "source": "细则"},
    )
    assert "第 1 行“min”应为数字，现为“两百”" in response.content.decode()
    assert 'value="两百"' in response.content.decode()  # shown again as typed


def test_the_rule_page_shows_values_in_words_with_their_source(world, client_for, kind):
    client = client_for(world["users"]["bureau_staff"])
    page = client.get("/rules/test_subsidy/challenge_subsidy/").content.decode()
    assert 'data-testid="value-rate">20%<' in page and 'data-testid="value-cap">200.00 万元<' in page
    assert "实际支出的 20%" in page
    assert "调整参数须由科技局管理员操作" in page
    index = client.get("/rules/").content.decode()
    assert "揭榜挂帅积分补助" in index


@pytest.mark.parametrize("role", ["park_operator", "enterprise_user", "bank_user", "institution_user"])
def test_only_the_bureau_reads_rules(world, client_for, kind, role):
    client = client_for(world["users"][role])
    assert client.get("/rules/").status_code == 403
    assert client.get("/rules/test_subsidy/challenge_subsidy/").status_code == 403


def test_only_an_admin_adds_a_version(world, client_for, kind):
    response = _post(client_for(world["users"]["bureau_staff"]), VALID)
    assert response.status_code == 403
    assert not RuleVersion.objects.exists()


def test_unknown_kind_rule_or_parameter_is_404(world, client_for, kind):
    client = client_for(world["users"]["bureau_admin"])
    assert client.get("/rules/nope/x/").status_code == 404
    assert client.get("/rules/test_subsidy/nope/").status_code == 404
    assert client.get("/rules/test_subsidy/challenge_subsidy/nope/").status_code == 404
