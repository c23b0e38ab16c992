"""Stored innovation-points runs, their per-firm results, monitoring alerts, bureau scheme versions and
bureau versions of the alert rules.

Policy:
- One completed ScoringRun per (scheme version, fiscal year, as-of date). A run writes its results under its own
  id while `running` (nobody reads a run that is not `done`), then in one transaction becomes `done` and the run
  it replaces is deleted: a run stopped half-way (a killed worker) leaves the previous results in force, and the
  stored numbers are always those of the latest completed computation of that key.
- A run keeps the scheme it used (`scheme_data`, the full validated dict) and the tier run and credit rule it
  read, so any stored result can be explained and replayed without the YAML of the day.
- A result carries its explanation: contributions, raw values, normalised scores and stage-cohort indicator
  percentiles (radar) as JSON objects keyed by indicator id, plus ranks, lists and the indicative credit line.
- Alerts are keyed by (enterprise, year, rule): re-evaluating the rules never duplicates an alert and never
  reopens one that staff acknowledged.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScoringRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    scheme_id = models.CharField(_("积分方案"), max_length=64)
    scheme_version = models.CharField(_("方案版本"), max_length=32)
    scheme_key = models.CharField(_("方案版本号"), max_length=100)
    scheme_name = models.CharField(_("方案名称"), max_length=200, blank=True)
    scheme_data = models.JSONField(_("方案内容"), default=dict)
    year = models.PositiveSmallIntegerField(_("积分年度"))
    as_of = models.DateField(_("基准日"))
    tier_run = models.ForeignKey(
        "tiers.TierRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("梯队评价"),
    )
    credit_rule = models.CharField(_("授信规则"), max_length=100, blank=True)
    stage_sizes = models.JSONField(_("各阶段企业数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DONE)
    enterprises = models.PositiveIntegerField(_("企业数"), default=0)
    scored = models.PositiveIntegerField(_("计分企业数"), default=0)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-as_of", "-created_at"]
        verbose_name = _("积分计算")
        verbose_name_plural = _("积分计算")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme_key", "year", "as_of"],
                condition=models.Q(status="done"),
                name="one_done_scoring_run_per_scheme_year_as_of",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} 年度 · {self.scheme_key}"


class PointsResult(models.Model):
    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="results")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="points_results")
    stage = models.CharField(_("阶段"), max_length=32, blank=True)
    points = models.FloatField(_("积分"), null=True)
    rank = models.PositiveIntegerField(_("总排名"), null=True)
    percentile = models.FloatField(_("总百分位"), null=True)
    stage_rank = models.PositiveIntegerField(_("阶段内排名"), null=True)
    stage_percentile = models.FloatField(_("阶段内百分位"), null=True)
    industry_rank = models.PositiveIntegerField(_("行业内排名"), null=True)
    industry_percentile = models.FloatField(_("行业内百分位"), null=True)
    region_rank = models.PositiveIntegerField(_("地区内排名"), null=True)
    region_percentile = models.FloatField(_("地区内百分位"), null=True)
    carrier_rank = models.PositiveIntegerField(_("载体内排名"), null=True)
    carrier_percentile = models.FloatField(_("载体内百分位"), null=True)
    list_id = models.CharField(_("榜单"), max_length=32, blank=True)
    list_label = models.CharField(_("榜单名称"), max_length=64, blank=True)
    # The cohort keys the run used (a firm that moves later keeps the cohorts it was ranked in).
    industry_code = models.CharField(_("行业代码"), max_length=8, blank=True)
    region_code = models.CharField(_("行政区划代码"), max_length=12, blank=True)
    carrier = models.CharField(_("载体"), max_length=128, blank=True)
    missing = models.TextField(_("缺失指标"), blank=True)  # one name per condition or field: no fixed bound
    contributions = models.JSONField(_("指标得分"), default=dict)
    raw = models.JSONField(_("指标取值"), default=dict)
    normalised = models.JSONField(_("得分率"), default=dict)
    percentiles = models.JSONField(_("阶段内指标百分位"), default=dict)
    credit = models.JSONField(_("指示性授信额度"), default=dict)

    class Meta:
        verbose_name = _("积分结果")
        verbose_name_plural = _("积分结果")
        ordering = ["run", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "enterprise"], name="one_points_result_per_run")]
        indexes = [
            models.Index(fields=["run", "rank"]),
            models.Index(fields=["run", "stage", "rank"]),
            models.Index(fields=["enterprise", "run"]),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} · {self.points}"


class Alert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ACKNOWLEDGED = "acknowledged", _("已确认")

    class Severity(models.TextChoices):
        CRITICAL = "critical", _("严重")
        WARNING = "warning", _("警告")
        INFO = "info", _("提示")

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="points_alerts")
    year = models.PositiveSmallIntegerField(_("年度"))
    rule = models.CharField(_("预警规则"), max_length=64)
    ruleset = models.CharField(_("规则版本"), max_length=100)
    severity = models.CharField(_("级别"), max_length=16, choices=Severity.choices)
    label = models.CharField(_("预警名称"), max_length=100)
    message = models.CharField(_("预警说明"), max_length=1000)
    values = models.JSONField(_("相关数据"), default=dict)
    run = models.ForeignKey(ScoringRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("负责人"),
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("确认人"),
    )
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"))

    class Meta:
        ordering = ["-year", "severity", "-created_at"]
        verbose_name = _("监测预警")
        verbose_name_plural = _("监测预警")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "rule"], name="one_alert_per_firm_year_rule")
        ]
        indexes = [models.Index(fields=["status", "severity"]), models.Index(fields=["year", "rule"])]

    def __str__(self) -> str:
        return f"{self.year} {self.label}"
