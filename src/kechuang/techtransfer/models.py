"""Technology contracts (技术合同) and their registration (认定登记).

A contract is recorded by the seller side (an institution user for its institution, or bureau staff), decided
by bureau staff within the time limit of the rules in force on the application date (`received_on`): registered
with a registration number and the approved technology transaction amount (技术交易额), or refused with its
reason. The decision is the engine's (`engine.techtransfer.contracts.check`), confirmed by the clerk; the rule
version that decided is stored beside it (`rule_key`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 4}


class TechContract(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待认定")
        REGISTERED = "registered", _("已登记")
        REFUSED = "refused", _("未予登记")

    contract_no = models.CharField(_("合同编号"), max_length=64, unique=True)
    project = models.CharField(_("项目名称"), max_length=128)
    type = models.CharField(_("合同类型"), max_length=16)  # a type id of the registration rules (rule data)
    institution = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tech_contracts",
        verbose_name=_("卖方机构（高校院所）"),
    )
    seller_name = models.CharField(_("卖方名称"), max_length=128)
    seller_uscc = models.CharField(_("卖方统一社会信用代码"), max_length=18)
    seller_region = models.CharField(_("卖方行政区划代码"), max_length=6, blank=True)
    buyer_name = models.CharField(_("买方名称"), max_length=128)
    buyer_uscc = models.CharField(_("买方统一社会信用代码"), max_length=18, blank=True)
    buyer_country = models.CharField(_("买方国家或地区代码"), max_length=3, blank=True)
    buyer_region = models.CharField(_("买方行政区划代码"), max_length=6, blank=True)
    signed_on = models.DateField(_("签订日期"))
    valid_to = models.DateField(_("有效期至"), null=True, blank=True)
    total_amount = models.DecimalField(_("合同成交额（万元）"), **MONEY)
    non_tech_amount = models.DecimalField(_("非技术性款项（万元）"), default=0, **MONEY)
    written = models.BooleanField(_("书面合同"), default=True)

    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    received_on = models.DateField(_("受理日期"))
    due_on = models.DateField(_("办结时限"))
    expert_review = models.BooleanField(_("经专家评审"), default=False)
    registration_no = models.CharField(_("登记编号"), max_length=32, null=True, blank=True, unique=True)
    tech_amount = models.DecimalField(_("核定技术交易额（万元）"), null=True, blank=True, **MONEY)
    reason_code = models.CharField(_("结论代码"), max_length=32, blank=True)
    reason = models.CharField(_("认定意见"), max_length=300, blank=True)
    rule_key = models.CharField(_("规则版本"), max_length=64, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("认定人"),
    )
    decided_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    decided_on = models.DateField(_("认定日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("技术合同")
        verbose_name_plural = _("技术合同")
        indexes = [models.Index(fields=["status", "decided_on"]), models.Index(fields=["institution", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_amount__gte=0) & models.Q(non_tech_amount__gte=0),
                name="tech_contract_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="registered")
                | (models.Q(registration_no__isnull=False) & models.Q(tech_amount__isnull=False)),
                name="tech_contract_registered_has_number_and_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.project}"

    @property
    def type_label(self) -> str:
        from kechuang.engine.techtransfer.contracts import type_names

        return type_names().get(self.type, self.type)


# Brokering (cases, meetings, events) and the supply map with the needs live in their own modules; imported
# here so that Django finds them.
from .brokering import BrokerCase, CaseMeeting, MatchmakingEvent  # noqa: E402

# The supply map and the needs live in their own module; imported here so that Django finds them.
from .supplymodels import (  # noqa: E402
    Achievement,
    Discipline,
    ExpertFeedback,
    FirmFeedback,
    Institution,
    MatchFeedback,
    Need,
    NeedDisclosure,
    Person,
    Platform,
    Team,
    TechnologyManager,
)

__all__ = [
    "Achievement",
    "BrokerCase",
    "CaseMeeting",
    "Discipline",
    "ExpertFeedback",
    "FirmFeedback",
    "Institution",
    "MatchFeedback",
    "MatchmakingEvent",
    "Need",
    "NeedDisclosure",
    "Person",
    "Platform",
    "Team",
    "TechContract",
    "TechnologyManager",
]
