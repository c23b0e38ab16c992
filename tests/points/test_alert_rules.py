"""Bureau versions of the monitoring alert rules: which version is in force on a date, refresh and scoring with
it, the rule editor (inputs, never YAML; Chinese validation, nothing saved on error), access by role and the audit.

Figures (万元, from conftest): R&D 2023 → 2024: a 150 → 150 (set to 130 here: −13.33%), b 200 → 150 (−25%),
c has no 2023 row (growth unknown). Extra firms: d 100 → 90 (exactly −10%), e 100 → 95 (−5%).
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kechuang.core.models import AuditEvent
from kechuang.engine.points.alerts import known_fields
from kechuang.engine.ruledata import rulebook
from kechuang.points import forms, selectors, services
from kechuang.points.models import Alert
from kechuang.rules.models import RuleVersion
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db

SHIPPED = "monitoring@2025-01-01"
SOURCE = "市科技局局务会议纪要〔2025〕7 号"
VIEWERS = {"bureau_admin", "bureau_staff", "park_operator"}


def shipped():
    return rulebook("alert_rules").in_force("monitoring", dt.date(2025, 1, 1))


def posted(doc=None, **changes) -> dict:
    """The editor's inputs for `doc` (default: the shipped rules) as a browser posts them, with `changes`
    ({input name: value}) applied: what an admin does on the page."""
    rows = forms.alert_rule_rows(doc or shipped())
    data = {"rule-count": str(len(rows))}
    for row in rows:
        p = f"rule-{row['index']}-"
        data.update(
            {
                f"{p}id": row["id"],
                f"{p}label": row["label"],
                f"{p}severity": row["severity"],
                f"{p}message": row["message"],
                f"{p}conditions": str(len(row["conditions"])),
            }
        )
        for j, c in enumerate(row["conditions"]):
            data.update({f"{p}c{j}-field": c["field"], f"{p}c{j}-op": c["op"], f"{p}c{j}-value": c["value"]})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


TEN = {
    "rule-0-c0-value": "-10",
    "rule-0-message": "研发费用由 {rd_expense_prev1:wan} 降至 {rd_expense:wan}，"
    "下降 {-rd_expense_growth:percent}（预警线 10%）",
}


def add(world, on: dt.date, inputs: dict | None = None, **kwargs) -> RuleVersion:
    return services.add_alert_rule_version(
        user=kwargs.pop("user", world["users"]["bureau_admin"]),
        rules_data=forms.read_alert_rules(posted(**TEN) if inputs is None else inputs),
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
    assert shipped().key == SHIPPED and shipped().problems() == []
    fields = known_fields()
    assert {"rd_expense_growth", "rd_expense_prev1", "hte_certified", "points_delta", "hte_expires_on"} <= fields
    assert "rd_expense_grwth" not in fields


def test_the_editor_saves_the_rules_in_force_back_unchanged():
    assert forms.read_alert_rules(posted()) == shipped().to_data()["rules"]


def test_version_in_force_by_date(world):
    assert selectors.alert_rules(dt.date(2025, 6, 30)).key == SHIPPED
    add(world, dt.date(2025, 7, 1))
    add(world, dt.date(2026, 1, 1), posted(**{"rule-0-c0-value": "-15"}))

    def threshold(on):
        ruleset = selectors.alert_rules(on)
        rule = next(r for r in ruleset.rules if r.id == "rd_expense_drop")
        return ruleset.key, rule.when[0].value

    assert threshold(dt.date(2024, 12, 31)) == (SHIPPED, -0.2)  # before every version: the shipped file
    assert threshold(dt.date(2025, 6, 30)) == (SHIPPED, -0.2)
    assert threshold(dt.date(2025, 7, 1)) == ("monitoring@2025-07-01", -0.1)
    assert threshold(dt.date(2025, 12, 31)) == ("monitoring@2025-07-01", -0.1)
    assert threshold(dt.date(2026, 1, 1)) == ("monitoring@2026-01-01", -0.15)
    # The other rules and the parameters are carried over unchanged.
    bureau = selectors.alert_rules(dt.date(2026, 1, 1))
    assert [r.id for r in bureau.rules] == [r.id for r in shipped().rules]
    assert bureau.rules[1:] == shipped().rules[1:] and bureau.parameters == shipped().parameters
    assert (bureau.source, bureau.effective_from) == (SOURCE, dt.date(2026, 1, 1))


def test_a_changed_validity_parameter_moves_the_expiry_alert(world):
    """The certificate's validity is a dated parameter the bureau changes on the rule page, not in the rules."""
    from kechuang.rules.services import add_parameter_version

    add_parameter_version(
        user=world["users"]["bureau_admin"],
        kind="alert_rules",
        rule_id="monitoring",
        parameter="hte_validity_years",
        effective_from=dt.date(2026, 1, 1),
        value=4,
        source="试点",
    )
    rules = selectors.alert_rules(dt.date(2026, 1, 1))
    assert selectors.alert_params(rules, dt.date(2025, 12, 31))["hte_validity_years"] == 3
    assert selectors.alert_params(rules, dt.date(2026, 1, 1))["hte_validity_years"] == 4


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
    assert alert.message == "研发费用由 150.00 万元 降至 130.00 万元，下降 13.33%（预警线 10%）"
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
# case: (the editor's changed inputs, the exact messages)
INVALID = {
    "no_field": ({"rule-0-c0-field": ""}, ["研发费用大幅下降：第 1 个条件请选择字段"]),
    "no_op": ({"rule-0-c0-op": ""}, ["研发费用大幅下降：第 1 个条件请选择比较方式"]),
    "not_a_number": ({"rule-0-c0-value": "二十"}, ["研发费用大幅下降：第 1 个条件的比较值应为数字，现为“二十”"]),
    "no_value": ({"rule-0-c0-value": " "}, ["研发费用大幅下降：第 1 个条件的比较值应为数字，现为“ ”"]),
    "unknown_placeholder": (
        {"rule-0-message": "研发费用降至 {rd_expens:wan}"},
        [f"规则 monitoring，字段 rules.rd_expense_drop：字段 rd_expens 不存在（{FIELD_HINT}）"],
    ),
    "bad_unit": (
        {"rule-0-message": "研发费用降至 {rd_expense:yuan}"},
        ["规则 monitoring，字段 预警规则第 1 项·提示：提示中的单位 yuan 应为 percent、wan、number、count、date 之一"],
    ),
    "no_label": ({"rule-0-label": ""}, ["规则 monitoring，字段 预警规则第 1 项·名称：不能为空"]),
    "all_deleted": ({f"rule-{i}-delete": "on" for i in range(4)}, ["至少需要一条预警规则"]),
    "unchanged": ({}, ["预警规则与 2025-07-01 现行版本相同，无需新增版本"]),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_versions_are_refused_in_chinese_and_nothing_is_saved(case, world, client_for):
    inputs, expected = posted(**INVALID[case][0]), INVALID[case][1]
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        add(world, dt.date(2025, 7, 1), inputs)
    assert exc.value.messages == expected
    response = client_for(world["users"]["bureau_admin"]).post(
        reverse("points:alert_rules"), {**inputs, "effective_from": "2025-07-01", "source": SOURCE, "note": ""}
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    for message in expected:
        assert message in page
    assert not RuleVersion.objects.exists()
    assert AuditEvent.objects.count() == before


def test_the_inputs_are_shown_again_as_typed_after_an_error(world, client_for):
    response = client_for(world["users"]["bureau_admin"]).post(
        reverse("points:alert_rules"),
        {**posted(**{"rule-0-c0-value": "二十"}), "effective_from": "2025-07-01", "source": SOURCE},
    )
    assert 'name="rule-0-c0-value" value="二十"' in response.content.decode()


@pytest.mark.parametrize("on", [dt.date(2025, 7, 1), dt.date(2025, 1, 1)])
def test_a_taken_date_is_refused(on, world):
    add(world, dt.date(2025, 7, 1))
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        add(world, on, posted(**{"rule-0-c0-value": "-12"}))
    assert exc.value.messages == [f"{on} 已有监测预警规则“创新积分动态监测预警”的版本，请另选生效日期"]
    assert RuleVersion.objects.count() == 1 and AuditEvent.objects.count() == before


def test_source_is_required(world):
    with pytest.raises(ValidationError) as exc:
        add(world, dt.date(2025, 7, 1), source=" ")
    assert exc.value.messages == ["请填写调整的依据来源（文件名称、文号或网址）"]
    assert not RuleVersion.objects.exists()


def test_only_a_bureau_admin_may_add_a_version(world):
    for role in ROLES:
        if role == "bureau_admin":
            continue
        with pytest.raises(PermissionDenied):
            add(world, dt.date(2025, 7, 1), user=world["users"][role])
    assert not RuleVersion.objects.exists()


# --------------------------------------------------------------------------------------------------
# Audit


def test_saving_records_old_and_new_rules(world):
    version = add(world, dt.date(2025, 7, 1), note="研发费用下降预警线由 20% 调为 10%")
    event = AuditEvent.objects.get(action="rule_version.create")
    assert (event.actor, event.object_id) == (world["users"]["bureau_admin"], str(version.pk))
    old, new = event.changes["rules.rd_expense_drop"]
    assert set(event.changes) == {"rules.rd_expense_drop"}
    assert (old["when"], new["when"]) == (
        [{"field": "rd_expense_growth", "op": "<", "value": -0.2}],
        [{"field": "rd_expense_growth", "op": "<", "value": -0.1}],
    )
    assert event.note == (
        "监测预警规则“创新积分动态监测预警” monitoring@2025-07-01 自 2025-07-01 起替代 "
        f"{SHIPPED}（修改 研发费用大幅下降）；"
        f"依据：{SOURCE}；原因：研发费用下降预警线由 20% 调为 10%"
    )
    # The stored version is the whole rule set in its file's shape, dated by the form, with what it replaced.
    assert version.value["effective_from"] == version.value["version"] == "2025-07-01"
    assert version.value["source"] == SOURCE and version.previous["version"] == "2025-01-01"
    assert [r["id"] for r in version.value["rules"]] == [
        "rd_expense_drop",
        "hte_tech_staff_low",
        "points_drop",
        "hte_expiring",
    ]


def test_added_and_removed_rules_are_summarised(world):
    add(
        world,
        dt.date(2025, 7, 1),
        posted(
            **{
                "rule-2-delete": "on",
                "rule-4-label": "营业收入大幅下降",
                "rule-4-severity": "info",
                "rule-4-c0-field": "revenue_growth",
                "rule-4-c0-op": "<",
                "rule-4-c0-value": "-30",
            }
        ),
    )
    event = AuditEvent.objects.get(action="rule_version.create")
    assert set(event.changes) == {"rules.points_drop", "rules.rule_4"}
    assert event.changes["rules.points_drop"][1] is None and event.changes["rules.rule_4"][0] is None
    assert event.changes["rules.rule_4"][1] == {
        "id": "rule_4",
        "label": "营业收入大幅下降",
        "severity": "info",
        "when": [{"field": "revenue_growth", "op": "<", "value": -0.3}],
        "message": "营业收入大幅下降：营业收入增长率 {revenue_growth:percent}",
    }
    assert "（新增 营业收入大幅下降；删除 创新积分明显下降）" in event.note


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
    assert "研发费用增长率 小于 -20%" in page
    assert "持有效高新技术企业证书 为“是”" in page
    assert "高企证书到期日 在基准日起 6 个月内（含当天）" in page
    assert "创新积分变化 小于 -10" in page
    assert "<td>警告</td>" in page and "<td>严重</td>" in page and "<td>提示</td>" in page
    assert "研发费用由 〔研发费用（1年前）〕 降至 〔研发费用〕" in page
    assert "高企证书有效期 3" in page
    assert ('name="rule-0-c0-field"' in page) == (role == "bureau_admin")
    assert 'name="content"' not in page  # no YAML anywhere


@pytest.mark.parametrize("role", [r for r in ROLES if r != "bureau_admin"])
def test_only_admins_may_post(role, world, client_for):
    before = AuditEvent.objects.count()
    response = client_for(world["users"][role]).post(
        reverse("points:alert_rules"), {**posted(**TEN), "effective_from": "2025-07-01", "source": SOURCE}
    )
    assert response.status_code == 403
    assert not RuleVersion.objects.exists() and AuditEvent.objects.count() == before


def test_admin_adds_a_version_on_the_page(world, client_for):
    client = client_for(world["users"]["bureau_admin"])
    page = client.get(reverse("points:alert_rules")).content.decode()
    today = timezone.localdate()
    # The editor is prefilled with the rules in force: the threshold in %, the field chosen by its label.
    assert 'name="rule-0-c0-value" value="-20"' in page
    assert '<option value="rd_expense_growth" selected>研发费用增长率</option>' in page
    response = client.post(
        reverse("points:alert_rules"),
        {**posted(**TEN), "effective_from": today.isoformat(), "source": SOURCE, "note": "预警线调整"},
    )
    assert response.status_code == 302 and response.url == reverse("points:alert_rules")
    version = RuleVersion.objects.get()
    assert (version.effective_from, version.created_by, version.note) == (
        today,
        world["users"]["bureau_admin"],
        "预警线调整",
    )
    page = html.unescape(client.get(reverse("points:alert_rules")).content.decode())
    assert "研发费用增长率 小于 -10%" in page
    assert today.isoformat() in page and SOURCE in page and "预警线调整" in page
    # Rules in force on an earlier date are still there to read.
    earlier = client.get(reverse("points:alert_rules"), {"on": "2025-01-01"}).content.decode()
    assert "研发费用增长率 小于 -20%" in html.unescape(earlier)


def test_missing_source_on_the_page(world, client_for):
    response = client_for(world["users"]["bureau_admin"]).post(
        reverse("points:alert_rules"), {**posted(**TEN), "effective_from": "2025-07-01", "source": ""}
    )
    assert response.status_code == 200 and not RuleVersion.objects.exists()


def test_inbox_links_to_the_rules_and_names_each_alerts_version(scored, client_for):
    page = client_for(scored["users"]["bureau_staff"]).get(reverse("points:alerts")).content.decode()
    assert f'href="{reverse("points:alert_rules")}"' in page
    assert "规则版本 2025-01-01 起施行" in page and SHIPPED not in page  # by its date, not its code
