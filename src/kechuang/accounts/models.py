"""Organisations, users and their roles, API tokens.

A user's role decides what they may do; what they may *see* is decided by the selector chokepoints
(`kechuang.enterprises.selectors`), which read the role and the organisation/enterprise set here.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    class Kind(models.TextChoices):
        BUREAU = "bureau", _("科技局")
        OPERATOR = "operator", _("运营公司")
        BANK = "bank", _("银行")
        GUARANTOR = "guarantor", _("担保机构")
        INVESTOR = "investor", _("投资机构")
        INSTITUTION = "institution", _("高校院所")
        RD_INSTITUTION = "rd_institution", _("新型研发机构")

    name = models.CharField(_("名称"), max_length=128, unique=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    region = models.ForeignKey("core.Region", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("地区"))
    in_province = models.BooleanField(_("省内"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("机构")
        verbose_name_plural = _("机构")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    BUREAU_ADMIN = "bureau_admin", _("科技局管理员")
    BUREAU_STAFF = "bureau_staff", _("科技局工作人员")
    PARK_OPERATOR = "park_operator", _("园区运营方")
    ENTERPRISE_USER = "enterprise_user", _("企业用户")
    BANK_USER = "bank_user", _("银行用户")
    INSTITUTION_USER = "institution_user", _("高校院所用户")


BUREAU_ROLES = (Role.BUREAU_ADMIN, Role.BUREAU_STAFF)


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.BUREAU_STAFF)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users", verbose_name=_("所属机构"),
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        verbose_name=_("所属企业"),
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    # What a role may do. Visibility of rows is the selectors' job, not these flags'.
    @property
    def is_bureau(self) -> bool:
        return self.role in BUREAU_ROLES

    @property
    def can_import(self) -> bool:
        return self.is_bureau

    @property
    def can_edit_enterprises(self) -> bool:
        return self.is_bureau

    @property
    def can_confirm_figures(self) -> bool:
        return self.is_bureau

    @property
    def can_submit_figures(self) -> bool:
        return self.role == Role.ENTERPRISE_USER and self.enterprise_id is not None

    @property
    def can_export(self) -> bool:
        return self.role in (*BUREAU_ROLES, Role.PARK_OPERATOR)

    @property
    def can_admin(self) -> bool:
        return self.role == Role.BUREAU_ADMIN


class ApiToken(models.Model):
    """Bearer token for the REST API. Only a hash is stored; the key is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=64)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "default") -> tuple[ApiToken, str]:
        key = "kc_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash(key), prefix=key[:8])
        return token, key
