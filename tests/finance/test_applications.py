"""Applications: the promise in Chinese working days (National Day and its 调休 weekends), the bank's steps checked
by the engine, late cases flagged, the loan record following the application, nothing written on a refusal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.core.models import AuditEvent
from kechuang.engine.finance.workflow import Step
from kechuang.finance import selectors, services
from kechuang.finance.models import Application, ApplicationEvent, Consent, Loan, PoolEntry, RiskPool
from tests.finance.conftest import TODAY

pytestmark = pytest.mark.django_db
D = dt.date


def step(fworld, application, today, **kw):
    return services.advance(user=fworld["users"]["bank_user"], application=application, step=Step(**kw), today=today)


def test_the_promise_runs_over_national_day_and_its_working_saturday(application):
    # 5 working days from 2026-09-30: 10-08, 10-09, 10-10 (Saturday, 调休 working day), 10-12, 10-13.
    assert (application.submitted_on, application.decision_days, application.deadline_on) == (TODAY, 5, D(2026, 10, 13))
    assert "国务院办公厅公布的节假日安排（含调休上班日）" in application.deadline_basis
    assert application.status == "received" and application.rule_key == "points_loan_taiyuan@2024-01-01"
    assert application.terms["max_amount"] == 1000 and application.terms["rate_spread_bp"] == 80
    consent = application.consent
    assert (consent.bank.name, consent.scopes, consent.starts_on, consent.ends_on) == (
        "晋商银行",
        ["points", "diagnosis", "tiers", "figures"],
        TODAY,
        D(2027, 3, 30),
    )
    assert AuditEvent.objects.filter(action="finance.application.submit").count() == 1
    assert list(application.events.values_list("to_status", "on")) == [("received", TODAY)]


def test_decided_on_the_last_promised_day_is_on_time_the_next_working_day_is_late(fworld, application):
    assert not selectors.late(Application.objects.all(), D(2026, 10, 13)).exists()
    assert selectors.late(Application.objects.all(), D(2026, 10, 14)).get() == application  # undecided, past it
    step(fworld, application, D(2026, 10, 14), target="approved", amount=300, rate=3.8, on=D(2026, 10, 14))
    assert selectors.late(Application.objects.all(), D(2026, 10, 20)).get() == application  # decided late
    Application.objects.filter(pk=application.pk).update(decided_on=D(2026, 10, 13))
    assert not selectors.late(Application.objects.all(), D(2026, 10, 20)).exists()


def test_the_bank_works_it_to_a_loan_and_a_default_files_the_pools_claim(fworld, application):
    pool = RiskPool.objects.create(
        name="风险补偿资金池", rule_id="risk_pool_taiyuan", manager="科技局", opened_on=D(2024, 1, 1)
    )
    services.contribute(user=fworld["users"]["bureau_admin"], pool=pool, amount=3000, on=D(2024, 1, 1), source="市财政")
    step(fworld, application, D(2026, 10, 9), target="due_diligence")
    step(fworld, application, D(2026, 10, 12), target="approved", amount=300, rate=3.75)
    step(fworld, application, D(2026, 10, 14), target="contract")
    app = step(
        fworld, application, D(2026, 10, 15), target="disbursed", amount=300, rate=3.75, maturity_on=D(2027, 10, 15)
    )
    loan = Loan.objects.get(application=app)
    assert (loan.amount, loan.rate, loan.disbursed_on, loan.maturity_on, loan.status, loan.source) == (
        Decimal("300.0000"),
        Decimal("3.7500"),
        D(2026, 10, 15),
        D(2027, 10, 15),
        "disbursed",
        "platform",
    )
    assert (app.decided_on, app.approved_amount) == (D(2026, 10, 12), Decimal("300.0000"))
    step(fworld, app, D(2026, 12, 1), target="overdue")
    step(fworld, app, D(2026, 12, 4), target="defaulted", defaulted_principal=250)
    loan.refresh_from_db()
    assert (loan.status, loan.defaulted_on, loan.defaulted_principal) == ("defaulted", D(2026, 12, 4), Decimal("250"))
    claim = PoolEntry.objects.get(kind="claim")
    assert claim.amount == Decimal("150.0000")  # 60% of 250
    assert claim.explanation == "违约本金 250.00 万元 × 补偿比例 60% = 150.00 万元。补偿 150.00 万元。"
    assert [e.to_status for e in app.events.all()] == [
        "received",
        "due_diligence",
        "approved",
        "contract",
        "disbursed",
        "overdue",
        "defaulted",
    ]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"target": "approved", "amount": 300, "rate": 3.81}, "年利率 3.81% 高于本产品利率上限 3.80%"),
        ({"target": "approved", "amount": 1000.01, "rate": 3.5}, "金额 1000.01 万元超过本产品单户上限 1000.00 万元"),
        ({"target": "declined"}, "不予批准须填写原因"),
        ({"target": "disbursed", "amount": 300, "rate": 3.5}, "当前状态为“已受理”，银行不能执行“放款”"),
        ({"target": "approved", "amount": 300, "rate": 3.5, "on": D(2026, 9, 29)}, "早于申请受理日"),
    ],
)
def test_a_step_the_engine_refuses_says_why_and_changes_nothing(fworld, application, kw, message):
    with pytest.raises(ValidationError, match=message):
        step(fworld, application, D(2026, 10, 12), **kw)
    application.refresh_from_db()
    assert application.status == "received" and application.decided_on is None
    assert application.events.count() == 1 and not Loan.objects.exists()


def test_the_rate_ceiling_follows_the_lpr_of_the_decision_day(fworld, application):
    # LPR 1y 3.00% since 2025-05-20, spread 80bp fixed at submission → 3.80%.
    assert services.rate_ceiling(application, D(2026, 10, 12)) == 3.8
    assert services.rate_ceiling(application, D(2024, 8, 1)) == 4.15  # 3.35% then


def test_only_the_addressed_bank_works_it_and_the_firm_may_withdraw(fworld, application):
    for user in (fworld["bank_other"], fworld["users"]["park_operator"], fworld["users"]["bureau_admin"]):
        with pytest.raises(PermissionDenied):
            services.advance(user=user, application=application, step=Step(target="due_diligence"), today=TODAY)
    with pytest.raises(PermissionDenied, match="无权办理该申请"):  # a firm only withdraws
        services.advance(
            user=fworld["users"]["enterprise_user"],
            application=application,
            step=Step(target="approved", amount=1, rate=1),
            today=TODAY,
        )
    app = services.advance(
        user=fworld["users"]["enterprise_user"],
        application=application,
        step=Step(target="withdrawn", reason="已获其他融资"),
        today=TODAY,
    )
    assert (app.status, app.decision_reason) == ("withdrawn", "已获其他融资")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"amount": 1200}, "申请金额 1200.00 万元超过本产品单户上限 1000.00 万元"),
        ({"amount": 0}, "申请金额应大于 0"),
        ({"term_months": 0}, "贷款期限应为 1–360 个月"),
        ({"purpose": " "}, "请填写资金用途"),
        ({"scopes": []}, "请至少选择一项授权查看的数据"),
        ({"months": 24}, "授权期限不能超过 12 个月"),
    ],
)
def test_a_refused_application_writes_nothing(fworld, kw, message):
    args = {"amount": 300, "term_months": 12, "purpose": "采购设备", "scopes": ["points"], "months": 6, **kw}
    with pytest.raises(ValidationError, match=message):
        services.submit_application(
            user=fworld["users"]["enterprise_user"],
            enterprise=fworld["a"],
            product=fworld["points_loan"],
            today=TODAY,
            **args,
        )
    assert not Application.objects.exists() and not Consent.objects.exists()
    assert not ApplicationEvent.objects.exists()


def test_one_open_application_per_product(fworld, application):
    with pytest.raises(ValidationError, match="该产品已有一笔在办的申请"):
        services.submit_application(
            user=fworld["users"]["enterprise_user"],
            enterprise=fworld["a"],
            product=fworld["points_loan"],
            amount=100,
            term_months=12,
            purpose="x",
            scopes=["points"],
            months=3,
            today=TODAY,
        )


@pytest.mark.parametrize("role", ["bank_user", "park_operator", "institution_user"])
def test_only_the_firm_or_the_bureau_applies(fworld, role):
    with pytest.raises(PermissionDenied):
        services.submit_application(
            user=fworld["users"][role],
            enterprise=fworld["a"],
            product=fworld["points_loan"],
            amount=100,
            term_months=12,
            purpose="x",
            scopes=["points"],
            months=3,
            today=TODAY,
        )


def test_application_pages_per_role(fworld, application, client_for):
    url = f"/finance/applications/{application.pk}/"
    expected = {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "bank_user": 200,
        "enterprise_user": 200,
        "park_operator": 404,
        "institution_user": 404,
    }
    for role, status in expected.items():
        assert client_for(fworld["users"][role]).get(url).status_code == status, role
    assert client_for(fworld["bank_other"]).get(url).status_code == 404
    page = client_for(fworld["users"]["bank_user"]).get(url).content.decode()
    assert "2026-10-13" in page and 'data-testid="steps"' in page
    lists = {
        role: client_for(fworld["users"][role]).get("/finance/applications/").status_code for role in fworld["users"]
    }
    assert lists == {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "park_operator": 403,
        "enterprise_user": 200,
        "bank_user": 200,
        "institution_user": 403,
        "audit_admin": 403,
    }
    assert "太原甲科技" not in client_for(fworld["bank_other"]).get("/finance/applications/").content.decode()


def test_the_bank_steps_through_the_page(fworld, application, client_for):
    client = client_for(fworld["users"]["bank_user"])
    response = client.post(
        f"/finance/applications/{application.pk}/step/",
        {"target": "declined", "on": "2026-10-09", "reason": ""},
        follow=True,
    )
    assert "不予批准须填写原因" in response.content.decode()
    client.post(
        f"/finance/applications/{application.pk}/step/",
        {"target": "declined", "on": "2026-10-09", "reason": "经营现金流不足"},
    )
    application.refresh_from_db()
    assert (application.status, application.decision_reason, application.decided_on) == (
        "declined",
        "经营现金流不足",
        D(2026, 10, 9),
    )


def test_the_firm_applies_through_its_page(fworld, client_for):
    client = client_for(fworld["users"]["enterprise_user"])
    form = client.get("/finance/products/js_points/apply/")
    assert form.status_code == 200 and 'data-testid="promise"' in form.content.decode()
    response = client.post(
        "/finance/products/js_points/apply/",
        {"amount": "200", "term_months": "12", "purpose": "采购设备", "scopes": ["points", "figures"], "months": "6"},
    )
    assert "提交申请须同意数据授权" in response.content.decode()
    assert not Application.objects.exists()
    response = client.post(
        "/finance/products/js_points/apply/",
        {
            "amount": "200",
            "term_months": "12",
            "purpose": "采购设备",
            "scopes": ["points", "figures"],
            "months": "6",
            "agree": "on",
        },
    )
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/finance/applications/{app.pk}/"
    assert app.consent.scopes == ["points", "figures"] and app.created_by == fworld["users"]["enterprise_user"]
