"""The enterprise registry: enterprises, their annual figures, qualifications and figure submissions.

Static attributes live on Enterprise; everything per fiscal year lives on AnnualFigure (one row per
enterprise per year), with exactly the columns of the data dictionary. Empty means unknown: every
figure is nullable and nothing defaults to 0 or False.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.engine import facts

from .fields import model_fields

# Static columns stored as plain fields (region and industry are foreign keys to reference data).
ENTERPRISE_PLAIN = tuple(n for n in facts.STATIC_NAMES if n not in ("uscc", "name", "region_code", "industry_code"))


class Enterprise(models.Model):
    uscc = models.CharField(_("统一社会信用代码"), max_length=facts.BY_NAME["uscc"].text_limit, unique=True)
    name = models.CharField(_("企业名称"), max_length=facts.BY_NAME["name"].text_limit)
    region = models.ForeignKey(
        "core.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_column="region_code",
        verbose_name=_("行政区划"),
    )
    industry = models.ForeignKey(
        "core.Industry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_column="industry_code",
        verbose_name=_("国民经济行业"),
    )
    locals().update(model_fields(ENTERPRISE_PLAIN))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        # The list pages sort by name (or registration date) with the primary key as tie-breaker, filtered by
        # region, industry or origin: each of these indexes serves one of those orders without a sort step.
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["registered_on", "id"]),
            models.Index(fields=["region", "name", "id"]),
            models.Index(fields=["industry", "name", "id"]),
            models.Index(fields=["origin", "name", "id"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("enterprises:detail", args=[self.uscc])


class AnnualFigure(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="figures")
    year = models.PositiveSmallIntegerField(_("年度"))
    locals().update(model_fields(facts.ANNUAL_NAMES))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("确认人"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["enterprise", "-year"]
        verbose_name = _("年度数据")
        verbose_name_plural = _("年度数据")
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="figure_one_per_year")]
        indexes = [models.Index(fields=["year"])]


class Qualification(models.Model):
    class Kind(models.TextChoices):
        HTE_CERTIFICATE = "hte_certificate", _("高新技术企业证书")
        TECH_SME_REGISTRATION = "tech_sme_registration", _("科技型中小企业入库登记")
        RD_INSTITUTION = "rd_institution", _("研发机构")
        AWARD = "award", _("科技奖励")
        STANDARD = "standard", _("主导制定标准")
        OTHER = "other", _("其他")

    class Level(models.TextChoices):
        NATIONAL = "national", _("国家级")
        PROVINCIAL = "provincial", _("省级")
        MUNICIPAL = "municipal", _("市级")
        NONE = "", _("—")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="qualifications")
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, blank=True, default="")
    title = models.CharField(_("名称"), max_length=200)
    number = models.CharField(_("证书编号"), max_length=64, blank=True)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_on"]
        verbose_name = _("资质")
        verbose_name_plural = _("资质")
        indexes = [models.Index(fields=["kind", "expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gt=models.F("issued_on")),
                name="qualification_expiry_after_issue",
            )
        ]


class FigureSubmission(models.Model):
    """Annual figures an enterprise user submitted; bureau staff confirm them into AnnualFigure."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("已退回")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="submissions")
    year = models.PositiveSmallIntegerField(_("年度"))
    data = models.JSONField(_("填报数据"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("填报人"),
    )
    submitted_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("年度数据填报")
        verbose_name_plural = _("年度数据填报")
