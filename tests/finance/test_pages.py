"""Finance pages per role, the bureau's figures with exact values, 我的融资's finder, and rules edited on /rules/
changing outcomes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kechuang.finance import figures, services
from kechuang.finance.models import Application, Loan, MatchEvent
from kechuang.rules.models import RuleVersion

pytestmark = pytest.mark.django_db
D = dt.date

# role → expected status of each page (the firm pages are checked in test_consent)
PAGES = {
    "/finance/dashboard/": {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "park_operator": 403,
        "enterprise_user": 403,
        "bank_user": 403,
        "institution_user": 403,
    },
    "/finance/products/": dict.fromkeys(
        ("bureau_admin", "bureau_staff", "park_operator", "enterprise_user", "bank_user", "institution_user"), 200
    ),
    "/finance/mine/": {
        "bureau_admin": 403,
        "bureau_staff": 403,
        "park_operator": 403,
        "enterprise_user": 200,
        "bank_user": 403,
        "institution_user": 403,
    },
    "/finance/bank/": {
        "bureau_admin": 403,
        "bureau_staff": 403,
        "park_operator": 403,
        "enterprise_user": 403,
        "bank_user": 200,
        "institution_user": 403,
    },
    "/finance/firms/": {
        "bureau_admin": 403,
        "bureau_staff": 403,
        "park_operator": 403,
        "enterprise_user": 403,
        "bank_user": 200,
        "institution_user": 403,
    },
    "/finance/loans/": {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "park_operator": 403,
        "enterprise_user": 200,
        "bank_user": 200,
        "institution_user": 403,
    },
    "/finance/loans/import/": {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "park_operator": 403,
        "enterprise_user": 403,
        "bank_user": 200,
        "institution_user": 403,
    },
    "/finance/consents/": {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "park_operator": 403,
        "enterprise_user": 200,
        "bank_user": 200,
        "institution_user": 403,
    },
    "/finance/access-log/": {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "park_operator": 403,
        "enterprise_user": 200,
        "bank_user": 200,
        "institution_user": 403,
    },
    "/finance/pool/": {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "park_operator": 403,
        "enterprise_user": 403,
        "bank_user": 403,
        "institution_user": 403,
    },
    "/finance/events/": {
        "bureau_admin": 200,
        "bureau_staff": 200,
        "park_operator": 403,
        "enterprise_user": 403,
        "bank_user": 403,
        "institution_user": 403,
    },
}


@pytest.mark.parametrize("url", list(PAGES))
def test_every_page_per_role(fworld, client_for, url):
    got = {role: client_for(user).get(url).status_code for role, user in fworld["users"].items()}
    assert got == {**PAGES[url], "audit_admin": 403}  # the audit admin reads the audit log and nothing else


def test_products_a_bank_sees_only_its_own_and_the_public_only_those_on_offer(fworld, client_for):
    fworld["tech_loan"].status = "retired"
    fworld["tech_loan"].save()
    bank_page = client_for(fworld["users"]["bank_user"]).get("/finance/products/").content.decode()
    assert "创新积分贷" in bank_page and "科技贷" not in bank_page
    public = client_for(fworld["users"]["park_operator"]).get("/finance/products/").content.decode()
    assert "科技贷" not in public
    assert client_for(fworld["users"]["park_operator"]).get("/finance/products/sx_tech/").status_code == 404
    detail = client_for(fworld["users"]["bureau_staff"]).get("/finance/products/js_points/").content.decode()
    assert "利率不高于一年期 LPR 3.00% + 80 基点 = 3.80%" in detail
    assert "/rules/loan_product/points_loan_taiyuan/" in detail


def loan(fworld, bank, contract, amount, on, status="disbursed", **kw):
    return Loan.objects.create(
        bank=bank,
        enterprise=kw.pop("firm", fworld["a"]),
        product=kw.pop("product", None),
        contract_no=contract,
        amount=Decimal(amount),
        rate=Decimal("3.5"),
        disbursed_on=on,
        maturity_on=on + dt.timedelta(days=365),
        status=status,
        **kw,
    )


def test_the_dashboard_figures_are_exact(fworld, client_for):
    j, s = fworld["jinshang"], fworld["shanxi"]
    today = timezone.localdate()
    recent = today - dt.timedelta(days=30)
    loan(fworld, j, "J1", 300, recent, product=fworld["points_loan"], stage="growth", tier="high_tech", points=85)
    loan(
        fworld,
        j,
        "J2",
        700,
        recent,
        product=fworld["points_loan"],
        stage="growth",
        tier="tech_sme",
        points=62,
        firm=fworld["b"],
    )
    loan(
        fworld,
        s,
        "S1",
        1000,
        recent,
        product=fworld["tech_loan"],
        status="defaulted",
        defaulted_on=today,
        defaulted_principal=Decimal(400),
        stage="mature",
        firm=fworld["c"],
    )
    loan(fworld, s, "S0", 500, today - dt.timedelta(days=400), status="repaid")  # before the window
    data = figures.dashboard(fworld["users"]["bureau_staff"], *figures.period(today), today)
    assert (data["window"]["count"], data["window"]["amount"], data["firms"]) == (3, 2000.0, 3)
    assert (data["total"]["count"], data["total"]["amount"]) == (4, 2500.0)
    assert data["total"]["default_rate_amount"] == pytest.approx(400 / 2500)
    by_bank = {r["key"]: (r["count"], r["amount"], r["defaults"]) for r in data["by_bank"]}
    assert by_bank == {"晋商银行": (2, 1000.0, 0), "山西银行": (1, 1000.0, 1)}
    assert {r["key"]: r["count"] for r in data["by_band"]} == {"80 分及以上": 1, "60–80 分": 1, "无积分": 1}
    assert {r["key"]: r["count"] for r in data["by_stage"]} == {"成长期": 2, "成熟期": 1}
    assert {r["key"]: r["count"] for r in data["by_tier"]} == {
        "高新技术企业": 1,
        "科技型中小企业": 1,
        "未获梯队资质": 1,
    }
    assert {r["key"]: r["count"] for r in data["by_kind"]} == {"信用贷": 2, "担保贷": 1}
    page = client_for(fworld["users"]["bureau_staff"]).get("/finance/dashboard/").content.decode()
    assert "放款 <strong>3</strong> 笔、<strong>2,000.00 万元</strong>，惠及 3 家企业" in page


def test_time_to_decision_counts_working_days(fworld, application):
    services.advance(
        user=fworld["users"]["bank_user"],
        application=application,
        step=services.workflow.Step(target="declined", reason="征信", on=D(2026, 10, 12)),
        today=D(2026, 10, 12),
    )
    data = figures.decisions(Application.objects.all(), D(2026, 10, 1), D(2026, 10, 31))
    # 2026-09-30 → 10-12: 10-08, 10-09, 10-10 (working Saturday), 10-12 = 4 working days, within the 5 promised
    assert (data["count"], data["mean"], data["kept"]) == (1, 4.0, 1)


def test_mine_lists_what_qualifies_and_what_is_one_short(fworld, client_for):
    """Firm a is a 科小 (tier run), 7 years old, in its growth stage (2025 revenue 3200万): it qualifies for
    创新积分贷 (the average of 2025 and 2024, (3200 + 3000) / 2 = 3100, is above the 1000万 cap) and for 科技贷
    (科小 or 高企)."""
    from kechuang.tiers.models import TierResult, TierRun

    run = TierRun.objects.create(as_of=D(2026, 6, 30), status="done")
    for tier in ("tech_sme", "high_tech", "specialized_sme", "innovative_sme", "little_giant"):
        TierResult.objects.create(
            run=run, enterprise=fworld["a"], tier=tier, ruleset="x", qualified="true" if tier == "tech_sme" else "false"
        )
    page = client_for(fworld["users"]["enterprise_user"]).get("/finance/mine/").content.decode()
    qualifies = page.split('data-testid="qualifies"')[1].split("</table>")[0]
    assert "创新积分贷" in qualifies and "科技贷" in qualifies and "1,000.00 万元" in qualifies
    fworld["tech_loan"].rule_id = "hte_loan_ccb"  # 高企 only: one requirement short for a 科小
    fworld["tech_loan"].save()
    page = client_for(fworld["users"]["enterprise_user"]).get("/finance/mine/").content.decode()
    near = page.split('data-testid="near"')[1].split("</table>")[0]
    assert "科技贷" in near and "差一项：高新技术企业" in near


def test_a_decision_time_edited_on_rules_changes_the_next_promise(fworld, client_for):
    admin = client_for(fworld["users"]["bureau_admin"])
    response = admin.post(
        "/rules/loan_product/points_loan_taiyuan/decision_days/",
        {"value": "3", "effective_from": "2026-09-01", "source": "本局与晋商银行补充协议", "note": "压缩审批时限"},
    )
    assert response.status_code == 302
    assert RuleVersion.objects.get().value == 3
    app = services.submit_application(
        user=fworld["users"]["enterprise_user"],
        enterprise=fworld["a"],
        product=fworld["points_loan"],
        amount=100,
        term_months=12,
        purpose="x",
        scopes=["points"],
        months=3,
        today=D(2026, 9, 30),
    )
    assert (app.decision_days, app.deadline_on, app.terms["decision_days"]) == (3, D(2026, 10, 10), 3)
    rules_page = admin.get("/rules/").content.decode()
    for label in (
        "科技金融产品规则",
        "贷款市场报价利率",
        "风险补偿资金池规则",
        "天使基金与容错规则",
        "科技金融业务规则",
    ):
        assert label in rules_page


def test_the_bureau_records_a_matchmaking_event(fworld, client_for):
    client = client_for(fworld["users"]["bureau_staff"])
    response = client.post(
        "/finance/events/",
        {
            "title": "科技金融银企对接会",
            "held_on": "2026-11-20",
            "place": "晋创谷",
            "organiser": "科技局",
            "banks": [fworld["jinshang"].pk, fworld["shanxi"].pk],
            "firms": 40,
            "intentions": 12,
            "signed_amount": "1200",
        },
    )
    assert response.status_code == 302
    event = MatchEvent.objects.get()
    assert (event.firms, event.signed_amount, event.banks.count()) == (40, Decimal("1200.0000"), 2)


def test_a_bureau_admin_lists_a_banks_product_under_a_product_rule(fworld, client_for):
    from kechuang.finance.models import LoanProduct

    data = {
        "bank": fworld["jinshang"].pk,
        "code": "js_hte",
        "name": "高企贷",
        "rule_id": "hte_loan_ccb",
        "launched_on": "2026-12-01",
        "summary": "",
    }
    assert client_for(fworld["users"]["bureau_staff"]).post("/finance/products/", data).status_code == 403
    response = client_for(fworld["users"]["bureau_admin"]).post("/finance/products/", data)
    assert response.status_code == 302 and response["Location"] == "/finance/products/js_hte/"
    product = LoanProduct.objects.get(code="js_hte")
    assert (product.bank, product.rule_id, product.status) == (fworld["jinshang"], "hte_loan_ccb", "active")
    again = client_for(fworld["users"]["bureau_admin"]).post("/finance/products/", data, follow=True)
    assert "产品代码“js_hte”已被使用" in again.content.decode()
