"""One-stop services (一站式服务) and one-to-one officials (包联).

- `Office`: a bureau office or a carrier's service hall, with the categories of request it handles.
- `ServiceRequest`: a firm's request (registration and tax, cultivation, technology evaluation, IP, finance,
  space), routed to an office, accepted with a deadline in working days, completed or refused, rated.
- `Assignment`: which official (a bureau user) serves which firm one-to-one; `Visit`: a visit with notes and a
  follow-up.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.engine.onestop.routing import CATEGORIES

CATEGORY_CHOICES = list(CATEGORIES.items())


class Office(models.Model):
    name = models.CharField(_("名称"), max_length=64, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属机构"),
    )
    carrier = models.ForeignKey(
        "carriers.Carrier",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_offices",
        verbose_name=_("所在载体（服务大厅）"),
    )
    categories = models.JSONField(_("受理事项"), default=list)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("服务窗口")
        verbose_name_plural = _("服务窗口")

    def __str__(self) -> str:
        return self.name


class ServiceRequest(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待受理")
        ACCEPTED = "accepted", _("办理中")
        COMPLETED = "completed", _("已办结")
        REJECTED = "rejected", _("不予受理")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Source(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业提交")
        DIAGNOSIS = "diagnosis", _("诊断书服务清单")
        OFFICIAL = "official", _("包联干部代办")
        HALL = "hall", _("窗口登记")

    OPEN = (Status.SUBMITTED, Status.ACCEPTED)

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="service_requests", verbose_name=_("企业")
    )
    category = models.CharField(_("事项类别"), max_length=24, choices=CATEGORY_CHOICES)
    title = models.CharField(_("事项"), max_length=128)
    detail = models.TextField(_("具体需求"), blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.ENTERPRISE)
    catalogue_service = models.CharField(_("诊断服务项"), max_length=64, blank=True)
    office = models.ForeignKey(
        Office, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests", verbose_name=_("受理窗口")
    )
    route_reason = models.CharField(_("分派理由"), max_length=300, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("经办人"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提交人"),
    )
    submitted_on = models.DateField(_("提交日期"))
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    due_on = models.DateField(_("办结时限"), null=True, blank=True)
    deadline_basis = models.CharField(_("时限依据"), max_length=300, blank=True)
    rule_key = models.CharField(_("时限规则版本"), max_length=64, blank=True)
    finished_on = models.DateField(_("办结/终止日期"), null=True, blank=True)
    result = models.TextField(_("办理结果"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("评价意见"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_on", "-pk"]
        verbose_name = _("服务单")
        verbose_name_plural = _("服务单")
        indexes = [models.Index(fields=["status", "due_on"]), models.Index(fields=["enterprise", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="service_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(status="completed"),
                name="service_rated_when_completed",
            ),
        ]


class Assignment(models.Model):
    """An official (a bureau user) serving a firm one-to-one from `since` until `until` (open: now)."""

    official = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("包联干部")
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="official_assignments", verbose_name=_("企业")
    )
    since = models.DateField(_("包联起始日期"))
    until = models.DateField(_("包联结束日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["official", "enterprise__name"]
        verbose_name = _("包联关系")
        verbose_name_plural = _("包联关系")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=models.Q(until__isnull=True), name="one_current_official_per_firm"
            ),
            models.CheckConstraint(
                condition=models.Q(until__isnull=True) | models.Q(until__gt=models.F("since")),
                name="assignment_ends_after_start",
            ),
        ]


class Visit(models.Model):
    class Kind(models.TextChoices):
        ON_SITE = "on_site", _("上门走访")
        PHONE = "phone", _("电话联系")
        MEETING = "meeting", _("座谈会")
        ONLINE = "online", _("线上沟通")

    official = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits", verbose_name=_("走访人")
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="visits", verbose_name=_("企业")
    )
    visited_on = models.DateField(_("走访日期"))
    kind = models.CharField(_("方式"), max_length=16, choices=Kind.choices, default=Kind.ON_SITE)
    notes = models.TextField(_("走访记录"))
    follow_up = models.CharField(_("待办事项"), max_length=300, blank=True)
    follow_up_due = models.DateField(_("待办期限"), null=True, blank=True)
    follow_up_done_on = models.DateField(_("待办完成日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        indexes = [models.Index(fields=["enterprise", "-visited_on"])]
