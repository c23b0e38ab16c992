"""Pages name rule versions by their effective date and policies by their names, never by codes
(`rd_subsidy@2024-01-01`, `rent_support`); audit count keys read in Chinese; the simulation page stays short."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.core import audit, display
from kechuang.policies import services
from kechuang.policies.models import Entitlement, SimulationRun
from tests.policies.conftest import AS_OF, policy, versions

pytestmark = pytest.mark.django_db


def test_library_shows_version_date_and_stacking_partners(pworld, client_for):
    html = client_for(pworld["users"]["bureau_staff"]).get(reverse("policies:list")).content.decode()
    assert "rd_subsidy@" not in html and "rent_support" not in html
    assert "<td>2024-01-01 起施行</td>" in html
    assert "<td>同组暂无其他政策</td>" in html  # rent_refund is alone in its group among the shipped policies
    detail = client_for(pworld["users"]["bureau_staff"]).get(reverse("policies:detail", args=["rent_refund"]))
    assert "rent_support" not in detail.content.decode()


def test_stacking_label_names_the_other_policies_of_the_group(pworld):
    from kechuang.policies import selectors

    policy("rd_subsidy").__class__.objects.filter(code="hte_reward").update(stacking_group="rent_support")
    assert selectors.stacking_label(policy("rent_refund")) == "与高新技术企业首次认定奖励从优就高"
    assert selectors.stacking_label(policy("rd_subsidy")) == ""


def test_entitlement_pages_and_firm_log_show_dates_not_codes(pworld, client_for):
    services.run_eligibility("rd_subsidy", AS_OF, user=pworld["users"]["bureau_staff"])
    client = client_for(pworld["users"]["bureau_staff"])
    listing = client.get(reverse("policies:entitlements")).content.decode()
    assert "rd_subsidy@" not in listing
    assert '企业研发费用分档补助<div class="muted">2024-01-01 起施行</div>' in listing
    e = Entitlement.objects.get(enterprise=pworld["a"], policy__code="rd_subsidy")
    page = client.get(reverse("policies:entitlement", args=[e.pk])).content.decode()
    assert '<span class="tag">2024-01-01 起施行</span>' in page and "rd_subsidy@" not in page
    firm = client.get(reverse("enterprises:detail", args=[pworld["a"].uscc])).content.decode()
    assert "rd_subsidy@" not in firm
    assert "企业研发费用分档补助 （2024-01-01 起施行） 基准日 2025-06-30" in firm


def test_audit_log_reads_notes_and_count_keys_in_chinese(pworld, client_for):
    admin = pworld["users"]["bureau_admin"]
    audit.record(actor=admin, action="points.alerts.refresh", obj=admin, changes={"new_alerts": [None, 0]})
    audit.record(
        actor=admin, action="policy.update", obj=policy("rd_subsidy"), note="rd_subsidy@2024-01-01（内置 YAML）"
    )
    html = client_for(admin).get(reverse("core:audit")).content.decode()
    assert "新增预警数：空 → 0" in html and "new_alerts" not in html
    assert "企业研发费用分档补助（2024-01-01 起施行）（内置 YAML）" in html and "rd_subsidy@" not in html


def test_rule_references_in_text():
    names = {"hte_reward": "高企奖励"}
    assert display.rule_refs("hte_reward@2024-01-01 基准日", names) == "高企奖励（2024-01-01 起施行） 基准日"
    assert display.rule_refs("高企奖励 hte_reward@2024-01-01", names) == "高企奖励 （2024-01-01 起施行）"
    assert display.rule_refs("other@2025-03-01", names) == "（2025-03-01 起施行）"
    assert display.rule_refs("2026-05 载体月度排名（other@2025-03-01），11 个载体", names) == (
        "2026-05 载体月度排名（2025-03-01 起施行），11 个载体"
    )
    assert display.rule_refs("补录（hte_reward@2024-01-01）", names) == "补录（高企奖励 2024-01-01 起施行）"
    assert display.rule_refs("user@example.com", names) == "user@example.com"
    assert display.version_ref("rd_subsidy@2024-01-01") == "2024-01-01 起施行"
    assert audit.change_rows("finance.loanimport", {"rejected": [None, 3]}) == [("拒收行数", "空", "3")]
    # a reverse relation's rows (a challenge's indicators) by the related model's name
    assert audit.change_rows("challenges.challenge", {"indicators": ["甲", "乙"]}) == [("考核指标", "甲", "乙")]


def test_simulation_page_labels_earlier_years_and_caps_long_lists(pworld, client_for):
    client = client_for(pworld["users"]["bureau_staff"])
    current = versions("rd_subsidy").get(status="published")
    response = client.post(
        reverse("policies:simulate", args=["rd_subsidy"]), {"version": current.pk, "as_of": "2025-06-30"}
    )
    sim = SimulationRun.objects.get()
    miss = {"name": "差一项企业", "uscc": pworld["c"].uscc, "condition": "rd_min", "gaps": []}
    sim.result["near_misses"] = [miss] * 60
    sim.save(update_fields=["result"])
    html = client.get(response.url).content.decode()
    assert "往年已享受（不重复）" in html and ">已享受（不重复）" not in html
    assert "2024-01-01 起施行（已发布）" in html and "rd_subsidy@" not in html
    table = html.split('data-testid="near-misses"')[1].split("</table>")[0]
    assert table.count("<tr>") == 51  # the header and the first 50 firms
    assert "仅列出前 50 家；完整名单请导出 Excel。" in html
