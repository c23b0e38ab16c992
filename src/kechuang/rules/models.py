"""The one store of bureau-edited rule versions, for every kind of rule (decision record 0004).

A shipped rule is a YAML file under `rulesets/`; what a bureau changes on the platform is a `RuleVersion`:
a dated value of one parameter of one rule (`parameter` set), or a whole dated document (`parameter` empty:
a points scheme, an alert rule set, a policy). Each records who, when, why (`note`), on what authority
(`source`) and what it replaced (`previous`: the value in force on its date when it was saved), so the audit
shows old → new and a past decision can be replayed with the versions it used.

A version is a draft (`status`) until published; only published ones are ever in force. Most kinds read their
shipped versions from the YAML files; a kind whose stored results point at their version row (policies:
eligibility runs, entitlements and simulations keep a foreign key) also copies its shipped versions here,
marked `origin` "shipped".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    class Origin(models.TextChoices):
        BUREAU = "bureau", _("本局调整")
        SHIPPED = "shipped", _("内置规则文件")

    kind = models.CharField(_("规则类别"), max_length=32)
    rule_id = models.CharField(_("规则"), max_length=64)
    parameter = models.CharField(_("参数"), max_length=128, blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    value = models.JSONField(_("取值"))
    previous = models.JSONField(_("原取值"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    origin = models.CharField(_("版本来源"), max_length=16, choices=Origin.choices, default=Origin.BUREAU)
    source = models.CharField(_("依据来源"), max_length=500)
    note = models.CharField(_("调整原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("保存时间"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "rule_id", "parameter", "effective_from", "pk"]
        verbose_name = _("规则版本")
        verbose_name_plural = _("规则版本")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "rule_id", "parameter", "effective_from"],
                condition=models.Q(status="published"),
                name="one_published_rule_version_per_day",
            ),
        ]
        indexes = [models.Index(fields=["kind", "rule_id"])]

    @property
    def key(self) -> str:
        """`id@version` of a whole-document version (its version is its date), as stored results name it."""
        return f"{self.rule_id}@{self.effective_from.isoformat()}"

    def as_override(self) -> dict:
        """The engine's shape of a bureau's parameter version (`ruledata.params.resolve`)."""
        return {
            "rule_id": self.rule_id,
            "parameter": self.parameter,
            "effective_from": self.effective_from,
            "value": self.value,
            "source": self.source,
            "note": self.note,
        }


class RegionProfile(models.Model):
    """The bureau's region: which local rule variants, finance products and waivers apply here.

    Set once by a bureau admin (and changed rarely); one row. Shipped rule files carry other cities' rules as
    references (广州黄埔's 瞪羚, 宿迁's 独角兽, 淮安's 创新积分贷); only what this profile names reaches the
    bureau's runs, diagnoses and banners. Every save is audited (`region_profile.update`) with old → new.
    """

    name = models.CharField(_("地区名称"), max_length=64)
    code = models.CharField(_("行政区划代码"), max_length=6)
    tier_variants = models.JSONField(_("梯队地方规则"), default=dict, blank=True)
    products = models.JSONField(_("推荐金融产品"), default=list, blank=True)
    waivers = models.JSONField(_("适用减免政策"), default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("设置人"),
    )
    updated_at = models.DateTimeField(_("设置时间"), auto_now=True)

    class Meta:
        verbose_name = _("地区配置")
        verbose_name_plural = _("地区配置")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"
