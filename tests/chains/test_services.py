"""Chains services: engine suggestions with reasons, staff decisions, gaps, designations, recruitment targets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.chains import selectors, services
from kechuang.chains.models import Chain, Designation, Placement, RecruitmentTarget, Segment
from kechuang.core.models import AuditEvent

pytestmark = pytest.mark.django_db
D = dt.date


def test_suggestions_come_from_codes_and_words_each_with_its_reason(chain_world):
    admin = chain_world["users"]["bureau_admin"]
    counts = services.suggest_placements(user=admin, chain=chain_world["pm"])
    assert counts == {"new": 2, "updated": 0, "withdrawn": 0}
    rows = {(p.segment.name, p.enterprise.uscc): p for p in Placement.objects.select_related("segment", "enterprise")}
    assert set(rows) == {("磁材", chain_world["b"].uscc), ("工业软件", chain_world["a"].uscc)}
    magnet = rows[("磁材", chain_world["b"].uscc)]
    assert (magnet.status, magnet.score, magnet.rule_key) == ("suggested", 0.65, "default@2024-01-01")
    reason = services.reason_text(magnet)
    assert reason.startswith("行业代码 3985（电子专用材料制造）属于本环节的中类 398")
    assert reason.endswith("；企业名称或主营产品含“钕铁硼”；匹配度 0.65")
    assert services.reason_text(rows[("工业软件", chain_world["a"].uscc)]) == (
        "行业小类 6513（应用软件开发）与本环节一致；匹配度 0.60"
    )
    assert AuditEvent.objects.filter(action="placement.suggest").count() == 1


def test_a_rejected_suggestion_is_never_suggested_again_and_a_stale_one_is_withdrawn(chain_world):
    admin = chain_world["users"]["bureau_admin"]
    services.suggest_placements(user=admin, chain=chain_world["pm"])
    magnet = Placement.objects.get(segment=chain_world["magnet"])
    assert services.decide(user=admin, placements=[magnet], confirm=False, note="不是磁材企业") == 1
    # The software segment now names another class: a's pending suggestion no longer matches.
    Segment.objects.filter(pk=chain_world["software"].pk).update(industry_codes=["6511"])
    counts = services.suggest_placements(user=admin, chain=chain_world["pm"])
    assert counts == {"new": 0, "updated": 0, "withdrawn": 1}
    assert list(Placement.objects.values_list("status", "note")) == [("rejected", "不是磁材企业")]
    event = AuditEvent.objects.get(action="placement.reject")
    assert event.changes == {"status": ["suggested", "rejected"]} and event.enterprise == chain_world["b"]


def test_only_the_bureau_suggests_or_decides_and_nothing_is_written_otherwise(chain_world):
    for role in ("park_operator", "enterprise_user", "bank_user", "institution_user"):
        with pytest.raises(PermissionDenied):
            services.suggest_placements(user=chain_world["users"][role], chain=chain_world["pm"])
    assert not Placement.objects.exists() and not AuditEvent.objects.exists()


def test_gaps_rank_missing_segments_first_by_what_depends_on_them(placed):
    rows, params = selectors.assess(placed["pm"])
    rare, magnet, software = (rows[placed[k].pk] for k in ("rare", "magnet", "software"))
    assert (rare["status"], rare["gap_rank"], round(rare["dependence"], 4)) == ("missing", 1, 1.0)
    # 磁材: one firm (fewer than 3) with 800 万元 of 2024 revenue (below 5,000 万元).
    assert (magnet["status"], magnet["firms"], magnet["gap_rank"]) == ("weak", 1, 2)
    assert magnet["reasons"][:2] == ["本地已确认企业 1 家，少于 3 家", "营业收入合计 800.00 万元，低于 5,000.00 万元"]
    assert (software["status"], software["gap_rank"]) == ("weak", 3)
    assert params["min_firms"] == 3


def test_a_firm_without_figures_of_the_year_has_unknown_revenue_not_zero(placed):
    from kechuang.enterprises.models import AnnualFigure

    AnnualFigure.objects.create(enterprise=placed["a"], year=2025, revenue=None)  # the latest year: a unknown
    rows, _ = selectors.assess(placed["pm"])
    software = rows[placed["software"].pk]
    assert software["revenue_unknown"] == 1 and software["status"] == "weak"  # still weak: one firm is too few


def test_codes_are_checked_against_the_standard(chain_world):
    with pytest.raises(ValidationError, match="行业代码应为 2 至 4 位数字（大类、中类或小类）：3a"):
        services.check_codes(["3a"])
    with pytest.raises(ValidationError, match="行业代码不存在（GB/T 4754-2017）：0000"):
        services.check_codes(["3985", "0000"])
    assert services.check_codes(["398", "39", "3985"]) == ["398", "39", "3985"]


def test_segment_rules(chain_world):
    admin = chain_world["users"]["bureau_admin"]
    pm, magnet = chain_world["pm"], chain_world["magnet"]
    with pytest.raises(ValidationError, match="上级环节须属于同一条产业链"):
        services.save_segment(
            user=admin, chain=pm, data={"name": "新环节", "position": "upstream", "parent": chain_world["api"]}
        )
    with pytest.raises(ValidationError, match="环节不能供给自己"):
        services.save_segment(
            user=admin, chain=pm, data={"name": "磁材", "position": "midstream"}, segment=magnet, supplies=[magnet]
        )
    with pytest.raises(ValidationError, match="本产业链已有名为“工业软件”的环节"):
        services.save_segment(user=admin, chain=pm, data={"name": "工业软件", "position": "downstream"})
    child = services.save_segment(
        user=admin,
        chain=pm,
        data={"name": "烧结磁体", "position": "midstream", "parent": magnet, "industry_codes": ["3985"]},
    )
    with pytest.raises(ValidationError, match="上级环节不能是本环节或其下级环节"):
        services.save_segment(
            user=admin, chain=pm, data={"name": "磁材", "position": "midstream", "parent": child}, segment=magnet
        )
    assert Segment.objects.filter(chain=pm).count() == 4
    with pytest.raises(ValidationError, match="编码“targets”为系统保留"):
        services.save_chain(user=admin, data={"code": "targets", "name": "另一条链"})
    assert Chain.objects.count() == 2


def test_designations_have_dates_and_one_leader_at_a_time(placed):
    admin = placed["users"]["bureau_admin"]
    pm = placed["pm"]
    leader = services.designate(
        user=admin,
        chain=pm,
        enterprise=placed["b"],
        role="chain_leader",
        designated_on=D(2023, 3, 15),
        document="文件一",
    )
    with pytest.raises(ValidationError, match="永磁材料产业链 在该期间已有链主（太原乙材料有限公司），请先终止其认定"):
        services.designate(
            user=admin, chain=pm, enterprise=placed["a"], role="chain_leader", designated_on=D(2024, 1, 1)
        )
    with pytest.raises(ValidationError, match="终止日期须晚于认定日期"):
        services.end_designation(user=admin, designation=leader, ends_on=D(2023, 3, 15))
    services.end_designation(user=admin, designation=leader, ends_on=D(2025, 6, 30))
    services.designate(user=admin, chain=pm, enterprise=placed["a"], role="chain_leader", designated_on=D(2025, 6, 30))
    on = {
        d: list(selectors.active_designations(d).values_list("enterprise__name", flat=True))
        for d in (D(2025, 6, 29), D(2025, 6, 30))
    }
    assert on == {D(2025, 6, 29): ["太原乙材料有限公司"], D(2025, 6, 30): ["太原甲科技有限公司"]}
    assert Designation.objects.count() == 2


def test_a_target_moves_to_signing_and_arrival_with_dates(placed):
    admin = placed["users"]["bureau_admin"]
    t = services.save_target(
        user=admin,
        chain=placed["pm"],
        data={"segment": placed["rare"], "company": "赣州某稀土公司", "location": "江西赣州"},
    )
    with pytest.raises(ValidationError, match="线索当前为“线索”，只能变为：已接洽、洽谈中、已终止"):
        services.advance_target(user=admin, target=t, status="arrived", on=D(2026, 1, 1))
    services.advance_target(user=admin, target=t, status="negotiating")
    with pytest.raises(ValidationError, match="请填写日期"):
        services.advance_target(user=admin, target=t, status="signed")
    services.advance_target(user=admin, target=t, status="signed", on=D(2026, 5, 1))
    with pytest.raises(ValidationError, match="落地日期不能早于签约日期 2026-05-01"):
        services.advance_target(user=admin, target=t, status="arrived", on=D(2026, 4, 30))
    services.advance_target(user=admin, target=t, status="arrived", on=D(2026, 6, 1), enterprise=placed["c"])
    t.refresh_from_db()
    assert (t.status, t.signed_on, t.arrived_on) == ("arrived", D(2026, 5, 1), D(2026, 6, 1))
    assert t.enterprise == placed["c"]
    assert [e.changes["status"] for e in AuditEvent.objects.filter(action="target.status").order_by("pk")] == [
        ["lead", "negotiating"],
        ["negotiating", "signed"],
        ["signed", "arrived"],
    ]
    with pytest.raises(ValidationError, match="请选择本产业链的一个环节"):
        services.save_target(user=admin, chain=placed["pm"], data={"segment": placed["api"], "company": "某公司"})
    assert RecruitmentTarget.objects.count() == 1


def test_dropping_a_target_needs_a_reason(placed):
    admin = placed["users"]["bureau_admin"]
    t = services.save_target(user=admin, chain=placed["pm"], data={"segment": placed["rare"], "company": "某公司"})
    with pytest.raises(ValidationError, match="请填写终止原因"):
        services.advance_target(user=admin, target=t, status="dropped")
    services.advance_target(user=admin, target=t, status="dropped", reason="投资计划调整")
    t.refresh_from_db()
    assert (t.status, t.dropped_reason) == ("dropped", "投资计划调整")
