"""The policy library, simulations, eligibility runs, entitlements, payout batches, budgets and claw-backs.

Policy:
- A `Policy` is a library entry (its id is the engine's policy id, its `code`). Its versions live in the one
  store of rule versions (`rules.RuleVersion`, kind `policies`, `rule_id` = the code, whole documents): each
  holds the engine's self-contained **version dict** (`value`), never an edit of a stored one; the shipped
  YAML versions are copied there too (`origin` shipped), since runs and entitlements point at their row. A
  version is a draft until published; the published version in force on a date is the one with the latest
  `effective_from` on or before it (a later version supersedes an earlier one from its own start date).
- An `Entitlement` keeps what decided it: the version (protected from deletion), the as-of date, the facts
  snapshot (JSON of exactly the inputs the rule read), the failed/missing conditions and gaps, the amount the
  rule gives (`decided_amount`, replayable) and the amount granted after stacking and the budget (`amount`).
- Money is Decimal 万元 with 4 places (1 元 precision), as everywhere in the registry.
- `Budget` is one envelope per policy and payout year; approvals lock its row (`select_for_update`) so
  concurrent approvals can never commit more than the envelope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.engine.policies.document import KIND_ID

MONEY = {"max_digits": 18, "decimal_places": 4}


class Policy(models.Model):
    class Delivery(models.TextChoices):
        AUTO = "auto", _("免申即享")
        QUICK = "quick", _("快申快享")
        APPLY = "apply", _("常规申报")

    code = models.CharField(_("政策代码"), max_length=64, unique=True)
    name = models.CharField(_("政策名称"), max_length=200)
    issuer = models.CharField(_("发文机关"), max_length=200)
    document = models.CharField(_("文号"), max_length=200)
    package = models.CharField(_("政策包"), max_length=100, blank=True)
    measure = models.CharField(_("措施"), max_length=100, blank=True)
    source = models.CharField(_("来源"), max_length=500)
    verification = models.CharField(_("核实状态"), max_length=1)
    delivery = models.CharField(_("兑现方式"), max_length=16, choices=Delivery.choices)
    stacking_group = models.CharField(
        _("叠加分组"), max_length=64, blank=True, help_text=_("同组政策从优、就高、不重复")
    )
    summary = models.TextField(_("摘要"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("政策")
        verbose_name_plural = _("政策")

    def __str__(self) -> str:
        return self.name


RULE_KIND = KIND_ID  # the kind of the policies' versions in rules.RuleVersion (the engine's one id)


def condition_labels(version) -> dict[str, str]:
    """Condition id → its Chinese label in a policy version (a RuleVersion), the engine's implicit ones included."""
    from kechuang.engine.policies.evaluate import IMPLICIT_LABELS

    labels = {c["id"]: c.get("label", c["id"]) for c in (version.value or {}).get("eligibility", [])}
    return {**labels, **IMPLICIT_LABELS}


class Budget(models.Model):
    """A policy's envelope for one payout year. `committed` = approved + paid batches; never above `amount`."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="budgets")
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.DecimalField(_("预算（万元）"), **MONEY)
    committed = models.DecimalField(_("已审批（万元）"), default=0, **MONEY)
    paid = models.DecimalField(_("已兑现（万元）"), default=0, **MONEY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["policy", "-year"]
        verbose_name = _("年度预算")
        verbose_name_plural = _("年度预算")
        constraints = [
            models.UniqueConstraint(fields=["policy", "year"], name="one_budget_per_policy_year"),
            models.CheckConstraint(
                condition=models.Q(committed__lte=models.F("amount")), name="budget_never_overspent"
            ),
        ]

    @property
    def available(self):
        return self.amount - self.committed


class SimulationRun(models.Model):
    """A simulation before launch; its result (summary, distributions, near misses) is stored as JSON."""

    class Status(models.TextChoices):
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="simulations")
    version = models.ForeignKey("rules.RuleVersion", on_delete=models.CASCADE, related_name="+")
    compare_to = models.ForeignKey(
        "rules.RuleVersion", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.DateField(_("测算基准日"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    result = models.JSONField(_("结果"), default=dict)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("政策模拟")
        verbose_name_plural = _("政策模拟")


class EligibilityRun(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey("rules.RuleVersion", on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("评价基准日"))
    year = models.PositiveSmallIntegerField(_("兑现年度"))
    firms = models.PositiveIntegerField(_("企业数"), default=0)
    eligible = models.PositiveIntegerField(_("符合"), default=0)
    unknown = models.PositiveIntegerField(_("待补数据"), default=0)
    created = models.PositiveIntegerField(_("新增兑现资格"), default=0)
    stacked = models.PositiveIntegerField(_("因叠加规则不重复享受"), default=0)
    flagged = models.PositiveIntegerField(_("标记追回"), default=0)
    total = models.DecimalField(_("新增金额（万元）"), default=0, **MONEY)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("资格评价")
        verbose_name_plural = _("资格评价")


class EligibilityResult(models.Model):
    """A firm of a run that is not (yet) entitled: `unknown` (data missing) or a near miss (one condition)."""

    run = models.ForeignKey(EligibilityRun, on_delete=models.CASCADE, related_name="results")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    eligible = models.CharField(_("结论"), max_length=8)
    potential_amount = models.DecimalField(_("可能金额（万元）"), null=True, **MONEY)
    failed = models.TextField(_("未通过条件"), blank=True)  # one name per condition or field: no fixed bound
    missing = models.TextField(_("缺失字段"), blank=True)  # one name per condition or field: no fixed bound
    gaps = models.JSONField(_("差距"), default=list)

    class Meta:
        verbose_name = _("资格评价结果")
        verbose_name_plural = _("资格评价结果")
        indexes = [models.Index(fields=["enterprise", "run"])]

    @property
    def failed_text(self) -> str:
        """The failed conditions by their Chinese labels (reads run.version: select it with the result)."""
        labels = condition_labels(self.run.version)
        return "；".join(labels.get(c, c) for c in self.failed.split(";") if c)


class BankAccount(models.Model):
    enterprise = models.OneToOneField("enterprises.Enterprise", on_delete=models.CASCADE, related_name="bank_account")
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=200)
    account_number = models.CharField(_("账号"), max_length=40)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("银行账户")
        verbose_name_plural = _("银行账户")

    @property
    def masked(self) -> str:
        return f"****{self.account_number[-4:]}"


class PayoutBatch(models.Model):
    """常态化征集、集中兑现: one policy, one payout year. The approver must differ from the maker."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待审批")
        APPROVED = "approved", _("已审批")
        REFUSED = "refused", _("未通过")
        PAID = "paid", _("已兑现")

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="batches")
    year = models.PositiveSmallIntegerField(_("兑现年度"))
    title = models.CharField(_("批次名称"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    count = models.PositiveIntegerField(_("企业数"), default=0)
    total = models.DecimalField(_("金额（万元）"), default=0, **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    reason = models.CharField(_("未通过原因"), max_length=500, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("兑现登记人"),
    )
    paid_at = models.DateTimeField(_("兑现时间"), null=True, blank=True)
    # The form's one-time token: the same submit sent twice (double click, retry) finds the batch it made.
    submit_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("兑现批次")
        verbose_name_plural = _("兑现批次")


class Entitlement(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        APPROVED = "approved", _("已审批")
        PAID = "paid", _("已兑现")
        STACKED = "stacked", _("从优不重复")
        CANCELLED = "cancelled", _("已取消")

    ACTIVE = ("pending", "confirmed", "approved", "paid")

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="entitlements")
    version = models.ForeignKey("rules.RuleVersion", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(EligibilityRun, on_delete=models.PROTECT, related_name="entitlements")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="entitlements")
    as_of = models.DateField(_("评价基准日"))
    year = models.PositiveSmallIntegerField(_("兑现年度"))
    decided_amount = models.DecimalField(_("规则核定金额（万元）"), **MONEY)
    amount = models.DecimalField(_("兑现金额（万元）"), **MONEY)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    stacked_by = models.CharField(_("从优享受的政策"), max_length=64, blank=True)
    conditions = models.JSONField(_("条件结果"), default=dict)
    facts = models.JSONField(_("事实快照"), default=dict)
    gaps = models.JSONField(_("差距"), default=list)
    batch = models.ForeignKey(
        PayoutBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="entitlements"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("确认人"),
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("兑现资格")
        verbose_name_plural = _("兑现资格")
        indexes = [models.Index(fields=["policy", "year", "status"]), models.Index(fields=["enterprise", "status"])]

    def condition_rows(self) -> list[dict]:
        """Each condition's outcome with its label, in the version's order (jsonb keeps no key order)."""
        labels = condition_labels(self.version)
        order = {cid: i for i, cid in enumerate(labels)}
        conditions = sorted((self.conditions or {}).items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
        return [{"id": cid, "label": labels.get(cid, cid), "outcome": outcome} for cid, outcome in conditions]

    @property
    def stacked_by_name(self) -> str:
        """The policy kept instead of this one, by its name (`stacked_by` stores its code)."""
        if not self.stacked_by:
            return ""
        return Policy.objects.filter(code=self.stacked_by).values_list("name", flat=True).first() or self.stacked_by


class Clawback(models.Model):
    """The claw-back ledger: an approved or paid entitlement whose firm no longer qualifies."""

    class Status(models.TextChoices):
        OPEN = "open", _("待追回")
        RECOVERED = "recovered", _("已追回")
        WAIVED = "waived", _("核销（不予追回）")

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="clawbacks")
    amount = models.DecimalField(_("金额（万元）"), **MONEY)
    reason = models.TextField(_("原因"))
    failed = models.TextField(_("未通过条件"), blank=True)  # one name per condition or field: no fixed bound
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flagged_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-flagged_at"]
        verbose_name = _("追回台账")
        verbose_name_plural = _("追回台账")
