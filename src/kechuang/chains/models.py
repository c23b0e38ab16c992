"""Industry chains: segments (a tree, upstream → midstream → downstream, with supply links), firms placed on
segments (suggested by the engine, confirmed by staff), 链主/链核 designations with dates, and recruitment
targets (招商线索) attached to gaps and tracked to signing and arrival.

Codes, keywords and products of a segment are lists: GB/T 4754 codes may be classes (4 digits), groups (3) or
divisions (2), so a segment can name "all of 344" without listing every class.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Chain(models.Model):
    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("产业链名称"), max_length=64, unique=True)
    zone = models.CharField(_("所在园区"), max_length=64, blank=True)
    description = models.TextField(_("简介"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("产业链")
        verbose_name_plural = _("产业链")

    def __str__(self) -> str:
        return self.name


class Segment(models.Model):
    class Position(models.TextChoices):
        UPSTREAM = "upstream", _("上游")
        MIDSTREAM = "midstream", _("中游")
        DOWNSTREAM = "downstream", _("下游")

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="segments", verbose_name=_("产业链"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("上级环节")
    )
    position = models.CharField(_("位置"), max_length=16, choices=Position.choices)
    name = models.CharField(_("环节名称"), max_length=64)
    industry_codes = models.JSONField(_("行业代码"), default=list, blank=True)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    products = models.JSONField(_("主要产品"), default=list, blank=True)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=2, default=1)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    supplies = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="supplied_by", verbose_name=_("供给的下游环节")
    )

    class Meta:
        ordering = ["chain", "order", "pk"]
        verbose_name = _("产业链环节")
        verbose_name_plural = _("产业链环节")
        constraints = [
            models.UniqueConstraint(fields=["chain", "name"], name="segment_name_unique_in_chain"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="segment_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.parent_id and self.parent.chain_id != self.chain_id:
            raise ValidationError(_("上级环节须属于同一条产业链。"))


class ProductProfile(models.Model):
    """What a firm makes, in words (主营产品 / 经营范围): what the placement engine reads besides its code."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="product_profile", verbose_name=_("企业")
    )
    products = models.TextField(_("主营产品与经营范围"))
    source = models.CharField(_("来源"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("企业主营产品")
        verbose_name_plural = _("企业主营产品")


class Placement(models.Model):
    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("已否决")

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="placements", verbose_name=_("环节"))
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="chain_placements", verbose_name=_("企业")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUGGESTED)
    score = models.FloatField(_("匹配度"), null=True, blank=True)
    # What the engine matched (code level, code, words), kept so the reason can be told again later.
    evidence = models.JSONField(_("匹配依据"), default=dict, blank=True)
    rule_key = models.CharField(_("归集规则版本"), max_length=64, blank=True)
    suggested_at = models.DateTimeField(_("推荐时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("确认人"),
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["segment", "-score", "pk"]
        verbose_name = _("环节企业")
        verbose_name_plural = _("环节企业")
        constraints = [models.UniqueConstraint(fields=["segment", "enterprise"], name="placement_once_per_segment")]
        indexes = [models.Index(fields=["status", "segment"]), models.Index(fields=["enterprise", "status"])]


class Designation(models.Model):
    class Role(models.TextChoices):
        LEADER = "chain_leader", _("链主")
        CORE = "chain_core", _("链核")

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="designations", verbose_name=_("产业链"))
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="chain_designations", verbose_name=_("企业")
    )
    role = models.CharField(_("身份"), max_length=16, choices=Role.choices)
    designated_on = models.DateField(_("认定日期"))
    ends_on = models.DateField(_("终止日期"), null=True, blank=True)
    document = models.CharField(_("认定文件"), max_length=128, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["chain", "role", "designated_on"]
        verbose_name = _("链主链核认定")
        verbose_name_plural = _("链主链核认定")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=models.F("designated_on")),
                name="designation_ends_after_start",
            )
        ]

    def active_on(self, day) -> bool:
        return self.designated_on <= day and (self.ends_on is None or day < self.ends_on)


class RecruitmentTarget(models.Model):
    """A 招商 lead for a gap: a firm elsewhere the bureau tries to bring in, tracked to signing and arrival."""

    class Status(models.TextChoices):
        LEAD = "lead", _("线索")
        CONTACTED = "contacted", _("已接洽")
        NEGOTIATING = "negotiating", _("洽谈中")
        SIGNED = "signed", _("已签约")
        ARRIVED = "arrived", _("已落地")
        DROPPED = "dropped", _("已终止")

    OPEN = (Status.LEAD, Status.CONTACTED, Status.NEGOTIATING, Status.SIGNED)

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="targets", verbose_name=_("产业链"))
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="targets", verbose_name=_("补链环节"))
    company = models.CharField(_("目标企业"), max_length=128)
    location = models.CharField(_("所在地"), max_length=64, blank=True)
    products = models.CharField(_("主要产品"), max_length=200, blank=True)
    investment = models.DecimalField(_("计划投资额（万元）"), max_digits=14, decimal_places=4, null=True, blank=True)
    source = models.CharField(_("线索来源"), max_length=64, blank=True)
    contact = models.CharField(_("联系人及方式"), max_length=128, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recruitment_targets",
        verbose_name=_("负责人"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.LEAD)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    arrived_on = models.DateField(_("落地日期"), null=True, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("落地企业"),
    )
    dropped_reason = models.CharField(_("终止原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("招商线索")
        verbose_name_plural = _("招商线索")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(arrived_on__isnull=True)
                | models.Q(signed_on__isnull=False, arrived_on__gte=models.F("signed_on")),
                name="target_arrives_after_signing",
            )
        ]
