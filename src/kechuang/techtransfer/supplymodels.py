"""The supply map (藏宝图) and the demand side: institutions with their disciplines, platforms, teams, people and
technology managers; achievements on offer (patents, results, know-how); enterprise technology needs (技术需求) with
their confidential detail, the institutions a firm disclosed it to, and the staff's feedback on matches.

Who keeps what: an institution user keeps its own institution's records (Institution.organisation is its account's
organisation), the bureau all of them; a firm keeps its own needs, staff may post one for a firm after a visit.
Money is in 万元. Consent flags decide what of a person or a manager is shown outside the institution and the bureau.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

WAN = {"max_digits": 14, "decimal_places": 2}
TRL_MIN, TRL_MAX = 1, 9


class Field(models.TextChoices):
    """技术领域: the eight fields of 国家重点支持的高新技术领域, the classification the bureau's tables use."""

    ELECTRONICS = "electronics", _("电子信息")
    BIOMEDICINE = "biomedicine", _("生物与新医药")
    AEROSPACE = "aerospace", _("航空航天")
    MATERIALS = "materials", _("新材料")
    SERVICES = "services", _("高技术服务")
    ENERGY = "energy", _("新能源与节能")
    ENVIRONMENT = "environment", _("资源与环境")
    MANUFACTURING = "manufacturing", _("先进制造与自动化")


class Level(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    CITY = "city", _("市级")
    INTERNAL = "internal", _("校（院）级")


class Institution(models.Model):
    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("高等院校")
        INSTITUTE = "institute", _("科研院所")
        RD_INSTITUTION = "rd_institution", _("新型研发机构")

    name = models.CharField(_("机构名称"), max_length=128, unique=True)
    kind = models.CharField(_("机构类型"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey("core.Region", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("地区"))
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    # The account organisation whose institution users keep this institution's records.
    organisation = models.OneToOneField(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supply_institution",
        verbose_name=_("对应账号机构"),
    )
    summary = models.TextField(_("简介"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("高校院所")
        verbose_name_plural = _("高校院所")

    def __str__(self) -> str:
        return self.name


class Discipline(models.Model):
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="disciplines", verbose_name=_("所属机构")
    )
    name = models.CharField(_("学科名称"), max_length=64)
    level = models.CharField(_("重点学科级别"), max_length=16, choices=Level.choices)
    field = models.CharField(_("技术领域"), max_length=16, choices=Field.choices, blank=True)

    class Meta:
        ordering = ["institution", "name"]
        verbose_name = _("重点学科")
        verbose_name_plural = _("重点学科")
        constraints = [models.UniqueConstraint(fields=["institution", "name"], name="discipline_unique_in_institution")]

    def __str__(self) -> str:
        return self.name


class Platform(models.Model):
    class Kind(models.TextChoices):
        LAB = "lab", _("重点实验室")
        ENGINEERING_CENTRE = "engineering_centre", _("工程（技术）研究中心")
        PILOT_BASE = "pilot_base", _("中试基地")

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="platforms", verbose_name=_("所属机构")
    )
    name = models.CharField(_("平台名称"), max_length=128)
    kind = models.CharField(_("平台类型"), max_length=24, choices=Kind.choices)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    field = models.CharField(_("技术领域"), max_length=16, choices=Field.choices, blank=True)

    class Meta:
        ordering = ["institution", "name"]
        verbose_name = _("科研平台")
        verbose_name_plural = _("科研平台")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A research team (科研团队) of an institution; carriers.Team is a team moving into a carrier."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="teams", verbose_name=_("所属机构")
    )
    discipline = models.ForeignKey(
        Discipline, null=True, blank=True, on_delete=models.SET_NULL, related_name="teams", verbose_name=_("依托学科")
    )
    name = models.CharField(_("团队名称"), max_length=128)
    leader = models.CharField(_("团队负责人"), max_length=32)
    field = models.CharField(_("技术领域"), max_length=16, choices=Field.choices, blank=True)
    members = models.PositiveSmallIntegerField(_("成员人数"), default=1)
    directions = models.CharField(_("研究方向"), max_length=200, blank=True)
    # Matching reads a team's text once per change (supplymatching keys its index on the latest edit).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["institution", "name"]
        verbose_name = _("科研团队")
        verbose_name_plural = _("科研团队")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="people", verbose_name=_("所属机构")
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="people", verbose_name=_("所在团队")
    )
    name = models.CharField(_("姓名"), max_length=32)
    title = models.CharField(_("职称"), max_length=32, blank=True)
    field = models.CharField(_("技术领域"), max_length=16, choices=Field.choices, blank=True)
    contact = models.CharField(_("联系方式"), max_length=64, blank=True)
    # Consent (个人信息保护): outside the institution and the bureau a person is listed only with consent,
    # and the contact only with its own consent.
    profile_shown = models.BooleanField(_("同意公开个人简介"), default=False)
    contact_shown = models.BooleanField(_("同意公开联系方式"), default=False)
    directions = models.CharField(_("研究方向"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["institution", "name"]
        verbose_name = _("科研人员")
        verbose_name_plural = _("科研人员")

    def __str__(self) -> str:
        return self.name


class TechnologyManager(models.Model):
    """技术经理人 (tech_manager): of an institution or of an agency (技术转移机构)."""

    name = models.CharField(_("姓名"), max_length=32)
    institution = models.ForeignKey(
        Institution,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managers",
        verbose_name=_("所属机构"),
    )
    agency = models.CharField(_("所属技术转移机构"), max_length=128, blank=True)
    certificate = models.CharField(_("技术经理人证书编号"), max_length=64, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    phone_shown = models.BooleanField(_("同意公开电话"), default=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("技术经理人")
        verbose_name_plural = _("技术经理人")

    def __str__(self) -> str:
        return self.name

    @property
    def affiliation(self) -> str:
        return self.institution.name if self.institution_id else self.agency


def _range_check(low: str, high: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{low}__isnull": True})
        | models.Q(**{f"{high}__isnull": True})
        | models.Q(**{f"{low}__lte": models.F(high)}),
        name=name,
    )


class Achievement(models.Model):
    """科技成果 (achievement): a patent (by its publication number), a result or know-how, on offer."""

    class Kind(models.TextChoices):
        PATENT = "patent", _("专利")
        RESULT = "result", _("科技成果")
        KNOW_HOW = "know_how", _("技术秘密")

    class LegalStatus(models.TextChoices):
        PENDING = "pending", _("审中")
        GRANTED = "granted", _("有效")
        LAPSED = "lapsed", _("失效")

    class Mode(models.TextChoices):
        TRANSFER = "transfer", _("转让")
        LICENCE = "licence", _("许可")
        EQUITY = "equity", _("作价入股")
        JOINT = "joint", _("合作开发")

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="achievements", verbose_name=_("所属机构")
    )
    kind = models.CharField(_("成果类型"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("成果名称"), max_length=200)
    summary = models.TextField(_("成果简介"), blank=True)
    field = models.CharField(_("技术领域"), max_length=16, choices=Field.choices, blank=True)
    chain = models.ForeignKey(
        "chains.Chain", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("产业链")
    )
    segment = models.ForeignKey(
        "chains.Segment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("产业链环节"),
    )
    discipline = models.ForeignKey(
        Discipline,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="achievements",
        verbose_name=_("学科"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="achievements", verbose_name=_("团队")
    )
    ipc = models.JSONField(_("IPC 分类（小类）"), default=list, blank=True)
    patent_no = models.CharField(_("专利公开号"), max_length=32, null=True, blank=True, unique=True)
    holder = models.CharField(_("专利权人"), max_length=128, blank=True)
    legal_status = models.CharField(_("法律状态"), max_length=16, choices=LegalStatus.choices, blank=True)
    expires_on = models.DateField(_("到期日"), null=True, blank=True)
    # Unknown (None) for a patent imported from a patent list until the institution assesses it.
    trl = models.PositiveSmallIntegerField(
        _("技术成熟度（TRL）"),
        null=True,
        blank=True,
        validators=[
            MinValueValidator(TRL_MIN, _("技术成熟度应为 1–9 级")),
            MaxValueValidator(TRL_MAX, _("技术成熟度应为 1–9 级")),
        ],
    )
    modes = models.JSONField(_("转化方式"), default=list, blank=True)
    price_min = models.DecimalField(_("报价下限（万元）"), null=True, blank=True, **WAN)
    price_max = models.DecimalField(_("报价上限（万元）"), null=True, blank=True, **WAN)
    manager = models.ForeignKey(
        TechnologyManager,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="achievements",
        verbose_name=_("联系技术经理人"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("科技成果")
        verbose_name_plural = _("科技成果")
        indexes = [models.Index(fields=["institution", "kind"]), models.Index(fields=["field"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trl__isnull=True) | models.Q(trl__gte=TRL_MIN, trl__lte=TRL_MAX),
                name="achievement_trl",
            ),
            _range_check("price_min", "price_max", "achievement_price_range"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def mode_labels(self) -> str:
        names = dict(self.Mode.choices)
        return "、".join(str(names.get(m, m)) for m in self.modes)

    def clean(self):
        errors = {}
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            errors["price_max"] = _("报价上限不能低于报价下限")
        if self.segment_id and self.chain_id and self.segment.chain_id != self.chain_id:
            errors["segment"] = _("产业链环节须属于所选产业链")
        if self.kind == self.Kind.PATENT and not self.patent_no:
            errors["patent_no"] = _("专利须填写专利公开号")
        unknown = [m for m in self.modes if m not in self.Mode.values]
        if unknown:
            errors["modes"] = _("未知的转化方式：%(m)s") % {"m": "、".join(unknown)}
        if errors:
            raise ValidationError(errors)


class Need(models.Model):
    """技术需求 (need): what a firm wants solved. The summary is public; the detail (a trade secret) is shown to
    the bureau, the firm and the institutions the firm disclosed it to (NeedDisclosure)."""

    class Status(models.TextChoices):
        OPEN = "open", _("征集中")
        MATCHING = "matching", _("对接中")
        SOLVED = "solved", _("已解决")
        CLOSED = "closed", _("已关闭")

    class Source(models.TextChoices):
        FIRM = "firm", _("企业发布")
        VISIT = "visit", _("走访征集")

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="tech_needs", verbose_name=_("企业")
    )
    title = models.CharField(_("需求名称"), max_length=128)
    summary = models.TextField(_("公开描述"))
    detail = models.TextField(_("保密详情"), blank=True)
    budget_min = models.DecimalField(_("预算下限（万元）"), null=True, blank=True, **WAN)
    budget_max = models.DecimalField(_("预算上限（万元）"), null=True, blank=True, **WAN)
    deadline = models.DateField(_("截止日期"), null=True, blank=True)
    field = models.CharField(_("技术领域"), max_length=16, choices=Field.choices, blank=True)
    chain = models.ForeignKey(
        "chains.Chain", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("产业链")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.FIRM)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发布人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("技术需求")
        verbose_name_plural = _("技术需求")
        indexes = [models.Index(fields=["status", "field"])]
        constraints = [_range_check("budget_min", "budget_max", "need_budget_range")]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.budget_min is not None and self.budget_max is not None and self.budget_min > self.budget_max:
            raise ValidationError({"budget_max": _("预算上限不能低于预算下限")})


class NeedDisclosure(models.Model):
    """The firm's consent that an institution reads a need's confidential detail."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="disclosures", verbose_name=_("技术需求"))
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="disclosures", verbose_name=_("获准查看的机构")
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("授权人")
    )
    granted_at = models.DateTimeField(_("授权时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("需求详情授权")
        verbose_name_plural = _("需求详情授权")
        constraints = [models.UniqueConstraint(fields=["need", "institution"], name="need_disclosure_once")]


class MatchFeedback(models.Model):
    """Staff's word on a match of a need and an achievement: pinned (shown first) or dismissed (hidden)."""

    class Action(models.TextChoices):
        PIN = "pin", _("置顶")
        DISMISS = "dismiss", _("不相关")

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("技术需求"))
    achievement = models.ForeignKey(
        Achievement, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("科技成果")
    )
    action = models.CharField(_("处理"), max_length=16, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("处理人")
    )
    at = models.DateTimeField(_("处理时间"), auto_now=True)

    class Meta:
        verbose_name = _("匹配反馈")
        verbose_name_plural = _("匹配反馈")
        constraints = [models.UniqueConstraint(fields=["need", "achievement"], name="match_feedback_once")]


class ExpertFeedback(models.Model):
    """Staff's word on a team or a person matched to a need (the sibling of MatchFeedback for achievements):
    exactly one of team and person is set."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="expert_feedback", verbose_name=_("技术需求"))
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("科研团队")
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("科研人员")
    )
    action = models.CharField(_("处理"), max_length=16, choices=MatchFeedback.Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("处理人")
    )
    at = models.DateTimeField(_("处理时间"), auto_now=True)

    class Meta:
        verbose_name = _("团队与专家匹配反馈")
        verbose_name_plural = _("团队与专家匹配反馈")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False, person__isnull=True)
                | models.Q(team__isnull=True, person__isnull=False),
                name="expert_feedback_one_target",
            ),
            models.UniqueConstraint(fields=["need", "team"], name="expert_feedback_team_once"),
            models.UniqueConstraint(fields=["need", "person"], name="expert_feedback_person_once"),
        ]


class FirmFeedback(models.Model):
    """Staff's word on a firm matched to an achievement: pinned (shown first) or dismissed (hidden)."""

    achievement = models.ForeignKey(
        Achievement, on_delete=models.CASCADE, related_name="firm_feedback", verbose_name=_("科技成果")
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="+", verbose_name=_("企业")
    )
    action = models.CharField(_("处理"), max_length=16, choices=MatchFeedback.Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("处理人")
    )
    at = models.DateTimeField(_("处理时间"), auto_now=True)

    class Meta:
        verbose_name = _("企业匹配反馈")
        verbose_name_plural = _("企业匹配反馈")
        constraints = [models.UniqueConstraint(fields=["achievement", "enterprise"], name="firm_feedback_once")]
