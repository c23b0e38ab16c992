"""Carriers (valleys, parks, incubators, …), teams, and residencies of enterprises and teams in carriers.

A park operator sees the enterprises resident in the carriers its organisation operates; residency dates
decide "resident on a date" (from ≤ date and (to is empty or date < to)).

Also here: applications to move in (入驻申请: apply → reviewed → signed → moved in, which creates the
residency), the residents' stage path (苗圃 → 孵化 → 加速 → 产业落地) and allocated space, monthly KPIs with
their check flags, monthly ranking runs, pilot-base equipment and service records, offshore-centre projects.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.core.dbexpr import IsFirstOfMonth


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
        RD_INSTITUTION = "rd_institution", _("新型研发机构")

    class Level(models.TextChoices):
        NATIONAL = "national", _("国家级")
        PROVINCIAL = "provincial", _("省级")
        MUNICIPAL = "municipal", _("市级")

    class Status(models.TextChoices):
        PLANNING = "planning", _("筹建中")
        OPERATING = "operating", _("运营中")
        SUSPENDED = "suspended", _("暂停运营")
        CLOSED = "closed", _("已关闭")

    name = models.CharField(_("名称"), max_length=128, unique=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    operator = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carriers",
        verbose_name=_("运营机构"),
    )
    region = models.ForeignKey("core.Region", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("地区"))
    area_m2 = models.DecimalField(_("面积(平方米)"), max_digits=14, decimal_places=2, null=True, blank=True)
    opened_on = models.DateField(_("启用日期"), null=True, blank=True)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, blank=True, default="")
    status = models.CharField(_("运营状态"), max_length=16, choices=Status.choices, default=Status.OPERATING)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="bases", verbose_name=_("所属载体")
    )
    city = models.CharField(_("所在城市"), max_length=32, blank=True)
    partner = models.CharField(_("合作机构"), max_length=128, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    mentors = models.PositiveIntegerField(_("创业导师人数"), null=True, blank=True)
    seed_fund = models.DecimalField(
        _("种子资金/孵化资金（万元）"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    description = models.TextField(_("简介"), blank=True)

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
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="teams",
        verbose_name=_("来源高校院所"),
    )
    leader = models.CharField(_("负责人"), max_length=64, blank=True)
    field = models.CharField(_("技术领域"), max_length=128, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams",
        verbose_name=_("注册企业"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("科创团队")
        verbose_name_plural = _("科创团队")

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    NURSERY = "nursery", _("苗圃")
    INCUBATION = "incubation", _("孵化")
    ACCELERATION = "acceleration", _("加速")
    LANDING = "landing", _("产业落地")


class Origin(models.TextChoices):
    """A resident's origin as the seeds count it (engine.carriers.residency.origin_of)."""

    IN_PROVINCE = "in_province", _("省内高校院所")
    OUT_OF_PROVINCE = "out_of_province", _("省外高校院所")
    OVERSEAS = "overseas", _("海外")
    NONE = "none", _("非高校院所团队")


class Exit(models.TextChoices):
    GRADUATED = "graduated", _("毕业")
    LEFT = "left", _("迁出")


class Residency(models.Model):
    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="residencies", verbose_name=_("载体"))
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="residencies",
        verbose_name=_("企业"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="residencies",
        verbose_name=_("团队"),
    )
    start = models.DateField(_("入驻日期"))
    end = models.DateField(_("迁出日期"), null=True, blank=True)
    stage = models.CharField(_("孵化阶段"), max_length=16, choices=Stage.choices, blank=True, default="")
    area_m2 = models.DecimalField(_("分配面积(平方米)"), max_digits=10, decimal_places=2, null=True, blank=True)
    origin = models.CharField(_("团队来源"), max_length=20, choices=Origin.choices, blank=True, default="")
    exit_kind = models.CharField(_("离开方式"), max_length=16, choices=Exit.choices, blank=True, default="")
    exit_note = models.CharField(_("离开说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("入驻")
        verbose_name_plural = _("入驻")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(enterprise__isnull=False, team__isnull=True)
                    | models.Q(enterprise__isnull=True, team__isnull=False)
                ),
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


class StageChange(models.Model):
    """One step of a resident's stage path (苗圃 → 孵化 → 加速 → 产业落地), dated."""

    residency = models.ForeignKey(
        Residency, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("入驻")
    )
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices)
    since = models.DateField(_("起始日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["residency", "since", "pk"]
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段变更")


class Application(models.Model):
    """An application to move in (入驻申请): apply → reviewed (approved or rejected) → signed → moved in.

    A firm applies as itself; a team not yet registered applies by name (with its institution), and the team
    record is created when it moves in. Moving in creates the residency.
    """

    class Status(models.TextChoices):
        APPLIED = "applied", _("待审核")
        APPROVED = "approved", _("审核通过")
        REJECTED = "rejected", _("未通过")
        SIGNED = "signed", _("已签约")
        MOVED_IN = "moved_in", _("已入驻")
        WITHDRAWN = "withdrawn", _("已撤回")

    OPEN = (Status.APPLIED, Status.APPROVED, Status.SIGNED)

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="applications", verbose_name=_("申请入驻载体")
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="carrier_applications",
        verbose_name=_("申请企业"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications", verbose_name=_("团队")
    )
    team_name = models.CharField(_("团队名称"), max_length=128, blank=True)
    institution = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("来源高校院所"),
    )
    overseas = models.BooleanField(_("海外团队"), default=False)
    leader = models.CharField(_("负责人"), max_length=64, blank=True)
    field = models.CharField(_("技术领域"), max_length=128, blank=True)
    stage = models.CharField(_("申请阶段"), max_length=16, choices=Stage.choices)
    area_requested = models.DecimalField(_("申请面积(平方米)"), max_digits=10, decimal_places=2, null=True, blank=True)
    plan = models.TextField(_("项目简介"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.APPLIED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提交人"),
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    agreement_no = models.CharField(_("协议编号"), max_length=64, blank=True)
    area_allocated = models.DecimalField(_("分配面积(平方米)"), max_digits=10, decimal_places=2, null=True, blank=True)
    residency = models.OneToOneField(
        Residency,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="application",
        verbose_name=_("入驻记录"),
    )

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("入驻申请")
        verbose_name_plural = _("入驻申请")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enterprise__isnull=False) | ~models.Q(team_name="") | models.Q(team__isnull=False),
                name="application_names_applicant",
            )
        ]

    @property
    def applicant(self) -> str:
        if self.enterprise_id:
            return self.enterprise.name
        return self.team.name if self.team_id else self.team_name


class KpiReport(models.Model):
    """One carrier's KPIs for one month (the first day of the month), with the flags the checks raised."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="kpis", verbose_name=_("载体"))
    month = models.DateField(_("月份"))
    firms_signed = models.PositiveIntegerField(_("新签约入驻企业数"), null=True, blank=True)
    revenue = models.DecimalField(_("在驻企业营业收入（万元）"), max_digits=16, decimal_places=4, null=True, blank=True)
    ip_applications = models.PositiveIntegerField(_("知识产权申请数"), null=True, blank=True)
    financing = models.DecimalField(_("在驻企业融资额（万元）"), max_digits=16, decimal_places=4, null=True, blank=True)
    events = models.PositiveIntegerField(_("活动场次"), null=True, blank=True)
    source = models.CharField(
        _("来源"),
        max_length=16,
        choices=[("form", _("表单填报")), ("import", _("Excel 导入")), ("api", _("接口")), ("demo", _("演示数据"))],
        default="form",
    )
    # [{metric, kind, value, reference, message}]: what the checks raised when last run (engine.carriers.kpis).
    flags = models.JSONField(_("核验提示"), default=list, blank=True)
    flags_checked_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("填报人"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["carrier", "-month"]
        verbose_name = _("载体月度指标")
        verbose_name_plural = _("载体月度指标")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "month"], name="kpi_one_per_month"),
            models.CheckConstraint(condition=IsFirstOfMonth("month"), name="kpi_month_first_day"),
        ]
        indexes = [models.Index(fields=["month"])]


class RankingRun(models.Model):
    """A monthly ranking computed from the scheme in force (its key and parameter values kept for replay)."""

    month = models.DateField(_("月份"))
    scheme_key = models.CharField(_("排名方案"), max_length=64)
    params = models.JSONField(_("方案参数"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "-created_at", "-pk"]
        verbose_name = _("载体月度排名")
        verbose_name_plural = _("载体月度排名")


class RankingEntry(models.Model):
    run = models.ForeignKey(RankingRun, on_delete=models.CASCADE, related_name="entries")
    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="ranking_entries", verbose_name=_("载体")
    )
    rank = models.PositiveIntegerField(_("名次"))
    points = models.FloatField(_("得分"))
    contributions = models.JSONField(_("各项得分"), default=dict)
    values = models.JSONField(_("各项数值"), default=dict)
    notes = models.JSONField(_("说明"), default=list)
    movement = models.CharField(_("名次变化原因"), max_length=300, blank=True)
    previous_rank = models.PositiveIntegerField(_("上月名次"), null=True, blank=True)

    class Meta:
        ordering = ["run", "rank", "carrier__name"]
        verbose_name = _("排名结果")
        verbose_name_plural = _("排名结果")
        constraints = [models.UniqueConstraint(fields=["run", "carrier"], name="ranking_once_per_run")]


class Equipment(models.Model):
    """A pilot base's (中试基地) equipment open to firms."""

    class Status(models.TextChoices):
        IN_SERVICE = "in_service", _("可预约")
        MAINTENANCE = "maintenance", _("维护中")
        RETIRED = "retired", _("已停用")

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="equipment", verbose_name=_("载体"))
    name = models.CharField(_("设备名称"), max_length=128)
    model = models.CharField(_("型号规格"), max_length=128, blank=True)
    value = models.DecimalField(_("原值（万元）"), max_digits=14, decimal_places=4, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.IN_SERVICE)
    shared = models.BooleanField(_("对外共享"), default=True)

    class Meta:
        ordering = ["carrier", "name"]
        verbose_name = _("中试设备")
        verbose_name_plural = _("中试设备")


class PilotService(models.Model):
    """A service a pilot base gave a firm (pilot trial, small batch, testing, process development)."""

    class Kind(models.TextChoices):
        PILOT_TRIAL = "pilot_trial", _("中试验证")
        SMALL_BATCH = "small_batch", _("小批量试制")
        TESTING = "testing", _("检验检测")
        PROCESS = "process", _("工艺开发")

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="pilot_services", verbose_name=_("载体")
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("服务企业"),
    )
    client = models.CharField(_("服务对象"), max_length=128, blank=True)
    equipment = models.ForeignKey(
        Equipment, null=True, blank=True, on_delete=models.SET_NULL, related_name="services", verbose_name=_("使用设备")
    )
    kind = models.CharField(_("服务类型"), max_length=16, choices=Kind.choices)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    fee = models.DecimalField(_("服务费（万元）"), max_digits=14, decimal_places=4, null=True, blank=True)
    outcome = models.CharField(_("服务成果"), max_length=300, blank=True)

    class Meta:
        ordering = ["carrier", "-started_on", "-pk"]
        verbose_name = _("中试服务记录")
        verbose_name_plural = _("中试服务记录")


class OffshoreProject(models.Model):
    """A project an offshore innovation centre (离岸创新中心) brings in or is negotiating."""

    class Status(models.TextChoices):
        IN_TALKS = "in_talks", _("洽谈中")
        BROUGHT_IN = "brought_in", _("已引进")
        DROPPED = "dropped", _("已终止")

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="offshore_projects", verbose_name=_("离岸创新中心")
    )
    name = models.CharField(_("项目名称"), max_length=128)
    source = models.CharField(_("项目来源（机构/团队）"), max_length=128, blank=True)
    field = models.CharField(_("技术领域"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.IN_TALKS)
    started_on = models.DateField(_("接洽日期"))
    brought_in_on = models.DateField(_("引进日期"), null=True, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("落地企业"),
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["carrier", "-started_on", "-pk"]
        verbose_name = _("离岸中心项目")
        verbose_name_plural = _("离岸中心项目")
