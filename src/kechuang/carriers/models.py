"""Carriers (valleys, parks, incubators, …), teams, and residencies of enterprises and teams in carriers.

A park operator sees the enterprises resident in the carriers its organisation operates; residency dates
decide "resident on a date" (from ≤ date and (to is empty or date < to)).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Carrier(models.Model):
    class Kind(models.TextChoices):
        VALLEY = "valley", _("创新谷")
        HITECH_ZONE = "hitech_zone", _("高新区")
        INCUBATOR = "incubator", _("孵化器")
        MAKER_SPACE = "maker_space", _("众创空间")
        ACCELERATOR = "accelerator", _("加速器")
        PILOT_BASE = "pilot_base", _("中试基地")
        OFFSHORE_CENTRE = "offshore_centre", _("离岸创新中心")
        PARK = "park", _("产业园区")

    name = models.CharField(_("名称"), max_length=128, unique=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    operator = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="carriers",
        verbose_name=_("运营机构"),
    )
    region = models.ForeignKey("core.Region", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("地区"))
    area_m2 = models.DecimalField(_("面积(平方米)"), max_digits=14, decimal_places=2, null=True, blank=True)
    opened_on = models.DateField(_("启用日期"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("载体")
        verbose_name_plural = _("载体")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A research team commercialising a result; may later register an enterprise."""

    name = models.CharField(_("团队名称"), max_length=128)
    institution = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="teams",
        verbose_name=_("来源高校院所"),
    )
    leader = models.CharField(_("负责人"), max_length=64, blank=True)
    field = models.CharField(_("技术领域"), max_length=128, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams",
        verbose_name=_("注册企业"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("科创团队")
        verbose_name_plural = _("科创团队")

    def __str__(self) -> str:
        return self.name


class Residency(models.Model):
    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="residencies", verbose_name=_("载体"))
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="residencies",
        verbose_name=_("企业"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="residencies", verbose_name=_("团队"),
    )
    start = models.DateField(_("入驻日期"))
    end = models.DateField(_("迁出日期"), null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("入驻")
        verbose_name_plural = _("入驻")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(enterprise__isnull=False, team__isnull=True)
                           | models.Q(enterprise__isnull=True, team__isnull=False)),
                name="residency_enterprise_xor_team",
            ),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="residency_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["carrier", "enterprise"])]

    def clean(self):
        if (self.enterprise_id is None) == (self.team_id is None):
            raise ValidationError(_("入驻记录须指定企业或团队之一。"))
        if self.end and self.end <= self.start:
            raise ValidationError(_("迁出日期须晚于入驻日期。"))
