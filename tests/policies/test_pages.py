"""Pages: simulation (with a side-by-side comparison), the eligibility job, the entitlement list with a
constant query count, 我的政策, the version form's Chinese errors, empty states."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kechuang.core import jobs
from kechuang.core.models import AuditEvent, Job
from kechuang.enterprises.models import AnnualFigure, Enterprise
from kechuang.policies import services
from kechuang.policies.models import Entitlement, SimulationRun
from kechuang.rules.models import RuleVersion
from tests.conftest import make_uscc
from tests.policies.conftest import AS_OF, editor_post, policy, versions


@pytest.mark.django_db
def test_simulation_page_and_comparison(pworld, client_for):
    admin = pworld["users"]["bureau_admin"]
    draft = services.add_version(
        user=admin,
        policy=policy("rd_subsidy"),
        draft=True,
        effective_from=AS_OF,
        source="草案",
        note="门槛降到 200 万、金额加倍",
        changes={
            "benefit": {"kind": "fixed", "amount": 20},
            "eligibility": [{"id": "rd_min", "label": "研发费用不低于200万元", "when": "rd_expense >= 200"}],
        },
    )
    current = versions("rd_subsidy").get(status="published")
    client = client_for(pworld["users"]["bureau_staff"])
    response = client.post(
        reverse("policies:simulate", args=["rd_subsidy"]),
        {"version": draft.pk, "compare_to": current.pk, "as_of": "2025-06-30"},
    )
    sim = SimulationRun.objects.get()
    assert response.url == reverse("policies:simulation", args=[sim.pk])
    r = sim.result
    assert (r["summary"]["eligible"], r["summary"]["demand"], r["summary"]["budget"]) == (1, "20.0000", "3000.0000")
    assert r["comparison"]["counts"] == {"gained": 0, "lost": 1, "amount_changed": 1, "same": 1}
    assert [m["condition"] for m in r["near_misses"]] == ["rd_min", "rd_min"]
    region = {d["label"]: d["eligible"] for d in r["distributions"]["region"]}
    assert region == {"迎泽区": 1, "小店区": 0, "海陵区": 0}
    assert {d["label"]: d["firms"] for d in r["distributions"]["carrier"]} == {"晋创谷·太原": 2, "别的孵化器": 1}
    page = client.get(response.url)
    html = page.content.decode()
    assert "版本对比" in html and "不再符合" in html and "迎泽区" in html
    assert "研发费用：150.00 万元 → 200.00 万元（差 50.00 万元）" in html  # gaps read with their unit
    charts = json.loads(page.context["charts_json"])
    assert charts["region"] == {
        "labels": ["迎泽区", "小店区", "海陵区"],
        "eligible": [1, 0, 0],
        "amount": [20.0, 0.0, 0.0],
    }
    assert "distribution-chart" in html and "echarts.min.js" in html
    xlsx = client.get(response.url + "?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert [(r[2], r[3].split("：")[0]) for r in rows[1:]] == [("研发费用不低于200万元", "研发费用")] * 2


@pytest.mark.django_db
def test_entitlement_page_labels_the_facts_snapshot(pworld, client_for):
    services.run_eligibility("rd_subsidy", AS_OF)
    e = Entitlement.objects.get(enterprise=pworld["a"], policy__code="rd_subsidy")
    html = client_for(pworld["users"]["bureau_staff"]).get(reverse("policies:entitlement", args=[e.pk])).content
    html = html.decode()
    # Chinese labels and the pages' formats, never field codes (issue 21, 9)
    assert "<tr><td>研发费用</td><td>150.00 万元</td></tr>" in html and "rd_expense" not in html
    assert "<tr><td>高新技术企业资格</td><td>未知</td></tr>" in html and "tier.high_tech" not in html
    assert "<tr><td>此前已兑现金额（元）</td><td>0</td></tr>" in html and "paid_before" not in html
    assert "<tr><td>持有效高新技术企业证书</td><td>是</td></tr>" in html


@pytest.mark.django_db
def test_eligibility_runs_as_a_job(pworld, client_for):
    client = client_for(pworld["users"]["bureau_staff"])
    response = client.post(reverse("policies:run_eligibility", args=["rd_subsidy"]), {"as_of": "2025-06-30"})
    job = Job.objects.get()
    assert response.url == reverse("core:job", args=[job.pk])
    jobs.execute(
        str(job.pk),
        "kechuang.policies.services.eligibility_job",
        {"policy_id": policy("rd_subsidy").pk, "as_of": "2025-06-30", "user_id": pworld["users"]["bureau_staff"].pk},
    )
    job.refresh_from_db()
    assert (job.status, job.message) == ("done", "新增兑现资格 2 项")
    assert Entitlement.objects.count() == 2


@pytest.mark.django_db
def test_entitlement_list_constant_queries_and_pagination(pworld, client_for):
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                uscc=make_uscc(2000 + i), name=f"批量企业{i:03d}", region_id="140105", registered_on=dt.date(2020, 1, 1)
            )
            for i in range(110)
        ]
    )
    batch = Enterprise.objects.filter(name__startswith="批量企业")
    AnnualFigure.objects.bulk_create(
        [AnnualFigure(enterprise=e, year=2024, rd_expense=Decimal("100"), hte_certified=True) for e in batch]
    )
    services.run_eligibility("rd_subsidy", AS_OF)
    assert Entitlement.objects.count() == 112
    client = client_for(pworld["users"]["bureau_staff"])
    url = reverse("policies:entitlements")
    client.get(url)
    counts = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"page": page})
        counts.append(len(ctx.captured_queries))
        assert response.status_code == 200
    assert [len(client.get(url, {"page": p}).context["page"].object_list) for p in (1, 2, 3)] == [50, 50, 12]
    assert len(set(counts)) == 1, counts
    operator = client_for(pworld["users"]["park_operator"]).get(url).context["page"].paginator.count
    assert operator == 2  # only the valley's firms a and b


@pytest.mark.django_db
def test_portal_shows_own_firm_only_with_near_misses(pworld, client_for):
    AnnualFigure.objects.filter(enterprise__in=[pworld["a"], pworld["b"]], year=2024).update(
        hte_certified_on=dt.date(2023, 5, 1)
    )
    services.run_eligibility("rd_subsidy", AS_OF)
    services.run_eligibility("hte_reward", AS_OF)
    client = client_for(pworld["users"]["enterprise_user"])
    html = client.get(reverse("policies:mine")).content.decode()
    assert "企业研发费用分档补助" in html and "5.00 万元" in html and "10.00 万元" not in html  # b's 10万 is not shown
    assert "高新技术企业首次认定奖励" in html and "差一项条件" in html  # the near miss with what to do
    assert "未满足：证书于上一年度颁发（首次认定当年）" in html and "certified_that_year" not in html
    assert "尚未登记银行账户" in html
    e = Entitlement.objects.get(enterprise=pworld["a"], policy__code="rd_subsidy")
    client.post(reverse("policies:confirm", args=[e.pk]))
    e.refresh_from_db()
    assert e.status == "confirmed" and e.confirmed_by == pworld["users"]["enterprise_user"]
    assert "已获得（待兑现）" in client.get(reverse("policies:mine")).content.decode()


@pytest.mark.django_db
def test_version_form_shows_chinese_error(pworld, client_for):
    client = client_for(pworld["users"]["bureau_admin"])
    url = reverse("policies:version_add", args=["startup_fund"])
    page = client.get(url).content.decode()
    assert 'name="max" value="100"' in page and "benefit:" not in page  # prefilled inputs, never YAML
    current = versions("startup_fund").get().value
    response = client.post(
        url, {"effective_from": "2026-01-01", "source": "文件", "note": "改", **editor_post(current, max="20")}
    )
    assert response.status_code == 200
    assert "<li>兑现标准·最高金额：不能小于最低金额</li>" in response.content.decode()
    assert 'name="max" value="20"' in response.content.decode()  # shown again as typed


@pytest.mark.django_db
def test_version_form_names_a_bad_condition_in_chinese(pworld, client_for):
    """A condition the engine refuses is named as the rule-data layer names fields (申报条件第 1 项), never by its
    key path (eligibility[0]). A condition written in a rule file is kept as its text: here one that reads a
    field no table has."""
    client = client_for(pworld["users"]["bureau_admin"])
    url = reverse("policies:version_add", args=["startup_fund"])
    current = versions("startup_fund").get().value
    post = editor_post(current, **{"cond-0-kept": "1", "cond-0-when": "revenu >= 5"})
    response = client.post(url, {"effective_from": "2026-01-01", "source": "文件", "note": "改", **post})
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "<li>申报条件第 1 项：条件表达式无效：条件“revenu >= 5”：未知字段“revenu”" in body
    assert "eligibility" not in body


@pytest.mark.django_db
def test_empty_states(world, client_for, ref):
    client = client_for(world["users"]["bureau_staff"])
    assert "政策库为空" in client.get(reverse("policies:list")).content.decode()
    assert "没有符合条件的兑现资格" in client.get(reverse("policies:entitlements")).content.decode()
    assert "尚无兑现批次" in client.get(reverse("policies:batches")).content.decode()
    assert "追回台账为空" in client.get(reverse("policies:clawbacks")).content.decode()
    html = client_for(world["users"]["enterprise_user"]).get(reverse("policies:mine")).content.decode()
    assert "没有待确认的政策" in html


@pytest.mark.django_db
def test_publishing_serves_policy_versions_only(pworld, client_for):
    """The policies' publish page takes a policy's draft, never another kind's row of the one version store."""
    other = RuleVersion.objects.create(
        kind="points_scheme", rule_id="taiyuan", effective_from=AS_OF, value={}, status="draft", source="测试"
    )
    client = client_for(pworld["users"]["bureau_admin"])
    events = AuditEvent.objects.count()
    response = client.post(reverse("policies:version_publish", args=[other.pk]))
    assert response.status_code == 404
    assert RuleVersion.objects.get(pk=other.pk).status == "draft" and AuditEvent.objects.count() == events
