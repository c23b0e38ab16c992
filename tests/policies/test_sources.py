"""Every value a policy reads can be supplied: the firm enters it with its yearly figures (the figures form and
the import template), or the platform reads it from the record where it lives. 我的政策 asks the firm only for
the first kind, and a firm whose valley residency is on record is never asked for it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from kechuang.engine import facts
from kechuang.engine.policies import load_policies
from kechuang.engine.policies.evaluate import read_inputs
from kechuang.enterprises.forms import FigureForm
from kechuang.enterprises.models import AnnualFigure, FigureSubmission
from kechuang.enterprises.services import review_submission
from kechuang.policies import services, sources
from kechuang.policies.models import Entitlement
from tests.policies.conftest import AS_OF


def template_headers(client) -> set[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(reverse("enterprises:import_template")).content)).active
    return {c.value for c in sheet[1]}


@pytest.mark.django_db
def test_every_policy_input_is_entered_by_the_firm_or_read_from_a_record(world, client_for):
    headers = template_headers(client_for(world["users"]["bureau_staff"]))
    form = FigureForm()
    seen = set()
    for policy in load_policies().values():
        for data in policy.versions:
            for name in read_inputs(data):
                seen.add(name)
                if sources.platform_source(name) is not None:
                    continue
                assert sources.firm_enters(name), f"{policy.id}: nobody can supply {name}"
                assert name in form.fields and form.fields[name].label == facts.header_label(facts.BY_NAME[name])
                assert facts.header_label(facts.BY_NAME[name]) in headers, name
    # the two a firm pays and claims a share of are its to declare; residency and loans are on record
    assert {"loan_interest_paid", "rent_paid"} <= {n for n in seen if sources.firm_enters(n)}
    assert str(sources.platform_source("valley_resident")) == "载体入驻登记"
    assert str(sources.platform_source("guarantee_fee_paid")) == "金融服务的贷款记录"


def test_an_input_nobody_supplies_is_caught():
    assert sources.platform_source("office_area") is None and not sources.firm_enters("office_area")


@pytest.mark.django_db
def test_declared_rent_and_loan_interest_are_entered_confirmed_and_used(pworld, client_for):
    a = pworld["a"]
    a.registered_on = dt.date(2023, 1, 1)  # a start-up: rent_refund asks for ≤ 3 years
    a.save()
    client = client_for(pworld["users"]["enterprise_user"])
    page = client.get(reverse("enterprises:figure_new", args=[a.uscc])).content.decode()
    assert "当年实际缴纳的房租" in page and "当年实际支付的贷款利息" in page
    before = set(FigureSubmission.objects.values_list("pk", flat=True))
    bad = client.post(reverse("enterprises:figure_new", args=[a.uscc]), {"year": "2025", "rent_paid": "很多"})
    assert bad.status_code == 200 and set(FigureSubmission.objects.values_list("pk", flat=True)) == before
    assert "当年实际缴纳的房租" in bad.content.decode() and "很多" in bad.content.decode()
    client.post(
        reverse("enterprises:figure_new", args=[a.uscc]),
        {"year": "2025", "rent_paid": "40", "loan_interest_paid": "12.5", "hte_certified": "true"},
    )
    submission = FigureSubmission.objects.exclude(pk__in=before).get()
    review_submission(submission, actor=pworld["users"]["bureau_staff"], approve=True)
    figure = AnnualFigure.objects.get(enterprise=a, year=2025)
    assert (figure.rent_paid, figure.loan_interest_paid) == (Decimal("40"), Decimal("12.5"))
    services.run_eligibility("rent_refund", AS_OF)
    services.run_eligibility("loan_interest_subsidy", AS_OF)
    rent = Entitlement.objects.get(policy__code="rent_refund", enterprise=a)
    loan = Entitlement.objects.get(policy__code="loan_interest_subsidy", enterprise=a)
    assert (rent.decided_amount, rent.facts["rent_paid"]) == (Decimal("20"), 40.0)  # 50 % of 40万
    assert (loan.decided_amount, loan.facts["loan_interest_paid"]) == (Decimal("6.25"), 12.5)


@pytest.mark.django_db
def test_a_resident_firm_is_not_asked_for_its_residency(pworld, client_for):
    # a has no 2025 figures: procurement_subsidy (facts of the payout year) cannot know its sales, but the
    # carriers registry knows it is resident in the valley
    services.run_eligibility("procurement_subsidy", AS_OF)
    html = client_for(pworld["users"]["enterprise_user"]).get(reverse("policies:mine")).content.decode()
    assert "请在 2025 年度数据中补充：当年预约采购产品成交额" in html
    assert "入驻晋创谷等创新谷区" not in html
    assert reverse("enterprises:figure_new", args=[pworld["a"].uscc]) in html


@pytest.mark.django_db
def test_a_certificate_on_file_fills_the_empty_hte_facts(pworld):
    from kechuang.enterprises.models import Qualification

    # c's 2024 figures say 高企 but not since when: hte_reward (first recognition in 2024) could not tell
    Qualification.objects.create(
        enterprise=pworld["c"],
        kind="hte_certificate",
        title="高新技术企业证书",
        issued_on=dt.date(2024, 3, 1),
        expires_on=dt.date(2027, 3, 1),
    )
    run = services.run_eligibility("hte_reward", AS_OF)
    e = Entitlement.objects.get(policy__code="hte_reward")
    assert (run.eligible, run.unknown, e.enterprise_id) == (1, 2, pworld["c"].pk)
    assert e.facts["hte_certified_on"] == "2024-03-01"
