"""揭榜挂帅 records: the challenge and its intake, drafting, applications, expert review, public notice, contracts,
赛马 reviews, acceptance, the issuer's spending and subsidy, and the pool with its ledger and payment batches.

Policy:
- A challenge moves through the stages of `engine.challenges.lifecycle`; each move is a service call that asks
  the engine what blocks it. Dates the bureau enters (visits, publication, contracts, reviews) are business
  dates; `created_at` columns are the system's.
- Intake: `origin` says where the need came from (the technology-transfer need registry, a department, or a staff
  entry) and `need_text` holds the need as collected. `techtransfer_need` is the `techtransfer.Need` the
  challenge was drafted from (PROTECT: a need with a challenge on it is closed, never deleted, so the public
  money's trail back to the firm's need stays whole); it must be a need of the issuing firm (services check it).
- Money is Decimal 万元 with 4 places. The pool's sources keep running totals (contributed, paid, returned) that
  only services change, under row locks, next to a ledger row for every movement; a database CHECK keeps each
  source's payments within what came in, the challenge's commitments within its public funding, and each
  tranche's payments and releases within its commitment, so even a bug cannot overspend silently.
- Experts are not users: each panel seat (`PanelMember`) gets a signed link (see `tokens.py`); reissuing a link
  bumps `token_version`, which voids the old one.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kechuang.engine.challenges import lifecycle
from kechuang.engine.challenges.eligibility import LEAD_KINDS, OUTCOME_LABELS

MONEY = {"max_digits": 18, "decimal_places": 4}
USER = settings.AUTH_USER_MODEL


def _choices(name: str, labels: dict) -> type[models.TextChoices]:
    """TextChoices from the engine's {value: Chinese label} (one list of stages, kinds and terms)."""
    return models.TextChoices(name, [(value.upper(), (value, label)) for value, label in labels.items()])


class Pool(models.Model):
    """A fund pool for challenges, financed by several sources in fixed shares (e.g. 1:1:1)."""

    name = models.CharField(_("资金池名称"), max_length=200, unique=True)
    year = models.PositiveSmallIntegerField(_("设立年度"))
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("揭榜挂帅资金池")
        verbose_name_plural = _("揭榜挂帅资金池")

    def __str__(self) -> str:
        return self.name

    def shares(self) -> list[tuple[str, Decimal]]:
        return [(s.name, s.share) for s in self.sources.order_by("order", "pk")]


class PoolSource(models.Model):
    """One funder of a pool with its share and running totals (changed only by services, under a row lock)."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(_("出资方"), max_length=100)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    share = models.DecimalField(_("出资份额"), max_digits=8, decimal_places=4)
    pledged = models.DecimalField(_("认缴（万元）"), **MONEY)
    contributed = models.DecimalField(_("已到位（万元）"), default=0, **MONEY)
    paid = models.DecimalField(_("已拨付（万元）"), default=0, **MONEY)
    returned = models.DecimalField(_("已退回（万元）"), default=0, **MONEY)

    class Meta:
        ordering = ["pool", "order", "pk"]
        verbose_name = _("资金来源")
        verbose_name_plural = _("资金来源")
        constraints = [
            models.UniqueConstraint(fields=["pool", "name"], name="challenge_source_unique_name"),
            models.CheckConstraint(condition=Q(share__gt=0), name="challenge_source_share_positive"),
            models.CheckConstraint(condition=Q(contributed__lte=F("pledged")), name="challenge_source_within_pledge"),
            models.CheckConstraint(
                condition=Q(paid__lte=F("contributed") + F("returned")), name="challenge_source_never_overspent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def balance(self) -> Decimal:
        return self.contributed + self.returned - self.paid


class Challenge(models.Model):
    class Origin(models.TextChoices):
        TECHTRANSFER_NEED = "techtransfer_need", _("技术转移需求库")
        DEPARTMENT = "department", _("部门征集")
        STAFF = "staff", _("工作人员录入")

    Stage = _choices("Stage", lifecycle.STAGES)
    IpOwnership = _choices("IpOwnership", lifecycle.IP_OWNERSHIP)
    LicenceBack = _choices("LicenceBack", lifecycle.LICENCE_BACK)
    Publication = _choices("Publication", lifecycle.PUBLICATION)

    code = models.CharField(_("榜单编号"), max_length=32, unique=True)
    title = models.CharField(_("榜单名称"), max_length=200)
    field = models.CharField(_("技术领域"), max_length=100, blank=True)
    origin = models.CharField(_("需求来源"), max_length=32, choices=Origin.choices)
    origin_department = models.CharField(_("征集部门"), max_length=100, blank=True)
    need_text = models.TextField(_("需求描述"))
    # The technology-transfer need this challenge was drafted from (origin: the need registry).
    techtransfer_need = models.ForeignKey(
        "techtransfer.Need",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="challenges",
        verbose_name=_("技术需求"),
    )
    issuer = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="challenges_issued",
        verbose_name=_("发榜企业"),
    )
    issuer_contact = models.CharField(_("发榜企业联系人"), max_length=100, blank=True)
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default="intake")
    goals = models.TextField(_("攻关目标"), blank=True)
    budget = models.DecimalField(_("榜单总额（万元）"), null=True, blank=True, **MONEY)
    issuer_funding = models.DecimalField(_("发榜企业自筹（万元）"), null=True, blank=True, **MONEY)
    deadline = models.DateField(_("揭榜截止日期"), null=True, blank=True)
    completion_due = models.DateField(_("完成期限"), null=True, blank=True)
    ip_ownership = models.CharField(_("知识产权归属"), max_length=16, choices=IpOwnership.choices, blank=True)
    licence_back = models.CharField(_("许可使用约定"), max_length=32, choices=LicenceBack.choices, blank=True)
    publication = models.CharField(_("成果发表约定"), max_length=32, choices=Publication.choices, blank=True)
    ip_note = models.TextField(_("知识产权补充约定"), blank=True)
    race = models.BooleanField(_("赛马制"), default=False)
    max_teams = models.PositiveSmallIntegerField(_("最多平行团队数"), null=True, blank=True)
    pool = models.ForeignKey(
        Pool, null=True, blank=True, on_delete=models.PROTECT, related_name="challenges", verbose_name=_("资金池")
    )
    committed = models.DecimalField(_("已承诺（万元）"), default=0, **MONEY)
    paid = models.DecimalField(_("已拨付（万元）"), default=0, **MONEY)
    returned = models.DecimalField(_("已追回（万元）"), default=0, **MONEY)
    collected_on = models.DateField(_("征集日期"))
    submitted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交审定人")
    )
    approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("审定人")
    )
    published_on = models.DateField(_("发榜日期"), null=True, blank=True)
    review_finalised_on = models.DateField(_("评审定分日期"), null=True, blank=True)
    review_rule = models.CharField(_("评审规则版本"), max_length=100, blank=True)
    review_params = models.JSONField(_("评审参数"), default=dict, blank=True)
    notice_starts = models.DateField(_("公示开始"), null=True, blank=True)
    notice_ends = models.DateField(_("公示截止"), null=True, blank=True)
    contracted_on = models.DateField(_("首份合同签订日期"), null=True, blank=True)
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)
    closing_reason = models.TextField(_("关闭原因"), blank=True)
    results_summary = models.TextField(_("成果摘要（公开）"), blank=True)
    results_published_on = models.DateField(_("成果公开日期"), null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-collected_on", "-pk"]
        verbose_name = _("揭榜挂帅榜单")
        verbose_name_plural = _("揭榜挂帅榜单")
        constraints = [
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gt=0), name="challenge_budget_positive"
            ),
            models.CheckConstraint(
                condition=Q(committed=0) | Q(committed__lte=F("budget") - F("issuer_funding")),
                name="challenge_commitments_within_public_funding",
            ),
            models.CheckConstraint(condition=Q(paid__lte=F("committed")), name="challenge_paid_within_commitments"),
        ]
        indexes = [models.Index(fields=["stage"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def public_funding(self) -> Decimal | None:
        """The pool's part of the budget: the total less what the issuer funds itself."""
        if self.budget is None:
            return None
        return self.budget - (self.issuer_funding or 0)

    @property
    def issuer_share(self) -> Decimal | None:
        if not self.budget or self.issuer_funding is None:
            return None
        return self.issuer_funding / self.budget

    @property
    def is_public(self) -> bool:
        return self.stage in lifecycle.PUBLIC_STAGES


class SiteVisit(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("走访日期"))
    visitors = models.CharField(_("走访人员"), max_length=200)
    findings = models.TextField(_("走访情况"))
    recommendation = models.TextField(_("审核意见"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visited_on", "pk"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")


class Indicator(models.Model):
    class Comparison(models.TextChoices):
        GE = "ge", "≥"
        LE = "le", "≤"
        GT = "gt", ">"
        LT = "lt", "<"
        EQ = "eq", "="

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="indicators")
    seq = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("指标"), max_length=200)
    unit = models.CharField(_("单位"), max_length=32, blank=True)
    comparison = models.CharField(_("比较"), max_length=2, choices=Comparison.choices, default="ge")
    target = models.DecimalField(_("目标值"), max_digits=20, decimal_places=4)
    required = models.BooleanField(_("约束性指标"), default=True)

    class Meta:
        ordering = ["challenge", "seq"]
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        constraints = [models.UniqueConstraint(fields=["challenge", "seq"], name="challenge_indicator_seq")]

    @property
    def code(self) -> str:
        return f"i{self.seq}"

    def as_engine(self) -> dict:
        return {
            "code": self.code,
            "label": self.name,
            "unit": self.unit,
            "comparison": self.comparison,
            "target": self.target,
            "required": self.required,
        }

    @property
    def target_text(self) -> str:
        return f"{self.target.normalize():f}"

    @property
    def requirement(self) -> str:
        """≥ 500 MPa, ≤ 0.5%: the comparison, target and unit as a reader expects them."""
        unit = self.unit if self.unit in ("", "%", "‰", "℃") else f" {self.unit}"
        return f"{self.get_comparison_display()} {self.target_text}{unit}"

    @property
    def text(self) -> str:
        return f"{self.name} {self.requirement}"


class Milestone(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="milestones")
    seq = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("里程碑"), max_length=200)
    due_on = models.DateField(_("计划完成日期"))
    deliverable = models.TextField(_("考核内容"), blank=True)

    class Meta:
        ordering = ["challenge", "seq"]
        verbose_name = _("里程碑")
        verbose_name_plural = _("里程碑")
        constraints = [models.UniqueConstraint(fields=["challenge", "seq"], name="challenge_milestone_seq")]

    def __str__(self) -> str:
        return f"M{self.seq} {self.title}"


class Capability(models.Model):
    """双向发布: what an institution (or firm) can solve, published beside the challenges."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发布单位"),
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发布企业"),
    )
    title = models.CharField(_("能力名称"), max_length=200)
    field = models.CharField(_("技术领域"), max_length=100)
    description = models.TextField(_("能力介绍"))
    contact = models.CharField(_("联系方式"), max_length=100)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "-pk"]
        verbose_name = _("技术能力")
        verbose_name_plural = _("技术能力")

    @property
    def owner_name(self) -> str:
        return str(self.organisation or self.enterprise or "")


class Application(models.Model):
    """A solver team's application; once contracted it is a team of the challenge (racing when 赛马)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已申报")
        SELECTED = "selected", _("拟立项（公示中）")
        NOT_SELECTED = "not_selected", _("未入选")
        RACING = "racing", _("攻关中")
        ELIMINATED = "eliminated", _("已淘汰")
        MERGED = "merged", _("已合并")
        COMPLETED = "completed", _("通过验收")
        FAILED = "failed", _("未通过验收")
        WITHDRAWN = "withdrawn", _("已放弃")

    LeadKind = _choices("LeadKind", LEAD_KINDS)
    Eligibility = _choices("Eligibility", OUTCOME_LABELS)
    TEAM_STATUSES = ("racing", "eliminated", "merged", "completed", "failed")

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="applications")
    team_name = models.CharField(_("团队名称"), max_length=200)
    lead_kind = models.CharField(_("牵头单位类型"), max_length=16, choices=LeadKind.choices)
    lead_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("牵头单位"),
    )
    lead_enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("牵头企业"),
    )
    leader = models.CharField(_("团队负责人"), max_length=64)
    contact = models.CharField(_("联系方式"), max_length=100)
    members = models.JSONField(_("团队成员"), default=list)  # [{name, organisation, title}]
    plan = models.TextField(_("技术方案"))
    budget_requested = models.DecimalField(_("申请经费（万元）"), **MONEY)
    milestones = models.JSONField(_("实施计划"), default=list)  # [{title, due_on, deliverable}]
    declared_credit = models.BooleanField(_("承诺无严重失信记录"), default=False)
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("申报人"))
    submitted_on = models.DateField(_("申报日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    eligibility = models.CharField(_("资格审查"), max_length=16, choices=Eligibility.choices)
    eligibility_detail = models.JSONField(_("资格审查明细"), default=dict)
    eligibility_rule = models.CharField(_("资格规则版本"), max_length=100)
    score = models.DecimalField(_("评审得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    score_detail = models.JSONField(_("评分明细"), default=dict, blank=True)
    rank = models.PositiveSmallIntegerField(_("排名"), null=True, blank=True)
    passed = models.BooleanField(_("达到入围分"), null=True, blank=True)
    contract_no = models.CharField(_("合同编号"), max_length=64, blank=True)
    contract_sum = models.DecimalField(_("合同经费（万元）"), null=True, blank=True, **MONEY)
    contract_signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    account_name = models.CharField(_("收款户名"), max_length=200, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=200, blank=True)
    account_number = models.CharField(_("账号"), max_length=40, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="absorbed", verbose_name=_("并入团队")
    )
    out_on = models.DateField(_("退出日期"), null=True, blank=True)
    out_reason = models.TextField(_("退出原因"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["challenge", "rank", "pk"]
        verbose_name = _("揭榜申报")
        verbose_name_plural = _("揭榜申报")
        constraints = [models.UniqueConstraint(fields=["challenge", "team_name"], name="challenge_team_name_unique")]

    def __str__(self) -> str:
        return self.team_name

    @property
    def lead_name(self) -> str:
        return str(self.lead_organisation or self.lead_enterprise or "")

    def organisations(self) -> list[str]:
        """The lead and every member's organisation: the parties an expert must not be close to."""
        names = [self.lead_name, *(m.get("organisation", "") for m in self.members or [])]
        return list(dict.fromkeys(n for n in names if n))

    @property
    def is_team(self) -> bool:
        return self.status in self.TEAM_STATUSES

    @property
    def masked_account(self) -> str:
        return f"****{self.account_number[-4:]}" if self.account_number else ""


class Expert(models.Model):
    """The expert pool: people who review applications, milestones and acceptance (no login; see tokens.py)."""

    name = models.CharField(_("姓名"), max_length=64)
    institution = models.CharField(_("工作单位"), max_length=200)
    title = models.CharField(_("职称"), max_length=64, blank=True)
    fields = models.CharField(_("专业领域"), max_length=200, help_text=_("多个领域用顿号分隔"))
    phone = models.CharField(_("手机"), max_length=32, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    active = models.BooleanField(_("在库"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("评审专家")
        verbose_name_plural = _("评审专家")

    def __str__(self) -> str:
        return f"{self.name}（{self.institution}）"


class DeclaredConflict(models.Model):
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="declared_conflicts")
    organisation = models.CharField(_("回避单位"), max_length=200)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    declared_on = models.DateField(_("申报日期"))

    class Meta:
        ordering = ["expert", "organisation"]
        verbose_name = _("申报的利益冲突")
        verbose_name_plural = _("申报的利益冲突")


class Cooperation(models.Model):
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="cooperations")
    organisation = models.CharField(_("合作单位"), max_length=200)
    on = models.DateField(_("合作日期"))
    description = models.CharField(_("合作内容"), max_length=200, blank=True)

    class Meta:
        ordering = ["expert", "-on"]
        verbose_name = _("合作记录")
        verbose_name_plural = _("合作记录")


class Panel(models.Model):
    class Purpose(models.TextChoices):
        ASSESSMENT = "assessment", _("揭榜方案评审")

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="panels")
    purpose = models.CharField(_("评审事项"), max_length=16, choices=Purpose.choices, default=Purpose.ASSESSMENT)
    deadline = models.DateField(_("评分截止日期"))
    seed = models.PositiveIntegerField(_("抽取种子"))
    draw = models.JSONField(_("抽取记录"), default=dict)  # rule key, params, excluded experts with reasons
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["challenge", "-created_at"]
        verbose_name = _("评审组")
        verbose_name_plural = _("评审组")


class PanelMember(models.Model):
    class How(models.TextChoices):
        DRAWN = "drawn", _("随机抽取")
        MANUAL = "manual", _("指定")

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="members")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="seats")
    how = models.CharField(_("产生方式"), max_length=8, choices=How.choices, default=How.DRAWN)
    active = models.BooleanField(_("有效"), default=True)
    token_version = models.PositiveIntegerField(default=1)
    added_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["panel", "pk"]
        verbose_name = _("评审专家席位")
        verbose_name_plural = _("评审专家席位")
        constraints = [models.UniqueConstraint(fields=["panel", "expert"], name="challenge_panel_expert_once")]


class Score(models.Model):
    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="scores")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="scores")
    sheet = models.JSONField(_("各项得分"))  # {criterion code: "85.5"}
    total = models.DecimalField(_("加权总分"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("评审意见"))
    submitted_at = models.DateTimeField(_("提交时间"), auto_now=True)

    class Meta:
        ordering = ["application", "member"]
        verbose_name = _("专家评分")
        verbose_name_plural = _("专家评分")
        constraints = [models.UniqueConstraint(fields=["member", "application"], name="challenge_score_once")]


class Objection(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="objections")
    application = models.ForeignKey(
        Application,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objections",
        verbose_name=_("涉及团队"),
    )
    name = models.CharField(_("异议人"), max_length=64)
    organisation = models.CharField(_("单位"), max_length=200, blank=True)
    contact = models.CharField(_("联系方式"), max_length=100)
    text = models.TextField(_("异议内容"))
    submitted_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        ordering = ["challenge", "submitted_at"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")


class Tranche(models.Model):
    """A commitment of pool money to one team: payable on contract (no milestone) or after its milestone."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="tranches")
    seq = models.PositiveSmallIntegerField(_("期次"))
    milestone = models.ForeignKey(
        Milestone,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("拨付前须验收的里程碑"),
    )
    amount = models.DecimalField(_("承诺金额（万元）"), **MONEY)
    paid = models.DecimalField(_("已拨付（万元）"), default=0, **MONEY)
    released = models.DecimalField(_("已释放（万元）"), default=0, **MONEY)
    committed_on = models.DateField(_("承诺日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["application", "seq"]
        verbose_name = _("拨付期次")
        verbose_name_plural = _("拨付期次")
        constraints = [
            models.UniqueConstraint(fields=["application", "seq"], name="challenge_tranche_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="challenge_tranche_positive"),
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(released__gte=0) & Q(paid__lte=F("amount") - F("released")),
                name="challenge_tranche_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"第 {self.seq} 期"

    @property
    def left(self) -> Decimal:
        return self.amount - self.paid - self.released


class MilestoneReport(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        ACCEPTED = "accepted", _("验收通过")
        REJECTED = "rejected", _("未通过")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="reports")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="reports")
    summary = models.TextField(_("完成情况"))
    evidence = models.FileField(_("佐证材料"), upload_to="challenges/reports/%Y/", blank=True)
    submitted_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_on = models.DateField(_("提交日期"))
    status = models.CharField(_("审核结果"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    score = models.DecimalField(_("考核得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    reviewers = models.CharField(_("审核人员"), max_length=300, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_on = models.DateField(_("审核日期"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        ordering = ["application", "milestone__seq"]
        verbose_name = _("里程碑报告")
        verbose_name_plural = _("里程碑报告")
        constraints = [models.UniqueConstraint(fields=["application", "milestone"], name="challenge_report_once")]


class RaceReview(models.Model):
    """A milestone review of the teams racing on one challenge: who continues, who is dropped or merged."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="race_reviews")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="race_reviews")
    held_on = models.DateField(_("评审日期"))
    experts = models.ManyToManyField(Expert, related_name="race_reviews", verbose_name=_("评审专家"))
    staff = models.CharField(_("科技局参加人员"), max_length=200, blank=True)
    note = models.TextField(_("评审纪要"), blank=True)
    rule = models.CharField(_("规则版本"), max_length=100)
    params = models.JSONField(_("参数"), default=dict)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["challenge", "held_on", "pk"]
        verbose_name = _("赛马评审")
        verbose_name_plural = _("赛马评审")
        constraints = [models.UniqueConstraint(fields=["challenge", "milestone"], name="challenge_race_review_once")]


class RaceDecision(models.Model):
    Decision = _choices("Decision", {"continue": _("继续攻关"), "eliminate": _("淘汰"), "merge": _("并入其他团队")})

    review = models.ForeignKey(RaceReview, on_delete=models.CASCADE, related_name="decisions")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="race_decisions")
    score = models.DecimalField(_("考核得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    recommendation = models.CharField(_("规则建议"), max_length=16, blank=True)
    recommendation_reason = models.CharField(_("建议理由"), max_length=300, blank=True)
    decision = models.CharField(_("评审决定"), max_length=16, choices=Decision.choices)
    merged_into = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("并入团队")
    )
    reason = models.TextField(_("决定理由"))

    class Meta:
        ordering = ["review", "application"]
        verbose_name = _("赛马评审决定")
        verbose_name_plural = _("赛马评审决定")


class Acceptance(models.Model):
    Outcome = _choices("Outcome", {"passed": _("通过验收"), "failed": _("未通过验收"), "unknown": _("待补充实测数据")})

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="acceptances")
    held_on = models.DateField(_("验收日期"))
    measured = models.JSONField(_("实测值"))
    result = models.JSONField(_("验收结论明细"))
    outcome = models.CharField(_("验收结论"), max_length=16, choices=Outcome.choices)
    experts = models.ManyToManyField(Expert, related_name="acceptances", verbose_name=_("验收专家"))
    note = models.TextField(_("验收意见"), blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "held_on", "pk"]
        verbose_name = _("验收")
        verbose_name_plural = _("验收")


class Subsidy(models.Model):
    """The points subsidy on the issuer's verified spending, computed by the engine with the rule in force."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="subsidies")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("发榜企业")
    )
    basis = models.DecimalField(_("补助基数（万元）"), **MONEY)
    rate = models.DecimalField(_("补助比例"), max_digits=6, decimal_places=4)
    amount = models.DecimalField(_("补助金额（万元）"), **MONEY)
    rule = models.CharField(_("规则版本"), max_length=100)
    params = models.JSONField(_("参数"), default=dict)
    explanation = models.CharField(_("计算说明"), max_length=300)
    computed_on = models.DateField(_("核定日期"))
    computed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-computed_on", "-pk"]
        verbose_name = _("积分补助")
        verbose_name_plural = _("积分补助")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="challenge_subsidy_positive")]


class Spending(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待核验")
        VERIFIED = "verified", _("已核验")
        REJECTED = "rejected", _("未通过核验")

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="spending")
    amount = models.DecimalField(_("金额（万元）"), **MONEY)
    spent_on = models.DateField(_("支出日期"))
    payee = models.CharField(_("收款方"), max_length=200)
    description = models.CharField(_("用途"), max_length=300)
    evidence_ref = models.CharField(_("凭证号"), max_length=100)
    evidence = models.FileField(_("凭证扫描件"), upload_to="challenges/spending/%Y/", blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    verified_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verified_on = models.DateField(_("核验日期"), null=True, blank=True)
    note = models.CharField(_("核验意见"), max_length=300, blank=True)
    subsidy = models.ForeignKey(Subsidy, null=True, blank=True, on_delete=models.PROTECT, related_name="items")

    class Meta:
        ordering = ["challenge", "spent_on", "pk"]
        verbose_name = _("发榜企业实际支出")
        verbose_name_plural = _("发榜企业实际支出")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="challenge_spending_positive")]


class PaymentBatch(models.Model):
    """常态化征集、集中兑现 for the pool: a maker assembles, another bureau admin approves (core.payouts)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待审批")
        APPROVED = "approved", _("已审批")
        REFUSED = "refused", _("已退回")
        PAID = "paid", _("已拨付")

    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="batches")
    title = models.CharField(_("批次名称"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人"))
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("审批人")
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    reason = models.CharField(_("退回原因"), max_length=500, blank=True)
    paid_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("拨付登记人")
    )
    paid_on = models.DateField(_("拨付日期"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("揭榜挂帅拨付批次")
        verbose_name_plural = _("揭榜挂帅拨付批次")

    def __str__(self) -> str:
        return self.title


class Payment(models.Model):
    class Kind(models.TextChoices):
        TRANCHE = "tranche", _("揭榜团队分期资金")
        SUBSIDY = "subsidy", _("发榜企业积分补助")

    batch = models.ForeignKey(PaymentBatch, on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="payments")
    tranche = models.ForeignKey(Tranche, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    subsidy = models.ForeignKey(Subsidy, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    payee = models.CharField(_("收款单位"), max_length=200)
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=200)
    account_number = models.CharField(_("账号"), max_length=40)
    amount = models.DecimalField(_("金额（万元）"), **MONEY)

    class Meta:
        ordering = ["batch", "pk"]
        verbose_name = _("拨付明细")
        verbose_name_plural = _("拨付明细")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="challenge_payment_positive"),
            models.CheckConstraint(
                condition=(Q(kind="tranche") & Q(tranche__isnull=False) & Q(subsidy__isnull=True))
                | (Q(kind="subsidy") & Q(subsidy__isnull=False) & Q(tranche__isnull=True)),
                name="challenge_payment_kind_matches",
            ),
        ]


class Clawback(models.Model):
    """Money a team must return (dropped with unspent funds, or a failed acceptance); recovered money goes back
    to the pool by its shares."""

    class Status(models.TextChoices):
        OPEN = "open", _("待追回")
        RECOVERED = "recovered", _("已追回")
        WAIVED = "waived", _("核销（不予追回）")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="clawbacks")
    amount = models.DecimalField(_("金额（万元）"), **MONEY)
    reason = models.TextField(_("原因"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    flagged_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    flagged_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_on = models.DateField(_("处理日期"), null=True, blank=True)

    class Meta:
        ordering = ["-flagged_at", "-pk"]
        verbose_name = _("揭榜资金追回")
        verbose_name_plural = _("揭榜资金追回")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="challenge_clawback_positive")]


class LedgerEntry(models.Model):
    """One movement of pool money: contributions in, commitments and their releases, payments out (one row per
    source), returns in (one row per source)."""

    class Kind(models.TextChoices):
        CONTRIBUTION = "contribution", _("出资到位")
        COMMITMENT = "commitment", _("承诺")
        RELEASE = "release", _("释放承诺")
        PAYMENT = "payment", _("拨付")
        RETURN = "return", _("退回")

    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    source = models.ForeignKey(
        PoolSource, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger", verbose_name=_("资金来源")
    )
    challenge = models.ForeignKey(Challenge, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger", verbose_name=_("团队")
    )
    tranche = models.ForeignKey(Tranche, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    clawback = models.ForeignKey(Clawback, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    amount = models.DecimalField(_("金额（万元）"), **MONEY)
    on = models.DateField(_("日期"))
    note = models.CharField(_("摘要"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-pk"]
        verbose_name = _("资金台账")
        verbose_name_plural = _("资金台账")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="challenge_ledger_positive")]
        indexes = [models.Index(fields=["pool", "kind"]), models.Index(fields=["challenge", "kind"])]
