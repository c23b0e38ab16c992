"""Brokering a match to a contract (对接转化): cases, their meetings, and matchmaking events.

A case (BrokerCase) starts from a match (a firm's need and an institution's achievement) or from a patent
brokered between firms (one firm's unused patent to another firm's need or product). It moves through the stages
in `STAGES` order, each reached on a date not before the previous one, or ends 终止 with a reason; the moves are
`brokerservices.advance` / `terminate`. A stage's date stays set after a termination, so the funnel counts how
far every case got. A conversion (成果转化) is a case's `converted_on`: one per case, and one case per need and
achievement, so an achievement converts at most once per case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .supplymodels import Field


class Stage(models.TextChoices):
    MATCHED = "matched", _("已匹配")
    INTRODUCED = "introduced", _("介绍对接")
    ASSIGNED = "assigned", _("指派技术经理人")
    NEGOTIATING = "negotiating", _("洽谈")
    SIGNED = "signed", _("签约")
    REGISTERED = "registered", _("登记")
    CONVERTED = "converted", _("转化")
    TERMINATED = "terminated", _("终止")


# The stages in order, each with the date field that records reaching it.
STAGES: tuple[tuple[str, str], ...] = (
    (Stage.MATCHED, "opened_on"),
    (Stage.INTRODUCED, "introduced_on"),
    (Stage.ASSIGNED, "assigned_on"),
    (Stage.NEGOTIATING, "negotiating_on"),
    (Stage.SIGNED, "signed_on"),
    (Stage.REGISTERED, "registered_on"),
    (Stage.CONVERTED, "converted_on"),
)
DATE_OF = dict(STAGES)


class MatchmakingEvent(models.Model):
    """对接会 or 路演: firms and institutions meet; cases opened there name the event."""

    class Kind(models.TextChoices):
        MATCHMAKING = "matchmaking", _("对接会")
        ROADSHOW = "roadshow", _("路演")

    title = models.CharField(_("活动名称"), max_length=128)
    kind = models.CharField(_("活动类型"), max_length=16, choices=Kind.choices)
    held_on = models.DateField(_("举办日期"))
    place = models.CharField(_("地点"), max_length=128)
    enterprises = models.ManyToManyField(
        "enterprises.Enterprise", blank=True, related_name="matchmaking_events", verbose_name=_("参会企业")
    )
    institutions = models.ManyToManyField(
        "techtransfer.Institution", blank=True, related_name="matchmaking_events", verbose_name=_("参会高校院所")
    )
    notes = models.TextField(_("活动纪要"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("对接活动")
        verbose_name_plural = _("对接活动")

    def __str__(self) -> str:
        return self.title


class BrokerCase(models.Model):
    class Kind(models.TextChoices):
        MATCH = "match", _("成果对接")
        PATENT = "patent", _("企业间专利转移")

    kind = models.CharField(_("案件类型"), max_length=16, choices=Kind.choices, default=Kind.MATCH)
    # The buying side: the firm whose need (or product) the case serves.
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="broker_cases", verbose_name=_("需求企业")
    )
    need = models.ForeignKey(
        "techtransfer.Need",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("技术需求"),
    )
    product = models.CharField(_("应用产品"), max_length=128, blank=True)
    # The offering side: an achievement (of an institution, or a firm's patent on the map), or a firm's patent
    # described by number and title.
    achievement = models.ForeignKey(
        "techtransfer.Achievement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("科技成果"),
    )
    institution = models.ForeignKey(
        "techtransfer.Institution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("成果所属机构"),
    )
    seller_enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patents_brokered",
        verbose_name=_("专利持有企业"),
    )
    patent_no = models.CharField(_("专利号"), max_length=32, blank=True)
    patent_title = models.CharField(_("专利名称"), max_length=200, blank=True)
    field = models.CharField(_("技术领域"), max_length=16, choices=Field.choices, blank=True)
    event = models.ForeignKey(
        MatchmakingEvent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("来源对接活动"),
    )

    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.MATCHED)
    opened_on = models.DateField(_("立案日期"))
    buyer_consent_on = models.DateField(_("需求方同意对接日期"), null=True, blank=True)
    seller_consent_on = models.DateField(_("成果方同意对接日期"), null=True, blank=True)
    introduced_on = models.DateField(_("介绍对接日期"), null=True, blank=True)
    manager = models.ForeignKey(
        "techtransfer.TechnologyManager",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("技术经理人"),
    )
    assigned_on = models.DateField(_("指派日期"), null=True, blank=True)
    negotiating_on = models.DateField(_("洽谈开始日期"), null=True, blank=True)
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    contract = models.OneToOneField(
        "techtransfer.TechContract",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case",
        verbose_name=_("技术合同"),
    )
    registered_on = models.DateField(_("登记日期"), null=True, blank=True)
    converted_on = models.DateField(_("转化日期"), null=True, blank=True)
    terminated_on = models.DateField(_("终止日期"), null=True, blank=True)
    termination_reason = models.CharField(_("终止原因"), max_length=300, blank=True)
    # Who to call on each side of this case (a name and a phone or e-mail), kept up to date by whoever moves it.
    buyer_contact = models.CharField(_("需求方联系人"), max_length=64, blank=True)
    seller_contact = models.CharField(_("成果方联系人"), max_length=64, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_on", "-pk"]
        verbose_name = _("对接案件")
        verbose_name_plural = _("对接案件")
        indexes = [models.Index(fields=["stage"]), models.Index(fields=["manager", "stage"])]
        constraints = [
            # One case per need and achievement: its conversion is counted once.
            models.UniqueConstraint(
                fields=["need", "achievement"],
                condition=models.Q(need__isnull=False, achievement__isnull=False),
                name="broker_case_once_per_match",
            ),
            models.CheckConstraint(
                condition=~models.Q(stage="terminated") | ~models.Q(termination_reason=""),
                name="broker_case_terminated_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} ← {self.offer_title}"

    @property
    def offer_title(self) -> str:
        if self.achievement_id:
            return self.achievement.title
        return f"{self.patent_title}（{self.patent_no}）" if self.patent_no else self.patent_title

    @property
    def seller_name(self) -> str:
        if self.seller_enterprise_id:
            return self.seller_enterprise.name
        return self.institution.name if self.institution_id else ""

    @property
    def is_open(self) -> bool:
        return self.stage not in (Stage.CONVERTED, Stage.TERMINATED)


class CaseMeeting(models.Model):
    """A negotiation meeting (洽谈) of a case."""

    case = models.ForeignKey(BrokerCase, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("案件"))
    held_on = models.DateField(_("洽谈日期"))
    notes = models.TextField(_("洽谈纪要"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["held_on", "pk"]
        verbose_name = _("洽谈记录")
        verbose_name_plural = _("洽谈记录")
