"""The policy version editor: conditions, amounts, caps, limits and budgets as inputs — round trip of every
shipped policy, typed values in % and 万元, Chinese messages naming the input, and the preview of what changes."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.engine.policies.model import resolve_versions
from kechuang.policies import editor
from kechuang.policies.models import Budget, SimulationRun
from kechuang.rules.models import RuleVersion
from kechuang.rulesets import ROOT
from tests.policies.conftest import AS_OF, editor_post, policy, versions

SHIPPED = sorted(p.stem for p in (ROOT / "policies").glob("*.yaml"))
EDITABLE = ("facts_year", "eligibility", "benefit", "limits", "budget")


@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_policy_saves_back_unchanged_through_the_editor(code):
    doc = yaml.safe_load((ROOT / "policies" / f"{code}.yaml").read_text(encoding="utf-8"))
    version = resolve_versions(doc)[-1]
    got = editor.read(editor_post(version))
    want = {"facts_year": "last", "limits": {}, **{k: version[k] for k in EDITABLE if k in version}}
    assert got == want


def test_conditions_read_in_words_and_alternatives_join_with_or():
    assert editor.words("valley_resident or age_years <= 3") == "入驻晋创谷等创新谷区 或 成立年限 ≤ 3"
    version = {
        "eligibility": [
            {"id": "team", "label": "谷区团队或已迁入", "when": "valley_resident or relocated_on is not null"},
            {"id": "odd", "label": "其他", "when": "revenue + 1 > 2"},
        ],
        "benefit": {"kind": "fixed", "amount": 5},
    }
    rows = editor.rows(version)["conditions"]
    assert [(a["field"], a["op"]) for a in rows[0]["alternatives"]][:2] == [
        ("valley_resident", "true"),
        ("relocated_on", "known"),
    ]
    assert rows[1]["kept"] and rows[1]["words"] == "营业收入 + 1 > 2"  # not a row of alternatives: kept as is


def test_a_share_is_typed_in_percent_and_stored_as_a_fraction():
    version = {
        "eligibility": [{"id": "staff", "label": "科技人员占比不低于10%", "when": "tech_staff_ratio >= 0.1"}],
        "benefit": {"kind": "fixed", "amount": 5},
    }
    post = editor_post(version)
    assert post["cond-0-a0-value"] == "10"
    assert editor.read({**post, "cond-0-a0-value": "12.5"})["eligibility"][0]["when"] == "tech_staff_ratio >= 0.125"


INVALID = [
    ({"cond-0-a0-field": ""}, "持有效高新技术企业证书：请选择字段"),
    ({"cond-0-a0-op": ">=", "cond-0-a0-value": "五十"}, "持有效高新技术企业证书的比较值应为数字，现为“五十”"),
    (
        {"cond-2-a0-field": "revenue", "cond-2-a0-op": ">=", "cond-2-a0-value": "100"},
        "第 3 个条件：请填写名称（申报人看到的说法）",
    ),
    ({"cond-0-delete": "on", "cond-1-delete": "on"}, "至少需要一个认定条件"),
    ({"amount": ""}, "请填写固定金额（万元）"),
    ({"year-1-year": "26", "year-1-amount": "100"}, "预算年度应为四位年份，现为“26”"),
    ({"year-1-year": "2025", "year-1-amount": "100"}, "2025 年的预算填写了两次"),
    ({"year-1-year": "2026", "year-1-amount": ""}, "请填写 2026 年预算金额（万元）"),
    ({"per_year": "1e999"}, "每户每年上限（万元）应为有限的数字"),
    ({"per_year": "NaN"}, "每户每年上限（万元）应为有限的数字"),
]


@pytest.mark.parametrize(("change", "message"), INVALID)
def test_bad_inputs_are_named_in_chinese(change, message):
    version = resolve_versions(yaml.safe_load((ROOT / "policies/hte_reward.yaml").read_text(encoding="utf-8")))[-1]
    with pytest.raises(ValidationError) as exc:
        editor.read(editor_post(version, **change))
    assert message in exc.value.messages


@pytest.mark.django_db
def test_an_admin_lowers_a_threshold_and_adds_a_budget_year_on_the_page(pworld, client_for):
    client = client_for(pworld["users"]["bureau_admin"])
    url = reverse("policies:version_add", args=["rd_subsidy"])
    page = html.unescape(client.get(url).content.decode())
    assert '<option value="rd_expense" selected>研发费用</option>' in page
    current = versions("rd_subsidy").get(status="published").value
    post = editor_post(current, **{"cond-1-a0-value": "30", "year-1-year": "2026", "year-1-amount": "4000"})
    response = client.post(
        url, {"effective_from": "2026-01-01", "source": "市科技局通知", "note": "门槛降到30万", **post}
    )
    assert response.status_code == 302
    new = versions("rd_subsidy").get(effective_from=dt.date(2026, 1, 1))
    assert new.status == "published"
    assert new.value["eligibility"][1]["when"] == "rd_expense >= 30"
    assert new.value["budget"]["by_year"] == {"2025": 3000, "2026": 4000}
    assert Budget.objects.get(policy=policy("rd_subsidy"), year=2026).amount == Decimal("4000")
    event = AuditEvent.objects.get(action="rule_version.create", object_id=str(new.pk))
    assert set(event.changes) == {"eligibility", "budget"}


@pytest.mark.django_db
def test_a_refused_save_writes_nothing_and_shows_the_inputs_again(pworld, client_for):
    client = client_for(pworld["users"]["bureau_admin"])
    current = versions("rd_subsidy").get(status="published").value
    before = (RuleVersion.objects.filter(kind="policies").count(), AuditEvent.objects.count())
    response = client.post(
        reverse("policies:version_add", args=["rd_subsidy"]),
        {
            "effective_from": "2026-01-01",
            "source": "文件",
            "note": "改",
            **editor_post(current, **{"cond-1-a0-value": "三十"}),
        },
    )
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "研发费用不低于50万元的比较值应为数字，现为“三十”" in body
    assert 'name="cond-1-a0-value" value="三十"' in body
    assert (RuleVersion.objects.filter(kind="policies").count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_preview_saves_a_draft_and_shows_firms_gained_and_lost_before_publishing(pworld, client_for):
    client = client_for(pworld["users"]["bureau_admin"])
    current = versions("rd_subsidy").get(status="published").value
    response = client.post(
        reverse("policies:version_add", args=["rd_subsidy"]),
        {
            "effective_from": AS_OF.isoformat(),
            "source": "征求意见稿",
            "note": "门槛降到30万",
            "preview": "1",
            **editor_post(current, **{"cond-1-a0-value": "30", "band-0-from": "30"}),
        },
    )
    draft = versions("rd_subsidy").get(status="draft")
    sim = SimulationRun.objects.get(version=draft)
    assert response.url == reverse("policies:simulation", args=[sim.pk])
    assert sim.compare_to.status == "published"
    page = client.get(response.url).content.decode()
    # firm c (R&D 40万) now qualifies (the first band starts at 30万 too); nobody loses it
    assert 'data-testid="gained">1<' in page and 'data-testid="lost">0<' in page
    assert 'data-testid="publish"' in page
    client.post(reverse("policies:version_publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "published"
