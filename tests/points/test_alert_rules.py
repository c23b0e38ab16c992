"""Bureau versions of the monitoring alert rules: which version is in force on a date, refresh and scoring with
it, the rules page (Chinese validation, nothing saved on error), access by role and the audit trail.

Figures (万元, from conftest): R&D 2023 → 2024: a 150 → 150 (set to 130 here: −13.33%), b 200 → 150 (−25%),
c has no 2023 row (growth unknown). Extra firms: d 100 → 90 (exactly −10%), e 100 → 95 (−5%).
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kechuang.core.models import AuditEvent
from kechuang.engine.points.alerts import alert_rules_from_dict, known_fields
from kechuang.points import rules, services
from kechuang.points.models import Alert, AlertRuleVersion
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db

SHIPPED = "monitoring@2025-01-01"
SOURCE = "市科技局局务会议纪要〔2025〕7 号"
OLD_CONDITION = "{field: rd_expense_growth, op: <, value: -0.2}"
OLD_LINE = "（预警线 20%）"
VIEWERS = {"bureau_admin", "bureau_staff", "park_operator"}


def rules_yaml(condition: str = "{field: rd_expense_growth, op: <, value: -0.10}", line: str = "（预警线 10%）") -> str:
    """The shipped rules as the form shows them, with rd_expense_drop's condition and message line replaced."""
    text = services.alert_rules_text(rules.shipped_alert_rules())
    assert text.count(OLD_CONDITION) == 1 and text.count(OLD_LINE) == 1
    return text.replace(OLD_CONDITION, condition).replace(OLD_LINE, line)


def add(world, on: dt.date, content: str | None = None, **kwargs) -> AlertRuleVersion:
    return services.add_alert_rule_version(
        user=world["users"]["bureau_admin"],
        content=rules_yaml() if content is None else content,
        effective_from=on,
        source=kwargs.pop("source", SOURCE),
        **kwargs,
    )


def drop_alerts() -> dict[str, str]:
    """{firm letter: rule-set key} of the R&D-drop alerts."""
    rows = Alert.objects.filter(rule="rd_expense_drop").values_list("enterprise__name", "ruleset")
    return {name[2]: key for name, key in rows}


@pytest.fixture
def drops(figures, make_firm):
    from kechuang.enterprises.models import AnnualFigure

    AnnualFigure.objects.filter(enterprise=figures["a"], year=2024).update(rd_expense=Decimal("130"))
    make_firm(60, "太原丁", Decimal("100"), Decimal("90"))
    make_firm(61, "太原戊", Decimal("100"), Decimal("95"))
    return figures


@pytest.fixture
def make_firm():
    from kechuang.enterprises.models import AnnualFigure, Enterprise
    from tests.conftest import make_uscc

    def make(n, name, rd_2023, rd_2024):
        e = Enterprise.objects.create(uscc=make_uscc(n), name=name, region_id="140105", industry_id="6513")
        AnnualFigure.objects.create(enterprise=e, year=2023, revenue=Decimal(1000), rd_expense=rd_2023)
        AnnualFigure.objects.create(enterprise=e, year=2024, revenue=Decimal(1000), rd_expense=rd_2024)
        return e

    return make


# --------------------------------------------------------------------------------------------------
# Which version is in force


def test_shipped_rules_name_only_known_fields():
    data = yaml.safe_load(rules.ALERT_RULES_PATH.read_text(encoding="utf-8"))
    assert alert_rules_from_dict(data, known_fields=known_fields()).key == SHIPPED
    fields = known_fields()
    assert {"rd_expense_growth", "rd_expense_prev1", "hte_certified", "points_delta", "hte_expires_on"} <= fields
    assert "rd_expense_grwth" not in fields


def test_version_in_force_by_date(world):
    assert rules.alert_rules(dt.date(2025, 6, 30)).key == SHIPPED
    add(world, dt.date(2025, 7, 1))
    add(world, dt.date(2026, 1, 1), rules_yaml("{field: rd_expense_growth, op: <, value: -0.15}"))

    def threshold(on):
        ruleset = rules.alert_rules(on)
        rule = next(r for r in ruleset.rules if r.id == "rd_expense_drop")
        return ruleset.key, rule.when[0].value

    assert threshold(dt.date(2024, 12, 31)) == (SHIPPED, -0.2)  # before every version: the shipped file
    assert threshold(dt.date(2025, 6, 30)) == (SHIPPED, -0.2)
    assert threshold(dt.date(2025, 7, 1)) == ("monitoring@2025-07-01", -0.1)
    assert threshold(dt.date(2025, 12, 31)) == ("monitoring@2025-07-01", -0.1)
    assert threshold(dt.date(2026, 1, 1)) == ("monitoring@2026-01-01", -0.15)
    # The other rules and the parameters are carried over unchanged.
    shipped, bureau = rules.shipped_alert_rules(), rules.alert_rules(dt.date(2026, 1, 1))
    assert [r.id for r in bureau.rules] == [r.id for r in shipped.rules]
    assert bureau.rules[1:] == shipped.rules[1:] and bureau.params == shipped.params
    assert (bureau.source, bureau.effective_from) == (SOURCE, dt.date(2026, 1, 1))


def test_threshold_change_changes_exactly_which_firms_alert_after_refresh(drops):
    staff = drops["users"]["bureau_staff"]
    add(drops, dt.date(2025, 7, 1))  # rd_expense_growth < −0.10 from 1 July 2025
    # Before its date the version does not apply: only b (−25%) falls more than 20%.
    services.refresh_alerts(2024, user=staff, as_of=dt.date(2025, 6, 30))
    assert drop_alerts() == {"乙": SHIPPED}
    # From its date it does: a (−13.33%) now alerts too; d (exactly −10%), e (−5%) and c (unknown) do not;
    # b's alert stays the one the shipped rules raised.
    services.refresh_alerts(2024, user=staff, as_of=dt.date(2025, 7, 1))
    assert drop_alerts() == {"乙": SHIPPED, "甲": "monitoring@2025-07-01"}
    alert = Alert.objects.get(rule="rd_expense_drop", enterprise=drops["a"])
    assert alert.message == "研发费用由 150 万元 降至 130 万元，下降 13.33%（预警线 10%）"
    values = {"rd_expense_growth": pytest.approx(-0.1333333), "rd_expense_prev1": 150.0, "rd_expense": 130.0}
    assert alert.values == values


def test_scoring_run_uses_the_rules_in_force_on_its_as_of(drops):
    from kechuang.points.services import score_year

    add(drops, dt.date(2025, 1, 2))
    run = score_year(2024, user=drops["users"]["bureau_staff"])  # as of 2024-12-31: the shipped rules
    assert drop_alerts() == {"乙": SHIPPED}
    later = score_year(2024, user=drops["users"]["bureau_staff"], as_of=dt.date(2025, 1, 2))
    assert drop_alerts() == {"乙": SHIPPED, "甲": "monitoring@2025-01-02"}
    assert set(Alert.objects.filter(rule="rd_expense_drop").values_list("run", flat=True)) == {run.pk, later.pk}


# --------------------------------------------------------------------------------------------------
# Validation


FIELD_HINT = "应为派生指标表的列，或 points、points_prev、points_delta、hte_expires_on"
YAML_HINT = "expected the node content, but found '<stream end>'"
OP_ERROR = (
    "预警规则 rd_expense_drop：条件应为 {field, op, value}，op 为 < <= > >= == != is_true is_false within_months "
    "之一，现为“{'field': 'rd_expense_growth', 'op': '=<', 'value': -0.1}”"
)
# case: (the posted YAML, the exact messages)
INVALID = {
    "yaml": (
        lambda: "rules:\n  - {id: x, when: [\n",
        [f"规则内容不是有效的 YAML：第 3 行第 1 列附近有语法错误（解析器提示：{YAML_HINT}）"],
    ),
    "not_a_mapping": (lambda: "- rd_expense_drop\n", ["规则内容应为键值映射（name、params、rules）"]),
    "unknown_key": (lambda: "thresholds: 1\n", ["规则内容含不可编辑的项：thresholds"]),
    "no_rules": (lambda: "rules: []\n", ["至少需要一条预警规则（rules）"]),
    "unknown_field": (
        lambda: rules_yaml("{field: rd_expense_grwth, op: <, value: -0.10}"),
        [f"预警规则 rd_expense_drop：条件中的字段 rd_expense_grwth 不存在（{FIELD_HINT}）"],
    ),
    "unknown_placeholder": (
        lambda: rules_yaml().replace("{rd_expense:wan}", "{rd_expens:wan}"),
        [f"预警规则 rd_expense_drop：提示中的字段 rd_expens 不存在（{FIELD_HINT}）"],
    ),
    "unknown_op": (
        lambda: rules_yaml("{field: rd_expense_growth, op: =<, value: -0.10}"),
        [OP_ERROR],
    ),
    "bad_severity": (
        lambda: rules_yaml().replace("severity: warning", "severity: high", 1),
        ["预警规则 rd_expense_drop：级别 severity 应为 info、warning、critical 之一，现为“high”"],
    ),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_versions_are_refused_in_chinese_and_nothing_is_saved(case, world, client_for):
    content, expected = INVALID[case][0](), INVALID[case][1]
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        add(world, dt.date(2025, 7, 1), content)
    assert exc.value.messages == expected
    response = client_for(world["users"]["bureau_admin"]).post(
        reverse("points:alert_rules"),
        {"effective_from": "2025-07-01", "source": SOURCE, "note": "", "content": content},
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    for message in expected:
        assert message in page
    assert not AlertRuleVersion.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("on", [dt.date(2025, 7, 1), dt.date(2025, 1, 1)])
def test_a_taken_date_is_refused(on, world):
    add(world, dt.date(2025, 7, 1))
    taken = "monitoring@2025-07-01" if on.month == 7 else SHIPPED  # a bureau version's date, the shipped file's
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        add(world, on)
    assert exc.value.messages == [f"{on} 已有监测预警规则版本 {taken}，请另选生效日期"]
    assert AlertRuleVersion.objects.count() == 1 and AuditEvent.objects.count() == before


def test_source_is_required_and_every_error_is_listed(world):
    with pytest.raises(ValidationError) as exc:
        add(world, dt.date(2025, 1, 1), rules_yaml("{field: rd_expense_grwth, op: <, value: -0.1}"), source=" ")
    assert exc.value.messages == [
        "请填写依据来源（文件名称、文号或网址）",
        f"2025-01-01 已有监测预警规则版本 {SHIPPED}，请另选生效日期",
        f"预警规则 rd_expense_drop：条件中的字段 rd_expense_grwth 不存在（{FIELD_HINT}）",
    ]
    assert not AlertRuleVersion.objects.exists()


def test_only_a_bureau_admin_may_add_a_version(world):
    for role in ROLES:
        if role == "bureau_admin":
            continue
        with pytest.raises(PermissionDenied):
            services.add_alert_rule_version(
                user=world["users"][role], content=rules_yaml(), effective_from=dt.date(2025, 7, 1), source=SOURCE
            )
    assert not AlertRuleVersion.objects.exists()


# --------------------------------------------------------------------------------------------------
# Audit


def test_saving_records_old_and_new_rules(world):
    version = add(world, dt.date(2025, 7, 1), note="研发费用下降预警线由 20% 调为 10%")
    event = AuditEvent.objects.get(action="points.alert_rules.create")
    assert (event.actor, event.object_id) == (world["users"]["bureau_admin"], str(version.pk))
    old, new = event.changes["rules.rd_expense_drop"]
    assert set(event.changes) == {"rules.rd_expense_drop"}
    assert (old["when"], new["when"]) == (
        [{"field": "rd_expense_growth", "op": "<", "value": -0.2}],
        [{"field": "rd_expense_growth", "op": "<", "value": -0.1}],
    )
    assert event.note == (
        f"monitoring@2025-07-01 自 2025-07-01 起替代 {SHIPPED}（修改 rd_expense_drop）："
        f"研发费用下降预警线由 20% 调为 10%；依据：{SOURCE}"
    )
    # The stored content is the whole rule set in the YAML's shape, dated by the form.
    assert version.content["effective_from"] == version.content["version"] == "2025-07-01"
    assert version.content["source"] == SOURCE
    assert [r["id"] for r in version.content["rules"]] == [
        "rd_expense_drop",
        "hte_tech_staff_low",
        "points_drop",
        "hte_expiring",
    ]


def test_added_and_removed_rules_are_summarised(world):
    text = services.alert_rules_text(rules.shipped_alert_rules())
    data = yaml.safe_load(text)
    data["rules"] = [r for r in data["rules"] if r["id"] != "points_drop"] + [
        {
            "id": "revenue_drop",
            "label": "营业收入大幅下降",
            "severity": "info",
            "when": [{"field": "revenue_growth", "op": "<", "value": -0.3}],
            "message": "营业收入下降 {-revenue_growth:percent}",
        }
    ]
    add(world, dt.date(2025, 7, 1), yaml.safe_dump(data, allow_unicode=True))
    event = AuditEvent.objects.get(action="points.alert_rules.create")
    assert set(event.changes) == {"rules.points_drop", "rules.revenue_drop"}
    assert event.changes["rules.points_drop"][1] is None and event.changes["rules.revenue_drop"][0] is None
    assert "（新增 revenue_drop；删除 points_drop）" in event.note


# --------------------------------------------------------------------------------------------------
# Page


@pytest.mark.parametrize("role", ROLES)
def test_rules_page_by_role(role, world, client_for):
    response = client_for(world["users"][role]).get(reverse("points:alert_rules"))
    if role not in VIEWERS:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "研发费用增长率 小于 -0.2" in page
    assert "持有效高新技术企业证书 为“是”" in page
    assert "高企证书到期日 在基准日起 6 个月内（含当天）" in page
    assert "创新积分变化 小于 -10" in page
    assert "<td>警告</td>" in page and "<td>严重</td>" in page and "<td>提示</td>" in page
    assert "研发费用由 {rd_expense_prev1:wan} 降至 {rd_expense:wan}" in page
    assert SHIPPED in page
    assert ('name="content"' in page) == (role == "bureau_admin")


@pytest.mark.parametrize("role", [r for r in ROLES if r != "bureau_admin"])
def test_only_admins_may_post(role, world, client_for):
    before = AuditEvent.objects.count()
    response = client_for(world["users"][role]).post(
        reverse("points:alert_rules"),
        {"effective_from": "2025-07-01", "source": SOURCE, "note": "", "content": rules_yaml()},
    )
    assert response.status_code == 403
    assert not AlertRuleVersion.objects.exists() and AuditEvent.objects.count() == before


def test_admin_adds_a_version_on_the_page(world, client_for):
    client = client_for(world["users"]["bureau_admin"])
    page = client.get(reverse("points:alert_rules")).content.decode()
    today = timezone.localdate()
    # The form is prefilled with the rules in force, which save back unchanged.
    prefill = services.alert_rules_text(rules.alert_rules(today))
    assert html.escape(prefill, quote=False).strip() in page
    response = client.post(
        reverse("points:alert_rules"),
        {"effective_from": today.isoformat(), "source": SOURCE, "note": "预警线调整", "content": rules_yaml()},
    )
    assert response.status_code == 302 and response.url == reverse("points:alert_rules")
    version = AlertRuleVersion.objects.get()
    assert (version.effective_from, version.created_by, version.note) == (
        today,
        world["users"]["bureau_admin"],
        "预警线调整",
    )
    page = html.unescape(client.get(reverse("points:alert_rules")).content.decode())
    assert "研发费用增长率 小于 -0.1" in page
    assert f"monitoring@{today.isoformat()}" in page and SOURCE in page and "预警线调整" in page
    # Rules in force on an earlier date are still there to read.
    earlier = client.get(reverse("points:alert_rules"), {"on": "2025-01-01"}).content.decode()
    assert "研发费用增长率 小于 -0.2" in html.unescape(earlier)


def test_missing_source_on_the_page(world, client_for):
    response = client_for(world["users"]["bureau_admin"]).post(
        reverse("points:alert_rules"), {"effective_from": "2025-07-01", "source": "", "content": rules_yaml()}
    )
    assert response.status_code == 200 and not AlertRuleVersion.objects.exists()


def test_inbox_links_to_the_rules_and_names_each_alerts_version(scored, client_for):
    page = client_for(scored["users"]["bureau_staff"]).get(reverse("points:alerts")).content.decode()
    assert f'href="{reverse("points:alert_rules")}"' in page
    assert f"规则版本 {SHIPPED}" in page
