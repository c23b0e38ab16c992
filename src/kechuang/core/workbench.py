"""The workbench (/): what needs the signed-in user, each a count from the owning app's selectors (so scoped by
role exactly as its list is) with a link to that list, filtered to the items counted."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.engine import clock

from .models import Job

IMPORT_KIND = "import_facts"


@dataclass(frozen=True)
class Need:
    key: str
    label: str
    count: int
    url: str


def needs(user) -> list[Need]:
    """The items this user can act on, in the order of a day's work; none for a role that cannot open the list."""
    from kechuang.accounts import access
    from kechuang.points import selectors as points
    from kechuang.points.models import Alert
    from kechuang.policies import selectors as policies
    from kechuang.policies.models import BankAccount, Entitlement, PayoutBatch
    from kechuang.techtransfer import selectors as techtransfer
    from kechuang.techtransfer.models import TechContract
    from kechuang.tiers import selectors as tiers

    out = []
    if user.is_bureau:
        out.append(
            Need(
                "alerts",
                _("待处理预警"),
                points.alerts_inbox(user).filter(status=Alert.Status.OPEN).count(),
                reverse("points:alerts") + "?status=open",
            )
        )
    if policies.can_see_entitlements(user):
        pending = policies.entitlements_for(user).filter(status=Entitlement.Status.PENDING).count()
        out.append(
            Need("entitlements", _("待确认兑现资格"), pending, reverse("policies:entitlements") + "?status=pending")
        )
    if access.allowed(user, "policies_mine"):  # a firm: what it must do to be paid
        own = Entitlement.objects.filter(enterprise_id=user.enterprise_id)
        to_confirm = own.filter(status=Entitlement.Status.PENDING).count()
        out.append(Need("to_confirm", _("待确认享受的政策"), to_confirm, reverse("policies:mine")))
        unpaid = own.filter(status__in=Entitlement.ACTIVE).exists()
        if unpaid and not BankAccount.objects.filter(enterprise_id=user.enterprise_id).exists():
            out.append(Need("bank_account", _("待登记的兑现银行账户"), 1, reverse("policies:bank_account")))
    if user.is_bureau and user.can_admin:
        drafts = policies.batches_for(user).filter(status=PayoutBatch.Status.DRAFT).count()
        out.append(Need("batches", _("待审批兑现批次"), drafts, reverse("policies:batches") + "?status=draft"))
    elif user.is_bureau:
        approved = policies.batches_for(user).filter(status=PayoutBatch.Status.APPROVED).count()
        out.append(Need("batches", _("待登记兑现批次"), approved, reverse("policies:batches") + "?status=approved"))
    if techtransfer.can_use(user):  # the bureau decides them; an institution follows its own
        waiting = techtransfer.contracts_for(user).filter(status=TechContract.Status.SUBMITTED).count()
        url = reverse("techtransfer:contracts") + "?status=submitted"
        out.append(Need("contracts", _("待认定的技术合同"), waiting, url))
    if user.is_bureau or user.role == "park_operator":
        expiring = tiers.expiring_certificates(user, clock.today()).count()
        out.append(Need("certificates", _("即将到期的高企证书"), expiring, reverse("tiers:expiring")))
    jobs = Job.objects.filter(created_by=user)
    if access.allowed(user, "import"):
        out.append(
            Need(
                "imports",
                _("有拒绝行的导入"),
                jobs.filter(kind=IMPORT_KIND, result__rejected_rows__gt=0).count(),
                reverse("core:jobs") + "?rejected=1",
            )
        )
    if not jobs.exists():  # a role that starts no background work is not shown empty job counters
        return out
    out.append(
        Need(
            "running",
            _("运行中的后台任务"),
            jobs.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).count(),
            reverse("core:jobs") + "?status=running",
        )
    )
    out.append(
        Need(
            "failed",
            _("失败的后台任务"),
            jobs.filter(status=Job.Status.FAILED).count(),
            reverse("core:jobs") + "?status=failed",
        )
    )
    return out


def jobs_for(user, status: str = "", rejected: bool = False):
    """The user's own jobs, narrowed as the workbench links ask."""
    qs = Job.objects.filter(created_by=user)
    if status == "running":
        qs = qs.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING))
    elif status in Job.Status.values:
        qs = qs.filter(status=status)
    if rejected:
        qs = qs.filter(kind=IMPORT_KIND, result__rejected_rows__gt=0)
    return qs
