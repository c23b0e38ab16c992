"""Tier rule sets on the rule pages, like every other kind: listed, shown with their parameters in force and the
bureau's changes; a new value is added on the one editor of tier parameters (the tiers page, which the rule page
links to) through the one service (kind `tiers`), and the next tier run uses it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kechuang.core.models import AuditEvent
from kechuang.engine.ruledata import rulebook
from kechuang.engine.tiers.model import select_rulesets
from kechuang.rules.models import RuleVersion
from kechuang.tiers.selectors import parameter_versions

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    return TODAY


def test_the_rules_page_lists_every_tier_rule_set(world, client_for, today):
    page = client_for(world["users"]["bureau_staff"]).get("/rules/").content.decode()
    assert "企业梯队" in page and "梯队认定规则" in page
    for rule_id in rulebook("tiers").ids():
        assert f'href="/rules/tiers/{rule_id}/"' in page, rule_id
    # the 2022 texts ended when the 2026 rule sets took over: said so, not shown as in force
    assert page.count("已于 2026-03-31 失效") == 3


def test_a_tier_rule_set_page_shows_its_parameters_in_force_with_their_sources(world, client_for, today):
    page = client_for(world["users"]["bureau_staff"]).get("/rules/tiers/tech_sme/").content.decode()
    assert "科技型中小企业" in page and "国科发政〔2017〕115号" in page
    assert 'data-testid="value-pass_score">60<' in page
    assert "综合评分及格分" in page


def test_an_ended_rule_set_shows_its_values_on_its_last_day(world, client_for, today):
    page = client_for(world["users"]["bureau_staff"]).get("/rules/tiers/innovative_sme/").content.decode()
    assert "2026-03-31 现行参数" in page


EDITOR = "/tiers/parameters/?parameter=tech_sme%3Apass_score#new-version"


def test_a_tier_parameter_has_one_editor_the_tiers_page(world, client_for, today):
    """The rule page's "调整" of a tier parameter opens the tiers page's editor (band tables as rows); the rule
    pages' own form is not a second editor of it."""
    admin = client_for(world["users"]["bureau_admin"])
    page = admin.get("/rules/tiers/tech_sme/").content.decode()
    assert f'href="{EDITOR}"' in page.replace("&amp;", "&")
    assert 'href="/rules/tiers/tech_sme/pass_score/"' not in page
    response = admin.get("/rules/tiers/tech_sme/pass_score/")
    assert response.status_code == 302 and response["Location"] == EDITOR
    opened = admin.get(response["Location"])
    assert opened.context["form"].initial == {"parameter": "tech_sme:pass_score", "value": "60"}
    # other kinds keep the rule pages' typed editor
    monitoring = admin.get("/rules/tier_monitoring/default/").content.decode()
    assert 'href="/rules/tier_monitoring/default/expiry_warning_days/"' in monitoring


def test_a_new_threshold_is_audited_in_the_one_shape_and_used_by_the_next_tier_run(world, client_for, today):
    admin = world["users"]["bureau_admin"]
    response = client_for(admin).post(
        "/tiers/parameters/",
        {
            "parameter": "tech_sme:pass_score",
            "value": "65",
            "effective_from": "2026-07-01",
            "source": "本局通知〔2026〕5号",
            "note": "提高门槛",
        },
    )
    assert response.status_code == 302
    version = RuleVersion.objects.get()
    assert (version.kind, version.rule_id, version.parameter, version.value, version.previous) == (
        "tiers",
        "tech_sme",
        "pass_score",
        65,
        60,
    )
    event = AuditEvent.objects.get(action="rule_version.create")
    assert event.changes == {"value": [60, 65]}
    assert (
        event.note
        == "梯队认定规则·科技型中小企业·综合评分及格分 自 2026-07-01 起；依据：本局通知〔2026〕5号；原因：提高门槛"
    )
    (tech,) = select_rulesets(dt.date(2026, 7, 1), ["tech_sme"])
    assert tech.params(dt.date(2026, 6, 30), parameter_versions())["pass_score"] == 60
    assert tech.params(dt.date(2026, 7, 1), parameter_versions())["pass_score"] == 65
    history = client_for(admin).get("/rules/tiers/tech_sme/").content.decode()
    assert "<td>综合评分及格分</td><td>2026-07-01</td><td>60 → 65</td>" in history


def test_a_band_table_with_a_row_never_reached_is_refused_and_nothing_written(world, client_for, today):
    response = client_for(world["users"]["bureau_admin"]).post(
        "/tiers/parameters/",
        {
            "parameter": "tech_sme:tech_staff_bands",
            "value": '[{"min": 0.1, "points": 4}, {"min": 0.3, "points": 20}, {"points": 0}]',
            "effective_from": "2026-07-01",
            "source": "本局通知",
        },
    )
    assert response.status_code == 200
    assert "第 2 档永远用不到" in response.content.decode()
    assert not RuleVersion.objects.exists() and not AuditEvent.objects.filter(action="rule_version.create").exists()


def test_only_the_bureau_reads_tier_rules_and_only_an_admin_changes_them(world, client_for, today):
    assert client_for(world["users"]["enterprise_user"]).get("/rules/tiers/tech_sme/").status_code == 403
    response = client_for(world["users"]["bureau_staff"]).post(
        "/rules/tiers/tech_sme/pass_score/", {"value": "65", "effective_from": "2026-07-01", "source": "通知"}
    )
    assert response.status_code == 403
    assert not RuleVersion.objects.exists()
