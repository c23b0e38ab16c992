"""Loading a generated region into the database: counts, users per role, tiers computed by the rules."""

from __future__ import annotations

import polars as pl
import pytest
from django.contrib.auth import authenticate

from kechuang import cli
from kechuang.accounts.models import User
from kechuang.carriers.models import Carrier, Residency
from kechuang.demo import load
from kechuang.demo.generator import generate
from kechuang.enterprises.loaders import facts_frame
from kechuang.enterprises.models import Enterprise
from kechuang.tiers.models import TierResult, TierRun
from tests.demo.industry_checks import check_industry_demo


@pytest.mark.django_db
def test_load_small_region(ref):
    region = generate(300, seed=5)
    result = load.load(region, progress=lambda m: None)
    assert result["enterprises_created"] == Enterprise.objects.count() == 300
    assert result["figures_created"] == region.facts.height
    assert set(User.objects.values_list("role", flat=True)) == {
        "bureau_admin",
        "bureau_staff",
        "park_operator",
        "enterprise_user",
        "bank_user",
        "institution_user",
        "audit_admin",
    }
    assert authenticate(username="bureau_staff", password=load_password()) is not None
    valley = Carrier.objects.get(kind="valley")
    operator = User.objects.get(username="park_operator")
    assert valley.operator == operator.organisation
    # The generated residents are in the valley (applications the demo moves in add more).
    generated = [r["uscc"] for r in region.valley["residents"]]
    assert Residency.objects.filter(carrier=valley, enterprise__uscc__in=generated).count() == len(generated)
    enterprise_user = User.objects.get(username="enterprise_user")  # 揭榜挂帅 adds issuer and solver firm users
    assert Residency.objects.filter(carrier=valley, enterprise=enterprise_user.enterprise).exists()
    # The database now holds exactly the generated facts, but for the firm whose correction the payout demo's
    # claw-back follows (demo/payouts.py).
    from kechuang.policies.models import Clawback

    corrected = Clawback.objects.values_list("entitlement__enterprise__uscc", flat=True).get()
    stored = facts_frame().filter(pl.col("uscc") != corrected)
    generated = region.facts.sort("uscc", "year").filter(pl.col("uscc") != corrected)
    assert stored.shape == generated.shape and stored.columns == generated.columns
    for column in ("uscc", "year", "revenue", "rd_expense", "staff_total", "hte_certified", "registered_on"):
        assert stored[column].equals(generated[column]), column
    # Tiers are computed by the rules, three as-of dates.
    assert TierRun.objects.count() == 3
    latest = TierRun.objects.order_by("-as_of").first()
    assert TierResult.objects.filter(run=latest, tier="tech_sme").count() == 300
    share = TierResult.objects.filter(run=latest, tier="tech_sme", qualified="true").count() / 300
    assert 0.35 <= share <= 0.6
    _finance_in_every_state()
    _payouts_walkable(result)
    _matching_has_content()
    check_industry_demo()  # chains, carriers and one-stop services (tests/demo/industry_checks.py)


def _finance_in_every_state():
    """demo/finance.py: the bureau's 5 banks with staff, 9 products, loans, applications and consents in every
    state, the enterprise user's 我的融资, the pool, the funds and 7 matchmaking events."""
    from kechuang.finance.models import Application, Consent, Deal, Loan, LoanProduct, MatchEvent, PoolEntry

    assert User.objects.filter(role="bank_user").count() == 5 and LoanProduct.objects.count() == 9
    assert Loan.objects.count() > 100 and set(Loan.objects.values_list("source", flat=True)) == {"platform", "import"}
    assert set(Application.objects.values_list("status", flat=True)) >= {
        "received",
        "due_diligence",
        "approved",
        "declined",
        "contract",
        "disbursed",
        "repaid",
        "withdrawn",
    }
    firm = User.objects.get(username="enterprise_user").enterprise
    assert set(Application.objects.filter(enterprise=firm).values_list("status", flat=True)) == {
        "repaid",
        "disbursed",
        "due_diligence",
        "declined",
    }
    assert Consent.objects.filter(enterprise=firm, withdrawn_at__isnull=False).exists()
    assert PoolEntry.objects.filter(kind="contribution").count() == 3 and MatchEvent.objects.count() == 7
    assert Deal.objects.filter(stage="closed").count() == 3 and Deal.objects.filter(stage="written_off").count() == 2


def _payouts_walkable(result):
    """demo/payouts.py (issue 21: 1): budgets for the payout year, bank accounts, a batch awaiting approval, one
    paid by three people, a claw-back, and the enterprise user's firm holding entitlements to confirm."""
    from kechuang.policies.models import BankAccount, Budget, Clawback, Entitlement, PayoutBatch, Policy

    year = load.POLICY_AS_OF.year
    assert Entitlement.objects.filter(year=year).exists()
    with_budget = set(Budget.objects.filter(year=year).values_list("policy_id", flat=True))
    assert with_budget == set(Policy.objects.filter(budgets__year__lt=year).values_list("pk", flat=True))
    assert set(Entitlement.objects.filter(year=year).values_list("policy_id", flat=True)) <= with_budget
    paid = PayoutBatch.objects.get(year=year, status="paid")
    assert (paid.created_by.username, paid.approved_by.username, paid.paid_by.username) == (
        "bureau_staff",
        "bureau_admin",
        "bureau_cashier",
    )
    assert paid.policy.code == "rd_subsidy" and paid.count == paid.entitlements.filter(status="paid").count() > 0
    draft = PayoutBatch.objects.get(year=year, status="draft")
    assert draft.policy != paid.policy and draft.count == draft.entitlements.filter(status="confirmed").count() > 0
    clawback = Clawback.objects.get(status="open")
    assert clawback.entitlement.batch == paid and clawback.amount == clawback.entitlement.amount
    assert result["paid_batches"] == result["draft_batches"] == result["clawbacks"] == 1
    holders = Entitlement.objects.filter(year=year, status__in=Entitlement.ACTIVE).values("enterprise_id")
    own = User.objects.get(username="enterprise_user").enterprise
    assert (
        BankAccount.objects.filter(enterprise_id__in=holders).exclude(enterprise=own).count()
        == holders.exclude(enterprise=own).distinct().count()
    )
    assert Entitlement.objects.filter(enterprise=own, year=year, status="pending").exists()
    assert not BankAccount.objects.filter(enterprise=own).exists()
    assert Entitlement.objects.filter(year=year, status="pending").exclude(enterprise=own).exists()


def _matching_has_content():
    """Issue 16: the demo firm's first need has teams and consenting experts, and 山西大学's achievements on a
    chain have firms tied to them by their place on the chain."""
    from kechuang.techtransfer import expertmatching, firmmatching
    from kechuang.techtransfer.models import Achievement, Need

    firm = User.objects.get(username="enterprise_user")
    need = Need.objects.filter(enterprise=firm.enterprise).order_by("pk").first()
    assert expertmatching.experts(need, firm, expertmatching.TEAM)
    people = expertmatching.experts(need, firm, expertmatching.PERSON)
    assert people and all(m.record.profile_shown for m in people)
    on_chains = Achievement.objects.filter(institution__name="山西大学", segment__isnull=False).order_by("pk")[:20]
    reasons = [m.reason for a in on_chains for m in firmmatching.matches(a)]
    assert any("环节" in r for r in reasons) and any("主营产品相关" in r for r in reasons)
    # staff feedback in the demo: a pinned and a dismissed team, person and firm, each applied
    from kechuang.techtransfer.models import ExpertFeedback, FirmFeedback

    staff = User.objects.filter(role="bureau_staff").order_by("pk").first()
    for kind in (expertmatching.TEAM, expertmatching.PERSON):
        given = ExpertFeedback.objects.filter(need=need, **{f"{kind}__isnull": False})
        assert sorted(given.values_list("action", flat=True)) == ["dismiss", "pin"]
        ranked = expertmatching.experts(need, staff, kind)
        assert ranked[0].pinned and getattr(given.get(action="dismiss"), kind) not in [m.record for m in ranked]
    assert sorted(FirmFeedback.objects.values_list("action", flat=True)) == ["dismiss", "pin"]
    liked = FirmFeedback.objects.get(action="pin")
    assert firmmatching.matches(liked.achievement)[0].enterprise == liked.enterprise


def load_password() -> str:
    from kechuang.demo.generator import generate_password_hint

    return generate_password_hint()


@pytest.mark.django_db
def test_demo_command_builds_once(ref, capsys):
    assert cli.main(["demo", "--enterprises", "50", "--seed", "3", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "演示区域已构建：企业 50 家" in out and "bureau_admin" in out
    assert cli.main(["demo", "--enterprises", "50", "--no-serve"]) == 0
    assert "跳过演示区域构建" in capsys.readouterr().out
    assert Enterprise.objects.count() == 50
    assert cli.main(["demo", "--enterprises", "5", "--no-serve"]) == 2
