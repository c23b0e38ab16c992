"""Organisations, users and their roles, API tokens.

A user's role decides what they may do; what they may *see* is decided by the selector chokepoints
(`kechuang.enterprises.selectors`), which read the role and the organisation/enterprise set here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
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
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


BUREAU_ROLES = (Role.BUREAU_ADMIN, Role.BUREAU_STAFF)
# Roles whose scope is an organisation of this kind (the user management form checks the pair).
ORGANISATION_KIND = {
    Role.BUREAU_ADMIN: ("bureau",),
    Role.BUREAU_STAFF: ("bureau",),
    Role.AUDIT_ADMIN: ("bureau",),
    Role.PARK_OPERATOR: ("operator",),
    Role.BANK_USER: ("bank", "guarantor", "investor"),
    Role.INSTITUTION_USER: ("institution", "rd_institution"),
}


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.BUREAU_STAFF)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("所属机构"),
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("所属企业"),
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    # Set when an administrator sets a password: the user chooses their own at the next login.
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    # Changes that end the account's API tokens, whatever path makes them (pages, admin site, commands).
    _TOKEN_ENDING = ("password", "is_active", "locked_until")

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        before = None
        if self.pk and (fields is None or set(self._TOKEN_ENDING) & set(fields)):
            before = type(self).objects.filter(pk=self.pk).values(*self._TOKEN_ENDING).first()
        if before and before["password"] != self.password:
            self.password_changed_at = timezone.now()
            if fields is not None:
                kwargs["update_fields"] = {*fields, "password_changed_at"}
        super().save(*args, **kwargs)
        reason = before and (
            _("密码已修改")
            if before["password"] != self.password
            else _("账号已停用")
            if before["is_active"] and not self.is_active
            else _("账号已锁定")
            if self.is_locked and before["locked_until"] != self.locked_until
            else None
        )
        if reason:
            from .services import end_tokens

            end_tokens(self, str(reason))

    # What a role may do. Visibility of rows is the selectors' job, not these flags'. Flags that open a page
    # read the one access table (`accounts.access`), so the page, its menu entry and the API agree.
    def _may_open(self, area: str) -> bool:
        from .access import allowed

        return allowed(self, area)

    @property
    def is_bureau(self) -> bool:
        return self.role in BUREAU_ROLES

    @property
    def can_import(self) -> bool:
        return self._may_open("import")

    @property
    def can_edit_enterprises(self) -> bool:
        return self.is_bureau

    @property
    def can_confirm_figures(self) -> bool:
        return self._may_open("submissions")

    @property
    def can_submit_figures(self) -> bool:
        return self.role == Role.ENTERPRISE_USER and self.enterprise_id is not None

    @property
    def can_export(self) -> bool:
        return self.role in (*BUREAU_ROLES, Role.PARK_OPERATOR)

    @property
    def can_admin(self) -> bool:
        return self.role == Role.BUREAU_ADMIN

    @property
    def can_manage_users(self) -> bool:
        """Accounts, roles, scopes, unlocks and other users' tokens (system and security administration)."""
        return self._may_open("users")

    @property
    def is_audit_admin(self) -> bool:
        return self.role == Role.AUDIT_ADMIN

    @property
    def can_read_audit(self) -> bool:
        """The audit log: the audit admin reads every event; a bureau admin reads the business events."""
        return self._may_open("audit")

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class ApiToken(models.Model):
    """Bearer token for the REST API. Only a hash is stored; the key is shown once at creation.

    A token works until it expires or is revoked; revoked tokens are kept (who, when, why) and never reused.
    Issue and revoke through `kechuang.accounts.services` (audited); `issue` here is the bare constructor.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=64)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("撤销原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "default", days: int | None = None) -> tuple[ApiToken, str]:
        key = "kc_" + secrets.token_urlsafe(32)
        expires = timezone.now() + dt.timedelta(days=days or settings.API_TOKEN_DAYS)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash(key), prefix=key[:8], expires_at=expires)
        return token, key

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"

    @property
    def status_label(self) -> str:
        return {"revoked": _("已撤销"), "expired": _("已过期"), "active": _("有效")}[self.status]


class LoginFailure(models.Model):
    """A refused sign-in (password, token) from an address: the per-address throttle counts these.

    Not the audit trail (that is `core.AuditEvent`); rows older than the throttle window are pruned.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)

    class Meta:
        indexes = [models.Index(fields=["address", "at"])]
