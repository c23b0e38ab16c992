"""Science-and-technology finance: banks' branches and staff, products, consents, applications, loans, the
risk-compensation pool, the angel fund and bank–firm matchmaking events.

Policy:
- A bank is an `accounts.Organisation` of kind bank; its staff are `bank_user` accounts of that organisation.
- A product's terms are a rule document (`rule_id`, kind `loan_product`); the row says which bank offers it
  and whether it is on offer. Every number of the terms lives in the rule, dated and editable on /rules/.
- A consent is the only way a bank sees a firm's data; every view is a `ConsentAccess` row.
- An application keeps what decided its promise: the rule version (`rule_key`), its parameter values at
  submission (`terms`), the deadline in working days with its basis, and the finder's result (`finder`).
- Money is Decimal 万元 with 4 places; rates are % a year.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.engine.finance import fund as fund_engine
from kechuang.engine.finance import workflow
from kechuang.engine.finance.consent import SCOPES

MONEY = {"max_digits": 18, "decimal_places": 4}
RATE = {"max_digits": 7, "decimal_places": 4}


class Branch(models.Model):
    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="branches", verbose_name=_("银行")
    )
    name = models.CharField(_("网点名称"), max_length=128)
    region = models.ForeignKey("core.Region", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("地区"))
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        ordering = ["bank", "name"]
        verbose_name = _("银行网点")
        verbose_name_plural = _("银行网点")
        constraints = [models.UniqueConstraint(fields=["bank", "name"], name="one_branch_name_per_bank")]

    def __str__(self) -> str:
        return f"{self.bank.name}{self.name}"


class BankStaff(models.Model):
    """A bank user's branch and post (the role and the bank are on the user)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bank_staff")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="staff", verbose_name=_("网点"))
    title = models.CharField(_("岗位"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("银行工作人员")
        verbose_name_plural = _("银行工作人员")


class LoanProduct(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("在售")
        PAUSED = "paused", _("暂停")
        RETIRED = "retired", _("已停售")

    code = models.CharField(_("产品代码"), max_length=64, unique=True)
    name = models.CharField(_("产品名称"), max_length=128)
    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="loan_products", verbose_name=_("银行")
    )
    rule_id = models.CharField(_("产品规则"), max_length=64)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    launched_on = models.DateField(_("上线日期"))
    summary = models.TextField(_("产品说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["bank__name", "name"]
        verbose_name = _("金融产品")
        verbose_name_plural = _("金融产品")

    def __str__(self) -> str:
        return self.name


class Consent(models.Model):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="consents", verbose_name=_("企业")
    )
    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="consents", verbose_name=_("银行")
    )
    scopes = models.JSONField(_("授权范围"), default=list)
    starts_on = models.DateField(_("生效日期"))
    ends_on = models.DateField(_("到期日期"))
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("授权人")
    )
    granted_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("撤回人"),
    )

    class Meta:
        ordering = ["-granted_at", "-pk"]
        verbose_name = _("数据授权")
        verbose_name_plural = _("数据授权")
        indexes = [models.Index(fields=["bank", "enterprise"])]

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.bank}"

    @property
    def scope_labels(self) -> str:
        return "、".join(SCOPES.get(s, s) for s in self.scopes)


class ConsentAccess(models.Model):
    """One view of a firm's data by a bank user under a consent: who, when, what, through which channel."""

    class Channel(models.TextChoices):
        PAGE = "page", _("页面")
        EXPORT = "export", _("导出")
        API = "api", _("接口")

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="accesses")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("查看人")
    )
    scope = models.CharField(_("数据"), max_length=16)
    channel = models.CharField(_("方式"), max_length=8, choices=Channel.choices)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("授权数据查看记录")
        verbose_name_plural = _("授权数据查看记录")

    @property
    def scope_label(self) -> str:
        return SCOPES.get(self.scope, self.scope)


STATUS_CHOICES = list(workflow.STATUS_LABELS.items())


class Application(models.Model):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="loan_applications", verbose_name=_("企业")
    )
    product = models.ForeignKey(
        LoanProduct, on_delete=models.PROTECT, related_name="applications", verbose_name=_("产品")
    )
    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="loan_applications", verbose_name=_("银行")
    )
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("受理网点"))
    amount = models.DecimalField(_("申请金额（万元）"), **MONEY)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    purpose = models.CharField(_("用途"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=STATUS_CHOICES, default="received")
    submitted_on = models.DateField(_("受理日期"))
    decision_days = models.PositiveSmallIntegerField(_("承诺审批时限（工作日）"))
    deadline_on = models.DateField(_("审批截止日期"))
    deadline_basis = models.CharField(_("截止日期依据"), max_length=300)
    decided_on = models.DateField(_("结论日期"), null=True, blank=True)
    decision_reason = models.CharField(_("结论说明"), max_length=500, blank=True)
    approved_amount = models.DecimalField(_("批准金额（万元）"), null=True, blank=True, **MONEY)
    approved_rate = models.DecimalField(_("批准年利率（%）"), null=True, blank=True, **RATE)
    consent = models.ForeignKey(
        Consent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
        verbose_name=_("数据授权"),
    )
    rule_key = models.CharField(_("产品规则版本"), max_length=100)
    terms = models.JSONField(_("受理时的产品参数"), default=dict)
    finder = models.JSONField(_("受理时的匹配结果"), default=dict)
    points = models.FloatField(_("受理时的创新积分"), null=True, blank=True)
    stage = models.CharField(_("受理时的生命周期阶段"), max_length=16, blank=True)
    tier = models.CharField(_("受理时的最高梯队"), max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("提交人")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_on", "-pk"]
        verbose_name = _("融资申请")
        verbose_name_plural = _("融资申请")
        indexes = [models.Index(fields=["bank", "status"]), models.Index(fields=["status", "deadline_on"])]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.product}"


class ApplicationEvent(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    on = models.DateField(_("日期"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("申请办理记录")
        verbose_name_plural = _("申请办理记录")

    @property
    def to_label(self) -> str:
        return workflow.STATUS_LABELS.get(self.to_status, self.to_status)


class LoanImport(models.Model):
    bank = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("银行"),
    )
    file_name = models.CharField(_("文件"), max_length=200)
    rows_total = models.PositiveIntegerField(_("数据行"), default=0)
    rows_created = models.PositiveIntegerField(_("新增"), default=0)
    rows_updated = models.PositiveIntegerField(_("更新"), default=0)
    rows_rejected = models.PositiveIntegerField(_("拒收行"), default=0)
    errors = models.JSONField(_("错误"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("导入人")
    )
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("贷款记录导入")
        verbose_name_plural = _("贷款记录导入")


class Loan(models.Model):
    class Status(models.TextChoices):
        DISBURSED = "disbursed", _("在贷")
        REPAID = "repaid", _("已结清")
        OVERDUE = "overdue", _("逾期")
        DEFAULTED = "defaulted", _("违约")

    class Source(models.TextChoices):
        PLATFORM = "platform", _("平台申请")
        IMPORT = "import", _("银行报送")

    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="loans", verbose_name=_("银行")
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="loans", verbose_name=_("企业")
    )
    product = models.ForeignKey(
        LoanProduct, null=True, blank=True, on_delete=models.PROTECT, related_name="loans", verbose_name=_("产品")
    )
    application = models.OneToOneField(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="loan", verbose_name=_("融资申请")
    )
    contract_no = models.CharField(_("合同编号"), max_length=64)
    amount = models.DecimalField(_("贷款金额（万元）"), **MONEY)
    rate = models.DecimalField(_("年利率（%）"), **RATE)
    disbursed_on = models.DateField(_("放款日期"))
    maturity_on = models.DateField(_("到期日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DISBURSED)
    closed_on = models.DateField(_("结清日期"), null=True, blank=True)
    overdue_on = models.DateField(_("逾期日期"), null=True, blank=True)
    defaulted_on = models.DateField(_("违约日期"), null=True, blank=True)
    defaulted_principal = models.DecimalField(_("违约本金（万元）"), null=True, blank=True, **MONEY)
    guaranteed = models.BooleanField(_("担保贷款"), default=False)
    guarantee_fee = models.DecimalField(_("担保费（万元）"), null=True, blank=True, **MONEY)
    points = models.FloatField(_("放款时的创新积分"), null=True, blank=True)
    stage = models.CharField(_("放款时的生命周期阶段"), max_length=16, blank=True)
    tier = models.CharField(_("放款时的最高梯队"), max_length=32, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.PLATFORM)
    import_batch = models.ForeignKey(LoanImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="loans")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-disbursed_on", "-pk"]
        verbose_name = _("贷款记录")
        verbose_name_plural = _("贷款记录")
        constraints = [models.UniqueConstraint(fields=["bank", "contract_no"], name="one_contract_per_bank")]
        indexes = [models.Index(fields=["enterprise", "disbursed_on"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.contract_no


class RiskPool(models.Model):
    name = models.CharField(_("资金池名称"), max_length=128, unique=True)
    rule_id = models.CharField(_("资金池规则"), max_length=64)
    manager = models.CharField(_("管理机构"), max_length=128)
    opened_on = models.DateField(_("设立日期"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("风险补偿资金池")
        verbose_name_plural = _("风险补偿资金池")

    def __str__(self) -> str:
        return self.name


class PoolEntry(models.Model):
    """The pool's ledger: money paid in, claims covered for defaulted loans, recoveries paid back."""

    class Kind(models.TextChoices):
        CONTRIBUTION = "contribution", _("注资")
        CLAIM = "claim", _("代偿补偿")
        RECOVERY = "recovery", _("追偿回款")

    pool = models.ForeignKey(RiskPool, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    on = models.DateField(_("日期"))
    amount = models.DecimalField(_("金额（万元）"), **MONEY)
    loan = models.ForeignKey(
        Loan, null=True, blank=True, on_delete=models.PROTECT, related_name="pool_entries", verbose_name=_("贷款")
    )
    source = models.CharField(_("资金来源 / 对象"), max_length=128, blank=True)
    explanation = models.CharField(_("计算说明"), max_length=500, blank=True)
    rule_key = models.CharField(_("规则版本"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("经办人")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("资金池台账")
        verbose_name_plural = _("资金池台账")
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "loan"], condition=models.Q(kind="claim"), name="one_claim_per_loan"
            )
        ]


class Fund(models.Model):
    name = models.CharField(_("基金名称"), max_length=128, unique=True)
    size = models.DecimalField(_("基金规模（万元）"), **MONEY)
    manager = models.CharField(_("管理机构"), max_length=128)
    launched_on = models.DateField(_("设立日期"))
    rule_id = models.CharField(_("基金规则"), max_length=64)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("天使基金")
        verbose_name_plural = _("天使基金")

    def __str__(self) -> str:
        return self.name


class FundSource(models.Model):
    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(_("出资方"), max_length=128)
    amount = models.DecimalField(_("认缴金额（万元）"), **MONEY)

    class Meta:
        ordering = ["-amount", "pk"]
        verbose_name = _("基金出资")
        verbose_name_plural = _("基金出资")


class Deal(models.Model):
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="deals")
    project = models.CharField(_("项目名称"), max_length=128)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("被投企业"),
    )
    stage = models.CharField(_("阶段"), max_length=16, choices=list(fund_engine.STAGES.items()), default="sourced")
    amount = models.DecimalField(_("拟投 / 投资金额（万元）"), **MONEY)
    sourced_on = models.DateField(_("入库日期"))
    dd_started_on = models.DateField(_("尽调开始"), null=True, blank=True)
    committee_on = models.DateField(_("上会日期"), null=True, blank=True)
    approved_on = models.DateField(_("过会日期"), null=True, blank=True)
    closed_on = models.DateField(_("交割日期"), null=True, blank=True)
    ended_on = models.DateField(_("退出 / 核销日期"), null=True, blank=True)
    exit_amount = models.DecimalField(_("退出回收（万元）"), null=True, blank=True, **MONEY)
    exempt = models.BooleanField(_("核销免责"), null=True, blank=True)
    exemption_text = models.CharField(_("免责认定说明"), max_length=500, blank=True)
    rule_key = models.CharField(_("认定所依规则"), max_length=100, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sourced_on", "-pk"]
        verbose_name = _("投资项目")
        verbose_name_plural = _("投资项目")

    def __str__(self) -> str:
        return self.project

    @property
    def failed(self) -> bool:
        """Written off, or exited for less than was invested."""
        return self.stage == "written_off" or (
            self.stage == "exited" and self.exit_amount is not None and self.exit_amount < self.amount
        )


class CommitteeVote(models.Model):
    class Vote(models.TextChoices):
        YES = "yes", _("同意")
        NO = "no", _("反对")
        ABSTAIN = "abstain", _("弃权")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="votes")
    member = models.CharField(_("委员"), max_length=64)
    vote = models.CharField(_("表决"), max_length=8, choices=Vote.choices)
    note = models.CharField(_("意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("投委会表决")
        verbose_name_plural = _("投委会表决")
        constraints = [models.UniqueConstraint(fields=["deal", "member"], name="one_vote_per_member")]


class DealDocument(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("文件类别"), max_length=64)
    title = models.CharField(_("文件名称"), max_length=200)
    dated_on = models.DateField(_("文件日期"))
    file = models.FileField(_("附件"), upload_to="finance/deals/", blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("登记人")
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dated_on", "pk"]
        verbose_name = _("项目文件")
        verbose_name_plural = _("项目文件")


class DealEvent(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    from_stage = models.CharField(_("原阶段"), max_length=16, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=16)
    on = models.DateField(_("日期"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("项目进展")
        verbose_name_plural = _("项目进展")

    @property
    def to_label(self) -> str:
        return fund_engine.STAGES.get(self.to_stage, self.to_stage)


class MatchEvent(models.Model):
    """A bank–firm matchmaking event (银企对接会)."""

    title = models.CharField(_("活动名称"), max_length=200)
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=200)
    organiser = models.CharField(_("主办"), max_length=128)
    banks = models.ManyToManyField("accounts.Organisation", related_name="match_events", verbose_name=_("参加银行"))
    firms = models.PositiveIntegerField(_("参加企业数"), default=0)
    intentions = models.PositiveIntegerField(_("达成意向数"), default=0)
    signed_amount = models.DecimalField(_("现场签约金额（万元）"), default=0, **MONEY)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("银企对接活动")
        verbose_name_plural = _("银企对接活动")
