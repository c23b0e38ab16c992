"""Stored tier evaluations: every run keeps its as-of date, rule-set versions and parameter versions, so a past
decision can be explained (on demand, `services.explain`) and replayed. Bureau-added parameter versions live here
too."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.engine.labels import TIER_NAMES, number_text
from kechuang.tiers.labels import conditions_text, for_run, parameter_version_text

TIER_LABELS = TIER_NAMES
# The pipeline from seedling to leader, as the bureau reads it (科小 → 高企 → 专精特新/瞪羚 → 小巨人/独角兽).
PIPELINE = (
    ("tech_sme",),
    ("high_tech",),
    ("innovative_sme", "specialized_sme", "potential_gazelle", "gazelle"),
    ("little_giant", "potential_unicorn", "unicorn"),
)
# Moves up the pipeline counted year on year (from → to): 小升高, then the steps each cultivation
# programme takes its firms from (创新型/高企 → 专精特新 → 小巨人; 高企/潜在瞪羚 → 瞪羚; → 独角兽).
UPGRADES = (
    ("tech_sme", "high_tech"),
    ("innovative_sme", "specialized_sme"),
    ("high_tech", "specialized_sme"),
    ("specialized_sme", "little_giant"),
    ("high_tech", "gazelle"),
    ("potential_gazelle", "gazelle"),
    ("gazelle", "unicorn"),
    ("potential_unicorn", "unicorn"),
)


class TierRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        # A mistaken run (wrong date, figures imported late) is voided, not deleted: kept with its reason
        # for the record, but no page, export or other engine reads it any more.
        VOIDED = "voided", _("已作废")

    as_of = models.DateField(_("评价基准日"))
    local_set = models.CharField(_("地方规则"), max_length=200, blank=True)  # engine.tiers.model.local_set_text
    rulesets = models.JSONField(_("规则版本"), default=dict, help_text="tier → ruleset@version")
    parameter_versions = models.JSONField(_("参数版本"), default=list)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    enterprises = models.PositiveIntegerField(_("企业数"), default=0)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_reason = models.CharField(_("作废原因"), max_length=500, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        ordering = ["-as_of", "-created_at"]
        verbose_name = _("梯队评价")
        verbose_name_plural = _("梯队评价")

    def versions_in_force(self) -> list[str]:
        """The bureau's parameter versions this run decided with (in force on its as-of date), in words:
        科技型中小企业·综合评分及格分 = 55（自 2026-07-01）. Two runs of one date differ by these."""
        latest: dict[tuple[str, str], dict] = {}
        for v in self.parameter_versions or []:
            key = (v["ruleset"], v["parameter"])
            if v["effective_from"] <= self.as_of.isoformat() and (
                key not in latest or latest[key]["effective_from"] <= v["effective_from"]
            ):
                latest[key] = v
        return [parameter_version_text(v) for _key, v in sorted(latest.items())]


class TierResult(models.Model):
    run = models.ForeignKey(TierRun, on_delete=models.CASCADE, related_name="results")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="tier_results")
    tier = models.CharField(_("梯队"), max_length=32)
    ruleset = models.CharField(_("规则版本"), max_length=64)
    qualified = models.CharField(_("结论"), max_length=8)  # true / false / unknown
    route = models.CharField(_("认定路径"), max_length=16, blank=True)
    score = models.FloatField(_("得分"), null=True)
    score_min = models.FloatField(null=True)
    score_max = models.FloatField(null=True)
    failed = models.TextField(_("未通过条件"), blank=True)  # one name per condition or field: no fixed bound
    missing = models.TextField(_("缺失字段"), blank=True)  # one name per condition or field: no fixed bound
    # The one requirement a not-qualified firm lacks, when it lacks only one (a condition, or an either-or group
    # of them): the near-miss lists.
    short_of = models.TextField(_("差一项"), blank=True)
    # How far a near miss is: the smallest |change| / |required| over the gaps of its `short_of` (null: no
    # single-field change passes it). Stored so the near-miss lists sort and page in the database.
    gap_size = models.FloatField(_("差距比例"), null=True)
    gaps = models.JSONField(_("差距"), default=list)

    class Meta:
        verbose_name = _("梯队结果")
        verbose_name_plural = _("梯队结果")
        indexes = [
            models.Index(fields=["run", "tier", "qualified"]),
            models.Index(fields=["enterprise", "run"]),
            models.Index(fields=["run", "gap_size"]),
        ]

    @cached_property
    def explanation(self) -> dict:
        """Each condition's outcome, values and thresholds, computed on demand from the firm's facts with the
        run's date, rule-set version and parameter versions (not stored: it is derived, and was most of the
        database). Lists of results compute theirs together first (`services.explain`)."""
        from kechuang.tiers.services import explain  # services import this module

        explain([self])
        return self.__dict__["explanation"]

    @cached_property
    def condition_labels(self) -> dict[str, str]:
        """Condition id → label with the thresholds this result was decided on (querysets select the run)."""
        return for_run(self.run, self.ruleset)

    def failed_text(self) -> str:
        return conditions_text(self.failed, self.condition_labels)

    def score_text(self) -> str:
        """The score, or its range where expert judgement (or unknown facts) leave it open: 27–76."""
        if self.score_min is not None and self.score_max is not None and self.score_min != self.score_max:
            return f"{number_text(self.score_min)}–{number_text(self.score_max)}"
        return number_text(self.score) if self.score is not None else ""

    def pending_text(self) -> str:
        """Why an undecided result is undecided when no data is missing: the conditions left open, a score
        with its range (it straddles the pass mark until experts score their part)."""
        if self.qualified != "unknown" or self.missing:
            return ""
        parts = []
        for cid, condition in (self.explanation.get("conditions") or {}).items():
            if condition.get("outcome") != "unknown":
                continue
            name = self.condition_labels.get(cid, cid)
            values = condition.get("values") or {}
            if values.get("score_min") is not None and values.get("score_max") is not None:
                name += f"（得分 {number_text(values['score_min'])}–{number_text(values['score_max'])}，待专家评分）"
            parts.append(name)
        return "；".join(parts)

    def short_of_text(self) -> str:
        """The requirement lacked; several conditions are an either-or group, any one of them would do."""
        return conditions_text(self.short_of, self.condition_labels, sep=" 或 ")

    @cached_property
    def near_gaps(self) -> list[dict]:
        """The gaps of the requirement the firm is one short of (`short_of`)."""
        short = set(self.short_of.split(";"))
        return [g for g in self.gaps if g.get("condition") in short]

    @property
    def tier_label(self) -> str:
        return TIER_LABELS.get(self.tier, self.tier)
