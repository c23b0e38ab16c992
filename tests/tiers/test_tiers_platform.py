"""Tier evaluation in the platform: stored runs with explanations, the pipeline page, near misses, expiring
certificates, dated parameter versions set by a bureau admin, and who may see what."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kechuang.core.models import AuditEvent, Job
from kechuang.engine import clock
from kechuang.engine.tiers.model import rulesets_in_force, select_rulesets
from kechuang.enterprises.models import AnnualFigure, Qualification
from kechuang.rules import services as rule_services
from kechuang.rules.models import RuleVersion
from kechuang.tiers import services
from kechuang.tiers.models import TierResult, TierRun
from tests.conftest import ROLES

AS_OF = dt.date(2025, 6, 30)


def worked_example(enterprise, year=2024, **overrides):
    """rules-reference §1 worked example: staff 100, tech 22, revenue 3000, R&D 150, 2 Ⅱ类 IP → 64 points."""
    values = dict(
        staff_total=100,
        tech_staff=22,
        revenue=Decimal(3000),
        rd_expense=Decimal(150),
        total_cost_expense=Decimal(2500),
        total_assets=Decimal(5000),
        utility_models=2,
        invention_patents=0,
        major_accident=False,
        env_violation=False,
        research_misconduct=False,
        abnormal_listed=False,
        dishonest_listed=False,
        restricted_products=False,
        hte_certified=False,
        national_award_5y_top3=False,
        rd_institution_level="none",
        led_standard_5y=False,
        standard_drafted=False,
    )
    values.update(overrides)
    AnnualFigure.objects.update_or_create(enterprise=enterprise, year=year, defaults=values)


@pytest.fixture
def evaluated(world):
    worked_example(world["a"])
    worked_example(world["b"], tech_staff=14)  # 14% → 4 points: 4 + 40 + 12 = 56 < 60, one condition fails
    worked_example(world["c"], staff_total=None)  # unknown staff → unknown
    return services.evaluate_all(AS_OF, user_id=world["users"]["bureau_staff"].pk)


def result(run, enterprise, tier="tech_sme") -> TierResult:
    return TierResult.objects.get(run=run, enterprise=enterprise, tier=tier)


@pytest.mark.django_db
def test_evaluation_is_stored_with_version_and_explanation(world, evaluated):
    a = result(evaluated, world["a"])
    assert (a.qualified, a.route, a.score) == ("true", "score", 64.0)
    assert a.ruleset.startswith("tech_sme@")
    assert evaluated.as_of == AS_OF and evaluated.rulesets["tech_sme"] == a.ruleset
    assert a.explanation["conditions"]["score_threshold"]["outcome"] == "true"
    b = result(evaluated, world["b"])
    assert b.qualified == "false" and b.failed == "score_threshold" and b.score == 56.0
    c = result(evaluated, world["c"])
    assert c.qualified == "unknown" and "staff_total" in c.missing
    # The run is in the audit log: who ran it, as of when, how many firms qualified for each tier.
    event = AuditEvent.objects.get(action="tier_run.create", object_id=str(evaluated.pk))
    assert event.actor == world["users"]["bureau_staff"]
    assert event.note.startswith("基准日 2025-06-30，评价 3 家企业；达标：科技型中小企业 1 家、高新技术企业 0 家、")


@pytest.mark.django_db
def test_explanation_is_computed_from_facts_and_says_when_they_changed_since(world, evaluated, client_for):
    assert "explanation" not in {f.name for f in TierResult._meta.get_fields()}  # not stored
    a = result(evaluated, world["a"])
    assert a.explanation["reproduced"] is True
    assert a.explanation["conditions"]["score_threshold"]["values"] == {"score_min": 64.0, "score_max": 64.0}
    page = client_for(world["users"]["enterprise_user"]).get(reverse("tiers:enterprise", args=[world["a"].uscc]))
    assert "企业数据在本次评价后有更新" not in page.content.decode()
    worked_example(world["a"], tech_staff=14)  # corrected after the run: 56 points now
    a = result(evaluated, world["a"])
    assert a.qualified == "true"  # the stored decision stands
    assert a.explanation["reproduced"] is False
    assert a.explanation["conditions"]["score_threshold"]["outcome"] == "false"
    page = client_for(world["users"]["enterprise_user"]).get(reverse("tiers:enterprise", args=[world["a"].uscc]))
    assert "企业数据在本次评价后有更新，以下条件说明按当前数据计算" in page.content.decode()


@pytest.mark.django_db
def test_explanations_of_a_list_are_computed_together_per_run(world, evaluated):
    results = list(TierResult.objects.filter(run=evaluated, tier__in=["tech_sme", "high_tech"]).order_by("pk"))
    services.explain(results)
    assert all("explanation" in r.__dict__ for r in results)  # nothing left to compute one by one
    by_firm = {(r.enterprise_id, r.tier): r.explanation for r in results}
    assert by_firm[(world["c"].pk, "tech_sme")]["reproduced"] is True
    assert by_firm[(world["c"].pk, "tech_sme")]["conditions"]["score_threshold"]["outcome"] == "unknown"
    assert by_firm[(world["b"].pk, "tech_sme")]["conditions"]["score_threshold"]["outcome"] == "false"


@pytest.mark.django_db
def test_gap_names_the_tech_staff_needed(world, evaluated):
    b = result(evaluated, world["b"])
    gaps = {g["field"]: g for g in b.gaps if g["condition"] == "score_threshold"}
    # 15 of 100 tech staff reaches the 8-point band: 8 + 40 + 12 = 60.
    assert (gaps["tech_staff"]["current"], gaps["tech_staff"]["required"], gaps["tech_staff"]["delta"]) == (14, 15, 1)


@pytest.mark.django_db
def test_evaluation_job_records_progress_and_result(world, django_capture_on_commit_callbacks):
    from huey.contrib.djhuey import HUEY

    worked_example(world["a"])
    HUEY.immediate = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = services.start_evaluation(AS_OF, user=world["users"]["bureau_staff"])
    finally:
        HUEY.immediate = False
    job.refresh_from_db()
    assert job.status == "done" and job.done == job.total == 3
    run = TierRun.objects.get(pk=job.result["run"])
    assert result(run, world["a"]).qualified == "true"


@pytest.mark.django_db
def test_an_evaluation_date_without_figures_or_in_the_future_is_refused(world, client_for):
    worked_example(world["a"])  # figures for 2024 only
    with pytest.raises(ValidationError, match="晚于今天"):
        services.start_evaluation(dt.date.today() + dt.timedelta(days=1), user=world["users"]["bureau_staff"])
    with pytest.raises(ValidationError, match="尚无 2019 年度的企业数据"):
        services.start_evaluation(dt.date(2020, 6, 30), user=world["users"]["bureau_staff"])
    response = client_for(world["users"]["bureau_staff"]).post(
        reverse("tiers:evaluate"), {"as_of": "2020-06-30"}, follow=True
    )
    assert "尚无 2019 年度的企业数据" in response.content.decode()
    empty = client_for(world["users"]["bureau_staff"]).post(reverse("tiers:evaluate"), {"as_of": ""}, follow=True)
    assert "评价基准日：这个字段是必填项。" in empty.content.decode()  # the message names the field
    assert not Job.objects.exists() and not TierRun.objects.exists()
    with pytest.raises(ValidationError, match="没有现行的梯队认定规则"):
        services.check_as_of(dt.date(2000, 1, 1))
    services.check_as_of(AS_OF)  # 2024 figures: accepted


@pytest.mark.django_db
def test_only_bureau_starts_an_evaluation(world):
    with pytest.raises(PermissionDenied):
        services.start_evaluation(AS_OF, user=world["users"]["park_operator"])


@pytest.mark.django_db
def test_parameter_version_in_force_is_used_and_audited(world):
    worked_example(world["a"], year=2023)
    worked_example(world["a"], year=2024)
    admin = world["users"]["bureau_admin"]
    version = rule_services.add_parameter_version(
        user=admin,
        kind="tiers",
        rule_id="tech_sme",
        parameter="pass_score",
        effective_from=dt.date(2025, 1, 1),
        value=65,
        source="测试文件〔2025〕1号",
        note="提高门槛",
    )
    before = services.evaluate_all(dt.date(2024, 12, 31))
    after = services.evaluate_all(AS_OF)
    assert result(before, world["a"]).qualified == "true"  # 64 ≥ 60 under the old value
    assert result(after, world["a"]).qualified == "false"  # 64 < 65 from 2025-01-01
    assert after.parameter_versions[0]["value"] == 65
    assert after.versions_in_force() == ["科技型中小企业·综合评分及格分 = 65（自 2025-01-01）"]
    assert before.versions_in_force() == []  # recorded with the run, not yet in force on its date
    event = AuditEvent.objects.get(action="rule_version.create")
    assert version.kind == "tiers" and version.previous == 60 and version.created_by == admin
    assert event.actor == admin and event.changes == {"value": [60, 65]} and event.object_id == str(version.pk)
    # the parameter by its Chinese label, never its code
    assert event.note == (
        "梯队认定规则·科技型中小企业·综合评分及格分 自 2025-01-01 起；依据：测试文件〔2025〕1号；原因：提高门槛"
    )


@pytest.mark.django_db
def test_condition_labels_show_the_threshold_each_run_used(world, client_for):
    worked_example(world["a"], year=2023)
    worked_example(world["a"], year=2024)
    rule_services.add_parameter_version(
        user=world["users"]["bureau_admin"],
        kind="tiers",
        rule_id="tech_sme",
        parameter="pass_score",
        effective_from=dt.date(2025, 1, 1),
        value=65,
        source="测试文件〔2025〕1号",
    )
    before = services.evaluate_all(dt.date(2024, 12, 31))
    after = services.evaluate_all(AS_OF)
    assert result(after, world["a"]).failed_text() == "综合评分≥65分"
    assert result(before, world["a"]).condition_labels["score_threshold"] == "综合评分≥60分"
    staff = client_for(world["users"]["bureau_staff"])
    html = staff.get(reverse("tiers:tier_list", args=["tech_sme"]), {"qualified": "false", "run": after.pk})
    assert "综合评分≥65分" in html.content.decode() and "综合评分≥60分" not in html.content.decode()
    pipeline = staff.get(reverse("tiers:pipeline"), {"run": after.pk}).content.decode()
    assert "本局调整的参数：科技型中小企业·综合评分及格分 = 65（自 2025-01-01）" in pipeline
    assert "参数均为规则原值" in staff.get(reverse("tiers:pipeline"), {"run": before.pk}).content.decode()
    page = client_for(world["users"]["enterprise_user"]).get(reverse("tiers:enterprise", args=[world["a"].uscc]))
    html = page.content.decode()
    assert "综合评分≥65分" in html and "门槛 65<" in html  # the latest run's explanation
    assert "pass_score" not in html and "staff_max" not in html  # parameters are not shown by code name
    assert "得分（下限）=64" in html and "得分（上限）=64" in html and "score_min" not in html  # jsonb: any order


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"parameter": "no_such"}, "没有参数"),
        ({"source": "  "}, "依据来源"),
        ({"value": "65"}, "“综合评分及格分”（pass_score）应为数字，例如 60"),
        ({"value": float("nan")}, "NaN 或无穷大"),
        ({"value": float("inf")}, "NaN 或无穷大"),
        (
            {"parameter": "tech_staff_bands", "value": [{"min": 0.1, "points": 20}, {"min": 0.3, "points": 5}]},
            "第 2 档永远用不到",
        ),
        ({"parameter": "tech_staff_bands", "value": [{"points": 0}, {"min": 0.3, "points": 5}]}, "第 2 档永远用不到"),
        ({"value": 60}, "与现行取值相同，无需新增版本"),
        ({"parameter": "tech_staff_bands", "value": [{"min": 10**400, "points": 5}, {"points": 0}]}, "无穷大"),
        ({"value": True}, "应为数字"),
        ({"value": -5}, "不能为负数"),
        ({"rule_id": "high_tech", "parameter": "tech_staff_ratio_min", "value": 12}, "是比例，应填 0 到 1 之间的小数"),
        ({"rule_id": "little_giant", "parameter": "rd_ratio_mid", "value": 6}, "是比例，应填 0 到 1 之间的小数"),
        ({"rule_id": "little_giant", "parameter": "small_rd_staff_ratio_min", "value": 50}, "是比例"),
        ({"parameter": "tech_staff_bands", "value": [[0.3, 20], [0.25, 16]]}, "是分档表"),
        ({"parameter": "tech_staff_bands", "value": [{"min": 0.3, "points": [20, 10]}]}, "第 1 档的分值"),
        ({"parameter": "tech_staff_bands", "value": [{"min": "高", "points": 20}]}, "第 1 档的界限应为数字"),
        ({"parameter": "negative_industry_prefixes", "value": "16"}, "应为文字列表"),
        ({"rule_id": "no_such"}, "没有梯队认定规则“no_such”"),
        ({"rule_id": "high_tech", "parameter": "rd_management_range", "value": [20, 0]}, "最低不大于最高"),
        ({"rule_id": "high_tech", "parameter": "rd_management_range", "value": 20}, r"应为数字区间，例如 \[0, 20\]"),
    ],
)
def test_parameter_version_is_validated(world, kwargs, message):
    args = {
        "user": world["users"]["bureau_admin"],
        "kind": "tiers",
        "rule_id": "tech_sme",
        "parameter": "pass_score",
        "effective_from": dt.date(2025, 1, 1),
        "value": 65,
        "source": "文件",
    }
    with pytest.raises(ValidationError, match=message):
        rule_services.add_parameter_version(**{**args, **kwargs})
    assert RuleVersion.objects.filter(kind="tiers").count() == 0 and AuditEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rule_id, parameter, value",
    [
        ("high_tech", "rd_management_range", [0, 15]),
        ("high_tech", "tech_staff_ratio_min", 0.12),
        ("tech_sme", "negative_industry_prefixes", ["16", "61"]),
        ("potential_gazelle", "requires_high_tech", False),
        ("tech_sme", "tech_staff_bands", [{"min": 0.3, "points": 20}, {"min": 0.1, "points": [5, 8]}, {"points": 0}]),
    ],
)
def test_a_value_of_the_right_shape_is_accepted(world, rule_id, parameter, value):
    rule_services.add_parameter_version(
        user=world["users"]["bureau_admin"],
        kind="tiers",
        rule_id=rule_id,
        parameter=parameter,
        effective_from=dt.date(2025, 1, 1),
        value=value,
        source="文件",
    )
    assert RuleVersion.objects.filter(kind="tiers").get().value == value


@pytest.mark.django_db
def test_a_new_value_from_the_tiers_page_is_tried_once(world, client_for, monkeypatch):
    """The trial run that proves a new value usable (`RuleSet.check_parameter`) is the only run of the engine a
    save makes. Counted where every evaluation chooses its rule sets, however `evaluate` was imported."""
    engine = importlib.import_module("kechuang.engine.tiers.evaluate")
    chosen = []

    def counted(as_of, tiers=None, *args, **kwargs):
        chosen.append((as_of, tiers))
        return select_rulesets(as_of, tiers, *args, **kwargs)

    monkeypatch.setattr(engine, "select_rulesets", counted)
    monkeypatch.setattr(clock, "today", lambda: dt.date(2025, 6, 30))
    data = {"parameter": "tech_sme:pass_score", "effective_from": "2025-01-01", "value": "65", "source": "测试文件"}
    response = client_for(world["users"]["bureau_admin"]).post(reverse("tiers:parameters"), data)
    assert response.status_code == 302 and RuleVersion.objects.get(kind="tiers").value == 65
    assert chosen == [(dt.date(2025, 6, 30), ["tech_sme"])]  # once, on the rule set's latest day so far


@pytest.mark.django_db
def test_a_second_version_on_the_same_day_is_refused_in_chinese(world, client_for):
    admin = world["users"]["bureau_admin"]
    args = {
        "user": admin,
        "kind": "tiers",
        "rule_id": "tech_sme",
        "parameter": "pass_score",
        "effective_from": dt.date(2025, 1, 1),
        "value": 65,
        "source": "文件",
    }
    rule_services.add_parameter_version(**args)
    with pytest.raises(ValidationError, match="“综合评分及格分”在 2025-01-01 已有一个版本"):
        rule_services.add_parameter_version(**{**args, "value": 70})
    assert list(RuleVersion.objects.filter(kind="tiers").values_list("value", flat=True)) == [65]
    data = {"parameter": "tech_sme:pass_score", "effective_from": "2025-01-01", "value": "70", "source": "测试文件"}
    response = client_for(admin).post(reverse("tiers:parameters"), data)
    html = response.content.decode()
    assert response.status_code == 200 and "已有一个版本" in html
    # the form and its message come before the long list of rule sets, and the page returns to it
    assert html.index("已有一个版本") < html.index("认定条件") and 'action="#new-version"' in html


@pytest.mark.django_db
def test_parameter_values_are_shown_as_they_are_typed(world, client_for):
    html = client_for(world["users"]["bureau_admin"]).get(reverse("tiers:parameters")).content.decode()
    assert "<code>[{&quot;min&quot;: 0.3, &quot;points&quot;: 20}" in html  # JSON, not Python text
    assert "{&#x27;min&#x27;" not in html and "tech_sme@" not in html
    assert "<td>综合评分及格分</td>" in html and "pass_score</div>" not in html  # named, no code name beside
    assert '<option value="tech_sme:pass_score">综合评分及格分</option>' in html  # the code only as the value
    assert "（pass_score）" not in html and "（base_revenue_min）" not in html
    # "调整" opens the form with the parameter chosen and its current value to edit
    adjust = client_for(world["users"]["bureau_admin"]).get(
        reverse("tiers:parameters"), {"parameter": "high_tech:tech_staff_ratio_min"}
    )
    form = adjust.context["form"]
    assert form.initial == {"parameter": "high_tech:tech_staff_ratio_min", "value": "0.1"}
    assert '<option value="high_tech:tech_staff_ratio_min" selected>' in adjust.content.decode()


@pytest.mark.django_db
def test_parameters_page_shows_rule_set_notes_and_parameter_notes(world, client_for):
    html = client_for(world["users"]["bureau_staff"]).get(reverse("tiers:parameters")).content.decode()
    # every rule set in force today that says where its text came from or what is not verified
    in_force = [r for r in rulesets_in_force(dt.date.today()) if r.notes]
    assert html.count('data-testid="ruleset-notes"') == len(in_force) >= 5
    if any(r.id == "specialized_sme_2026" for r in in_force):
        assert "附件1《专精特新中小企业认定标准》原文未能找到" in html  # the 2026 text not found, said on the page
    assert "effective_to" not in html
    assert '<div class="muted">0.5亿美元</div>' in html  # potential_unicorn young_valuation_usd_min's note
    assert "新增参数版本须由科技局管理员操作" in html and 'id="new-version"' not in html  # staff: no form, says why


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_parameter_page_post_is_admin_only(role, world, client_for):
    data = {"parameter": "tech_sme:pass_score", "effective_from": "2025-01-01", "value": "65", "source": "测试文件"}
    response = client_for(world["users"][role]).post(reverse("tiers:parameters"), data)
    if role == "bureau_admin":
        assert response.status_code == 302 and RuleVersion.objects.filter(kind="tiers").get().value == 65
        page = client_for(world["users"][role]).get(reverse("tiers:parameters")).content.decode()
        tech = next(line for line in page.splitlines() if "规模（职工≤500人" in line)  # tech_sme's conditions
        assert "综合评分≥65分" in tech and "综合评分≥60分" not in tech  # as they read now
    else:
        assert response.status_code == 403 and not RuleVersion.objects.filter(kind="tiers").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_pipeline_pages_by_role(role, world, evaluated, client_for):
    client = client_for(world["users"][role])
    allowed = role in ("bureau_admin", "bureau_staff", "park_operator")
    for name in ("tiers:pipeline", "tiers:near_misses", "tiers:expiring", "tiers:parameters"):
        assert client.get(reverse(name)).status_code == (200 if allowed else 403), name
    if allowed:
        html = client.get(reverse("tiers:pipeline")).content.decode()
        assert 'data-tier="tech_sme">1<' in html  # a qualifies, and is resident in the operator's valley


@pytest.mark.django_db
def test_refusals_and_missing_pages_speak_chinese(world, evaluated, client_for):
    refused = client_for(world["users"]["enterprise_user"]).get(reverse("tiers:pipeline"))
    assert refused.status_code == 403
    assert "无权访问" in refused.content.decode() and "无权查看企业梯队" in refused.content.decode()
    staff = client_for(world["users"]["bureau_staff"])
    for url, reason in (
        (reverse("tiers:pipeline") + "?run=99999", "评价批次不存在"),
        (reverse("tiers:tier_list", args=["foo"]), "没有这个梯队"),
        (reverse("tiers:near_misses") + "?tier=foo", "没有这个梯队"),
        (reverse("tiers:tier_list", args=["tech_sme"]) + "?qualified=bogus", "没有这个结论（应为达标、未达标或待定）"),
    ):
        missing = staff.get(url)
        html = missing.content.decode()
        assert missing.status_code == 404 and "页面不存在" in html, url
        assert f'<p data-testid="not-found-reason">{reason}</p>' in html, url
    # Django's own refusals are for developers: English, not shown.
    unknown = staff.get("/no/such/page/")
    assert unknown.status_code == 404 and "not-found-reason" not in unknown.content.decode()
    assert "Resolver404" not in unknown.content.decode() and "您要找的页面或记录不存在" in unknown.content.decode()


@pytest.mark.django_db
def test_pipeline_counts_are_scoped_for_park_operator(world, client_for):
    worked_example(world["a"])
    worked_example(world["c"])  # c qualifies too, but is not in the operator's valley
    services.evaluate_all(AS_OF)
    staff_html = client_for(world["users"]["bureau_staff"]).get(reverse("tiers:pipeline")).content.decode()
    assert 'data-tier="tech_sme">2<' in staff_html
    operator_html = client_for(world["users"]["park_operator"]).get(reverse("tiers:pipeline")).content.decode()
    assert 'data-tier="tech_sme">1<' in operator_html
    assert '<span data-testid="visible">2</span>' in operator_html  # a and b, its own firms, not the region's 3
    assert TierRun.objects.get().enterprises == 3 and '<span data-testid="visible">3</span>' in staff_html


@pytest.mark.django_db
def test_near_miss_list_and_export(world, evaluated, client_for):
    client = client_for(world["users"]["bureau_staff"])
    response = client.get(reverse("tiers:near_misses"), {"tier": "tech_sme"})
    rows = list(response.context["page"].object_list)
    assert [r.enterprise.name for r in rows] == ["太原乙材料有限公司"]
    assert rows[0].gap_size == pytest.approx(1 / 15)  # the closest gap: tech staff 14 → 15
    html = response.content.decode()
    assert "综合评分≥60分" in html and "科技人员数：14 → 15（差 1）" in html and "score_threshold" not in html
    export = client.get(reverse("tiers:near_misses"), {"tier": "tech_sme", "format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert _xlsx_rows(export)[1][2:] == (
        "科技型中小企业",
        "综合评分≥60分",
        "科技人员数：14 → 15（差 1）；研发费用：150.00 万元 → 180.00 万元（差 30.00 万元）；"
        "Ⅰ类知识产权数：0 → 1（差 1）；Ⅱ类知识产权数：2 → 3（差 1）",
    )


@pytest.mark.django_db
def test_near_misses_count_either_or_paths_as_one_and_never_list_unknowns(world, client_for):
    """A 高企 growing too slowly lacks one requirement of 瞪羚 (any of its three paths would do); a firm whose
    valuation is unknown is not one short of 独角兽 even when only its 高企 condition is false."""
    worked_example(world["a"], hte_certified=True)
    for year, revenue in ((2021, 2000), (2022, 2500), (2023, 2800)):
        worked_example(world["a"], year=year, revenue=Decimal(revenue), hte_certified=True)
    worked_example(world["b"], hightech_firm=False, private_equity_raised=True)
    run = services.evaluate_all(AS_OF)
    gazelle = result(run, world["a"], "gazelle")
    assert (gazelle.qualified, gazelle.failed) == ("false", "growth_path;young_large;decade_large")
    assert gazelle.short_of == "growth_path;young_large;decade_large"
    unicorn = result(run, world["b"], "unicorn")  # no 高企 certificate, valuation unknown
    assert (unicorn.qualified, unicorn.failed, unicorn.missing, unicorn.short_of) == (
        "false",
        "high_tech_certified",
        "",
        "",
    )
    client = client_for(world["users"]["bureau_staff"])
    near = reverse("tiers:near_misses")
    rows = list(client.get(near, {"tier": "gazelle"}).context["page"].object_list)
    assert [(r.enterprise.name, r.short_of_text()) for r in rows] == [
        (
            world["a"].name,
            "基期营业收入≥1000万元且近三年复合增长率≥20%、截止年正增长 或 "
            "成立至截止年不超过5年且营业收入超过5亿元、截止年正增长 或 "
            "成立至截止年不超过10年且营业收入超过10亿元、截止年正增长",
        )
    ]
    assert [(g["field"], g["required"]) for g in rows[0].near_gaps] == [("revenue", 3456.0)]
    assert list(client.get(near, {"tier": "unicorn"}).context["page"].object_list) == []
    page = client.get(reverse("tiers:enterprise", args=[world["a"].uscc])).content.decode()
    assert "差一项即可达标：基期营业收入≥1000万元且近三年复合增长率≥20%、截止年正增长 或 " in page


@pytest.mark.django_db
def test_tier_list_page_and_export_speak_chinese(world, evaluated, client_for):
    client = client_for(world["users"]["bureau_staff"])
    html = client.get(reverse("tiers:tier_list", args=["tech_sme"]), {"qualified": "false"}).content.decode()
    assert "综合评分≥60分" in html and "score_threshold" not in html
    export = client.get(reverse("tiers:tier_list", args=["tech_sme"]), {"qualified": "true", "format": "xlsx"})
    assert _xlsx_rows(export)[1][2:] == ("达标", "评分", 64, 64, 64, None, None, None)
    # the file names the evaluation it lists, and columns are wide enough to read
    assert "%E5%9F%BA%E5%87%86%E6%97%A520250630" in export["Content-Disposition"]  # 基准日20250630
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert sheet.title == "科技型中小企业名单_基准日20250630"
    assert sheet.column_dimensions["A"].width >= 10 and sheet.column_dimensions["B"].width >= 20


def _xlsx_rows(response) -> list[tuple]:
    import io

    import openpyxl

    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


@pytest.mark.django_db
def test_expiring_certificates_within_six_months(world, client_for):
    today = dt.date.today()
    Qualification.objects.create(
        enterprise=world["a"],
        kind="hte_certificate",
        title="高企证书",
        number="GR-soon",
        issued_on=today - dt.timedelta(days=900),
        expires_on=today + dt.timedelta(days=30),
    )
    Qualification.objects.create(
        enterprise=world["b"],
        kind="hte_certificate",
        title="高企证书",
        number="GR-later",
        issued_on=today - dt.timedelta(days=300),
        expires_on=today + dt.timedelta(days=400),
    )
    html = client_for(world["users"]["bureau_staff"]).get(reverse("tiers:expiring")).content.decode()
    assert "GR-soon" in html and "GR-later" not in html
    # The window is a dated parameter of the monitoring rule: a bureau admin's shorter one applies from its date.
    rule_services.add_parameter_version(
        user=world["users"]["bureau_admin"],
        kind="tier_monitoring",
        rule_id="default",
        parameter="expiry_warning_days",
        effective_from=today - dt.timedelta(days=1),
        value=29,
        source="本局通知",
    )
    html = client_for(world["users"]["bureau_staff"]).get(reverse("tiers:expiring")).content.decode()
    assert "GR-soon" not in html


@pytest.mark.django_db
def test_enterprise_tiers_section_and_flows(world, client_for):
    worked_example(world["a"], year=2023, tech_staff=9)  # 2024-06-30: fails on the 2023 figures
    worked_example(world["a"], year=2024)
    # b: a tech SME on its 2023 figures, then recognised as 高企 (certificate issued 2024-01-01): 小升高.
    worked_example(world["b"], year=2023)
    worked_example(world["b"], year=2024, hte_certified=True, hte_certified_on=dt.date(2024, 1, 1))
    services.evaluate_all(dt.date(2024, 6, 30))
    services.evaluate_all(AS_OF)
    client = client_for(world["users"]["enterprise_user"])
    html = client.get(reverse("tiers:enterprise", args=[world["a"].uscc])).content.decode()
    assert "科技型中小企业" in html and "达标" in html and "2024-06-30" in html
    assert "科技型中小企业（2022-05-01 版）" in html and "tech_sme@" not in html  # rule set by name
    hte = TierResult.objects.get(run__as_of=AS_OF, enterprise=world["a"], tier="high_tech")
    assert hte.score is None and f"{hte.score_min:g}–{hte.score_max:g}" in html and "含专家评分部分" in html
    assert client.get(reverse("tiers:enterprise", args=[world["b"].uscc])).status_code == 404
    staff = client_for(world["users"]["bureau_staff"])
    flows = staff.get(reverse("tiers:pipeline")).context["flows"]
    tech = next(r for r in flows["rows"] if r["label"] == "科技型中小企业")
    assert (tech["before"], tech["after"], tech["entered"], tech["left"]) == (1, 2, 1, 0)
    assert [(u["from"], u["to"], u["n"]) for u in flows["upgrades"][:4]] == [
        ("科技型中小企业", "高新技术企业", 1),
        ("创新型中小企业", "专精特新中小企业", 0),
        ("高新技术企业", "专精特新中小企业", 0),
        ("专精特新中小企业", "专精特新“小巨人”", 0),
    ]
    assert len(flows["upgrades"]) == 8
    export = staff.get(reverse("tiers:pipeline"), {"format": "xlsx"})
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["梯队数量", "梯队流动（与2024-06-30比）", "梯队升级（与2024-06-30比）"]
    counts = list(book["梯队数量"].iter_rows(values_only=True))
    assert counts[0] == ("梯队", "达标", "待定", "未达标") and counts[1] == ("科技型中小企业", 2, 0, 1)  # c too big
    flow = list(book["梯队流动（与2024-06-30比）"].iter_rows(values_only=True))
    assert flow[1] == ("科技型中小企业", 1, 2, 1, 0, 1)
    assert list(book["梯队升级（与2024-06-30比）"].iter_rows(values_only=True))[1] == (
        "科技型中小企业",
        "高新技术企业",
        1,
    )
    services.evaluate_all(AS_OF - dt.timedelta(days=7))  # a run a week earlier does not replace last year
    flows = staff.get(reverse("tiers:pipeline")).context["flows"]
    assert flows["previous"].as_of == dt.date(2024, 6, 30)
    # A baseline of more than a year (a bureau's version of the period) leaves this run without one.
    rule_services.add_parameter_version(
        user=world["users"]["bureau_admin"],
        kind="tier_monitoring",
        rule_id="default",
        parameter="flow_baseline_days",
        effective_from=dt.date(2025, 1, 1),
        value=366,
        source="本局通知",
    )
    assert staff.get(reverse("tiers:pipeline")).context["flows"] == []


@pytest.mark.django_db
def test_replay_reproduces_a_stored_result_and_notices_corrected_facts(world, evaluated, client_for):
    client = client_for(world["users"]["bureau_staff"])
    stored = result(evaluated, world["a"])
    response = client.get(reverse("tiers:replay", args=[stored.pk]))
    assert response.context["outcome"]["same"] is True and "复现一致" in response.content.decode()
    AnnualFigure.objects.filter(enterprise=world["a"], year=2024).update(tech_staff=14)
    outcome = client.get(reverse("tiers:replay", args=[stored.pk])).context["outcome"]
    assert outcome["same"] is False and outcome["then"]["score"] == 64.0 and outcome["now"]["score"] == 56.0
    # Not visible to an enterprise user of another firm, nor to a bank user.
    assert client_for(world["users"]["bank_user"]).get(reverse("tiers:replay", args=[stored.pk])).status_code == 403


@pytest.mark.django_db
def test_a_sparse_firm_keeps_its_whole_missing_list(world):
    """A firm that reported only revenue and R&D lacks dozens of fields: the stored list is not cut (PostgreSQL
    refused the run when it was a 500-character column)."""
    AnnualFigure.objects.filter(enterprise=world["c"]).delete()
    AnnualFigure.objects.create(enterprise=world["c"], year=2024, revenue=Decimal(800), rd_expense=Decimal(40))
    run = services.evaluate_all(AS_OF, user_id=world["users"]["bureau_staff"].pk)
    results = TierResult.objects.filter(run=run, enterprise=world["c"])
    assert len(max(results, key=lambda r: len(r.missing)).missing) > 500
    missing = {name for r in results for name in r.missing.split(";")}
    assert {"invention_patents", "total_assets@2022", "hte_certified_on", "tax_evasion@2022"} <= missing


def _two_runs(world):
    """A good run on AS_OF and a mistaken later one (the valley's firm a fails in it)."""
    worked_example(world["a"])
    good = services.evaluate_all(AS_OF)
    worked_example(world["a"], tech_staff=0)
    mistaken = services.evaluate_all(AS_OF + dt.timedelta(days=1))
    return good, mistaken


@pytest.mark.django_db
def test_an_admin_voids_a_mistaken_run_and_pages_fall_back_to_the_run_before(world, client_for):
    from kechuang.tiers import selectors

    good, mistaken = _two_runs(world)
    admin = world["users"]["bureau_admin"]
    assert selectors.latest_run() == mistaken
    client = client_for(admin)
    response = client.post(reverse("tiers:void_run", args=[mistaken.pk]), {"reason": "  基准日选错  "})
    assert response.status_code == 302
    mistaken.refresh_from_db()
    assert (mistaken.status, mistaken.voided_reason, mistaken.voided_by) == ("voided", "基准日选错", admin)
    assert mistaken.voided_at is not None and mistaken.results.count() == good.results.count()  # kept
    event = AuditEvent.objects.get(action="tier_run.void")
    assert (event.actor, event.object_id, event.changes) == (admin, str(mistaken.pk), {"status": ["done", "voided"]})
    assert "基准日选错" in event.note
    assert selectors.latest_run() == good and list(selectors.runs()) == [good]
    html = client.get(reverse("tiers:pipeline")).content.decode()
    assert 'data-tier="tech_sme">1<' in html and f"#{mistaken.pk}" in html and "基准日选错" in html
    # An old link to the voided run says so and shows the run before; its export is refused.
    old_link = client.get(reverse("tiers:pipeline") + f"?run={mistaken.pk}").content.decode()
    assert "已作废：基准日选错" in old_link and 'data-tier="tech_sme">1<' in old_link
    export = client.get(reverse("tiers:tier_list", args=["tech_sme"]) + f"?run={mistaken.pk}&format=xlsx")
    assert export.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in ROLES if r != "bureau_admin"])
def test_only_a_bureau_admin_may_void_a_run(role, world, client_for):
    _, mistaken = _two_runs(world)
    response = client_for(world["users"][role]).post(reverse("tiers:void_run", args=[mistaken.pk]), {"reason": "错"})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.void_run(user=world["users"][role], run_id=mistaken.pk, reason="错")
    mistaken.refresh_from_db()
    assert mistaken.status == "done" and not AuditEvent.objects.filter(action="tier_run.void").exists()


@pytest.mark.django_db
def test_voiding_needs_a_reason_and_a_finished_run(world, client_for):
    _, mistaken = _two_runs(world)
    admin = world["users"]["bureau_admin"]
    client = client_for(admin)
    response = client.post(reverse("tiers:void_run", args=[mistaken.pk]), {"reason": "   "}, follow=True)
    assert "请填写作废原因" in response.content.decode()
    with pytest.raises(ValidationError, match="作废原因不能超过 500 字"):
        services.void_run(user=admin, run_id=mistaken.pk, reason="长" * 501)
    mistaken.refresh_from_db()
    assert mistaken.status == "done" and not AuditEvent.objects.filter(action="tier_run.void").exists()
    services.void_run(user=admin, run_id=mistaken.pk, reason="基准日选错")
    with pytest.raises(ValidationError, match="状态为“已作废”，只能作废已完成的批次"):
        services.void_run(user=admin, run_id=mistaken.pk, reason="再次作废")
    with pytest.raises(ValidationError, match="评价批次 #99999 不存在"):
        services.void_run(user=admin, run_id=99999, reason="错")
    assert AuditEvent.objects.filter(action="tier_run.void").count() == 1
    assert client.get(reverse("tiers:void_run", args=[mistaken.pk])).status_code == 302  # GET changes nothing


@pytest.mark.django_db
def test_the_void_form_is_shown_to_admins_only(world, client_for):
    _two_runs(world)
    admin_html = client_for(world["users"]["bureau_admin"]).get(reverse("tiers:pipeline")).content.decode()
    assert 'data-testid="void-run"' in admin_html
    staff_html = client_for(world["users"]["bureau_staff"]).get(reverse("tiers:pipeline")).content.decode()
    assert 'data-testid="void-run"' not in staff_html


@pytest.mark.django_db
def test_tier_lists_filter_by_enterprise_and_exports_follow_the_filter(world, client_for):
    worked_example(world["a"])
    worked_example(world["c"])  # a (太原, 140105, in the valley) and c (泰州, 321202) both qualify
    worked_example(world["b"], tech_staff=14)  # b fails one condition
    services.evaluate_all(AS_OF)
    client = client_for(world["users"]["bureau_staff"])
    url = reverse("tiers:tier_list", args=["tech_sme"])

    def names(params):
        return [r.enterprise.name for r in client.get(url, params).context["page"].object_list]

    assert names({}) == ["太原甲科技有限公司", "泰州丙医药有限公司"]
    assert names({"q": "泰州"}) == ["泰州丙医药有限公司"]
    assert names({"q": world["a"].uscc}) == ["太原甲科技有限公司"]  # by USCC
    assert names({"region": "140100"}) == ["太原甲科技有限公司"]  # a city takes its counties
    assert names({"industry": "27"}) == ["泰州丙医药有限公司"]
    assert names({"carrier": world["valley"].pk}) == ["太原甲科技有限公司"]
    assert names({"q": "不存在的企业"}) == []
    html = client.get(url, {"q": "泰州"}).content.decode()
    assert "共 1 家" in html and 'href="?q=%E6%B3%B0%E5%B7%9E&format=xlsx"' in html
    export = client.get(url, {"q": "泰州", "format": "xlsx"})
    assert [row[0] for row in _xlsx_rows(export)[1:]] == ["泰州丙医药有限公司"]
    near = reverse("tiers:near_misses")
    rows = client.get(near, {"tier": "tech_sme", "region": "140106"}).context["page"].object_list
    assert [r.enterprise.name for r in rows] == ["太原乙材料有限公司"]
    assert list(client.get(near, {"tier": "tech_sme", "region": "140105"}).context["page"].object_list) == []
    assert _xlsx_rows(client.get(near, {"tier": "tech_sme", "region": "140105", "format": "xlsx"}))[1:] == []
    assert len(_xlsx_rows(client.get(near, {"tier": "tech_sme", "format": "xlsx"}))) == 2  # header + b


@pytest.mark.django_db
def test_date_pickers_show_their_dates(world, client_for):
    """A date input takes ISO dates only: the localised 2026/12/03 showed an empty picker (and an edit form
    showing a stored date would have saved it blank)."""
    from kechuang.enterprises.forms import QualificationForm

    html = client_for(world["users"]["bureau_staff"]).get(reverse("tiers:pipeline")).content.decode()
    assert f'type="date" name="as_of" value="{dt.date.today():%Y-%m-%d}"' in html
    certificate = Qualification(
        enterprise=world["a"],
        kind=Qualification.Kind.HTE_CERTIFICATE,
        issued_on=dt.date(2024, 3, 5),
        expires_on=dt.date(2027, 3, 4),
    )
    form = str(QualificationForm(instance=certificate))
    assert 'value="2024-03-05"' in form and 'value="2027-03-04"' in form
    # Dates shown without an explicit format read the same way (not zh-hans's 2024年3月5日).
    from django.template import Context, Template
    from django.utils import timezone

    at = timezone.make_aware(dt.datetime(2024, 3, 5, 9, 30))
    assert Template("{{ d }}｜{{ d|date }}｜{{ t }}").render(Context({"d": dt.date(2024, 3, 5), "t": at})) == (
        "2024-03-05｜2024-03-05｜2024-03-05 09:30"
    )


@pytest.mark.django_db
def test_an_undecided_high_tech_says_the_experts_decide(world, client_for):
    """Every objective 高企 condition met: the innovation score's range straddles 71, so the firm is 待定 with
    no data missing; the list and its export show the range and say why."""
    history = {2022: (3000, 2000, 1000), 2023: (4000, 3000, 1500), 2024: (5000, 4000, 2000)}
    for year, (revenue, assets, liabilities) in history.items():
        worked_example(
            world["a"],
            year=year,
            revenue=Decimal(revenue),
            total_assets=Decimal(assets),
            total_liabilities=Decimal(liabilities),
            rd_expense=Decimal(250),
            rd_expense_domestic=Decimal(200),
            conversions=3,
            staff_total=100,
            tech_staff=20,
            hightech_revenue=Decimal(3500),
            invention_patents=1,
            utility_models=0,
        )
    type(world["a"]).objects.filter(pk=world["a"].pk).update(
        hightech_field="electronic_information", registered_on=dt.date(2015, 1, 1)
    )
    run = services.evaluate_all(AS_OF)
    r = result(run, world["a"], "high_tech")
    assert (r.qualified, r.missing, r.score_text()) == ("unknown", "", "37–86")
    assert r.pending_text() == "创新能力评价≥71分（得分 37–86，待专家评分）"
    client = client_for(world["users"]["bureau_staff"])
    url = reverse("tiers:tier_list", args=["high_tech"])
    html = client.get(url, {"qualified": "unknown", "run": run.pk}).content.decode()
    assert "待定原因" in html and "37–86" in html and "创新能力评价≥71分（得分 37–86，待专家评分）" in html
    rows = _xlsx_rows(client.get(url, {"qualified": "unknown", "run": run.pk, "format": "xlsx"}))
    row = next(row for row in rows if row[1] == world["a"].uscc)
    assert row[2:] == ("待定", None, None, 37, 86, None, None, "创新能力评价≥71分（得分 37–86，待专家评分）")


def _band_post(rows: list[tuple], **extra) -> dict:
    """The band editor's POST: rows of (kind, key, bound, lo, hi)."""
    data = {
        "parameter": "tech_sme:tech_staff_bands",
        "effective_from": "2025-01-01",
        "source": "测试文件",
        "band-rows": str(len(rows)),
        **extra,
    }
    for i, (kind, key, bound, lo, hi) in enumerate(rows):
        data.update(
            {
                f"band-{i}-kind": kind,
                f"band-{i}-key": key,
                f"band-{i}-bound": bound,
                f"band-{i}-lo": lo,
                f"band-{i}-hi": hi,
            }
        )
    return data


@pytest.mark.django_db
def test_a_band_table_is_edited_as_rows(world, client_for):
    """调整 on a band table shows its rows (what is compared, ≥ bound, points) and one row to add; the rows
    posted become the new version's value; a cleared row is removed."""
    admin = client_for(world["users"]["bureau_admin"])
    page = admin.get(reverse("tiers:parameters"), {"parameter": "tech_sme:tech_staff_bands"})
    editor = page.context["band_editor"]
    assert editor["tested"] == "科技人员占比（比例，填小数，如 30% 填 0.3）"
    assert [(r["kind"], r.get("bound"), r["lo"]) for r in editor["rows"]] == [
        ("bound", "0.3", "20"),
        ("bound", "0.25", "16"),
        ("bound", "0.2", "12"),
        ("bound", "0.15", "8"),
        ("bound", "0.1", "4"),
        ("bound", "", ""),
        ("fallback", None, "0"),
    ]
    html = page.content.decode()
    assert 'data-testid="band-editor"' in html and 'name="band-rows" value="7"' in html
    assert 'name="value"' not in html  # no JSON to type
    fixed = admin.get(reverse("tiers:parameters"), {"parameter": "high_tech:ip_standard_bands"})
    assert [(r["kind"], r.get("when_text"), r["lo"]) for r in fixed.context["band_editor"]["rows"]] == [
        ("when", "参与编制国家标准、行业标准、检测方法或技术规范", "1"),
        ("fallback", None, "0"),
    ]  # no row to add
    rows = [
        ("bound", "min", "0.35", "20", ""),
        ("bound", "min", "0.25", "16", ""),
        ("bound", "min", "", "", ""),
        ("bound", "min", "0.15", "8", ""),
        ("bound", "min", "0.1", "4", ""),
        ("bound", "above", "0.05", "1", "2"),
        ("fallback", "", "", "0", ""),
    ]
    response = admin.post(reverse("tiers:parameters"), _band_post(rows))
    assert response.status_code == 302
    assert RuleVersion.objects.filter(kind="tiers").get().value == [
        {"min": 0.35, "points": 20},
        {"min": 0.25, "points": 16},
        {"min": 0.15, "points": 8},
        {"min": 0.1, "points": 4},
        {"above": 0.05, "points": [1, 2]},
        {"points": 0},
    ]
    run = TierRun(
        as_of=dt.date(2025, 6, 30),
        parameter_versions=[
            {
                "ruleset": "tech_sme",
                "parameter": "tech_staff_bands",
                "effective_from": "2025-01-01",
                "value": RuleVersion.objects.filter(kind="tiers").get().value,
            }
        ],
    )
    assert run.versions_in_force() == [  # in words on the pipeline page, not JSON
        "科技型中小企业·科技人员占比分档 = 〔≥0.35：20分；≥0.25：16分；≥0.15：8分；≥0.1：4分；>0.05：1–2分；其他：0分〕"
        "（自 2025-01-01）"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rows, message",
    [
        ([("bound", "min", "三成", "20", ""), ("fallback", "", "", "0", "")], "第 1 档的界限应为数字，现为“三成”"),
        ([("bound", "min", "0.3", "二十", ""), ("fallback", "", "", "0", "")], "第 1 档的分值应为数字"),
        ([("bound", "min", "1e400", "20", ""), ("fallback", "", "", "0", "")], "第 1 档的界限应为数字"),
        ([("bound", "min", "0.3", "-5", ""), ("fallback", "", "", "0", "")], "第 1 档的分值不能为负数"),
        ([("bound", "min", "0.3", "8", "5"), ("fallback", "", "", "0", "")], "第 1 档的最高分值不能低于最低分值"),
        # a cleared row is not counted: the wrong row is the 2nd shown again
        (
            [
                ("bound", "min", "", "", ""),
                ("bound", "min", "0.3", "20", ""),
                ("bound", "min", "x", "1", ""),
                ("fallback", "", "", "0", ""),
            ],
            "第 2 档的界限应为数字，现为“x”",
        ),
        (
            [("bound", "min", "0.1", "20", ""), ("bound", "min", "0.3", "10", ""), ("fallback", "", "", "0", "")],
            "第 2 档永远用不到",
        ),
    ],
)
def test_band_rows_in_error_are_refused_and_shown_again(world, client_for, rows, message):
    response = client_for(world["users"]["bureau_admin"]).post(reverse("tiers:parameters"), _band_post(rows))
    assert response.status_code == 200 and message in response.content.decode()
    assert 'data-testid="band-editor"' in response.content.decode()  # still the rows, not JSON
    shown = response.context["band_editor"]["rows"]  # as typed, cleared rows gone: nothing typed is lost
    typed = [(kind, bound, lo) for kind, _key, bound, lo, _hi in rows if (kind, bound, lo) != ("bound", "", "")]
    assert [(r["kind"], r.get("bound", ""), r["lo"]) for r in shown if r.get("bound") or r["lo"]] == typed
    assert not RuleVersion.objects.filter(kind="tiers").exists() and not AuditEvent.objects.exists()


def test_gap_sizes_of_a_run_match_the_one_result_formula():
    """The vectorised gap size stored with a run equals the per-result formula the migration backfills with."""
    import json

    import polars as pl

    from kechuang.engine.tiers import evaluate, for_file
    from kechuang.tiers.near_misses import gap_size, gap_sizes
    from tests.engine.test_tiers_evaluate import AS_OF as ENGINE_AS_OF
    from tests.engine.test_tiers_evaluate import WORKED

    rows = [
        WORKED,
        {**WORKED, "uscc": "B", "tech_staff": 14.0},
        {**WORKED, "uscc": "C", "rd_expense": 20.0},
        {**WORKED, "uscc": "D", "staff_total": None},
    ]
    results = evaluate(pl.DataFrame(rows, strict=False), ENGINE_AS_OF)
    sizes = gap_sizes(results).to_list()
    files = for_file(results)
    expected = [gap_size(s, json.loads(g)) for s, g in zip(files["short_of"], files["gaps"], strict=True)]
    assert sizes == [None if e is None else pytest.approx(e) for e in expected]
    assert sum(e is not None for e in expected) >= 2  # near misses with gaps exist among these


def test_every_bound_band_table_names_what_it_compares():
    """The band editor says what each bound is compared with, wherever the score spec names the table."""
    from kechuang.engine.tiers.model import all_rulesets
    from kechuang.tiers import bands

    unnamed = [
        (r.id, name)
        for r in all_rulesets()
        for name, parameter in r.parameters.items()
        if bands.is_band_table(parameter.versions[-1].value)
        and any(k in row for row in parameter.versions[-1].value for k in bands.OPS)
        and not bands.tested_value(r, name)
    ]
    assert unnamed == []
    specialized = next(r for r in all_rulesets() if r.id == "specialized_sme")
    assert bands.tested_value(specialized, "debt_bands") == "资产负债率（比例，填小数，如 30% 填 0.3）"


@pytest.mark.django_db
def test_near_misses_without_a_gap_sort_last_and_can_be_left_out(world, client_for):
    """A firm blocked only by a listing on the dishonest list is one requirement short, but no single change of
    a figure passes it: it sorts after the firms with a gap, and 只看单项改变即可达标 leaves it out."""
    worked_example(world["a"], dishonest_listed=True)
    worked_example(world["b"], tech_staff=14)
    run = services.evaluate_all(AS_OF)
    assert (result(run, world["a"]).short_of, result(run, world["a"]).gap_size) == ("compliance", None)
    client = client_for(world["users"]["bureau_staff"])
    near = reverse("tiers:near_misses")
    everyone = client.get(near, {"tier": "tech_sme"}).context["page"].object_list
    assert [r.enterprise for r in everyone] == [world["b"], world["a"]]
    reachable = client.get(near, {"tier": "tech_sme", "reachable": "1"})
    assert [r.enterprise for r in reachable.context["page"].object_list] == [world["b"]]
    assert 'name="reachable" value="1" checked' in reachable.content.decode()
