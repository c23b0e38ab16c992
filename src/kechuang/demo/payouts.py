"""The demo's policy payouts, walkable from the first login (issue 21: 1).

After the eligibility runs of the payout year the demo leaves every state of the payout workflow on screen:
- each policy has an envelope for the payout year (where the shipped versions name none, the latest year's
  amount carries over: an example the bureau edits), set before the runs so they allocate within it;
- the firms holding entitlements have bank accounts on file, except the enterprise user's own firm, whose user
  confirms its entitlements and enters the account in 我的政策;
- one policy's batch is assembled, approved and paid by three people (bureau_staff, bureau_admin,
  bureau_cashier), and one of its firms then corrects its R&D expense below the threshold: the claw-back check
  flags the paid entitlement;
- a second policy's batch waits for the bureau admin's approval; the other entitlements wait for confirmation.
"""

from __future__ import annotations

from django.utils import timezone

from kechuang.accounts.models import User
from kechuang.core import audit, bulk
from kechuang.enterprises.models import AnnualFigure
from kechuang.enterprises.services import save_figure
from kechuang.policies.models import BankAccount, Budget, Entitlement, Policy
from kechuang.policies.services import approve_batch, assemble_batch, check_clawbacks, confirm_entitlement, mark_paid

BATCH_SIZE = 20  # entitlements per demo batch: enough to page through, few enough to read
# The paid policy whose claw-back the demo shows: its R&D-expense threshold is what the correction falls under.
CLAWBACK_POLICY, CLAWBACK_FIELD, CLAWBACK_VALUE = "rd_subsidy", "rd_expense", 30
BANK = "晋商银行科技支行"


def budgets(year: int) -> int:
    """An envelope for `year` for every policy that has one for an earlier year. Returns how many were set."""
    admin = User.objects.get(username="bureau_admin")
    created = 0
    for policy in Policy.objects.order_by("code"):
        if Budget.objects.filter(policy=policy, year=year).exists():
            continue
        latest = Budget.objects.filter(policy=policy, year__lt=year).order_by("-year").first()
        if latest is None:
            continue
        budget = Budget.objects.create(policy=policy, year=year, amount=latest.amount)
        audit.record(
            actor=admin,
            action="budget.create",
            obj=budget,
            changes={"amount": [None, audit.jsonable(budget.amount)]},
            note=f"{policy.code} {year}（演示：沿用 {latest.year} 年度预算）",
        )
        created += 1
    return created


def walk(year: int) -> dict[str, int]:
    """Bank accounts, one paid batch with a claw-back, one batch awaiting approval (see the module's text)."""
    maker = User.objects.get(username="bureau_staff")
    checker = User.objects.get(username="bureau_admin")
    payer = User.objects.get(username="bureau_cashier")
    own = User.objects.get(username="enterprise_user").enterprise_id
    accounts = _bank_accounts(year, own)
    held = Entitlement.objects.filter(year=year, status=Entitlement.Status.PENDING, amount__gt=0).exclude(
        enterprise_id=own
    )
    codes = list(held.order_by("policy__code").values_list("policy__code", flat=True).distinct())
    # The claw-back policy is paid first when it has entitlements; the next policy's batch waits.
    codes.sort(key=lambda code: code != CLAWBACK_POLICY)
    stats = {"bank_accounts": accounts, "paid_batches": 0, "draft_batches": 0, "clawbacks": 0}
    for code, role in zip(codes, ("paid", "draft"), strict=False):
        policy = Policy.objects.get(code=code)
        for entitlement in held.filter(policy=policy).order_by("-amount", "pk")[:BATCH_SIZE]:
            confirm_entitlement(user=maker, entitlement=entitlement)
        batch = assemble_batch(user=maker, policy=policy, year=year)
        if role == "draft":
            stats["draft_batches"] += 1
            continue
        approve_batch(user=checker, batch_id=batch.pk)
        mark_paid(user=payer, batch_id=batch.pk)
        stats["paid_batches"] += 1
        if code == CLAWBACK_POLICY:
            stats["clawbacks"] = _clawback(batch, maker)
    return stats


def _bank_accounts(year: int, own: int | None) -> int:
    firms = (
        Entitlement.objects.filter(year=year, status__in=Entitlement.ACTIVE, enterprise__bank_account__isnull=True)
        .exclude(enterprise_id=own)
        .order_by("enterprise_id")
        .values_list("enterprise_id", "enterprise__name")
        .distinct()
    )
    now = timezone.now()
    return bulk.insert_rows(
        BankAccount,
        ("enterprise_id", "account_name", "bank_name", "account_number", "updated_at"),
        ((eid, name, BANK, f"6216{eid:012d}", now) for eid, name in firms),
    )


def _clawback(batch, user) -> int:
    """A paid firm corrects last year's R&D expense below the threshold; the claw-back check flags it."""
    entitlement = batch.entitlements.select_related("enterprise").order_by("amount", "pk").first()
    facts_year = entitlement.as_of.year - 1
    if not AnnualFigure.objects.filter(enterprise=entitlement.enterprise, year=facts_year).exists():
        return 0
    save_figure(
        entitlement.enterprise, facts_year, {CLAWBACK_FIELD: CLAWBACK_VALUE}, actor=user, note="企业更正研发费用"
    )
    return check_clawbacks(batch.policy, user=user)
